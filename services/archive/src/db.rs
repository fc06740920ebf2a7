//! The archive's SQL, nothing else. Every function takes a connection (a
//! transaction when it writes); rows are plain structs.

use rubrica_platform::Backend;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow, Row};

/// A leaf of the log as stored.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct EntryRow {
    pub log_index: i64,
    pub leaf_hash: String,
    pub sha256: String,
    pub kind: String,
    pub created_at: i64,
}

/// A signed tree head as stored.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct HeadRow {
    pub tree_size: i64,
    pub root_hash: String,
    pub signed_at: i64,
    pub signature: String,
    pub public_key: String,
}

/// An archived object's metadata as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectRow {
    pub sha256: String,
    pub log_index: i64,
    pub size_bytes: i64,
    pub media_type: String,
    pub kind: String,
    pub title: Option<String>,
    pub secretariat_id: Option<String>,
    /// JSON text.
    pub metadata: String,
    pub published: bool,
    pub source: String,
    pub created_at: i64,
}

/// Serialises appenders across processes until the transaction ends: an
/// advisory lock on PostgreSQL; on SQLite the transaction was opened with
/// `BEGIN IMMEDIATE`, which already excludes other writers.
pub async fn lock_log(conn: &mut AnyConnection, backend: Backend) -> Result<(), sqlx::Error> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7236514408)")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn entry_from_row(row: &AnyRow) -> Result<EntryRow, sqlx::Error> {
    EntryRow::from_row(row)
}

const ENTRY_COLUMNS: &str = "log_index, leaf_hash, sha256, kind, created_at";

/// Entries `start..end`, in order.
pub async fn entries(
    conn: &mut AnyConnection,
    start: i64,
    end: i64,
) -> Result<Vec<EntryRow>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM archive_log_entries
         WHERE log_index >= $1 AND log_index < $2 ORDER BY log_index"
    )))
    .bind(start)
    .bind(end)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(entry_from_row)
    .collect()
}

/// The entry of an object.
pub async fn entry_by_sha256(
    conn: &mut AnyConnection,
    sha256: &str,
) -> Result<Option<EntryRow>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM archive_log_entries WHERE sha256 = $1"
    )))
    .bind(sha256)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(entry_from_row)
    .transpose()
}

/// The entry at `log_index`.
pub async fn entry_at(
    conn: &mut AnyConnection,
    log_index: i64,
) -> Result<Option<EntryRow>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM archive_log_entries WHERE log_index = $1"
    )))
    .bind(log_index)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(entry_from_row)
    .transpose()
}

pub async fn insert_entry(conn: &mut AnyConnection, entry: &EntryRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO archive_log_entries (log_index, leaf_hash, sha256, kind, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(entry.log_index)
    .bind(&entry.leaf_hash)
    .bind(&entry.sha256)
    .bind(&entry.kind)
    .bind(entry.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn head_from_row(row: &AnyRow) -> Result<HeadRow, sqlx::Error> {
    HeadRow::from_row(row)
}

const HEAD_COLUMNS: &str = "tree_size, root_hash, signed_at, signature, public_key";

/// The newest head (the largest tree).
pub async fn latest_head(conn: &mut AnyConnection) -> Result<Option<HeadRow>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {HEAD_COLUMNS} FROM archive_tree_heads ORDER BY tree_size DESC LIMIT 1"
    )))
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(head_from_row)
    .transpose()
}

/// The head signed when the log had `tree_size` entries.
pub async fn head_at(
    conn: &mut AnyConnection,
    tree_size: i64,
) -> Result<Option<HeadRow>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {HEAD_COLUMNS} FROM archive_tree_heads WHERE tree_size = $1"
    )))
    .bind(tree_size)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(head_from_row)
    .transpose()
}

pub async fn insert_head(conn: &mut AnyConnection, head: &HeadRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO archive_tree_heads (tree_size, root_hash, signed_at, signature, public_key)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(head.tree_size)
    .bind(&head.root_hash)
    .bind(head.signed_at)
    .bind(&head.signature)
    .bind(&head.public_key)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn object_from_row(row: &AnyRow) -> Result<ObjectRow, sqlx::Error> {
    ObjectRow::from_row(row)
}

/// By column name; `published` is stored as 0 or 1 on both backends.
impl FromRow<'_, AnyRow> for ObjectRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(ObjectRow {
            sha256: row.try_get("sha256")?,
            log_index: row.try_get("log_index")?,
            size_bytes: row.try_get("size_bytes")?,
            media_type: row.try_get("media_type")?,
            kind: row.try_get("kind")?,
            title: row.try_get("title")?,
            secretariat_id: row.try_get("secretariat_id")?,
            metadata: row.try_get("metadata")?,
            published: row.try_get::<i64, _>("published")? != 0,
            source: row.try_get("source")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// The metadata of the object with this SHA-256.
pub async fn object(
    conn: &mut AnyConnection,
    sha256: &str,
) -> Result<Option<ObjectRow>, sqlx::Error> {
    sqlx::query(
        "SELECT sha256, log_index, size_bytes, media_type, kind, title, secretariat_id, metadata, published, source, created_at
         FROM archive_objects WHERE sha256 = $1",
    )
    .bind(sha256)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(object_from_row)
    .transpose()
}

pub async fn insert_object(
    conn: &mut AnyConnection,
    object: &ObjectRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO archive_objects (sha256, log_index, size_bytes, media_type, kind, title, secretariat_id, metadata, published, source, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&object.sha256)
    .bind(object.log_index)
    .bind(object.size_bytes)
    .bind(&object.media_type)
    .bind(&object.kind)
    .bind(object.title.clone())
    .bind(object.secretariat_id.clone())
    .bind(&object.metadata)
    .bind(i32::from(object.published))
    .bind(&object.source)
    .bind(object.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
