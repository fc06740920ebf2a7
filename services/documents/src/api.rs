//! The documents service's HTTP API and its access table.
//!
//! - `POST /documents`: render a record from data (first draft).
//! - `POST /documents/{id}/versions`: render a corrected draft.
//! - `POST /documents/{id}/approve`: approve a version (frozen from then on).
//! - `GET /documents`, `GET /documents/{id}`: records and their versions.
//! - `GET /documents/{id}/pdf`, `GET /documents/{id}/layout`: the PDF and the
//!   layout manifest (`?version=N`; default: approved, else the latest draft).
//! - For the signing service, behind the internal token only:
//!   `GET /internal/documents/{id}` and, approved versions only,
//!   `GET /internal/documents/{id}/pdf` and `…/layout`. The internal token
//!   opens nothing on the public routes.

use rubrica_pdfsign::LayoutManifest;
use rubrica_platform::http::{
    Caching, Disposition, Path, Query, Request, Response, State, StatusCode, download,
};
use rubrica_platform::{Access, ApiRouter, Caller, Json, Problem, Role, ServiceName, routes};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::documents::{Documents, DocumentsError};
use crate::model::{
    Approval, DocumentView, ListQuery, NewDraft, RenderRequest, RenderedVersion, VersionQuery,
};
use crate::schema::FieldError;
use serde_json::json;

/// Who renders drafts: the facilitator drafts (004, duties), the President
/// may, and an outgoing member renders their own report and handover
/// (000 III.7; the handler limits them to those kinds).
const DRAFTERS: &[Role] = &[Role::President, Role::Facilitator, Role::OutgoingMember];

/// Who reads records: every member (they sign them), outgoing members and
/// the operator.
const READERS: &[Role] = &[
    Role::President,
    Role::Facilitator,
    Role::Titular,
    Role::Suplente,
    Role::Enlace,
    Role::InvitedMember,
    Role::OutgoingMember,
    Role::Operator,
];

/// Who may call each operation of [`router`].
pub const ACCESS: &[Access] = &[
    Access::roles("POST", "/documents", DRAFTERS, "generar un documento"),
    Access::roles("GET", "/documents", READERS, "listar documentos"),
    Access::roles(
        "GET",
        "/documents/{id}",
        READERS,
        "consultar un documento y sus versiones",
    ),
    Access::roles(
        "POST",
        "/documents/{id}/versions",
        DRAFTERS,
        "generar una nueva versión de un borrador",
    ),
    Access::roles(
        "POST",
        "/documents/{id}/approve",
        Role::MANAGERS,
        "aprobar una versión de un documento",
    ),
    Access::roles(
        "GET",
        "/documents/{id}/pdf",
        READERS,
        "descargar el PDF de un documento",
    ),
    Access::roles(
        "GET",
        "/documents/{id}/layout",
        READERS,
        "consultar el manifiesto de diseño de un documento",
    ),
];

/// Largest request body: the 20-page example acta's data is ~100 KB.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// The public routes.
pub fn router(documents: Documents) -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show))
        .routes(routes!(new_version))
        .routes(routes!(approve))
        .routes(routes!(pdf))
        .routes(routes!(layout))
        .body_limit(MAX_BODY)
        .with_state(documents)
}

/// The service-to-service routes, behind the internal token.
pub fn internal_router(documents: Documents) -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(internal_show))
        .routes(routes!(internal_pdf))
        .routes(routes!(internal_layout))
        .with_state(documents)
}

/// Path of a record.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DocumentPath {
    /// The record's id.
    pub id: String,
}

/// Renders a record and stores it as its first draft.
#[utoipa::path(
    post,
    path = "/documents",
    tag = "documentos",
    summary = "Genera un documento (acta, minuta, convocatoria, informe o acta de entrega-recepción) y lo guarda como borrador",
    request_body = RenderRequest,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Versión 1: id, SHA-256, páginas, el PDF/A-2b (base64) y el manifiesto de diseño", body = RenderedVersion),
        (status = 403, description = "Su rol no permite generar este tipo de documento", body = Problem),
        (status = 422, description = "Faltan campos o no son válidos: `errors` los lista todos", body = Problem),
        (status = 500, description = "Error en la plantilla (archivo y línea en la bitácora); no se guardó nada", body = Problem),
    )
)]
pub async fn create(
    State(documents): State<Documents>,
    caller: Caller,
    Json(request): Json<RenderRequest>,
) -> Result<(Json<RenderedVersion>, StatusCode), DocumentsError> {
    let created = documents
        .create(&caller, request.kind, request.data)
        .await?;
    Ok((Json(created), StatusCode::CREATED))
}

/// Lists records.
#[utoipa::path(
    get,
    path = "/documents",
    tag = "documentos",
    summary = "Lista los documentos de una sesión, o los 100 más recientes de su secretariado",
    params(ListQuery),
    security(("sesion" = [])),
    responses((status = 200, description = "Documentos con sus versiones", body = Vec<DocumentView>))
)]
pub async fn list(
    State(documents): State<Documents>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<DocumentView>>, DocumentsError> {
    Ok(Json(
        documents.list(&caller, query.session_id.as_deref()).await?,
    ))
}

/// A record and its versions.
#[utoipa::path(
    get,
    path = "/documents/{id}",
    tag = "documentos",
    summary = "Consulta un documento: estado (borrador o aprobado) y cada versión con su SHA-256",
    params(DocumentPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "El documento", body = DocumentView),
        (status = 403, description = "Pertenece a otro secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
    )
)]
pub async fn show(
    State(documents): State<Documents>,
    caller: Caller,
    Path(path): Path<DocumentPath>,
) -> Result<Json<DocumentView>, DocumentsError> {
    Ok(Json(documents.view(&caller, &path.id).await?))
}

/// Renders a corrected draft.
#[utoipa::path(
    post,
    path = "/documents/{id}/versions",
    tag = "documentos",
    summary = "Genera una nueva versión de un borrador con los datos corregidos (cada versión conserva su SHA-256)",
    params(DocumentPath),
    request_body = NewDraft,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "La nueva versión", body = RenderedVersion),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "Ya fue aprobado (congelado), o cambió mientras se generaba", body = Problem),
        (status = 422, description = "Faltan campos o no son válidos: `errors` los lista todos", body = Problem),
        (status = 500, description = "Error en la plantilla; no se guardó nada", body = Problem),
    )
)]
pub async fn new_version(
    State(documents): State<Documents>,
    caller: Caller,
    Path(path): Path<DocumentPath>,
    Json(draft): Json<NewDraft>,
) -> Result<(Json<RenderedVersion>, StatusCode), DocumentsError> {
    let created = documents.new_version(&caller, &path.id, draft.data).await?;
    Ok((Json(created), StatusCode::CREATED))
}

/// Approves a version.
#[utoipa::path(
    post,
    path = "/documents/{id}/approve",
    tag = "documentos",
    summary = "Aprueba una versión: el documento queda congelado y puede abrirse a firma",
    params(DocumentPath),
    request_body = Approval,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "El documento aprobado", body = DocumentView),
        (status = 404, description = "No existe el documento o la versión", body = Problem),
        (status = 409, description = "Ya estaba aprobado", body = Problem),
    )
)]
pub async fn approve(
    State(documents): State<Documents>,
    caller: Caller,
    Path(path): Path<DocumentPath>,
    Json(approval): Json<Approval>,
) -> Result<Json<DocumentView>, DocumentsError> {
    Ok(Json(
        documents
            .approve(&caller, &path.id, approval.version)
            .await?,
    ))
}

fn pdf_response(request: &Request, pdf: Vec<u8>, sha256: &str, folio: &str) -> Response {
    download(
        request,
        pdf,
        "application/pdf",
        Disposition::Inline(&format!("{folio}.pdf")),
        Some(sha256),
        Caching::NoStore,
    )
}

/// The PDF of a record.
#[utoipa::path(
    get,
    path = "/documents/{id}/pdf",
    tag = "documentos",
    summary = "Descarga el PDF/A-2b de un documento (la versión indicada; si no, la aprobada o el último borrador)",
    params(DocumentPath, VersionQuery),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "El PDF; el encabezado ETag es su SHA-256", content_type = "application/pdf"),
        (status = 404, description = "No existe el documento o la versión", body = Problem),
    )
)]
pub async fn pdf(
    request: Request,
    State(documents): State<Documents>,
    caller: Caller,
    Path(path): Path<DocumentPath>,
    Query(query): Query<VersionQuery>,
) -> Result<Response, DocumentsError> {
    let (pdf, sha256, folio) = documents
        .pdf(&caller, &path.id, query.version, false)
        .await?;
    Ok(pdf_response(&request, pdf, &sha256, &folio))
}

/// The layout manifest of a record.
#[utoipa::path(
    get,
    path = "/documents/{id}/layout",
    tag = "documentos",
    summary = "Consulta el manifiesto de diseño: páginas y recuadros de rúbrica y de firma de cada firmante, en puntos PDF",
    params(DocumentPath, VersionQuery),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "El manifiesto (rubrica_pdfsign::LayoutManifest)", body = Object),
        (status = 404, description = "No existe el documento o la versión", body = Problem),
    )
)]
pub async fn layout(
    State(documents): State<Documents>,
    caller: Caller,
    Path(path): Path<DocumentPath>,
    Query(query): Query<VersionQuery>,
) -> Result<Json<LayoutManifest>, DocumentsError> {
    Ok(Json(
        documents
            .layout(&caller, &path.id, query.version, false)
            .await?,
    ))
}

/// A record and its versions, for the signing service (whose it is, its
/// kind, whether it is approved).
#[utoipa::path(
    get,
    path = "/internal/documents/{id}",
    tag = "interno",
    summary = "Consulta un documento (para el servicio de firma)",
    params(DocumentPath),
    security(("internal_token" = [])),
    responses(
        (status = 200, description = "El documento", body = DocumentView),
        (status = 404, description = "No existe", body = Problem),
    )
)]
pub async fn internal_show(
    State(documents): State<Documents>,
    Path(path): Path<DocumentPath>,
) -> Result<Json<DocumentView>, DocumentsError> {
    let caller = Caller::service(ServiceName::Signing);
    Ok(Json(documents.view(&caller, &path.id).await?))
}

/// The approved PDF, for the signing service.
#[utoipa::path(
    get,
    path = "/internal/documents/{id}/pdf",
    tag = "interno",
    summary = "PDF de la versión aprobada (para el servicio de firma)",
    params(DocumentPath, VersionQuery),
    security(("internal_token" = [])),
    responses(
        (status = 200, description = "El PDF aprobado", content_type = "application/pdf"),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "Aún no está aprobado", body = Problem),
    )
)]
pub async fn internal_pdf(
    request: Request,
    State(documents): State<Documents>,
    Path(path): Path<DocumentPath>,
    Query(query): Query<VersionQuery>,
) -> Result<Response, DocumentsError> {
    let caller = Caller::service(ServiceName::Signing);
    let (pdf, sha256, folio) = documents
        .pdf(&caller, &path.id, query.version, true)
        .await?;
    Ok(pdf_response(&request, pdf, &sha256, &folio))
}

/// The approved version's layout manifest, for the signing service.
#[utoipa::path(
    get,
    path = "/internal/documents/{id}/layout",
    tag = "interno",
    summary = "Manifiesto de diseño de la versión aprobada (para el servicio de firma)",
    params(DocumentPath, VersionQuery),
    security(("internal_token" = [])),
    responses(
        (status = 200, description = "El manifiesto", body = Object),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "Aún no está aprobado", body = Problem),
    )
)]
pub async fn internal_layout(
    State(documents): State<Documents>,
    Path(path): Path<DocumentPath>,
    Query(query): Query<VersionQuery>,
) -> Result<Json<LayoutManifest>, DocumentsError> {
    let caller = Caller::service(ServiceName::Signing);
    Ok(Json(
        documents
            .layout(&caller, &path.id, query.version, true)
            .await?,
    ))
}

// The service's errors as HTTP answers: kept here, at the edge, so the
// logic in `documents.rs` knows nothing of HTTP.

/// Builds the 422 problem: RFC 9457 with an `errors` member naming every
/// field (an extension member, allowed by the RFC).
pub fn invalid_data_problem(errors: &[FieldError]) -> serde_json::Value {
    let listed = errors
        .iter()
        .map(|e| format!("«{}» {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ");
    let detail = format!(
        "Los datos del documento no son válidos ({} {}): {listed}. Corríjalos y vuelva a enviarlos; no se guardó nada.",
        errors.len(),
        if errors.len() == 1 {
            "problema"
        } else {
            "problemas"
        }
    );
    let problem = Problem {
        kind: "about:blank".into(),
        title: "Solicitud no procesable".into(),
        status: 422,
        detail,
        request_id: rubrica_platform::telemetry::current_request_id(),
    };
    let mut value = serde_json::to_value(problem).unwrap_or_else(|_| json!({}));
    value["errors"] = json!(errors);
    value
}

impl rubrica_platform::actix_web::ResponseError for DocumentsError {
    fn status_code(&self) -> rubrica_platform::http::StatusCode {
        match self {
            DocumentsError::InvalidData(_) => {
                rubrica_platform::http::StatusCode::UNPROCESSABLE_ENTITY
            }
            DocumentsError::Api(e) => e.status(),
        }
    }

    fn error_response(&self) -> rubrica_platform::http::Response {
        match self {
            DocumentsError::InvalidData(errors) => {
                rubrica_platform::http::Response::UnprocessableEntity()
                    .content_type(rubrica_platform::error::PROBLEM_JSON)
                    .body(invalid_data_problem(errors).to_string())
            }
            DocumentsError::Api(e) => e.to_response(),
        }
    }
}
