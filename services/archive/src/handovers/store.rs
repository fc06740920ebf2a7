//! The handovers' SQL: rows of `archive_handovers` and their files.

use sqlx::FromRow;

use super::*;

/// A stored handover.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct HandoverRow {
    pub(super) id: String,
    pub(super) secretariat_id: String,
    pub(super) secretariat_name: String,
    pub(super) member_id: String,
    pub(super) member_name: String,
    pub(super) member_rfc: Option<String>,
    pub(super) seat: Option<String>,
    pub(super) successor_member_id: Option<String>,
    pub(super) successor_name: Option<String>,
    pub(super) observations: Option<String>,
    pub(super) status: String,
    pub(super) folio: String,
    pub(super) report_sha256: Option<String>,
    pub(super) inventory_document_id: Option<String>,
    pub(super) route_id: Option<String>,
    pub(super) inventory_sha256: Option<String>,
    pub(super) package_sha256: Option<String>,
    pub(super) package_size: Option<i64>,
    pub(super) created_at: i64,
    pub(super) submitted_at: Option<i64>,
    pub(super) routed_at: Option<i64>,
    pub(super) archived_at: Option<i64>,
}

pub(super) const COLUMNS: &str = "id, secretariat_id, secretariat_name, member_id, member_name, member_rfc, seat, successor_member_id, successor_name, observations, status, folio, report_sha256, inventory_document_id, route_id, inventory_sha256, package_sha256, package_size, created_at, submitted_at, routed_at, archived_at";

pub(super) fn read_row(row: &sqlx::any::AnyRow) -> Result<HandoverRow, sqlx::Error> {
    HandoverRow::from_row(row)
}

pub(super) async fn load(conn: &mut AnyConnection, id: &str) -> ApiResult<HandoverRow> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM archive_handovers WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .or_unexpected("leyendo la entrega-recepción")?;
    match row {
        Some(row) => read_row(&row).or_unexpected("leyendo la entrega-recepción"),
        None => Err(ApiError::NotFound(format!(
            "No existe la entrega-recepción «{id}». Consulte las suyas con GET /handovers."
        ))),
    }
}

pub(super) async fn files_of(conn: &mut AnyConnection, id: &str) -> ApiResult<Vec<HandoverFile>> {
    let rows = sqlx::query(
        "SELECT path, original_name, media_type, size_bytes, sha256, source, description, added_at
         FROM archive_handover_files WHERE handover_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .or_unexpected("leyendo los archivos de la entrega")?;
    rows.iter()
        .map(|r| {
            Ok(HandoverFile {
                path: r.try_get("path")?,
                original_name: r.try_get("original_name")?,
                media_type: r.try_get("media_type")?,
                size_bytes: r.try_get("size_bytes")?,
                sha256: r.try_get("sha256")?,
                source: r.try_get("source")?,
                description: r.try_get("description")?,
                added_at: r.try_get("added_at")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .or_unexpected("leyendo los archivos de la entrega")
}
