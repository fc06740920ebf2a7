//! A member's `.cer`: who it names and what it may be used for.
//!
//! [`Certificate`] is parsed once, at the edge, into owned fields (holder, RFC,
//! CURP, certificate number, validity, FIEL-or-CSD), so the rest of the suite asks
//! questions of a value that is known to be a readable RSA certificate with an RFC.
//! The exact DER is kept because CMS and PDF signatures embed and hash it.

use std::fmt;
use std::path::Path;

use serde::Serialize;
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;

use crate::crypto::{self, KeyFailure, RsaPublicKey, SignatureAlgorithm};
use crate::digest::Sha256;
use crate::error::{FielError, Result};
use crate::ids::{CertificateNumber, Curp, Rfc};
use crate::input::{self, MAX_CREDENTIAL_BYTES};
use crate::names::{self, oid};

/// Smallest RSA modulus accepted for a signer.
pub(crate) const MIN_SIGNER_KEY_BITS: usize = 2048;

/// What a SAT certificate is for, decided from its extensions and subject.
///
/// Only a [`CertificateKind::Fiel`] may sign records: a CSD (*sello digital*) is a
/// company's invoicing seal, issued per branch, and signing an acta with it would
/// not bind the person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateKind {
    /// e.firma: keyUsage digitalSignature + nonRepudiation + dataEncipherment +
    /// keyAgreement and extKeyUsage emailProtection + clientAuth.
    Fiel,
    /// Certificado de Sello Digital: no extKeyUsage, and an OU (branch) in the
    /// subject or only digitalSignature + nonRepudiation.
    Csd,
    /// Neither pattern: not something SAT issues to sign with.
    Other,
}

impl CertificateKind {
    /// The Spanish name shown to people.
    pub fn description(self) -> &'static str {
        match self {
            Self::Fiel => "e.firma (FIEL)",
            Self::Csd => "Certificado de Sello Digital (CSD)",
            Self::Other => "certificado no reconocido como e.firma ni CSD",
        }
    }
}

/// The keyUsage bits a FIEL/CSD decision and the nonRepudiation check look at.
/// All `false` when the certificate has no keyUsage extension.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeyUsageFlags {
    /// Whether keyUsage is present at all (absent means "any" in RFC 5280, which
    /// a FIEL never relies on).
    pub present: bool,
    /// digitalSignature.
    pub digital_signature: bool,
    /// nonRepudiation (contentCommitment): required to sign a record.
    pub non_repudiation: bool,
    /// keyEncipherment.
    pub key_encipherment: bool,
    /// dataEncipherment: set on FIELs.
    pub data_encipherment: bool,
    /// keyAgreement: set on FIELs.
    pub key_agreement: bool,
    /// keyCertSign: CA certificates only.
    pub key_cert_sign: bool,
    /// cRLSign: CA certificates only.
    pub crl_sign: bool,
}

/// The extKeyUsage purposes a FIEL carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ExtendedKeyUsageFlags {
    /// emailProtection (S/MIME).
    pub email_protection: bool,
    /// clientAuth (TLS client, SAT portals).
    pub client_auth: bool,
    /// Any other purpose listed.
    pub other: bool,
}

/// The public facts of a certificate in one serialisable value: what the signing
/// service stores in a route's history and what APIs return about a signer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateSummary {
    /// SAT certificate number, or the serial in hex.
    pub number: String,
    /// The holder's RFC.
    pub rfc: Rfc,
    /// A legal entity's representative's RFC.
    pub representative_rfc: Option<Rfc>,
    /// The holder's CURP.
    pub curp: Option<Curp>,
    /// A legal entity's representative's CURP.
    pub representative_curp: Option<Curp>,
    /// The holder's name.
    pub holder_name: String,
    /// The issuing CA's name.
    pub issuer: String,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// FIEL, CSD or other.
    pub kind: CertificateKind,
    /// SHA-256 of the DER, lowercase hex.
    pub fingerprint_sha256: String,
}

/// A parsed end-entity certificate (FIEL, CSD or other) with an RSA key and an RFC.
#[derive(Clone)]
pub struct Certificate {
    /// The exact DER, for embedding in CMS and hashing (signing-certificate-v2).
    der: Vec<u8>,
    /// Subject DN as one line, for reports.
    subject: String,
    /// Issuer DN as one line, for reports.
    issuer: String,
    /// Issuer's commonName ("AC UAT"), shorter than the DN for messages.
    issuer_common_name: Option<String>,
    /// The holder as SAT prints it (CN, else `name`, else O).
    holder_name: String,
    /// The holder's RFC: first of `x500UniqueIdentifier`; how members are matched.
    rfc: Rfc,
    /// For a legal entity, its representative's RFC (second of `x500UniqueIdentifier`).
    representative_rfc: Option<Rfc>,
    /// The holder's own CURP (natural persons only).
    curp: Option<Curp>,
    /// The representative's CURP (legal entities: `" / CURP"`).
    representative_curp: Option<Curp>,
    /// Subject emailAddress, to suggest a contact address.
    email: Option<String>,
    /// SAT certificate number when the serial is SAT-style.
    number: Option<CertificateNumber>,
    /// Serial number bytes as encoded (CMS IssuerAndSerialNumber needs them).
    serial: Vec<u8>,
    /// Issuer Name DER (CMS IssuerAndSerialNumber and ESSCertIDv2 need it).
    issuer_der: Vec<u8>,
    /// Issuer name normalised for matching against CA subjects.
    pub(crate) issuer_key: String,
    /// Start of validity.
    not_before: OffsetDateTime,
    /// End of validity.
    not_after: OffsetDateTime,
    /// keyUsage bits.
    key_usage: KeyUsageFlags,
    /// extKeyUsage purposes; `None` when the extension is absent (CSD).
    extended_key_usage: Option<ExtendedKeyUsageFlags>,
    /// Subject OUs: a CSD's branch.
    organizational_units: Vec<String>,
    /// FIEL, CSD or other.
    kind: CertificateKind,
    /// The public key, for verifying members' signatures.
    public_key: RsaPublicKey,
    /// SHA-256 of the DER.
    fingerprint: [u8; 32],
}

impl Certificate {
    /// Reads a certificate that may be DER (as SAT ships `.cer`) or PEM.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        input::check_size(bytes.len(), MAX_CREDENTIAL_BYTES, "un certificado")?;
        if input::looks_like_pem(bytes) {
            Self::from_pem(bytes)
        } else {
            Self::from_der(bytes)
        }
    }

    /// Reads the first `CERTIFICATE` block of PEM text.
    pub fn from_pem(bytes: &[u8]) -> Result<Self> {
        let der = first_pem_certificate(bytes)?;
        Self::from_der(&der)
    }

    /// Reads a DER certificate. Trailing bytes after the certificate are ignored;
    /// [`Certificate::der`] returns exactly the certificate.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        input::check_size(der.len(), MAX_CREDENTIAL_BYTES, "un certificado")?;
        let (_, x509) = X509Certificate::from_der(der).map_err(|e| malformed(e.to_string()))?;
        Self::from_parsed(&x509)
    }

    /// Reads a `.cer` file (DER or PEM).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let bytes = input::read_limited(path.as_ref(), MAX_CREDENTIAL_BYTES, "un certificado")?;
        Self::from_bytes(&bytes)
    }

    fn from_parsed(x509: &X509Certificate<'_>) -> Result<Self> {
        let tbs = &x509.tbs_certificate;
        let subject = tbs.subject();

        let public_key = crypto::rsa_public_key(tbs.public_key()).map_err(|e| match e {
            KeyFailure::NotRsa => FielError::UnsupportedKeyAlgorithm,
            KeyFailure::Malformed(detail) => malformed(detail),
        })?;
        let bits = public_key.bits();
        if bits < MIN_SIGNER_KEY_BITS {
            return Err(FielError::KeyTooSmall { bits });
        }

        // x500UniqueIdentifier: "RFC" or "ENTITY RFC / REPRESENTATIVE RFC".
        let rfc_field =
            names::first_of(subject, oid::UNIQUE_IDENTIFIER).ok_or(FielError::MissingRfc)?;
        let mut rfc_parts = rfc_field.split('/').map(str::trim);
        let rfc = Rfc::parse(rfc_parts.next().unwrap_or_default())?;
        // The representative's RFC is informative; a malformed one does not make
        // the certificate unusable, so it is dropped rather than refused.
        let representative_rfc = rfc_parts
            .find(|p| !p.is_empty())
            .and_then(|p| Rfc::parse(p).ok())
            .filter(|r| *r != rfc);

        // serialNumber: "CURP" (person) or " / CURP" (entity: the representative's).
        let (curp, representative_curp) = match names::first_of(subject, oid::SERIAL_NUMBER) {
            Some(field) => {
                let mut parts = field.split('/').map(str::trim);
                let own = parts.next().and_then(|p| Curp::parse(p).ok());
                let rep = parts
                    .find(|p| !p.is_empty())
                    .and_then(|p| Curp::parse(p).ok());
                (own, rep)
            }
            None => (None, None),
        };

        let holder_name = names::first_of(subject, oid::COMMON_NAME)
            .or_else(|| names::first_of(subject, oid::NAME))
            .or_else(|| names::first_of(subject, oid::ORGANIZATION))
            .unwrap_or_else(|| rfc.to_string());

        let key_usage = match tbs.key_usage() {
            Ok(Some(ku)) => {
                let v = ku.value;
                KeyUsageFlags {
                    present: true,
                    digital_signature: v.digital_signature(),
                    non_repudiation: v.non_repudiation(),
                    key_encipherment: v.key_encipherment(),
                    data_encipherment: v.data_encipherment(),
                    key_agreement: v.key_agreement(),
                    key_cert_sign: v.key_cert_sign(),
                    crl_sign: v.crl_sign(),
                }
            }
            Ok(None) => KeyUsageFlags::default(),
            Err(e) => return Err(malformed(format!("keyUsage: {e}"))),
        };
        let extended_key_usage = match tbs.extended_key_usage() {
            Ok(Some(eku)) => {
                let v = eku.value;
                Some(ExtendedKeyUsageFlags {
                    email_protection: v.email_protection,
                    client_auth: v.client_auth,
                    other: v.any
                        || v.server_auth
                        || v.code_signing
                        || v.time_stamping
                        || v.ocsp_signing
                        || !v.other.is_empty(),
                })
            }
            Ok(None) => None,
            Err(e) => return Err(malformed(format!("extKeyUsage: {e}"))),
        };
        let organizational_units = names::values_of(subject, oid::ORGANIZATIONAL_UNIT)
            .into_iter()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>();
        let kind = classify(
            key_usage,
            extended_key_usage,
            !organizational_units.is_empty(),
        );

        let serial = tbs.raw_serial().to_vec();
        let der = x509.as_raw().to_vec();
        let fingerprint = Sha256::digest(&der).into_bytes();
        Ok(Self {
            subject: names::distinguished_name(subject),
            issuer: names::distinguished_name(tbs.issuer()),
            issuer_common_name: names::first_of(tbs.issuer(), oid::COMMON_NAME),
            issuer_der: tbs.issuer().as_raw().to_vec(),
            issuer_key: names::comparable(tbs.issuer()),
            holder_name,
            rfc,
            representative_rfc,
            curp,
            representative_curp,
            email: names::first_of(subject, oid::EMAIL),
            number: CertificateNumber::from_serial(&serial),
            serial,
            not_before: tbs.validity().not_before.to_datetime(),
            not_after: tbs.validity().not_after.to_datetime(),
            key_usage,
            extended_key_usage,
            organizational_units,
            kind,
            public_key,
            fingerprint,
            der,
        })
    }

    /// The holder's name as SAT prints it (CN): a person, or a legal entity.
    pub fn holder_name(&self) -> &str {
        &self.holder_name
    }

    /// The holder's RFC: the first one in `x500UniqueIdentifier`, which is how a
    /// member is matched to a certificate.
    pub fn rfc(&self) -> &Rfc {
        &self.rfc
    }

    /// For a legal entity's certificate, the legal representative's RFC (the person
    /// who holds the key); `None` for a natural person.
    pub fn representative_rfc(&self) -> Option<&Rfc> {
        self.representative_rfc.as_ref()
    }

    /// The holder's own CURP; `None` for a legal entity (see
    /// [`Certificate::representative_curp`]) or when absent.
    pub fn curp(&self) -> Option<&Curp> {
        self.curp.as_ref()
    }

    /// The legal representative's CURP (`serialNumber` `" / CURP"`).
    pub fn representative_curp(&self) -> Option<&Curp> {
        self.representative_curp.as_ref()
    }

    /// The subject's email address, if any.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The SAT 20-digit *número de certificado*; `None` when the serial is not
    /// SAT-style (certificates from a test CA).
    pub fn certificate_number(&self) -> Option<&CertificateNumber> {
        self.number.as_ref()
    }

    /// The certificate number, or the serial in uppercase hex when it has none:
    /// what to print next to initials and in messages, always present.
    pub fn display_number(&self) -> String {
        match &self.number {
            Some(n) => n.to_string(),
            None => hex::encode_upper(&self.serial),
        }
    }

    /// Serial number bytes exactly as encoded (a leading zero included).
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }

    /// Start of validity.
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    /// End of validity.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// The issuer's common name, e.g. `AC UAT`; falls back to the DN.
    pub fn issuer_name(&self) -> &str {
        self.issuer_common_name.as_deref().unwrap_or(&self.issuer)
    }

    /// The issuer's full DN as one line.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The issuer Name's DER, for CMS `IssuerAndSerialNumber` / `ESSCertIDv2`.
    pub fn issuer_der(&self) -> &[u8] {
        &self.issuer_der
    }

    /// The subject's full DN as one line.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The certificate's exact DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// SHA-256 of the DER: a stable id for storage and for signing-certificate-v2.
    pub fn fingerprint_sha256(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// FIEL, CSD or other.
    pub fn kind(&self) -> CertificateKind {
        self.kind
    }

    /// keyUsage bits.
    pub fn key_usage(&self) -> KeyUsageFlags {
        self.key_usage
    }

    /// extKeyUsage purposes, `None` when the extension is absent.
    pub fn extended_key_usage(&self) -> Option<ExtendedKeyUsageFlags> {
        self.extended_key_usage
    }

    /// Subject OUs (a CSD's branch name).
    pub fn organizational_units(&self) -> &[String] {
        &self.organizational_units
    }

    /// RSA modulus size.
    pub fn key_bits(&self) -> usize {
        self.public_key.bits()
    }

    pub(crate) fn public_key(&self) -> &RsaPublicKey {
        &self.public_key
    }

    /// The public facts in one serialisable value.
    pub fn summary(&self) -> CertificateSummary {
        CertificateSummary {
            number: self.display_number(),
            rfc: self.rfc.clone(),
            representative_rfc: self.representative_rfc.clone(),
            curp: self.curp.clone(),
            representative_curp: self.representative_curp.clone(),
            holder_name: self.holder_name.clone(),
            issuer: self.issuer_name().to_owned(),
            not_before: self.not_before,
            not_after: self.not_after,
            kind: self.kind,
            fingerprint_sha256: hex::encode(self.fingerprint),
        }
    }

    /// Refuses anything but a FIEL, with the message a person needs: a CSD is the
    /// common mistake (same RFC, same SAT portal), so it gets its own error.
    pub fn ensure_fiel(&self) -> Result<()> {
        match self.kind {
            CertificateKind::Fiel => Ok(()),
            CertificateKind::Csd => Err(FielError::CsdNotAllowed {
                number: self.display_number(),
            }),
            CertificateKind::Other => Err(FielError::NotFiel {
                number: self.display_number(),
            }),
        }
    }

    /// Checks that `at` (the signing time) falls within the validity period.
    pub fn ensure_valid_at(&self, at: OffsetDateTime) -> Result<()> {
        if at < self.not_before {
            return Err(FielError::CertificateNotYetValid {
                number: self.display_number(),
                not_before: self.not_before,
            });
        }
        if at > self.not_after {
            return Err(FielError::CertificateExpired {
                number: self.display_number(),
                not_after: self.not_after,
            });
        }
        Ok(())
    }

    /// Verifies an RSA PKCS#1 v1.5 SHA-256 signature over `data` made by this
    /// certificate's key (a login nonce, a document's signed attributes).
    pub fn verify_sha256(&self, data: &[u8], signature: &[u8]) -> Result<()> {
        self.public_key
            .verify(SignatureAlgorithm::RsaSha256, data, signature)
            .map_err(|_| FielError::SignatureInvalid)
    }
}

/// FIEL vs CSD from the facts in DESIGN.md ("FIEL facts").
fn classify(
    ku: KeyUsageFlags,
    eku: Option<ExtendedKeyUsageFlags>,
    has_ou: bool,
) -> CertificateKind {
    let fiel_ku =
        ku.digital_signature && ku.non_repudiation && ku.data_encipherment && ku.key_agreement;
    match eku {
        Some(e) if fiel_ku && e.email_protection && e.client_auth => CertificateKind::Fiel,
        None if has_ou
            || (ku.digital_signature
                && ku.non_repudiation
                && !ku.data_encipherment
                && !ku.key_agreement
                && !ku.key_encipherment) =>
        {
            CertificateKind::Csd
        }
        _ => CertificateKind::Other,
    }
}

/// Decodes the first `CERTIFICATE` PEM block.
pub(crate) fn first_pem_certificate(bytes: &[u8]) -> Result<Vec<u8>> {
    for block in Pem::iter_from_buffer(input::strip_bom(bytes)) {
        let block = block.map_err(|e| malformed(format!("PEM: {e}")))?;
        if block.label == "CERTIFICATE" || block.label == "X509 CERTIFICATE" {
            return Ok(block.contents);
        }
    }
    Err(malformed("no CERTIFICATE block in PEM".to_owned()))
}

fn malformed(detail: String) -> FielError {
    FielError::MalformedCertificate { detail }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("number", &self.display_number())
            .field("rfc", &self.rfc)
            .field("holder_name", &self.holder_name)
            .field("kind", &self.kind)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("issuer", &self.issuer_name())
            .finish_non_exhaustive()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(ds: bool, nr: bool, de: bool, ka: bool) -> KeyUsageFlags {
        KeyUsageFlags {
            present: true,
            digital_signature: ds,
            non_repudiation: nr,
            data_encipherment: de,
            key_agreement: ka,
            ..KeyUsageFlags::default()
        }
    }

    #[test]
    fn classification_follows_the_fiel_facts() {
        let fiel_eku = Some(ExtendedKeyUsageFlags {
            email_protection: true,
            client_auth: true,
            other: false,
        });
        assert_eq!(
            classify(flags(true, true, true, true), fiel_eku, false),
            CertificateKind::Fiel
        );
        assert_eq!(
            classify(flags(true, true, false, false), None, true),
            CertificateKind::Csd
        );
        assert_eq!(
            classify(flags(true, true, false, false), None, false),
            CertificateKind::Csd
        );
        // FIEL key usages but no EKU: not a FIEL.
        assert_eq!(
            classify(flags(true, true, true, true), None, false),
            CertificateKind::Other
        );
        // EKU without clientAuth: not a FIEL.
        let smime_only = Some(ExtendedKeyUsageFlags {
            email_protection: true,
            client_auth: false,
            other: false,
        });
        assert_eq!(
            classify(flags(true, true, true, true), smime_only, false),
            CertificateKind::Other
        );
    }

    #[test]
    fn garbage_and_truncated_input_is_an_error_not_a_panic() {
        let samples: Vec<Vec<u8>> = vec![
            vec![],
            vec![0x30],
            vec![0x30, 0x82, 0xff, 0xff],
            vec![0x30, 0x03, 0x02, 0x01, 0x01],
            b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n".to_vec(),
            b"-----BEGIN CERTIFICATE-----\nMIIB\n".to_vec(),
            (0..=255u8).collect(),
        ];
        for s in samples {
            assert!(Certificate::from_bytes(&s).is_err());
        }
    }
}
