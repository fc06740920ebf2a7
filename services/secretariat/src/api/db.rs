//! The API's SQL, and nothing else: small functions over a connection (a
//! transaction when writing), portable between SQLite and PostgreSQL.

use rubrica_rules::{Config, SessionKind};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::Date;

use super::edge;
use super::model::*;

type Result<T> = std::result::Result<T, sqlx::Error>;

/// A stored value that does not read back: the database was edited by hand.
fn corrupt(column: &str, value: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("valor almacenado no válido en {column}: «{value}»").into())
}

fn date_column(row: &AnyRow, column: &str) -> Result<Date> {
    let text: String = row.try_get(column)?;
    edge::parse_iso_date(&text).ok_or_else(|| corrupt(column, text))
}

fn optional_date_column(row: &AnyRow, column: &str) -> Result<Option<Date>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| edge::parse_iso_date(&t).ok_or_else(|| corrupt(column, t)))
        .transpose()
}

fn json_column<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| corrupt(column, e))
}

fn optional_json_column<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    column: &str,
) -> Result<Option<T>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| corrupt(column, e)))
        .transpose()
}

fn to_json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

fn post_column(row: &AnyRow, column: &str) -> Result<Post> {
    let text: String = row.try_get(column)?;
    Post::from_stored(&text).ok_or_else(|| corrupt(column, text))
}

// --- secretariats -----------------------------------------------------------

const SECRETARIAT_COLUMNS: &str = "id, name, preset, config, enlaces_sign, invited_members_sign, utc_offset_minutes, created_at, updated_at";

fn secretariat_from(row: &AnyRow) -> Result<SecretariatRow> {
    let config: serde_json::Value = json_column(row, "config")?;
    let config = Config::from_json(config).map_err(|e| corrupt("config", e))?;
    Ok(SecretariatRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        preset: row.try_get("preset")?,
        config,
        signers: SignerSettings {
            enlaces: row.try_get::<i64, _>("enlaces_sign")? != 0,
            invited_members: row.try_get::<i64, _>("invited_members_sign")? != 0,
        },
        utc_offset_minutes: row.try_get("utc_offset_minutes")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn secretariat(conn: &mut AnyConnection, id: &str) -> Result<Option<SecretariatRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SECRETARIAT_COLUMNS} FROM secretariats WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(secretariat_from).transpose()
}

pub async fn insert_secretariat(conn: &mut AnyConnection, s: &SecretariatRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO secretariats (id, name, preset, config, enlaces_sign, invited_members_sign, utc_offset_minutes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&s.id)
    .bind(&s.name)
    .bind(&s.preset)
    .bind(to_json(&s.config)?)
    .bind(i64::from(s.signers.enlaces))
    .bind(i64::from(s.signers.invited_members))
    .bind(s.utc_offset_minutes)
    .bind(s.created_at)
    .bind(s.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn update_secretariat(conn: &mut AnyConnection, s: &SecretariatRow) -> Result<()> {
    sqlx::query(
        "UPDATE secretariats SET name = $2, config = $3, enlaces_sign = $4, invited_members_sign = $5, utc_offset_minutes = $6, updated_at = $7 WHERE id = $1",
    )
    .bind(&s.id)
    .bind(&s.name)
    .bind(to_json(&s.config)?)
    .bind(i64::from(s.signers.enlaces))
    .bind(i64::from(s.signers.invited_members))
    .bind(s.utc_offset_minutes)
    .bind(s.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn non_working_days(
    conn: &mut AnyConnection,
    secretariat_id: &str,
) -> Result<Vec<(Date, Option<String>)>> {
    let rows = sqlx::query(
        "SELECT day, reason FROM non_working_days WHERE secretariat_id = $1 ORDER BY day",
    )
    .bind(secretariat_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((date_column(r, "day")?, r.try_get("reason")?)))
        .collect()
}

pub async fn replace_non_working_days(
    conn: &mut AnyConnection,
    secretariat_id: &str,
    days: &[(Date, Option<String>)],
) -> Result<()> {
    sqlx::query("DELETE FROM non_working_days WHERE secretariat_id = $1")
        .bind(secretariat_id)
        .execute(&mut *conn)
        .await?;
    for (day, reason) in days {
        sqlx::query(
            "INSERT INTO non_working_days (secretariat_id, day, reason) VALUES ($1, $2, $3)",
        )
        .bind(secretariat_id)
        .bind(edge::iso(*day))
        .bind(reason.clone())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

// --- members and designations ---------------------------------------------

const MEMBER_COLUMNS: &str = "id, secretariat_id, name, rfc, email, created_at";

fn member_from(row: &AnyRow) -> Result<MemberRow> {
    Ok(MemberRow {
        id: row.try_get("id")?,
        secretariat_id: row.try_get("secretariat_id")?,
        name: row.try_get("name")?,
        rfc: row.try_get("rfc")?,
        email: row.try_get("email")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn members(conn: &mut AnyConnection, secretariat_id: &str) -> Result<Vec<MemberRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE secretariat_id = $1 ORDER BY name, id"
    )))
    .bind(secretariat_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(member_from).collect()
}

pub async fn member(conn: &mut AnyConnection, id: &str) -> Result<Option<MemberRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(member_from).transpose()
}

pub async fn member_by_rfc(
    conn: &mut AnyConnection,
    secretariat_id: &str,
    rfc: &str,
) -> Result<Option<MemberRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE secretariat_id = $1 AND rfc = $2"
    )))
    .bind(secretariat_id)
    .bind(rfc)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(member_from).transpose()
}

pub async fn insert_member(conn: &mut AnyConnection, m: &MemberRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO members (id, secretariat_id, name, rfc, email, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&m.id)
    .bind(&m.secretariat_id)
    .bind(&m.name)
    .bind(&m.rfc)
    .bind(&m.email)
    .bind(m.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn update_member(conn: &mut AnyConnection, m: &MemberRow) -> Result<()> {
    sqlx::query("UPDATE members SET name = $2, rfc = $3, email = $4 WHERE id = $1")
        .bind(&m.id)
        .bind(&m.name)
        .bind(&m.rfc)
        .bind(&m.email)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

const DESIGNATION_COLUMNS: &str = "id, secretariat_id, member_id, role, seat, project, starts_on, ends_on, ended_reason, body, term_starts_on, incorporated_until, mandate_changed_on, created_at";

fn designation_from(row: &AnyRow) -> Result<DesignationRow> {
    Ok(DesignationRow {
        id: row.try_get("id")?,
        secretariat_id: row.try_get("secretariat_id")?,
        member_id: row.try_get("member_id")?,
        post: post_column(row, "role")?,
        seat: row.try_get("seat")?,
        project: row.try_get("project")?,
        starts_on: date_column(row, "starts_on")?,
        ends_on: optional_date_column(row, "ends_on")?,
        ended_reason: row.try_get("ended_reason")?,
        body: row.try_get("body")?,
        term_starts_on: optional_date_column(row, "term_starts_on")?,
        incorporated_until: optional_date_column(row, "incorporated_until")?,
        mandate_changed_on: optional_date_column(row, "mandate_changed_on")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Every designation of a secretariat, past and present, oldest first.
pub async fn designations(
    conn: &mut AnyConnection,
    secretariat_id: &str,
) -> Result<Vec<DesignationRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DESIGNATION_COLUMNS} FROM designations WHERE secretariat_id = $1 ORDER BY starts_on, created_at, id"
    )))
    .bind(secretariat_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(designation_from).collect()
}

pub async fn designation(conn: &mut AnyConnection, id: &str) -> Result<Option<DesignationRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DESIGNATION_COLUMNS} FROM designations WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(designation_from).transpose()
}

pub async fn insert_designation(conn: &mut AnyConnection, d: &DesignationRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO designations (id, secretariat_id, member_id, role, seat, project, starts_on, ends_on, ended_reason, body, term_starts_on, incorporated_until, mandate_changed_on, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&d.id)
    .bind(&d.secretariat_id)
    .bind(&d.member_id)
    .bind(d.post.as_str())
    .bind(d.seat.clone())
    .bind(d.project.clone())
    .bind(edge::iso(d.starts_on))
    .bind(d.ends_on.map(edge::iso))
    .bind(d.ended_reason.clone())
    .bind(d.body.clone())
    .bind(d.term_starts_on.map(edge::iso))
    .bind(d.incorporated_until.map(edge::iso))
    .bind(d.mandate_changed_on.map(edge::iso))
    .bind(d.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes the fields of a designation that may change after it is made.
pub async fn update_designation(conn: &mut AnyConnection, d: &DesignationRow) -> Result<()> {
    sqlx::query(
        "UPDATE designations SET ends_on = $2, ended_reason = $3, body = $4, incorporated_until = $5, mandate_changed_on = $6 WHERE id = $1",
    )
    .bind(&d.id)
    .bind(d.ends_on.map(edge::iso))
    .bind(d.ended_reason.clone())
    .bind(d.body.clone())
    .bind(d.incorporated_until.map(edge::iso))
    .bind(d.mandate_changed_on.map(edge::iso))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// --- calls for vacancies ----------------------------------------------------

const CALL_COLUMNS: &str = "id, secretariat_id, seat, vacancy, run_by, resignation, explanation, opened_on, status, closed_on, created_at";

fn call_from(row: &AnyRow) -> Result<CallRow> {
    Ok(CallRow {
        id: row.try_get("id")?,
        secretariat_id: row.try_get("secretariat_id")?,
        seat: row.try_get("seat")?,
        vacancy: row.try_get("vacancy")?,
        run_by: row.try_get("run_by")?,
        resignation: row.try_get("resignation")?,
        explanation: row.try_get("explanation")?,
        opened_on: date_column(row, "opened_on")?,
        status: row.try_get("status")?,
        closed_on: optional_date_column(row, "closed_on")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn calls(conn: &mut AnyConnection, secretariat_id: &str) -> Result<Vec<CallRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CALL_COLUMNS} FROM vacancy_calls WHERE secretariat_id = $1 ORDER BY created_at, id"
    )))
    .bind(secretariat_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(call_from).collect()
}

pub async fn insert_call(conn: &mut AnyConnection, c: &CallRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO vacancy_calls (id, secretariat_id, seat, vacancy, run_by, resignation, explanation, opened_on, status, closed_on, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&c.id)
    .bind(&c.secretariat_id)
    .bind(&c.seat)
    .bind(&c.vacancy)
    .bind(&c.run_by)
    .bind(&c.resignation)
    .bind(&c.explanation)
    .bind(edge::iso(c.opened_on))
    .bind(&c.status)
    .bind(c.closed_on.map(edge::iso))
    .bind(c.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn close_call(conn: &mut AnyConnection, id: &str, on: Date) -> Result<()> {
    sqlx::query("UPDATE vacancy_calls SET status = 'cerrada', closed_on = $2 WHERE id = $1")
        .bind(id)
        .bind(edge::iso(on))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// --- sessions ---------------------------------------------------------------

const SESSION_COLUMNS: &str = "id, secretariat_id, kind, number, folio, held_on, scheduled_time, place, status, convocatoria_issued_on, notice, opened_at, quorum_at_opening, agenda_approval, closed_at, closed_event_id, created_at, updated_at";

fn session_from(row: &AnyRow) -> Result<SessionRow> {
    let kind_text: String = row.try_get("kind")?;
    let kind = KIND_CHOICES
        .iter()
        .find(|(w, _)| *w == kind_text)
        .map(|(_, k)| *k)
        .ok_or_else(|| corrupt("kind", &kind_text))?;
    let status_text: String = row.try_get("status")?;
    let status =
        SessionStatus::from_stored(&status_text).ok_or_else(|| corrupt("status", &status_text))?;
    Ok(SessionRow {
        id: row.try_get("id")?,
        secretariat_id: row.try_get("secretariat_id")?,
        kind,
        number: row.try_get("number")?,
        folio: row.try_get("folio")?,
        held_on: date_column(row, "held_on")?,
        scheduled_time: row.try_get("scheduled_time")?,
        place: row.try_get("place")?,
        status,
        convocatoria_issued_on: optional_date_column(row, "convocatoria_issued_on")?,
        notice: optional_json_column(row, "notice")?,
        opened_at: row.try_get("opened_at")?,
        quorum_at_opening: optional_json_column(row, "quorum_at_opening")?,
        agenda_approval: optional_json_column(row, "agenda_approval")?,
        closed_at: row.try_get("closed_at")?,
        closed_event_id: row.try_get("closed_event_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn sessions(conn: &mut AnyConnection, secretariat_id: &str) -> Result<Vec<SessionRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE secretariat_id = $1 ORDER BY held_on, scheduled_time, folio"
    )))
    .bind(secretariat_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(session_from).collect()
}

pub async fn session(conn: &mut AnyConnection, id: &str) -> Result<Option<SessionRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(session_from).transpose()
}

/// Reads a session for a change, holding its row until the transaction
/// ends: on PostgreSQL the touch takes the row lock, so two requests on one
/// session (two closes, two votes) run one after the other and the second
/// sees the first's result; on SQLite the write transaction already does.
pub async fn lock_session(
    conn: &mut AnyConnection,
    id: &str,
    now: i64,
) -> Result<Option<SessionRow>> {
    sqlx::query("UPDATE sessions SET updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    session(conn, id).await
}

/// The next number of a kind of session in a year.
pub async fn next_session_number(
    conn: &mut AnyConnection,
    secretariat_id: &str,
    kind: SessionKind,
    year: i32,
) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COALESCE(MAX(number), 0) AS last FROM sessions WHERE secretariat_id = $1 AND kind = $2 AND held_on LIKE $3",
    )
    .bind(secretariat_id)
    .bind(kind_str(kind))
    .bind(format!("{year:04}-%"))
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get::<i64, _>("last")? + 1)
}

pub async fn insert_session(conn: &mut AnyConnection, s: &SessionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, secretariat_id, kind, number, folio, held_on, scheduled_time, place, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&s.id)
    .bind(&s.secretariat_id)
    .bind(kind_str(s.kind))
    .bind(s.number)
    .bind(&s.folio)
    .bind(edge::iso(s.held_on))
    .bind(&s.scheduled_time)
    .bind(&s.place)
    .bind(s.status.as_str())
    .bind(s.created_at)
    .bind(s.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes every field of a session that changes during its life.
pub async fn update_session(conn: &mut AnyConnection, s: &SessionRow) -> Result<()> {
    sqlx::query(
        "UPDATE sessions SET held_on = $2, scheduled_time = $3, place = $4, status = $5, convocatoria_issued_on = $6, notice = $7,
             opened_at = $8, quorum_at_opening = $9, agenda_approval = $10, closed_at = $11, closed_event_id = $12, updated_at = $13
         WHERE id = $1",
    )
    .bind(&s.id)
    .bind(edge::iso(s.held_on))
    .bind(&s.scheduled_time)
    .bind(&s.place)
    .bind(s.status.as_str())
    .bind(s.convocatoria_issued_on.map(edge::iso))
    .bind(s.notice.as_ref().map(to_json).transpose()?)
    .bind(s.opened_at)
    .bind(s.quorum_at_opening.as_ref().map(to_json).transpose()?)
    .bind(s.agenda_approval.as_ref().map(to_json).transpose()?)
    .bind(s.closed_at)
    .bind(s.closed_event_id.clone())
    .bind(s.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether a session of the secretariat is open right now.
pub async fn open_session_folio(
    conn: &mut AnyConnection,
    secretariat_id: &str,
) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT folio FROM sessions WHERE secretariat_id = $1 AND status = 'abierta' ORDER BY folio LIMIT 1",
    )
    .bind(secretariat_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| r.try_get("folio")).transpose()
}

// --- agenda -----------------------------------------------------------------

pub async fn agenda(conn: &mut AnyConnection, session_id: &str) -> Result<Vec<AgendaItemRow>> {
    let rows = sqlx::query(
        "SELECT id, session_id, position, title, description, deliberation FROM agenda_items WHERE session_id = $1 ORDER BY position",
    )
    .bind(session_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AgendaItemRow {
                id: r.try_get("id")?,
                session_id: r.try_get("session_id")?,
                position: r.try_get("position")?,
                title: r.try_get("title")?,
                description: r.try_get("description")?,
                deliberation: r.try_get("deliberation")?,
            })
        })
        .collect()
}

pub async fn replace_agenda(
    conn: &mut AnyConnection,
    session_id: &str,
    items: &[AgendaItemRow],
) -> Result<()> {
    sqlx::query("DELETE FROM agenda_items WHERE session_id = $1")
        .bind(session_id)
        .execute(&mut *conn)
        .await?;
    for item in items {
        sqlx::query(
            "INSERT INTO agenda_items (id, session_id, position, title, description, deliberation) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&item.id)
        .bind(session_id)
        .bind(item.position)
        .bind(&item.title)
        .bind(item.description.clone())
        .bind(item.deliberation.clone())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn set_deliberation(conn: &mut AnyConnection, item_id: &str, text: &str) -> Result<()> {
    sqlx::query("UPDATE agenda_items SET deliberation = $2 WHERE id = $1")
        .bind(item_id)
        .bind(text)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// --- attendance ------------------------------------------------------------

pub async fn attendance(conn: &mut AnyConnection, session_id: &str) -> Result<Vec<AttendanceRow>> {
    let rows = sqlx::query(
        "SELECT id, session_id, member_id, capacity, seat, arrived_at, departed_at FROM attendance WHERE session_id = $1 ORDER BY arrived_at, id",
    )
    .bind(session_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AttendanceRow {
                id: r.try_get("id")?,
                session_id: r.try_get("session_id")?,
                member_id: r.try_get("member_id")?,
                capacity: post_column(r, "capacity")?,
                seat: r.try_get("seat")?,
                arrived_at: r.try_get("arrived_at")?,
                departed_at: r.try_get("departed_at")?,
            })
        })
        .collect()
}

pub async fn insert_arrival(conn: &mut AnyConnection, a: &AttendanceRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO attendance (id, session_id, member_id, capacity, seat, arrived_at, departed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&a.id)
    .bind(&a.session_id)
    .bind(&a.member_id)
    .bind(a.capacity.as_str())
    .bind(a.seat.clone())
    .bind(a.arrived_at)
    .bind(a.departed_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_departure(conn: &mut AnyConnection, id: &str, at: i64) -> Result<()> {
    sqlx::query("UPDATE attendance SET departed_at = $2 WHERE id = $1")
        .bind(id)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Everyone still in the room leaves when the session closes.
pub async fn depart_everyone(conn: &mut AnyConnection, session_id: &str, at: i64) -> Result<()> {
    sqlx::query(
        "UPDATE attendance SET departed_at = $2 WHERE session_id = $1 AND departed_at IS NULL",
    )
    .bind(session_id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// --- motions, votes, agreements --------------------------------------------

pub async fn motions(conn: &mut AnyConnection, session_id: &str) -> Result<Vec<MotionRow>> {
    let rows = sqlx::query(
        "SELECT id, session_id, number, agenda_position, wording, quorum, decision, voted_at FROM motions WHERE session_id = $1 ORDER BY number",
    )
    .bind(session_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MotionRow {
                id: r.try_get("id")?,
                session_id: r.try_get("session_id")?,
                number: r.try_get("number")?,
                agenda_position: r.try_get("agenda_position")?,
                wording: r.try_get("wording")?,
                quorum: json_column(r, "quorum")?,
                decision: json_column(r, "decision")?,
                voted_at: r.try_get("voted_at")?,
            })
        })
        .collect()
}

pub async fn insert_motion(conn: &mut AnyConnection, m: &MotionRow) -> Result<()> {
    let outcome = match m.decision.outcome {
        rubrica_rules::Outcome::Approved => "aprobado",
        rubrica_rules::Outcome::Rejected => "rechazado",
    };
    sqlx::query(
        "INSERT INTO motions (id, session_id, number, agenda_position, wording, quorum, decision, outcome, voted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&m.id)
    .bind(&m.session_id)
    .bind(m.number)
    .bind(m.agenda_position)
    .bind(&m.wording)
    .bind(to_json(&m.quorum)?)
    .bind(to_json(&m.decision)?)
    .bind(outcome)
    .bind(m.voted_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn votes(conn: &mut AnyConnection, session_id: &str) -> Result<Vec<VoteRow>> {
    let rows = sqlx::query(
        "SELECT v.motion_id, v.seat, v.vote, v.member_id, v.capacity FROM votes v JOIN motions m ON m.id = v.motion_id
         WHERE m.session_id = $1 ORDER BY m.number, v.seat",
    )
    .bind(session_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let capacity: Option<String> = r.try_get("capacity")?;
            Ok(VoteRow {
                motion_id: r.try_get("motion_id")?,
                seat: r.try_get("seat")?,
                vote: r.try_get("vote")?,
                member_id: r.try_get("member_id")?,
                capacity: capacity
                    .map(|c| Post::from_stored(&c).ok_or_else(|| corrupt("capacity", c)))
                    .transpose()?,
            })
        })
        .collect()
}

pub async fn insert_vote(conn: &mut AnyConnection, v: &VoteRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO votes (motion_id, seat, vote, member_id, capacity) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&v.motion_id)
    .bind(&v.seat)
    .bind(&v.vote)
    .bind(v.member_id.clone())
    .bind(v.capacity.map(|c| c.as_str()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

const AGREEMENT_COLUMNS: &str = "id, secretariat_id, session_id, motion_id, number, folio, wording, responsible_seat, due_on, status, created_at, updated_at";

fn agreement_from(row: &AnyRow) -> Result<AgreementRow> {
    Ok(AgreementRow {
        id: row.try_get("id")?,
        secretariat_id: row.try_get("secretariat_id")?,
        session_id: row.try_get("session_id")?,
        motion_id: row.try_get("motion_id")?,
        number: row.try_get("number")?,
        folio: row.try_get("folio")?,
        wording: row.try_get("wording")?,
        responsible_seat: row.try_get("responsible_seat")?,
        due_on: optional_date_column(row, "due_on")?,
        status: row.try_get("status")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn agreements(conn: &mut AnyConnection, session_id: &str) -> Result<Vec<AgreementRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE session_id = $1 ORDER BY number"
    )))
    .bind(session_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(agreement_from).collect()
}

/// A secretariat's agreements, optionally in one follow-up state, by folio.
pub async fn secretariat_agreements(
    conn: &mut AnyConnection,
    secretariat_id: &str,
    status: Option<&str>,
) -> Result<Vec<AgreementRow>> {
    let rows = match status {
        Some(status) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE secretariat_id = $1 AND status = $2 ORDER BY created_at, number"
            )))
            .bind(secretariat_id)
            .bind(status)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE secretariat_id = $1 ORDER BY created_at, number"
            )))
            .bind(secretariat_id)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    rows.iter().map(agreement_from).collect()
}

pub async fn agreement(conn: &mut AnyConnection, id: &str) -> Result<Option<AgreementRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(agreement_from).transpose()
}

pub async fn insert_agreement(conn: &mut AnyConnection, a: &AgreementRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO agreements (id, secretariat_id, session_id, motion_id, number, folio, wording, responsible_seat, due_on, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&a.id)
    .bind(&a.secretariat_id)
    .bind(&a.session_id)
    .bind(&a.motion_id)
    .bind(a.number)
    .bind(&a.folio)
    .bind(&a.wording)
    .bind(a.responsible_seat.clone())
    .bind(a.due_on.map(edge::iso))
    .bind(&a.status)
    .bind(a.created_at)
    .bind(a.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records a follow-up and moves the agreement to its state.
pub async fn insert_agreement_update(
    conn: &mut AnyConnection,
    u: &AgreementUpdateRow,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO agreement_updates (id, agreement_id, status, note, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&u.id)
    .bind(&u.agreement_id)
    .bind(&u.status)
    .bind(u.note.clone())
    .bind(u.recorded_at)
    .bind(&u.recorded_by)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE agreements SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(&u.agreement_id)
        .bind(&u.status)
        .bind(u.recorded_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn agreement_updates(
    conn: &mut AnyConnection,
    agreement_id: &str,
) -> Result<Vec<AgreementUpdateRow>> {
    let rows = sqlx::query(
        "SELECT id, agreement_id, status, note, recorded_at, recorded_by FROM agreement_updates WHERE agreement_id = $1 ORDER BY recorded_at, id",
    )
    .bind(agreement_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AgreementUpdateRow {
                id: r.try_get("id")?,
                agreement_id: r.try_get("agreement_id")?,
                status: r.try_get("status")?,
                note: r.try_get("note")?,
                recorded_at: r.try_get("recorded_at")?,
                recorded_by: r.try_get("recorded_by")?,
            })
        })
        .collect()
}
