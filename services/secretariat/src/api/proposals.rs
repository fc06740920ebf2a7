//! Members' proposals for a session's agenda (000 VII.3: «Proponer el orden
//! del día de las sesiones, incorporando las propuestas de los integrantes»).
//! A member proposes an item while the session is scheduled; the President
//! or the facilitator incorporates it when saving the agenda
//! (`PUT /sessions/{id}/agenda` with `incorporated`), in the same
//! transaction.

use rubrica_platform::OrUnexpected;
use rubrica_platform::State;
use rubrica_platform::db::now_ms;
use rubrica_platform::error::Path;
use rubrica_platform::http::StatusCode;
use rubrica_platform::{ApiError, ApiResult, Caller, Json, Problem, ServiceContext};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, Row};
use utoipa::ToSchema;

use super::edge;
use super::model::SessionStatus;
use super::scene::Scene;
use super::sessions::SessionPath;

/// What a member proposes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProposal {
    /// The item, as it would read in the agenda.
    pub title: String,
    /// Why, for the President.
    #[serde(default)]
    pub description: Option<String>,
}

/// A proposal as the API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProposalView {
    pub id: String,
    pub member_id: String,
    pub member_name: String,
    pub title: String,
    pub description: Option<String>,
    /// `propuesta` or `incorporada`.
    pub status: String,
    pub created_at: i64,
}

/// Proposes an agenda item for a scheduled session.
#[utoipa::path(
    post,
    path = "/sessions/{id}/proposals",
    tag = "sesiones",
    summary = "Propone un punto para el orden del día de una sesión aún no convocada (000 VII.3)",
    params(SessionPath),
    request_body = NewProposal,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Propuesta registrada", body = ProposalView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo integrantes de ese secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "La sesión ya se convocó: su orden del día ya se envió", body = Problem),
        (status = 422, description = "Punto vacío o demasiado largo", body = Problem),
    )
)]
pub async fn propose(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SessionPath>,
    Json(body): Json<NewProposal>,
) -> ApiResult<(Json<ProposalView>, StatusCode)> {
    let title = edge::text("title", &body.title, 300)?;
    let description = edge::optional_text("description", body.description.as_deref(), 2000)?;
    let member_id = caller.member_id.clone().ok_or_else(|| {
        ApiError::Forbidden(
            "Solo los integrantes proponen puntos del orden del día: entre con su e.firma.".into(),
        )
    })?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let scene = Scene::load(&mut tx, &caller, &path.id, None).await?;
    if scene.session.status != SessionStatus::Scheduled {
        return Err(ApiError::Conflict(format!(
            "La sesión {} ya no recibe propuestas para su orden del día: se propone mientras está programada, antes de la convocatoria (000 V.6, VII.3).",
            scene.session.folio
        )));
    }
    let view = ProposalView {
        id: uuid::Uuid::now_v7().to_string(),
        member_name: scene.roster.name(&member_id).to_string(),
        member_id,
        title,
        description,
        status: "propuesta".into(),
        created_at: now,
    };
    sqlx::query(
        "INSERT INTO agenda_proposals (id, session_id, member_id, member_name, title, description, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&view.id)
    .bind(&scene.session.id)
    .bind(&view.member_id)
    .bind(&view.member_name)
    .bind(&view.title)
    .bind(&view.description)
    .bind(&view.status)
    .bind(now)
    .execute(&mut *tx)
    .await
    .or_unexpected("guardando la propuesta")?;
    ctx.audit(
        &mut tx,
        &caller,
        "sesion.propuesta",
        Some(&scene.session.id),
        json!({ "folio": scene.session.folio, "punto": view.title }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok((Json(view), StatusCode::CREATED))
}

/// The proposals for a session, oldest first.
#[utoipa::path(
    get,
    path = "/sessions/{id}/proposals",
    tag = "sesiones",
    summary = "Lista las propuestas de los integrantes para el orden del día de una sesión",
    params(SessionPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Las propuestas", body = Vec<ProposalView>),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "No pertenece a ese secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
    )
)]
pub async fn list_proposals(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SessionPath>,
) -> ApiResult<Json<Vec<ProposalView>>> {
    let mut conn = ctx
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("obteniendo una conexión")?;
    let scene = Scene::load(&mut conn, &caller, &path.id, None).await?;
    let rows = sqlx::query(
        "SELECT id, member_id, member_name, title, description, status, created_at
         FROM agenda_proposals WHERE session_id = $1 ORDER BY created_at, id",
    )
    .bind(&scene.session.id)
    .fetch_all(&mut *conn)
    .await
    .or_unexpected("leyendo las propuestas")?;
    rows.iter()
        .map(|r| -> Result<ProposalView, sqlx::Error> {
            Ok(ProposalView {
                id: r.try_get("id")?,
                member_id: r.try_get("member_id")?,
                member_name: r.try_get("member_name")?,
                title: r.try_get("title")?,
                description: r.try_get("description")?,
                status: r.try_get("status")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Json)
        .or_unexpected("leyendo las propuestas")
}

/// Marks proposals of `session_id` incorporated (in the agenda's
/// transaction); a proposal of another session is refused.
pub async fn incorporate(
    conn: &mut AnyConnection,
    session_id: &str,
    ids: &[String],
    now: i64,
) -> ApiResult<()> {
    for id in ids {
        let done = sqlx::query(
            "UPDATE agenda_proposals SET status = 'incorporada', decided_at = $1
             WHERE id = $2 AND session_id = $3",
        )
        .bind(now)
        .bind(id)
        .bind(session_id)
        .execute(&mut *conn)
        .await
        .or_unexpected("incorporando la propuesta")?
        .rows_affected();
        if done == 0 {
            return Err(ApiError::Unprocessable(format!(
                "`incorporated`: la propuesta «{}» no es de esta sesión.",
                edge::shorten(id)
            )));
        }
    }
    Ok(())
}
