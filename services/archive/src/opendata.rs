//! Open data (000 V.10 d): sessions, attendance, votes, agreements and
//! archived records as CSV and JSON, described by a Frictionless Data
//! Package (`datapackage.json`).
//!
//! Sessions, attendance, votes and agreements come from `session.closed`
//! (the secretariat's record of what happened); records from the archive
//! itself. One table of [`RESOURCES`] drives the SQL, the CSV header, the
//! JSON keys and the descriptor, so they cannot disagree. Exports stream in
//! keyset-paginated pages: memory stays flat whatever the archive's size.
//!
//! Personal data: voters and attendees are public officials and
//! representatives acting in a public session, so their names are
//! published; no RFC, CURP or e-mail is ever exported.

use futures_util::{Stream, stream};
use rubrica_platform::Bytes;
use rubrica_platform::db::now_ms;
use rubrica_platform::{Database, Event, EventHandler, HandlerError, HandlerFuture};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// The event that brings a session's open data.
pub use rubrica_contracts::events::SESSION_CLOSED;

/// Rows read per page while streaming.
const PAGE: i64 = 1_000;

/// A column's type in the Frictionless Table Schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Boolean,
    Date,
}

impl FieldType {
    fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
        }
    }
}

/// One column: its published name, type, the SQL expression that reads it,
/// and its description.
pub struct Field {
    pub name: &'static str,
    pub kind: FieldType,
    sql: &'static str,
    pub description: &'static str,
}

const fn field(
    name: &'static str,
    kind: FieldType,
    sql: &'static str,
    description: &'static str,
) -> Field {
    Field {
        name,
        kind,
        sql,
        description,
    }
}

/// One exported table.
pub struct Resource {
    /// Published name: the file is `<name>.csv` / `<name>.json`.
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    table: &'static str,
    /// Which rows are published (SQL, empty for all).
    condition: &'static str,
    /// Columns of the keyset order, unique together.
    key: &'static [&'static str],
    /// An aggregate over the table: when its rows last changed (epoch ms),
    /// for the row counts and last updates of [`stats`].
    updated: &'static str,
    pub primary_key: &'static [&'static str],
    pub fields: &'static [Field],
}

use FieldType::{Boolean, Date, Integer, String as Text};

/// Every open-data resource.
pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "sesiones",
        title: "Sesiones",
        description: "Cada sesión o reunión de trabajo cerrada del secretariado, con su hallazgo de quórum (000 V.2–3).",
        table: "archive_od_sessions",
        condition: "",
        key: &["session_id"],
        updated: "MAX(received_at)",
        primary_key: &["sesion_id"],
        fields: &[
            field(
                "sesion_id",
                Text,
                "session_id",
                "Identificador de la sesión.",
            ),
            field(
                "secretariado_id",
                Text,
                "secretariat_id",
                "Identificador del secretariado.",
            ),
            field(
                "secretariado",
                Text,
                "secretariat_name",
                "Nombre del secretariado.",
            ),
            field(
                "tipo",
                Text,
                "kind",
                "ordinaria, extraordinaria o reunión de trabajo.",
            ),
            field(
                "registro",
                Text,
                "record",
                "Registro que la documenta: acta o minuta.",
            ),
            field(
                "numero",
                Integer,
                "number",
                "Número de la sesión en su tipo.",
            ),
            field("folio", Text, "folio", "Folio del acta o minuta."),
            field("titulo", Text, "title", "Título de la sesión."),
            field(
                "fecha",
                Date,
                "session_date",
                "Fecha de la sesión (AAAA-MM-DD).",
            ),
            field("lugar", Text, "place", "Lugar de la sesión."),
            field(
                "quorum",
                Boolean,
                "quorum_ok",
                "Si hubo quórum al abrir la sesión.",
            ),
            field(
                "quorum_explicacion",
                Text,
                "quorum_explanation",
                "Cómo se determinó el quórum.",
            ),
        ],
    },
    Resource {
        name: "asistencia",
        title: "Asistencia por asiento",
        description: "Quién representó cada asiento en cada sesión: titular, suplente o nadie (000 V.2–3).",
        table: "archive_od_attendance",
        condition: "",
        key: &["session_id", "seat"],
        updated: "(SELECT MAX(received_at) FROM archive_od_sessions)",
        primary_key: &["sesion_id", "asiento"],
        fields: &[
            field(
                "sesion_id",
                Text,
                "session_id",
                "Identificador de la sesión.",
            ),
            field("asiento", Text, "seat", "Clave del asiento."),
            field("asiento_nombre", Text, "seat_name", "Nombre del asiento."),
            field("sector", Text, "sector", "Sector del asiento."),
            field(
                "grupo",
                Text,
                "sector_group",
                "Grupo de sectores: gobierno, sociedad civil u órgano garante.",
            ),
            field(
                "representado_por",
                Text,
                "represented_by",
                "titular, suplente o ninguno.",
            ),
            field(
                "suplente_en_funciones",
                Boolean,
                "suplente_acted",
                "Si el suplente representó al asiento por ausencia del titular.",
            ),
            field(
                "asistentes",
                Text,
                "attendees",
                "Nombres de quienes asistieron por el asiento, separados por «; ».",
            ),
        ],
    },
    Resource {
        name: "votos",
        title: "Votos",
        description: "El voto de cada asiento en cada votación (000 VI).",
        table: "archive_od_votes",
        condition: "",
        key: &["session_id", "motion_number", "seat"],
        updated: "(SELECT MAX(received_at) FROM archive_od_sessions)",
        primary_key: &["sesion_id", "votacion", "asiento"],
        fields: &[
            field(
                "sesion_id",
                Text,
                "session_id",
                "Identificador de la sesión.",
            ),
            field(
                "votacion",
                Integer,
                "motion_number",
                "Número de la votación en la sesión.",
            ),
            field("asiento", Text, "seat", "Clave del asiento."),
            field("asiento_nombre", Text, "seat_name", "Nombre del asiento."),
            field("voto", Text, "vote", "favor, contra o abstencion."),
            field("votante", Text, "voter_name", "Nombre de quien votó."),
            field("calidad", Text, "capacity", "titular o suplente."),
        ],
    },
    Resource {
        name: "acuerdos",
        title: "Acuerdos",
        description: "Los acuerdos de cada sesión con su votación y la regla aplicada (000 VI).",
        table: "archive_od_agreements",
        condition: "",
        key: &["session_id", "number"],
        updated: "(SELECT MAX(received_at) FROM archive_od_sessions)",
        primary_key: &["sesion_id", "numero"],
        fields: &[
            field(
                "sesion_id",
                Text,
                "session_id",
                "Identificador de la sesión.",
            ),
            field(
                "numero",
                Integer,
                "number",
                "Número del acuerdo en la sesión.",
            ),
            field("folio", Text, "folio", "Folio del acuerdo."),
            field("texto", Text, "text", "Texto del acuerdo."),
            field(
                "asiento_responsable",
                Text,
                "responsible_seat",
                "Asiento responsable de cumplirlo.",
            ),
            field(
                "fecha_compromiso",
                Date,
                "due_on",
                "Fecha comprometida (AAAA-MM-DD).",
            ),
            field("estado", Text, "status", "Estado de su seguimiento."),
            field("resultado", Text, "outcome", "aprobado o rechazado."),
            field(
                "decidido_por",
                Text,
                "decided_by",
                "consenso, mayoria o voto_de_calidad.",
            ),
            field("a_favor", Integer, "favor", "Votos a favor."),
            field("en_contra", Integer, "contra", "Votos en contra."),
            field("abstenciones", Integer, "abstencion", "Abstenciones."),
            field(
                "explicacion",
                Text,
                "explanation",
                "La regla aplicada y el cómputo, en español.",
            ),
        ],
    },
    Resource {
        name: "registros",
        title: "Registros firmados",
        description: "Actas, minutas y demás registros firmados con FIEL y archivados, con su huella y dónde descargarlos (000 V.10 a).",
        table: "archive_records",
        condition: "",
        key: &["record_date", "sha256"],
        updated: "MAX(archived_at)",
        primary_key: &["sha256"],
        fields: &[
            field("sha256", Text, "sha256", "Huella SHA-256 del PDF firmado."),
            field(
                "secretariado_id",
                Text,
                "secretariat_id",
                "Identificador del secretariado.",
            ),
            field(
                "secretariado",
                Text,
                "secretariat_name",
                "Nombre del secretariado.",
            ),
            field(
                "tipo",
                Text,
                "kind",
                "acta, minuta, convocatoria, entrega_recepcion…",
            ),
            field("folio", Text, "folio", "Folio del registro."),
            field("titulo", Text, "title", "Título del registro."),
            field(
                "fecha",
                Date,
                "record_date",
                "Fecha en que quedó firmado por completo (AAAA-MM-DD).",
            ),
            field("bytes", Integer, "size_bytes", "Tamaño del PDF en bytes."),
            field(
                "url",
                Text,
                "sha256",
                "Dónde descargar el PDF firmado (relativa a la URL del archivo).",
            ),
        ],
    },
    Resource {
        name: "entregas",
        title: "Entregas-recepción",
        description: "Cada entrega-recepción entregada por una persona integrante al concluir su encargo (000 III.7): solo sus datos generales, sin los documentos (que guarda el archivo).",
        table: "archive_handovers",
        condition: "status <> 'abierta'",
        key: &["id"],
        updated: "MAX(COALESCE(archived_at, routed_at, submitted_at, created_at))",
        primary_key: &["entrega_id"],
        fields: &[
            field(
                "entrega_id",
                Text,
                "id",
                "Identificador de la entrega-recepción.",
            ),
            field(
                "secretariado_id",
                Text,
                "secretariat_id",
                "Identificador del secretariado.",
            ),
            field("folio", Text, "folio", "Folio de la entrega-recepción."),
            field(
                "asiento",
                Text,
                "seat",
                "Asiento que ocupaba quien entrega.",
            ),
            field(
                "entrega",
                Text,
                "member_name",
                "Nombre de la persona que entrega.",
            ),
            field(
                "recibe",
                Text,
                "successor_name",
                "Nombre de la persona sucesora que recibe, si ya estaba designada.",
            ),
            field(
                "estado",
                Text,
                "status",
                "entregada, en_firma (el acta está en firma) o archivada.",
            ),
            field(
                "archivos",
                Integer,
                "(SELECT COUNT(*) FROM archive_handover_files f WHERE f.handover_id = archive_handovers.id)",
                "Número de archivos entregados.",
            ),
            field(
                "bytes",
                Integer,
                "(SELECT CAST(COALESCE(SUM(f.size_bytes), 0) AS BIGINT) FROM archive_handover_files f WHERE f.handover_id = archive_handovers.id)",
                "Tamaño total de los archivos, en bytes.",
            ),
            field(
                "fecha_entrega",
                Date,
                "submitted_on",
                "Fecha en que se entregó (AAAA-MM-DD).",
            ),
            field(
                "fecha_archivo",
                Date,
                "archived_on",
                "Fecha en que el paquete firmado se archivó (AAAA-MM-DD).",
            ),
            field(
                "acta_sha256",
                Text,
                "inventory_sha256",
                "Huella SHA-256 del acta de entrega-recepción firmada (un registro público).",
            ),
            field(
                "paquete_sha256",
                Text,
                "package_sha256",
                "Huella SHA-256 del paquete archivado (BagIt en ZIP), que consta en el registro del archivo.",
            ),
        ],
    },
];

/// The resource named `name` (without extension).
pub fn resource(name: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.name == name)
}

/// The Frictionless Data Package descriptor of every resource.
pub fn datapackage(base_url: &str) -> Value {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "title": r.title,
                "description": r.description,
                "path": format!("{}.csv", r.name),
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": { "delimiter": ",", "quoteChar": "\"", "header": true },
                "schema": {
                    "fields": r.fields.iter().map(|f| json!({
                        "name": f.name,
                        "type": f.kind.name(),
                        "description": f.description,
                    })).collect::<Vec<_>>(),
                    "primaryKey": r.primary_key,
                    "missingValues": [""],
                },
            })
        })
        .collect();
    json!({
        "profile": "tabular-data-package",
        "name": "rubrica-datos-abiertos",
        "title": "Datos abiertos del Secretariado Técnico Local de Gobierno Abierto",
        "description": "Sesiones, asistencia, votos, acuerdos, registros firmados y entregas-recepción (solo sus datos generales), publicados bajo el principio de máxima publicidad. Cada archivo CSV también está disponible como JSON (misma ruta con extensión .json).",
        "homepage": format!("{base_url}/open-data/datapackage.json"),
        "licenses": [{ "name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0", "path": "https://creativecommons.org/licenses/by/4.0/" }],
        "resources": resources,
    })
}

/// How many rows each resource has and when it last changed.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ResourceStats {
    /// The resource's name (its file is `<name>.csv`).
    pub name: String,
    /// Rows it has now (of every secretariat of the installation).
    pub rows: i64,
    /// When its rows last changed, epoch ms (`null` while it has none).
    pub last_updated_at: Option<i64>,
}

/// The figures of every resource, as of `computed_at`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Stats {
    /// Epoch ms.
    pub computed_at: i64,
    /// In the order of the Data Package.
    pub resources: Vec<ResourceStats>,
}

/// How long [`StatsCache`] keeps the figures: the public site asks for
/// them on its open-data page, which is served hundreds of times a second.
pub const STATS_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// The last figures computed, shared by the requests of one archive. Only
/// the very first request waits for a count (the archive makes it when it
/// starts); after that every request is answered at once with the figures
/// kept, and when those are older than [`STATS_TTL`] one recount runs in the
/// background while requests go on getting the last ones.
pub struct StatsCache(Refreshed<Stats>);

impl Default for StatsCache {
    fn default() -> Self {
        Self(Refreshed::new(STATS_TTL))
    }
}

impl StatsCache {
    /// The figures kept (or, before any, counted now).
    pub async fn get(&self, db: &Database) -> Result<std::sync::Arc<Stats>, sqlx::Error> {
        let db = db.clone();
        self.0.get(move || stats_of(db)).await
    }
}

async fn stats_of(db: Database) -> Result<Stats, sqlx::Error> {
    stats(&db).await
}

/// A value computed at most once per `ttl`, served stale while one
/// recomputation runs in the background (stale-while-revalidate): callers
/// never wait for a recount, except the first ones, which share one.
pub struct Refreshed<T> {
    ttl: std::time::Duration,
    kept: std::sync::Arc<Kept<T>>,
    /// Whether a background recomputation is running.
    refreshing: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Held while the first value is computed.
    first: tokio::sync::Mutex<()>,
}

impl<T: Send + Sync + 'static> Refreshed<T> {
    pub fn new(ttl: std::time::Duration) -> Self {
        Self {
            ttl,
            kept: Default::default(),
            refreshing: Default::default(),
            first: tokio::sync::Mutex::new(()),
        }
    }

    fn kept(&self) -> Option<(std::time::Instant, std::sync::Arc<T>)> {
        self.kept.read().ok().and_then(|k| k.clone())
    }

    /// The value kept; when it is older than the ttl, `compute` runs once in
    /// the background (a failure keeps the old value and is logged). Before
    /// any value, the callers wait for one `compute`.
    pub async fn get<E, F, Fut>(&self, compute: F) -> Result<std::sync::Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        use std::sync::atomic::Ordering;
        if let Some((at, value)) = self.kept() {
            if at.elapsed() >= self.ttl && !self.refreshing.swap(true, Ordering::AcqRel) {
                let recount = compute();
                let refreshing = self.refreshing.clone();
                let kept = self.kept.clone();
                tokio::spawn(async move {
                    match recount.await {
                        Ok(v) => store(&kept, std::sync::Arc::new(v)),
                        Err(e) => {
                            tracing::warn!(error = %e, "recalculando cifras; se siguen sirviendo las anteriores")
                        }
                    }
                    refreshing.store(false, Ordering::Release);
                });
            }
            return Ok(value);
        }
        let _first = self.first.lock().await;
        if let Some((_, value)) = self.kept() {
            return Ok(value);
        }
        let value = std::sync::Arc::new(compute().await?);
        store(&self.kept, value.clone());
        Ok(value)
    }
}

/// The value of a [`Refreshed`] and when it was computed.
type Kept<T> = std::sync::RwLock<Option<(std::time::Instant, std::sync::Arc<T>)>>;

fn store<T>(kept: &Kept<T>, value: std::sync::Arc<T>) {
    if let Ok(mut kept) = kept.write() {
        *kept = Some((std::time::Instant::now(), value));
    }
}
/// Counts each resource's rows and finds when they last changed: one
/// `COUNT(*)` and one aggregate of a time column per table.
pub async fn stats(db: &Database) -> Result<Stats, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let mut resources = Vec::with_capacity(RESOURCES.len());
    for r in RESOURCES {
        let filter = if r.condition.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", r.condition)
        };
        let sql = format!(
            "SELECT COUNT(*) AS n, {} AS updated FROM {} {filter}",
            r.updated, r.table
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await?;
        resources.push(ResourceStats {
            name: r.name.to_string(),
            rows: row.try_get::<i64, _>("n")?,
            last_updated_at: row.try_get::<Option<i64>, _>("updated")?,
        });
    }
    Ok(Stats {
        computed_at: now_ms(),
        resources,
    })
}

/// Export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

/// A streaming body of `resource` in `format`: pages of [`PAGE`] rows in
/// keyset order, so memory stays flat (serve it with
/// `HttpResponse::Ok().streaming(..)`).
pub fn export(
    db: Database,
    resource: &'static Resource,
    format: Format,
    base_url: String,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + 'static {
    struct State {
        db: Database,
        after: Option<Vec<Value>>,
        started: bool,
        done: bool,
        first_row: bool,
    }
    let state = State {
        db,
        after: None,
        started: false,
        done: false,
        first_row: true,
    };
    stream::unfold(state, move |mut state| {
        let base_url = base_url.clone();
        async move {
            if state.done {
                return None;
            }
            let mut out = String::new();
            if !state.started {
                state.started = true;
                match format {
                    Format::Csv => {
                        let header: Vec<&str> = resource.fields.iter().map(|f| f.name).collect();
                        out.push_str(&header.join(","));
                        out.push_str("\r\n");
                    }
                    Format::Json => out.push('['),
                }
            }
            let page = match read_page(&state.db, resource, state.after.as_deref()).await {
                Ok(page) => page,
                Err(e) => {
                    // Headers are gone: end the body early; the client sees a
                    // truncated file (and the log says why).
                    tracing::error!(error = %e, resource = resource.name, "falló la exportación de datos abiertos");
                    state.done = true;
                    return Some((
                        Err(std::io::Error::other("exportación interrumpida")),
                        state,
                    ));
                }
            };
            let full = page.len() as i64 == PAGE;
            for (values, key) in &page {
                match format {
                    Format::Csv => {
                        let cells: Vec<String> = values
                            .iter()
                            .zip(resource.fields)
                            .map(|(v, f)| {
                                let text = shown(v, f, resource, &base_url);
                                if v.is_string() {
                                    csv_cell(&neutralize_formula(&text))
                                } else {
                                    csv_cell(&text)
                                }
                            })
                            .collect();
                        out.push_str(&cells.join(","));
                        out.push_str("\r\n");
                    }
                    Format::Json => {
                        if !state.first_row {
                            out.push(',');
                        }
                        state.first_row = false;
                        let mut object = Map::new();
                        for (v, f) in values.iter().zip(resource.fields) {
                            let v = if f.name == "url" {
                                Value::String(shown(v, f, resource, &base_url))
                            } else {
                                v.clone()
                            };
                            object.insert(f.name.to_string(), v);
                        }
                        out.push_str(&Value::Object(object).to_string());
                    }
                }
                state.after = Some(key.clone());
            }
            if !full {
                state.done = true;
                if format == Format::Json {
                    out.push(']');
                }
            }
            Some((Ok::<Bytes, std::io::Error>(Bytes::from(out)), state))
        }
    })
}

/// A value as a CSV cell or JSON `url`.
fn shown(value: &Value, field: &Field, resource: &Resource, base_url: &str) -> String {
    if resource.name == "registros" && field.name == "url" {
        return match value {
            Value::String(sha) => format!("{base_url}/objects/{sha}"),
            _ => String::new(),
        };
    }
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

pub use rubrica_platform::csv::{csv_cell, neutralize_formula};

type Page = Vec<(Vec<Value>, Vec<Value>)>;

async fn read_page(
    db: &Database,
    resource: &Resource,
    after: Option<&[Value]>,
) -> Result<Page, sqlx::Error> {
    let columns: Vec<&str> = resource
        .fields
        .iter()
        .map(|f| f.sql)
        .chain(resource.key.iter().copied())
        .collect();
    let key = resource.key.join(", ");
    let placeholders: Vec<String> = (1..=resource.key.len()).map(|i| format!("${i}")).collect();
    // Row-value comparison works on SQLite ≥ 3.15 and PostgreSQL alike.
    let mut conditions = Vec::new();
    if !resource.condition.is_empty() {
        conditions.push(format!("({})", resource.condition));
    }
    if after.is_some() {
        conditions.push(format!("({key}) > ({})", placeholders.join(", ")));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT {} FROM {} {filter} ORDER BY {key} LIMIT {PAGE}",
        columns.join(", "),
        resource.table
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    if let Some(after) = after {
        for value in after {
            query = match value {
                Value::Number(n) => query.bind(n.as_i64().unwrap_or_default()),
                Value::String(s) => query.bind(s.clone()),
                _ => query.bind(Option::<String>::None),
            };
        }
    }
    let mut conn = db.pool().acquire().await?;
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            let n = resource.fields.len();
            let values = resource
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| cell(row, i, f.kind))
                .collect::<Result<Vec<_>, _>>()?;
            let key = (0..resource.key.len())
                .map(|k| key_cell(row, n + k))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((values, key))
        })
        .collect()
}

fn cell(row: &AnyRow, i: usize, kind: FieldType) -> Result<Value, sqlx::Error> {
    Ok(match kind {
        FieldType::Integer => row
            .try_get::<Option<i64>, _>(i)?
            .map(Value::from)
            .unwrap_or(Value::Null),
        FieldType::Boolean => row
            .try_get::<Option<i64>, _>(i)?
            .map(|v| Value::Bool(v != 0))
            .unwrap_or(Value::Null),
        FieldType::String | FieldType::Date => row
            .try_get::<Option<String>, _>(i)?
            .map(Value::String)
            .unwrap_or(Value::Null),
    })
}

fn key_cell(row: &AnyRow, i: usize) -> Result<Value, sqlx::Error> {
    if let Ok(s) = row.try_get::<String, _>(i) {
        return Ok(Value::String(s));
    }
    Ok(Value::from(row.try_get::<i64, _>(i)?))
}

/// What the archive reads of `session.closed` (the secretariat's
/// `SessionRecord`; extra fields are ignored).
#[derive(Debug, Deserialize)]
struct ClosedSession {
    secretariat: Named,
    session: SessionInfo,
    attendance: Attendance,
    #[serde(default)]
    quorum: Quorum,
    #[serde(default)]
    motions: Vec<Motion>,
    #[serde(default)]
    agreements: Vec<Agreement>,
}

#[derive(Debug, Deserialize)]
struct Named {
    id: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct SessionInfo {
    id: String,
    kind: String,
    title: String,
    record: String,
    number: i64,
    folio: String,
    date: String,
    place: String,
    #[serde(default)]
    closed_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Attendance {
    seats: Vec<SeatAttendance>,
}

#[derive(Debug, Deserialize)]
struct SeatAttendance {
    seat: String,
    seat_name: String,
    sector: String,
    group: String,
    represented_by: String,
    suplente_acted: bool,
    #[serde(default)]
    attendees: Vec<AttendeeName>,
}

#[derive(Debug, Deserialize)]
struct AttendeeName {
    name: String,
}

#[derive(Debug, Default, Deserialize)]
struct Quorum {
    #[serde(default)]
    at_opening: Option<QuorumFinding>,
}

#[derive(Debug, Deserialize)]
struct QuorumFinding {
    ok: bool,
    explanation: String,
}

#[derive(Debug, Deserialize)]
struct Motion {
    number: i64,
    #[serde(default)]
    votes: Vec<Vote>,
}

#[derive(Debug, Deserialize)]
struct Vote {
    seat: String,
    seat_name: String,
    vote: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    capacity: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Agreement {
    number: i64,
    folio: String,
    text: String,
    #[serde(default)]
    responsible_seat: Option<String>,
    #[serde(default)]
    due_on: Option<String>,
    status: String,
    outcome: String,
    decided_by: String,
    favor: i64,
    contra: i64,
    abstencion: i64,
    explanation: String,
}

/// Keeps a closed session's open data, in the inbox transaction. A later
/// `session.closed` of the same session (a corrected record) replaces its rows.
pub struct OnSessionClosed;

impl EventHandler for OnSessionClosed {
    fn handle<'a>(&'a self, tx: &'a mut AnyConnection, event: &'a Event) -> HandlerFuture<'a> {
        Box::pin(async move {
            let closed: ClosedSession = serde_json::from_value(event.payload.clone()).map_err(|e| {
                HandlerError::Rejected(format!(
                    "El evento session.closed no tiene la forma esperada ({e}); sus datos abiertos no se publican."
                ))
            })?;
            store_session(tx, &closed).await.map_err(|e| {
                HandlerError::Failed(
                    anyhow::Error::new(e).context("guardando los datos abiertos de la sesión"),
                )
            })
        })
    }
}

async fn store_session(tx: &mut AnyConnection, s: &ClosedSession) -> Result<(), sqlx::Error> {
    let id = &s.session.id;
    for table in [
        "archive_od_sessions",
        "archive_od_attendance",
        "archive_od_votes",
        "archive_od_agreements",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE session_id = $1"
        )))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    let quorum = s.quorum.at_opening.as_ref();
    sqlx::query(
        "INSERT INTO archive_od_sessions (session_id, secretariat_id, secretariat_name, kind, record, number, folio, title, session_date, place, quorum_ok, quorum_explanation, closed_at, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(id)
    .bind(&s.secretariat.id)
    .bind(&s.secretariat.name)
    .bind(&s.session.kind)
    .bind(&s.session.record)
    .bind(s.session.number)
    .bind(&s.session.folio)
    .bind(&s.session.title)
    .bind(&s.session.date)
    .bind(&s.session.place)
    .bind(quorum.map(|q| i64::from(q.ok)))
    .bind(quorum.map(|q| q.explanation.clone()))
    .bind(&s.session.closed_at)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    for seat in &s.attendance.seats {
        let names: Vec<&str> = seat.attendees.iter().map(|a| a.name.as_str()).collect();
        sqlx::query(
            "INSERT INTO archive_od_attendance (session_id, seat, seat_name, sector, sector_group, represented_by, suplente_acted, attendees)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(&seat.seat)
        .bind(&seat.seat_name)
        .bind(&seat.sector)
        .bind(&seat.group)
        .bind(&seat.represented_by)
        .bind(i64::from(seat.suplente_acted))
        .bind(names.join("; "))
        .execute(&mut *tx)
        .await?;
    }
    for motion in &s.motions {
        for vote in &motion.votes {
            sqlx::query(
                "INSERT INTO archive_od_votes (session_id, motion_number, seat, seat_name, vote, voter_name, capacity)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (session_id, motion_number, seat) DO NOTHING",
            )
            .bind(id)
            .bind(motion.number)
            .bind(&vote.seat)
            .bind(&vote.seat_name)
            .bind(&vote.vote)
            .bind(&vote.name)
            .bind(&vote.capacity)
            .execute(&mut *tx)
            .await?;
        }
    }
    for a in &s.agreements {
        sqlx::query(
            "INSERT INTO archive_od_agreements (session_id, number, folio, text, responsible_seat, due_on, status, outcome, decided_by, favor, contra, abstencion, explanation)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id)
        .bind(a.number)
        .bind(&a.folio)
        .bind(&a.text)
        .bind(&a.responsible_seat)
        .bind(&a.due_on)
        .bind(&a.status)
        .bind(&a.outcome)
        .bind(&a.decided_by)
        .bind(a.favor)
        .bind(a.contra)
        .bind(a.abstencion)
        .bind(&a.explanation)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cells_that_a_spreadsheet_would_run_are_neutralized() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(neutralize_formula(formula), format!("'{formula}"));
        }
        assert_eq!(neutralize_formula("Acta 2026-ORD-01"), "Acta 2026-ORD-01");
        assert_eq!(neutralize_formula(""), "");
    }

    #[test]
    fn csv_cells_are_quoted_only_when_needed() {
        assert_eq!(csv_cell("sin comas"), "sin comas");
        assert_eq!(csv_cell("uno, dos"), "\"uno, dos\"");
        assert_eq!(csv_cell("dijo \"sí\""), "\"dijo \"\"sí\"\"\"");
    }

    #[test]
    fn every_primary_key_names_a_field_and_every_key_column_exists() {
        for r in RESOURCES {
            for k in r.primary_key {
                assert!(r.fields.iter().any(|f| f.name == *k), "{}: {k}", r.name);
            }
            let mut names: Vec<&str> = r.fields.iter().map(|f| f.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), r.fields.len(), "{}: nombres repetidos", r.name);
        }
    }
}

#[cfg(test)]
mod refreshed_tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::Refreshed;

    #[tokio::test]
    async fn a_stale_value_is_served_at_once_while_one_recount_runs() {
        let counted = Arc::new(AtomicU32::new(0));
        let count = |counted: &Arc<AtomicU32>| {
            let counted = counted.clone();
            move || async move { Ok::<u32, String>(counted.fetch_add(1, Ordering::SeqCst) + 1) }
        };
        // Always stale: every call after the first asks for a recount.
        let cache = Refreshed::new(Duration::ZERO);
        assert_eq!(*cache.get(count(&counted)).await.unwrap(), 1);
        // The kept value, not a new one: the recount runs in the background.
        assert_eq!(*cache.get(count(&counted)).await.unwrap(), 1);
        let mut seen = 1;
        for _ in 0..1_000 {
            tokio::task::yield_now().await;
            seen = *cache.get(count(&counted)).await.unwrap();
            if seen > 1 {
                break;
            }
        }
        assert!(seen > 1, "the background recount never landed");
        // Fresh values are kept for their ttl: no recount at all.
        let fresh = Refreshed::new(Duration::from_secs(3_600));
        let calls = Arc::new(AtomicU32::new(0));
        for _ in 0..3 {
            assert_eq!(*fresh.get(count(&calls)).await.unwrap(), 1);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // A failed recount keeps the old value.
        let failing = Refreshed::new(Duration::ZERO);
        assert_eq!(
            *failing
                .get(|| async { Ok::<u32, String>(7) })
                .await
                .unwrap(),
            7
        );
        for _ in 0..10 {
            let v = failing
                .get(|| async { Err::<u32, String>("sin base".into()) })
                .await;
            assert_eq!(*v.unwrap(), 7);
            tokio::task::yield_now().await;
        }
    }
}
