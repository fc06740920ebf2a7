//! Queuing messages: the one way a message enters the mail outbox, inside
//! the caller's transaction (the event's, the scheduler's or a retry's),
//! with its idempotency key, a Message-ID of its own and an audit entry.

use std::sync::Arc;

use rubrica_platform::db::now_ms;
use rubrica_platform::{Caller, ServiceContext};
use serde_json::json;
use sqlx::AnyConnection;
use tokio::sync::Notify;

use crate::compose::{self, Sender};
use crate::db::{self, Envelope};
use crate::model::{NewMessage, Status};
use crate::settings::MailSettings;
use crate::templates::Templates;

/// What the mail service's handlers, scheduler and API share.
pub struct Mailer {
    pub context: ServiceContext,
    pub templates: Templates,
    /// The configured sender, or why it is unusable (events are then
    /// refused with that reason, so they wait as dead letters at the emitter
    /// instead of producing messages nobody can send).
    pub sender: Result<Sender, String>,
    /// The `[mail]` section of the settings.
    pub settings: MailSettings,
    /// Wakes the delivery workers.
    pub wake: Arc<Notify>,
}

/// What [`Mailer::enqueue`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// Queued for delivery.
    Queued(String),
    /// Recorded as failed at once: the recipient has no usable address.
    NoAddress(String),
    /// A message with the same idempotency key exists: nothing written.
    Duplicate,
}

impl Mailer {
    pub fn new(context: ServiceContext) -> Mailer {
        let settings: MailSettings = context.settings.section();
        Mailer {
            sender: Sender::from_settings(&settings),
            settings,
            templates: Templates::new(),
            wake: Arc::new(Notify::new()),
            context,
        }
    }

    /// The sender, or the Spanish reason it is unusable.
    pub fn sender(&self) -> Result<&Sender, String> {
        self.sender.as_ref().map_err(Clone::clone)
    }

    /// Queues `message` in `tx` unless its idempotency key was used before,
    /// and records it in the audit trail as done by `caller`.
    pub async fn enqueue(
        &self,
        tx: &mut AnyConnection,
        caller: &Caller,
        message: &NewMessage,
    ) -> Result<Enqueued, anyhow::Error> {
        let sender = self.sender().map_err(anyhow::Error::msg)?;
        let id = uuid::Uuid::now_v7().to_string();
        let message_id = sender.message_id(&id);
        let address = compose::address(message.recipient.email.as_deref());
        let (status, email, error) = match &address {
            Ok(address) => (Status::Queued, Some(address.to_string()), None),
            Err(reason) => (
                Status::Failed,
                message.recipient.email.clone(),
                Some(format!("{}: {reason}", message.recipient.name)),
            ),
        };
        let queued = db::insert_message(
            tx,
            message,
            &Envelope {
                id: &id,
                message_id: &message_id,
                email: email.as_deref(),
                status,
                last_error: error.as_deref(),
                now: now_ms(),
            },
        )
        .await?;
        if !queued {
            tracing::info!(key = %message.idempotency_key, "mensaje ya encolado antes: no se repite");
            return Ok(Enqueued::Duplicate);
        }
        let action = if status == Status::Queued {
            "correo.encolado"
        } else {
            "correo.sin_direccion"
        };
        self.context
            .audit(
                tx,
                caller,
                action,
                Some(&id),
                json!({
                    "tipo": message.kind.as_str(),
                    "evento": message.event_id,
                    "integrante": message.recipient.member_id,
                    "message_id": message_id,
                }),
            )
            .await?;
        Ok(match status {
            Status::Queued => Enqueued::Queued(id),
            _ => Enqueued::NoAddress(id),
        })
    }

    /// Wakes the workers now (for a transaction already committed).
    pub fn wake_now(&self) {
        self.wake.notify_waiters();
    }

    /// Wakes the workers once the inbox transaction that recorded `event_id`
    /// (and the messages queued with it) has committed: the platform commits
    /// after the handler returns, so the handler cannot wake them itself.
    /// Should the commit take longer than this waits, the workers' poll
    /// picks the messages up.
    pub fn wake_after_commit(&self, event_id: &str) {
        rubrica_platform::events::wake_after_commit(
            self.context.db.clone(),
            event_id,
            self.wake.clone(),
        );
    }
}
