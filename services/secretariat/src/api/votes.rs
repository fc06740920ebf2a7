//! Motions and their votes, decided by the rules (000 VI; 004 Table 2) with
//! quorum re-evaluated at each vote (000 V.2), and the agreements born of
//! approved motions with their follow-up (000 IV.2–3).

use rubrica_platform::OrUnexpected;
use rubrica_platform::State;
use rubrica_platform::db::now_ms;
use rubrica_platform::error::{Path, Query};
use rubrica_platform::http::StatusCode;
use rubrica_platform::{ApiError, ApiResult, Caller, Json, Problem, ServiceContext};
use rubrica_rules::{Outcome, decide, quorum};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::db;
use super::edge;
use super::model::*;
use super::record::{self, AgreementRecord, MotionRecord};
use super::roster::{ensure_secretariat, secretariat_not_found};
use super::scene::Scene;
use super::secretariats::SecretariatPath;
use super::sessions::{SessionPath, VoteInput, parse_votes};

/// A motion put to the vote, with the votes of the represented seats.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMotion {
    /// What is voted.
    pub text: String,
    /// The agenda item (position) it belongs to.
    #[serde(default)]
    pub agenda_item: Option<i64>,
    /// One vote per represented seat; a represented seat without a vote counts
    /// as an abstention.
    pub votes: Vec<VoteInput>,
    /// When it was voted, RFC 3339 (default: now).
    #[serde(default)]
    pub at: Option<String>,
}

/// Puts a motion to the vote and records the decision.
#[utoipa::path(
    post,
    path = "/sessions/{id}/motions",
    tag = "votaciones",
    summary = "Somete una moción a votación: reevalúa el quórum y decide por consenso, mayoría o voto de calidad (000 VI)",
    params(SessionPath),
    request_body = CreateMotion,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Votación registrada con su resultado y explicación", body = MotionRecord),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe la sesión", body = Problem),
        (status = 409, description = "Sesión no abierta, cerrada, u orden del día sin aprobar", body = Problem),
        (status = 422, description = "Votos no válidos (asiento inexistente, no representado o repetido)", body = Problem),
    )
)]
pub async fn create_motion(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SessionPath>,
    Json(body): Json<CreateMotion>,
) -> ApiResult<(Json<MotionRecord>, StatusCode)> {
    let wording = edge::text("text", &body.text, 5000)?;
    let votes = parse_votes(&body.votes)?;
    let at = edge::instant("at", body.at.as_deref())?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let scene = Scene::load(&mut tx, &caller, &path.id, Some(now)).await?;
    scene.require_open_with_agenda("votar")?;
    scene.require_after_opening("at", at)?;
    if let Some(position) = body.agenda_item
        && !scene.agenda.iter().any(|i| i.position == position)
    {
        return Err(ApiError::Unprocessable(format!(
            "El orden del día de la sesión {} no tiene el punto {position} (tiene {}). Corrija `agenda_item`.",
            scene.session.folio,
            scene.agenda.len()
        )));
    }
    // 000 V.2: members may have left; quorum and representation are those of
    // the moment of the vote.
    let attendance = scene.rules_attendance(at)?;
    let quorum = quorum(&scene.config, &attendance);
    let decision = decide(&scene.config, &attendance, &votes)
        .map_err(|e| ApiError::Unprocessable(edge::capitalise(&e.to_string()) + "."))?;
    let motion = MotionRow {
        id: uuid::Uuid::now_v7().to_string(),
        session_id: scene.session.id.clone(),
        number: scene.motions.iter().map(|m| m.number).max().unwrap_or(0) + 1,
        agenda_position: body.agenda_item,
        wording,
        quorum,
        decision,
        voted_at: at,
    };
    db::insert_motion(&mut tx, &motion)
        .await
        .or_unexpected("guardando la votación")?;
    for (seat, vote) in &votes {
        let cast_by = scene.representative(&attendance, seat, at);
        db::insert_vote(
            &mut tx,
            &VoteRow {
                motion_id: motion.id.clone(),
                seat: seat.to_string(),
                vote: vote_str(*vote).to_string(),
                member_id: cast_by.map(|a| a.member_id.clone()),
                capacity: cast_by.map(|a| a.capacity),
            },
        )
        .await
        .or_unexpected("guardando un voto")?;
    }
    ctx.audit(
        &mut tx,
        &caller,
        "votacion.registrar",
        Some(&motion.id),
        json!({
            "folio": scene.session.folio,
            "mocion": motion.number,
            "texto": motion.wording,
            "votos": votes.iter().map(|(s, v)| json!({"asiento": s.as_str(), "voto": vote_str(*v)})).collect::<Vec<_>>(),
            "quorum": motion.quorum,
            "decision": motion.decision,
        }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let after = Scene::around(&mut tx, scene.session).await?;
    let view = record::build(&after, now)
        .motions
        .into_iter()
        .find(|m| m.id == motion.id)
        .ok_or_else(|| {
            ApiError::Unexpected(anyhow::anyhow!("la votación recién guardada no aparece"))
        })?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok((Json(view), StatusCode::CREATED))
}

/// An agreement born of an approved motion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgreement {
    /// The number of the approved motion in this session.
    pub motion: i64,
    /// The agreement's text (default: the motion's).
    #[serde(default)]
    pub text: Option<String>,
    /// The seat responsible for carrying it out.
    #[serde(default)]
    pub responsible_seat: Option<String>,
    /// Due date, `AAAA-MM-DD`.
    #[serde(default)]
    pub due_on: Option<String>,
}

/// Records an agreement from an approved motion.
#[utoipa::path(
    post,
    path = "/sessions/{id}/agreements",
    tag = "acuerdos",
    summary = "Registra un acuerdo a partir de una moción aprobada, con asiento responsable y fecha compromiso",
    params(SessionPath),
    request_body = CreateAgreement,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Acuerdo registrado y numerado", body = AgreementRecord),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe la sesión o la moción", body = Problem),
        (status = 409, description = "Sesión no abierta o cerrada, o la moción ya tiene acuerdo", body = Problem),
        (status = 422, description = "Moción rechazada o datos no válidos", body = Problem),
    )
)]
pub async fn create_agreement(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SessionPath>,
    Json(body): Json<CreateAgreement>,
) -> ApiResult<(Json<AgreementRecord>, StatusCode)> {
    let text = edge::optional_text("text", body.text.as_deref(), 5000)?;
    let due_on = edge::optional_date("due_on", body.due_on.as_deref())?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let scene = Scene::load(&mut tx, &caller, &path.id, Some(now)).await?;
    scene.require_open_with_agenda("registrar acuerdos")?;
    let motion = scene
        .motions
        .iter()
        .find(|m| m.number == body.motion)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "La sesión {} no tiene la moción {}. Sométala a votación con POST /sessions/{}/motions.",
                scene.session.folio, body.motion, scene.session.id
            ))
        })?;
    if motion.decision.outcome != Outcome::Approved {
        return Err(ApiError::Unprocessable(format!(
            "La moción {} fue rechazada ({}); solo una moción aprobada da lugar a un acuerdo.",
            motion.number, motion.decision.explanation
        )));
    }
    if let Some(existing) = scene.agreements.iter().find(|a| a.motion_id == motion.id) {
        return Err(ApiError::Conflict(format!(
            "La moción {} ya dio lugar al acuerdo {}. Registre su seguimiento con POST /agreements/{}/follow-ups.",
            motion.number, existing.folio, existing.id
        )));
    }
    let responsible_seat = match body.responsible_seat.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(seat) => Some(
            scene
                .config
                .seat(seat)
                .map(|s| s.id.to_string())
                .ok_or_else(|| {
                    ApiError::Unprocessable(format!(
                        "El asiento responsable «{}» no existe en este Secretariado. Use uno de: {}.",
                        edge::shorten(seat),
                        scene.config.seat_list()
                    ))
                })?,
        ),
    };
    let number = scene.agreements.iter().map(|a| a.number).max().unwrap_or(0) + 1;
    let agreement = AgreementRow {
        id: uuid::Uuid::now_v7().to_string(),
        secretariat_id: scene.session.secretariat_id.clone(),
        session_id: scene.session.id.clone(),
        motion_id: motion.id.clone(),
        number,
        folio: format!("{}/ACU-{:02}", scene.session.folio, number),
        wording: text.unwrap_or_else(|| motion.wording.clone()),
        responsible_seat,
        due_on,
        status: "pendiente".into(),
        created_at: now,
        updated_at: now,
    };
    db::insert_agreement(&mut tx, &agreement)
        .await
        .or_unexpected("guardando el acuerdo")?;
    ctx.audit(
        &mut tx,
        &caller,
        "acuerdo.registrar",
        Some(&agreement.id),
        json!({
            "folio": agreement.folio,
            "mocion": motion.number,
            "texto": agreement.wording,
            "responsable": agreement.responsible_seat,
            "fecha_compromiso": agreement.due_on.map(edge::iso),
        }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let after = Scene::around(&mut tx, scene.session).await?;
    let view = record::build(&after, now)
        .agreements
        .into_iter()
        .find(|a| a.id == agreement.id)
        .ok_or_else(|| {
            ApiError::Unexpected(anyhow::anyhow!("el acuerdo recién guardado no aparece"))
        })?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok((Json(view), StatusCode::CREATED))
}

/// An agreement with its follow-up.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AgreementView {
    pub id: String,
    pub session_id: String,
    pub number: i64,
    pub folio: String,
    pub text: String,
    pub responsible_seat: Option<String>,
    pub due_on: Option<String>,
    /// `pendiente`, `en_proceso`, `cumplido` or `cancelado`.
    pub status: String,
    pub follow_ups: Vec<FollowUpView>,
}

/// A follow-up entry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FollowUpView {
    pub status: String,
    pub note: Option<String>,
    /// Epoch ms.
    pub recorded_at: i64,
    /// Who recorded it (actor id).
    pub recorded_by: String,
}

/// A follow-up of an agreement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFollowUp {
    /// `pendiente`, `en_proceso`, `cumplido` or `cancelado`.
    pub status: String,
    /// What was done or why.
    #[serde(default)]
    pub note: Option<String>,
}

/// Path of an agreement.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AgreementPath {
    /// The agreement's id.
    pub id: String,
}

/// Records the follow-up of an agreement.
#[utoipa::path(
    post,
    path = "/agreements/{id}/follow-ups",
    tag = "acuerdos",
    summary = "Registra el seguimiento de un acuerdo (pendiente, en proceso, cumplido o cancelado)",
    params(AgreementPath),
    request_body = CreateFollowUp,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Seguimiento registrado", body = AgreementView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe el acuerdo", body = Problem),
        (status = 422, description = "Estado o nota no válidos", body = Problem),
    )
)]
pub async fn create_follow_up(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<AgreementPath>,
    Json(body): Json<CreateFollowUp>,
) -> ApiResult<(Json<AgreementView>, StatusCode)> {
    let status = edge::one_of("status", &body.status, AGREEMENT_STATUSES)?;
    let note = edge::optional_text("note", body.note.as_deref(), 5000)?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let agreement = db::agreement(&mut tx, &path.id)
        .await
        .or_unexpected("leyendo el acuerdo")?
        .ok_or_else(|| agreement_not_found(&path.id))?;
    ensure_secretariat(&caller, &agreement.secretariat_id)?;
    let update = AgreementUpdateRow {
        id: uuid::Uuid::now_v7().to_string(),
        agreement_id: agreement.id.clone(),
        status: status.to_string(),
        note,
        recorded_at: now,
        recorded_by: caller.actor_id.clone(),
    };
    db::insert_agreement_update(&mut tx, &update)
        .await
        .or_unexpected("guardando el seguimiento")?;
    ctx.audit(
        &mut tx,
        &caller,
        "acuerdo.seguimiento",
        Some(&agreement.id),
        json!({ "folio": agreement.folio, "estado": status, "nota": update.note }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let agreement = db::agreement(&mut tx, &path.id)
        .await
        .or_unexpected("leyendo el acuerdo")?
        .ok_or_else(|| agreement_not_found(&path.id))?;
    let view = agreement_view(&mut tx, agreement).await?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok((Json(view), StatusCode::CREATED))
}

/// Query of the agreements.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgreementsQuery {
    /// Only those in this state.
    pub status: Option<String>,
}

/// Lists a secretariat's agreements for follow-up.
#[utoipa::path(
    get,
    path = "/secretariats/{id}/agreements",
    tag = "acuerdos",
    summary = "Lista los acuerdos del secretariado con su seguimiento",
    params(SecretariatPath, AgreementsQuery),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Acuerdos", body = Vec<AgreementView>),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "No pertenece a ese secretariado", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
        (status = 422, description = "Estado no válido", body = Problem),
    )
)]
pub async fn list_agreements(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
    Query(query): Query<AgreementsQuery>,
) -> ApiResult<Json<Vec<AgreementView>>> {
    ensure_secretariat(&caller, &path.id)?;
    let status = query
        .status
        .as_deref()
        .map(|s| edge::one_of("status", s, AGREEMENT_STATUSES))
        .transpose()?;
    let mut conn = ctx
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("obteniendo una conexión")?;
    db::secretariat(&mut conn, &path.id)
        .await
        .or_unexpected("leyendo el secretariado")?
        .ok_or_else(|| secretariat_not_found(&path.id))?;
    let agreements = db::secretariat_agreements(&mut conn, &path.id, status)
        .await
        .or_unexpected("leyendo los acuerdos")?;
    let mut views = Vec::with_capacity(agreements.len());
    for agreement in agreements {
        views.push(agreement_view(&mut conn, agreement).await?);
    }
    Ok(Json(views))
}

async fn agreement_view(
    conn: &mut sqlx::AnyConnection,
    agreement: AgreementRow,
) -> ApiResult<AgreementView> {
    let updates = db::agreement_updates(conn, &agreement.id)
        .await
        .or_unexpected("leyendo el seguimiento")?;
    Ok(AgreementView {
        id: agreement.id,
        session_id: agreement.session_id,
        number: agreement.number,
        folio: agreement.folio,
        text: agreement.wording,
        responsible_seat: agreement.responsible_seat,
        due_on: agreement.due_on.map(edge::iso),
        status: agreement.status,
        follow_ups: updates
            .into_iter()
            .map(|u| FollowUpView {
                status: u.status,
                note: u.note,
                recorded_at: u.recorded_at,
                recorded_by: u.recorded_by,
            })
            .collect(),
    })
}

fn agreement_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "No existe el acuerdo «{}». Consulte los acuerdos en GET /secretariats/{{id}}/agreements.",
        edge::shorten(id)
    ))
}
