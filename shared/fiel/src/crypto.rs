//! RSA plumbing shared by certificates, chains and CRLs: reading an RSA public key
//! out of a SubjectPublicKeyInfo and checking a PKCS#1 v1.5 signature over signed
//! bytes (a TBSCertificate, a TBSCertList, or data a member signed).

use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPublicKey};
use sha2::Digest;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

/// rsaEncryption: the only key algorithm SAT issues.
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// Largest RSA modulus we accept (CA keys are 4096 bits; leave room, but bound the
/// work a hostile certificate can cause).
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

    /// Hashes `data` and returns the PKCS#1 v1.5 scheme to check it with.
    fn digest_and_scheme(self, data: &[u8]) -> (Vec<u8>, Pkcs1v15Sign) {
        match self {
            Self::RsaSha1 => (
                sha1::Sha1::digest(data).to_vec(),
                Pkcs1v15Sign::new::<sha1::Sha1>(),
            ),
            Self::RsaSha256 => (
                sha2::Sha256::digest(data).to_vec(),
                Pkcs1v15Sign::new::<sha2::Sha256>(),
            ),
            Self::RsaSha384 => (
                sha2::Sha384::digest(data).to_vec(),
                Pkcs1v15Sign::new::<sha2::Sha384>(),
            ),
            Self::RsaSha512 => (
                sha2::Sha512::digest(data).to_vec(),
                Pkcs1v15Sign::new::<sha2::Sha512>(),
            ),
        }
    }
}

/// Why a signed object did not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SignatureFailure {
    /// The algorithm is not one of [`SignatureAlgorithm`] (the OID, for logs).
    UnsupportedAlgorithm(String),
    /// The outer and inner algorithm identifiers differ (RFC 5280 §4.1.1.2).
    AlgorithmMismatch,
    /// The RSA signature does not match.
    Mismatch,
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
    let (digest, scheme) = algorithm.digest_and_scheme(signed);
    key.verify(scheme, &digest, signature)
        .map_err(|_| SignatureFailure::Mismatch)
}

/// Verifies an RSA PKCS#1 v1.5 SHA-256 signature over a precomputed digest.
pub(crate) fn verify_sha256_digest(
    key: &RsaPublicKey,
    digest: &[u8; 32],
    signature: &[u8],
) -> bool {
    key.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), digest, signature)
        .is_ok()
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
        Ok(PublicKey::RSA(key)) => {
            let n = BigUint::from_bytes_be(key.modulus);
            let e = BigUint::from_bytes_be(key.exponent);
            RsaPublicKey::new_with_max_size(n, e, MAX_MODULUS_BITS)
                .map_err(|e| KeyFailure::Malformed(e.to_string()))
        }
        Ok(_) => Err(KeyFailure::NotRsa),
        Err(e) => Err(KeyFailure::Malformed(e.to_string())),
    }
}

/// Size of an RSA key in bits.
pub(crate) fn key_bits(key: &RsaPublicKey) -> usize {
    key.n().bits()
}
