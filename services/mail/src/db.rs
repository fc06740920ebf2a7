//! The mail service's SQL, and nothing else. Functions that must commit
//! together with something else take the caller's connection (a
//! transaction); the others take the database.

use rubrica_platform::Database;
use rubrica_platform::db::Backend;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::contracts::{DocumentRef, Recipient};
use crate::model::{
    AttachmentView, AttemptView, MessageKind, MessageView, NewMessage, Outcome, Status,
    StoredMessage,
};

/// What [`insert_message`] writes besides the message itself.
pub struct Envelope<'a> {
    pub id: &'a str,
    pub message_id: &'a str,
    /// The checked address, or `None` when there is none to send to.
    pub email: Option<&'a str>,
    pub status: Status,
    pub last_error: Option<&'a str>,
    pub now: i64,
}

/// Queues a message unless one with the same idempotency key exists.
/// Returns whether it was queued.
pub async fn insert_message(
    tx: &mut AnyConnection,
    message: &NewMessage,
    envelope: &Envelope<'_>,
) -> Result<bool, sqlx::Error> {
    let attachments = serde_json::to_string(&message.attachments)
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let inserted = sqlx::query(
        "INSERT INTO mail_messages (id, idempotency_key, message_id, kind, event_id, event_type, secretariat_id,
             subject_ref, recipient_member_id, recipient_name, recipient_email, subject, body_text, body_html,
             calendar, calendar_method, attachments, sensitive, status, attempts, next_attempt_at, last_error,
             created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 0, $20, $21, $20, $20)
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(envelope.id)
    .bind(&message.idempotency_key)
    .bind(envelope.message_id)
    .bind(message.kind.as_str())
    .bind(message.event_id.clone())
    .bind(message.event_type.clone())
    .bind(message.secretariat_id.clone())
    .bind(message.subject_ref.clone())
    .bind(message.recipient.member_id.clone())
    .bind(&message.recipient.name)
    .bind(envelope.email.map(str::to_string))
    .bind(&message.rendered.subject)
    .bind(&message.rendered.text)
    .bind(&message.rendered.html)
    .bind(message.calendar.as_ref().map(|c| c.content.clone()))
    .bind(message.calendar.as_ref().map(|c| c.method.to_string()))
    .bind(attachments)
    .bind(i64::from(message.sensitive))
    .bind(envelope.status.as_str())
    .bind(envelope.now)
    .bind(envelope.last_error.map(str::to_string))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// A message a worker has reserved, with the number of the attempt it is
/// about to make, and whether an earlier attempt was interrupted.
pub struct Claimed {
    pub id: String,
    pub attempt: i64,
    pub interrupted: bool,
}

/// Frees the messages claimed by earlier processes of this replica (workers
/// named `replica…` but not `incarnation…`): they died with them in hand.
pub async fn release_claims(
    tx: &mut AnyConnection,
    replica: &str,
    incarnation: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE mail_messages SET claimed_until = NULL, claimed_by = NULL
         WHERE status = 'en_cola' AND claimed_until IS NOT NULL
           AND substr(claimed_by, 1, length($1)) = $1
           AND substr(claimed_by, 1, length($2)) <> $2",
    )
    .bind(replica)
    .bind(incarnation)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// Reserves up to `limit` due messages for `worker` until `lease_end`, and
/// opens an attempt for each (closing as interrupted any attempt a dead
/// process left open), in the caller's transaction.
pub async fn claim(
    tx: &mut AnyConnection,
    backend: Backend,
    worker: &str,
    limit: i64,
    now: i64,
    lease_end: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let lock = match backend {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE mail_messages SET claimed_until = $1, claimed_by = $2, updated_at = $3
         WHERE id IN (
             SELECT id FROM mail_messages
             WHERE status = 'en_cola' AND next_attempt_at <= $3
               AND (claimed_until IS NULL OR claimed_until < $3)
             ORDER BY next_attempt_at, id LIMIT $4 {lock})
         RETURNING id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(lease_end)
        .bind(worker)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get("id")?;
        let interrupted = sqlx::query(
            "UPDATE mail_attempts SET outcome = 'interrumpido', finished_at = $1, detail = $2
             WHERE mail_id = $3 AND outcome IS NULL",
        )
        .bind(now)
        .bind(
            "El proceso que lo enviaba se detuvo antes de registrar la respuesta del servidor; \
             pudo haberse entregado. Se envía de nuevo con el mismo Message-ID.",
        )
        .bind(&id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        let (attempt,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM mail_attempts WHERE mail_id = $1",
        )
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO mail_attempts (mail_id, number, worker, started_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(attempt)
        .bind(worker)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        claimed.push(Claimed {
            id,
            attempt,
            interrupted,
        });
    }
    Ok(claimed)
}

/// The latest calendar invitation to a session mailed to a member of a
/// secretariat: its ICS and method.
pub async fn latest_invitation(
    db: &Database,
    secretariat_id: &str,
    session_id: &str,
    member_id: &str,
) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT calendar, calendar_method FROM mail_messages
         WHERE secretariat_id = $1 AND subject_ref = $2 AND recipient_member_id = $3 AND calendar IS NOT NULL
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(secretariat_id)
    .bind(session_id)
    .bind(member_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| Ok((r.try_get("calendar")?, r.try_get("calendar_method")?)))
        .transpose()
}

/// A claimed message, with what is needed to send it.
pub async fn load_message(db: &Database, id: &str) -> Result<Option<StoredMessage>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, message_id, kind, recipient_name, recipient_email, subject, body_text, body_html,
                calendar, calendar_method, attachments, attempts, created_at
         FROM mail_messages WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let attachments: String = row.try_get("attachments")?;
    Ok(Some(StoredMessage {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        kind: row.try_get("kind")?,
        recipient_name: row.try_get("recipient_name")?,
        recipient_email: row.try_get("recipient_email")?,
        subject: row.try_get("subject")?,
        body_text: row.try_get("body_text")?,
        body_html: row.try_get("body_html")?,
        calendar: row.try_get("calendar")?,
        calendar_method: row.try_get("calendar_method")?,
        attachments: serde_json::from_str(&attachments)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        attempts: row.try_get("attempts")?,
        created_at: row.try_get("created_at")?,
    }))
}

/// Closes an attempt with its outcome.
pub async fn finish_attempt(
    tx: &mut AnyConnection,
    id: &str,
    number: i64,
    outcome: Outcome,
    smtp_code: Option<i64>,
    detail: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mail_attempts SET outcome = $1, smtp_code = $2, detail = $3, finished_at = $4
         WHERE mail_id = $5 AND number = $6",
    )
    .bind(outcome.as_str())
    .bind(smtp_code)
    .bind(detail.map(str::to_string))
    .bind(now)
    .bind(id)
    .bind(number)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Marks a message sent (erasing a secret body). Returns false when the
/// worker no longer held it (its lease ran out and another took it).
pub async fn mark_sent(
    tx: &mut AnyConnection,
    id: &str,
    worker: &str,
    attempts: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let rows = sqlx::query(
        "UPDATE mail_messages SET status = 'enviado', attempts = $1, sent_at = $2, updated_at = $2,
             last_error = NULL, claimed_until = NULL, claimed_by = NULL,
             body_text = CASE WHEN sensitive = 1 THEN '' ELSE body_text END,
             body_html = CASE WHEN sensitive = 1 THEN '' ELSE body_html END
         WHERE id = $3 AND claimed_by = $4",
    )
    .bind(attempts)
    .bind(now)
    .bind(id)
    .bind(worker)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(rows == 1)
}

/// Schedules another attempt after a transient failure.
pub async fn mark_retry(
    tx: &mut AnyConnection,
    id: &str,
    worker: &str,
    attempts: i64,
    error: &str,
    next_attempt_at: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let rows = sqlx::query(
        "UPDATE mail_messages SET attempts = $1, last_error = $2, next_attempt_at = $3, updated_at = $4,
             claimed_until = NULL, claimed_by = NULL
         WHERE id = $5 AND claimed_by = $6 AND status = 'en_cola'",
    )
    .bind(attempts)
    .bind(error)
    .bind(next_attempt_at)
    .bind(now)
    .bind(id)
    .bind(worker)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(rows == 1)
}

/// Gives a message up: a dead letter with its last error.
pub async fn mark_failed(
    tx: &mut AnyConnection,
    id: &str,
    worker: &str,
    attempts: i64,
    error: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let rows = sqlx::query(
        "UPDATE mail_messages SET status = 'fallido', attempts = $1, last_error = $2, updated_at = $3,
             claimed_until = NULL, claimed_by = NULL
         WHERE id = $4 AND claimed_by = $5 AND status = 'en_cola'",
    )
    .bind(attempts)
    .bind(error)
    .bind(now)
    .bind(id)
    .bind(worker)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(rows == 1)
}

/// Puts a failed message back in the queue with a fresh budget of attempts
/// (and, if given, a corrected address). Returns whether it was failed.
pub async fn requeue(
    tx: &mut AnyConnection,
    id: &str,
    email: Option<&str>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let rows = sqlx::query(
        "UPDATE mail_messages SET status = 'en_cola', attempts = 0, next_attempt_at = $1, updated_at = $1,
             claimed_until = NULL, claimed_by = NULL,
             recipient_email = COALESCE($2, recipient_email)
         WHERE id = $3 AND status = 'fallido'",
    )
    .bind(now)
    .bind(email.map(str::to_string))
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(rows == 1)
}

const VIEW_COLUMNS: &str = "id, message_id, kind, status, attempts, last_error, next_attempt_at, created_at, sent_at,
    event_id, event_type, secretariat_id, subject_ref, recipient_member_id, recipient_name, recipient_email,
    subject, attachments, calendar_method";

fn view(row: &AnyRow) -> Result<MessageView, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let attachments: String = row.try_get("attachments")?;
    let attachments: Vec<DocumentRef> =
        serde_json::from_str(&attachments).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let status = Status::parse(&status).unwrap_or(Status::Failed);
    Ok(MessageView {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        kind: MessageKind::parse(&kind).unwrap_or(MessageKind::MissingAddress),
        status,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        next_attempt_at: (status == Status::Queued)
            .then(|| row.try_get("next_attempt_at"))
            .transpose()?,
        created_at: row.try_get("created_at")?,
        sent_at: row.try_get("sent_at")?,
        event_id: row.try_get("event_id")?,
        event_type: row.try_get("event_type")?,
        secretariat_id: row.try_get("secretariat_id")?,
        subject_ref: row.try_get("subject_ref")?,
        recipient: Recipient {
            member_id: row.try_get("recipient_member_id")?,
            name: row.try_get("recipient_name")?,
            email: row.try_get("recipient_email")?,
        },
        subject: row.try_get("subject")?,
        attachments: attachments
            .into_iter()
            .map(|a| AttachmentView {
                filename: a.filename,
                sha256: a.sha256,
                size: a.size,
            })
            .collect(),
        calendar_method: row.try_get("calendar_method")?,
    })
}

/// One message as the API shows it.
pub async fn get_message(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<MessageView>, sqlx::Error> {
    let sql = format!("SELECT {VIEW_COLUMNS} FROM mail_messages WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(view).transpose()
}

/// Which messages to list.
#[derive(Debug, Default)]
pub struct Filter {
    pub secretariat_id: Option<String>,
    pub status: Option<Status>,
    pub kind: Option<MessageKind>,
    pub event_id: Option<String>,
    pub subject_ref: Option<String>,
    pub recipient: Option<String>,
    /// Only messages older than this id (the previous page's last).
    pub before: Option<String>,
    pub limit: i64,
}

/// Messages matching `filter`, newest first.
pub async fn list_messages(
    db: &Database,
    filter: &Filter,
) -> Result<Vec<MessageView>, sqlx::Error> {
    let mut sql = format!("SELECT {VIEW_COLUMNS} FROM mail_messages WHERE 1 = 1");
    let mut values: Vec<String> = Vec::new();
    let conditions = [
        ("secretariat_id = ", filter.secretariat_id.clone()),
        ("status = ", filter.status.map(|s| s.as_str().to_string())),
        ("kind = ", filter.kind.map(|k| k.as_str().to_string())),
        ("event_id = ", filter.event_id.clone()),
        ("subject_ref = ", filter.subject_ref.clone()),
        (
            "LOWER(recipient_email) = ",
            filter.recipient.as_ref().map(|r| r.trim().to_lowercase()),
        ),
        ("id < ", filter.before.clone()),
    ];
    for (condition, value) in conditions {
        if let Some(value) = value {
            values.push(value);
            sql.push_str(&format!(" AND {condition}${}", values.len()));
        }
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", values.len() + 1));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in values {
        query = query.bind(value);
    }
    let rows = query.bind(filter.limit).fetch_all(db.pool()).await?;
    rows.iter().map(view).collect()
}

/// Every attempt of a message, in order.
pub async fn attempts(db: &Database, id: &str) -> Result<Vec<AttemptView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT number, started_at, finished_at, outcome, smtp_code, detail
         FROM mail_attempts WHERE mail_id = $1 ORDER BY number",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let outcome: Option<String> = r.try_get("outcome")?;
            Ok(AttemptView {
                number: r.try_get("number")?,
                started_at: r.try_get("started_at")?,
                finished_at: r.try_get("finished_at")?,
                outcome: Outcome::parse(outcome.as_deref()),
                smtp_code: r.try_get("smtp_code")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}

/// How many messages are in each state (of one secretariat, or all).
pub async fn counts(
    db: &Database,
    secretariat_id: Option<&str>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = match secretariat_id {
        Some(id) => sqlx::query(
            "SELECT status, COUNT(*) AS messages FROM mail_messages WHERE secretariat_id = $1 GROUP BY status",
        )
        .bind(id.to_string())
        .fetch_all(db.pool())
        .await?,
        None => {
            sqlx::query("SELECT status, COUNT(*) AS messages FROM mail_messages GROUP BY status")
                .fetch_all(db.pool())
                .await?
        }
    };
    rows.iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("messages")?)))
        .collect()
}

/// The bytes of a stored attachment.
pub async fn attachment(db: &Database, sha256: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let row = sqlx::query("SELECT content FROM mail_attachments WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| r.try_get("content")).transpose()
}

/// Keeps an attachment (once per hash).
pub async fn store_attachment(
    db: &Database,
    sha256: &str,
    media_type: &str,
    content: &[u8],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mail_attachments (sha256, media_type, size, content, stored_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(media_type)
    .bind(content.len() as i64)
    .bind(content.to_vec())
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The calendar invitation of a session: UID, last SEQUENCE, status.
pub async fn calendar(
    tx: &mut AnyConnection,
    session_id: &str,
) -> Result<Option<(String, i64, String)>, sqlx::Error> {
    let row = sqlx::query("SELECT uid, sequence, status FROM mail_calendar WHERE session_id = $1")
        .bind(session_id)
        .fetch_optional(&mut *tx)
        .await?;
    row.map(|r| {
        Ok((
            r.try_get("uid")?,
            r.try_get("sequence")?,
            r.try_get("status")?,
        ))
    })
    .transpose()
}

/// Records the invitation last sent for a session.
pub async fn save_calendar(
    tx: &mut AnyConnection,
    session_id: &str,
    uid: &str,
    sequence: i64,
    status: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mail_calendar (session_id, uid, sequence, status, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (session_id) DO UPDATE SET sequence = $3, status = $4, updated_at = $5",
    )
    .bind(session_id)
    .bind(uid)
    .bind(sequence)
    .bind(status)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Records a signing route (or refreshes its details when opened again).
pub async fn save_route(
    tx: &mut AnyConnection,
    route_id: &str,
    secretariat_id: &str,
    details: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mail_routes (route_id, secretariat_id, details, status, created_at, updated_at)
         VALUES ($1, $2, $3, 'abierta', $4, $4)
         ON CONFLICT (route_id) DO UPDATE SET details = $3, updated_at = $4",
    )
    .bind(route_id)
    .bind(secretariat_id)
    .bind(details)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Adds a pending signer to a route (a signer already known keeps their state).
pub async fn add_signer(
    tx: &mut AnyConnection,
    route_id: &str,
    signer: &Recipient,
    member_id: &str,
    email: Option<&str>,
    now: i64,
    first_reminder_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mail_route_signers (route_id, member_id, name, email, status, invited_at, next_reminder_at)
         VALUES ($1, $2, $3, $4, 'pendiente', $5, $6)
         ON CONFLICT (route_id, member_id) DO NOTHING",
    )
    .bind(route_id)
    .bind(member_id)
    .bind(&signer.name)
    .bind(email.map(str::to_string))
    .bind(now)
    .bind(first_reminder_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Marks every pending signer of a route not in `pending` as signed; returns
/// how many changed.
pub async fn settle_signers(
    tx: &mut AnyConnection,
    route_id: &str,
    pending: &[String],
    signed: &str,
) -> Result<u64, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT member_id FROM mail_route_signers WHERE route_id = $1 AND status = 'pendiente'",
    )
    .bind(route_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut changed = 0;
    for row in rows {
        let member: String = row.try_get("member_id")?;
        if member == signed || !pending.contains(&member) {
            changed += set_signer(tx, route_id, &member, "firmado").await?;
        }
    }
    Ok(changed)
}

/// Sets one signer's state; a signer no longer pending gets no reminders.
pub async fn set_signer(
    tx: &mut AnyConnection,
    route_id: &str,
    member_id: &str,
    status: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE mail_route_signers SET status = $1, next_reminder_at = NULL
         WHERE route_id = $2 AND member_id = $3 AND status = 'pendiente'",
    )
    .bind(status)
    .bind(route_id)
    .bind(member_id)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// Closes a route (`completada` or `cancelada`): no more reminders.
pub async fn close_route(
    tx: &mut AnyConnection,
    route_id: &str,
    status: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "UPDATE mail_route_signers SET next_reminder_at = NULL WHERE route_id = $1 AND status = 'pendiente'",
    )
    .bind(route_id)
    .execute(&mut *tx)
    .await?;
    Ok(sqlx::query(
        "UPDATE mail_routes SET status = $1, updated_at = $2 WHERE route_id = $3 AND status = 'abierta'",
    )
    .bind(status)
    .bind(now)
    .bind(route_id)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// A reminder that is due.
pub struct DueReminder {
    pub route_id: String,
    pub member_id: String,
    pub name: String,
    pub email: Option<String>,
    pub reminders_sent: i64,
    pub invited_at: i64,
    pub secretariat_id: Option<String>,
    /// The route's stored details (JSON).
    pub details: String,
}

/// The secretariat of an open route (`None`: unknown, or no longer open).
pub async fn open_route_secretariat(
    conn: &mut AnyConnection,
    route_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT secretariat_id FROM mail_routes WHERE route_id = $1 AND status = 'abierta'",
    )
    .bind(route_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| r.try_get("secretariat_id")).transpose()
}

/// The pending signers of an open route, as reminders (for one asked for
/// now).
pub async fn pending_signers(
    tx: &mut AnyConnection,
    route_id: &str,
) -> Result<Vec<DueReminder>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.route_id, s.member_id, s.name, s.email, s.reminders_sent, s.invited_at, r.secretariat_id, r.details
         FROM mail_route_signers s JOIN mail_routes r ON r.route_id = s.route_id
         WHERE s.route_id = $1 AND s.status = 'pendiente' AND r.status = 'abierta'
         ORDER BY s.member_id",
    )
    .bind(route_id)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter().map(due_reminder).collect()
}

/// Pending signers of open routes whose next reminder is due, locked for
/// this transaction (on PostgreSQL, skipping those another replica holds).
pub async fn due_reminders(
    tx: &mut AnyConnection,
    backend: Backend,
    now: i64,
    limit: i64,
) -> Result<Vec<DueReminder>, sqlx::Error> {
    let lock = match backend {
        Backend::Postgres => "FOR UPDATE OF s SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "SELECT s.route_id, s.member_id, s.name, s.email, s.reminders_sent, s.invited_at, r.secretariat_id, r.details
         FROM mail_route_signers s JOIN mail_routes r ON r.route_id = s.route_id
         WHERE s.status = 'pendiente' AND s.next_reminder_at IS NOT NULL AND s.next_reminder_at <= $1
           AND r.status = 'abierta'
         ORDER BY s.next_reminder_at LIMIT $2 {lock}"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    rows.iter().map(due_reminder).collect()
}

fn due_reminder(r: &sqlx::any::AnyRow) -> Result<DueReminder, sqlx::Error> {
    Ok(DueReminder {
        route_id: r.try_get("route_id")?,
        member_id: r.try_get("member_id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        reminders_sent: r.try_get("reminders_sent")?,
        invited_at: r.try_get("invited_at")?,
        secretariat_id: r.try_get("secretariat_id")?,
        details: r.try_get("details")?,
    })
}

/// Records that reminder number `sent` went out, and when the next is due
/// (`None`: the last one).
pub async fn reminded(
    tx: &mut AnyConnection,
    route_id: &str,
    member_id: &str,
    sent: i64,
    now: i64,
    next: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mail_route_signers SET reminders_sent = $1, last_reminded_at = $2, next_reminder_at = $3
         WHERE route_id = $4 AND member_id = $5",
    )
    .bind(sent)
    .bind(now)
    .bind(next)
    .bind(route_id)
    .bind(member_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
