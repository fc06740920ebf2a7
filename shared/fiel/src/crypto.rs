//! RSA plumbing shared by certificates, chains and CRLs: reading an RSA public key
//! out of a SubjectPublicKeyInfo and checking a PKCS#1 v1.5 signature over signed
//! bytes (a TBSCertificate, a TBSCertList, or data a member signed), with ring.

use ring::signature::{self, RsaParameters, RsaPublicKeyComponents};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

/// rsaEncryption: the only key algorithm SAT issues.
pub(crate) const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// Largest RSA modulus we accept (CA keys are 4096 bits; leave room, but bound the
/// work a hostile certificate can cause). ring verifies up to this size.
const MAX_MODULUS_BITS: usize = 8192;

/// The certificate and CRL signature algorithms we can check: RSA PKCS#1 v1.5 with
/// SHA-2, and SHA-1 because some older SAT certificates still carry it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SignatureAlgorithm {
    RsaSha1,
    RsaSha256,
    RsaSha384,
    RsaSha512,
}

impl SignatureAlgorithm {
    /// Maps an AlgorithmIdentifier OID; `None` for anything else (PSS, ECDSA…).
    pub(crate) fn from_oid(oid: &str) -> Option<Self> {
        Some(match oid {
            "1.2.840.113549.1.1.5" => Self::RsaSha1,
            "1.2.840.113549.1.1.11" => Self::RsaSha256,
            "1.2.840.113549.1.1.12" => Self::RsaSha384,
            "1.2.840.113549.1.1.13" => Self::RsaSha512,
            _ => return None,
        })
    }

    /// ring's parameters: SHA-2 with keys of 2048 bits or more; SHA-1 only for
    /// the old CAs that signed with it, which may have 1024-bit keys.
    fn parameters(self) -> &'static RsaParameters {
        match self {
            Self::RsaSha1 => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            Self::RsaSha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Self::RsaSha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Self::RsaSha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        }
    }

    /// The smallest modulus [`Self::parameters`] accepts.
    fn min_key_bits(self) -> usize {
        match self {
            Self::RsaSha1 => 1024,
            Self::RsaSha256 | Self::RsaSha384 | Self::RsaSha512 => 2048,
        }
    }
}

/// Why a signed object did not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SignatureFailure {
    /// The algorithm is not one of [`SignatureAlgorithm`] (the OID, for logs).
    UnsupportedAlgorithm(String),
    /// The key is too short for the algorithm (a 1024-bit CA signing with SHA-256):
    /// not checked, rather than reported as a forgery.
    KeyTooSmall {
        /// The algorithm's OID.
        oid: String,
        /// The key's modulus size.
        bits: usize,
    },
    /// The outer and inner algorithm identifiers differ (RFC 5280 §4.1.1.2).
    AlgorithmMismatch,
    /// The RSA signature does not match.
    Mismatch,
}

/// An RSA public key: modulus and exponent, big-endian without leading zeros.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RsaPublicKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

impl RsaPublicKey {
    /// Checks the numbers of a public key: a non-zero odd modulus of at most
    /// [`MAX_MODULUS_BITS`] and an odd exponent from 3 to 2³³ − 1 (what ring
    /// verifies with). Leading zero bytes (DER sign bytes) are dropped.
    pub(crate) fn from_components(n: &[u8], e: &[u8]) -> Result<Self, KeyFailure> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = bit_length(n);
        if bits == 0 || n[n.len() - 1] & 1 == 0 {
            return Err(KeyFailure::Malformed("modulus is zero or even".to_owned()));
        }
        if bits > MAX_MODULUS_BITS {
            return Err(KeyFailure::Malformed(format!(
                "modulus of {bits} bits, over {MAX_MODULUS_BITS}"
            )));
        }
        let e_bits = bit_length(e);
        if !(2..=33).contains(&e_bits) || e[e.len() - 1] & 1 == 0 {
            return Err(KeyFailure::Malformed(
                "public exponent is not an odd number from 3 to 2^33-1".to_owned(),
            ));
        }
        Ok(Self {
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    /// Size of the modulus in bits.
    pub(crate) fn bits(&self) -> usize {
        bit_length(&self.n)
    }

    /// Checks an RSA PKCS#1 v1.5 `signature` over `message` (ring hashes it).
    pub(crate) fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureFailure> {
        RsaPublicKeyComponents {
            n: &self.n,
            e: &self.e,
        }
        .verify(algorithm.parameters(), message, signature)
        .map_err(|_| SignatureFailure::Mismatch)
    }
}

impl std::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPublicKey")
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

/// Checks `signature` over `signed` made with algorithm `outer_oid` by `key`.
/// `inner_oid` is the copy inside the signed part, which must be identical.
pub(crate) fn verify_signed(
    signed: &[u8],
    outer_oid: &str,
    inner_oid: &str,
    signature: &[u8],
    key: &RsaPublicKey,
) -> Result<(), SignatureFailure> {
    if outer_oid != inner_oid {
        return Err(SignatureFailure::AlgorithmMismatch);
    }
    let algorithm = SignatureAlgorithm::from_oid(outer_oid)
        .ok_or_else(|| SignatureFailure::UnsupportedAlgorithm(outer_oid.to_owned()))?;
    let bits = key.bits();
    if bits < algorithm.min_key_bits() {
        return Err(SignatureFailure::KeyTooSmall {
            oid: outer_oid.to_owned(),
            bits,
        });
    }
    key.verify(algorithm, signed, signature)
}

/// Why a SubjectPublicKeyInfo is not a usable RSA key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyFailure {
    /// Not rsaEncryption (EC, DSA, PSS-only…).
    NotRsa,
    /// Claims RSA but the numbers are unusable (for logs).
    Malformed(String),
}

/// Reads the RSA public key of a certificate.
pub(crate) fn rsa_public_key(spki: &SubjectPublicKeyInfo<'_>) -> Result<RsaPublicKey, KeyFailure> {
    if spki.algorithm.algorithm.to_id_string() != RSA_ENCRYPTION {
        return Err(KeyFailure::NotRsa);
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(key)) => RsaPublicKey::from_components(key.modulus, key.exponent),
        Ok(_) => Err(KeyFailure::NotRsa),
        Err(e) => Err(KeyFailure::Malformed(e.to_string())),
    }
}

/// A big-endian unsigned integer without its leading zero bytes.
pub(crate) fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// Bit length of a big-endian unsigned integer.
pub(crate) fn bit_length(bytes: &[u8]) -> usize {
    let bytes = strip_leading_zeros(bytes);
    match bytes.first() {
        Some(&top) => bytes.len() * 8 - top.leading_zeros() as usize,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths_ignore_sign_bytes() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[1]), 1);
        assert_eq!(bit_length(&[0, 0x80, 0]), 16);
        assert_eq!(bit_length(&[0x01, 0, 1]), 17);
    }

    #[test]
    fn public_key_numbers_are_checked() {
        let mut n = vec![0u8; 257];
        n[1] = 0x80;
        n[256] = 1;
        let key = RsaPublicKey::from_components(&n, &[1, 0, 1]).unwrap();
        assert_eq!(key.bits(), 2048);
        assert_eq!(key.n.len(), 256, "DER sign byte dropped");
        // Even modulus, zero modulus, too large, bad exponents.
        let mut even = n.clone();
        even[256] = 2;
        assert!(RsaPublicKey::from_components(&even, &[1, 0, 1]).is_err());
        assert!(RsaPublicKey::from_components(&[0, 0], &[1, 0, 1]).is_err());
        let mut huge = vec![0xffu8; 1025];
        huge[0] = 1;
        assert!(RsaPublicKey::from_components(&huge, &[1, 0, 1]).is_err());
        for e in [&[][..], &[1], &[2], &[1, 0, 0], &[3, 0, 0, 0, 0, 1]] {
            assert!(RsaPublicKey::from_components(&n, e).is_err(), "{e:?}");
        }
        assert!(RsaPublicKey::from_components(&n, &[3]).is_ok());
    }

    #[test]
    fn a_short_key_for_sha256_is_not_called_a_forgery() {
        let mut n = vec![0xffu8; 128];
        n[127] = 0xfd;
        let key = RsaPublicKey::from_components(&n, &[1, 0, 1]).unwrap();
        let oid = "1.2.840.113549.1.1.11";
        assert_eq!(
            verify_signed(b"tbs", oid, oid, &[0; 128], &key),
            Err(SignatureFailure::KeyTooSmall {
                oid: oid.to_owned(),
                bits: 1024
            })
        );
        let sha1 = "1.2.840.113549.1.1.5";
        assert_eq!(
            verify_signed(b"tbs", sha1, sha1, &[0; 128], &key),
            Err(SignatureFailure::Mismatch)
        );
        assert_eq!(
            verify_signed(b"tbs", sha1, oid, &[0; 128], &key),
            Err(SignatureFailure::AlgorithmMismatch)
        );
        assert_eq!(
            verify_signed(
                b"tbs",
                "1.2.840.113549.1.1.10",
                "1.2.840.113549.1.1.10",
                &[],
                &key
            ),
            Err(SignatureFailure::UnsupportedAlgorithm(
                "1.2.840.113549.1.1.10".to_owned()
            ))
        );
    }
}
