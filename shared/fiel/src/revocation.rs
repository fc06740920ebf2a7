//! Revocation: has the member's certificate been revoked?
//!
//! SAT certificates carry no CRL or OCSP pointers, so the sources are
//! configured ([`RevocationSource`]): CRL files (read and signature-checked when
//! the checker is built and again whenever the files change), CRL URLs
//! (downloaded when the checker is built and refreshed in the background, every
//! [`RevocationOptions::crl_refresh`] or at the CRL's nextUpdate, whichever
//! comes first; a failed download keeps the last good CRL), and OCSP responders
//! (asked at each check, see [`crate::ocsp`]). Whatever happens, the answer says
//! what was actually established: [`RevocationStatus::NotChecked`] is never
//! presented as "not revoked".

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use crate::certificate::Certificate;
use crate::error::{FielError, Result};
use crate::input::{self, MAX_CRL_BYTES};
use crate::names;
use crate::net;
use crate::ocsp::{OcspAnswer, OcspClient};
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
    /// CRL URLs (`http://` or `https://`), downloaded at start and refreshed.
    CrlUrls(Vec<String>),
    /// An OCSP responder URL, asked about each certificate (RFC 6960).
    Ocsp(String),
    /// Several sources used together: a revocation found by any of them
    /// counts; otherwise a current OCSP "good" is preferred to a CRL's.
    Several(Vec<RevocationSource>),
}

impl RevocationSource {
    /// Combines sources, dropping empty ones; `NotConfigured` when none is left.
    pub fn several(sources: impl IntoIterator<Item = RevocationSource>) -> Self {
        let mut all: Vec<RevocationSource> = sources
            .into_iter()
            .filter(|s| match s {
                Self::NotConfigured => false,
                Self::CrlFiles(v) => !v.is_empty(),
                Self::CrlUrls(v) => !v.is_empty(),
                Self::Ocsp(url) => !url.trim().is_empty(),
                Self::Several(v) => !v.is_empty(),
            })
            .collect();
        match all.len() {
            0 => Self::NotConfigured,
            1 => all.remove(0),
            _ => Self::Several(all),
        }
    }

    fn flatten(&self, files: &mut Vec<PathBuf>, urls: &mut Vec<String>, ocsp: &mut Vec<String>) {
        match self {
            Self::NotConfigured => {}
            Self::CrlFiles(v) => files.extend(v.iter().cloned()),
            Self::CrlUrls(v) => urls.extend(v.iter().cloned()),
            Self::Ocsp(url) => ocsp.push(url.clone()),
            Self::Several(v) => v.iter().for_each(|s| s.flatten(files, urls, ocsp)),
        }
    }
}

/// Network settings of the revocation sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevocationOptions {
    /// Longest wait for an OCSP responder or a CRL download.
    pub network_timeout: Duration,
    /// How often downloaded CRLs are fetched again (sooner when a CRL's
    /// nextUpdate comes first; a failed download is retried every minute, or
    /// this often if it is shorter).
    pub crl_refresh: Duration,
}

impl Default for RevocationOptions {
    fn default() -> Self {
        Self {
            network_timeout: Duration::from_secs(5),
            crl_refresh: Duration::from_secs(60 * 60),
        }
    }
}

/// How a "not revoked" answer was established.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationMethod {
    /// A certificate revocation list.
    Crl,
    /// An OCSP responder.
    Ocsp,
}

/// What is known about a certificate's revocation at the signing time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RevocationStatus {
    /// Nobody looked: no source configured, or the source could not be reached.
    NotChecked {
        /// Why, in Spanish.
        reason: String,
    },
    /// A current, correctly signed CRL from the issuer does not list it, or a
    /// current answer of an authorised OCSP responder says it is good.
    Good {
        /// CRL or OCSP.
        method: RevocationMethod,
        /// The CRL file or URL, or the OCSP responder's URL.
        source: String,
        /// When that CRL or OCSP answer was issued (thisUpdate).
        #[serde(with = "time::serde::rfc3339")]
        issued: OffsetDateTime,
    },
    /// The issuer's CRL or OCSP responder says it is revoked.
    Revoked {
        /// The revocation date.
        #[serde(with = "time::serde::rfc3339")]
        revoked_at: OffsetDateTime,
        /// The reason, in Spanish, if given.
        reason: Option<String>,
    },
    /// A source is configured but cannot answer for this certificate (no CRL from
    /// its issuer, a CRL that had expired at the signing time, an OCSP answer
    /// "unknown" or not signed by an authorised responder).
    Unknown {
        /// Why, in Spanish.
        reason: String,
    },
}

/// One CRL, parsed and signature-checked at load time.
#[derive(Clone, Debug)]
struct LoadedCrl {
    /// Where it came from (a file or a URL, for reports).
    origin: String,
    /// Downloaded from a URL (refreshed by the checker) rather than read from a file.
    downloaded: bool,
    /// SHA-256 of the CA certificate whose key signed it.
    signer: [u8; 32],
    /// thisUpdate.
    this_update: OffsetDateTime,
    /// nextUpdate: after it, the CRL no longer speaks for the present.
    next_update: Option<OffsetDateTime>,
    /// Revoked serials (leading zeros stripped) → (date, reason code).
    revoked: HashMap<Vec<u8>, (OffsetDateTime, Option<u8>)>,
}

/// Answers revocation questions from the configured sources.
#[derive(Clone, Debug, Default)]
pub struct RevocationChecker {
    /// The configuration, to explain "not checked".
    source: RevocationSource,
    /// The CAs CRLs are verified against when they are reloaded.
    trust: TrustStore,
    /// CRL files and folders.
    crl_files: Vec<PathBuf>,
    /// CRLs from files, shared by the clones of this checker and replaced
    /// when the files change.
    state: Arc<RwLock<CrlState>>,
    /// CRLs downloaded from URLs (refreshed by a background thread that ends
    /// when the last clone of this checker is dropped).
    downloads: Option<Arc<Downloads>>,
    /// OCSP responders, asked in order until one answers.
    ocsp: Vec<Arc<OcspClient>>,
}

/// The CRLs in use and the files (name, modification time, size) they came from.
#[derive(Debug, Default)]
struct CrlState {
    crls: Vec<LoadedCrl>,
    stamp: Vec<(PathBuf, Option<SystemTime>, u64)>,
}

/// CRLs kept from URLs.
#[derive(Debug)]
struct Downloads {
    trust: TrustStore,
    options: RevocationOptions,
    by_url: RwLock<Vec<(String, Downloaded)>>,
}

/// The last good download of one URL, and when to fetch it again.
#[derive(Debug)]
struct Downloaded {
    crls: Vec<LoadedCrl>,
    /// The last failure since the last success, in Spanish.
    error: Option<String>,
    due: Instant,
}

/// Largest downloaded CRL (the same bound as a CRL file).
const MAX_DOWNLOADED_CRL_BYTES: usize = MAX_CRL_BYTES as usize;

impl Downloads {
    fn start(urls: Vec<String>, trust: &TrustStore, options: RevocationOptions) -> Arc<Self> {
        let now = Instant::now();
        let downloads = Arc::new(Self {
            trust: trust.clone(),
            options,
            by_url: RwLock::new(
                urls.into_iter()
                    .map(|url| {
                        (
                            url,
                            Downloaded {
                                crls: Vec::new(),
                                error: None,
                                due: now,
                            },
                        )
                    })
                    .collect(),
            ),
        });
        downloads.refresh_due();
        let weak: Weak<Self> = Arc::downgrade(&downloads);
        let _ = std::thread::Builder::new()
            .name("rubrica-crl-refresh".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_millis(250));
                    let Some(downloads) = weak.upgrade() else {
                        return;
                    };
                    downloads.refresh_due();
                }
            });
        downloads
    }

    fn retry(&self) -> Duration {
        self.options.crl_refresh.min(Duration::from_secs(60))
    }

    /// Downloads every URL whose time has come.
    fn refresh_due(&self) {
        let now = Instant::now();
        let due: Vec<String> = self
            .by_url
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(_, d)| d.due <= now)
            .map(|(url, _)| url.clone())
            .collect();
        for url in due {
            let fetched = net::fetch(net::Exchange {
                url: &url,
                body: None,
                accept: "application/pkix-crl, */*",
                timeout: self.options.network_timeout,
                limit: MAX_DOWNLOADED_CRL_BYTES,
            })
            .and_then(|bytes| load_crl(&url, true, &bytes, &self.trust).map_err(|e| e.to_string()));
            let mut by_url = self.by_url.write().unwrap_or_else(|e| e.into_inner());
            let Some((_, entry)) = by_url.iter_mut().find(|(u, _)| *u == url) else {
                continue;
            };
            match fetched {
                Ok(crls) => {
                    let wall = OffsetDateTime::now_utc();
                    let until_next = crls
                        .iter()
                        .filter_map(|c| c.next_update)
                        .min()
                        .map(|next| (next - wall).unsigned_abs());
                    let expired = crls
                        .iter()
                        .filter_map(|c| c.next_update)
                        .any(|next| next <= wall);
                    let wait = if expired {
                        self.retry()
                    } else {
                        until_next.map_or(self.options.crl_refresh, |d| {
                            d.min(self.options.crl_refresh)
                        })
                    };
                    entry.crls = crls;
                    entry.error = None;
                    entry.due = Instant::now() + wait.max(Duration::from_secs(1));
                }
                Err(reason) => {
                    entry.error = Some(reason);
                    entry.due = Instant::now() + self.retry();
                }
            }
        }
    }

    fn crls(&self) -> Vec<LoadedCrl> {
        self.by_url
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .flat_map(|(_, d)| d.crls.iter().cloned())
            .collect()
    }

    /// The URLs whose download keeps failing, with the reasons.
    fn failures(&self) -> Vec<String> {
        self.by_url
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter_map(|(url, d)| d.error.as_ref().map(|e| format!("{url}: {e}")))
            .collect()
    }
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
        crls.extend(load_crl(&path.display().to_string(), false, &bytes, trust)?);
    }
    Ok(crls)
}

impl RevocationChecker {
    /// Builds the checker with the default [`RevocationOptions`].
    pub fn load(source: &RevocationSource, trust: &TrustStore) -> Result<Self> {
        Self::load_with(source, trust, RevocationOptions::default())
    }

    /// Builds the checker. With CRL files, every file is parsed and its signature
    /// verified against a CA of `trust` now, so a wrong or foreign CRL is a
    /// start-up error rather than a silent "good". CRL URLs are downloaded now
    /// (a failure is not an error: those CRLs are missing until a later
    /// download succeeds, and the reports say so).
    pub fn load_with(
        source: &RevocationSource,
        trust: &TrustStore,
        options: RevocationOptions,
    ) -> Result<Self> {
        let (mut files, mut urls, mut ocsp) = (Vec::new(), Vec::new(), Vec::new());
        source.flatten(&mut files, &mut urls, &mut ocsp);
        let mut state = CrlState::default();
        if !files.is_empty() {
            state.stamp = stamp(&files)?;
            state.crls = load_all(&files, trust)?;
        }
        let downloads = (!urls.is_empty()).then(|| Downloads::start(urls, trust, options));
        Ok(Self {
            source: source.clone(),
            trust: trust.clone(),
            crl_files: files,
            state: Arc::new(RwLock::new(state)),
            downloads,
            ocsp: ocsp
                .into_iter()
                .map(|url| Arc::new(OcspClient::new(url, options.network_timeout)))
                .collect(),
        })
    }

    /// Reloads the CRL files when one was added, replaced or removed (the
    /// folder is refreshed while the services run). A file that does not
    /// load (half-copied, not from a trusted CA) leaves the CRLs already
    /// verified in use.
    fn refresh(&self) {
        if self.crl_files.is_empty() {
            return;
        }
        let Ok(now) = stamp(&self.crl_files) else {
            return;
        };
        if self.state.read().unwrap_or_else(|e| e.into_inner()).stamp == now {
            return;
        }
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if let Ok(crls) = load_all(&self.crl_files, &self.trust) {
            state.crls = crls;
        }
        state.stamp = now;
    }

    /// A checker that checks nothing (reports [`RevocationStatus::NotChecked`]).
    pub fn not_configured() -> Self {
        Self::default()
    }

    /// The revocation status of `certificate` at `at`, given the chain found for it
    /// (without a chain the issuer is unknown, so no CRL or OCSP answer can be
    /// trusted for it).
    pub fn check(
        &self,
        certificate: &Certificate,
        chain: Option<&Chain>,
        at: OffsetDateTime,
    ) -> RevocationStatus {
        if self.source == RevocationSource::NotConfigured {
            return RevocationStatus::NotChecked {
                reason: "no hay una fuente de revocación (CRL u OCSP) configurada".to_owned(),
            };
        }
        let Some(issuer) = chain.and_then(Chain::issuer) else {
            return RevocationStatus::Unknown {
                reason:
                    "no se pudo confirmar la autoridad emisora, así que ninguna CRL ni respuesta OCSP puede aplicarse"
                        .to_owned(),
            };
        };
        let has_crls = !self.crl_files.is_empty() || self.downloads.is_some();
        let crl = has_crls.then(|| self.check_crls(certificate, issuer, at));
        if let Some(revoked @ RevocationStatus::Revoked { .. }) = crl {
            return revoked;
        }
        let ocsp = (!self.ocsp.is_empty()).then(|| self.check_ocsp(certificate, issuer));
        let rank = |s: &RevocationStatus| match s {
            RevocationStatus::Revoked { .. } => 0,
            RevocationStatus::Good { .. } => 1,
            RevocationStatus::Unknown { .. } => 2,
            RevocationStatus::NotChecked { .. } => 3,
        };
        // OCSP first: among answers of the same rank, its is the fresher one.
        [ocsp, crl]
            .into_iter()
            .flatten()
            .min_by_key(rank)
            .unwrap_or_else(|| RevocationStatus::NotChecked {
                reason: "no hay una fuente de revocación (CRL u OCSP) configurada".to_owned(),
            })
    }

    fn check_ocsp(&self, certificate: &Certificate, issuer: &CaCertificate) -> RevocationStatus {
        let mut unreachable = Vec::new();
        for client in &self.ocsp {
            match client.query(certificate, issuer) {
                OcspAnswer::Good { this_update } => {
                    return RevocationStatus::Good {
                        method: RevocationMethod::Ocsp,
                        source: client.url().to_owned(),
                        issued: this_update,
                    };
                }
                OcspAnswer::Revoked { revoked_at, reason } => {
                    return RevocationStatus::Revoked {
                        revoked_at,
                        reason: reason.filter(|r| *r != 8).map(reason_text),
                    };
                }
                OcspAnswer::Unusable(reason) => {
                    return RevocationStatus::Unknown {
                        reason: format!("servicio OCSP {}: {reason}", client.url()),
                    };
                }
                OcspAnswer::Unreachable(reason) => unreachable.push(reason),
            }
        }
        RevocationStatus::NotChecked {
            reason: format!(
                "no se pudo consultar el servicio OCSP ({})",
                unreachable.join("; ")
            ),
        }
    }

    fn check_crls(
        &self,
        certificate: &Certificate,
        issuer: &CaCertificate,
        at: OffsetDateTime,
    ) -> RevocationStatus {
        self.refresh();
        let mut crls = self
            .state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .crls
            .clone();
        if let Some(downloads) = &self.downloads {
            crls.extend(downloads.crls());
        }
        let from_issuer: Vec<&LoadedCrl> = crls
            .iter()
            .filter(|c| c.signer == issuer.fingerprint_sha256())
            .collect();
        let failures = self
            .downloads
            .as_ref()
            .map(|d| d.failures())
            .unwrap_or_default();
        if from_issuer.is_empty() {
            if !failures.is_empty() {
                return RevocationStatus::NotChecked {
                    reason: format!(
                        "no se pudo descargar la CRL de la autoridad «{}» ({})",
                        issuer.name(),
                        failures.join("; ")
                    ),
                };
            }
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
                method: RevocationMethod::Crl,
                source: crl.origin.clone(),
                issued: crl.this_update,
            },
            // Downloaded CRLs past their nextUpdate: the fresh one could not be
            // fetched, so nothing was checked (rather than "unknown").
            None if from_issuer.iter().all(|c| c.downloaded) => RevocationStatus::NotChecked {
                reason: format!(
                    "la CRL descargada de la autoridad «{}» venció y no se ha podido descargar una nueva{}",
                    issuer.name(),
                    if failures.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", failures.join("; "))
                    }
                ),
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
fn load_crl(
    origin: &str,
    downloaded: bool,
    bytes: &[u8],
    trust: &TrustStore,
) -> Result<Vec<LoadedCrl>> {
    let path = Path::new(origin);
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
            origin: origin.to_owned(),
            downloaded,
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
    fn sources_combine_and_serialize() {
        let source = RevocationSource::several([
            RevocationSource::NotConfigured,
            RevocationSource::CrlUrls(Vec::new()),
            RevocationSource::Ocsp("http://ocsp.example".into()),
        ]);
        assert_eq!(source, RevocationSource::Ocsp("http://ocsp.example".into()));
        let json = serde_json::to_string(&source).unwrap();
        assert_eq!(json, r#"{"type":"ocsp","value":"http://ocsp.example"}"#);
        assert_eq!(
            RevocationSource::several([RevocationSource::Ocsp(" ".into())]),
            RevocationSource::NotConfigured
        );
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
