//! Is this certificate acceptable for a signature made at a given time?
//!
//! [`Validator::validate`] runs every check and always returns a full
//! [`ValidationReport`] (serialisable, each check with a Spanish explanation), so
//! the verify report, the API and the acta can say exactly what was established;
//! [`ValidationReport::ensure_valid`] turns it into the one typed error a signer
//! needs to see. Checks: FIEL (not CSD), validity at the signing time, keyUsage
//! nonRepudiation, chain to the configured anchors, revocation.

use serde::Serialize;
use time::OffsetDateTime;

use crate::certificate::{Certificate, CertificateKind};
use crate::error::{FielError, Result};
use crate::ids::Rfc;
use crate::revocation::{
    RevocationChecker, RevocationMethod, RevocationOptions, RevocationSource, RevocationStatus,
};
use crate::trust::{CaCertificate, TrustStore};

/// The result of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Established and fine.
    Passed,
    /// Established and not fine: the signature must be refused.
    Failed,
    /// Could not be established either way (e.g. the issuing CA is not configured).
    Indeterminate,
    /// Not attempted (e.g. no revocation source). Never counts as passed in the
    /// report; whether it blocks is the validator's policy.
    NotChecked,
}

/// One check's outcome and the sentence a person reads about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The outcome.
    pub outcome: Outcome,
    /// What was found, in Spanish.
    pub explanation: String,
}

impl Check {
    fn new(outcome: Outcome, explanation: impl Into<String>) -> Self {
        Self {
            outcome,
            explanation: explanation.into(),
        }
    }
}

/// The overall answer, in the terms of the signature verification report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed (revocation may be "not checked": see the report).
    Valid,
    /// At least one check failed.
    Invalid,
    /// Nothing failed, but something could not be established.
    Indeterminate,
}

/// Everything established about one certificate for one signing time.
#[derive(Clone, Debug, Serialize)]
pub struct ValidationReport {
    /// Certificate number (or serial in hex).
    pub certificate_number: String,
    /// The holder's RFC.
    pub rfc: Rfc,
    /// The holder's name.
    pub holder_name: String,
    /// The issuing CA's name.
    pub issuer: String,
    /// The time the certificate was judged at.
    #[serde(with = "time::serde::rfc3339")]
    pub signing_time: OffsetDateTime,
    /// Start of the certificate's validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of the certificate's validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// FIEL, CSD or other.
    pub kind: CertificateKind,
    /// Is it a FIEL (a CSD is refused).
    pub certificate_type: Check,
    /// Was it valid at the signing time.
    pub validity: Check,
    /// Does keyUsage include nonRepudiation.
    pub key_usage: Check,
    /// Does it chain to a configured trust anchor.
    pub chain: Check,
    /// The CAs of the chain found, issuer first, anchor last (subject DNs).
    pub chain_path: Vec<String>,
    /// Was it revoked at the signing time.
    pub revocation: Check,
    /// The detailed revocation answer.
    pub revocation_status: RevocationStatus,
    /// The overall verdict.
    pub verdict: Verdict,
    /// One Spanish sentence summing it up.
    pub summary: String,
    /// The chain's DER (issuer first), to embed in a CMS signature.
    #[serde(skip)]
    chain_der: Vec<Vec<u8>>,
    /// The typed error for `ensure_valid`, precomputed because `FielError` is not
    /// `Clone`; rebuilt from these fields.
    #[serde(skip)]
    first_problem: Option<Problem>,
}

/// The first blocking problem, in the order a person should fix them.
#[derive(Clone, Debug)]
enum Problem {
    Csd,
    NotFiel,
    NotYetValid,
    Expired,
    NoNonRepudiation,
    Untrusted(String),
    Revoked(OffsetDateTime),
    RevocationUnknown(String),
}

impl ValidationReport {
    /// Whether the verdict is [`Verdict::Valid`].
    pub fn is_valid(&self) -> bool {
        self.verdict == Verdict::Valid
    }

    /// `Ok` when valid, otherwise the typed error of the first problem, in the order
    /// a person should fix them (CSD before expiry before trust).
    pub fn ensure_valid(&self) -> Result<()> {
        let number = self.certificate_number.clone();
        let Some(problem) = &self.first_problem else {
            return Ok(());
        };
        Err(match problem {
            Problem::Csd => FielError::CsdNotAllowed { number },
            Problem::NotFiel => FielError::NotFiel { number },
            Problem::NotYetValid => FielError::CertificateNotYetValid {
                number,
                not_before: self.not_before,
            },
            Problem::Expired => FielError::CertificateExpired {
                number,
                not_after: self.not_after,
            },
            Problem::NoNonRepudiation => FielError::MissingNonRepudiation { number },
            Problem::Untrusted(reason) => FielError::Untrusted {
                number,
                reason: reason.clone(),
            },
            Problem::Revoked(revoked_at) => FielError::Revoked {
                number,
                revoked_at: *revoked_at,
            },
            Problem::RevocationUnknown(reason) => FielError::RevocationUnknown {
                number,
                reason: reason.clone(),
            },
        })
    }

    /// The DER of the chain's CAs (issuer first, anchor last); empty when untrusted.
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain_der
    }
}

/// Validates certificates against the configured anchors and revocation source.
#[derive(Clone, Debug)]
pub struct Validator {
    /// The trust anchors.
    trust: TrustStore,
    /// The revocation source, loaded.
    revocation: RevocationChecker,
    /// Whether "revocation not checked" makes the verdict indeterminate.
    require_revocation: bool,
}

impl Validator {
    /// Builds a validator; CRL files are loaded and verified now (see
    /// [`RevocationChecker::load`]).
    pub fn new(trust: TrustStore, revocation: &RevocationSource) -> Result<Self> {
        Self::with_options(trust, revocation, RevocationOptions::default())
    }

    /// [`Validator::new`] with network settings for CRL URLs and OCSP.
    pub fn with_options(
        trust: TrustStore,
        revocation: &RevocationSource,
        options: RevocationOptions,
    ) -> Result<Self> {
        let revocation = RevocationChecker::load_with(revocation, &trust, options)?;
        Ok(Self {
            trust,
            revocation,
            require_revocation: false,
        })
    }

    /// By default a certificate whose revocation was not checked (no source
    /// configured) can still be valid, with the report saying so. Deployments that
    /// must check revocation set this, and then "not checked" is indeterminate.
    pub fn require_revocation_check(mut self, required: bool) -> Self {
        self.require_revocation = required;
        self
    }

    /// The trust anchors.
    pub fn trust_store(&self) -> &TrustStore {
        &self.trust
    }

    /// Validates `certificate` for a signature made at `signing_time`.
    pub fn validate(
        &self,
        certificate: &Certificate,
        signing_time: OffsetDateTime,
    ) -> ValidationReport {
        self.validate_with_intermediates(certificate, &[], signing_time)
    }

    /// Like [`Validator::validate`], with intermediate CAs that came with the
    /// signature (they are used to build the chain, never trusted by themselves).
    pub fn validate_with_intermediates(
        &self,
        certificate: &Certificate,
        intermediates: &[CaCertificate],
        signing_time: OffsetDateTime,
    ) -> ValidationReport {
        let at = signing_time;
        let mut problems: Vec<Problem> = Vec::new();
        let number = certificate.display_number();

        let kind = certificate.kind();
        let certificate_type = match kind {
            CertificateKind::Fiel => Check::new(Outcome::Passed, "Es una e.firma (FIEL)."),
            CertificateKind::Csd => {
                problems.push(Problem::Csd);
                Check::new(
                    Outcome::Failed,
                    "Es un Certificado de Sello Digital (CSD), que solo sirve para facturar; para firmar se requiere la e.firma (FIEL).",
                )
            }
            CertificateKind::Other => {
                problems.push(Problem::NotFiel);
                Check::new(
                    Outcome::Failed,
                    "No tiene los usos de llave de una e.firma (FIEL).",
                )
            }
        };

        let validity = if at < certificate.not_before() {
            problems.push(Problem::NotYetValid);
            Check::new(
                Outcome::Failed,
                format!(
                    "Aún no era válido en la fecha de firma ({}); es válido desde el {}.",
                    crate::fecha(&at),
                    crate::fecha(&certificate.not_before())
                ),
            )
        } else if at > certificate.not_after() {
            problems.push(Problem::Expired);
            Check::new(
                Outcome::Failed,
                format!(
                    "Había vencido en la fecha de firma ({}): venció el {}.",
                    crate::fecha(&at),
                    crate::fecha(&certificate.not_after())
                ),
            )
        } else {
            Check::new(
                Outcome::Passed,
                format!(
                    "Vigente en la fecha de firma ({}): válido del {} al {}.",
                    crate::fecha(&at),
                    crate::fecha(&certificate.not_before()),
                    crate::fecha(&certificate.not_after())
                ),
            )
        };

        let key_usage = if certificate.key_usage().non_repudiation {
            Check::new(
                Outcome::Passed,
                "Sus usos de llave permiten firmas con no repudio.",
            )
        } else {
            problems.push(Problem::NoNonRepudiation);
            Check::new(
                Outcome::Failed,
                "Sus usos de llave no incluyen el no repudio (nonRepudiation).",
            )
        };

        let chain_result = self.trust.build_chain(certificate, intermediates, at);
        let (chain, chain_path, chain_der) = match &chain_result {
            Err(_) if self.trust.is_pinned(certificate) => (
                Check::new(
                    Outcome::Passed,
                    "Certificado fijado en la configuración (carpeta «fijados» de las autoridades de confianza): se confía en este certificado concreto, no en una cadena hasta una autoridad certificadora.",
                ),
                vec![certificate.subject().to_owned()],
                Vec::new(),
            ),
            Ok(found) => {
                let anchor = found.anchor().map(CaCertificate::name).unwrap_or_default();
                (
                    Check::new(
                        Outcome::Passed,
                        format!("Emitido por una autoridad de confianza («{anchor}»)."),
                    ),
                    found
                        .certificates()
                        .iter()
                        .map(|c| c.subject().to_owned())
                        .collect(),
                    found
                        .certificates()
                        .iter()
                        .map(|c| c.der().to_vec())
                        .collect(),
                )
            }
            Err(e) => {
                problems.push(Problem::Untrusted(e.to_string()));
                let outcome = if e.is_definite() {
                    Outcome::Failed
                } else {
                    Outcome::Indeterminate
                };
                let explanation = if self.trust.is_empty() {
                    "No hay autoridades de confianza configuradas, así que no se pudo comprobar quién emitió el certificado.".to_owned()
                } else {
                    format!("No se pudo comprobar la cadena de certificación: {e}.")
                };
                (Check::new(outcome, explanation), Vec::new(), Vec::new())
            }
        };

        let revocation_status = self
            .revocation
            .check(certificate, chain_result.as_ref().ok(), at);
        let revocation = match &revocation_status {
            RevocationStatus::Good {
                method: RevocationMethod::Crl,
                issued,
                ..
            } => Check::new(
                Outcome::Passed,
                format!(
                    "No aparece en la lista de revocación de su autoridad emitida el {}.",
                    crate::fecha(issued)
                ),
            ),
            RevocationStatus::Good {
                method: RevocationMethod::Ocsp,
                issued,
                ..
            } => Check::new(
                Outcome::Passed,
                format!(
                    "El servicio OCSP de su autoridad respondió que no está revocado (respuesta del {}).",
                    crate::fecha(issued)
                ),
            ),
            RevocationStatus::Revoked { revoked_at, reason } => {
                let why = reason
                    .as_deref()
                    .map(|r| format!(" (motivo: {r})"))
                    .unwrap_or_default();
                if *revoked_at <= at {
                    problems.push(Problem::Revoked(*revoked_at));
                    Check::new(
                        Outcome::Failed,
                        format!("Fue revocado el {}{why}.", crate::fecha(revoked_at)),
                    )
                } else {
                    // Revoked after the declared signing time: without a trusted
                    // timestamp that time cannot be proven, so neither can validity.
                    problems.push(Problem::RevocationUnknown(format!(
                        "fue revocado el {}, después de la fecha de firma declarada, que no está respaldada por un sello de tiempo",
                        crate::fecha(revoked_at)
                    )));
                    Check::new(
                        Outcome::Indeterminate,
                        format!(
                            "Fue revocado el {}{why}, después de la fecha de firma declarada; sin sello de tiempo no puede comprobarse que la firma sea anterior.",
                            crate::fecha(revoked_at)
                        ),
                    )
                }
            }
            RevocationStatus::Unknown { reason } => {
                problems.push(Problem::RevocationUnknown(reason.clone()));
                Check::new(
                    Outcome::Indeterminate,
                    format!("No se pudo determinar si está revocado: {reason}."),
                )
            }
            RevocationStatus::NotChecked { reason } => {
                if self.require_revocation {
                    problems.push(Problem::RevocationUnknown(reason.clone()));
                }
                Check::new(
                    Outcome::NotChecked,
                    format!("No se verificó la revocación: {reason}."),
                )
            }
        };

        let checks = [
            &certificate_type,
            &validity,
            &key_usage,
            &chain,
            &revocation,
        ];
        let verdict = if checks.iter().any(|c| c.outcome == Outcome::Failed) {
            Verdict::Invalid
        } else if checks.iter().any(|c| c.outcome == Outcome::Indeterminate)
            || (self.require_revocation && revocation.outcome == Outcome::NotChecked)
        {
            Verdict::Indeterminate
        } else {
            Verdict::Valid
        };

        let who = format!(
            "El certificado {number} de {} (RFC {})",
            certificate.holder_name(),
            certificate.rfc()
        );
        let first_explanation = checks
            .iter()
            .find(|c| c.outcome == Outcome::Failed)
            .or_else(|| checks.iter().find(|c| c.outcome == Outcome::Indeterminate))
            .or_else(|| checks.iter().find(|c| c.outcome == Outcome::NotChecked))
            .map(|c| c.explanation.as_str())
            .unwrap_or_default();
        let summary = match verdict {
            Verdict::Valid if revocation.outcome == Outcome::NotChecked => format!(
                "{who} es una e.firma válida para firmar el {}. {first_explanation}",
                crate::fecha(&at)
            ),
            Verdict::Valid => format!(
                "{who} es una e.firma válida para firmar el {}.",
                crate::fecha(&at)
            ),
            Verdict::Invalid => format!(
                "{who} no es válido para firmar: {}",
                lowercase_first(first_explanation)
            ),
            Verdict::Indeterminate => format!(
                "No se pudo confirmar que {} sea válido para firmar: {}",
                lowercase_first(&who),
                lowercase_first(first_explanation)
            ),
        };

        ValidationReport {
            certificate_number: number,
            rfc: certificate.rfc().clone(),
            holder_name: certificate.holder_name().to_owned(),
            issuer: certificate.issuer_name().to_owned(),
            signing_time: at,
            not_before: certificate.not_before(),
            not_after: certificate.not_after(),
            kind,
            certificate_type,
            validity,
            key_usage,
            chain,
            chain_path,
            revocation,
            revocation_status,
            verdict,
            summary,
            chain_der,
            first_problem: problems.into_iter().next(),
        }
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
