//! Reminders to members who have not signed: the service's own schedule,
//! kept in its tables (`mail_route_signers.next_reminder_at`), so it
//! survives restarts and replicas share it (on PostgreSQL the due rows are
//! locked with `SKIP LOCKED`; everywhere, the reminder's idempotency key —
//! route, member, number — makes a second copy impossible).
//!
//! The first reminder goes `mail.reminder_delay_seconds` after the
//! invitation, the next ones every `mail.reminder_interval_seconds`, at most
//! `mail.max_reminders`, and only while the member is still pending on a
//! route that is still open (`route.signed`, `route.refused`,
//! `route.cancelled` and `route.completed` stop them).

use std::sync::Arc;
use std::time::Duration;

use rubrica_platform::db::now_ms;
use rubrica_platform::{Caller, ServiceName};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::calendar::long_date_text;
use crate::contracts::Recipient;
use crate::db;
use crate::handlers::{StoredRoute, route_context};
use crate::model::{MessageKind, NewMessage};
use crate::queue::{Enqueued, Mailer};

/// Reminders written per round.
const BATCH: i64 = 50;

/// Runs the schedule until `stop` is cancelled.
pub async fn run(mailer: Arc<Mailer>, stop: CancellationToken) {
    let poll = Duration::from_millis(mailer.settings.poll_interval_ms.max(10));
    loop {
        match schedule_due(&mailer).await {
            Ok(n) if n > 0 => {
                mailer.wake_now();
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "no se pudieron programar los recordatorios; se reintentará");
            }
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// Queues the reminders that are due (a batch); returns how many signers
/// were handled.
pub async fn schedule_due(mailer: &Mailer) -> Result<usize, anyhow::Error> {
    let now = now_ms();
    let mut tx = mailer.context.begin().await?;
    let due = db::due_reminders(&mut tx, mailer.context.db.backend(), now, BATCH).await?;
    if due.is_empty() {
        tx.rollback().await?;
        return Ok(0);
    }
    let queued = queue(mailer, &mut tx, &due, now, false).await?;
    tx.commit().await?;
    if queued > 0 {
        tracing::info!(queued, "recordatorios de firma encolados");
    }
    // Rows handled, queued or not: none of them is due any more.
    Ok(due.len())
}

/// Writes the reminders of `due` in `tx`: the next number for each signer,
/// their next automatic one scheduled (up to `mail.max_reminders`). The
/// automatic schedule stops at the maximum; a reminder asked for
/// `on_demand` (the console's button) always goes.
pub async fn queue(
    mailer: &Mailer,
    tx: &mut sqlx::AnyConnection,
    due: &[db::DueReminder],
    now: i64,
    on_demand: bool,
) -> Result<usize, anyhow::Error> {
    let settings = &mailer.settings;
    let caller = Caller::service(ServiceName::Mail);
    let mut queued = 0;
    for reminder in due {
        let number = reminder.reminders_sent + 1;
        let next = (number < settings.max_reminders)
            .then(|| now + (settings.reminder_interval_seconds as i64).saturating_mul(1000));
        db::reminded(
            tx,
            &reminder.route_id,
            &reminder.member_id,
            number,
            now,
            next,
        )
        .await?;
        if number > settings.max_reminders && !on_demand {
            continue;
        }
        let stored: StoredRoute = match serde_json::from_str(&reminder.details) {
            Ok(stored) => stored,
            Err(e) => {
                tracing::error!(route_id = %reminder.route_id, error = %e, "ruta guardada ilegible: no se envía el recordatorio");
                continue;
            }
        };
        let recipient = Recipient {
            member_id: Some(reminder.member_id.clone()),
            name: reminder.name.clone(),
            email: reminder.email.clone(),
        };
        // The date is only shown, at the secretariat's own offset.
        let invited = rubrica_rules::local_time::local_ms(
            reminder.invited_at,
            stored.secretariat.utc_offset_minutes,
        )
        .date()
        .to_string();
        let context = json!({
            "secretariat": stored.secretariat,
            "recipient": recipient,
            "route": route_context(&stored.route),
            "invited_on_long": long_date_text(&invited),
            "reminder_number": number,
            "max_reminders": settings.max_reminders,
        });
        let rendered = match mailer
            .templates
            .render(MessageKind::SigningReminder, &context)
        {
            Ok(rendered) => rendered,
            Err(e) => {
                tracing::error!(error = %e, "no se pudo escribir un recordatorio");
                continue;
            }
        };
        let message = NewMessage {
            idempotency_key: format!(
                "{}/{}/{}/{number}",
                MessageKind::SigningReminder.as_str(),
                reminder.route_id,
                reminder.member_id
            ),
            kind: MessageKind::SigningReminder,
            event_id: None,
            event_type: None,
            secretariat_id: reminder.secretariat_id.clone(),
            subject_ref: Some(reminder.route_id.clone()),
            recipient,
            rendered,
            calendar: None,
            attachments: Vec::new(),
            sensitive: false,
        };
        if let Enqueued::Queued(_) = mailer.enqueue(tx, &caller, &message).await? {
            queued += 1;
        }
    }
    Ok(queued)
}
