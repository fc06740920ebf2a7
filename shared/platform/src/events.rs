//! Events between services: a transactional outbox, a relay that delivers it
//! over HTTP at least once, and an inbox that makes repeats harmless.
//!
//! ## How an event travels
//! 1. The emitting service calls [`Outbox::record`] inside the transaction of
//!    the change that caused the event; the event and one delivery row per
//!    subscriber are committed with the change, or not at all.
//! 2. The [`Relay`] of the emitting service claims due deliveries (a lease in
//!    `claimed_until`; on PostgreSQL with `FOR UPDATE SKIP LOCKED` so replicas
//!    never claim the same row) and POSTs each event to the subscriber's
//!    `/internal/events` with the internal token. A 2xx marks it delivered; a
//!    timeout, a connection error or a 5xx schedules a retry with exponential
//!    backoff and jitter; a 4xx (other than 408/429) or too many attempts make
//!    it a dead letter, kept with its last error.
//! 3. The receiver inserts the event id into `inbox_events` and runs its
//!    handler in the same transaction; an id already there is acknowledged and
//!    ignored. A process dying at any point therefore loses no event (the row
//!    is still pending, or its lease expires) and applies none twice.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::client::{As, CallError, ServiceClient};
use crate::http::State;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sqlx::{Any, AnyConnection, Row, Transaction};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::{Backend, Database, now_ms};
use crate::error::{ApiError, ApiResult, Json};
use crate::service::ServiceName;

/// The suite's wiring: which services receive each event type by default.
/// It lives here, not in the receiving services, because an emitter must know
/// its subscribers even when they run in other processes (and a service's
/// binary does not link the others). The `subscriptions` setting adds more.
pub const SUITE_SUBSCRIPTIONS: &[(&str, &[ServiceName])] = &[
    // A member asked for a one-time access link: the mail service sends it.
    ("auth.link_requested", &[ServiceName::Mail]),
    // A session closed: the documents service writes its acta or minuta.
    // The archive keeps its open data: sessions, attendance, votes, agreements.
    (
        "session.closed",
        &[ServiceName::Documents, ServiceName::Archive],
    ),
    // The mail service's messages (payloads: services/mail/README.md).
    // A convocatoria was issued, or its session changed or was cancelled:
    // every member gets it with a calendar invitation (000 V.6).
    ("convocatoria.issued", &[ServiceName::Mail]),
    ("session.updated", &[ServiceName::Mail]),
    ("session.cancelled", &[ServiceName::Mail]),
    // A signing route opened: each signer is invited, then reminded while
    // pending; signatures, refusals, cancellation and completion update who
    // is pending, tell the facilitator, and send the signed copy (000 V.8).
    ("route.opened", &[ServiceName::Mail]),
    ("route.signed", &[ServiceName::Mail]),
    ("route.refused", &[ServiceName::Mail]),
    ("route.cancelled", &[ServiceName::Mail]),
    // Completed: the mail service sends the copies, the archive verifies
    // and archives the signed record (000 V.10).
    (
        "route.completed",
        &[ServiceName::Mail, ServiceName::Archive],
    ),
    // A member's term is ending: activity report and handover (000 III.7).
    ("term.ending", &[ServiceName::Mail]),
    // Someone sent a public form with an email, or it was answered: the
    // mail service acknowledges it with its folio, then sends the answer.
    ("public.acknowledgement", &[ServiceName::Mail]),
];

/// An event as it travels between services.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Event {
    /// Unique id (UUID v7), the receiver's key for ignoring repeats.
    pub id: String,
    /// What happened, e.g. `session.closed`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The service that emitted it.
    pub source: ServiceName,
    /// When it was recorded, epoch milliseconds.
    pub occurred_at: i64,
    /// The event's data; its shape depends on the type.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// Which services receive which event types, for the whole suite (a service
/// emitting an event must know its subscribers even when they run elsewhere).
#[derive(Debug, Clone, Default)]
pub struct Subscriptions(BTreeMap<String, Vec<ServiceName>>);

impl Subscriptions {
    /// The suite's wiring plus the configured subscriptions.
    pub fn new(settings: &Settings) -> Self {
        let mut map: BTreeMap<String, Vec<ServiceName>> = BTreeMap::new();
        for (event_type, services) in SUITE_SUBSCRIPTIONS {
            map.entry(event_type.to_string())
                .or_default()
                .extend_from_slice(services);
        }
        for (event_type, services) in &settings.subscriptions {
            let entry = map.entry(event_type.clone()).or_default();
            // Config::check has already refused unknown names.
            entry.extend(
                services
                    .iter()
                    .filter_map(|s| s.parse::<ServiceName>().ok()),
            );
        }
        for subscribers in map.values_mut() {
            subscribers.sort();
            subscribers.dedup();
        }
        Subscriptions(map)
    }

    /// The services that receive `event_type`.
    pub fn subscribers(&self, event_type: &str) -> &[ServiceName] {
        self.0.get(event_type).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// A service's handle for recording events.
#[derive(Clone)]
pub struct Outbox {
    service: ServiceName,
    subscriptions: Arc<Subscriptions>,
    wake: Arc<Notify>,
}

impl Outbox {
    /// An outbox for `service`, waking `wake` (its relay) on commit.
    pub fn new(service: ServiceName, subscriptions: Arc<Subscriptions>, wake: Arc<Notify>) -> Self {
        Outbox {
            service,
            subscriptions,
            wake,
        }
    }

    /// Records an event in the caller's transaction, with one pending
    /// delivery per subscriber. Returns the event.
    pub async fn record(
        &self,
        tx: &mut AnyConnection,
        event_type: &str,
        payload: &impl Serialize,
    ) -> Result<Event, sqlx::Error> {
        let event = Event {
            id: uuid::Uuid::now_v7().to_string(),
            event_type: event_type.to_string(),
            source: self.service,
            occurred_at: now_ms(),
            payload: serde_json::to_value(payload).map_err(|e| sqlx::Error::Encode(Box::new(e)))?,
        };
        sqlx::query(
            "INSERT INTO outbox_events (id, event_type, source, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&event.id)
        .bind(&event.event_type)
        .bind(event.source.as_str())
        .bind(event.payload.to_string())
        .bind(event.occurred_at)
        .execute(&mut *tx)
        .await?;
        for subscriber in self.subscriptions.subscribers(event_type) {
            sqlx::query(
                "INSERT INTO outbox_deliveries (event_id, subscriber, status, attempts, next_attempt_at) VALUES ($1, $2, 'pending', 0, $3)",
            )
            .bind(&event.id)
            .bind(subscriber.as_str())
            .bind(event.occurred_at)
            .execute(&mut *tx)
            .await?;
        }
        Ok(event)
    }

    /// Commits a transaction that recorded events and wakes the relay, so
    /// delivery starts at once instead of at the next poll.
    pub async fn commit(&self, tx: Transaction<'_, Any>) -> Result<(), sqlx::Error> {
        tx.commit().await?;
        self.wake.notify_one();
        Ok(())
    }
}

/// Why a handler did not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event can never be applied (bad payload, unknown reference): the
    /// sender must not retry. Spanish text, shown in the dead letter.
    #[error("{0}")]
    Rejected(String),
    /// Applying failed for a reason that may pass (a dependency down): the
    /// sender retries.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// The boxed future a handler returns.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send + 'a>>;

/// Applies one type of event. It runs inside the transaction that records
/// the event id in the inbox, so its effect and the dedup mark commit
/// together.
pub trait EventHandler: Send + Sync {
    /// Applies `event` using `tx`.
    fn handle<'a>(&'a self, tx: &'a mut AnyConnection, event: &'a Event) -> HandlerFuture<'a>;
}

/// The handlers of one service, by event type.
#[derive(Clone, Default)]
pub struct EventHandlers(HashMap<String, Arc<dyn EventHandler>>);

impl EventHandlers {
    /// No handlers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the handler of `event_type`.
    pub fn on(mut self, event_type: &str, handler: impl EventHandler + 'static) -> Self {
        self.0.insert(event_type.to_string(), Arc::new(handler));
        self
    }

    fn get(&self, event_type: &str) -> Option<&Arc<dyn EventHandler>> {
        self.0.get(event_type)
    }
}

/// State of the receiving endpoint.
#[derive(Clone)]
pub(crate) struct Inbox {
    pub db: Database,
    pub outbox: Outbox,
    pub handlers: EventHandlers,
}

/// What the receiver did with an event.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Receipt {
    /// `aplicado` the first time, `duplicado` for a repeat.
    pub status: String,
}

/// Receives an event from another service's relay.
#[utoipa::path(
    post,
    path = "/internal/events",
    tag = "interno",
    summary = "Recibe un evento del relay de otro servicio (se aplica una sola vez)",
    request_body = Event,
    security(("internal_token" = [])),
    responses(
        (status = 200, description = "Evento aplicado o ya recibido antes", body = Receipt),
        (status = 401, description = "Falta el token interno", body = crate::error::Problem),
        (status = 422, description = "Evento que este servicio no puede aplicar", body = crate::error::Problem),
    )
)]
pub(crate) async fn receive(
    State(inbox): State<Inbox>,
    Json(event): Json<Event>,
) -> ApiResult<Json<Receipt>> {
    let Some(handler) = inbox.handlers.get(&event.event_type) else {
        return Err(ApiError::Unprocessable(format!(
            "Este servicio no recibe eventos de tipo «{}». Revise la configuración de suscripciones.",
            event.event_type
        )));
    };
    let mut tx = inbox
        .db
        .begin_write()
        .await
        .map_err(|e| anyhow::Error::new(e).context("abriendo la transacción del buzón"))?;
    let inserted = sqlx::query(
        "INSERT INTO inbox_events (event_id, event_type, source, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(&event.id)
    .bind(&event.event_type)
    .bind(event.source.as_str())
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(|e| anyhow::Error::new(e).context("registrando el evento en el buzón"))?
    .rows_affected();
    if inserted == 0 {
        tracing::info!(event_id = %event.id, event_type = %event.event_type, "evento repetido: ya se había aplicado");
        return Ok(Json(Receipt {
            status: "duplicado".into(),
        }));
    }
    match handler.handle(&mut tx, &event).await {
        Ok(()) => {}
        Err(HandlerError::Rejected(reason)) => return Err(ApiError::Unprocessable(reason)),
        Err(HandlerError::Failed(cause)) => {
            return Err(ApiError::Unexpected(
                cause.context(format!("aplicando el evento {}", event.id)),
            ));
        }
    }
    crate::audit::record(
        &mut tx,
        inbox.db.backend(),
        &crate::auth::Caller::service(event.source),
        "evento.aplicado",
        Some(&event.id),
        serde_json::json!({ "tipo": event.event_type }),
    )
    .await
    .map_err(|e| anyhow::Error::new(e).context("registrando el evento en la bitácora"))?;
    inbox
        .outbox
        .commit(tx)
        .await
        .map_err(|e| anyhow::Error::new(e).context("confirmando el evento recibido"))?;
    tracing::info!(event_id = %event.id, event_type = %event.event_type, source = %event.source, "evento aplicado");
    Ok(Json(Receipt {
        status: "aplicado".into(),
    }))
}

/// One delivery as the relay and the API see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    pub subscriber: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

/// Lists the deliveries of this service's outbox, newest first.
pub async fn list_deliveries(db: &Database, limit: i64) -> Result<Vec<Delivery>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT d.event_id, e.event_type, d.subscriber, d.status, d.attempts, d.next_attempt_at, d.last_error, d.delivered_at
         FROM outbox_deliveries d JOIN outbox_events e ON e.id = d.event_id
         ORDER BY e.created_at DESC, d.subscriber LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Delivery {
                event_id: r.try_get("event_id")?,
                event_type: r.try_get("event_type")?,
                subscriber: r.try_get("subscriber")?,
                status: r.try_get("status")?,
                attempts: r.try_get("attempts")?,
                next_attempt_at: r.try_get("next_attempt_at")?,
                last_error: r.try_get("last_error")?,
                delivered_at: r.try_get("delivered_at")?,
            })
        })
        .collect()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeliveriesQuery {
    /// At most this many (default 100, at most 1000).
    limit: Option<i64>,
}

/// The outbox's deliveries, for operators and tests.
#[utoipa::path(
    get,
    path = "/internal/outbox",
    tag = "interno",
    summary = "Lista las entregas del buzón de salida de eventos",
    params(DeliveriesQuery),
    security(("internal_token" = [])),
    responses(
        (status = 200, description = "Entregas del buzón de salida, las más recientes primero", body = Vec<Delivery>),
        (status = 401, description = "Falta el token interno", body = crate::error::Problem),
    )
)]
pub(crate) async fn deliveries(
    State(inbox): State<Inbox>,
    crate::error::Query(query): crate::error::Query<DeliveriesQuery>,
) -> ApiResult<Json<Vec<Delivery>>> {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let list = list_deliveries(&inbox.db, limit)
        .await
        .map_err(|e| anyhow::Error::new(e).context("listando las entregas"))?;
    Ok(Json(list))
}

/// Delivers one service's outbox.
/// The name a replica records on the deliveries it claims: `relay.replica`,
/// or the host name, with the service — stable across restarts, so a relay
/// that starts again recognises what it held when it was killed.
pub fn replica_name(settings: &Settings, service: ServiceName) -> String {
    let host = settings.relay.replica.clone().unwrap_or_else(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "local".to_owned())
    });
    format!("{host}/{service}")
}

pub struct Relay {
    pub(crate) service: ServiceName,
    pub(crate) db: Database,
    pub(crate) settings: Arc<Settings>,
    pub(crate) http: reqwest::Client,
    pub(crate) wake: Arc<Notify>,
}

/// The outcome of one delivery attempt.
enum Attempt {
    Delivered,
    /// Try again later.
    Transient(String),
    /// Never try again.
    Permanent(String),
}

impl Relay {
    /// Runs until `shutdown` is cancelled; a delivery in flight finishes
    /// first, so no attempt is left half-recorded.
    pub async fn run(self, shutdown: CancellationToken) {
        let poll = Duration::from_millis(self.settings.relay.poll_interval_ms);
        tracing::debug!(service = %self.service, "relay de eventos iniciado");
        if let Err(e) = self.release_claims().await {
            tracing::warn!(service = %self.service, error = %e, "no se pudieron liberar las entregas reservadas antes del arranque");
        }
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            match self.deliver_due().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(service = %self.service, error = %e, "el relay de eventos no pudo leer su buzón; se reintentará");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
        tracing::debug!(service = %self.service, "relay de eventos detenido");
    }

    /// Claims and attempts every due delivery once; returns how many.
    pub async fn deliver_due(&self) -> Result<usize, sqlx::Error> {
        let claimed = self.claim().await?;
        for (event_id, subscriber, attempts) in &claimed {
            let event = self.load_event(event_id).await?;
            let outcome = self.attempt(&event, subscriber).await;
            self.record_outcome(event_id, subscriber, *attempts, outcome)
                .await?;
        }
        Ok(claimed.len())
    }

    fn replica(&self) -> String {
        replica_name(&self.settings, self.service)
    }

    /// Frees the deliveries this replica had reserved before it was killed
    /// in the middle of delivering them: waiting for their lease would delay
    /// each event by a whole lease. Claims of other replicas (alive or dead)
    /// are left to their lease.
    async fn release_claims(&self) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE outbox_deliveries SET claimed_until = NULL, claimed_by = NULL
             WHERE status = 'pending' AND claimed_until IS NOT NULL AND claimed_by = $1",
        )
        .bind(self.replica())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Reserves due deliveries for this replica for one lease.
    async fn claim(&self) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
        let now = now_ms();
        let lease_end = now + self.settings.relay.lease_ms as i64;
        let lock = match self.db.backend() {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE outbox_deliveries SET claimed_until = $1, claimed_by = $4
             WHERE (event_id, subscriber) IN (
                 SELECT event_id, subscriber FROM outbox_deliveries
                 WHERE status = 'pending' AND next_attempt_at <= $2
                   AND (claimed_until IS NULL OR claimed_until < $2)
                 ORDER BY next_attempt_at LIMIT $3 {lock})
             RETURNING event_id, subscriber, attempts"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(lease_end)
            .bind(now)
            .bind(self.settings.relay.batch_size)
            .bind(self.replica())
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("event_id")?,
                    r.try_get("subscriber")?,
                    r.try_get("attempts")?,
                ))
            })
            .collect()
    }

    async fn load_event(&self, id: &str) -> Result<Event, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, event_type, source, payload, created_at FROM outbox_events WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.db.pool())
        .await?;
        let payload: String = row.try_get("payload")?;
        let source: String = row.try_get("source")?;
        Ok(Event {
            id: row.try_get("id")?,
            event_type: row.try_get("event_type")?,
            source: source.parse().unwrap_or(self.service),
            occurred_at: row.try_get("created_at")?,
            payload: serde_json::from_str(&payload)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        })
    }

    /// POSTs the event to the subscriber and classifies the answer.
    async fn attempt(&self, event: &Event, subscriber: &str) -> Attempt {
        let Ok(service) = subscriber.parse::<ServiceName>() else {
            return Attempt::Transient(format!(
                "el suscriptor «{subscriber}» no es un servicio de la instalación"
            ));
        };
        let sent = ServiceClient::with(&self.settings, &self.http, service)
            .timeout(Duration::from_millis(
                self.settings.relay.request_timeout_ms,
            ))
            .send_only(
                reqwest::Method::POST,
                "/internal/events",
                As::Internal,
                Some(event),
            )
            .await;
        match sent {
            Ok(()) => Attempt::Delivered,
            Err(error @ CallError::Status { status, .. })
                if (400..500).contains(&status) && status != 408 && status != 429 =>
            {
                Attempt::Permanent(error.to_string())
            }
            Err(error) => Attempt::Transient(error.to_string()),
        }
    }

    async fn record_outcome(
        &self,
        event_id: &str,
        subscriber: &str,
        previous_attempts: i64,
        outcome: Attempt,
    ) -> Result<(), sqlx::Error> {
        let now = now_ms();
        let attempts = previous_attempts + 1;
        let query = match &outcome {
            Attempt::Delivered => {
                tracing::info!(event_id, subscriber, attempts, "evento entregado");
                sqlx::query(
                    "UPDATE outbox_deliveries SET status = 'delivered', attempts = $1, delivered_at = $2, claimed_until = NULL, last_error = NULL
                     WHERE event_id = $3 AND subscriber = $4",
                )
                .bind(attempts)
                .bind(now)
            }
            Attempt::Permanent(error) => {
                tracing::error!(
                    event_id,
                    subscriber,
                    attempts,
                    error,
                    "evento rechazado por el receptor: queda como no entregable"
                );
                sqlx::query(
                    "UPDATE outbox_deliveries SET status = 'dead', attempts = $1, last_error = $2, claimed_until = NULL
                     WHERE event_id = $3 AND subscriber = $4",
                )
                .bind(attempts)
                .bind(error.clone())
            }
            Attempt::Transient(error) if attempts >= self.settings.relay.max_attempts => {
                tracing::error!(
                    event_id,
                    subscriber,
                    attempts,
                    error,
                    "evento sin entregar tras el máximo de intentos: queda como no entregable"
                );
                sqlx::query(
                    "UPDATE outbox_deliveries SET status = 'dead', attempts = $1, last_error = $2, claimed_until = NULL
                     WHERE event_id = $3 AND subscriber = $4",
                )
                .bind(attempts)
                .bind(error.clone())
            }
            Attempt::Transient(error) => {
                let delay = backoff(
                    attempts,
                    self.settings.relay.backoff_base_ms,
                    self.settings.relay.backoff_max_ms,
                );
                tracing::warn!(
                    event_id,
                    subscriber,
                    attempts,
                    error,
                    retry_in_ms = delay,
                    "entrega fallida; se reintentará"
                );
                sqlx::query(
                    "UPDATE outbox_deliveries SET attempts = $1, last_error = $2, next_attempt_at = $3, claimed_until = NULL
                     WHERE event_id = $4 AND subscriber = $5",
                )
                .bind(attempts)
                .bind(error.clone())
                .bind(now + delay as i64)
            }
        };
        query
            .bind(event_id)
            .bind(subscriber)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }
}

/// Wakes `wake` once the inbox transaction that recorded `event_id` has
/// committed. A handler runs inside that transaction and the platform
/// commits after it returns, so a handler that leaves work for a worker
/// cannot wake it itself: this looks for the committed inbox row a few
/// times (5 ms … 320 ms) and then wakes the worker. Should the commit take
/// longer, the worker's own poll picks the work up.
pub fn wake_after_commit(db: Database, event_id: &str, wake: Arc<Notify>) {
    let event_id = event_id.to_string();
    tokio::spawn(async move {
        for delay in [5, 10, 20, 40, 80, 160, 320] {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let committed: Result<Option<(String,)>, _> =
                sqlx::query_as("SELECT event_id FROM inbox_events WHERE event_id = $1")
                    .bind(&event_id)
                    .fetch_optional(db.pool())
                    .await;
            if matches!(committed, Ok(Some(_))) {
                break;
            }
        }
        wake.notify_waiters();
    });
}

/// Exponential backoff with "equal jitter": half the doubled delay is fixed,
/// the other half random, so retries of many events spread out but none
/// comes back almost immediately.
pub fn backoff(attempts: i64, base_ms: u64, max_ms: u64) -> u64 {
    let exponent = attempts.clamp(1, 32) as u32 - 1;
    let ceiling = base_ms.saturating_mul(1u64 << exponent.min(30)).min(max_ms);
    let half = ceiling / 2;
    half + rand::rng().random_range(0..=half.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stays_under_its_ceiling() {
        for attempts in 1..40 {
            let d = backoff(attempts, 500, 60_000);
            let ceiling = (500u64 << (attempts - 1).min(30)).min(60_000);
            assert!(d >= ceiling / 2 && d <= ceiling + 1, "{attempts}: {d}");
        }
        assert!(backoff(1, 500, 60_000) <= 501);
        assert!(backoff(10, 500, 60_000) >= 30_000);
    }
}
