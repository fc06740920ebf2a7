//! FIEL (SAT e.firma) certificates and keys for Rúbrica.
//!
//! Members sign actas and log in with their own e.firma: a `.cer` (X.509) and a
//! `.key` (encrypted PKCS#8) issued by SAT. This crate reads both, tells a FIEL from
//! a CSD (an invoicing seal that must never sign a record), validates a certificate
//! for a signing time against the configured trust anchors, and makes and checks
//! RSA PKCS#1 v1.5 SHA-256 signatures. It does no I/O beyond reading the files it is
//! pointed at, and knows nothing of PDFs or HTTP: the signing and access services
//! build on it.
//!
//! # Layout
//!
//! - [`ids`]: [`Rfc`], [`Curp`], [`CertificateNumber`]: parsed once at the edge,
//!   always well formed inside.
//! - [`certificate`]: [`Certificate`]: holder, RFC, CURP, certificate number,
//!   validity, issuer, FIEL/CSD ([`CertificateKind`]), [`Certificate::ensure_fiel`],
//!   signature verification.
//! - [`key`]: [`PrivateKey`] (decrypts SAT's `.key`, signs with ring; redacted
//!   `Debug`) and [`Credential`] (a `.cer` and `.key` checked to match).
//! - [`trust`]: [`TrustStore`] (the folder of CA certificates) and chain building
//!   with RSA signature checks ([`Chain`], [`ChainError`]).
//! - [`revocation`]: [`RevocationSource`] (configuration), [`RevocationChecker`]
//!   (CRL files) and [`RevocationStatus`] (never "good" unless a CRL said so).
//! - [`validation`]: [`Validator`] runs every check for a signing time and returns
//!   a serialisable [`ValidationReport`] with Spanish explanations.
//! - [`digest`]: [`digest::Sha256`], the suite's SHA-256 (on ring), and its
//!   [`digest::Digest32`].
//! - [`error`]: [`FielError`], the one error type; every message is Spanish (es-MX)
//!   and says what to do.
//!
//! Internal: `names` (X.500 names, T61String/Latin-1 decoding), `crypto` (RSA
//! public keys and signed-object checks with ring), `input` (bounded reads, DER/PEM
//! sniffing).
//!
//! All RSA (PKCS#1 v1.5 signing; verification with SHA-256/384/512, and SHA-1 for
//! old CA signatures) and all hashing go through ring; RustCrypto's `pkcs8` only
//! decrypts SAT's PBES2/3DES `.key`.
//!
//! # Example
//!
//! ```no_run
//! use rubrica_fiel::{Credential, RevocationSource, TrustStore, Validator};
//!
//! # fn main() -> Result<(), rubrica_fiel::FielError> {
//! let credential = Credential::from_files("mi.cer", "mi.key", "contraseña")?;
//! credential.certificate().ensure_fiel()?;
//! let validator = Validator::new(TrustStore::from_dir("ac-sat/")?, &RevocationSource::NotConfigured)?;
//! let report = validator.validate(credential.certificate(), time::OffsetDateTime::now_utc());
//! report.ensure_valid()?;
//! let signature = credential.sign_sha256(b"datos a firmar")?;
//! credential.certificate().verify_sha256(b"datos a firmar", &signature)?;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod certificate;
mod crypto;
pub mod digest;
pub mod error;
pub mod ids;
mod input;
pub mod key;
mod names;
mod net;
mod ocsp;
pub mod revocation;
pub mod trust;
pub mod validation;

pub use certificate::{
    Certificate, CertificateKind, CertificateSummary, ExtendedKeyUsageFlags, KeyUsageFlags,
};
pub use error::{FielError, Result};
pub use ids::{CertificateNumber, Curp, Rfc, RfcKind};
pub use key::{Credential, PrivateKey, read_password_file};
pub use revocation::{
    RevocationChecker, RevocationMethod, RevocationOptions, RevocationSource, RevocationStatus,
};
pub use trust::{CaCertificate, Chain, ChainError, TrustStore};
pub use validation::{Check, Outcome, ValidationReport, Validator, Verdict};
/// The wiping buffer [`read_password_file`] returns.
pub use zeroize::Zeroizing;

use time::{OffsetDateTime, UtcOffset};

/// A date as people in Mexico write it, in UTC so every reader sees the same
/// instant: `15/05/2021 23:29:17 UTC`.
pub(crate) fn fecha(t: &OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:02}/{:02}/{} {:02}:{:02}:{:02} UTC",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
