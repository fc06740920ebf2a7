//! A member's `.key` and the pair it forms with their `.cer`.
//!
//! SAT ships the key as DER PKCS#8 `EncryptedPrivateKeyInfo` (PBES2,
//! PBKDF2-HMAC-SHA1, des-ede3-cbc) protected by the member's password. RustCrypto's
//! `pkcs8` decrypts it into a buffer that is wiped on drop; ring parses the
//! decrypted PKCS#8 and signs. The key lives only inside [`PrivateKey`], which
//! never prints its material and is neither `Clone` nor `Serialize`. This code
//! runs where the member is (CLI, browser helper): the server never receives a key.

use std::fmt;
use std::path::Path;

use pkcs8::der::asn1::{AnyRef, UintRef};
use pkcs8::der::{Decode as _, Reader as _, SliceReader};
use pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo, SecretDocument};
use ring::rand::SystemRandom;
use ring::rsa::KeyPair;
use ring::signature::RSA_PKCS1_SHA256;
use zeroize::Zeroizing;

use crate::certificate::{Certificate, MIN_SIGNER_KEY_BITS};
use crate::crypto::{KeyFailure, RSA_ENCRYPTION, RsaPublicKey};
use crate::error::{FielError, Result};
use crate::input::{self, MAX_CREDENTIAL_BYTES};

/// Largest RSA private key ring signs with.
const MAX_SIGNER_KEY_BITS: usize = 4096;

/// Most PBKDF2 iterations a `.key` may ask for: SAT's use 2048, OpenSSL's
/// default is 2048 and current guidance is in the hundreds of thousands. A
/// hostile file asking for four billion would hold a thread for hours.
const MAX_PBKDF2_ITERATIONS: u32 = 1_000_000;

/// A decrypted RSA private key (2048 to 4096 bits).
///
/// Signing is ring's constant-time RSA with the Chinese Remainder Theorem, checked
/// against the public key before the signature is returned, so neither timing nor
/// a fault reveals the key. The decrypted DER is wiped as soon as ring has parsed
/// it; ring's own copy of the numbers is freed, not wiped, on drop (ring has no
/// zeroize support).
pub struct PrivateKey {
    /// The key as ring holds it.
    inner: KeyPair,
    /// Its public half, to match it with a certificate.
    public: RsaPublicKey,
}

impl PrivateKey {
    /// Reads a key in any form Rúbrica meets: SAT's encrypted DER PKCS#8, the same
    /// in PEM (`ENCRYPTED PRIVATE KEY`), or an unencrypted PKCS#8 / PKCS#1 key in DER
    /// or PEM (test PKIs, `openssl genpkey`), for which `password` is ignored.
    pub fn from_bytes(bytes: &[u8], password: impl AsRef<[u8]>) -> Result<Self> {
        input::check_size(bytes.len(), MAX_CREDENTIAL_BYTES, "una llave privada")?;
        if input::looks_like_pem(bytes) {
            Self::from_pem(bytes, password.as_ref())
        } else {
            Self::from_der(bytes, password.as_ref())
        }
    }

    /// Reads a `.key` file; see [`PrivateKey::from_bytes`].
    pub fn from_file(path: impl AsRef<Path>, password: impl AsRef<[u8]>) -> Result<Self> {
        let bytes = input::read_limited(path.as_ref(), MAX_CREDENTIAL_BYTES, "una llave privada")?;
        Self::from_bytes(&bytes, password)
    }

    fn from_der(der: &[u8], password: &[u8]) -> Result<Self> {
        if let Ok(encrypted) = EncryptedPrivateKeyInfo::from_der(der) {
            return Self::decrypt(&encrypted, password);
        }
        if PrivateKeyInfo::from_der(der).is_ok() {
            return Self::from_pkcs8_plain(der);
        }
        Self::from_pkcs1(der)
    }

    fn from_pem(bytes: &[u8], password: &[u8]) -> Result<Self> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| malformed("PEM is not UTF-8".to_owned()))?
            .trim_start_matches('\u{feff}')
            .trim();
        if text.contains("Proc-Type: 4,ENCRYPTED") {
            // Legacy OpenSSL encryption (`-----BEGIN RSA PRIVATE KEY-----` + DEK-Info).
            return Err(FielError::UnsupportedKeyEncryption {
                detail: "legacy OpenSSL PEM encryption".to_owned(),
            });
        }
        let (label, doc) =
            SecretDocument::from_pem(text).map_err(|e| malformed(format!("PEM: {e}")))?;
        match label {
            "ENCRYPTED PRIVATE KEY" => {
                let encrypted = EncryptedPrivateKeyInfo::from_der(doc.as_bytes())
                    .map_err(|e| malformed(e.to_string()))?;
                Self::decrypt(&encrypted, password)
            }
            "PRIVATE KEY" => Self::from_pkcs8_plain(doc.as_bytes()),
            "RSA PRIVATE KEY" => Self::from_pkcs1(doc.as_bytes()),
            other => Err(malformed(format!("unexpected PEM label {other}"))),
        }
    }

    /// Decrypts SAT's PBES2 key. A failure after the envelope parsed is, in
    /// practice, the wrong password: PKCS#5 padding fails, or (1 time in ~256) the
    /// padding passes and the plaintext is not a key.
    fn decrypt(encrypted: &EncryptedPrivateKeyInfo<'_>, password: &[u8]) -> Result<Self> {
        ensure_bounded_work(encrypted)?;
        let plain = match encrypted.decrypt(password) {
            Ok(doc) => doc,
            // pkcs5 0.7 reports a bad padding on decryption as `EncryptFailed`.
            Err(pkcs8::Error::EncryptedPrivateKey(
                pkcs8::pkcs5::Error::DecryptFailed | pkcs8::pkcs5::Error::EncryptFailed,
            )) => return Err(FielError::WrongPassword),
            Err(pkcs8::Error::EncryptedPrivateKey(e)) => {
                return Err(FielError::UnsupportedKeyEncryption {
                    detail: e.to_string(),
                });
            }
            // The plaintext is not DER: decrypted with the wrong key.
            Err(_) => return Err(FielError::WrongPassword),
        };
        match PrivateKeyInfo::from_der(plain.as_bytes()) {
            Ok(_) => Self::from_pkcs8_plain(plain.as_bytes()),
            Err(_) => Err(FielError::WrongPassword),
        }
    }

    /// A PKCS#8 `PrivateKeyInfo` (what SAT's key decrypts to).
    fn from_pkcs8_plain(der: &[u8]) -> Result<Self> {
        let info = PrivateKeyInfo::from_der(der).map_err(|e| malformed(e.to_string()))?;
        if info.algorithm.oid.to_string() != RSA_ENCRYPTION {
            return Err(FielError::UnsupportedKeyAlgorithm);
        }
        let public = checked_public_numbers(info.private_key)?;
        // ring reads PKCS#8 v1 only; a v2 (with the public key attached, RFC 5958)
        // carries the same RSAPrivateKey, which ring reads directly.
        let inner = if info.public_key.is_none() {
            KeyPair::from_pkcs8(der)
        } else {
            KeyPair::from_der(info.private_key)
        };
        Self::new(inner, public)
    }

    /// A bare PKCS#1 `RSAPrivateKey` (`openssl rsa -traditional`).
    fn from_pkcs1(der: &[u8]) -> Result<Self> {
        let public = checked_public_numbers(der)?;
        Self::new(KeyPair::from_der(der), public)
    }

    fn new(
        inner: std::result::Result<KeyPair, ring::error::KeyRejected>,
        public: RsaPublicKey,
    ) -> Result<Self> {
        // Sizes were checked before: what ring still rejects is a damaged or odd
        // key (InconsistentComponents, InvalidEncoding, a public exponent under
        // 65537, a multi-prime key…).
        let inner = inner.map_err(|rejected| malformed(format!("ring: {rejected}")))?;
        Ok(Self { inner, public })
    }

    /// RSA modulus size.
    pub fn bits(&self) -> usize {
        self.public.bits()
    }

    /// Whether this key is the private half of `certificate`'s public key (same
    /// modulus and exponent).
    pub fn matches(&self, certificate: &Certificate) -> bool {
        self.public == *certificate.public_key()
    }

    /// Signs `data`: RSA PKCS#1 v1.5 with SHA-256, the scheme of SAT portals, CMS
    /// signatures in PDFs and the login challenge. The signature is as long as the
    /// modulus (256 bytes for SAT's 2048-bit keys) and, PKCS#1 v1.5 being
    /// deterministic, always the same for the same data.
    pub fn sign_sha256(&self, data: &[u8]) -> Result<Vec<u8>> {
        let mut signature = vec![0; self.inner.public().modulus_len()];
        self.inner
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                data,
                &mut signature,
            )
            .map_err(|_| FielError::SigningFailed)?;
        Ok(signature)
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("bits", &self.bits())
            .field("material", &"[redactado]")
            .finish()
    }
}

fn malformed(detail: String) -> FielError {
    FielError::MalformedKey { detail }
}

/// Reads the public numbers of a PKCS#1 `RSAPrivateKey` (RFC 8017 A.1.2) and
/// checks the modulus size, so a short or oversized key gets its own error before
/// ring (whose rejection says little) sees it.
fn checked_public_numbers(rsa_private_key: &[u8]) -> Result<RsaPublicKey> {
    let (n, e) = public_numbers(rsa_private_key).map_err(|e| malformed(format!("PKCS#1: {e}")))?;
    let public =
        RsaPublicKey::from_components(n.as_bytes(), e.as_bytes()).map_err(|e| match e {
            KeyFailure::Malformed(detail) => malformed(detail),
            KeyFailure::NotRsa => FielError::UnsupportedKeyAlgorithm,
        })?;
    let bits = public.bits();
    if bits < MIN_SIGNER_KEY_BITS {
        return Err(FielError::KeyTooSmall { bits });
    }
    // ring signs with keys of up to 4096 bits whose primes (half the modulus,
    // rounded up) are a multiple of 512 bits: 2048, 3072 and 4096-bit keys.
    if bits > MAX_SIGNER_KEY_BITS || bits.div_ceil(2) % 512 != 0 {
        return Err(FielError::UnsupportedKeySize { bits });
    }
    Ok(public)
}

/// `RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, ... }`: the
/// modulus and exponent; the private numbers are skipped (ring checks them).
fn public_numbers(der: &[u8]) -> pkcs8::der::Result<(UintRef<'_>, UintRef<'_>)> {
    let mut reader = SliceReader::new(der)?;
    let numbers = reader.sequence(|seq| {
        let _version = UintRef::decode(seq)?;
        let n = UintRef::decode(seq)?;
        let e = UintRef::decode(seq)?;
        while !seq.is_finished() {
            AnyRef::decode(seq)?;
        }
        Ok((n, e))
    })?;
    reader.finish(numbers)
}

/// A member's e.firma: certificate and private key, checked to belong together.
///
/// Opening one says nothing about whether it may sign a record: check
/// [`Certificate::ensure_fiel`] and validate it (see [`crate::Validator`]).
#[derive(Debug)]
pub struct Credential {
    /// The public part.
    certificate: Certificate,
    /// The private part.
    key: PrivateKey,
}

impl Credential {
    /// Reads a `.cer` and a `.key` with the key's password and checks they match.
    pub fn open(certificate: &[u8], key: &[u8], password: impl AsRef<[u8]>) -> Result<Self> {
        let certificate = Certificate::from_bytes(certificate)?;
        let key = PrivateKey::from_bytes(key, password)?;
        Self::from_parts(certificate, key)
    }

    /// Like [`Credential::open`], from files.
    pub fn from_files(
        certificate: impl AsRef<Path>,
        key: impl AsRef<Path>,
        password: impl AsRef<[u8]>,
    ) -> Result<Self> {
        let certificate = Certificate::from_file(certificate)?;
        let key = PrivateKey::from_file(key, password)?;
        Self::from_parts(certificate, key)
    }

    /// Pairs an already parsed certificate and key, refusing a mismatch (the usual
    /// mistake: a `.key` from another e.firma, or a CSD's `.cer` with a FIEL `.key`).
    pub fn from_parts(certificate: Certificate, key: PrivateKey) -> Result<Self> {
        if !key.matches(&certificate) {
            return Err(FielError::KeyCertificateMismatch);
        }
        Ok(Self { certificate, key })
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The private key.
    pub fn private_key(&self) -> &PrivateKey {
        &self.key
    }

    /// Signs `data` with RSA PKCS#1 v1.5 SHA-256.
    pub fn sign_sha256(&self, data: &[u8]) -> Result<Vec<u8>> {
        self.key.sign_sha256(data)
    }
}

/// Largest password file accepted.
const MAX_PASSWORD_BYTES: u64 = 4096;

/// Refuses key-derivation parameters that would take unbounded time or memory
/// (PBKDF2 past [`MAX_PBKDF2_ITERATIONS`], scrypt, which SAT never uses and
/// whose cost a file can set to gigabytes) before any work is done.
fn ensure_bounded_work(encrypted: &EncryptedPrivateKeyInfo<'_>) -> Result<()> {
    use pkcs8::pkcs5::EncryptionScheme;
    use pkcs8::pkcs5::pbes2::Kdf;
    let EncryptionScheme::Pbes2(parameters) = &encrypted.encryption_algorithm else {
        return Ok(());
    };
    match &parameters.kdf {
        Kdf::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => {
            Err(FielError::UnsupportedKeyEncryption {
                detail: format!(
                    "PBKDF2 with {} iterations (at most {MAX_PBKDF2_ITERATIONS})",
                    p.iteration_count
                ),
            })
        }
        Kdf::Pbkdf2(_) => Ok(()),
        // scrypt, or anything a later pkcs5 adds.
        _ => Err(FielError::UnsupportedKeyEncryption {
            detail: "a key-derivation function other than PBKDF2".to_owned(),
        }),
    }
}

/// Reads a password file (`--password-file`) into a buffer that is wiped on drop.
///
/// One trailing line break (`\n` or `\r\n`) is removed because editors add it and
/// it is never part of a SAT password; nothing else is trimmed.
pub fn read_password_file(path: impl AsRef<Path>) -> Result<Zeroizing<Vec<u8>>> {
    let mut contents = input::read_limited(path.as_ref(), MAX_PASSWORD_BYTES, "una contraseña")?;
    if contents.last() == Some(&b'\n') {
        contents.pop();
        if contents.last() == Some(&b'\r') {
            contents.pop();
        }
    }
    Ok(contents)
}
