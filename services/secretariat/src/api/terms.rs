//! The daily pass over terms ending (000 III.7): every titular and suplente
//! whose term ends within `terms.reminder_window_days` of the secretariat's
//! local date is announced once (`term.ending`): the mail service reminds
//! them and the President of the activity report and the handover.

use std::time::Duration;

use rubrica_contracts::events::{Recipient, SecretariatRef, TERM_ENDING, TermEnding};
use rubrica_platform::ServiceContext;
use rubrica_platform::db::now_ms;
use rubrica_rules::{Designation, SeatId, terms_ending_within};
use sqlx::Row;
use time::Date;
use tokio_util::sync::CancellationToken;

use crate::settings::TermsSettings;

use super::edge;
use super::model::{DesignationRow, Post};
use super::roster::Roster;

/// Registers the pass as a background task of the service.
pub fn schedule(context: &ServiceContext) {
    let ctx = context.clone();
    context.background.add(
        "fin de periodos",
        move |stop: CancellationToken| async move {
            let every = Duration::from_secs(
                ctx.settings
                    .section::<TermsSettings>()
                    .pass_interval_seconds
                    .max(1),
            );
            loop {
                if let Err(error) = pass(&ctx, None).await {
                    tracing::warn!(error = %error, "revisando los periodos que concluyen");
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(every) => {}
                }
            }
        },
    );
}

/// One pass over every secretariat, on `on` (default: each secretariat's
/// local date); returns how many terms it announced.
pub async fn pass(ctx: &ServiceContext, on: Option<Date>) -> anyhow::Result<usize> {
    let ids: Vec<String> = sqlx::query("SELECT id FROM secretariats ORDER BY id")
        .fetch_all(ctx.db.pool())
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
    let mut announced = 0;
    for id in ids {
        announced += announce(ctx, &id, on).await?;
    }
    Ok(announced)
}

/// Announces the terms of one secretariat ending within the window, each once.
async fn announce(
    ctx: &ServiceContext,
    secretariat_id: &str,
    on: Option<Date>,
) -> anyhow::Result<usize> {
    let window = ctx.settings.section::<TermsSettings>().reminder_window_days;
    let mut tx = ctx.begin().await?;
    let roster = Roster::load(&mut tx, secretariat_id)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let today = on.unwrap_or_else(|| edge::today(roster.secretariat.utc_offset_minutes));
    let config = &roster.secretariat.config;
    let in_post: Vec<&DesignationRow> = roster
        .designations
        .iter()
        .filter(|d| matches!(d.post, Post::Titular | Post::Suplente) && d.active_on(today))
        .filter(|d| d.seat.as_deref().is_some_and(|s| config.seat(s).is_some()))
        .collect();
    let designations = in_post
        .iter()
        .map(|d| {
            Ok(Designation {
                seat: SeatId::parse(d.seat.as_deref().unwrap_or_default())
                    .map_err(|e| anyhow::anyhow!("asiento almacenado no válido: {e}"))?,
                holder: d.id.clone(),
                start: d.term_start(),
                incorporated_until: d.incorporated_until,
                mandate_changed_on: d.mandate_changed_on,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let ending = terms_ending_within(config, &designations, today, window)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if ending.is_empty() {
        return Ok(0);
    }
    let recipient = |member_id: &str| {
        roster.members.get(member_id).map(|m| Recipient {
            member_id: Some(m.id.clone()),
            name: m.name.clone(),
            email: (!m.email.trim().is_empty()).then(|| m.email.clone()),
        })
    };
    // The titular of the presiding seat on the day (000 VII.1).
    let president = config.presiding_seat().and_then(|seat| {
        roster
            .designations
            .iter()
            .find(|d| {
                d.post == Post::Titular
                    && d.seat.as_deref() == Some(seat.id.as_str())
                    && d.active_on(today)
            })
            .and_then(|d| recipient(&d.member_id))
    });
    let facilitators: Vec<Recipient> = roster
        .designations
        .iter()
        .filter(|d| d.post == Post::Facilitator && d.active_on(today))
        .filter_map(|d| recipient(&d.member_id))
        .collect();
    let mut announced = 0;
    for term in ending {
        let Some(d) = in_post.iter().find(|d| d.id == term.holder) else {
            continue;
        };
        let Some(member) = recipient(&d.member_id) else {
            continue;
        };
        let ends_on = edge::iso(term.ends);
        let inserted = sqlx::query(
            "INSERT INTO term_reminders (designation_id, term_ends_on, secretariat_id, member_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&d.id)
        .bind(&ends_on)
        .bind(secretariat_id)
        .bind(&d.member_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            continue;
        }
        let seat = config.seat(term.seat.as_str());
        let position = format!(
            "{} del asiento {}",
            match d.post {
                Post::Suplente => "Suplente",
                _ => "Titular",
            },
            seat.map(|s| s.name.as_str()).unwrap_or(term.seat.as_str())
        );
        let rule = seat.map(|s| {
            rubrica_rules::term_end(
                s.term_rule(),
                designations
                    .iter()
                    .find(|x| x.holder == d.id)
                    .expect("the designation was listed"),
            )
            .explain()
        });
        let payload = TermEnding {
            secretariat: SecretariatRef {
                id: roster.secretariat.id.clone(),
                name: roster.secretariat.name.clone(),
                utc_offset_minutes: roster.secretariat.utc_offset_minutes,
            },
            member,
            position,
            term_ends_on: ends_on.clone(),
            deadline: ends_on,
            rule,
            handover_to: president
                .as_ref()
                .map(|p| format!("la Presidencia ({})", p.name)),
            president: president
                .clone()
                .filter(|p| p.member_id.as_deref() != Some(d.member_id.as_str())),
            facilitators: facilitators.clone(),
        };
        ctx.outbox.record(&mut tx, TERM_ENDING, &payload).await?;
        announced += 1;
    }
    ctx.outbox.commit(tx).await?;
    Ok(announced)
}
