//! The documents service's SQL, nothing else. Every function takes a
//! connection (a transaction when it writes); rows are plain structs.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow, Row};

/// A record as stored.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct DocumentRow {
    pub id: String,
    pub kind: String,
    pub folio: String,
    pub title: String,
    pub secretariat_id: Option<String>,
    pub session_id: Option<String>,
    pub latest_version: i64,
    pub approved_version: Option<i64>,
    pub approved_at: Option<i64>,
    pub approved_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A version without its bytes.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct VersionRow {
    pub version: i64,
    pub sha256: String,
    pub page_count: i64,
    pub page_width: i64,
    pub page_height: i64,
    pub created_at: i64,
    pub created_by: String,
}

/// A version to insert.
pub struct NewVersion<'a> {
    pub document_id: &'a str,
    pub version: i64,
    pub sha256: &'a str,
    pub page_count: i64,
    pub page_size: (i64, i64),
    pub data: &'a str,
    pub pdf: &'a [u8],
    pub layout: &'a str,
    pub created_at: i64,
    pub created_by: &'a str,
}

const DOCUMENT_COLUMNS: &str = "id, kind, folio, title, secretariat_id, session_id, latest_version, approved_version, approved_at, approved_by, created_at, updated_at";

fn document_from_row(row: &AnyRow) -> Result<DocumentRow, sqlx::Error> {
    DocumentRow::from_row(row)
}

/// Inserts a new record (its first version is inserted apart).
pub async fn insert_document(
    conn: &mut AnyConnection,
    row: &DocumentRow,
    source_event_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO documents (id, kind, folio, title, secretariat_id, session_id, source_event_id, latest_version, approved_version, approved_at, approved_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL, $9, $10)",
    )
    .bind(&row.id)
    .bind(&row.kind)
    .bind(&row.folio)
    .bind(&row.title)
    .bind(&row.secretariat_id)
    .bind(&row.session_id)
    .bind(source_event_id)
    .bind(row.latest_version)
    .bind(row.created_at)
    .bind(row.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts a version.
pub async fn insert_version(
    conn: &mut AnyConnection,
    v: &NewVersion<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO document_versions (document_id, version, sha256, page_count, page_width, page_height, data, pdf, layout, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(v.document_id)
    .bind(v.version)
    .bind(v.sha256)
    .bind(v.page_count)
    .bind(v.page_size.0)
    .bind(v.page_size.1)
    .bind(v.data)
    .bind(v.pdf.to_vec())
    .bind(v.layout)
    .bind(v.created_at)
    .bind(v.created_by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A record by id.
pub async fn document(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<DocumentRow>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(document_from_row).transpose()
}

/// The records of a session, oldest first.
pub async fn documents_of_session(
    conn: &mut AnyConnection,
    session_id: &str,
) -> Result<Vec<DocumentRow>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE session_id = $1 ORDER BY created_at, id"
    )))
    .bind(session_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(document_from_row).collect()
}

/// The most recent records of a secretariat (all when `None`), newest first.
pub async fn recent_documents(
    conn: &mut AnyConnection,
    secretariat_id: Option<&str>,
    limit: i64,
) -> Result<Vec<DocumentRow>, sqlx::Error> {
    let rows = match secretariat_id {
        Some(s) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE secretariat_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
            )))
            .bind(s)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {DOCUMENT_COLUMNS} FROM documents ORDER BY created_at DESC, id DESC LIMIT $1"
            )))
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    rows.iter().map(document_from_row).collect()
}

/// Every version of a record, without bytes, in order.
pub async fn versions(conn: &mut AnyConnection, id: &str) -> Result<Vec<VersionRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT version, sha256, page_count, page_width, page_height, created_at, created_by
         FROM document_versions WHERE document_id = $1 ORDER BY version",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(VersionRow::from_row).collect()
}

/// The PDF and SHA-256 of a version.
pub async fn pdf(
    conn: &mut AnyConnection,
    id: &str,
    version: i64,
) -> Result<Option<(Vec<u8>, String)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT pdf, sha256 FROM document_versions WHERE document_id = $1 AND version = $2",
    )
    .bind(id)
    .bind(version)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| Ok((r.try_get("pdf")?, r.try_get("sha256")?)))
        .transpose()
}

/// The layout manifest (JSON text) of a version.
pub async fn layout(
    conn: &mut AnyConnection,
    id: &str,
    version: i64,
) -> Result<Option<String>, sqlx::Error> {
    let row =
        sqlx::query("SELECT layout FROM document_versions WHERE document_id = $1 AND version = $2")
            .bind(id)
            .bind(version)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|r| r.try_get("layout")).transpose()
}

/// Moves a draft to its next version; `false` when someone else did first
/// or it was approved meanwhile (the caller reports a conflict).
pub async fn advance_version(
    conn: &mut AnyConnection,
    id: &str,
    from: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE documents SET latest_version = $1, updated_at = $2
         WHERE id = $3 AND latest_version = $4 AND approved_version IS NULL",
    )
    .bind(from + 1)
    .bind(now)
    .bind(id)
    .bind(from)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(done == 1)
}

/// Approves `version`; `false` when the record was already approved.
pub async fn approve(
    conn: &mut AnyConnection,
    id: &str,
    version: i64,
    actor: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE documents SET approved_version = $1, approved_at = $2, approved_by = $3, updated_at = $2
         WHERE id = $4 AND approved_version IS NULL",
    )
    .bind(version)
    .bind(now)
    .bind(actor)
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(done == 1)
}
