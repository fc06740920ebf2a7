//! End-of-term handovers (entrega-recepción, 000 III.7).
//!
//! The outgoing member, logged in as themselves, opens a handover and puts
//! in it their activity report (rendered by the documents service from
//! their text, or an uploaded PDF), the documents they produced (uploads,
//! checked by content and hashed on arrival) and references to records
//! already archived. They submit it; from then on it is frozen. The
//! President (or the facilitator) then has the inventory — the *acta de
//! entrega-recepción*, every file with its size and SHA-256 — rendered by
//! the documents service and routed for signature: the outgoing member
//! signs as who delivers, the successor (when designated) and the President
//! as who receive. When the route completes, the signed inventory is
//! archived as a public record (like any other, in [`crate::records`]) and
//! the bag — its files plus the signed inventory, as BagIt (RFC 8493) in a
//! ZIP — is archived and logged as one package.
//!
//! The archive calls the documents, signing and secretariat services with
//! the caller's own credential (`Authorization` forwarded), so each service
//! applies its own access rules to that person and audits them by name; the
//! archive never acts with more authority than the person asking.

use rubrica_platform::Bytes;
use rubrica_platform::OrUnexpected;
use rubrica_platform::db::now_ms;
use rubrica_platform::{ApiError, ApiResult, Caller, Role, ServiceName};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};
use utoipa::ToSchema;

use crate::archive::{Archive, Deposit};
use crate::bagit;
use crate::digest::{Digest32, Sha256};
use crate::sniff;
use rubrica_contracts::client::{As, ServiceClient};

mod completion;
mod contents;
mod inventory;
mod store;

pub use completion::complete;
use store::{COLUMNS, HandoverRow, files_of, load, read_row};

/// Kind of an archived handover package in the log.
pub const PACKAGE_KIND: &str = "paquete_entrega";
/// Record kind of the signed inventory.
pub const INVENTORY_KIND: &str = "entrega_recepcion";
/// Event emitted when a package is archived.
pub use rubrica_contracts::events::HANDOVER_ARCHIVED;
/// Event emitted when an outgoing member submits a handover.
pub use rubrica_contracts::events::HANDOVER_SUBMITTED;
/// Name of the signed inventory inside the bag.
pub const SIGNED_INVENTORY: &str = "acta-de-entrega-recepcion-firmada.pdf";
/// Name of the activity report inside the bag.
pub const REPORT: &str = "informe-de-actividades.pdf";
/// Most files one handover holds.
pub const MAX_FILES: usize = 2_000;
/// How far back a concluded term still asks for its handover (days).
pub const PENDING_LOOKBACK_DAYS: i64 = 365;
/// How far ahead a term about to conclude is shown (days).
pub const PENDING_LOOKAHEAD_DAYS: i64 = 30;

/// Who may hand over: a member whose term ended, or one in post preparing
/// ahead of the end of their term.
pub const HANDERS: &[Role] = Role::MEMBERS_AND_OUTGOING;

/// States of a handover.
pub mod status {
    pub const OPEN: &str = "abierta";
    pub const SUBMITTED: &str = "entregada";
    pub const SIGNING: &str = "en_firma";
    pub const ARCHIVED: &str = "archivada";
}

/// One file of a handover.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct HandoverFile {
    /// Path inside the bag (`data/…`).
    pub path: String,
    /// The name it was sent with.
    pub original_name: String,
    /// Detected from the content.
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// `carga` (uploaded), `registro` (an archived record) or `informe`.
    pub source: String,
    pub description: Option<String>,
    pub added_at: i64,
}

/// A handover as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HandoverView {
    pub id: String,
    pub secretariat_id: String,
    pub secretariat_name: String,
    pub folio: String,
    /// `abierta`, `entregada`, `en_firma` or `archivada`.
    pub status: String,
    pub member_id: String,
    pub member_name: String,
    pub seat: Option<String>,
    pub successor_member_id: Option<String>,
    pub successor_name: Option<String>,
    pub observations: Option<String>,
    pub files: Vec<HandoverFile>,
    pub total_bytes: i64,
    pub report_sha256: Option<String>,
    pub inventory_document_id: Option<String>,
    pub route_id: Option<String>,
    /// The signed inventory, a public record.
    pub inventory_sha256: Option<String>,
    pub package_sha256: Option<String>,
    pub package_size: Option<i64>,
    /// Where to download the package (ZIP), once archived.
    pub package_url: Option<String>,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    pub routed_at: Option<i64>,
    pub archived_at: Option<i64>,
    /// What happens next, in Spanish.
    pub next_step: String,
}

/// Opening a handover.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct OpenHandover {
    /// The seat they held (its id in the secretariat's configuration).
    #[serde(default)]
    pub seat: Option<String>,
    /// Their successor in the seat, when already designated (member id).
    #[serde(default)]
    pub successor_member_id: Option<String>,
    #[serde(default)]
    pub observations: Option<String>,
}

/// A reference to a record already in the archive.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RecordReference {
    /// The record's SHA-256.
    pub sha256: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// A period `AAAA-MM-DD`..`AAAA-MM-DD`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Period {
    pub from: String,
    pub to: String,
}

/// One activity of the report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Activity {
    pub title: String,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// The activity report's text; the documents service renders it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReportText {
    pub period: Period,
    pub summary: String,
    pub activities: Vec<Activity>,
    #[serde(default)]
    pub pending: Vec<String>,
    /// Default: the secretariat's city is not known here, so «—».
    #[serde(default)]
    pub place: Option<String>,
}

/// Routing the inventory for signature.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RouteInventory {
    /// The successor, if not named when the handover was opened.
    #[serde(default)]
    pub successor_member_id: Option<String>,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub observations: Option<String>,
}

/// A term that ended or is about to end, and its handover.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PendingHandover {
    pub member_id: String,
    pub name: String,
    pub seat: Option<String>,
    pub role: String,
    /// Last day of the term, when known.
    pub ends_on: Option<String>,
    /// Whether the term already ended.
    pub ended: bool,
    /// The handover in preparation, if any (`abierta`).
    pub handover_id: Option<String>,
    pub handover_status: Option<String>,
    pub explanation: String,
}

/// Today at a secretariat `utc_offset_minutes` east of UTC, `AAAA-MM-DD`.
pub fn today(utc_offset_minutes: i64) -> String {
    day_of(now_ms(), utc_offset_minutes)
}

/// The offset of a secretariat as the secretariat service describes it
/// (`GET /secretariats/{id}`), central Mexico when absent.
fn offset_of(secretariat: &Value) -> i64 {
    secretariat["utc_offset_minutes"]
        .as_i64()
        .unwrap_or(rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES)
}

fn day_of(epoch_ms: i64, utc_offset_minutes: i64) -> String {
    let t = rubrica_rules::local_time::local_ms(epoch_ms, utc_offset_minutes);
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

fn date_plus(date: &str, days: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(date, format)
        .ok()
        .and_then(|d| d.checked_add(time::Duration::days(days)))
        .and_then(|d| d.format(format).ok())
        .unwrap_or_else(|| date.to_string())
}

fn next_step(row: &HandoverRow, files: &[HandoverFile]) -> String {
    match row.status.as_str() {
        status::OPEN if row.report_sha256.is_none() => "Agregue su informe de actividades (POST /handovers/{id}/report con su texto, o /report.pdf con un PDF), sus documentos (POST /handovers/{id}/files) y los registros archivados que entrega (POST /handovers/{id}/records); después entréguela con POST /handovers/{id}/submit.".replace("{id}", &row.id),
        status::OPEN => format!(
            "Tiene {} archivos. Cuando estén todos, entréguela con POST /handovers/{}/submit: después ya no podrá cambiarse.",
            files.len(),
            row.id
        ),
        status::SUBMITTED => "Entregada. La Presidencia (o el facilitador) genera el acta de entrega-recepción y la envía a firma con POST /handovers/{id}/inventory.".replace("{id}", &row.id),
        status::SIGNING => "El acta de entrega-recepción está en firma: firman quien entrega, quien recibe y la Presidencia. Al completarse, el paquete se archiva.".into(),
        _ => "Archivada: el paquete (BagIt en ZIP, con el acta firmada) está en el registro del archivo y puede descargarse.".into(),
    }
}

/// The handover logic, over the archive.
#[derive(Clone)]
pub struct Handovers {
    pub archive: Archive,
}

/// The forwarded credential of the caller.
pub type Credential = Option<Vec<u8>>;

impl Handovers {
    fn ctx(&self) -> &rubrica_platform::ServiceContext {
        self.archive.context()
    }

    fn max_bytes(&self) -> usize {
        self.archive.settings().max_object_bytes
    }

    async fn view(&self, conn: &mut AnyConnection, row: HandoverRow) -> ApiResult<HandoverView> {
        let files = files_of(conn, &row.id).await?;
        let total_bytes = files.iter().map(|f| f.size_bytes).sum();
        let package_url = row.package_sha256.as_ref().map(|_| {
            format!(
                "{}/handovers/{}/package.zip",
                self.archive.base_url(),
                row.id
            )
        });
        let next_step = next_step(&row, &files);
        Ok(HandoverView {
            id: row.id,
            secretariat_id: row.secretariat_id,
            secretariat_name: row.secretariat_name,
            folio: row.folio,
            status: row.status,
            member_id: row.member_id,
            member_name: row.member_name,
            seat: row.seat,
            successor_member_id: row.successor_member_id,
            successor_name: row.successor_name,
            observations: row.observations,
            files,
            total_bytes,
            report_sha256: row.report_sha256,
            inventory_document_id: row.inventory_document_id,
            route_id: row.route_id,
            inventory_sha256: row.inventory_sha256,
            package_sha256: row.package_sha256,
            package_size: row.package_size,
            package_url,
            created_at: row.created_at,
            submitted_at: row.submitted_at,
            routed_at: row.routed_at,
            archived_at: row.archived_at,
            next_step,
        })
    }

    fn is_owner(caller: &Caller, row: &HandoverRow) -> bool {
        caller.member_id.as_deref() == Some(row.member_id.as_str())
            && caller.secretariat_id.as_deref() == Some(row.secretariat_id.as_str())
    }

    fn is_manager(caller: &Caller, row: &HandoverRow) -> bool {
        caller.has_any(&[Role::Operator])
            || (caller.has_any(Role::MANAGERS)
                && caller.secretariat_id.as_deref() == Some(row.secretariat_id.as_str()))
    }

    fn may_read(caller: &Caller, row: &HandoverRow) -> bool {
        Self::is_owner(caller, row)
            || Self::is_manager(caller, row)
            || (row.successor_member_id.is_some()
                && caller.member_id == row.successor_member_id
                && caller.secretariat_id.as_deref() == Some(row.secretariat_id.as_str()))
    }

    /// The handover, if the caller may see it (404 otherwise: its existence
    /// is not revealed to others).
    async fn readable(
        &self,
        conn: &mut AnyConnection,
        caller: &Caller,
        id: &str,
    ) -> ApiResult<HandoverRow> {
        let row = load(conn, id).await?;
        if Self::may_read(caller, &row) {
            Ok(row)
        } else {
            Err(ApiError::NotFound(format!(
                "No existe la entrega-recepción «{id}» o no le corresponde: la ven quien entrega, quien recibe y la Presidencia o el facilitador de su secretariado."
            )))
        }
    }

    /// The handover, open and the caller's own.
    async fn own_open(
        &self,
        conn: &mut AnyConnection,
        caller: &Caller,
        id: &str,
    ) -> ApiResult<HandoverRow> {
        let row = self.readable(conn, caller, id).await?;
        if !Self::is_owner(caller, &row) {
            return Err(ApiError::Forbidden(
                "Solo la persona que entrega puede agregar archivos a su entrega-recepción.".into(),
            ));
        }
        if row.status != status::OPEN {
            return Err(ApiError::Conflict(format!(
                "La entrega-recepción {} ya fue entregada ({}): ya no puede cambiarse. Si falta algo, anótelo en las observaciones del acta de entrega-recepción.",
                row.folio, row.status
            )));
        }
        Ok(row)
    }

    /// Calls another service of the suite as the caller.
    async fn call(
        &self,
        service: ServiceName,
        method: reqwest::Method,
        path: &str,
        credential: &Credential,
        body: Option<Value>,
    ) -> ApiResult<Value> {
        let client = ServiceClient::new(self.ctx(), service)
            .timeout(std::time::Duration::from_secs(120))
            .max_body(self.archive.settings().max_object_bytes);
        let who = As::Caller(credential.as_deref());
        Ok(client.send_json(method, path, who, body.as_ref()).await?)
    }

    async fn secretariat(&self, id: &str, credential: &Credential) -> ApiResult<Value> {
        self.call(
            ServiceName::Secretariat,
            reqwest::Method::GET,
            &format!("/secretariats/{id}"),
            credential,
            None,
        )
        .await
    }
}

/// An optional text of at most `max` characters, trimmed; empty is none.
fn clean_text(text: Option<&str>, max: usize, field: &str) -> ApiResult<Option<String>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(ApiError::Unprocessable(format!(
            "El campo «{field}» admite hasta {max} caracteres."
        )));
    }
    Ok(Some(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_move_by_days() {
        assert_eq!(date_plus("2026-12-03", -365), "2025-12-03");
        assert_eq!(date_plus("2026-12-31", 1), "2027-01-01");
        assert_eq!(day_of(1_795_270_443_000, -360), "2026-11-21");
    }

    #[test]
    fn texts_are_trimmed_bounded_and_empty_is_none() {
        assert_eq!(
            clean_text(Some("  hola "), 10, "x").unwrap().as_deref(),
            Some("hola")
        );
        assert_eq!(clean_text(Some("   "), 10, "x").unwrap(), None);
        assert!(clean_text(Some("demasiado largo"), 5, "observations").is_err());
    }
}
