//! A session's evidence: the facilitator or the President uploads it, anyone
//! lists it and downloads each file by its SHA-256 (`GET /objects/{sha256}`).
//! See [`crate::evidence`].

use rubrica_platform::actix_web::HttpRequest;
use rubrica_platform::http::{Body, Path, Query, State, StatusCode};
use rubrica_platform::{ApiResult, Caller, Json, Problem};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::evidence::{EvidenceView, PublicEvidencePath, SessionEvidence};

/// Path of a session.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SessionPath {
    /// The session's id.
    pub id: String,
}

/// Name and texts of an evidence file.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvidenceQuery {
    /// The file's name (its extension must agree with its content).
    pub name: String,
    /// What an image shows (required for images).
    pub alt: Option<String>,
    /// What it is.
    pub description: Option<String>,
}

/// Uploads a file of a session's evidence.
#[utoipa::path(
    post,
    path = "/sessions/{id}/evidence",
    tag = "evidencia",
    summary = "Agrega evidencia de una sesión celebrada (fotografía, video, audio o documento): se revisa su tipo por su contenido, se calcula su SHA-256 y se archiva como objeto público en el registro",
    params(SessionPath, EvidenceQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "Los bytes del archivo"),
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Agregada y archivada", body = EvidenceView),
        (status = 401, description = "Sin sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de su secretariado", body = Problem),
        (status = 404, description = "No existe la sesión", body = Problem),
        (status = 409, description = "La sesión no se ha celebrado, o ese archivo ya es evidencia", body = Problem),
        (status = 413, description = "Excede archive.max_evidence_bytes", body = Problem),
        (status = 422, description = "Vacío, programa, tipo no reconocido, nombre que no coincide con el contenido, o imagen sin texto alternativo", body = Problem),
    )
)]
pub async fn upload(
    State(evidence): State<SessionEvidence>,
    caller: Caller,
    http: HttpRequest,
    Path(path): Path<SessionPath>,
    Query(query): Query<EvidenceQuery>,
    Body(body): Body,
) -> ApiResult<(Json<EvidenceView>, StatusCode)> {
    let credential = super::handovers::credential(&http);
    let view = evidence
        .upload(
            &caller,
            &credential,
            &path.id,
            &query.name,
            query.alt.as_deref(),
            query.description.as_deref(),
            body,
        )
        .await?;
    Ok((Json(view), StatusCode::CREATED))
}

/// Lists a session's evidence.
#[utoipa::path(
    get,
    path = "/secretariats/{id}/sessions/{folio}/evidence",
    tag = "evidencia",
    summary = "Lista la evidencia de una sesión: nombre, tipo, tamaño, SHA-256, texto alternativo y dónde descargarla (sin iniciar sesión)",
    params(PublicEvidencePath),
    responses(
        (status = 200, description = "La evidencia, la más antigua primero (vacía si no hay)", body = Vec<EvidenceView>),
    )
)]
pub async fn list(
    State(evidence): State<SessionEvidence>,
    Path(path): Path<PublicEvidencePath>,
) -> ApiResult<Json<Vec<EvidenceView>>> {
    Ok(Json(evidence.list(&path.id, &path.folio).await?))
}
