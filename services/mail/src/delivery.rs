//! The delivery worker: takes due messages from the outbox, sends them,
//! and records every attempt's outcome.
//!
//! ## Why nothing is lost and nothing arrives twice with another identity
//! - A worker **claims** a message with a lease (`claimed_until`; on
//!   PostgreSQL `FOR UPDATE SKIP LOCKED`, so replicas never take the same
//!   row) and, in the same transaction, opens an attempt row.
//! - It sends, then records the outcome in one transaction (attempt closed,
//!   message sent / retried / failed, audit entry).
//! - A process that dies between sending and recording leaves the lease to
//!   run out and the attempt open: the next worker closes it as
//!   *interrumpido* and sends again **with the same Message-ID** (it is
//!   stored with the message, as are its date and body), so the recipient's
//!   mail system sees the same message, not a new one.
//! - Transient failures (4xx, connection errors, timeouts) are retried with
//!   exponential backoff and jitter; a permanent one (5xx) or too many
//!   attempts make the message *fallido*, a dead letter the facilitator can
//!   retry.
//!
//! `mail.concurrency` lanes run per process, each with one message in hand,
//! sharing the pool of SMTP connections and the attachment store: memory
//! does not grow with the size of the queue.

use std::sync::Arc;
use std::time::Duration;

use rubrica_platform::db::now_ms;
use rubrica_platform::events::backoff;
use rubrica_platform::{Caller, ServiceName};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::attachments::Attachments;
use crate::compose;
use crate::db::{self, Claimed};
use crate::model::Outcome;
use crate::queue::Mailer;
use crate::transport::{SendError, Transport};

/// What every lane of one process shares.
pub struct Deliverer {
    pub mailer: Arc<Mailer>,
    pub transport: Transport,
    pub attachments: Attachments,
    /// `<replica>#`: what every worker of this replica's processes starts with.
    replica: String,
    /// `<replica>#<this process>-`: this process's workers (then the lane).
    incarnation: String,
}

impl Deliverer {
    pub fn new(mailer: Arc<Mailer>) -> Deliverer {
        let context = &mailer.context;
        let transport = Transport::from_settings(&mailer.settings, &context.settings.data_dir);
        if let Transport::Misconfigured { reason } = &transport {
            tracing::error!("{reason}");
        }
        let attachments = Attachments::new(
            context.db.clone(),
            context.http.clone(),
            context.settings.clone(),
        );
        let replica = format!(
            "{}#",
            rubrica_platform::events::replica_name(
                &mailer.context.settings,
                rubrica_platform::ServiceName::Mail
            )
        );
        let incarnation = format!("{replica}{}-", uuid::Uuid::new_v4().simple());
        Deliverer {
            mailer,
            transport,
            attachments,
            replica,
            incarnation,
        }
    }

    /// A process of this replica that was killed left its messages claimed
    /// (leased for `mail.lease_ms`): at start they are freed at once, and
    /// their open attempt is closed as interrupted when they are claimed again.
    async fn release_dead_incarnations(&self) {
        let context = &self.mailer.context;
        let result = async {
            let mut tx = context.begin().await?;
            let freed =
                crate::db::release_claims(&mut tx, &self.replica, &self.incarnation).await?;
            tx.commit().await?;
            Ok::<u64, sqlx::Error>(freed)
        }
        .await;
        match result {
            Ok(0) => {}
            Ok(freed) => {
                tracing::info!(
                    freed,
                    "mensajes que un proceso anterior de esta réplica dejó reservados, liberados"
                );
                self.mailer.wake_now();
            }
            Err(e) => {
                tracing::warn!(error = %e, "no se pudieron liberar los mensajes de un proceso anterior; se liberan al vencer su reserva")
            }
        }
    }

    /// One lane: delivers until `stop` is cancelled, finishing the message
    /// in hand first.
    pub async fn run(self: Arc<Self>, lane: u32, stop: CancellationToken) {
        let worker = format!("{}{lane}", self.incarnation);
        if lane == 0 {
            self.release_dead_incarnations().await;
        }
        let poll = Duration::from_millis(self.mailer.settings.poll_interval_ms.max(10));
        tracing::debug!(worker, transport = %self.transport.description(), "carril de envío de correo iniciado");
        loop {
            if stop.is_cancelled() {
                break;
            }
            // Registered before looking, so a wake-up between the look and
            // the wait is not missed.
            let notified = self.mailer.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.deliver_next(&worker).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(worker, error = %e, "el envío de correo no pudo leer su buzón; se reintentará");
                }
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = &mut notified => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
        tracing::debug!(worker, "carril de envío de correo detenido");
    }

    /// Claims, sends and records one due message; false when none is due.
    pub async fn deliver_next(&self, worker: &str) -> Result<bool, anyhow::Error> {
        let Some(claimed) = self.claim(worker).await? else {
            return Ok(false);
        };
        let Some(stored) = db::load_message(&self.mailer.context.db, &claimed.id).await? else {
            return Ok(true);
        };
        let outcome = self.attempt(&stored).await;
        self.record(worker, &claimed, stored.attempts + 1, outcome)
            .await?;
        Ok(true)
    }

    async fn claim(&self, worker: &str) -> Result<Option<Claimed>, anyhow::Error> {
        let context = &self.mailer.context;
        let settings = &self.mailer.settings;
        let now = now_ms();
        let mut tx = context.begin().await?;
        let mut claimed = db::claim(
            &mut tx,
            context.db.backend(),
            worker,
            1,
            now,
            now + settings.lease_ms as i64,
        )
        .await?;
        let Some(claimed) = claimed.pop() else {
            tx.rollback().await?;
            return Ok(None);
        };
        if claimed.interrupted {
            tracing::warn!(mail_id = %claimed.id, "un intento anterior quedó interrumpido; se reenvía con el mismo Message-ID");
            context
                .audit(
                    &mut tx,
                    &Caller::service(ServiceName::Mail),
                    "correo.intento_interrumpido",
                    Some(&claimed.id),
                    json!({ "intento": claimed.attempt - 1 }),
                )
                .await?;
        }
        tx.commit().await?;
        Ok(Some(claimed))
    }

    /// Composes and hands the message to the transport.
    async fn attempt(&self, stored: &crate::model::StoredMessage) -> Result<String, SendError> {
        let sender = self.mailer.sender().map_err(SendError::transient)?.clone();
        let mut attachments = Vec::with_capacity(stored.attachments.len());
        for document in &stored.attachments {
            attachments.push((document.clone(), self.attachments.get(document).await?));
        }
        let message = stored.clone();
        let (envelope, bytes) =
            tokio::task::spawn_blocking(move || compose::build(&sender, &message, &attachments))
                .await
                .map_err(|e| {
                    SendError::transient(format!("la composición se interrumpió: {e}"))
                })??;
        self.transport.send(&stored.id, &envelope, bytes).await
    }

    /// Records how the attempt went, in one transaction with its audit entry.
    async fn record(
        &self,
        worker: &str,
        claimed: &Claimed,
        attempts: i64,
        outcome: Result<String, SendError>,
    ) -> Result<(), anyhow::Error> {
        let context = &self.mailer.context;
        let settings = &self.mailer.settings;
        let now = now_ms();
        let caller = Caller::service(ServiceName::Mail);
        let id = claimed.id.as_str();
        let mut tx = context.begin().await?;
        let (action, details) = match &outcome {
            Ok(reply) => {
                db::finish_attempt(
                    &mut tx,
                    id,
                    claimed.attempt,
                    Outcome::Sent,
                    reply_code(reply),
                    Some(reply),
                    now,
                )
                .await?;
                if !db::mark_sent(&mut tx, id, worker, attempts, now).await? {
                    tracing::warn!(
                        mail_id = id,
                        "el mensaje se envió cuando otro proceso ya lo había tomado"
                    );
                }
                tracing::info!(mail_id = id, attempts, "mensaje enviado");
                ("correo.enviado", json!({ "intentos": attempts }))
            }
            Err(error @ SendError::Transient { .. }) if attempts < settings.max_attempts => {
                let delay = backoff(attempts, settings.backoff_base_ms, settings.backoff_max_ms);
                db::finish_attempt(
                    &mut tx,
                    id,
                    claimed.attempt,
                    Outcome::Transient,
                    error.code().map(i64::from),
                    Some(error.detail()),
                    now,
                )
                .await?;
                db::mark_retry(
                    &mut tx,
                    id,
                    worker,
                    attempts,
                    error.detail(),
                    now + delay as i64,
                    now,
                )
                .await?;
                tracing::warn!(
                    mail_id = id,
                    attempts,
                    retry_in_ms = delay,
                    error = error.detail(),
                    "envío fallido; se reintentará"
                );
                (
                    "correo.reintento_programado",
                    json!({ "intentos": attempts, "error": error.detail(), "en_ms": delay }),
                )
            }
            Err(error) => {
                let outcome = match error {
                    SendError::Permanent { .. } => Outcome::Permanent,
                    SendError::Transient { .. } => Outcome::Transient,
                };
                let reason = match error {
                    SendError::Permanent { .. } => error.detail().to_string(),
                    SendError::Transient { .. } => format!(
                        "{} (se agotaron los {attempts} intentos configurados en mail.max_attempts)",
                        error.detail()
                    ),
                };
                db::finish_attempt(
                    &mut tx,
                    id,
                    claimed.attempt,
                    outcome,
                    error.code().map(i64::from),
                    Some(error.detail()),
                    now,
                )
                .await?;
                db::mark_failed(&mut tx, id, worker, attempts, &reason, now).await?;
                tracing::error!(mail_id = id, attempts, error = %reason, "mensaje no entregado: queda como fallido");
                (
                    "correo.fallido",
                    json!({ "intentos": attempts, "error": reason }),
                )
            }
        };
        context
            .audit(&mut tx, &caller, action, Some(id), details)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The SMTP code at the start of a server's reply (none for the folder).
fn reply_code(reply: &str) -> Option<i64> {
    reply
        .split_whitespace()
        .next()
        .filter(|c| c.len() == 3)
        .and_then(|c| c.parse().ok())
}
