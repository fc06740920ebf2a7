//! A member's `.key` and the pair it forms with their `.cer`.
//!
//! SAT ships the key as DER PKCS#8 `EncryptedPrivateKeyInfo` (PBES2,
//! PBKDF2-HMAC-SHA1, des-ede3-cbc) protected by the member's password. The
//! decrypted key lives only inside [`PrivateKey`], whose memory is wiped on drop,
//! which never prints its material, and which is neither `Clone` nor `Serialize`.
//! This code runs where the member is (CLI, browser helper): the server never
//! receives a key.

use std::fmt;
use std::path::Path;

use pkcs8::der::Decode as _;
use pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo, SecretDocument};
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::rand_core::OsRng;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::certificate::{Certificate, MIN_SIGNER_KEY_BITS};
use crate::error::{FielError, Result};
use crate::input::{self, MAX_CREDENTIAL_BYTES};

/// rsaEncryption.
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// A decrypted RSA private key.
///
/// Signing uses RSA blinding with the OS random generator, so timing does not
/// depend on the key.
pub struct PrivateKey {
    /// The key; `rsa` zeroizes it on drop.
    inner: RsaPrivateKey,
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
        match RsaPrivateKey::from_pkcs1_der(der) {
            Ok(key) => Self::new(key),
            Err(e) => Err(malformed(format!("neither PKCS#8 nor PKCS#1: {e}"))),
        }
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
            "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(doc.as_bytes())
                .map_err(|e| malformed(e.to_string()))
                .and_then(Self::new),
            other => Err(malformed(format!("unexpected PEM label {other}"))),
        }
    }

    /// Decrypts SAT's PBES2 key. A failure after the envelope parsed is, in
    /// practice, the wrong password: PKCS#5 padding fails, or (1 time in ~256) the
    /// padding passes and the plaintext is not a key.
    fn decrypt(encrypted: &EncryptedPrivateKeyInfo<'_>, password: &[u8]) -> Result<Self> {
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

    fn from_pkcs8_plain(der: &[u8]) -> Result<Self> {
        let info = PrivateKeyInfo::from_der(der).map_err(|e| malformed(e.to_string()))?;
        if info.algorithm.oid.to_string() != RSA_ENCRYPTION {
            return Err(FielError::UnsupportedKeyAlgorithm);
        }
        RsaPrivateKey::try_from(info)
            .map_err(|e| malformed(e.to_string()))
            .and_then(Self::new)
    }

    fn new(inner: RsaPrivateKey) -> Result<Self> {
        let bits = inner.n().bits();
        if bits < MIN_SIGNER_KEY_BITS {
            return Err(FielError::KeyTooSmall { bits });
        }
        Ok(Self { inner })
    }

    /// RSA modulus size.
    pub fn bits(&self) -> usize {
        self.inner.n().bits()
    }

    /// Whether this key is the private half of `certificate`'s public key (same
    /// modulus and exponent).
    pub fn matches(&self, certificate: &Certificate) -> bool {
        let public = certificate.public_key();
        self.inner.n() == public.n() && self.inner.e() == public.e()
    }

    /// Signs `data`: RSA PKCS#1 v1.5 with SHA-256, the scheme of SAT portals, CMS
    /// signatures in PDFs and the login challenge.
    pub fn sign_sha256(&self, data: &[u8]) -> Result<Vec<u8>> {
        self.sign_digest(&Sha256::digest(data).into())
    }

    /// Signs an already computed SHA-256 digest (e.g. of a CMS SignedAttributes
    /// DER), producing the same bytes as [`PrivateKey::sign_sha256`] on the input.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>> {
        self.inner
            .sign_with_rng(&mut OsRng, Pkcs1v15Sign::new::<Sha256>(), digest)
            .map_err(|_| FielError::SigningFailed)
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

    /// Signs a precomputed SHA-256 digest.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>> {
        self.key.sign_digest(digest)
    }
}

/// Largest password file accepted.
const MAX_PASSWORD_BYTES: u64 = 4096;

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
