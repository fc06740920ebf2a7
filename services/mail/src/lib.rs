//! Servicio Correo: convocatorias, invitaciones a firmar, recordatorios y
//! copias firmadas por SMTP, sin perder ni duplicar mensajes.
//!
//! # Layout
//! - [`contracts`]: the events the service reacts to and their payloads —
//!   the contract with the secretariat and signing services.
//! - [`handlers`]: events → messages, queued in the event's own inbox
//!   transaction with an idempotency key per (event, kind, recipient).
//! - [`queue`]: the one way a message enters the outbox ([`queue::Mailer`]).
//! - [`delivery`]: the worker that claims, sends, retries and records every
//!   attempt; [`transport`]: SMTP (pooled, rustls) or the `.eml` folder;
//!   [`compose`]: MIME with a stable Message-ID; [`attachments`]: documents
//!   fetched by reference and checked against their hash.
//! - [`reminders`]: the schedule of reminders to members who have not signed.
//! - [`calendar`]: Spanish dates and the sessions' iCalendar invitations.
//! - [`templates`]: the Spanish texts (`templates/mail/`).
//! - [`api`]: status per message, attempts, dead-letter retries.
//! - [`model`], [`db`]: the outbox's vocabulary and its SQL.
//! - [`outbox_folder`]: the embedded transport's files.
//!
//! The service is a library so it runs inside the `rubrica` launcher (all
//! services in one process) or alone through its own binary; [`spec`] is what
//! both hand to the platform. It owns the tables of `migrations/mail/` and no
//! other service reads them. What it expects from the others, and its
//! settings, are in `services/mail/README.md`.

use std::sync::Arc;

use rubrica_platform::{ServiceContext, ServiceName, ServiceParts, ServiceSpec};
use sqlx::migrate::Migrator;

pub mod api;
pub mod attachments;
pub mod calendar;
pub mod compose;
pub mod contracts;
pub mod db;
pub mod delivery;
pub mod handlers;
pub mod model;
pub mod outbox_folder;
pub mod queue;
pub mod reminders;
pub mod settings;
pub mod templates;
pub mod transport;

/// This service's own migrations (the platform adds its outbox and inbox).
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/mail");

/// The sections of the settings this service owns.
pub const SECTIONS: &[rubrica_platform::config::SectionSpec] =
    &[rubrica_platform::config::SectionSpec::of::<
        settings::MailSettings,
    >()];

/// The description the platform needs to run this service.
pub fn spec() -> ServiceSpec {
    ServiceSpec {
        name: ServiceName::Mail,
        description: "Convocatorias, invitaciones a firmar, recordatorios y copias firmadas por SMTP.",
        migrator: &MIGRATOR,
        access: || api::ACCESS.to_vec(),
        sections: SECTIONS,
        build: Arc::new(build),
    }
}

/// The API, the event handlers, and the background work: one delivery lane
/// per `mail.concurrency` and the reminder schedule.
fn build(context: &ServiceContext) -> ServiceParts {
    let mailer = Arc::new(queue::Mailer::new(context.clone()));
    if let Err(reason) = &mailer.sender {
        tracing::error!("{reason}");
    }
    let deliverer = Arc::new(delivery::Deliverer::new(mailer.clone()));
    for lane in 0..mailer.settings.concurrency.max(1) {
        let deliverer = deliverer.clone();
        context
            .background
            .add("correo: envío", move |stop| deliverer.run(lane, stop));
    }
    let scheduler = mailer.clone();
    context
        .background
        .add("correo: recordatorios", move |stop| {
            reminders::run(scheduler, stop)
        });
    let mut parts = ServiceParts::new(api::router(
        mailer.clone(),
        deliverer.transport.description(),
    ));
    parts.handlers = handlers::handlers(mailer);
    parts
}
