//! Handovers (entrega-recepción, 000 III.7): the outgoing member opens one,
//! adds their report and documents and submits it; the President or the
//! facilitator routes its inventory for signature; once signed, the package
//! is archived and downloadable as a ZIP. See [`crate::handovers`].

use rubrica_platform::actix_web::http::header;
use rubrica_platform::actix_web::{HttpRequest, HttpResponse};
use rubrica_platform::http::{self, Body, Caching, Disposition, Path, Query, State, StatusCode};
use rubrica_platform::{ApiResult, Caller, Json, Problem, Role};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::handovers::{
    Credential, HandoverView, Handovers, OpenHandover, PendingHandover, RecordReference,
    ReportText, RouteInventory,
};

/// Who may see the pending handovers and route inventories.
pub const RECEIVERS: &[Role] = &[Role::President, Role::Facilitator, Role::Operator];

/// The caller's `Authorization`, forwarded as it came.
pub(super) fn credential(request: &HttpRequest) -> Credential {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes().to_vec())
}

/// Path of a handover.
#[derive(Debug, Deserialize, IntoParams)]
pub struct HandoverPath {
    /// The handover's id.
    pub id: String,
}

/// Opens the caller's handover.
#[utoipa::path(
    post,
    path = "/handovers",
    tag = "entrega-recepción",
    summary = "Abre la entrega-recepción de quien concluye (o está por concluir) su encargo",
    request_body = OpenHandover,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Abierta, con su folio", body = HandoverView),
        (status = 401, description = "Sin sesión", body = Problem),
        (status = 409, description = "Ya tiene una entrega sin concluir", body = Problem),
        (status = 422, description = "Asiento o datos no válidos", body = Problem),
    )
)]
pub async fn open(
    State(handovers): State<Handovers>,
    caller: Caller,
    http: HttpRequest,
    Json(request): Json<OpenHandover>,
) -> ApiResult<(Json<HandoverView>, StatusCode)> {
    let view = handovers.open(&caller, &credential(&http), request).await?;
    Ok((Json(view), StatusCode::CREATED))
}

/// The caller's handovers (all of the secretariat for its managers).
#[utoipa::path(
    get,
    path = "/handovers",
    tag = "entrega-recepción",
    summary = "Lista sus entregas-recepción; la Presidencia y el facilitador ven todas las de su secretariado",
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Las entregas, de la más reciente a la más antigua", body = Vec<HandoverView>),
        (status = 401, description = "Sin sesión", body = Problem),
    )
)]
pub async fn list(
    State(handovers): State<Handovers>,
    caller: Caller,
) -> ApiResult<Json<Vec<HandoverView>>> {
    Ok(Json(handovers.list(&caller).await?))
}

/// One handover.
#[utoipa::path(
    get,
    path = "/handovers/{id}",
    tag = "entrega-recepción",
    summary = "Consulta una entrega-recepción: sus archivos con su SHA-256, su estado y el siguiente paso",
    params(HandoverPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "La entrega", body = HandoverView),
        (status = 404, description = "No existe o no le corresponde", body = Problem),
    )
)]
pub async fn get(
    State(handovers): State<Handovers>,
    caller: Caller,
    Path(path): Path<HandoverPath>,
) -> ApiResult<Json<HandoverView>> {
    Ok(Json(handovers.get(&caller, &path.id).await?))
}

/// Name and description of an upload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name (its extension must agree with its content).
    pub name: String,
    /// What it is, for the inventory.
    pub description: Option<String>,
}

/// Uploads a document.
#[utoipa::path(
    post,
    path = "/handovers/{id}/files",
    tag = "entrega-recepción",
    summary = "Agrega un documento a la entrega: se revisa su tipo por su contenido y se calcula su SHA-256 al recibirlo",
    params(HandoverPath, UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "Los bytes del archivo"),
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Agregado; la entrega con todos sus archivos", body = HandoverView),
        (status = 403, description = "Solo quien entrega", body = Problem),
        (status = 409, description = "Ya entregada, o ya hay un archivo con ese nombre", body = Problem),
        (status = 413, description = "Excede el límite de un archivo o del paquete", body = Problem),
        (status = 422, description = "Vacío, programa, tipo no reconocido o nombre que no coincide con el contenido", body = Problem),
    )
)]
pub async fn upload(
    State(handovers): State<Handovers>,
    caller: Caller,
    Path(path): Path<HandoverPath>,
    Query(query): Query<UploadQuery>,
    Body(body): Body,
) -> ApiResult<(Json<HandoverView>, StatusCode)> {
    let view = handovers
        .upload(&caller, &path.id, &query.name, query.description, body)
        .await?;
    Ok((Json(view), StatusCode::CREATED))
}

/// Adds an archived record.
#[utoipa::path(
    post,
    path = "/handovers/{id}/records",
    tag = "entrega-recepción",
    summary = "Agrega a la entrega un registro ya archivado de su secretariado, por su SHA-256",
    params(HandoverPath),
    request_body = RecordReference,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Agregado", body = HandoverView),
        (status = 403, description = "El registro es de otro secretariado", body = Problem),
        (status = 404, description = "No hay tal registro", body = Problem),
        (status = 409, description = "Ya entregada", body = Problem),
    )
)]
pub async fn add_record(
    State(handovers): State<Handovers>,
    caller: Caller,
    Path(path): Path<HandoverPath>,
    Json(reference): Json<RecordReference>,
) -> ApiResult<(Json<HandoverView>, StatusCode)> {
    let view = handovers.add_record(&caller, &path.id, reference).await?;
    Ok((Json(view), StatusCode::CREATED))
}

/// The activity report from its text.
#[utoipa::path(
    post,
    path = "/handovers/{id}/report",
    tag = "entrega-recepción",
    summary = "Genera el informe de actividades con el servicio de documentos a partir de su texto (reemplaza el anterior)",
    params(HandoverPath),
    request_body = ReportText,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Informe generado y agregado", body = HandoverView),
        (status = 409, description = "Ya entregada", body = Problem),
        (status = 422, description = "Faltan campos del informe", body = Problem),
    )
)]
pub async fn report(
    State(handovers): State<Handovers>,
    caller: Caller,
    http: HttpRequest,
    Path(path): Path<HandoverPath>,
    Json(text): Json<ReportText>,
) -> ApiResult<(Json<HandoverView>, StatusCode)> {
    let view = handovers
        .report_text(&caller, &credential(&http), &path.id, text)
        .await?;
    Ok((Json(view), StatusCode::CREATED))
}

/// The activity report as a PDF.
#[utoipa::path(
    post,
    path = "/handovers/{id}/report.pdf",
    tag = "entrega-recepción",
    summary = "Agrega el informe de actividades como un PDF ya elaborado (reemplaza el anterior)",
    params(HandoverPath),
    request_body(content = Vec<u8>, content_type = "application/pdf", description = "Los bytes del PDF"),
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Informe agregado", body = HandoverView),
        (status = 409, description = "Ya entregada", body = Problem),
        (status = 422, description = "No es un PDF", body = Problem),
    )
)]
pub async fn report_pdf(
    State(handovers): State<Handovers>,
    caller: Caller,
    Path(path): Path<HandoverPath>,
    Body(body): Body,
) -> ApiResult<(Json<HandoverView>, StatusCode)> {
    let view = handovers.report_pdf(&caller, &path.id, body).await?;
    Ok((Json(view), StatusCode::CREATED))
}

/// Submits the handover.
#[utoipa::path(
    post,
    path = "/handovers/{id}/submit",
    tag = "entrega-recepción",
    summary = "Entrega: la entrega-recepción queda fija y la Presidencia puede enviar su acta a firma",
    params(HandoverPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Entregada", body = HandoverView),
        (status = 409, description = "Ya entregada", body = Problem),
        (status = 422, description = "Falta el informe de actividades", body = Problem),
    )
)]
pub async fn submit(
    State(handovers): State<Handovers>,
    caller: Caller,
    Path(path): Path<HandoverPath>,
) -> ApiResult<Json<HandoverView>> {
    Ok(Json(handovers.submit(&caller, &path.id).await?))
}

/// Routes the inventory for signature.
#[utoipa::path(
    post,
    path = "/handovers/{id}/inventory",
    tag = "entrega-recepción",
    summary = "Genera el acta de entrega-recepción (cada archivo con su SHA-256), la aprueba y la envía a firma de quien entrega y quienes reciben",
    params(HandoverPath),
    request_body = RouteInventory,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "En firma", body = HandoverView),
        (status = 403, description = "Solo la Presidencia o el facilitador", body = Problem),
        (status = 409, description = "Aún no entregada, o ya en firma", body = Problem),
        (status = 422, description = "Persona sucesora no válida", body = Problem),
    )
)]
pub async fn inventory(
    State(handovers): State<Handovers>,
    caller: Caller,
    http: HttpRequest,
    Path(path): Path<HandoverPath>,
    Json(request): Json<RouteInventory>,
) -> ApiResult<Json<HandoverView>> {
    Ok(Json(
        handovers
            .route_inventory(&caller, &credential(&http), &path.id, request)
            .await?,
    ))
}

/// Downloads the archived package.
#[utoipa::path(
    get,
    path = "/handovers/{id}/package.zip",
    tag = "entrega-recepción",
    summary = "Descarga el paquete archivado: bolsa BagIt (RFC 8493) en ZIP con el acta de entrega-recepción firmada",
    params(HandoverPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "El ZIP", content_type = "application/zip", body = Vec<u8>),
        (status = 404, description = "No existe o no le corresponde", body = Problem),
        (status = 409, description = "Aún no archivada", body = Problem),
    )
)]
pub async fn package(
    request: HttpRequest,
    State(handovers): State<Handovers>,
    caller: Caller,
    Path(path): Path<HandoverPath>,
) -> ApiResult<HttpResponse> {
    let (name, bytes) = handovers.package(&caller, &path.id).await?;
    Ok(http::download(
        &request,
        bytes,
        "application/zip",
        Disposition::Attachment(&name),
        None,
        Caching::NoStore,
    ))
}

/// Path of a secretariat.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SecretariatPath {
    /// The secretariat's id.
    pub id: String,
}

/// Terms ended or ending without a submitted handover.
#[utoipa::path(
    get,
    path = "/secretariats/{id}/handovers/pending",
    tag = "entrega-recepción",
    summary = "Periodos concluidos (último año) o por concluir (30 días) sin entrega-recepción entregada, para la Presidencia",
    params(SecretariatPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Pendientes, los más antiguos primero", body = Vec<PendingHandover>),
        (status = 403, description = "Solo la Presidencia, el facilitador o el operador de su secretariado", body = Problem),
    )
)]
pub async fn pending(
    State(handovers): State<Handovers>,
    caller: Caller,
    http: HttpRequest,
    Path(path): Path<SecretariatPath>,
) -> ApiResult<Json<Vec<PendingHandover>>> {
    Ok(Json(
        handovers
            .pending(&caller, &credential(&http), &path.id)
            .await?,
    ))
}
