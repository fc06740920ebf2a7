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

use rubrica_platform::OrUnexpected;
use rubrica_platform::db::now_ms;
use rubrica_platform::http::Bytes;
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

/// A stored handover.
#[derive(Debug, Clone)]
struct HandoverRow {
    id: String,
    secretariat_id: String,
    secretariat_name: String,
    member_id: String,
    member_name: String,
    member_rfc: Option<String>,
    seat: Option<String>,
    successor_member_id: Option<String>,
    successor_name: Option<String>,
    observations: Option<String>,
    status: String,
    folio: String,
    report_sha256: Option<String>,
    inventory_document_id: Option<String>,
    route_id: Option<String>,
    inventory_sha256: Option<String>,
    package_sha256: Option<String>,
    package_size: Option<i64>,
    created_at: i64,
    submitted_at: Option<i64>,
    routed_at: Option<i64>,
    archived_at: Option<i64>,
}

const COLUMNS: &str = "id, secretariat_id, secretariat_name, member_id, member_name, member_rfc, seat, successor_member_id, successor_name, observations, status, folio, report_sha256, inventory_document_id, route_id, inventory_sha256, package_sha256, package_size, created_at, submitted_at, routed_at, archived_at";

fn read_row(row: &sqlx::any::AnyRow) -> Result<HandoverRow, sqlx::Error> {
    Ok(HandoverRow {
        id: row.try_get("id")?,
        secretariat_id: row.try_get("secretariat_id")?,
        secretariat_name: row.try_get("secretariat_name")?,
        member_id: row.try_get("member_id")?,
        member_name: row.try_get("member_name")?,
        member_rfc: row.try_get("member_rfc")?,
        seat: row.try_get("seat")?,
        successor_member_id: row.try_get("successor_member_id")?,
        successor_name: row.try_get("successor_name")?,
        observations: row.try_get("observations")?,
        status: row.try_get("status")?,
        folio: row.try_get("folio")?,
        report_sha256: row.try_get("report_sha256")?,
        inventory_document_id: row.try_get("inventory_document_id")?,
        route_id: row.try_get("route_id")?,
        inventory_sha256: row.try_get("inventory_sha256")?,
        package_sha256: row.try_get("package_sha256")?,
        package_size: row.try_get("package_size")?,
        created_at: row.try_get("created_at")?,
        submitted_at: row.try_get("submitted_at")?,
        routed_at: row.try_get("routed_at")?,
        archived_at: row.try_get("archived_at")?,
    })
}

async fn load(conn: &mut AnyConnection, id: &str) -> ApiResult<HandoverRow> {
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

async fn files_of(conn: &mut AnyConnection, id: &str) -> ApiResult<Vec<HandoverFile>> {
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
        self.ctx().settings.archive.max_object_bytes
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
            .max_body(self.ctx().settings.archive.max_object_bytes);
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

    /// Opens a handover for the caller.
    pub async fn open(
        &self,
        caller: &Caller,
        credential: &Credential,
        request: OpenHandover,
    ) -> ApiResult<HandoverView> {
        let (Some(member_id), Some(secretariat_id)) = (&caller.member_id, &caller.secretariat_id)
        else {
            return Err(ApiError::Forbidden(
                "Solo una persona integrante (o que lo fue), con su propia sesión, puede abrir su entrega-recepción.".into(),
            ));
        };
        let secretariat = self.secretariat(secretariat_id, credential).await?;
        let secretariat_name = secretariat["name"]
            .as_str()
            .unwrap_or(secretariat_id)
            .to_string();
        let seat = match request
            .seat
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(seat) => {
                let known = secretariat["config"]["seats"]
                    .as_array()
                    .is_some_and(|seats| seats.iter().any(|s| s["id"] == seat));
                if !known {
                    return Err(ApiError::Unprocessable(format!(
                        "El asiento «{seat}» no existe en {secretariat_name}. Use el identificador del asiento (GET /secretariats/{secretariat_id}/seats) u omítalo."
                    )));
                }
                Some(seat.to_string())
            }
        };
        let observations = clean_text(request.observations.as_deref(), 2_000, "observations")?;
        let successor = request
            .successor_member_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        if successor.as_deref() == Some(member_id.as_str()) {
            return Err(ApiError::Unprocessable(
                "La persona que recibe no puede ser la misma que entrega: indique en successor_member_id a quien le sucede, u omítalo.".into(),
            ));
        }
        let now = now_ms();
        let id = uuid::Uuid::now_v7().to_string();
        let ctx = self.ctx();
        let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
        let open: Option<(String, String)> = sqlx::query_as(
            "SELECT id, folio FROM archive_handovers WHERE member_id = $1 AND secretariat_id = $2 AND status <> 'archivada'",
        )
        .bind(member_id)
        .bind(secretariat_id)
        .fetch_optional(&mut *tx)
        .await
        .or_unexpected("buscando entregas abiertas")?;
        if let Some((other, folio)) = open {
            return Err(ApiError::Conflict(format!(
                "Ya tiene la entrega-recepción {folio} ({other}) sin concluir: complétela en lugar de abrir otra (GET /handovers/{other})."
            )));
        }
        let year = &today(offset_of(&secretariat))[..4];
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM archive_handovers WHERE secretariat_id = $1 AND folio LIKE $2",
        )
        .bind(secretariat_id)
        .bind(format!("ER-{year}-%"))
        .fetch_one(&mut *tx)
        .await
        .or_unexpected("numerando la entrega")?;
        let folio = format!("ER-{year}-{:03}", count + 1);
        sqlx::query(
            "INSERT INTO archive_handovers (id, secretariat_id, secretariat_name, member_id, member_name, member_rfc, seat, successor_member_id, observations, status, folio, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'abierta', $10, $11)",
        )
        .bind(&id)
        .bind(secretariat_id)
        .bind(&secretariat_name)
        .bind(member_id)
        .bind(&caller.name)
        .bind(&caller.rfc)
        .bind(&seat)
        .bind(&successor)
        .bind(&observations)
        .bind(&folio)
        .bind(now)
        .execute(&mut *tx)
        .await
        .or_unexpected("guardando la entrega-recepción")?;
        ctx.audit(
            &mut tx,
            caller,
            "entrega.abrir",
            Some(&id),
            json!({ "folio": folio, "secretariado": secretariat_id, "asiento": seat }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
        tx.commit().await.or_unexpected("confirmando la entrega")?;
        self.get(caller, &id).await
    }

    /// One handover.
    pub async fn get(&self, caller: &Caller, id: &str) -> ApiResult<HandoverView> {
        let mut conn = self.archive.connection().await?;
        let row = self.readable(&mut conn, caller, id).await?;
        self.view(&mut conn, row).await
    }

    /// The caller's handovers; a President or facilitator sees every one of
    /// their secretariat.
    pub async fn list(&self, caller: &Caller) -> ApiResult<Vec<HandoverView>> {
        let mut conn = self.archive.connection().await?;
        let rows = if caller.has_any(Role::MANAGERS) {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM archive_handovers WHERE secretariat_id = $1 ORDER BY created_at DESC LIMIT 500"
            )))
            .bind(&caller.secretariat_id)
            .fetch_all(&mut *conn)
            .await
        } else {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM archive_handovers WHERE secretariat_id = $1 AND (member_id = $2 OR successor_member_id = $2) ORDER BY created_at DESC LIMIT 500"
            )))
            .bind(&caller.secretariat_id)
            .bind(&caller.member_id)
            .fetch_all(&mut *conn)
            .await
        }
        .or_unexpected("listando las entregas")?;
        let mut views = Vec::new();
        for row in &rows {
            let row = read_row(row).or_unexpected("leyendo la entrega")?;
            views.push(self.view(&mut conn, row).await?);
        }
        Ok(views)
    }

    /// Adds a file (already checked) to an open handover.
    async fn add(
        &self,
        caller: &Caller,
        id: &str,
        name: &str,
        description: Option<String>,
        source: &str,
        bytes: Bytes,
    ) -> ApiResult<HandoverView> {
        let max = self.max_bytes();
        if bytes.len() > max {
            return Err(ApiError::PayloadTooLarge(format!(
                "El archivo «{name}» tiene {} bytes y el límite es {max}. Divídalo o comprímalo.",
                bytes.len()
            )));
        }
        let format = sniff::detect(&bytes).map_err(|r| ApiError::Unprocessable(r.explain(name)))?;
        let clean = sniff::clean_name(name).ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "El nombre «{name}» no sirve como nombre de archivo. Dé un nombre con letras o números."
            ))
        })?;
        let final_name = sniff::name_for(&clean, format).map_err(ApiError::Unprocessable)?;
        let path = match source {
            "informe" => format!("data/{REPORT}"),
            "registro" => format!("data/registros/{final_name}"),
            _ => format!("data/documentos/{final_name}"),
        };
        let content = bytes.clone();
        let sha256 = tokio::task::spawn_blocking(move || Sha256::digest(&content))
            .await
            .map_err(|e| {
                ApiError::Unexpected(anyhow::Error::new(e).context("calculando la huella"))
            })?;

        let mut conn = self.archive.connection().await?;
        let row = self.own_open(&mut conn, caller, id).await?;
        let files = files_of(&mut conn, id).await?;
        drop(conn);
        if files.len() >= MAX_FILES {
            return Err(ApiError::Unprocessable(format!(
                "Una entrega-recepción admite hasta {MAX_FILES} archivos. Agrupe los demás en un ZIP."
            )));
        }
        let replacing = source == "informe";
        let total: i64 = files
            .iter()
            .filter(|f| !(replacing && f.source == "informe"))
            .map(|f| f.size_bytes)
            .sum::<i64>()
            + bytes.len() as i64;
        // The package (files + signed inventory + tag files) is one object.
        if total as usize > max.saturating_sub(4 * 1024 * 1024) {
            return Err(ApiError::PayloadTooLarge(format!(
                "Con «{final_name}» la entrega sumaría {total} bytes y el paquete admite hasta {} (archive.max_object_bytes menos el acta firmada). Agrupe archivos o pida al administrador un límite mayor.",
                max.saturating_sub(4 * 1024 * 1024)
            )));
        }
        if !replacing && files.iter().any(|f| f.path == path) {
            return Err(ApiError::Conflict(format!(
                "Ya hay un archivo «{final_name}» en la entrega {}. Cambie el nombre del nuevo.",
                row.folio
            )));
        }
        // Bytes first (content-addressed, create-only); the row makes them
        // part of the handover.
        self.archive.stage(&sha256, bytes.clone()).await?;
        let ctx = self.ctx();
        let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
        // Still open, inside the write transaction.
        let still: Option<String> =
            sqlx::query_scalar("SELECT status FROM archive_handovers WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .or_unexpected("leyendo la entrega")?;
        if still.as_deref() != Some(status::OPEN) {
            return Err(ApiError::Conflict(format!(
                "La entrega-recepción {} se entregó mientras se cargaba el archivo; ya no puede cambiarse.",
                row.folio
            )));
        }
        if replacing {
            // The replaced report's bytes go once nothing refers to them.
            sqlx::query(
                "INSERT INTO archive_staged_garbage (sha256, replaced_at)
                 SELECT sha256, $2 FROM archive_handover_files
                 WHERE handover_id = $1 AND source = 'informe' AND sha256 <> $3
                 ON CONFLICT (sha256) DO UPDATE SET replaced_at = excluded.replaced_at",
            )
            .bind(id)
            .bind(now_ms())
            .bind(sha256.to_hex())
            .execute(&mut *tx)
            .await
            .or_unexpected("anotando el informe reemplazado")?;
            sqlx::query(
                "DELETE FROM archive_handover_files WHERE handover_id = $1 AND source = 'informe'",
            )
            .bind(id)
            .execute(&mut *tx)
            .await
            .or_unexpected("reemplazando el informe")?;
        }
        let position: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM archive_handover_files WHERE handover_id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .or_unexpected("numerando el archivo")?;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO archive_handover_files (handover_id, path, position, original_name, media_type, size_bytes, sha256, source, description, added_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(&path)
        .bind(position)
        .bind(name)
        .bind(format.media_type)
        .bind(bytes.len() as i64)
        .bind(sha256.to_hex())
        .bind(source)
        .bind(&description)
        .bind(now)
        .execute(&mut *tx)
        .await
        .or_unexpected("guardando el archivo")?;
        if replacing {
            sqlx::query("UPDATE archive_handovers SET report_sha256 = $1 WHERE id = $2")
                .bind(sha256.to_hex())
                .bind(id)
                .execute(&mut *tx)
                .await
                .or_unexpected("guardando el informe")?;
        }
        ctx.audit(
            &mut tx,
            caller,
            "entrega.agregar",
            Some(id),
            json!({ "ruta": path, "huella": sha256.to_hex(), "bytes": bytes.len(), "tipo": format.media_type, "origen": source }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
        tx.commit().await.or_unexpected("confirmando el archivo")?;
        self.get(caller, id).await
    }

    /// An uploaded document.
    pub async fn upload(
        &self,
        caller: &Caller,
        id: &str,
        name: &str,
        description: Option<String>,
        bytes: Bytes,
    ) -> ApiResult<HandoverView> {
        let description = clean_text(description.as_deref(), 500, "description")?;
        self.add(caller, id, name, description, "carga", bytes)
            .await
    }

    /// An uploaded activity report (a PDF).
    pub async fn report_pdf(
        &self,
        caller: &Caller,
        id: &str,
        bytes: Bytes,
    ) -> ApiResult<HandoverView> {
        if !matches!(sniff::detect(&bytes), Ok(f) if f.media_type == "application/pdf") {
            return Err(ApiError::Unprocessable(
                "El informe de actividades debe ser un PDF (su contenido no empieza con «%PDF-»). Envíe el PDF, o su texto a POST /handovers/{id}/report para que se genere.".replace("{id}", id),
            ));
        }
        self.add(
            caller,
            id,
            REPORT,
            Some("Informe de actividades".into()),
            "informe",
            bytes,
        )
        .await
    }

    /// The activity report rendered by the documents service from its text.
    pub async fn report_text(
        &self,
        caller: &Caller,
        credential: &Credential,
        id: &str,
        text: ReportText,
    ) -> ApiResult<HandoverView> {
        let row = {
            let mut conn = self.archive.connection().await?;
            self.own_open(&mut conn, caller, id).await?
        };
        let seat = match &row.seat {
            Some(seat) => self.seat_name(&row.secretariat_id, seat, credential).await,
            None => "—".to_string(),
        };
        let data = json!({
            "secretariat": { "id": row.secretariat_id, "name": row.secretariat_name },
            "folio": format!("{}-INF", row.folio),
            "date": today(rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES),
            "place": text.place.as_deref().map(str::trim).filter(|p| !p.is_empty()).unwrap_or("—"),
            "member": { "name": row.member_name, "seat": seat, "role": "Integrante saliente" },
            "period": text.period,
            "summary": text.summary,
            "activities": text.activities,
            "pending": text.pending,
            "signers": [{
                "id": row.member_id,
                "name": row.member_name,
                "rfc": row.member_rfc,
                "seat": seat,
                "role": "Integrante saliente",
            }],
        });
        let rendered = self
            .call(
                ServiceName::Documents,
                reqwest::Method::POST,
                "/documents",
                credential,
                Some(json!({ "kind": "informe", "data": data })),
            )
            .await?;
        let pdf = rendered["pdf_base64"]
            .as_str()
            .and_then(|b| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.decode(b).ok()
            })
            .ok_or_else(|| {
                ApiError::Unexpected(anyhow::anyhow!(
                    "el servicio de documentos no devolvió el PDF del informe"
                ))
            })?;
        self.add(
            caller,
            id,
            REPORT,
            Some(format!(
                "Informe de actividades (documento {})",
                rendered["id"].as_str().unwrap_or("?")
            )),
            "informe",
            Bytes::from(pdf),
        )
        .await
    }

    /// A record already archived, copied into the handover.
    pub async fn add_record(
        &self,
        caller: &Caller,
        id: &str,
        reference: RecordReference,
    ) -> ApiResult<HandoverView> {
        let sha256 = Digest32::parse(reference.sha256.trim())
            .map_err(|e| ApiError::Unprocessable(format!("{e}.")))?;
        let row = {
            let mut conn = self.archive.connection().await?;
            self.own_open(&mut conn, caller, id).await?
        };
        let Some(object) = self.archive.object(&sha256).await? else {
            return Err(ApiError::NotFound(format!(
                "Ningún registro del archivo tiene la huella {sha256}. Búsquelo en GET /records."
            )));
        };
        if object.secretariat_id.as_deref() != Some(row.secretariat_id.as_str()) {
            return Err(ApiError::Forbidden(format!(
                "El objeto {sha256} no es de su secretariado: solo puede entregar registros de {}.",
                row.secretariat_name
            )));
        }
        if object.kind == PACKAGE_KIND {
            return Err(ApiError::Unprocessable(
                "Un paquete de entrega-recepción no puede entregarse dentro de otro.".into(),
            ));
        }
        let bytes = self.archive.stored(&sha256).await?;
        let folio = serde_json::from_str::<Value>(&object.metadata)
            .ok()
            .and_then(|m| m["folio"].as_str().map(str::to_string));
        let stem = match folio {
            Some(f) if !f.trim().is_empty() => format!("{} {f}", object.kind),
            _ => format!("{} {}", object.kind, &object.sha256[..12]),
        };
        let description = clean_text(reference.description.as_deref(), 500, "description")?
            .or_else(|| Some(format!("Registro archivado {}", object.sha256)));
        self.add(caller, id, &stem, description, "registro", bytes)
            .await
    }

    /// Freezes the handover: it can be inventoried and signed.
    pub async fn submit(&self, caller: &Caller, id: &str) -> ApiResult<HandoverView> {
        let ctx = self.ctx();
        let mut conn = self.archive.connection().await?;
        let row = self.own_open(&mut conn, caller, id).await?;
        let files = files_of(&mut conn, id).await?;
        drop(conn);
        if row.report_sha256.is_none() {
            return Err(ApiError::Unprocessable(format!(
                "Falta el informe de actividades (000 III.7): agréguelo con POST /handovers/{id}/report (su texto) o /report.pdf (un PDF) antes de entregar."
            )));
        }
        let now = now_ms();
        let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
        let changed = sqlx::query(
            "UPDATE archive_handovers SET status = 'entregada', submitted_at = $1, submitted_on = $2 WHERE id = $3 AND status = 'abierta'",
        )
        .bind(now)
        .bind(day_of(now, rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES))
        .bind(id)
        .execute(&mut *tx)
        .await
        .or_unexpected("entregando")?
        .rows_affected();
        if changed != 1 {
            return Err(ApiError::Conflict(format!(
                "La entrega-recepción {} ya fue entregada.",
                row.folio
            )));
        }
        ctx.audit(
            &mut tx,
            caller,
            "entrega.entregar",
            Some(id),
            json!({ "folio": row.folio, "archivos": files.len(), "bytes": files.iter().map(|f| f.size_bytes).sum::<i64>() }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
        ctx.outbox
            .record(
                &mut tx,
                HANDOVER_SUBMITTED,
                &json!({
                    "handover_id": id,
                    "secretariat_id": row.secretariat_id,
                    "folio": row.folio,
                    "member_id": row.member_id,
                    "member_name": row.member_name,
                    "files": files.len(),
                }),
            )
            .await
            .or_unexpected("registrando el evento")?;
        ctx.outbox
            .commit(tx)
            .await
            .or_unexpected("confirmando la entrega")?;
        self.get(caller, id).await
    }

    async fn seat_name(&self, secretariat_id: &str, seat: &str, credential: &Credential) -> String {
        self.secretariat(secretariat_id, credential)
            .await
            .ok()
            .and_then(|s| {
                s["config"]["seats"].as_array().and_then(|seats| {
                    seats
                        .iter()
                        .find(|x| x["id"] == seat)
                        .and_then(|x| x["name"].as_str().map(str::to_string))
                })
            })
            .unwrap_or_else(|| seat.to_string())
    }

    /// Renders the inventory, approves it and routes it for signature (the
    /// President or the facilitator, with their own credential).
    pub async fn route_inventory(
        &self,
        caller: &Caller,
        credential: &Credential,
        id: &str,
        request: RouteInventory,
    ) -> ApiResult<HandoverView> {
        let mut conn = self.archive.connection().await?;
        let row = self.readable(&mut conn, caller, id).await?;
        if !Self::is_manager(caller, &row) || caller.has_any(&[Role::Operator]) {
            return Err(ApiError::Forbidden(
                "La Presidencia o el facilitador del secretariado genera el acta de entrega-recepción y la envía a firma.".into(),
            ));
        }
        if row.status == status::OPEN {
            return Err(ApiError::Conflict(format!(
                "La entrega-recepción {} aún no se entrega: quien entrega debe concluirla con POST /handovers/{id}/submit.",
                row.folio
            )));
        }
        if row.status != status::SUBMITTED {
            return Err(ApiError::Conflict(format!(
                "El acta de entrega-recepción {} ya se envió a firma (ruta {}).",
                row.folio,
                row.route_id.as_deref().unwrap_or("?")
            )));
        }
        let files = files_of(&mut conn, id).await?;
        drop(conn);
        let secretariat = self.secretariat(&row.secretariat_id, credential).await?;
        let members = self
            .call(
                ServiceName::Secretariat,
                reqwest::Method::GET,
                &format!("/secretariats/{}/members", row.secretariat_id),
                credential,
                None,
            )
            .await?;
        let members = members.as_array().cloned().unwrap_or_default();
        let member = |member_id: &str| members.iter().find(|m| m["id"] == member_id).cloned();
        let seat_name = |seat: &str| -> String {
            secretariat["config"]["seats"]
                .as_array()
                .and_then(|seats| seats.iter().find(|s| s["id"] == seat))
                .and_then(|s| s["name"].as_str().map(str::to_string))
                .unwrap_or_else(|| seat.to_string())
        };
        // The seat of someone: the given one, else their latest seated designation.
        let seat_of = |m: &Value| -> Option<String> {
            m["designations"].as_array().and_then(|ds| {
                ds.iter()
                    .filter(|d| d["seat"].is_string())
                    .max_by_key(|d| d["starts_on"].as_str().unwrap_or_default().to_string())
                    .and_then(|d| d["seat"].as_str().map(str::to_string))
            })
        };
        let outgoing = member(&row.member_id).ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "{} ya no figura entre las personas integrantes del secretariado; no se puede generar el acta.",
                row.member_name
            ))
        })?;
        let outgoing_seat = row.seat.clone().or_else(|| seat_of(&outgoing));
        let successor_id = request
            .successor_member_id
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| row.successor_member_id.clone());
        let successor = match &successor_id {
            None => None,
            Some(s) if s == &row.member_id => {
                return Err(ApiError::Unprocessable(
                    "Quien recibe no puede ser quien entrega: indique a la persona sucesora en successor_member_id, u omítalo.".into(),
                ));
            }
            Some(s) => Some(member(s).ok_or_else(|| {
                ApiError::Unprocessable(format!(
                    "No hay ninguna persona integrante con id «{s}» en el secretariado (successor_member_id)."
                ))
            })?),
        };
        let president_id = caller.member_id.clone().unwrap_or_default();
        let president_is_president = caller.has_any(&[Role::President]);
        // The President receives; a facilitator routes it for the President.
        let president = if president_is_president {
            member(&president_id)
        } else {
            let presiding = secretariat["config"]["president"].as_str().unwrap_or_default();
            members
                .iter()
                .find(|m| {
                    m["designations"].as_array().is_some_and(|ds| {
                        ds.iter().any(|d| {
                            d["current"] == true && d["role"] == "titular" && d["seat"] == presiding
                        })
                    })
                })
                .cloned()
        }
        .ok_or_else(|| {
            ApiError::Unprocessable(
                "El secretariado no tiene Presidencia designada: designe al titular del asiento que preside antes de enviar el acta a firma.".into(),
            )
        })?;
        let person = |m: &Value, role: &str, seat: Option<String>| -> Value {
            json!({
                "id": m["id"],
                "name": m["name"],
                "rfc": m["rfc"],
                "seat": seat.as_deref().map(&seat_name).unwrap_or_else(|| "—".into()),
                "role": role,
            })
        };
        let mut signers = vec![person(&outgoing, "Entrega", outgoing_seat.clone())];
        if let Some(s) = &successor {
            signers.push(person(s, "Recibe", seat_of(s).or(outgoing_seat.clone())));
        }
        if president["id"] != outgoing["id"] && Some(&president) != successor.as_ref() {
            signers.push(person(
                &president,
                "Recibe (Presidencia)",
                seat_of(&president),
            ));
        }
        let incoming = match &successor {
            Some(s) => {
                json!({ "name": s["name"], "seat": seat_of(s).or(outgoing_seat.clone()).as_deref().map(&seat_name), "role": "Recibe" })
            }
            None => {
                json!({ "name": president["name"], "seat": "Presidencia del Secretariado", "role": "Recibe en tanto se designa a la persona sucesora" })
            }
        };
        let items: Vec<Value> = files
            .iter()
            .map(|f| {
                json!({
                    "name": f.path.trim_start_matches("data/"),
                    "size": f.size_bytes,
                    "sha256": f.sha256,
                    "description": f.description,
                })
            })
            .collect();
        let observations = clean_text(request.observations.as_deref(), 2_000, "observations")?
            .or_else(|| row.observations.clone());
        let now = rubrica_rules::local_time::local(
            time::OffsetDateTime::now_utc(),
            offset_of(&secretariat),
        );
        let data = json!({
            "secretariat": { "id": row.secretariat_id, "name": secretariat["name"].as_str().unwrap_or(&row.secretariat_name) },
            "folio": row.folio,
            "date": today(offset_of(&secretariat)),
            "time": format!("{:02}:{:02}", now.hour(), now.minute()),
            "place": request.place.as_deref().map(str::trim).filter(|p| !p.is_empty()).unwrap_or("—"),
            "outgoing": { "name": outgoing["name"], "seat": outgoing_seat.as_deref().map(&seat_name), "role": "Entrega" },
            "incoming": incoming,
            "receiver_president": { "name": president["name"] },
            "items": items,
            "observations": observations,
            "signers": signers,
        });
        let rendered = self
            .call(
                ServiceName::Documents,
                reqwest::Method::POST,
                "/documents",
                credential,
                Some(json!({ "kind": "entrega_recepcion", "data": data })),
            )
            .await?;
        let document_id = rendered["id"]
            .as_str()
            .ok_or_else(|| {
                ApiError::Unexpected(anyhow::anyhow!(
                    "el servicio de documentos no devolvió el id"
                ))
            })?
            .to_string();
        let version = rendered["version"].as_i64().unwrap_or(1);
        self.call(
            ServiceName::Documents,
            reqwest::Method::POST,
            &format!("/documents/{document_id}/approve"),
            credential,
            Some(json!({ "version": version })),
        )
        .await?;
        let recipient =
            |m: &Value| json!({ "member_id": m["id"], "name": m["name"], "email": m["email"] });
        let mut recipients = vec![recipient(&outgoing)];
        if let Some(s) = &successor {
            recipients.push(recipient(s));
        }
        if !recipients.iter().any(|r| r["member_id"] == president["id"]) {
            recipients.push(recipient(&president));
        }
        let facilitators: Vec<Value> = members
            .iter()
            .filter(|m| {
                m["designations"].as_array().is_some_and(|ds| {
                    ds.iter()
                        .any(|d| d["current"] == true && d["role"] == "facilitador")
                })
            })
            .map(recipient)
            .collect();
        let route = self
            .call(
                ServiceName::Signing,
                reqwest::Method::POST,
                "/routes",
                credential,
                Some(json!({
                    "secretariat": { "id": row.secretariat_id, "name": row.secretariat_name },
                    "title": format!("Acta de entrega-recepción {} de {}", row.folio, row.member_name),
                    "record_kind": INVENTORY_KIND,
                    "folio": row.folio,
                    "document_id": document_id,
                    "members": recipients,
                    "facilitators": facilitators,
                })),
            )
            .await?;
        let route_id = route["id"]
            .as_str()
            .ok_or_else(|| {
                ApiError::Unexpected(anyhow::anyhow!(
                    "el servicio de firma no devolvió el id de la ruta"
                ))
            })?
            .to_string();
        let ctx = self.ctx();
        let now = now_ms();
        let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
        sqlx::query(
            "UPDATE archive_handovers SET status = 'en_firma', inventory_document_id = $1, route_id = $2, routed_at = $3, seat = COALESCE(seat, $4), successor_member_id = $5, successor_name = $6, observations = $7 WHERE id = $8 AND status = 'entregada'",
        )
        .bind(&document_id)
        .bind(&route_id)
        .bind(now)
        .bind(&outgoing_seat)
        .bind(successor.as_ref().and_then(|s| s["id"].as_str()))
        .bind(successor.as_ref().and_then(|s| s["name"].as_str()))
        .bind(&observations)
        .bind(id)
        .execute(&mut *tx)
        .await
        .or_unexpected("guardando la ruta")?;
        ctx.audit(
            &mut tx,
            caller,
            "entrega.enviar_a_firma",
            Some(id),
            json!({ "folio": row.folio, "documento": document_id, "ruta": route_id, "firmantes": signers.len() }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
        tx.commit().await.or_unexpected("confirmando")?;
        self.get(caller, id).await
    }

    /// The package ZIP, for who may read the handover.
    pub async fn package(&self, caller: &Caller, id: &str) -> ApiResult<(String, Bytes)> {
        let mut conn = self.archive.connection().await?;
        let row = self.readable(&mut conn, caller, id).await?;
        drop(conn);
        let Some(sha) = row.package_sha256.as_deref() else {
            return Err(ApiError::Conflict(format!(
                "La entrega-recepción {} aún no se archiva ({}): el paquete existe cuando el acta está firmada por todos.",
                row.folio, row.status
            )));
        };
        let sha = Digest32::parse(sha).map_err(|e| ApiError::Unexpected(anyhow::anyhow!("{e}")))?;
        let bytes = self.archive.stored(&sha).await?;
        Ok((format!("entrega-{}.zip", row.folio), bytes))
    }

    /// Terms that ended (in the last year) or end within 30 days with no
    /// handover submitted, for the President and the facilitator.
    pub async fn pending(
        &self,
        caller: &Caller,
        credential: &Credential,
        secretariat_id: &str,
    ) -> ApiResult<Vec<PendingHandover>> {
        if !caller.has_any(&[Role::Operator])
            && caller.secretariat_id.as_deref() != Some(secretariat_id)
        {
            return Err(ApiError::Forbidden(
                "Solo puede consultar las entregas pendientes de su propio secretariado.".into(),
            ));
        }
        let members = self
            .call(
                ServiceName::Secretariat,
                reqwest::Method::GET,
                &format!("/secretariats/{secretariat_id}/members"),
                credential,
                None,
            )
            .await?;
        let terms = self
            .call(
                ServiceName::Secretariat,
                reqwest::Method::GET,
                &format!(
                    "/secretariats/{secretariat_id}/terms?within_days={PENDING_LOOKAHEAD_DAYS}"
                ),
                credential,
                None,
            )
            .await?;
        let today = today(rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES);
        let since = date_plus(&today, -PENDING_LOOKBACK_DAYS);
        let mut due: Vec<PendingHandover> = Vec::new();
        let seated = |role: &str| matches!(role, "titular" | "suplente");
        for m in members.as_array().into_iter().flatten() {
            for d in m["designations"].as_array().into_iter().flatten() {
                let role = d["role"].as_str().unwrap_or_default();
                let Some(ends) = d["ends_on"].as_str() else {
                    continue;
                };
                // Rose from suplente to titular: not leaving.
                if !seated(role) || d["ended_reason"] == "asciende_a_titular" {
                    continue;
                }
                if ends < since.as_str() || ends >= today.as_str() {
                    continue;
                }
                due.push(PendingHandover {
                    member_id: m["id"].as_str().unwrap_or_default().to_string(),
                    name: m["name"].as_str().unwrap_or_default().to_string(),
                    seat: d["seat"].as_str().map(str::to_string),
                    role: role.to_string(),
                    ends_on: Some(ends.to_string()),
                    ended: true,
                    handover_id: None,
                    handover_status: None,
                    explanation: String::new(),
                });
            }
        }
        for t in terms.as_array().into_iter().flatten() {
            let member_id = t["member_id"].as_str().unwrap_or_default().to_string();
            if due.iter().any(|p| p.member_id == member_id) {
                continue;
            }
            due.push(PendingHandover {
                member_id,
                name: t["name"].as_str().unwrap_or_default().to_string(),
                seat: t["seat"].as_str().map(str::to_string),
                role: t["role"].as_str().unwrap_or_default().to_string(),
                ends_on: t["ends_on"].as_str().map(str::to_string),
                ended: false,
                handover_id: None,
                handover_status: None,
                explanation: String::new(),
            });
        }
        let mut conn = self.archive.connection().await?;
        let handovers: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT member_id, id, status FROM archive_handovers WHERE secretariat_id = $1 ORDER BY created_at",
        )
        .bind(secretariat_id)
        .fetch_all(&mut *conn)
        .await
        .or_unexpected("leyendo las entregas")?;
        let mut out = Vec::new();
        for mut p in due {
            let latest = handovers.iter().rev().find(|(m, _, _)| *m == p.member_id);
            if let Some((_, id, status)) = latest {
                if status != status::OPEN {
                    // Submitted, in signature or archived: not pending.
                    continue;
                }
                p.handover_id = Some(id.clone());
                p.handover_status = Some(status.clone());
            }
            let when = p.ends_on.as_deref().unwrap_or("fecha por determinar");
            let seat = p.seat.as_deref().unwrap_or("sin asiento");
            p.explanation = match (p.ended, &p.handover_id) {
                (true, None) => format!(
                    "El periodo de {} ({}, {seat}) concluyó el {when} y no ha entregado su informe de actividades ni su documentación (000 III.7).",
                    p.name, p.role
                ),
                (true, Some(id)) => format!(
                    "El periodo de {} ({}, {seat}) concluyó el {when}; su entrega-recepción {id} está abierta pero no se ha entregado.",
                    p.name, p.role
                ),
                (false, None) => format!(
                    "El periodo de {} ({}, {seat}) concluye el {when}: deberá entregar su informe de actividades y su documentación (000 III.7).",
                    p.name, p.role
                ),
                (false, Some(id)) => format!(
                    "El periodo de {} ({}, {seat}) concluye el {when}; prepara su entrega-recepción {id}.",
                    p.name, p.role
                ),
            };
            out.push(p);
        }
        out.sort_by(|a, b| a.ends_on.cmp(&b.ends_on).then(a.name.cmp(&b.name)));
        Ok(out)
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

/// Once the inventory of a handover is signed and archived as a record:
/// builds the bag with the signed inventory, archives and logs the package.
/// Idempotent; a route that is not a handover's does nothing.
pub async fn complete(
    archive: &Archive,
    route_id: &str,
    inventory: Bytes,
    inventory_sha256: Digest32,
    signed_on: &str,
) -> anyhow::Result<()> {
    let ctx = archive.context();
    let mut conn = ctx.db.pool().acquire().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM archive_handovers WHERE route_id = $1"
    )))
    .bind(route_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        tracing::info!(
            route = route_id,
            "acta de entrega-recepción sin paquete de entrega en el archivo"
        );
        return Ok(());
    };
    let row = read_row(&row)?;
    if row.status == status::ARCHIVED {
        return Ok(());
    }
    let files = files_of(&mut conn, &row.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(conn);
    let mut payload = Vec::new();
    for f in &files {
        let sha = Digest32::parse(&f.sha256)?;
        let bytes = archive
            .stored(&sha)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        payload.push((f.path.trim_start_matches("data/").to_string(), bytes));
    }
    payload.push((SIGNED_INVENTORY.to_string(), inventory));
    let info: Vec<bagit::InfoLine> = vec![
        ("Source-Organization", row.secretariat_name.clone()),
        ("Bagging-Date", signed_on.to_string()),
        ("External-Identifier", row.folio.clone()),
        (
            "External-Description",
            format!(
                "Entrega-recepción de {} al concluir su encargo (000 III.7): informe de actividades, documentos y acta de entrega-recepción firmada.",
                row.member_name
            ),
        ),
        ("Contact-Name", row.member_name.clone()),
        ("Internal-Sender-Identifier", row.id.clone()),
        ("Bag-Group-Identifier", row.secretariat_id.clone()),
    ];
    let root = format!("entrega-{}", row.folio);
    let date = signed_on.to_string();
    let zip = tokio::task::spawn_blocking(move || {
        let bag = bagit::build(&payload, &info);
        bagit::validate(&bag)
            .map_err(|p| anyhow::anyhow!("la bolsa no es válida: {}", p.join("; ")))?;
        Ok::<_, anyhow::Error>(bagit::zip(&bag, &root, &date)?)
    })
    .await??;
    let size = zip.len() as i64;
    let ingested = archive
        .ingest(Deposit {
            source: ServiceName::Archive,
            kind: PACKAGE_KIND.into(),
            media_type: "application/zip".into(),
            title: Some(format!(
                "Paquete de entrega-recepción {} de {}",
                row.folio, row.member_name
            )),
            secretariat_id: Some(row.secretariat_id.clone()),
            published: false,
            metadata: json!({
                "entrega": row.id,
                "folio": row.folio,
                "entrega_de": row.member_name,
                "recibe": row.successor_name,
                "archivos": files.len(),
                "acta_firmada": inventory_sha256.to_hex(),
                "formato": "BagIt 1.0 (RFC 8493) en ZIP",
            }),
            content: Bytes::from(zip),
            expected_sha256: None,
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = now_ms();
    let mut tx = ctx.begin().await?;
    let changed = sqlx::query(
        "UPDATE archive_handovers SET status = 'archivada', inventory_sha256 = $1, package_sha256 = $2, package_size = $3, archived_at = $4, archived_on = $5 WHERE id = $6 AND status <> 'archivada'",
    )
    .bind(inventory_sha256.to_hex())
    .bind(&ingested.object.sha256)
    .bind(size)
    .bind(now)
    .bind(day_of(now, rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES))
    .bind(&row.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 1 {
        ctx.audit(
            &mut tx,
            &Caller::service(ServiceName::Archive),
            "entrega.archivar",
            Some(&row.id),
            json!({ "folio": row.folio, "paquete": ingested.object.sha256, "entrada": ingested.object.log_index, "acta": inventory_sha256.to_hex() }),
        )
        .await?;
        ctx.outbox
            .record(
                &mut tx,
                HANDOVER_ARCHIVED,
                &json!({
                    "handover_id": row.id,
                    "secretariat_id": row.secretariat_id,
                    "folio": row.folio,
                    "member_id": row.member_id,
                    "package_sha256": ingested.object.sha256,
                    "inventory_sha256": inventory_sha256.to_hex(),
                    "log_index": ingested.object.log_index,
                }),
            )
            .await?;
    }
    ctx.outbox.commit(tx).await?;
    Ok(())
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
