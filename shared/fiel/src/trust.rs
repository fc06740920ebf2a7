//! Trust anchors and certificate chains.
//!
//! A [`TrustStore`] is the folder of CA certificates the operator configured: SAT's
//! roots and intermediate CAs in production, a test CA in tests. Every certificate
//! in it is a trust anchor. A member's certificate is trusted when its RSA signature
//! verifies with an anchor's key (possibly through intermediate CAs supplied with a
//! signature) and every CA on the way was valid at the signing time. Names are
//! matched first, keys decide: a CA with the right name but the wrong key is a
//! forgery, and is reported as such.

use std::fmt;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;

use crate::certificate::Certificate;
use crate::crypto::{self, RsaPublicKey, SignatureFailure};
use crate::digest::Sha256;
use crate::error::{FielError, Result};
use crate::input::{self, MAX_CREDENTIAL_BYTES};
use crate::names::{self, oid};

/// File extensions read from a trust folder; anything else (README, keys, CRLs)
/// is ignored.
const CA_EXTENSIONS: [&str; 4] = ["cer", "crt", "pem", "der"];

/// Longest chain followed (leaf → intermediates → anchor); SAT's is 2 or 3.
const MAX_CHAIN_DEPTH: usize = 6;

/// The parts of a certificate (or CRL) that its issuer signed.
#[derive(Clone)]
pub(crate) struct SignedParts {
    /// TBSCertificate / TBSCertList DER.
    pub(crate) tbs: Vec<u8>,
    /// signatureAlgorithm outside the TBS.
    pub(crate) outer_oid: String,
    /// signature inside the TBS.
    pub(crate) inner_oid: String,
    /// signatureValue bits.
    pub(crate) signature: Vec<u8>,
}

impl SignedParts {
    pub(crate) fn of_certificate(x509: &X509Certificate<'_>) -> Self {
        Self {
            tbs: x509.tbs_certificate.as_ref().to_vec(),
            outer_oid: x509.signature_algorithm.algorithm.to_id_string(),
            inner_oid: x509.tbs_certificate.signature.algorithm.to_id_string(),
            signature: x509.signature_value.data.to_vec(),
        }
    }

    pub(crate) fn verify_with(
        &self,
        key: &RsaPublicKey,
    ) -> std::result::Result<(), SignatureFailure> {
        crypto::verify_signed(
            &self.tbs,
            &self.outer_oid,
            &self.inner_oid,
            &self.signature,
            key,
        )
    }
}

/// A certificate-authority certificate: a trust anchor from the trust folder, or an
/// intermediate CA that came with a signature (e.g. in a CMS `certificates` set).
#[derive(Clone)]
pub struct CaCertificate {
    /// Exact DER, to embed the chain in a signature.
    der: Vec<u8>,
    /// Subject DN as one line.
    subject: String,
    /// Subject common name, for short messages.
    common_name: Option<String>,
    /// Subject Name DER, matched against issuers.
    subject_der: Vec<u8>,
    /// Subject normalised, matched when DER encodings differ.
    subject_key: String,
    /// Issuer Name DER, to continue the chain upwards from an intermediate.
    issuer_der: Vec<u8>,
    /// Issuer normalised.
    issuer_key: String,
    /// Start of validity.
    not_before: OffsetDateTime,
    /// End of validity.
    not_after: OffsetDateTime,
    /// The CA's key, which signs certificates and CRLs.
    public_key: RsaPublicKey,
    /// keyUsage allows cRLSign (or keyUsage absent).
    can_sign_crls: bool,
    /// What this certificate's issuer signed, to verify an intermediate.
    signed: SignedParts,
    /// SHA-256 of the DER, to deduplicate a folder holding both `.cer` and `.pem`.
    fingerprint: [u8; 32],
}

impl CaCertificate {
    /// Reads a CA certificate (DER or the first PEM block). Refuses certificates
    /// that are not CAs (basicConstraints cA) and non-RSA keys.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        input::check_size(bytes.len(), MAX_CREDENTIAL_BYTES, "un certificado")?;
        let der;
        let bytes = if input::looks_like_pem(bytes) {
            der = crate::certificate::first_pem_certificate(bytes)?;
            &der[..]
        } else {
            bytes
        };
        match Self::parse(bytes) {
            Ok(Some(ca)) => Ok(ca),
            Ok(None) => {
                let subject = X509Certificate::from_der(bytes)
                    .map(|(_, x)| names::distinguished_name(x.tbs_certificate.subject()))
                    .unwrap_or_default();
                Err(FielError::NotCertificateAuthority { subject })
            }
            Err(detail) => Err(FielError::MalformedCertificate { detail }),
        }
    }

    /// `Ok(None)` when the certificate is readable but not a usable RSA CA.
    fn parse(der: &[u8]) -> std::result::Result<Option<Self>, String> {
        let (_, x509) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
        let tbs = &x509.tbs_certificate;
        let is_ca = match tbs.basic_constraints() {
            Ok(Some(bc)) => bc.value.ca,
            // A v1 certificate has no extensions: old roots are v1.
            Ok(None) => tbs.version().0 == 0,
            Err(e) => return Err(e.to_string()),
        };
        let (can_sign_certs, can_sign_crls) = match tbs.key_usage() {
            Ok(Some(ku)) => (ku.value.key_cert_sign(), ku.value.crl_sign()),
            Ok(None) => (true, true),
            Err(e) => return Err(e.to_string()),
        };
        if !is_ca || !can_sign_certs {
            return Ok(None);
        }
        let Ok(public_key) = crypto::rsa_public_key(tbs.public_key()) else {
            return Ok(None);
        };
        let der = x509.as_raw().to_vec();
        Ok(Some(Self {
            fingerprint: Sha256::digest(&der).into_bytes(),
            subject: names::distinguished_name(tbs.subject()),
            common_name: names::first_of(tbs.subject(), oid::COMMON_NAME),
            subject_der: tbs.subject().as_raw().to_vec(),
            subject_key: names::comparable(tbs.subject()),
            issuer_der: tbs.issuer().as_raw().to_vec(),
            issuer_key: names::comparable(tbs.issuer()),
            not_before: tbs.validity().not_before.to_datetime(),
            not_after: tbs.validity().not_after.to_datetime(),
            public_key,
            can_sign_crls,
            signed: SignedParts::of_certificate(&x509),
            der,
        }))
    }

    /// The CA's exact DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Subject DN as one line.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The CA's common name (e.g. `AC UAT`), else its DN.
    pub fn name(&self) -> &str {
        self.common_name.as_deref().unwrap_or(&self.subject)
    }

    /// Start of validity.
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    /// End of validity.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// SHA-256 of the DER.
    pub fn fingerprint_sha256(&self) -> [u8; 32] {
        self.fingerprint
    }

    pub(crate) fn public_key(&self) -> &RsaPublicKey {
        &self.public_key
    }

    pub(crate) fn can_sign_crls(&self) -> bool {
        self.can_sign_crls
    }

    /// Whether this CA's subject is the issuer named by `issuer_der`/`issuer_key`.
    pub(crate) fn is_named(&self, issuer_der: &[u8], issuer_key: &str) -> bool {
        self.subject_der == issuer_der || self.subject_key == issuer_key
    }

    fn valid_at(&self, at: OffsetDateTime) -> bool {
        self.not_before <= at && at <= self.not_after
    }
}

impl fmt::Debug for CaCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaCertificate")
            .field("subject", &self.subject)
            .field("not_after", &self.not_after)
            .field("fingerprint", &hex::encode(self.fingerprint))
            .finish_non_exhaustive()
    }
}

/// The configured trust anchors.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    /// Every CA certificate found, without duplicates.
    anchors: Vec<CaCertificate>,
    /// SHA-256 fingerprints of end-entity certificates trusted one by one
    /// (the `fijados/` subfolder): for credentials whose CA cannot be had,
    /// such as SAT's public test FIELs, whose test root SAT does not publish
    /// where we can reach it. Reported as such, never as a chain.
    pinned: Vec<[u8; 32]>,
}

/// The subfolder of a trust folder whose certificates are trusted one by
/// one, without a chain ([`TrustStore::is_pinned`]).
pub const PINNED_SUBFOLDER: &str = "fijados";

impl TrustStore {
    /// A store that trusts nothing: every chain is reported untrusted
    /// (indeterminate), never valid. For verification without configuration.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Loads a trust folder: every `.cer`, `.crt`, `.der` and `.pem` in it (not in
    /// subfolders), DER or PEM, one or many certificates per file. Certificates
    /// that are not CAs are skipped (a member's `.cer` left there is not an
    /// anchor); a file that is not a certificate at all is an error, so a broken
    /// configuration is noticed at start-up rather than at the first signature.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let entries = std::fs::read_dir(dir).map_err(|source| FielError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let mut files: Vec<PathBuf> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| FielError::Io {
                path: dir.to_owned(),
                source,
            })?;
            let path = entry.path();
            let wanted = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| CA_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
            if wanted && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        let mut store = Self::empty();
        for file in &files {
            store.add_file(file)?;
        }
        let pinned = dir.join(PINNED_SUBFOLDER);
        if pinned.is_dir() {
            store.add_pinned_dir(&pinned)?;
        }
        if store.is_empty() && store.pinned.is_empty() {
            return Err(FielError::EmptyTrustStore {
                path: dir.to_owned(),
            });
        }
        Ok(store)
    }

    /// Loads a trust folder, or a single CA file (`--trust ca.pem|DIR`).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if path.is_dir() {
            return Self::from_dir(path);
        }
        let mut store = Self::empty();
        store.add_file(path)?;
        if store.is_empty() {
            return Err(FielError::EmptyTrustStore {
                path: path.to_owned(),
            });
        }
        Ok(store)
    }

    /// Adds the CA certificates of one file; returns how many were new.
    pub fn add_file(&mut self, path: impl AsRef<Path>) -> Result<usize> {
        let path = path.as_ref();
        let bytes = input::read_limited(path, MAX_CREDENTIAL_BYTES, "un certificado")?;
        self.add_bytes(&bytes)
            .map_err(|detail| FielError::MalformedTrustAnchor {
                path: path.to_owned(),
                detail,
            })
    }

    /// Adds the CA certificates in DER or PEM bytes (PEM may hold many; non-CA
    /// certificates and non-certificate PEM blocks are skipped). Returns how many
    /// were new; the error is a detail for logs.
    fn add_bytes(&mut self, bytes: &[u8]) -> std::result::Result<usize, String> {
        let mut ders = Vec::new();
        if input::looks_like_pem(bytes) {
            for block in Pem::iter_from_buffer(input::strip_bom(bytes)) {
                let block = block.map_err(|e| format!("PEM: {e}"))?;
                if block.label == "CERTIFICATE" || block.label == "X509 CERTIFICATE" {
                    ders.push(block.contents);
                }
            }
        } else {
            ders.push(bytes.to_vec());
        }
        let mut added = 0;
        for der in ders {
            if let Some(ca) = CaCertificate::parse(&der)? {
                added += usize::from(self.add(ca));
            }
        }
        Ok(added)
    }

    /// Trusts every certificate file of `dir` one by one (see [`Self::is_pinned`]).
    fn add_pinned_dir(&mut self, dir: &Path) -> Result<()> {
        let entries = std::fs::read_dir(dir).map_err(|source| FielError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| CA_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            })
            .collect();
        files.sort();
        for path in files {
            let bytes = input::read_limited(&path, MAX_CREDENTIAL_BYTES, "un certificado")?;
            let certificate =
                Certificate::from_der(&bytes).map_err(|e| FielError::MalformedTrustAnchor {
                    path: path.clone(),
                    detail: e.to_string(),
                })?;
            self.pin(&certificate);
        }
        Ok(())
    }

    /// Trusts this one end-entity certificate without a chain.
    pub fn pin(&mut self, certificate: &Certificate) {
        let fingerprint = certificate.fingerprint_sha256();
        if !self.pinned.contains(&fingerprint) {
            self.pinned.push(fingerprint);
        }
    }

    /// Whether `certificate` is trusted by itself (pinned), not through a CA.
    pub fn is_pinned(&self, certificate: &Certificate) -> bool {
        self.pinned.contains(&certificate.fingerprint_sha256())
    }

    /// Adds one anchor; `false` if it was already there.
    pub fn add(&mut self, ca: CaCertificate) -> bool {
        if self.anchors.iter().any(|a| a.fingerprint == ca.fingerprint) {
            return false;
        }
        self.anchors.push(ca);
        true
    }

    /// Number of anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether nothing is trusted.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// The anchors, in load order.
    pub fn anchors(&self) -> &[CaCertificate] {
        &self.anchors
    }

    /// Finds a path from `certificate` to an anchor at `at`, using `intermediates`
    /// (untrusted CAs supplied with the signature) where needed.
    pub fn build_chain(
        &self,
        certificate: &Certificate,
        intermediates: &[CaCertificate],
        at: OffsetDateTime,
    ) -> std::result::Result<Chain, ChainError> {
        let (_, x509) =
            X509Certificate::from_der(certificate.der()).map_err(|_| ChainError::Malformed)?;
        let signed = SignedParts::of_certificate(&x509);
        let issuer_der = x509.tbs_certificate.issuer().as_raw();
        let mut path = Vec::new();
        self.extend(
            Link {
                signed: &signed,
                issuer_der,
                issuer_key: &certificate.issuer_key,
                issuer_label: certificate.issuer_name(),
            },
            intermediates,
            at,
            &mut path,
        )?;
        Ok(Chain { path })
    }

    /// Depth-first search upwards from one certificate. On success `path` holds the
    /// CAs from the certificate's issuer to the anchor.
    fn extend<'a>(
        &'a self,
        link: Link<'_>,
        intermediates: &'a [CaCertificate],
        at: OffsetDateTime,
        path: &mut Vec<CaCertificate>,
    ) -> std::result::Result<(), ChainError> {
        let mut failure = ChainError::IssuerNotFound {
            issuer: link.issuer_label.to_owned(),
        };
        let named = |ca: &&CaCertificate| ca.is_named(link.issuer_der, link.issuer_key);

        for anchor in self.anchors.iter().filter(named) {
            match link.signed.verify_with(&anchor.public_key) {
                Ok(()) if anchor.valid_at(at) => {
                    path.push(anchor.clone());
                    return Ok(());
                }
                Ok(()) => failure = failure.worse(not_valid(anchor)),
                Err(e) => failure = failure.worse(signature_failure(anchor, e)),
            }
        }
        if path.len() + 1 >= MAX_CHAIN_DEPTH {
            return Err(failure.worse(ChainError::TooLong));
        }
        for ca in intermediates.iter().filter(named) {
            if path.iter().any(|p| p.fingerprint == ca.fingerprint) {
                continue; // a loop
            }
            match link.signed.verify_with(&ca.public_key) {
                Ok(()) if ca.valid_at(at) => {
                    path.push(ca.clone());
                    let next = Link {
                        signed: &ca.signed,
                        issuer_der: &ca.issuer_der,
                        issuer_key: &ca.issuer_key,
                        issuer_label: ca.name(),
                    };
                    match self.extend(next, intermediates, at, path) {
                        Ok(()) => return Ok(()),
                        Err(e) => {
                            path.pop();
                            failure = failure.worse(e);
                        }
                    }
                }
                Ok(()) => failure = failure.worse(not_valid(ca)),
                Err(e) => failure = failure.worse(signature_failure(ca, e)),
            }
        }
        Err(failure)
    }
}

/// One step of the search: a signed certificate and the issuer it names.
struct Link<'a> {
    signed: &'a SignedParts,
    issuer_der: &'a [u8],
    issuer_key: &'a str,
    issuer_label: &'a str,
}

fn not_valid(ca: &CaCertificate) -> ChainError {
    ChainError::IssuerNotValid {
        issuer: ca.name().to_owned(),
        not_before: ca.not_before,
        not_after: ca.not_after,
    }
}

fn signature_failure(ca: &CaCertificate, e: SignatureFailure) -> ChainError {
    match e {
        SignatureFailure::UnsupportedAlgorithm(oid) => ChainError::UnsupportedAlgorithm { oid },
        SignatureFailure::KeyTooSmall { oid, bits } => ChainError::UnsupportedAlgorithm {
            oid: format!("{oid} con una llave RSA de {bits} bits"),
        },
        SignatureFailure::AlgorithmMismatch | SignatureFailure::Mismatch => {
            ChainError::BadSignature {
                issuer: ca.name().to_owned(),
            }
        }
    }
}

/// A verified path from a certificate to a trust anchor.
#[derive(Clone, Debug)]
pub struct Chain {
    /// The certificate's issuer first, the anchor last.
    path: Vec<CaCertificate>,
}

impl Chain {
    /// The CAs from the certificate's issuer up to the anchor.
    pub fn certificates(&self) -> &[CaCertificate] {
        &self.path
    }

    /// The CA that issued the certificate.
    pub fn issuer(&self) -> Option<&CaCertificate> {
        self.path.first()
    }

    /// The trust anchor reached.
    pub fn anchor(&self) -> Option<&CaCertificate> {
        self.path.last()
    }
}

/// Why no trusted chain was found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainError {
    /// No anchor or intermediate has the issuer's name: the issuing CA is not
    /// configured (e.g. SAT's test root missing). The chain is indeterminate.
    IssuerNotFound {
        /// The issuer's name.
        issuer: String,
    },
    /// A CA with the issuer's name exists but its key does not verify the
    /// signature: the certificate is forged or altered.
    BadSignature {
        /// The CA's name.
        issuer: String,
    },
    /// The issuing CA was not valid at the signing time.
    IssuerNotValid {
        /// The CA's name.
        issuer: String,
        /// Its start of validity.
        not_before: OffsetDateTime,
        /// Its end of validity.
        not_after: OffsetDateTime,
    },
    /// The signature algorithm is not RSA with SHA-1/2 (the OID), or the issuer's
    /// key is too short to check it (SHA-2 needs 2048 bits).
    UnsupportedAlgorithm {
        /// The algorithm's OID; with a short key, followed by the key's size.
        oid: String,
    },
    /// More CAs than any SAT chain has.
    TooLong,
    /// The certificate could not be re-read.
    Malformed,
}

impl ChainError {
    /// Whether this is a definite "no" (forged, expired CA) rather than "cannot
    /// tell" (issuer not configured, algorithm we cannot check).
    pub fn is_definite(&self) -> bool {
        !matches!(
            self,
            Self::IssuerNotFound { .. } | Self::TooLong | Self::UnsupportedAlgorithm { .. }
        )
    }

    /// Keeps the more informative of two failures (a bad signature says more than
    /// "not found").
    fn worse(self, other: Self) -> Self {
        fn rank(e: &ChainError) -> u8 {
            match e {
                ChainError::IssuerNotFound { .. } => 0,
                ChainError::TooLong => 1,
                ChainError::UnsupportedAlgorithm { .. } => 2,
                ChainError::IssuerNotValid { .. } => 3,
                ChainError::Malformed => 4,
                ChainError::BadSignature { .. } => 5,
            }
        }
        if rank(&other) > rank(&self) {
            other
        } else {
            self
        }
    }
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IssuerNotFound { issuer } => write!(
                f,
                "la autoridad emisora «{issuer}» no está entre las autoridades de confianza configuradas"
            ),
            Self::BadSignature { issuer } => write!(
                f,
                "la firma del certificado no corresponde a la autoridad «{issuer}»: el certificado fue alterado o no lo emitió esa autoridad"
            ),
            Self::IssuerNotValid {
                issuer,
                not_before,
                not_after,
            } => write!(
                f,
                "el certificado de la autoridad «{issuer}» no estaba vigente en la fecha de firma (vigente del {} al {})",
                crate::fecha(not_before),
                crate::fecha(not_after)
            ),
            Self::UnsupportedAlgorithm { oid } => write!(
                f,
                "el certificado está firmado con un algoritmo no admitido ({oid})"
            ),
            Self::TooLong => f.write_str("la cadena de certificación es demasiado larga"),
            Self::Malformed => f.write_str("el certificado no se pudo leer"),
        }
    }
}

impl std::error::Error for ChainError {}
