//! Revocation: has the member's certificate been revoked?
//!
//! SAT certificates carry no CRL or OCSP pointers, so the source is configured
//! ([`RevocationSource`]). CRL files are read and their signatures checked when
//! the checker is built and again whenever the files change; an OCSP responder is
//! accepted in the configuration but not queried yet. Whatever happens, the
//! answer says what was actually established: [`RevocationStatus::NotChecked`] is
//! never presented as "not revoked".

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use crate::certificate::Certificate;
use crate::error::{FielError, Result};
use crate::input::{self, MAX_CRL_BYTES};
use crate::names;
use crate::trust::{CaCertificate, Chain, SignedParts, TrustStore};

/// Where revocation information comes from; part of the service configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum RevocationSource {
    /// Nothing configured: revocation is reported as not checked.
    #[default]
    NotConfigured,
    /// CRL files (DER or PEM), or folders of `.crl` files, downloaded from the CA.
    CrlFiles(Vec<PathBuf>),
    /// An OCSP responder URL. Not queried yet: reported as not checked.
    Ocsp(String),
}

/// What is known about a certificate's revocation at the signing time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RevocationStatus {
    /// Nobody looked: no source configured, or the source is not implemented.
    NotChecked {
        /// Why, in Spanish.
        reason: String,
    },
    /// A current, correctly signed CRL from the issuer does not list it.
    Good {
        /// The CRL file that was used.
        crl: PathBuf,
        /// When that CRL was issued.
        #[serde(with = "time::serde::rfc3339")]
        crl_issued: OffsetDateTime,
    },
    /// The issuer's CRL lists it.
    Revoked {
        /// The revocation date in the CRL.
        #[serde(with = "time::serde::rfc3339")]
        revoked_at: OffsetDateTime,
        /// The CRL's reason, in Spanish, if given.
        reason: Option<String>,
    },
    /// A source is configured but cannot answer for this certificate (no CRL from
    /// its issuer, or the CRL had expired at the signing time).
    Unknown {
        /// Why, in Spanish.
        reason: String,
    },
}

/// One CRL, parsed and signature-checked at load time.
#[derive(Clone, Debug)]
struct LoadedCrl {
    /// Where it came from (for reports).
    path: PathBuf,
    /// SHA-256 of the CA certificate whose key signed it.
    signer: [u8; 32],
    /// thisUpdate.
    this_update: OffsetDateTime,
    /// nextUpdate: after it, the CRL no longer speaks for the present.
    next_update: Option<OffsetDateTime>,
    /// Revoked serials (leading zeros stripped) → (date, reason code).
    revoked: HashMap<Vec<u8>, (OffsetDateTime, Option<u8>)>,
}

/// Answers revocation questions from the configured source.
#[derive(Clone, Debug, Default)]
pub struct RevocationChecker {
    /// The configuration, to explain "not checked".
    source: RevocationSource,
    /// The CAs CRLs are verified against when they are reloaded.
    trust: TrustStore,
    /// Loaded CRLs (only with [`RevocationSource::CrlFiles`]), shared by the
    /// clones of this checker and replaced when the files change.
    state: Arc<RwLock<CrlState>>,
}

/// The CRLs in use and the files (name, modification time, size) they came from.
#[derive(Debug, Default)]
struct CrlState {
    crls: Vec<LoadedCrl>,
    stamp: Vec<(PathBuf, Option<SystemTime>, u64)>,
}

/// What the CRL files look like now, to notice a new or replaced CRL.
fn stamp(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Option<SystemTime>, u64)>> {
    Ok(crl_files(paths)?
        .into_iter()
        .map(|path| {
            let meta = std::fs::metadata(&path).ok();
            let modified = meta.as_ref().and_then(|m| m.modified().ok());
            let len = meta.map_or(0, |m| m.len());
            (path, modified, len)
        })
        .collect())
}

fn load_all(paths: &[PathBuf], trust: &TrustStore) -> Result<Vec<LoadedCrl>> {
    let mut crls = Vec::new();
    for path in crl_files(paths)? {
        let bytes = input::read_limited(&path, MAX_CRL_BYTES, "una lista de revocación")?;
        crls.extend(load_crl(&path, &bytes, trust)?);
    }
    Ok(crls)
}

impl RevocationChecker {
    /// Builds the checker. With CRL files, every file is parsed and its signature
    /// verified against a CA of `trust` now, so a wrong or foreign CRL is a
    /// start-up error rather than a silent "good".
    pub fn load(source: &RevocationSource, trust: &TrustStore) -> Result<Self> {
        let mut state = CrlState::default();
        if let RevocationSource::CrlFiles(paths) = source {
            state.stamp = stamp(paths)?;
            state.crls = load_all(paths, trust)?;
        }
        Ok(Self {
            source: source.clone(),
            trust: trust.clone(),
            state: Arc::new(RwLock::new(state)),
        })
    }

    /// Reloads the CRL files when one was added, replaced or removed (the
    /// folder is refreshed while the services run). A file that does not
    /// load (half-copied, not from a trusted CA) leaves the CRLs already
    /// verified in use.
    fn refresh(&self) {
        let RevocationSource::CrlFiles(paths) = &self.source else {
            return;
        };
        let Ok(now) = stamp(paths) else {
            return;
        };
        if self.state.read().unwrap_or_else(|e| e.into_inner()).stamp == now {
            return;
        }
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if let Ok(crls) = load_all(paths, &self.trust) {
            state.crls = crls;
        }
        state.stamp = now;
    }

    /// A checker that checks nothing (reports [`RevocationStatus::NotChecked`]).
    pub fn not_configured() -> Self {
        Self::default()
    }

    /// The revocation status of `certificate` at `at`, given the chain found for it
    /// (without a chain the issuer is unknown, so no CRL can be trusted for it).
    pub fn check(
        &self,
        certificate: &Certificate,
        chain: Option<&Chain>,
        at: OffsetDateTime,
    ) -> RevocationStatus {
        let url = match &self.source {
            RevocationSource::NotConfigured => {
                return RevocationStatus::NotChecked {
                    reason: "no hay una fuente de revocación (CRL u OCSP) configurada".to_owned(),
                };
            }
            RevocationSource::Ocsp(url) => url,
            RevocationSource::CrlFiles(_) => return self.check_crls(certificate, chain, at),
        };
        RevocationStatus::NotChecked {
            reason: format!(
                "la consulta OCSP a {url} todavía no está implementada; configure listas de revocación (CRL)"
            ),
        }
    }

    fn check_crls(
        &self,
        certificate: &Certificate,
        chain: Option<&Chain>,
        at: OffsetDateTime,
    ) -> RevocationStatus {
        let Some(issuer) = chain.and_then(Chain::issuer) else {
            return RevocationStatus::Unknown {
                reason:
                    "no se pudo confirmar la autoridad emisora, así que ninguna CRL puede aplicarse"
                        .to_owned(),
            };
        };
        self.refresh();
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        let from_issuer: Vec<&LoadedCrl> = state
            .crls
            .iter()
            .filter(|c| c.signer == issuer.fingerprint_sha256())
            .collect();
        if from_issuer.is_empty() {
            return RevocationStatus::Unknown {
                reason: format!(
                    "no hay ninguna CRL configurada de la autoridad «{}»",
                    issuer.name()
                ),
            };
        }
        // A revocation is permanent: any CRL from the issuer that lists the serial
        // settles it, current or not. removeFromCRL (8) undoes a suspension.
        let serial = strip_zeros(certificate.serial());
        let revoked = from_issuer
            .iter()
            .filter_map(|c| c.revoked.get(serial))
            .filter(|(_, reason)| *reason != Some(8))
            .min_by_key(|(date, _)| *date);
        if let Some((revoked_at, reason)) = revoked {
            return RevocationStatus::Revoked {
                revoked_at: *revoked_at,
                reason: reason.map(reason_text),
            };
        }
        // "Not listed" only counts from a CRL that was current at the signing time.
        let current = from_issuer
            .iter()
            .filter(|c| c.next_update.is_none_or(|n| n >= at))
            .max_by_key(|c| c.this_update);
        match current {
            Some(crl) => RevocationStatus::Good {
                crl: crl.path.clone(),
                crl_issued: crl.this_update,
            },
            None => RevocationStatus::Unknown {
                reason: format!(
                    "las CRL de la autoridad «{}» ya no estaban vigentes en la fecha de firma",
                    issuer.name()
                ),
            },
        }
    }
}

/// Expands folders into their `.crl` files.
fn crl_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| FielError::Io {
                path: path.clone(),
                source,
            })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .and_then(|e| e.to_str())
                            .is_some_and(|e| e.eq_ignore_ascii_case("crl"))
                })
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Parses a CRL file (DER, or PEM with one or more `X509 CRL` blocks) and verifies
/// each CRL against the trust store.
fn load_crl(path: &Path, bytes: &[u8], trust: &TrustStore) -> Result<Vec<LoadedCrl>> {
    let malformed = |detail: String| FielError::MalformedCrl {
        path: path.to_owned(),
        detail,
    };
    let mut ders = Vec::new();
    if input::looks_like_pem(bytes) {
        for block in Pem::iter_from_buffer(input::strip_bom(bytes)) {
            let block = block.map_err(|e| malformed(format!("PEM: {e}")))?;
            if block.label == "X509 CRL" {
                ders.push(block.contents);
            }
        }
        if ders.is_empty() {
            return Err(malformed("no X509 CRL block".to_owned()));
        }
    } else {
        ders.push(bytes.to_vec());
    }
    let mut loaded = Vec::new();
    for der in ders {
        let (_, crl) =
            CertificateRevocationList::from_der(&der).map_err(|e| malformed(e.to_string()))?;
        let signer = crl_signer(&crl, trust).ok_or_else(|| FielError::UntrustedCrl {
            path: path.to_owned(),
        })?;
        let mut revoked = HashMap::new();
        for entry in crl.iter_revoked_certificates() {
            let reason = entry.reason_code().map(|(_, code)| code.0);
            revoked
                .entry(strip_zeros(entry.raw_serial()).to_vec())
                .or_insert((entry.revocation_date.to_datetime(), reason));
        }
        loaded.push(LoadedCrl {
            path: path.to_owned(),
            signer: signer.fingerprint_sha256(),
            this_update: crl.last_update().to_datetime(),
            next_update: crl.next_update().map(|t| t.to_datetime()),
            revoked,
        });
    }
    Ok(loaded)
}

/// The trust-store CA, named as the CRL's issuer and allowed to sign CRLs, whose
/// key verifies the CRL.
fn crl_signer<'a>(
    crl: &CertificateRevocationList<'_>,
    trust: &'a TrustStore,
) -> Option<&'a CaCertificate> {
    let tbs = &crl.tbs_cert_list;
    let signed = SignedParts {
        tbs: tbs.as_ref().to_vec(),
        outer_oid: crl.signature_algorithm.algorithm.to_id_string(),
        inner_oid: tbs.signature.algorithm.to_id_string(),
        signature: crl.signature_value.data.to_vec(),
    };
    let issuer_der = crl.issuer().as_raw();
    let issuer_key = names::comparable(crl.issuer());
    trust.anchors().iter().find(|ca| {
        ca.is_named(issuer_der, &issuer_key)
            && ca.can_sign_crls()
            && signed.verify_with(ca.public_key()).is_ok()
    })
}

fn strip_zeros(serial: &[u8]) -> &[u8] {
    let first = serial.iter().position(|&b| b != 0).unwrap_or(serial.len());
    &serial[first..]
}

/// RFC 5280 CRLReason in Spanish.
fn reason_text(code: u8) -> String {
    match code {
        0 => "sin especificar",
        1 => "llave privada comprometida",
        2 => "autoridad certificadora comprometida",
        3 => "cambio de datos del titular",
        4 => "certificado reemplazado",
        5 => "cese de operaciones",
        6 => "certificado suspendido",
        9 => "privilegio retirado",
        10 => "autoridad de atributos comprometida",
        _ => "otro motivo",
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_compare_without_leading_zeros() {
        assert_eq!(strip_zeros(&[0, 0, 0x10, 0]), &[0x10, 0]);
        assert_eq!(strip_zeros(&[0]), &[] as &[u8]);
    }

    #[test]
    fn not_configured_and_ocsp_are_reported_as_not_checked() {
        let source = RevocationSource::Ocsp("http://ocsp.example".into());
        let checker = RevocationChecker::load(&source, &TrustStore::empty()).unwrap();
        assert!(matches!(checker.source, RevocationSource::Ocsp(_)));
        let json = serde_json::to_string(&source).unwrap();
        assert_eq!(json, r#"{"type":"ocsp","value":"http://ocsp.example"}"#);
    }

    #[test]
    fn a_garbage_crl_file_is_a_configuration_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.crl");
        std::fs::write(&path, [0x30, 0x05, 1, 2, 3]).unwrap();
        let err = RevocationChecker::load(
            &RevocationSource::CrlFiles(vec![path]),
            &TrustStore::empty(),
        )
        .unwrap_err();
        assert!(matches!(err, FielError::MalformedCrl { .. }));
    }
}
