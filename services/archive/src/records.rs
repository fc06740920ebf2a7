//! Signed records: from `route.completed` to an archived, logged, public
//! record (000 V.10, VII.7) — or a recorded refusal.
//!
//! The event handler only writes an ingest job in the inbox transaction (so
//! a repeated event is one job, and a crash loses nothing). A worker then
//! fetches the final PDF from the signing service, checks it is the PDF the
//! event named (SHA-256), **verifies every signature again** with the same
//! library the signing service uses, and only when every signature is valid
//! and every signature field is signed archives it as a public record. Any
//! other outcome is a refusal, kept with its reason and the verification
//! report, and never archived as good.

use std::sync::Arc;
use std::time::Duration;

use rubrica_fiel::{Validator, Verdict};
use rubrica_pdfsign::VerificationReport;
use rubrica_platform::Bytes;
use rubrica_platform::db::now_ms;
use rubrica_platform::events::backoff;
use rubrica_platform::{
    Caller, Event, EventHandler, HandlerError, HandlerFuture, ServiceContext, ServiceName,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use crate::archive::{Archive, Deposit};
use crate::digest::{Digest32, Sha256};
use rubrica_contracts::client::{As, ServiceClient};

/// The event this service emits once a record is archived.
pub use rubrica_contracts::events::RECORD_ARCHIVED;
/// The event that brings a record.
pub use rubrica_contracts::events::ROUTE_COMPLETED;

/// Attempts to fetch and archive before a job is given up as refused.
const MAX_ATTEMPTS: i64 = 25;
/// How long a worker holds a claimed job.
const LEASE_MS: i64 = 120_000;

/// What the archive reads of `route.completed` (the signing service's
/// payload; extra fields are ignored).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RouteCompleted {
    pub secretariat: SecretariatRef,
    pub route: RouteRef,
    pub document: DocumentRef,
}

/// Its `utc_offset_minutes` dates the record at the secretariat's own offset.
pub use rubrica_contracts::events::SecretariatRef;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RouteRef {
    pub id: String,
    pub title: String,
    /// `acta`, `minuta`, `convocatoria`, `entrega_recepcion`…
    pub record_kind: String,
    #[serde(default)]
    pub folio: Option<String>,
}

/// Where the final signed PDF is, in the emitting suite.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DocumentRef {
    pub sha256: String,
    pub service: ServiceName,
    pub path: String,
    #[serde(default)]
    pub size: Option<u64>,
}

/// One signer of an archived record, as published: name, seat, role and
/// certificate number — never CURP, RFC or e-mail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PublicSigner {
    pub name: String,
    pub seat: Option<String>,
    pub role: Option<String>,
    /// The 20-digit SAT certificate number.
    pub certificate_number: Option<String>,
    /// The claimed signing time (`/M`), RFC 3339.
    pub signing_time: Option<String>,
    /// `valida`, `invalida` or `indeterminada`.
    pub verdict: String,
}

/// Spanish word of a verdict, as published.
pub fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Valid => "valida",
        Verdict::Invalid => "invalida",
        Verdict::Indeterminate => "indeterminada",
    }
}

/// The signers of a verified PDF, in signature order.
pub fn public_signers(report: &VerificationReport) -> Vec<PublicSigner> {
    report
        .signatures
        .iter()
        .map(|s| PublicSigner {
            // The holder named by the certificate, never text of the PDF
            // (its layout can claim any name).
            name: s
                .certificate
                .as_ref()
                .map(|c| c.holder_name.clone())
                .unwrap_or_else(|| "firmante sin certificado legible".into()),
            seat: s.expected_signer.as_ref().map(|e| e.seat.clone()),
            role: s.expected_signer.as_ref().map(|e| e.role.clone()),
            certificate_number: s.certificate.as_ref().map(|c| c.number.clone()),
            signing_time: s.signing_time.and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
            verdict: verdict_word(s.verdict).to_string(),
        })
        .collect()
}

/// A name compared as SAT writes it: the suite's folding
/// ([`rubrica_rules::fold`]: no case, no accents) over single spaces, so
/// «María  González» and «MARIA GONZALEZ» are the same name.
fn comparable_name(name: &str) -> String {
    rubrica_rules::fold(&name.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Why a verified record is refused because a seat names someone other
/// than the holder of the certificate that signed it; `None` when every
/// signature's certificate is the member the layout names (RFC and name).
pub fn signer_mismatch(report: &VerificationReport) -> Option<String> {
    let mismatches: Vec<String> = report
        .signatures
        .iter()
        .filter_map(|s| {
            let expected = s.expected_signer.as_ref()?;
            let Some(cert) = s.certificate.as_ref() else {
                return Some(format!(
                    "la firma del campo {} no trae un certificado legible",
                    s.field
                ));
            };
            let same_rfc = cert.rfc.as_str().eq_ignore_ascii_case(expected.rfc.trim());
            let (holder, named) = (
                comparable_name(&cert.holder_name),
                comparable_name(&expected.name),
            );
            // A legal entity's certificate adds its legal form («SA DE CV»).
            let legal_entity = cert.rfc.as_str().len() == 12;
            let same_name = holder == named
                || (legal_entity
                    && !named.is_empty()
                    && holder.starts_with(&format!("{named}_")));
            (!same_rfc || !same_name).then(|| {
                format!(
                    "el asiento «{}» nombra a «{}» (RFC {}), pero firmó el certificado de «{}» (RFC {})",
                    expected.seat, expected.name, expected.rfc, cert.holder_name, cert.rfc
                )
            })
        })
        .collect();
    (!mismatches.is_empty()).then(|| {
        format!(
            "Los firmantes del acta no son los titulares de los certificados: {}. No se publica: abra de nuevo la firma desde el documento aprobado, con los integrantes que asistieron.",
            mismatches.join("; ")
        )
    })
}

/// The trust anchors the archive verifies against: `auth.trust_anchors_dir`,
/// the same SAT roots that decide logins and signatures. `Err` keeps the
/// Spanish reason verification is impossible (records then wait, and are
/// never archived unverified).
pub fn validator_from(settings: &rubrica_platform::Settings) -> Result<Validator, String> {
    rubrica_platform::trust::validator(settings).map(|v| Validator::clone(&v))
}

/// Records an ingest job for every `route.completed`, in the inbox
/// transaction, and wakes the [`Ingestor`] once it is committed.
pub struct OnRouteCompleted {
    db: rubrica_platform::Database,
    wake: Arc<Notify>,
}

impl EventHandler for OnRouteCompleted {
    fn handle<'a>(&'a self, tx: &'a mut AnyConnection, event: &'a Event) -> HandlerFuture<'a> {
        Box::pin(async move {
            let payload: RouteCompleted = serde_json::from_value(event.payload.clone())
                .map_err(|e| {
                    HandlerError::Rejected(format!(
                        "El evento route.completed no tiene la forma esperada ({e}); no se puede archivar su registro."
                    ))
                })?;
            if Digest32::parse(&payload.document.sha256).is_err()
                || !payload.document.path.starts_with('/')
            {
                return Err(HandlerError::Rejected(
                    "El evento route.completed no indica la huella SHA-256 o la ruta del PDF firmado; no se puede archivar su registro.".into(),
                ));
            }
            let now = now_ms();
            sqlx::query(
                "INSERT INTO archive_ingest_jobs (route_id, event_id, payload, state, attempts, next_attempt_at, created_at, updated_at)
                 VALUES ($1, $2, $3, 'pendiente', 0, $4, $4, $4) ON CONFLICT (route_id) DO NOTHING",
            )
            .bind(&payload.route.id)
            .bind(&event.id)
            .bind(event.payload.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| HandlerError::Failed(anyhow::Error::new(e).context("guardando el trabajo de archivo")))?;
            rubrica_platform::events::wake_after_commit(
                self.db.clone(),
                &event.id,
                self.wake.clone(),
            );
            Ok(())
        })
    }
}

/// Why one attempt did not finish a job.
enum Outcome {
    /// Archived now (or found archived).
    Archived(String),
    /// Not a good record: refused for good, with the report when there is one.
    Refused {
        reason: String,
        sha256: Option<String>,
        report: Option<serde_json::Value>,
    },
    /// May pass later (the signing service down, trust anchors missing…).
    Retry(String),
}

/// Fetches, verifies and archives the jobs `route.completed` left.
#[derive(Clone)]
pub struct Ingestor {
    archive: Archive,
    validator: Arc<Result<Validator, String>>,
    /// Woken when `route.completed` left a job (see [`OnRouteCompleted`]).
    wake: Arc<Notify>,
}

impl Ingestor {
    pub fn new(archive: Archive) -> Self {
        // Without trust anchors nothing is archived as good: each job waits,
        // with this reason as its last error, until the anchors are configured.
        let validator = validator_from(&archive.context().settings);
        Ingestor {
            archive,
            validator: Arc::new(validator),
            wake: Arc::new(Notify::new()),
        }
    }

    /// The event handler that feeds this worker.
    pub fn handler(&self) -> OnRouteCompleted {
        OnRouteCompleted {
            db: self.archive.context().db.clone(),
            wake: self.wake.clone(),
        }
    }

    /// The verifier (shared with public verification).
    pub fn validator(&self) -> Arc<Result<Validator, String>> {
        self.validator.clone()
    }

    fn ctx(&self) -> &ServiceContext {
        self.archive.context()
    }

    /// Works until `stop`: claims due jobs and runs them.
    pub async fn run(self, stop: CancellationToken) {
        let poll =
            Duration::from_millis(self.ctx().settings.relay.poll_interval_ms.clamp(50, 5_000));
        loop {
            match self.round().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "el archivo no pudo revisar sus trabajos pendientes")
                }
            }
            let woken = self.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = &mut woken => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// One round; `true` when it did something (look again at once).
    pub async fn round(&self) -> anyhow::Result<bool> {
        let now = now_ms();
        let mut conn = self.ctx().db.pool().acquire().await?;
        let due: Vec<String> = sqlx::query_scalar(
            "SELECT route_id FROM archive_ingest_jobs
             WHERE state = 'pendiente' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1)
             ORDER BY next_attempt_at LIMIT 8",
        )
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
        drop(conn);
        let mut worked = false;
        for route_id in due {
            if let Some(job) = self.claim(&route_id).await? {
                worked = true;
                self.run_job(job).await?;
            }
        }
        Ok(worked)
    }

    async fn claim(&self, route_id: &str) -> anyhow::Result<Option<Job>> {
        let now = now_ms();
        let mut tx = self.ctx().begin().await?;
        let claimed = sqlx::query(
            "UPDATE archive_ingest_jobs SET claimed_until = $1, attempts = attempts + 1, updated_at = $2
             WHERE route_id = $3 AND state = 'pendiente' AND (claimed_until IS NULL OR claimed_until < $2)",
        )
        .bind(now + LEASE_MS)
        .bind(now)
        .bind(route_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed != 1 {
            return Ok(None);
        }
        let (payload, attempts): (String, i64) =
            sqlx::query_as("SELECT payload, attempts FROM archive_ingest_jobs WHERE route_id = $1")
                .bind(route_id)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        let payload: RouteCompleted = serde_json::from_str(&payload)?;
        Ok(Some(Job { payload, attempts }))
    }

    async fn run_job(&self, job: Job) -> anyhow::Result<()> {
        let route_id = job.payload.route.id.clone();
        let outcome = self.attempt(&job.payload).await;
        let now = now_ms();
        let mut tx = self.ctx().begin().await?;
        match outcome {
            Outcome::Archived(sha256) => {
                sqlx::query(
                    "UPDATE archive_ingest_jobs SET state = 'archivado', sha256 = $1, claimed_until = NULL, last_error = NULL, updated_at = $2 WHERE route_id = $3",
                )
                .bind(&sha256)
                .bind(now)
                .bind(&route_id)
                .execute(&mut *tx)
                .await?;
            }
            Outcome::Refused {
                reason,
                sha256,
                report,
            } => {
                self.refuse(
                    &mut tx,
                    &job.payload,
                    &reason,
                    sha256.as_deref(),
                    report.as_ref(),
                )
                .await?;
            }
            Outcome::Retry(reason) if job.attempts >= MAX_ATTEMPTS => {
                let reason = format!(
                    "Se intentó archivar el registro {} veces sin lograrlo; el último problema fue: {reason}",
                    job.attempts
                );
                self.refuse(&mut tx, &job.payload, &reason, None, None)
                    .await?;
            }
            Outcome::Retry(reason) => {
                let relay = &self.ctx().settings.relay;
                let wait = backoff(job.attempts, relay.backoff_base_ms, relay.backoff_max_ms);
                tracing::warn!(route = %route_id, attempts = job.attempts, "el registro no se pudo archivar todavía: {reason}");
                sqlx::query(
                    "UPDATE archive_ingest_jobs SET claimed_until = NULL, last_error = $1, next_attempt_at = $2, updated_at = $3 WHERE route_id = $4",
                )
                .bind(&reason)
                .bind(now + wait as i64)
                .bind(now)
                .bind(&route_id)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn refuse(
        &self,
        tx: &mut AnyConnection,
        payload: &RouteCompleted,
        reason: &str,
        sha256: Option<&str>,
        report: Option<&serde_json::Value>,
    ) -> anyhow::Result<()> {
        let now = now_ms();
        tracing::warn!(route = %payload.route.id, "registro rechazado por el archivo: {reason}");
        sqlx::query(
            "INSERT INTO archive_refusals (id, route_id, secretariat_id, sha256, reason, report, refused_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(&payload.route.id)
        .bind(&payload.secretariat.id)
        .bind(sha256)
        .bind(reason)
        .bind(report.map(|r| r.to_string()))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE archive_ingest_jobs SET state = 'rechazado', claimed_until = NULL, last_error = $1, updated_at = $2 WHERE route_id = $3",
        )
        .bind(reason)
        .bind(now)
        .bind(&payload.route.id)
        .execute(&mut *tx)
        .await?;
        self.ctx()
            .audit(
                tx,
                &Caller::service(ServiceName::Archive),
                "registro.rechazar",
                Some(&payload.route.id),
                json!({ "motivo": reason, "huella": sha256, "secretariado": payload.secretariat.id }),
            )
            .await?;
        Ok(())
    }

    async fn attempt(&self, payload: &RouteCompleted) -> Outcome {
        let expected = match Digest32::parse(&payload.document.sha256) {
            Ok(sha) => sha,
            Err(e) => {
                return Outcome::Refused {
                    reason: format!("La huella del PDF firmado no es válida: {e}."),
                    sha256: None,
                    report: None,
                };
            }
        };
        let bytes = match self.fetch(&payload.document).await {
            Ok(bytes) => bytes,
            Err(reason) => return Outcome::Retry(reason),
        };
        let actual = Sha256::digest(&bytes);
        if actual != expected {
            return Outcome::Refused {
                reason: format!(
                    "El PDF obtenido del servicio {} tiene la huella {actual}, no la {expected} que anunció la ruta: no es el registro firmado.",
                    payload.document.service
                ),
                sha256: Some(actual.to_hex()),
                report: None,
            };
        }
        let validator = match self.validator.as_ref() {
            Ok(v) => v.clone(),
            Err(reason) => return Outcome::Retry(reason.clone()),
        };
        let pdf = bytes.clone();
        let verified = self
            .ctx()
            .compute
            .run(move || rubrica_pdfsign::verify(&pdf, &validator))
            .await;
        let report = match verified {
            Ok(Ok(report)) => report,
            Ok(Err(e)) => {
                return Outcome::Refused {
                    reason: format!("El PDF firmado no se pudo verificar: {e}"),
                    sha256: Some(actual.to_hex()),
                    report: None,
                };
            }
            Err(e) => return Outcome::Retry(format!("la verificación se interrumpió: {e}")),
        };
        let report_json = serde_json::to_value(&report).unwrap_or_default();
        if report.verdict != Verdict::Valid
            || !report.record_complete
            || report.signatures.is_empty()
        {
            let pending = report
                .pending_signers
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let reason = if report.verdict != Verdict::Valid {
                format!("La verificación no dio válido: {}", report.summary)
            } else if !pending.is_empty() {
                format!("El registro está incompleto: faltan las firmas de {pending}.")
            } else {
                format!("El registro no está completo: {}", report.summary)
            };
            return Outcome::Refused {
                reason,
                sha256: Some(actual.to_hex()),
                report: Some(report_json),
            };
        }
        if let Some(reason) = signer_mismatch(&report) {
            return Outcome::Refused {
                reason,
                sha256: Some(actual.to_hex()),
                report: Some(report_json),
            };
        }
        let inventory = bytes.clone();
        if let Err(e) = self.store(payload, bytes, actual, &report).await {
            return Outcome::Retry(format!("no se pudo guardar: {e}"));
        }
        // A signed acta de entrega-recepción completes its handover package.
        if record_kind(&payload.route.record_kind) == crate::handovers::INVENTORY_KIND
            && let Err(e) = crate::handovers::complete(
                &self.archive,
                &payload.route.id,
                inventory,
                actual,
                &record_date(&report, payload.secretariat.utc_offset_minutes),
            )
            .await
        {
            return Outcome::Retry(format!(
                "el acta de entrega-recepción se archivó, pero no su paquete: {e:#}"
            ));
        }
        Outcome::Archived(actual.to_hex())
    }

    async fn fetch(&self, document: &DocumentRef) -> Result<Bytes, String> {
        ServiceClient::new(self.ctx(), document.service)
            .timeout(Duration::from_secs(60))
            .max_body(self.archive.settings().max_object_bytes)
            .get_bytes(&document.path, As::Internal)
            .await
            .map(Bytes::from)
            .map_err(|e| format!("no se obtuvo el PDF firmado ({}): {e}", document.path))
    }

    /// Archives the verified PDF and its public record row.
    async fn store(
        &self,
        payload: &RouteCompleted,
        bytes: Bytes,
        sha256: Digest32,
        report: &VerificationReport,
    ) -> anyhow::Result<()> {
        let signers = public_signers(report);
        let record_date = record_date(report, payload.secretariat.utc_offset_minutes);
        let kind = record_kind(&payload.route.record_kind);
        let metadata = json!({
            "ruta": payload.route.id,
            "secretariado": payload.secretariat.name,
            "tipo": kind,
            "folio": payload.route.folio,
            "fecha": record_date,
            "firmantes": signers,
            "verificacion": report.summary,
        });
        let size = bytes.len() as i64;
        let ingested = self
            .archive
            .ingest(Deposit {
                source: payload.document.service,
                kind: kind.clone(),
                media_type: "application/pdf".into(),
                title: Some(payload.route.title.clone()),
                secretariat_id: Some(payload.secretariat.id.clone()),
                published: true,
                metadata,
                content: bytes,
                expected_sha256: Some(sha256),
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let now = now_ms();
        let mut tx = self.ctx().begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO archive_records (sha256, route_id, secretariat_id, secretariat_name, kind, folio, title, record_date, record_year, size_bytes, signers, refusals, archived_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '[]', $12) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256.to_hex())
        .bind(&payload.route.id)
        .bind(&payload.secretariat.id)
        .bind(&payload.secretariat.name)
        .bind(&kind)
        .bind(&payload.route.folio)
        .bind(&payload.route.title)
        .bind(&record_date)
        .bind(record_date[..4].parse::<i32>().unwrap_or(0))
        .bind(size)
        .bind(serde_json::to_string(&signers)?)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            for word in title_words(&payload.route.title) {
                sqlx::query("INSERT INTO archive_record_words (word, sha256) VALUES ($1, $2) ON CONFLICT (word, sha256) DO NOTHING")
                    .bind(&word)
                    .bind(sha256.to_hex())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO archive_word_counts (word, records) VALUES ($1, 1)
                     ON CONFLICT (word) DO UPDATE SET records = archive_word_counts.records + 1",
                )
                .bind(&word)
                .execute(&mut *tx)
                .await?;
            }
            self.ctx()
                .outbox
                .record(
                    &mut tx,
                    RECORD_ARCHIVED,
                    &json!({
                        "sha256": sha256.to_hex(),
                        "route_id": payload.route.id,
                        "secretariat_id": payload.secretariat.id,
                        "kind": kind,
                        "folio": payload.route.folio,
                        "log_index": ingested.object.log_index,
                        "url": format!("{}/records/{}", self.archive.base_url(), sha256.to_hex()),
                    }),
                )
                .await?;
        }
        self.ctx().outbox.commit(tx).await?;
        Ok(())
    }
}

struct Job {
    payload: RouteCompleted,
    attempts: i64,
}

/// A record's kind as the archive files it (`acta`, `minuta`…); anything
/// else becomes `registro`.
fn record_kind(kind: &str) -> String {
    let kind = rubrica_rules::fold(kind);
    let ok = (1..=40).contains(&kind.len())
        && kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok { kind } else { "registro".into() }
}

/// The record's date: the last signature's `/M` at the secretariat's offset,
/// `AAAA-MM-DD`. The record is complete — and so dated — on its last signature.
fn record_date(report: &VerificationReport, utc_offset_minutes: i64) -> String {
    let last = report
        .signatures
        .iter()
        .filter_map(|s| s.signing_time)
        .max()
        .unwrap_or_else(time::OffsetDateTime::now_utc);
    let local = rubrica_rules::local_time::local(last, utc_offset_minutes);
    format!(
        "{:04}-{:02}-{:02}",
        local.year(),
        u8::from(local.month()),
        local.day()
    )
}

/// The distinct searchable words of a title: lower case, without accents,
/// letters and digits only, at least two characters.
pub fn title_words(title: &str) -> Vec<String> {
    let mut words: Vec<String> = rubrica_rules::fold(title)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_string)
        .collect();
    words.sort();
    words.dedup();
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_words_are_distinct_searchable_and_skip_punctuation() {
        assert_eq!(
            title_words("Acta de la Sesión Ordinaria 2026-ORD-01, sesión"),
            [
                "01",
                "2026",
                "acta",
                "de",
                "la",
                "ord",
                "ordinaria",
                "sesion"
            ]
        );
    }

    #[test]
    fn record_kinds_are_filed_under_safe_names() {
        assert_eq!(record_kind("acta"), "acta");
        assert_eq!(record_kind("Entrega-Recepción"), "entrega_recepcion");
        assert_eq!(record_kind("../etc"), "registro");
    }
}
