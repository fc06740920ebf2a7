//! The signing service's HTTP API: thin handlers over [`crate::routes`],
//! and its access table.
//!
//! Access: the facilitator and the President open and cancel routes (the
//! facilitator collects signatures, guide duties); every current member of
//! the secretariat reads its routes and their PDFs; a signer refuses,
//! prepares and completes — the handlers check that the caller is that
//! signer, and that they logged in with their FIEL to sign. Anyone may
//! verify a PDF they hold (`POST /verify`). Other services fetch final PDFs
//! under `/internal`, with the internal token.

use rubrica_platform::error::{Path, Query};
use rubrica_platform::http::{
    Caching, Disposition, Request, Response, State, StatusCode, download,
};
use rubrica_platform::{Access, Allowed, ApiResult, Caller, Json, Problem, Role};
use rubrica_platform::{ApiRouter, routes};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::model::*;
use crate::routes::Signing;

/// Who opens and cancels routes.
const MANAGERS: &[Role] = &[Role::Facilitator, Role::President, Role::Operator];

/// Readers, and outgoing members, who read only the routes they sign (the
/// acta de entrega-recepción of their own handover, 000 III.7).
const READERS_AND_OUTGOING: &[Role] = &[
    Role::President,
    Role::Facilitator,
    Role::Titular,
    Role::Suplente,
    Role::Enlace,
    Role::InvitedMember,
    Role::Operator,
    Role::OutgoingMember,
];

/// Who may sign or refuse (the handler checks they are a signer).
/// Current members, and members whose term ended: they sign their acta de
/// entrega-recepción (000 III.7). Each may sign only where the route's
/// layout names them.
const SIGNERS: &[Role] = Role::MEMBERS_AND_OUTGOING;

/// Who may call each operation of [`router`].
pub const ACCESS: &[Access] = &[
    Access::roles("POST", "/routes", MANAGERS, "abrir una ruta de firma"),
    Access::roles(
        "GET",
        "/routes",
        READERS_AND_OUTGOING,
        "consultar las rutas de firma",
    ),
    Access::roles(
        "GET",
        "/routes/{id}",
        READERS_AND_OUTGOING,
        "consultar una ruta de firma",
    ),
    Access::roles(
        "GET",
        "/routes/{id}/pdf",
        READERS_AND_OUTGOING,
        "descargar la versión actual del acta en firma",
    ),
    Access::roles(
        "GET",
        "/routes/{id}/signed.pdf",
        READERS_AND_OUTGOING,
        "descargar el acta firmada",
    ),
    Access::roles(
        "GET",
        "/routes/{id}/verification",
        READERS_AND_OUTGOING,
        "consultar la verificación de las firmas de una ruta",
    ),
    Access::roles(
        "POST",
        "/routes/{id}/refuse",
        SIGNERS,
        "rechazar la firma de un acta",
    ),
    Access::roles(
        "POST",
        "/routes/{id}/cancel",
        MANAGERS,
        "cancelar una ruta de firma",
    ),
    Access::roles(
        "POST",
        "/routes/{id}/prepare",
        SIGNERS,
        "preparar su firma de un acta",
    ),
    Access::roles(
        "POST",
        "/routes/{id}/complete",
        SIGNERS,
        "completar su firma de un acta",
    ),
    Access {
        method: "POST",
        path: "/verify",
        allowed: Allowed::Public,
        action: "verificar las firmas de un PDF",
    },
];

/// Body limit of the routes that take a PDF in base64: the PDF limit plus
/// the encoding's third and room for the rest of the JSON.
fn upload_limit(signing: &Signing) -> usize {
    signing.settings().max_pdf_bytes.saturating_mul(4) / 3 + 1024 * 1024
}

/// The public API.
pub fn router(signing: Signing) -> ApiRouter {
    let limit = upload_limit(&signing);
    let uploads = ApiRouter::new()
        .routes(routes!(open_route, list_routes))
        .routes(routes!(verify_pdf))
        .body_limit(limit);
    ApiRouter::new()
        .merge(uploads)
        .routes(routes!(get_route))
        .routes(routes!(current_pdf))
        .routes(routes!(signed_pdf))
        .routes(routes!(verification))
        .routes(routes!(refuse))
        .routes(routes!(cancel))
        .routes(routes!(prepare))
        .routes(routes!(complete))
        .with_state(signing)
}

/// Service-to-service routes, behind the internal token.
pub fn internal_router(signing: Signing) -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(internal_signed_pdf))
        .with_state(signing)
}

/// Path of a route.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RoutePath {
    /// The route's id.
    pub id: String,
}

/// Listing parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// At most this many (default 50, at most 500).
    pub limit: Option<i64>,
}

/// A verification report (rubrica-pdfsign's `VerificationReport`): verdict,
/// Spanish summary, one entry per signature with its checks.
#[derive(Debug, Serialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub struct Report(pub rubrica_pdfsign::VerificationReport);

fn pdf_response(request: &Request, sha256: &str, bytes: Vec<u8>, filename: &str) -> Response {
    download(
        request,
        bytes,
        "application/pdf",
        Disposition::Attachment(filename),
        Some(sha256),
        Caching::NoStore,
    )
}

/// Opens a signing route.
#[utoipa::path(
    post,
    path = "/routes",
    tag = "rutas",
    summary = "Abre una ruta de firma sobre un acta aprobada: crea la versión firmable y la lista de firmantes del manifiesto",
    request_body = OpenRoute,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Ruta abierta; se invita a cada firmante", body = RouteView),
        (status = 400, description = "Base64 no válido", body = Problem),
        (status = 403, description = "Secretariado ajeno o rol sin permiso", body = Problem),
        (status = 413, description = "PDF mayor que signing.max_pdf_bytes", body = Problem),
        (status = 422, description = "PDF, manifiesto o datos no válidos", body = Problem),
        (status = 503, description = "El servicio de documentos no responde", body = Problem),
    )
)]
async fn open_route(
    State(signing): State<Signing>,
    caller: Caller,
    Json(request): Json<OpenRoute>,
) -> ApiResult<(Json<RouteView>, StatusCode)> {
    let route = signing.open(&caller, request).await?;
    Ok((Json(route), StatusCode::CREATED))
}

/// Lists routes.
#[utoipa::path(
    get,
    path = "/routes",
    tag = "rutas",
    summary = "Lista las rutas de firma del secretariado, las más recientes primero",
    params(ListQuery),
    security(("sesion" = [])),
    responses((status = 200, description = "Rutas", body = Vec<RouteView>))
)]
async fn list_routes(
    State(signing): State<Signing>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Vec<RouteView>>> {
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    Ok(Json(signing.list(&caller, limit).await?))
}

/// A route's status.
#[utoipa::path(
    get,
    path = "/routes/{id}",
    tag = "rutas",
    summary = "Estado de una ruta: firmantes, revisiones e historial",
    params(RoutePath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "La ruta", body = RouteView),
        (status = 404, description = "No existe o es de otro secretariado", body = Problem),
    )
)]
async fn get_route(
    State(signing): State<Signing>,
    caller: Caller,
    Path(path): Path<RoutePath>,
) -> ApiResult<Json<RouteView>> {
    Ok(Json(signing.get(&caller, &path.id).await?))
}

/// The current revision.
#[utoipa::path(
    get,
    path = "/routes/{id}/pdf",
    tag = "rutas",
    summary = "Descarga la versión actual del acta (con las firmas que ya tiene)",
    params(RoutePath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "El PDF; ETag es su SHA-256", content(("application/pdf"))),
        (status = 404, description = "No existe", body = Problem),
    )
)]
async fn current_pdf(
    request: Request,
    State(signing): State<Signing>,
    caller: Caller,
    Path(path): Path<RoutePath>,
) -> ApiResult<Response> {
    let (sha, bytes) = signing.pdf(&caller, &path.id, false).await?;
    Ok(pdf_response(
        &request,
        &sha,
        bytes,
        &format!("ruta-{}-{}.pdf", path.id, &sha[..12]),
    ))
}

/// The final revision.
#[utoipa::path(
    get,
    path = "/routes/{id}/signed.pdf",
    tag = "rutas",
    summary = "Descarga el acta firmada por todos (cuando la ruta está completa)",
    params(RoutePath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "El PDF final; ETag es su SHA-256", content(("application/pdf"))),
        (status = 404, description = "No existe o aún faltan firmas", body = Problem),
    )
)]
async fn signed_pdf(
    request: Request,
    State(signing): State<Signing>,
    caller: Caller,
    Path(path): Path<RoutePath>,
) -> ApiResult<Response> {
    let (sha, bytes) = signing.pdf(&caller, &path.id, true).await?;
    Ok(pdf_response(
        &request,
        &sha,
        bytes,
        &format!("acta-firmada-{}.pdf", &sha[..12]),
    ))
}

/// The final revision, for the mail and archive services.
#[utoipa::path(
    get,
    path = "/internal/routes/{id}/signed.pdf",
    tag = "interno",
    summary = "El acta firmada por todos, para otros servicios (correo, archivo)",
    params(RoutePath),
    security(("internal_token" = [])),
    responses(
        (status = 200, description = "El PDF final", content(("application/pdf"))),
        (status = 404, description = "No existe o aún faltan firmas", body = Problem),
    )
)]
async fn internal_signed_pdf(
    request: Request,
    State(signing): State<Signing>,
    Path(path): Path<RoutePath>,
) -> ApiResult<Response> {
    let (sha, bytes) = signing.final_pdf_internal(&path.id).await?;
    Ok(pdf_response(
        &request,
        &sha,
        bytes,
        &format!("acta-firmada-{}.pdf", &sha[..12]),
    ))
}

/// The verification report of the current revision.
#[utoipa::path(
    get,
    path = "/routes/{id}/verification",
    tag = "rutas",
    summary = "Verifica cada firma de la versión actual y los cambios posteriores a cada una",
    params(RoutePath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Informe de verificación", body = Report),
        (status = 404, description = "No existe", body = Problem),
    )
)]
async fn verification(
    State(signing): State<Signing>,
    caller: Caller,
    Path(path): Path<RoutePath>,
) -> ApiResult<Json<Report>> {
    Ok(Json(Report(signing.verification(&caller, &path.id).await?)))
}

/// Verifies any PDF.
#[utoipa::path(
    post,
    path = "/verify",
    tag = "verificación",
    summary = "Verifica las firmas de cualquier PDF con las autoridades de confianza de este servicio",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "Informe de verificación (válida solo con cadena de confianza)", body = Report),
        (status = 400, description = "Base64 no válido", body = Problem),
        (status = 413, description = "PDF demasiado grande", body = Problem),
        (status = 422, description = "No es un PDF legible", body = Problem),
    )
)]
async fn verify_pdf(
    State(signing): State<Signing>,
    Json(request): Json<VerifyRequest>,
) -> ApiResult<Json<Report>> {
    let bytes = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        request.pdf_base64.trim(),
    )
    .map_err(|_| {
        rubrica_platform::ApiError::BadRequest(
            "El campo «pdf_base64» no es base64 válido. Codifique los bytes del PDF y vuelva a enviarlo.".into(),
        )
    })?;
    Ok(Json(Report(signing.verify_bytes(bytes).await?)))
}

/// A signer refuses.
#[utoipa::path(
    post,
    path = "/routes/{id}/refuse",
    tag = "firma",
    summary = "Rechaza firmar el acta, con su motivo (queda en la ruta y en el archivo)",
    params(RoutePath),
    request_body = Refusal,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Rechazo registrado", body = RouteView),
        (status = 403, description = "No es firmante de la ruta o no inició sesión con su e.firma", body = Problem),
        (status = 409, description = "Ya firmó o rechazó, o la ruta está cerrada", body = Problem),
        (status = 422, description = "Falta el motivo", body = Problem),
    )
)]
async fn refuse(
    State(signing): State<Signing>,
    caller: Caller,
    Path(path): Path<RoutePath>,
    Json(refusal): Json<Refusal>,
) -> ApiResult<Json<RouteView>> {
    Ok(Json(signing.refuse(&caller, &path.id, refusal).await?))
}

/// The facilitator cancels.
#[utoipa::path(
    post,
    path = "/routes/{id}/cancel",
    tag = "rutas",
    summary = "Cancela una ruta abierta (no se borra nada)",
    params(RoutePath),
    request_body = Cancellation,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Ruta cancelada", body = RouteView),
        (status = 409, description = "La ruta ya está cerrada", body = Problem),
    )
)]
async fn cancel(
    State(signing): State<Signing>,
    caller: Caller,
    Path(path): Path<RoutePath>,
    Json(cancellation): Json<Cancellation>,
) -> ApiResult<Json<RouteView>> {
    Ok(Json(signing.cancel(&caller, &path.id, cancellation).await?))
}

/// First step of a remote signature.
#[utoipa::path(
    post,
    path = "/routes/{id}/prepare",
    tag = "firma",
    summary = "Prepara su firma: verifica su certificado y devuelve los bytes exactos que su llave debe firmar (la llave nunca se envía)",
    params(RoutePath),
    request_body = PrepareRequest,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Bytes a firmar e identificador de la preparación", body = PrepareResponse),
        (status = 400, description = "Base64 no válido", body = Problem),
        (status = 403, description = "Sesión sin FIEL, certificado de otra persona o RFC que no firma esta acta", body = Problem),
        (status = 409, description = "Ya firmó, no es su turno o la ruta está cerrada", body = Problem),
        (status = 422, description = "Certificado ilegible, CSD, vencido o sin cadena de confianza", body = Problem),
    )
)]
async fn prepare(
    State(signing): State<Signing>,
    caller: Caller,
    Path(path): Path<RoutePath>,
    Json(request): Json<PrepareRequest>,
) -> ApiResult<Json<PrepareResponse>> {
    Ok(Json(signing.prepare(&caller, &path.id, request).await?))
}

/// Second step of a remote signature.
#[utoipa::path(
    post,
    path = "/routes/{id}/complete",
    tag = "firma",
    summary = "Completa su firma: incorpora el valor de firma, verifica el PDF completo y guarda la nueva versión",
    params(RoutePath),
    request_body = CompleteRequest,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Firma registrada", body = CompleteResponse),
        (status = 404, description = "No existe esa preparación para usted", body = Problem),
        (status = 409, description = "Otro firmante firmó antes (prepare de nuevo), preparación vencida o usada, ruta cerrada", body = Problem),
        (status = 422, description = "La firma no corresponde a los datos ni al certificado", body = Problem),
    )
)]
async fn complete(
    State(signing): State<Signing>,
    caller: Caller,
    Path(path): Path<RoutePath>,
    Json(request): Json<CompleteRequest>,
) -> ApiResult<Json<CompleteResponse>> {
    Ok(Json(signing.complete(&caller, &path.id, request).await?))
}
