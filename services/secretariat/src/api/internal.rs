//! What other services of the suite read from the secretariat, behind the
//! internal token.

use rubrica_platform::OrUnexpected;
use rubrica_platform::error::Path;
use rubrica_platform::{
    ApiError, ApiResult, ApiRouter, Json, Problem, ServiceContext, State, routes,
};
use serde::Deserialize;
use sqlx::Row;
use utoipa::IntoParams;

use super::db;
use rubrica_contracts::views::RequiredSigner;

use super::record::Signer;

/// The routes under `/internal`.
pub fn internal_router(context: ServiceContext) -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(session_signers))
        .with_state(context)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SessionPath {
    /// The session's id.
    pub id: String,
}

/// Who must sign a closed session's record: its attendees who sign (000
/// V.7), as the record closed with them — for the signing service, which
/// opens a route on an acta or minuta only for exactly these people (issue
/// 15, finding 1).
#[utoipa::path(
    get,
    path = "/internal/sessions/{id}/signers",
    tag = "interno",
    summary = "Firmantes del registro de una sesión cerrada (para el servicio de firma)",
    params(SessionPath),
    security(("internal_token" = [])),
    responses(
        (status = 200, description = "Los firmantes, en el orden del registro", body = Vec<RequiredSigner>),
        (status = 404, description = "No existe la sesión", body = Problem),
        (status = 409, description = "La sesión no se ha cerrado", body = Problem),
    )
)]
pub async fn session_signers(
    State(ctx): State<ServiceContext>,
    Path(path): Path<SessionPath>,
) -> ApiResult<Json<Vec<RequiredSigner>>> {
    let mut conn = ctx
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("abriendo conexión")?;
    let session = db::session(&mut conn, &path.id)
        .await
        .or_unexpected("leyendo la sesión")?
        .ok_or_else(|| ApiError::NotFound(format!("No existe la sesión «{}».", path.id)))?;
    let Some(event_id) = session.closed_event_id else {
        return Err(ApiError::Conflict(format!(
            "La sesión {} no se ha cerrado: su registro aún no tiene firmantes.",
            session.folio
        )));
    };
    let payload: String = sqlx::query("SELECT payload FROM outbox_events WHERE id = $1")
        .bind(&event_id)
        .fetch_one(&mut *conn)
        .await
        .or_unexpected("leyendo el registro de la sesión")?
        .try_get("payload")
        .or_unexpected("leyendo el registro de la sesión")?;
    // The `session.closed` payload is the session's record; only its
    // signers are read.
    #[derive(Deserialize)]
    struct Closed {
        signers: Vec<Signer>,
    }
    let closed: Closed = serde_json::from_str(&payload).map_err(|e| {
        ApiError::Unexpected(anyhow::Error::new(e).context("leyendo el registro de la sesión"))
    })?;
    Ok(Json(
        closed
            .signers
            .into_iter()
            .map(|s| RequiredSigner {
                member_id: s.member_id,
                name: s.name,
                rfc: s.rfc,
            })
            .collect(),
    ))
}
