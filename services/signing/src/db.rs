//! The signing service's SQL, nothing else. Every function takes a
//! connection (inside a transaction when it writes).

use sqlx::{AnyConnection, FromRow, Row};

use crate::model::{HistoryEntry, RevisionView};

/// A route as stored.
#[derive(Debug, Clone, FromRow)]
pub struct RouteRow {
    pub id: String,
    pub secretariat_id: String,
    pub title: String,
    pub record_kind: String,
    pub folio: Option<String>,
    pub due_on: Option<String>,
    pub document_id: Option<String>,
    pub sign_order: String,
    pub status: String,
    pub original_sha256: String,
    pub signable_sha256: String,
    pub current_sha256: String,
    pub final_sha256: Option<String>,
    pub layout: String,
    pub recipients: String,
    pub cancel_reason: Option<String>,
    pub opened_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

/// A signer as stored.
#[derive(Debug, Clone, FromRow)]
pub struct SignerRow {
    pub signer_id: String,
    pub position: i64,
    pub name: String,
    pub rfc: String,
    pub seat: String,
    pub role: String,
    pub email: Option<String>,
    pub status: String,
    pub signed_at: Option<i64>,
    pub certificate_number: Option<String>,
    pub refusal_reason: Option<String>,
    pub refused_at: Option<i64>,
}

/// A prepared signature as stored.
#[derive(Debug, Clone, FromRow)]
pub struct PrepareRow {
    pub id: String,
    pub route_id: String,
    pub signer_id: String,
    pub base_sha256: String,
    pub certificate_number: String,
    pub prepared_by: String,
    pub state: Option<Vec<u8>>,
    pub expires_at: i64,
    pub completed_at: Option<i64>,
}

/// Stores a revision once (by content).
pub async fn insert_revision(
    tx: &mut AnyConnection,
    sha256: &str,
    content: &[u8],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO signing_revisions (sha256, size_bytes, content, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(content.len() as i64)
    .bind(content.to_vec())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The bytes of a revision.
pub async fn revision(
    conn: &mut AnyConnection,
    sha256: &str,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let row = sqlx::query("SELECT content FROM signing_revisions WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| r.try_get("content")).transpose()
}

/// Inserts a new route.
pub async fn insert_route(tx: &mut AnyConnection, r: &RouteRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO signing_routes (id, secretariat_id, title, record_kind, folio, due_on, document_id, sign_order, status,
            original_sha256, signable_sha256, current_sha256, final_sha256, layout, recipients, cancel_reason, opened_by,
            created_at, updated_at, closed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
    .bind(&r.id)
    .bind(&r.secretariat_id)
    .bind(&r.title)
    .bind(&r.record_kind)
    .bind(r.folio.clone())
    .bind(r.due_on.clone())
    .bind(r.document_id.clone())
    .bind(&r.sign_order)
    .bind(&r.status)
    .bind(&r.original_sha256)
    .bind(&r.signable_sha256)
    .bind(&r.current_sha256)
    .bind(r.final_sha256.clone())
    .bind(&r.layout)
    .bind(&r.recipients)
    .bind(r.cancel_reason.clone())
    .bind(&r.opened_by)
    .bind(r.created_at)
    .bind(r.updated_at)
    .bind(r.closed_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Inserts a signer of a new route.
pub async fn insert_signer(
    tx: &mut AnyConnection,
    route_id: &str,
    s: &SignerRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO signing_route_signers (route_id, signer_id, position, name, rfc, seat, role, email, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(route_id)
    .bind(&s.signer_id)
    .bind(s.position)
    .bind(&s.name)
    .bind(&s.rfc)
    .bind(&s.seat)
    .bind(&s.role)
    .bind(s.email.clone())
    .bind(&s.status)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Appends a revision to a route's list.
pub async fn add_route_revision(
    tx: &mut AnyConnection,
    route_id: &str,
    sha256: &str,
    kind: &str,
    signer_id: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO signing_route_revisions (route_id, seq, sha256, kind, signer_id, created_at)
         SELECT $1, COALESCE(MAX(seq) + 1, 0), $2, $3, $4, $5 FROM signing_route_revisions WHERE route_id = $6",
    )
    .bind(route_id)
    .bind(sha256)
    .bind(kind)
    .bind(signer_id)
    .bind(now)
    .bind(route_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// One entry for a route's history.
pub struct NewHistory<'a> {
    pub action: &'a str,
    pub actor_id: &'a str,
    pub actor_name: &'a str,
    pub signer_id: Option<&'a str>,
    pub certificate_number: Option<&'a str>,
    pub address: Option<&'a str>,
    pub details: serde_json::Value,
}

/// Appends to a route's history. Callers hold the route's row lock
/// ([`lock_route`]) so sequence numbers never collide.
pub async fn append_history(
    tx: &mut AnyConnection,
    route_id: &str,
    entry: NewHistory<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO signing_route_history (route_id, seq, occurred_at, action, actor_id, actor_name, signer_id,
            certificate_number, address, details)
         SELECT $1, COALESCE(MAX(seq) + 1, 0), $2, $3, $4, $5, $6, $7, $8, $9 FROM signing_route_history WHERE route_id = $10",
    )
    .bind(route_id)
    .bind(now)
    .bind(entry.action)
    .bind(entry.actor_id)
    .bind(entry.actor_name)
    .bind(entry.signer_id)
    .bind(entry.certificate_number)
    .bind(entry.address)
    .bind(entry.details.to_string())
    .bind(route_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Takes the route's row lock for the rest of the transaction (PostgreSQL;
/// on SQLite the immediate transaction already serialises writers).
/// Returns whether the route exists.
pub async fn lock_route(tx: &mut AnyConnection, route_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE signing_routes SET updated_at = updated_at WHERE id = $1")
        .bind(route_id)
        .execute(&mut *tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

const ROUTE_COLUMNS: &str = "id, secretariat_id, title, record_kind, folio, due_on, document_id, sign_order, status,
    original_sha256, signable_sha256, current_sha256, final_sha256, layout, recipients, cancel_reason, opened_by,
    created_at, updated_at, closed_at";

fn route_row(r: &sqlx::any::AnyRow) -> Result<RouteRow, sqlx::Error> {
    RouteRow::from_row(r)
}

/// A route by id.
pub async fn route(conn: &mut AnyConnection, id: &str) -> Result<Option<RouteRow>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ROUTE_COLUMNS} FROM signing_routes WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(route_row).transpose()
}

/// Routes of a secretariat (every one for `None`), newest first.
pub async fn routes(
    conn: &mut AnyConnection,
    secretariat_id: Option<&str>,
    limit: i64,
) -> Result<Vec<RouteRow>, sqlx::Error> {
    let rows = match secretariat_id {
        Some(id) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ROUTE_COLUMNS} FROM signing_routes WHERE secretariat_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
            )))
            .bind(id)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ROUTE_COLUMNS} FROM signing_routes ORDER BY created_at DESC, id DESC LIMIT $1"
            )))
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    rows.iter().map(route_row).collect()
}

/// The signers of a route, in order.
pub async fn signers(
    conn: &mut AnyConnection,
    route_id: &str,
) -> Result<Vec<SignerRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT signer_id, position, name, rfc, seat, role, email, status, signed_at, certificate_number,
                refusal_reason, refused_at
         FROM signing_route_signers WHERE route_id = $1 ORDER BY position",
    )
    .bind(route_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(SignerRow::from_row).collect()
}

/// A route's revisions, in order.
pub async fn route_revisions(
    conn: &mut AnyConnection,
    route_id: &str,
) -> Result<Vec<RevisionView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT rr.seq, rr.sha256, rr.kind, rr.signer_id, r.size_bytes, rr.created_at
         FROM signing_route_revisions rr JOIN signing_revisions r ON r.sha256 = rr.sha256
         WHERE rr.route_id = $1 ORDER BY rr.seq",
    )
    .bind(route_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(RevisionView::from_row).collect()
}

/// A route's history, in order.
pub async fn history(
    conn: &mut AnyConnection,
    route_id: &str,
) -> Result<Vec<HistoryEntry>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT seq, occurred_at, action, actor_id, actor_name, signer_id, certificate_number, address, details
         FROM signing_route_history WHERE route_id = $1 ORDER BY seq",
    )
    .bind(route_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let details: String = r.try_get("details")?;
            Ok(HistoryEntry {
                seq: r.try_get("seq")?,
                occurred_at: r.try_get("occurred_at")?,
                action: r.try_get("action")?,
                actor_id: r.try_get("actor_id")?,
                actor_name: r.try_get("actor_name")?,
                signer_id: r.try_get("signer_id")?,
                certificate_number: r.try_get("certificate_number")?,
                address: r.try_get("address")?,
                details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect()
}

/// Stores a prepared signature.
#[allow(clippy::too_many_arguments)]
pub async fn insert_prepare(
    tx: &mut AnyConnection,
    id: &str,
    route_id: &str,
    signer_id: &str,
    base_sha256: &str,
    certificate_number: &str,
    prepared_by: &str,
    state: &[u8],
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO signing_prepares (id, route_id, signer_id, base_sha256, certificate_number, prepared_by, state,
            created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(route_id)
    .bind(signer_id)
    .bind(base_sha256)
    .bind(certificate_number)
    .bind(prepared_by)
    .bind(state.to_vec())
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A prepared signature by id.
pub async fn prepare(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<PrepareRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, route_id, signer_id, base_sha256, certificate_number, prepared_by, state, expires_at, completed_at
         FROM signing_prepares WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(PrepareRow::from_row).transpose()
}

/// Marks a prepare used and drops its bytes (they are now a stored revision).
pub async fn finish_prepare(
    tx: &mut AnyConnection,
    id: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE signing_prepares SET state = NULL, completed_at = $1 WHERE id = $2 AND completed_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected())
}

/// Drops the bytes of prepares that expired (the rows stay, as a record of
/// the attempt).
pub async fn forget_expired_prepares(tx: &mut AnyConnection, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE signing_prepares SET state = NULL WHERE state IS NOT NULL AND completed_at IS NULL AND expires_at < $1",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected())
}

/// The compare-and-swap of `complete`: the route moves to `new` only if its
/// current revision is still `base` and it is open. Returns whether it did.
pub async fn swap_current(
    tx: &mut AnyConnection,
    route_id: &str,
    base: &str,
    new: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE signing_routes SET current_sha256 = $1, updated_at = $2
         WHERE id = $3 AND current_sha256 = $4 AND status = 'abierta'",
    )
    .bind(new)
    .bind(now)
    .bind(route_id)
    .bind(base)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a signer's signature (only once).
pub async fn mark_signed(
    tx: &mut AnyConnection,
    route_id: &str,
    signer_id: &str,
    certificate_number: &str,
    revision_sha256: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE signing_route_signers SET status = 'firmado', signed_at = $1, certificate_number = $2, revision_sha256 = $3
         WHERE route_id = $4 AND signer_id = $5 AND status <> 'firmado'",
    )
    .bind(now)
    .bind(certificate_number)
    .bind(revision_sha256)
    .bind(route_id)
    .bind(signer_id)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a refusal.
pub async fn mark_refused(
    tx: &mut AnyConnection,
    route_id: &str,
    signer_id: &str,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE signing_route_signers SET status = 'rechazado', refusal_reason = $1, refused_at = $2
         WHERE route_id = $3 AND signer_id = $4 AND status = 'pendiente'",
    )
    .bind(reason)
    .bind(now)
    .bind(route_id)
    .bind(signer_id)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes an open route as `status` (`completada` with its final revision,
/// or `cancelada` with a reason).
pub async fn close_route(
    tx: &mut AnyConnection,
    route_id: &str,
    status: &str,
    final_sha256: Option<&str>,
    cancel_reason: Option<&str>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE signing_routes SET status = $1, final_sha256 = $2, cancel_reason = $3, closed_at = $4, updated_at = $5
         WHERE id = $6 AND status = 'abierta'",
    )
    .bind(status)
    .bind(final_sha256)
    .bind(cancel_reason)
    .bind(now)
    .bind(now)
    .bind(route_id)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
