//! Public records: list and search, one record with its signers and log
//! entry, public verification of an uploaded PDF, open data, and (for the
//! President and the facilitator) the records the archive refused.

use rubrica_platform::OrUnexpected;
use std::sync::Arc;

use rubrica_fiel::Validator;
use rubrica_platform::actix_web::HttpResponse;
use rubrica_platform::actix_web::http::header::{self, HeaderValue};
use rubrica_platform::http::{Body, Path, Query, State};
use rubrica_platform::{ApiError, ApiResult, Caller, Json, Problem, Role};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use utoipa::{IntoParams, ToSchema};

use crate::archive::{Archive, EntryRef};
use crate::digest::{Digest32, Sha256};
use crate::model::InclusionProof;
use crate::opendata::{self, Format};
use crate::records::{PublicSigner, public_signers, title_words, verdict_word};

/// Who may read the refusals.
pub const REFUSAL_READERS: &[Role] = &[Role::President, Role::Facilitator, Role::Operator];

/// Most records one page returns.
const MAX_LIMIT: i64 = 100;

/// State of the public records routes.
#[derive(Clone)]
pub struct Records {
    pub archive: Archive,
    pub validator: Arc<Result<Validator, String>>,
    /// The open data's row counts and last updates, computed once a minute.
    pub stats: Arc<opendata::StatsCache>,
}

/// A public record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordView {
    pub sha256: String,
    pub route_id: String,
    pub secretariat_id: String,
    pub secretariat_name: String,
    /// `acta`, `minuta`…
    pub kind: String,
    pub folio: Option<String>,
    pub title: String,
    /// `AAAA-MM-DD`: when its last signature was made (central Mexico).
    pub date: String,
    pub size_bytes: i64,
    /// Name, seat, role and certificate number of every signer.
    pub signers: Vec<PublicSigner>,
    /// Members who refused to sign, with their reasons.
    #[schema(value_type = Vec<Object>)]
    pub refusals: Vec<serde_json::Value>,
    /// When it was archived, epoch ms.
    pub archived_at: i64,
    /// Where to download the signed PDF.
    pub download_url: String,
}

/// A page of records.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecordPage {
    pub records: Vec<RecordView>,
    /// Offset of the next page, if there may be one.
    pub next_offset: Option<i64>,
}

/// A record with its log entry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecordDetail {
    pub record: RecordView,
    /// Its inclusion proof against the newest signed tree head.
    pub inclusion: InclusionProof,
}

/// Filters of `GET /records`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordFilter {
    /// Only this secretariat.
    pub secretariat_id: Option<String>,
    /// Only this year (of the record's date).
    pub year: Option<i32>,
    /// Only this kind (`acta`, `minuta`…).
    pub kind: Option<String>,
    /// Exact folio.
    pub folio: Option<String>,
    /// Whole words of the title, all of them (without regard to accents or case).
    pub q: Option<String>,
    /// At most this many (default 20, at most 100).
    pub limit: Option<i64>,
    /// Skip this many.
    pub offset: Option<i64>,
}

const RECORD_COLUMNS: &str = "sha256, route_id, secretariat_id, secretariat_name, kind, folio, title, record_date, size_bytes, signers, refusals, archived_at";

fn record_from_row(row: &AnyRow, base_url: &str) -> Result<RecordView, sqlx::Error> {
    let sha256: String = row.try_get("sha256")?;
    let signers: String = row.try_get("signers")?;
    let refusals: String = row.try_get("refusals")?;
    Ok(RecordView {
        download_url: format!("{base_url}/objects/{sha256}"),
        sha256,
        route_id: row.try_get("route_id")?,
        secretariat_id: row.try_get("secretariat_id")?,
        secretariat_name: row.try_get("secretariat_name")?,
        kind: row.try_get("kind")?,
        folio: row.try_get("folio")?,
        title: row.try_get("title")?,
        date: row.try_get("record_date")?,
        size_bytes: row.try_get("size_bytes")?,
        signers: serde_json::from_str(&signers).unwrap_or_default(),
        refusals: serde_json::from_str(&refusals).unwrap_or_default(),
        archived_at: row.try_get("archived_at")?,
    })
}

/// Lists and searches the archived records.
#[utoipa::path(
    get,
    path = "/records",
    tag = "registros",
    summary = "Lista y busca los registros firmados archivados (públicos, sin sesión)",
    params(RecordFilter),
    responses(
        (status = 200, description = "Los registros, del más reciente al más antiguo", body = RecordPage),
        (status = 422, description = "Un filtro no es válido", body = Problem),
    )
)]
pub async fn list(
    State(records): State<Records>,
    Query(filter): Query<RecordFilter>,
) -> ApiResult<Json<RecordPage>> {
    let limit = filter.limit.unwrap_or(20);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::Unprocessable(format!(
            "limit debe estar entre 1 y {MAX_LIMIT}; pida las páginas siguientes con offset."
        )));
    }
    let offset = filter.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::Unprocessable(
            "offset no puede ser negativo: use 0 para la primera página.".into(),
        ));
    }
    let mut clauses = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    let mut add = |clause: &str, value: Bind| {
        binds.push(value);
        clauses.push(clause.replace('?', &format!("${}", binds.len())));
    };
    if let Some(s) = filter
        .secretariat_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        add("secretariat_id = ?", Bind::Text(s.to_string()));
    }
    if let Some(year) = filter.year {
        if !(1900..=9999).contains(&year) {
            return Err(ApiError::Unprocessable(format!(
                "El año {year} no es válido: escríbalo con cuatro cifras, por ejemplo 2026."
            )));
        }
        add("record_year = ?", Bind::Int(i64::from(year)));
    }
    if let Some(kind) = filter
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        add("kind = ?", Bind::Text(rubrica_rules::fold(kind)));
    }
    if let Some(folio) = filter
        .folio
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        add("folio = ?", Bind::Text(folio.to_string()));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if q.chars().count() > 200 {
            return Err(ApiError::Unprocessable(
                "La búsqueda excede 200 caracteres: use menos palabras.".into(),
            ));
        }
        let words = title_words(q);
        if words.is_empty() {
            return Err(ApiError::Unprocessable(
                "La búsqueda no tiene palabras de al menos dos letras o cifras: escriba palabras del título.".into(),
            ));
        }
        // Every word must be in the title (whole words, without regard to
        // accents or case). The search starts from the rarest word (an
        // index look-up) and checks the others record by record; when even
        // the rarest is common, it walks the records newest first and stops
        // at the page's end.
        let words: Vec<String> = words.into_iter().take(8).collect();
        let counts = word_counts(&records, &words).await?;
        let Some(rarest) = words
            .iter()
            .min_by_key(|w| counts.get(*w).copied().unwrap_or(0))
        else {
            return Ok(Json(RecordPage {
                records: Vec::new(),
                next_offset: None,
            }));
        };
        if counts.get(rarest).copied().unwrap_or(0) == 0 {
            return Ok(Json(RecordPage {
                records: Vec::new(),
                next_offset: None,
            }));
        }
        for word in &words {
            if word == rarest && counts[rarest] <= DRIVING_WORD_LIMIT {
                add(
                    "sha256 IN (SELECT sha256 FROM archive_record_words WHERE word = ?)",
                    Bind::Text(word.clone()),
                );
            } else {
                add(
                    "EXISTS (SELECT 1 FROM archive_record_words w WHERE w.word = ? AND w.sha256 = archive_records.sha256)",
                    Bind::Text(word.clone()),
                );
            }
        }
    }
    let filter_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM archive_records {filter_sql} ORDER BY record_date DESC, sha256 DESC LIMIT {} OFFSET {offset}",
        limit + 1
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for bind in binds {
        query = match bind {
            Bind::Text(s) => query.bind(s),
            Bind::Int(n) => query.bind(n),
        };
    }
    let mut conn = records.archive.connection().await?;
    let rows = query
        .fetch_all(&mut *conn)
        .await
        .or_unexpected("buscando registros")?;
    let base_url = records.archive.base_url();
    let more = rows.len() as i64 > limit;
    let records = rows
        .iter()
        .take(limit as usize)
        .map(|row| record_from_row(row, &base_url))
        .collect::<Result<Vec<_>, _>>()
        .or_unexpected("leyendo registros")?;
    Ok(Json(RecordPage {
        records,
        next_offset: more.then_some(offset + limit),
    }))
}

/// A word in more records than this is checked record by record instead
/// of starting the search.
const DRIVING_WORD_LIMIT: i64 = 2_000;

/// How many records have each of `words` (absent: none).
async fn word_counts(
    records: &Records,
    words: &[String],
) -> ApiResult<std::collections::HashMap<String, i64>> {
    let placeholders: Vec<String> = (1..=words.len()).map(|i| format!("${i}")).collect();
    let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT word, records FROM archive_word_counts WHERE word IN ({})",
        placeholders.join(", ")
    )));
    for word in words {
        query = query.bind(word.clone());
    }
    let mut conn = records.archive.connection().await?;
    let rows = query
        .fetch_all(&mut *conn)
        .await
        .or_unexpected("contando palabras")?;
    rows.iter()
        .map(|row| Ok((row.try_get::<String, _>(0)?, row.try_get::<i64, _>(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .or_unexpected("contando palabras")
}

enum Bind {
    Text(String),
    Int(i64),
}

/// Path of a record.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RecordPath {
    /// The signed PDF's SHA-256, hex.
    pub sha256: String,
}

async fn record_by_sha(records: &Records, sha256: &Digest32) -> ApiResult<Option<RecordView>> {
    let mut conn = records.archive.connection().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {RECORD_COLUMNS} FROM archive_records WHERE sha256 = $1"
    )))
    .bind(sha256.to_hex())
    .fetch_optional(&mut *conn)
    .await
    .or_unexpected("buscando el registro")?;
    row.map(|row| record_from_row(&row, &records.archive.base_url()))
        .transpose()
        .or_unexpected("leyendo el registro")
}

/// One record: metadata, signers and log entry.
#[utoipa::path(
    get,
    path = "/records/{sha256}",
    tag = "registros",
    summary = "Un registro firmado archivado: sus datos, sus firmantes y su prueba de inclusión en el registro",
    params(RecordPath),
    responses(
        (status = 200, description = "El registro", body = RecordDetail),
        (status = 400, description = "La huella no es un SHA-256", body = Problem),
        (status = 404, description = "Ningún registro tiene esa huella", body = Problem),
    )
)]
pub async fn get(
    State(records): State<Records>,
    Path(path): Path<RecordPath>,
) -> ApiResult<Json<RecordDetail>> {
    let sha256 =
        Digest32::parse(&path.sha256).map_err(|e| ApiError::BadRequest(format!("{e}.")))?;
    let record = record_by_sha(&records, &sha256).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "Ningún registro firmado archivado tiene la huella {sha256}. Búsquelo en GET /records o verifique el archivo en POST /verify/pdf."
        ))
    })?;
    let inclusion = records
        .archive
        .inclusion(EntryRef::Sha256(sha256), None)
        .await?;
    Ok(Json(RecordDetail { record, inclusion }))
}

/// One signature of an uploaded PDF, as the public report shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignatureView {
    #[serde(flatten)]
    pub signer: PublicSigner,
    /// Why it is not valid, when it is not.
    pub reason: Option<String>,
    /// One line in Spanish.
    pub summary: String,
}

/// The public verification of an uploaded PDF.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PdfVerification {
    pub sha256: String,
    /// `valida`, `invalida` or `indeterminada`: all its signatures together.
    pub verdict: String,
    /// Whether every signature field is signed.
    pub record_complete: bool,
    pub signatures: Vec<SignatureView>,
    /// Whether this exact file is an archived record.
    pub archived: bool,
    /// The archived record, when it is one.
    pub record: Option<RecordView>,
    /// Its inclusion in the log, when archived.
    pub inclusion: Option<InclusionProof>,
    /// The whole finding in Spanish.
    pub report: String,
}

/// Verifies any PDF.
#[utoipa::path(
    post,
    path = "/verify/pdf",
    tag = "verificación",
    summary = "Verifica un PDF: cada firma (válida y de quién), si es exactamente el registro archivado y su inclusión en el registro",
    request_body(content = Vec<u8>, content_type = "application/pdf", description = "Los bytes del PDF"),
    responses(
        (status = 200, description = "El informe, en español y en JSON", body = PdfVerification),
        (status = 413, description = "El PDF excede el tamaño admitido", body = Problem),
        (status = 422, description = "No es un PDF legible", body = Problem),
    )
)]
pub async fn verify_pdf(
    State(records): State<Records>,
    Body(body): Body,
) -> ApiResult<Json<PdfVerification>> {
    if !body.starts_with(b"%PDF-") {
        return Err(ApiError::Unprocessable(
            "El archivo enviado no es un PDF (no empieza con «%PDF-»). Envíe los bytes exactos del PDF con Content-Type: application/pdf.".into(),
        ));
    }
    let sha256 = Sha256::digest(&body);
    let (validator, trust_note) = match records.validator.as_ref() {
        Ok(v) => (v.clone(), None),
        Err(reason) => (
            Validator::clone(&rubrica_platform::trust::untrusted_validator(
                &records.archive.context().settings,
            )),
            Some(format!(
                "Este archivo no tiene autoridades de confianza configuradas ({reason}): ninguna cadena de certificados puede darse por válida."
            )),
        ),
    };
    let pdf = body.clone();
    let report = records
        .archive
        .context()
        .compute
        .run(move || rubrica_pdfsign::verify(&pdf, &validator))
        .await?
        .map_err(|e| ApiError::Unprocessable(format!("No se pudo leer el PDF: {e}")))?;
    let signatures: Vec<SignatureView> = public_signers(&report)
        .into_iter()
        .zip(&report.signatures)
        .map(|(signer, s)| SignatureView {
            signer,
            reason: s.reason.clone(),
            summary: s.summary.clone(),
        })
        .collect();
    let record = record_by_sha(&records, &sha256).await?;
    let inclusion = match &record {
        Some(_) => Some(
            records
                .archive
                .inclusion(EntryRef::Sha256(sha256), None)
                .await?,
        ),
        None => None,
    };
    let mut text = vec![report.summary.clone()];
    for s in &signatures {
        text.push(format!(
            "Firma de {}{}: {}{}.",
            s.signer.name,
            s.signer
                .seat
                .as_ref()
                .map(|seat| format!(" ({seat})"))
                .unwrap_or_default(),
            s.signer.verdict,
            s.reason
                .as_ref()
                .map(|r| format!(" — {r}"))
                .unwrap_or_default(),
        ));
    }
    match (&record, &inclusion) {
        (Some(r), Some(i)) => text.push(format!(
            "Este archivo es exactamente el registro archivado «{}» (huella {sha256}), entrada {} del registro de transparencia, incluida en la cabeza firmada de {} entradas.",
            r.title, i.entry.index, i.tree_size
        )),
        _ => text.push(format!(
            "Este archivo (huella {sha256}) no es ninguno de los registros archivados: si esperaba que lo fuera, fue modificado o es otra versión."
        )),
    }
    if let Some(note) = trust_note {
        text.push(note);
    }
    Ok(Json(PdfVerification {
        sha256: sha256.to_hex(),
        verdict: verdict_word(report.verdict).to_string(),
        record_complete: report.record_complete,
        signatures,
        archived: record.is_some(),
        record,
        inclusion,
        report: text.join(" "),
    }))
}

/// A record the archive refused.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Refusal {
    pub id: String,
    pub route_id: String,
    pub secretariat_id: Option<String>,
    pub sha256: Option<String>,
    /// Why, in Spanish.
    pub reason: String,
    /// The verification report, when there is one.
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
    pub refused_at: i64,
}

/// Records refused.
#[utoipa::path(
    get,
    path = "/refusals",
    tag = "registros",
    summary = "Los registros que el archivo rechazó (firma inválida, registro incompleto, PDF distinto) y por qué",
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Los rechazos de su secretariado, del más reciente al más antiguo", body = Vec<Refusal>),
        (status = 401, description = "Sin sesión", body = Problem),
        (status = 403, description = "Solo Presidencia, facilitador u operador", body = Problem),
    )
)]
pub async fn refusals(
    State(records): State<Records>,
    caller: Caller,
) -> ApiResult<Json<Vec<Refusal>>> {
    caller.require(
        REFUSAL_READERS,
        "consultar los registros rechazados por el archivo",
    )?;
    let everything = caller.has_any(&[Role::Operator]);
    let mut conn = records.archive.connection().await?;
    let rows = sqlx::query(
        "SELECT id, route_id, secretariat_id, sha256, reason, report, refused_at FROM archive_refusals
         WHERE $1 = 1 OR secretariat_id = $2 ORDER BY refused_at DESC LIMIT 500",
    )
    .bind(i64::from(everything))
    .bind(caller.secretariat_id.clone().unwrap_or_default())
    .fetch_all(&mut *conn)
    .await
    .or_unexpected("leyendo los rechazos")?;
    rows.iter()
        .map(|row| {
            let report: Option<String> = row.try_get("report")?;
            Ok(Refusal {
                id: row.try_get("id")?,
                route_id: row.try_get("route_id")?,
                secretariat_id: row.try_get("secretariat_id")?,
                sha256: row.try_get("sha256")?,
                reason: row.try_get("reason")?,
                report: report.and_then(|r| serde_json::from_str(&r).ok()),
                refused_at: row.try_get("refused_at")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map(Json)
        .or_unexpected("leyendo los rechazos")
}

/// The Data Package descriptor.
#[utoipa::path(
    get,
    path = "/open-data/datapackage.json",
    tag = "datos abiertos",
    summary = "Descriptor Frictionless Data Package de todos los datos abiertos",
    responses((status = 200, description = "El descriptor (datapackage.json)", body = Object))
)]
pub async fn datapackage(State(records): State<Records>) -> Json<serde_json::Value> {
    Json(opendata::datapackage(&records.archive.base_url()))
}

/// Row counts and last updates of the open data.
#[utoipa::path(
    get,
    path = "/open-data/stats.json",
    tag = "datos abiertos",
    summary = "Cuántas filas tiene cada archivo de datos abiertos y cuándo cambió por última vez (se recalcula a lo más cada minuto)",
    responses((status = 200, description = "Las cifras de cada recurso, en el orden del descriptor", body = opendata::Stats))
)]
pub async fn open_data_stats(State(records): State<Records>) -> ApiResult<Json<opendata::Stats>> {
    let stats = records
        .stats
        .get(&records.archive.context().db)
        .await
        .or_unexpected("contando las filas de los datos abiertos")?;
    Ok(Json(stats.as_ref().clone()))
}

/// Path of an open-data file.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OpenDataPath {
    /// `sesiones.csv`, `asistencia.json`, `votos.csv`, `acuerdos.csv`, `registros.json`…
    pub file: String,
}

/// One open-data file.
#[utoipa::path(
    get,
    path = "/open-data/{file}",
    tag = "datos abiertos",
    summary = "Un archivo de datos abiertos en CSV o JSON (se transmite por partes: memoria constante)",
    params(OpenDataPath),
    responses(
        (status = 200, description = "El archivo", content(("text/csv"), ("application/json"))),
        (status = 404, description = "No existe ese archivo", body = Problem),
    )
)]
pub async fn open_data(
    State(records): State<Records>,
    Path(path): Path<OpenDataPath>,
) -> ApiResult<HttpResponse> {
    let not_found = || {
        let names: Vec<String> = opendata::RESOURCES
            .iter()
            .map(|r| format!("{}.csv", r.name))
            .collect();
        ApiError::NotFound(format!(
            "No existe el archivo de datos abiertos «{}». Los disponibles son {} (también en .json), datapackage.json y stats.json.",
            crate::digest::shorten(&path.file),
            names.join(", ")
        ))
    };
    let (name, format) = match path.file.rsplit_once('.') {
        Some((name, "csv")) => (name, Format::Csv),
        Some((name, "json")) => (name, Format::Json),
        _ => return Err(not_found()),
    };
    let resource = opendata::resource(name).ok_or_else(not_found)?;
    let body = opendata::export(
        records.archive.context().db.clone(),
        resource,
        format,
        records.archive.base_url(),
    );
    let media = match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Json => "application/json",
    };
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(media)));
    if let Ok(disposition) = HeaderValue::from_str(&format!("inline; filename=\"{}\"", path.file)) {
        response.insert_header((header::CONTENT_DISPOSITION, disposition));
    }
    Ok(response.streaming(body))
}
