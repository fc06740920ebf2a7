//! Sessions and work meetings (000 V): scheduling, agenda, convocatoria
//! (000 V.6), attendance and quorum (000 V.2–3), agenda approval (000 V.1),
//! deliberations, and closing — which hands the record to the documents
//! service through the `session.closed` event.

use rubrica_platform::OrUnexpected;
use rubrica_platform::State;
use rubrica_platform::db::{is_unique_violation, now_ms};
use rubrica_platform::error::Path;
use rubrica_platform::error::Query;
use rubrica_platform::http::StatusCode;
use rubrica_platform::{ApiError, ApiResult, Caller, Json, Problem, ServiceContext};
use rubrica_rules::{QuorumFinding, SeatId, SessionKind, Vote, agenda_approval, check_notice};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::db;
use super::edge;
use super::model::*;
use super::record::{self, SessionRecord};
use super::roster::{Roster, calendar, ensure_secretariat};
use super::scene::Scene;
use super::secretariats::SecretariatPath;

use rubrica_contracts::events::{
    AgendaItem, NoticeMet, Recipient, SecretariatRef, SessionCancelled, SessionDetails,
    SessionNotice,
};
/// The events sessions emit: a closed session (`session.closed`); a
/// convocatoria issued (the mail service sends it to every member with a
/// calendar invitation, 000 V.6).
pub use rubrica_contracts::events::{
    CONVOCATORIA_ISSUED, SESSION_CANCELLED, SESSION_CLOSED, SESSION_UPDATED,
};

/// An agenda item as the client writes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaItemInput {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// What schedules a session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    /// `ordinaria`, `extraordinaria` or `reunion_de_trabajo`.
    pub kind: String,
    /// `AAAA-MM-DD`.
    pub date: String,
    /// `HH:MM`, local time.
    pub time: String,
    pub place: String,
    /// The agenda (it may be completed later, before the convocatoria).
    #[serde(default)]
    pub agenda: Vec<AgendaItemInput>,
}

/// A session in a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionSummary {
    pub id: String,
    pub kind: String,
    pub number: i64,
    pub folio: String,
    pub date: String,
    pub time: String,
    pub place: String,
    pub status: SessionStatus,
}

/// A session with everything recorded so far.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionDetail {
    /// `programada`, `convocada`, `abierta` or `cerrada`.
    pub status: SessionStatus,
    /// Quorum right now, while the session is convened or open
    /// (`rubrica_rules::QuorumFinding`).
    #[schema(value_type = Option<Object>)]
    pub quorum_now: Option<QuorumFinding>,
    /// The record so far (the `session.closed` payload once closed).
    #[serde(flatten)]
    pub record: SessionRecord,
}

/// Path of a session.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SessionPath {
    /// The session's id.
    pub id: String,
}

/// Schedules a session or work meeting.
#[utoipa::path(
    post,
    path = "/secretariats/{id}/sessions",
    tag = "sesiones",
    summary = "Programa una sesión ordinaria, extraordinaria o reunión de trabajo con fecha, hora, lugar y orden del día",
    params(SecretariatPath),
    request_body = CreateSession,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Sesión programada", body = SessionDetail),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
        (status = 409, description = "Se programó otra sesión al mismo tiempo; reintente", body = Problem),
        (status = 422, description = "Datos no válidos", body = Problem),
    )
)]
pub async fn create_session(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
    Json(body): Json<CreateSession>,
) -> ApiResult<(Json<SessionDetail>, StatusCode)> {
    ensure_secretariat(&caller, &path.id)?;
    let kind = edge::one_of("kind", &body.kind, KIND_CHOICES)?;
    let held_on = edge::date("date", &body.date)?;
    let time = edge::time_of_day("time", &body.time)?;
    let place = edge::text("place", &body.place, 500)?;
    let agenda_input = parse_agenda(&body.agenda, "agenda")?;

    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    Roster::load(&mut tx, &path.id).await?;
    let number = db::next_session_number(&mut tx, &path.id, kind, held_on.year())
        .await
        .or_unexpected("numerando la sesión")?;
    let now = now_ms();
    let session = SessionRow {
        id: uuid::Uuid::now_v7().to_string(),
        secretariat_id: path.id.clone(),
        kind,
        number,
        folio: format!(
            "{:04}-{}-{:02}",
            held_on.year(),
            kind_abbreviation(kind),
            number
        ),
        held_on,
        scheduled_time: time,
        place,
        status: SessionStatus::Scheduled,
        convocatoria_issued_on: None,
        notice: None,
        opened_at: None,
        quorum_at_opening: None,
        agenda_approval: None,
        closed_at: None,
        closed_event_id: None,
        created_at: now,
        updated_at: now,
    };
    db::insert_session(&mut tx, &session).await.map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::Conflict(format!(
                "Otra sesión tomó el folio {} al mismo tiempo. Vuelva a enviar la solicitud.",
                session.folio
            ))
        } else {
            ApiError::Unexpected(anyhow::Error::new(e).context("guardando la sesión"))
        }
    })?;
    db::replace_agenda(
        &mut tx,
        &session.id,
        &agenda_rows(&session.id, agenda_input),
    )
    .await
    .or_unexpected("guardando el orden del día")?;
    ctx.audit(
        &mut tx,
        &caller,
        "sesion.programar",
        Some(&session.id),
        json!({
            "folio": session.folio,
            "tipo": kind_str(kind),
            "fecha": edge::iso(held_on),
            "hora": session.scheduled_time,
            "lugar": session.place,
            "puntos": body.agenda.len(),
        }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let detail = detail(Scene::around(&mut tx, session).await?)?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok((Json(detail), StatusCode::CREATED))
}

/// Lists a secretariat's sessions.
#[utoipa::path(
    get,
    path = "/secretariats/{id}/sessions",
    tag = "sesiones",
    summary = "Lista las sesiones y reuniones de trabajo de un secretariado",
    params(SecretariatPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Sesiones por fecha", body = Vec<SessionSummary>),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "No pertenece a ese secretariado", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
    )
)]
pub async fn list_sessions(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
) -> ApiResult<Json<Vec<SessionSummary>>> {
    ensure_secretariat(&caller, &path.id)?;
    let mut conn = ctx
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("obteniendo una conexión")?;
    db::secretariat(&mut conn, &path.id)
        .await
        .or_unexpected("leyendo el secretariado")?
        .ok_or_else(|| super::roster::secretariat_not_found(&path.id))?;
    let sessions = db::sessions(&mut conn, &path.id)
        .await
        .or_unexpected("leyendo las sesiones")?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| SessionSummary {
                id: s.id,
                kind: kind_str(s.kind).to_string(),
                number: s.number,
                folio: s.folio,
                date: edge::iso(s.held_on),
                time: s.scheduled_time,
                place: s.place,
                status: s.status,
            })
            .collect(),
    ))
}

/// Reads a session with everything recorded so far.
#[utoipa::path(
    get,
    path = "/sessions/{id}",
    tag = "sesiones",
    summary = "Consulta una sesión: convocatoria, asistencia, quórum, orden del día, votaciones, acuerdos y firmantes",
    params(SessionPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "La sesión", body = SessionDetail),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "No pertenece a ese secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
    )
)]
pub async fn get_session(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SessionPath>,
) -> ApiResult<Json<SessionDetail>> {
    let mut conn = ctx
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("obteniendo una conexión")?;
    let scene = Scene::load(&mut conn, &caller, &path.id, None).await?;
    Ok(Json(detail(scene)?))
}

/// Changes to a session's date, time or place.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSession {
    /// `AAAA-MM-DD`: a new date needs a new convocatoria.
    #[serde(default)]
    pub date: Option<String>,
    /// `HH:MM`.
    #[serde(default)]
    pub time: Option<String>,
    #[serde(default)]
    pub place: Option<String>,
}

/// Reschedules a session not yet opened.
#[utoipa::path(
    patch,
    path = "/sessions/{id}",
    tag = "sesiones",
    summary = "Reprograma una sesión aún no abierta (fecha, hora o lugar); una nueva fecha requiere nueva convocatoria",
    params(SessionPath),
    request_body = UpdateSession,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "La sesión reprogramada", body = SessionDetail),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "La sesión ya se abrió o cerró", body = Problem),
        (status = 422, description = "Datos no válidos", body = Problem),
    )
)]
pub async fn update_session(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SessionPath>,
    Json(body): Json<UpdateSession>,
) -> ApiResult<Json<SessionDetail>> {
    let date = edge::optional_date("date", body.date.as_deref())?;
    let time = body
        .time
        .as_deref()
        .map(|t| edge::time_of_day("time", t))
        .transpose()?;
    let place = body
        .place
        .as_deref()
        .map(|p| edge::text("place", p, 500))
        .transpose()?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let scene = Scene::load(&mut tx, &caller, &path.id, Some(now)).await?;
    if !matches!(
        scene.session.status,
        SessionStatus::Scheduled | SessionStatus::Convened
    ) {
        return Err(scene.refuse("reprogramarla"));
    }
    let before = scene.session.clone();
    let mut session = scene.session.clone();
    if let Some(date) = date
        && date != session.held_on
    {
        // The notice was measured against the old date (000 V.6).
        session.held_on = date;
        session.status = SessionStatus::Scheduled;
        session.convocatoria_issued_on = None;
        session.notice = None;
    }
    if let Some(time) = time {
        session.scheduled_time = time;
    }
    if let Some(place) = place {
        session.place = place;
    }
    session.updated_at = now;
    db::update_session(&mut tx, &session)
        .await
        .or_unexpected("guardando la sesión")?;
    // The members hold a convocatoria for the old date, time or place: they
    // get the session as it now stands, with the same calendar invitation
    // updated (the mail service raises its SEQUENCE).
    let changes = schedule_changes(&before, &session);
    if before.status == SessionStatus::Convened && !changes.is_empty() {
        let issued = before
            .convocatoria_issued_on
            .unwrap_or_else(|| edge::today(scene.offset()));
        let (recipients, facilitators) = members_to_tell(&scene, edge::today(scene.offset()));
        let update = SessionNotice {
            secretariat: secretariat_ref(&scene),
            session: session_details(&scene, &session),
            agenda: agenda(&scene),
            notice: session.notice.as_ref().map(notice_met),
            issued_on: edge::iso(issued),
            // The mail service numbers the revisions it sends (one more each time).
            revision: None,
            changes,
            document: None,
            recipients,
            facilitators,
        };
        ctx.outbox
            .record(&mut tx, SESSION_UPDATED, &update)
            .await
            .or_unexpected("registrando el evento de la reprogramación")?;
    }
    ctx.audit(
        &mut tx,
        &caller,
        "sesion.reprogramar",
        Some(&session.id),
        json!({ "folio": session.folio, "fecha": body.date, "hora": body.time, "lugar": body.place }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let detail = detail(Scene::around(&mut tx, session).await?)?;
    ctx.outbox
        .commit(tx)
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok(Json(detail))
}

/// The agenda, replaced whole.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceAgenda {
    pub items: Vec<AgendaItemInput>,
    /// Members' proposals this agenda incorporates (000 VII.3): marked
    /// incorporated with it.
    #[serde(default)]
    pub incorporated: Vec<String>,
}

/// Replaces the agenda before the convocatoria, or at the session before approving it.
#[utoipa::path(
    put,
    path = "/sessions/{id}/agenda",
    tag = "sesiones",
    summary = "Reemplaza el orden del día (antes de la convocatoria, o en la sesión antes de aprobarlo)",
    params(SessionPath),
    request_body = ReplaceAgenda,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "La sesión con su nuevo orden del día", body = SessionDetail),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "Ya se convocó con este orden del día, ya se aprobó o la sesión se cerró", body = Problem),
        (status = 422, description = "Puntos no válidos", body = Problem),
    )
)]
pub async fn replace_agenda(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SessionPath>,
    Json(body): Json<ReplaceAgenda>,
) -> ApiResult<Json<SessionDetail>> {
    let items = parse_agenda(&body.items, "items")?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let scene = Scene::load(&mut tx, &caller, &path.id, Some(now)).await?;
    let mut session = scene.session.clone();
    match session.status {
        SessionStatus::Scheduled => {}
        SessionStatus::Open if !session.agenda_approved() => {
            // The amended agenda must be approved again.
            session.agenda_approval = None;
        }
        SessionStatus::Open => {
            return Err(ApiError::Conflict(format!(
                "El orden del día de la sesión {} ya se aprobó (000 V.1) y no puede cambiarse. Registre lo tratado en las deliberaciones de cada punto.",
                session.folio
            )));
        }
        SessionStatus::Convened => {
            return Err(ApiError::Conflict(format!(
                "La convocatoria de la sesión {} ya se emitió con este orden del día (000 V.6). Los cambios se proponen al inicio de la sesión: ábrala y modifique el orden del día antes de aprobarlo.",
                session.folio
            )));
        }
        SessionStatus::Closed | SessionStatus::Cancelled => {
            return Err(scene.refuse("cambiar el orden del día"));
        }
    }
    session.updated_at = now;
    db::replace_agenda(&mut tx, &session.id, &agenda_rows(&session.id, items))
        .await
        .or_unexpected("guardando el orden del día")?;
    super::proposals::incorporate(&mut tx, &session.id, &body.incorporated, now).await?;
    db::update_session(&mut tx, &session)
        .await
        .or_unexpected("guardando la sesión")?;
    ctx.audit(
        &mut tx,
        &caller,
        "sesion.orden_del_dia",
        Some(&session.id),
        json!({ "folio": session.folio, "puntos": body.items.iter().map(|i| i.title.trim()).collect::<Vec<_>>() }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let detail = detail(Scene::around(&mut tx, session).await?)?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok(Json(detail))
}

/// What issues a convocatoria.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueConvocatoria {
    /// The day it is issued, `AAAA-MM-DD` (default: today).
    #[serde(default)]
    pub issued_on: Option<String>,
}

/// Issues the convocatoria if it gives the notice the rules require.
#[utoipa::path(
    post,
    path = "/sessions/{id}/convocatoria",
    tag = "sesiones",
    summary = "Emite la convocatoria con su orden del día; se rechaza si no da la anticipación requerida (000 V.6)",
    params(SessionPath),
    request_body = IssueConvocatoria,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Convocatoria emitida; la sesión queda convocada", body = SessionDetail),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "Ya se emitió, o la sesión ya se abrió", body = Problem),
        (status = 422, description = "Sin orden del día, o sin la anticipación requerida (con la explicación)", body = Problem),
    )
)]
pub async fn issue_convocatoria(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SessionPath>,
    Json(body): Json<IssueConvocatoria>,
) -> ApiResult<Json<SessionDetail>> {
    let issued = edge::optional_date("issued_on", body.issued_on.as_deref())?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let scene = Scene::load(&mut tx, &caller, &path.id, Some(now)).await?;
    let mut session = scene.session.clone();
    match session.status {
        SessionStatus::Scheduled => {}
        SessionStatus::Convened => {
            return Err(ApiError::Conflict(format!(
                "La convocatoria de la sesión {} ya se emitió el {}. Para cambiar la fecha, reprograme la sesión (PATCH /sessions/{}) y emita una nueva.",
                session.folio,
                session
                    .convocatoria_issued_on
                    .map(edge::iso)
                    .unwrap_or_default(),
                session.id
            )));
        }
        _ => return Err(scene.refuse("emitir su convocatoria")),
    }
    if scene.agenda.is_empty() {
        return Err(ApiError::Unprocessable(format!(
            "La convocatoria debe acompañarse del orden del día (000 V.6): agregue al menos un punto con PUT /sessions/{}/agenda.",
            session.id
        )));
    }
    let issued = issued.unwrap_or_else(|| edge::today(scene.offset()));
    let calendar = calendar(&mut tx, &session.secretariat_id).await?;
    let notice = check_notice(
        session.kind,
        Some(issued),
        session.held_on,
        &scene.config.notice,
        &calendar,
    );
    if !notice.ok {
        return Err(ApiError::Unprocessable(format!(
            "No se puede emitir la convocatoria de la sesión {}: {}. Emítala a tiempo o reprograme la sesión (PATCH /sessions/{}) para una fecha que deje la anticipación requerida.",
            session.folio, notice.explanation, session.id
        )));
    }
    session.status = SessionStatus::Convened;
    session.convocatoria_issued_on = Some(issued);
    session.notice = Some(notice.clone());
    session.updated_at = now;
    db::update_session(&mut tx, &session)
        .await
        .or_unexpected("guardando la sesión")?;
    let announcement = convocatoria_announcement(&scene, &session, issued, &notice);
    ctx.outbox
        .record(&mut tx, CONVOCATORIA_ISSUED, &announcement)
        .await
        .or_unexpected("registrando el evento de la convocatoria")?;
    ctx.audit(
        &mut tx,
        &caller,
        "convocatoria.emitir",
        Some(&session.id),
        json!({ "folio": session.folio, "emitida": edge::iso(issued), "anticipacion": notice }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let detail = detail(Scene::around(&mut tx, session).await?)?;
    ctx.outbox
        .commit(tx)
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok(Json(detail))
}

/// When a convocatoria would be issued, for [`notice_check`].
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// The day it would be issued, `AAAA-MM-DD` (default: today).
    pub issued_on: Option<String>,
}

/// Whether a convocatoria issued on a day would give the notice the rules
/// require, and the earliest valid date otherwise.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NoticeCheck {
    /// `AAAA-MM-DD`.
    pub issued_on: String,
    /// The session's date, `AAAA-MM-DD`.
    pub session_date: String,
    /// The rules' finding (`rubrica_rules::NoticeFinding`), as issuing would record it.
    #[schema(value_type = Object)]
    pub notice: rubrica_rules::NoticeFinding,
    /// The earliest day a session of this kind can be held with a
    /// convocatoria issued that day (`AAAA-MM-DD`), with the same counting.
    pub earliest_session_date: Option<String>,
}

/// Checks the notice a convocatoria would give, before issuing it (000 V.6).
#[utoipa::path(
    get,
    path = "/sessions/{id}/notice",
    tag = "sesiones",
    summary = "Revisa, antes de emitirla, si una convocatoria daría la anticipación requerida y cuál es la fecha más próxima válida (000 V.6)",
    params(SessionPath, NoticeQuery),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "La revisión, con su explicación", body = NoticeCheck),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
        (status = 422, description = "Fecha no válida", body = Problem),
    )
)]
pub async fn notice_check(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SessionPath>,
    Query(query): Query<NoticeQuery>,
) -> ApiResult<Json<NoticeCheck>> {
    let issued = edge::optional_date("issued_on", query.issued_on.as_deref())?;
    let mut conn = ctx
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("obteniendo una conexión")?;
    let scene = Scene::load(&mut conn, &caller, &path.id, None).await?;
    let session = &scene.session;
    let issued = issued.unwrap_or_else(|| edge::today(scene.offset()));
    let calendar = calendar(&mut conn, &session.secretariat_id).await?;
    let notice = check_notice(
        session.kind,
        Some(issued),
        session.held_on,
        &scene.config.notice,
        &calendar,
    );
    let earliest =
        rubrica_rules::earliest_session_date(session.kind, issued, &scene.config.notice, &calendar);
    Ok(Json(NoticeCheck {
        issued_on: edge::iso(issued),
        session_date: edge::iso(session.held_on),
        notice,
        earliest_session_date: earliest.map(edge::iso),
    }))
}

/// The `convocatoria.issued` payload: the session, its agenda, the notice
/// rule met, and every member in post on the issue date — each receives the
/// convocatoria (000 V.6); members without an address are listed too, so the
/// facilitator is told.
fn convocatoria_announcement(
    scene: &Scene,
    session: &SessionRow,
    issued: time::Date,
    notice: &rubrica_rules::NoticeFinding,
) -> SessionNotice {
    let (recipients, facilitators) = members_to_tell(scene, issued);
    SessionNotice {
        secretariat: secretariat_ref(scene),
        session: session_details(scene, session),
        agenda: agenda(scene),
        notice: Some(notice_met(notice)),
        issued_on: edge::iso(issued),
        revision: None,
        changes: Vec::new(),
        document: None,
        recipients,
        facilitators,
    }
}

/// Every member in post on `day` (once each), and the facilitators among them.
fn members_to_tell(scene: &Scene, day: time::Date) -> (Vec<Recipient>, Vec<Recipient>) {
    let roster = &scene.roster;
    let in_post: Vec<&DesignationRow> = roster
        .designations
        .iter()
        .filter(|d| d.active_on(day))
        .collect();
    let recipient = |member_id: &str| {
        roster.members.get(member_id).map(|m| Recipient {
            member_id: Some(m.id.clone()),
            name: m.name.clone(),
            email: (!m.email.trim().is_empty()).then(|| m.email.clone()),
        })
    };
    let mut seen = std::collections::BTreeSet::new();
    let recipients = in_post
        .iter()
        .filter(|d| seen.insert(d.member_id.clone()))
        .filter_map(|d| recipient(&d.member_id))
        .collect();
    let facilitators = in_post
        .iter()
        .filter(|d| d.post == Post::Facilitator)
        .filter_map(|d| recipient(&d.member_id))
        .collect();
    (recipients, facilitators)
}

fn secretariat_ref(scene: &Scene) -> SecretariatRef {
    SecretariatRef {
        id: scene.roster.secretariat.id.clone(),
        name: scene.roster.secretariat.name.clone(),
        utc_offset_minutes: scene.roster.secretariat.utc_offset_minutes,
    }
}

fn session_details(scene: &Scene, session: &SessionRow) -> SessionDetails {
    SessionDetails {
        id: session.id.clone(),
        kind: kind_str(session.kind).into(),
        title: kind_title(session.kind).into(),
        folio: Some(session.folio.clone()),
        date: edge::iso(session.held_on),
        time: session.scheduled_time.clone(),
        place: session.place.clone(),
        utc_offset_minutes: scene.roster.secretariat.utc_offset_minutes as i32,
        duration_minutes: 120,
    }
}

fn agenda(scene: &Scene) -> Vec<AgendaItem> {
    scene
        .agenda
        .iter()
        .map(|item| AgendaItem {
            number: item.position as u32,
            title: item.title.clone(),
            description: item.description.clone(),
        })
        .collect()
}

fn notice_met(notice: &rubrica_rules::NoticeFinding) -> NoticeMet {
    NoticeMet {
        business_days: notice.business_days,
        required: notice.required,
        explanation: notice.explanation.clone(),
    }
}

/// What a rescheduling changed, one Spanish line each.
fn schedule_changes(before: &SessionRow, after: &SessionRow) -> Vec<String> {
    let mut changes = Vec::new();
    if before.held_on != after.held_on {
        changes.push(format!(
            "Nueva fecha: {} (antes {}). La convocatoria se emitirá de nuevo con la anticipación requerida (000 V.6).",
            edge::iso(after.held_on),
            edge::iso(before.held_on)
        ));
    }
    if before.scheduled_time != after.scheduled_time {
        changes.push(format!(
            "Nueva hora: {} (antes {})",
            after.scheduled_time, before.scheduled_time
        ));
    }
    if before.place != after.place {
        changes.push(format!(
            "Nuevo lugar: {} (antes {})",
            after.place, before.place
        ));
    }
    changes
}

/// What cancels a session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelSession {
    /// Why, in Spanish; it is told to the members.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Cancels a session not yet opened.
#[utoipa::path(
    post,
    path = "/sessions/{id}/cancellation",
    tag = "sesiones",
    summary = "Cancela una sesión aún no abierta; si ya se convocó, se avisa a cada integrante y se cancela su invitación de calendario",
    params(SessionPath),
    request_body = CancelSession,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "La sesión cancelada", body = SessionDetail),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "La sesión ya se abrió, se cerró o ya estaba cancelada", body = Problem),
        (status = 422, description = "Motivo no válido", body = Problem),
    )
)]
pub async fn cancel_session(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SessionPath>,
    Json(body): Json<CancelSession>,
) -> ApiResult<Json<SessionDetail>> {
    let reason = body
        .reason
        .as_deref()
        .map(|r| edge::text("reason", r, 2000))
        .transpose()?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let scene = Scene::load(&mut tx, &caller, &path.id, Some(now)).await?;
    let was = scene.session.status;
    if !matches!(was, SessionStatus::Scheduled | SessionStatus::Convened) {
        return Err(scene.refuse("cancelarla"));
    }
    let mut session = scene.session.clone();
    session.status = SessionStatus::Cancelled;
    session.updated_at = now;
    db::update_session(&mut tx, &session)
        .await
        .or_unexpected("guardando la sesión")?;
    if was == SessionStatus::Convened {
        let (recipients, facilitators) = members_to_tell(&scene, edge::today(scene.offset()));
        let cancelled = SessionCancelled {
            secretariat: secretariat_ref(&scene),
            session: session_details(&scene, &session),
            reason: reason.clone(),
            revision: None,
            recipients,
            facilitators,
        };
        ctx.outbox
            .record(&mut tx, SESSION_CANCELLED, &cancelled)
            .await
            .or_unexpected("registrando el evento de la cancelación")?;
    }
    ctx.audit(
        &mut tx,
        &caller,
        "sesion.cancelar",
        Some(&session.id),
        json!({ "folio": session.folio, "motivo": reason, "estaba": was.as_str() }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let detail = detail(Scene::around(&mut tx, session).await?)?;
    ctx.outbox
        .commit(tx)
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok(Json(detail))
}

/// An arrival or a departure.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceInput {
    pub member_id: String,
    /// `llegada` or `salida`.
    pub event: String,
    /// When, RFC 3339 (default: now).
    #[serde(default)]
    pub at: Option<String>,
}

/// A member's attendance after an arrival or departure.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttendanceView {
    pub member_id: String,
    pub name: String,
    /// The capacity they attend in.
    pub capacity: String,
    pub seat: Option<String>,
    pub stays: Vec<record::Stay>,
    /// Quorum at that moment (`rubrica_rules::QuorumFinding`).
    #[schema(value_type = Object)]
    pub quorum: QuorumFinding,
}

/// Records an arrival or a departure.
#[utoipa::path(
    post,
    path = "/sessions/{id}/attendance",
    tag = "sesiones",
    summary = "Registra la llegada o la salida de un integrante; devuelve el quórum en ese momento",
    params(SessionPath),
    request_body = AttendanceInput,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Asistencia registrada", body = AttendanceView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe la sesión o el integrante", body = Problem),
        (status = 409, description = "Llegada doble, salida sin llegada, o sesión cerrada", body = Problem),
        (status = 422, description = "Sin designación vigente, o momento no válido", body = Problem),
    )
)]
pub async fn record_attendance(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SessionPath>,
    Json(body): Json<AttendanceInput>,
) -> ApiResult<Json<AttendanceView>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Event {
        Arrival,
        Departure,
    }
    let event = edge::one_of(
        "event",
        &body.event,
        &[("llegada", Event::Arrival), ("salida", Event::Departure)],
    )?;
    let at = edge::instant("at", body.at.as_deref())?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let scene = Scene::load(&mut tx, &caller, &path.id, Some(now)).await?;
    let s = &scene.session;
    let accepts = match s.status {
        SessionStatus::Convened | SessionStatus::Open => true,
        // A work meeting needs no convocatoria (000 V.5–6).
        SessionStatus::Scheduled => s.kind == SessionKind::WorkMeeting,
        SessionStatus::Closed | SessionStatus::Cancelled => false,
    };
    if !accepts {
        return Err(if s.status == SessionStatus::Scheduled {
            ApiError::Conflict(format!(
                "La sesión {} aún no se convoca: emita su convocatoria (POST /sessions/{}/convocatoria) antes de registrar asistencia.",
                s.folio, s.id
            ))
        } else {
            scene.refuse("registrar asistencia")
        });
    }
    let member = scene
        .roster
        .members
        .get(&body.member_id)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "El integrante «{}» no pertenece a este Secretariado. Revise el identificador en GET /secretariats/{}/members.",
                edge::shorten(&body.member_id),
                s.secretariat_id
            ))
        })?;
    let stays: Vec<&AttendanceRow> = scene
        .attendance
        .iter()
        .filter(|a| a.member_id == member.id)
        .collect();
    let in_room = stays.iter().find(|a| a.departed_at.is_none());
    let (capacity, seat) = match event {
        Event::Arrival => {
            if let Some(stay) = in_room {
                return Err(ApiError::Conflict(format!(
                    "{} ya está en la sesión desde las {}: registre primero su salida.",
                    member.name,
                    edge::clock(stay.arrived_at, scene.offset())
                )));
            }
            if let Some(last) = stays.iter().filter_map(|a| a.departed_at).max()
                && at < last
            {
                return Err(ApiError::Unprocessable(format!(
                    "La llegada ({}) es anterior a la última salida de {} ({}). Indique un momento posterior.",
                    edge::rfc3339(at, scene.offset()),
                    member.name,
                    edge::rfc3339(last, scene.offset())
                )));
            }
            let post = scene.roster.post_of(&member.id, s.held_on).ok_or_else(|| {
                ApiError::Unprocessable(format!(
                    "{} no tiene una designación vigente el {} en este Secretariado, así que no puede registrarse su asistencia. Regístrela antes (POST /secretariats/{}/designations).",
                    member.name,
                    edge::iso(s.held_on),
                    s.secretariat_id
                ))
            })?;
            let row = AttendanceRow {
                id: uuid::Uuid::now_v7().to_string(),
                session_id: s.id.clone(),
                member_id: member.id.clone(),
                capacity: post.post,
                seat: post.seat.clone(),
                arrived_at: at,
                departed_at: None,
            };
            db::insert_arrival(&mut tx, &row)
                .await
                .or_unexpected("registrando la llegada")?;
            (row.capacity, row.seat)
        }
        Event::Departure => {
            let stay = in_room.ok_or_else(|| {
                ApiError::Conflict(format!(
                    "{} no está en la sesión: no hay llegada sin salida que cerrar. Registre primero su llegada.",
                    member.name
                ))
            })?;
            if at < stay.arrived_at {
                return Err(ApiError::Unprocessable(format!(
                    "La salida ({}) es anterior a la llegada de {} ({}). Indique un momento posterior.",
                    edge::rfc3339(at, scene.offset()),
                    member.name,
                    edge::rfc3339(stay.arrived_at, scene.offset())
                )));
            }
            db::set_departure(&mut tx, &stay.id, at)
                .await
                .or_unexpected("registrando la salida")?;
            (stay.capacity, stay.seat.clone())
        }
    };
    ctx.audit(
        &mut tx,
        &caller,
        if event == Event::Arrival {
            "asistencia.llegada"
        } else {
            "asistencia.salida"
        },
        Some(&s.id),
        json!({
            "folio": s.folio,
            "integrante": member.id,
            "nombre": member.name,
            "calidad": capacity.as_str(),
            "asiento": seat,
            "momento": edge::rfc3339(at, scene.offset()),
        }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let session = db::session(&mut tx, &path.id)
        .await
        .or_unexpected("leyendo la sesión")?
        .ok_or_else(|| super::scene::session_not_found(&path.id))?;
    let after = Scene::around(&mut tx, session).await?;
    let quorum = after.quorum_at(at)?;
    let offset = after.offset();
    let view = AttendanceView {
        member_id: member.id.clone(),
        name: member.name.clone(),
        capacity: capacity.as_str().to_string(),
        seat,
        stays: after
            .attendance
            .iter()
            .filter(|a| a.member_id == member.id)
            .map(|a| record::Stay {
                arrived_at: edge::rfc3339(a.arrived_at, offset),
                departed_at: a.departed_at.map(|d| edge::rfc3339(d, offset)),
                arrived: edge::clock(a.arrived_at, offset),
                departed: a.departed_at.map(|d| edge::clock(d, offset)),
            })
            .collect(),
        quorum,
    };
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok(Json(view))
}

/// A moment, for opening and closing.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Moment {
    /// RFC 3339 (default: now).
    #[serde(default)]
    pub at: Option<String>,
}

/// Opens the session if there is quorum.
#[utoipa::path(
    post,
    path = "/sessions/{id}/open",
    tag = "sesiones",
    summary = "Abre la sesión si hay quórum (000 V.2–3) y registra el hallazgo",
    params(SessionPath),
    request_body = Moment,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Sesión abierta", body = SessionDetail),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "Sin convocatoria, ya abierta o cerrada", body = Problem),
        (status = 422, description = "Sin quórum (con la explicación)", body = Problem),
    )
)]
pub async fn open_session(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SessionPath>,
    Json(body): Json<Moment>,
) -> ApiResult<Json<SessionDetail>> {
    let at = edge::instant("at", body.at.as_deref())?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let scene = Scene::load(&mut tx, &caller, &path.id, Some(now)).await?;
    let work_meeting = scene.session.kind == SessionKind::WorkMeeting;
    match scene.session.status {
        SessionStatus::Convened => {}
        SessionStatus::Scheduled if work_meeting => {}
        SessionStatus::Scheduled => {
            return Err(ApiError::Conflict(format!(
                "La sesión {} no puede abrirse sin convocatoria (000 V.6): emítala con POST /sessions/{}/convocatoria.",
                scene.session.folio, scene.session.id
            )));
        }
        _ => return Err(scene.refuse("abrirla")),
    }
    let quorum = scene.quorum_at(at)?;
    // 000 V.2 governs sessions; a work meeting (000 V.5) opens with whoever
    // came, and its quorum is recorded for the minuta.
    if !quorum.ok && !work_meeting {
        return Err(ApiError::Unprocessable(format!(
            "No se puede abrir la sesión {}: {}. Registre la llegada de más integrantes (POST /sessions/{}/attendance) o reprograme la sesión.",
            scene.session.folio, quorum.explanation, scene.session.id
        )));
    }
    let mut session = scene.session.clone();
    session.status = SessionStatus::Open;
    session.opened_at = Some(at);
    session.quorum_at_opening = Some(quorum.clone());
    session.updated_at = now;
    db::update_session(&mut tx, &session)
        .await
        .or_unexpected("guardando la sesión")?;
    ctx.audit(
        &mut tx,
        &caller,
        "sesion.abrir",
        Some(&session.id),
        json!({ "folio": session.folio, "momento": edge::rfc3339(at, scene.offset()), "quorum": quorum }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let detail = detail(Scene::around(&mut tx, session).await?)?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok(Json(detail))
}

/// A seat's vote as the client writes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteInput {
    pub seat: String,
    /// `favor`, `contra` or `abstencion`.
    pub vote: String,
}

/// The votes on the agenda.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaVote {
    pub votes: Vec<VoteInput>,
    /// RFC 3339 (default: now).
    #[serde(default)]
    pub at: Option<String>,
}

/// Records the vote on the agenda at the start of the session.
#[utoipa::path(
    post,
    path = "/sessions/{id}/agenda-approval",
    tag = "sesiones",
    summary = "Registra la votación del orden del día al inicio de la sesión (000 V.1)",
    params(SessionPath),
    request_body = AgendaVote,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Votación registrada; `finding.approved` dice si se aprobó", body = AgendaApproval),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "Sesión no abierta, cerrada, u orden del día ya aprobado", body = Problem),
        (status = 422, description = "Votos no válidos (asiento inexistente o no representado)", body = Problem),
    )
)]
pub async fn approve_agenda(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SessionPath>,
    Json(body): Json<AgendaVote>,
) -> ApiResult<Json<AgendaApproval>> {
    let at = edge::instant("at", body.at.as_deref())?;
    let votes = parse_votes(&body.votes)?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let scene = Scene::load(&mut tx, &caller, &path.id, Some(now)).await?;
    if scene.session.status != SessionStatus::Open {
        return Err(scene.refuse("votar el orden del día"));
    }
    if scene.session.agenda_approved() {
        return Err(ApiError::Conflict(format!(
            "El orden del día de la sesión {} ya se aprobó. Continúe con sus puntos.",
            scene.session.folio
        )));
    }
    if scene.agenda.is_empty() {
        return Err(ApiError::Unprocessable(format!(
            "La sesión {} no tiene orden del día: agréguelo con PUT /sessions/{}/agenda antes de votarlo.",
            scene.session.folio, scene.session.id
        )));
    }
    scene.require_after_opening("at", at)?;
    let attendance = scene.rules_attendance(at)?;
    let finding = agenda_approval(&scene.config, &attendance, &votes)
        .map_err(|e| ApiError::Unprocessable(edge::capitalise(&e.to_string()) + "."))?;
    let approval = AgendaApproval {
        finding,
        votes: votes
            .iter()
            .map(|(seat, vote)| SeatVote {
                seat: seat.to_string(),
                vote: vote_str(*vote).to_string(),
            })
            .collect(),
        at,
    };
    let mut session = scene.session.clone();
    session.agenda_approval = Some(approval.clone());
    session.updated_at = now;
    db::update_session(&mut tx, &session)
        .await
        .or_unexpected("guardando la sesión")?;
    ctx.audit(
        &mut tx,
        &caller,
        "sesion.aprobar_orden_del_dia",
        Some(&session.id),
        json!({ "folio": session.folio, "aprobacion": approval }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok(Json(approval))
}

/// Path of an agenda item.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AgendaItemPath {
    /// The session's id.
    pub id: String,
    /// The item's position in the agenda (1, 2, 3…).
    pub position: i64,
}

/// What was deliberated on an item.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deliberation {
    pub text: String,
}

/// Records what was deliberated on an agenda item.
#[utoipa::path(
    put,
    path = "/sessions/{id}/agenda/{position}/deliberation",
    tag = "sesiones",
    summary = "Registra lo deliberado en un punto del orden del día",
    params(AgendaItemPath),
    request_body = Deliberation,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Deliberación registrada", body = SessionDetail),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe la sesión o el punto", body = Problem),
        (status = 409, description = "Sesión no abierta, cerrada, u orden del día sin aprobar", body = Problem),
        (status = 422, description = "Texto vacío o demasiado largo", body = Problem),
    )
)]
pub async fn record_deliberation(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<AgendaItemPath>,
    Json(body): Json<Deliberation>,
) -> ApiResult<Json<SessionDetail>> {
    let text = edge::text("text", &body.text, 20_000)?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let scene = Scene::load(&mut tx, &caller, &path.id, Some(now)).await?;
    scene.require_open_with_agenda("registrar deliberaciones")?;
    let item = scene
        .agenda
        .iter()
        .find(|i| i.position == path.position)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "La sesión {} no tiene el punto {} en su orden del día (tiene {}).",
                scene.session.folio,
                path.position,
                scene.agenda.len()
            ))
        })?;
    db::set_deliberation(&mut tx, &item.id, &text)
        .await
        .or_unexpected("guardando la deliberación")?;
    ctx.audit(
        &mut tx,
        &caller,
        "sesion.deliberacion",
        Some(&scene.session.id),
        json!({ "folio": scene.session.folio, "punto": path.position, "texto": text }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let detail = detail(Scene::around(&mut tx, scene.session).await?)?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok(Json(detail))
}

/// A closed session: its record and the event that carries it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClosedSession {
    /// Id of the `session.closed` outbox event.
    pub event_id: String,
    /// The event's payload.
    pub record: SessionRecord,
}

/// Closes the session and hands its record to the documents service.
#[utoipa::path(
    post,
    path = "/sessions/{id}/close",
    tag = "sesiones",
    summary = "Cierra la sesión y emite el evento session.closed con todo lo necesario para el acta o la minuta",
    params(SessionPath),
    request_body = Moment,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Sesión cerrada; su registro va en el evento", body = ClosedSession),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "La sesión no está abierta o ya se cerró", body = Problem),
        (status = 422, description = "Momento anterior a la apertura", body = Problem),
    )
)]
pub async fn close_session(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SessionPath>,
    Json(body): Json<Moment>,
) -> ApiResult<Json<ClosedSession>> {
    let at = edge::instant("at", body.at.as_deref())?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let scene = Scene::load(&mut tx, &caller, &path.id, Some(now)).await?;
    match scene.session.status {
        SessionStatus::Open => {}
        SessionStatus::Closed => {
            return Err(ApiError::Conflict(format!(
                "La sesión {} ya se cerró el {} y no puede cerrarse dos veces. Consulte su registro con GET /sessions/{}.",
                scene.session.folio,
                scene
                    .session
                    .closed_at
                    .map(|t| edge::rfc3339(t, scene.offset()))
                    .unwrap_or_default(),
                scene.session.id
            )));
        }
        _ => return Err(scene.refuse("cerrarla")),
    }
    scene.require_after_opening("at", at)?;
    db::depart_everyone(&mut tx, &scene.session.id, at)
        .await
        .or_unexpected("registrando las salidas al cierre")?;
    let mut session = scene.session.clone();
    session.status = SessionStatus::Closed;
    session.closed_at = Some(at);
    session.updated_at = now;
    let closed = Scene::around(&mut tx, session.clone()).await?;
    let record = record::build(&closed, at);
    let event = ctx
        .outbox
        .record(&mut tx, SESSION_CLOSED, &record)
        .await
        .or_unexpected("registrando el evento session.closed")?;
    session.closed_event_id = Some(event.id.clone());
    db::update_session(&mut tx, &session)
        .await
        .or_unexpected("guardando la sesión")?;
    ctx.audit(
        &mut tx,
        &caller,
        "sesion.cerrar",
        Some(&session.id),
        json!({
            "folio": session.folio,
            "momento": edge::rfc3339(at, closed.offset()),
            "evento": event.id,
            "firmantes": record.signers.iter().map(|s| &s.member_id).collect::<Vec<_>>(),
            "acuerdos": record.agreements.len(),
        }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    ctx.outbox
        .commit(tx)
        .await
        .or_unexpected("confirmando el cierre")?;
    Ok(Json(ClosedSession {
        event_id: event.id,
        record,
    }))
}

/// The detail of a scene: its record so far and, while it is under way,
/// quorum right now.
pub fn detail(scene: Scene) -> ApiResult<SessionDetail> {
    let now = now_ms();
    let quorum_now = match scene.session.status {
        SessionStatus::Convened | SessionStatus::Open => Some(scene.quorum_at(now)?),
        SessionStatus::Scheduled if scene.session.kind == SessionKind::WorkMeeting => {
            Some(scene.quorum_at(now)?)
        }
        _ => None,
    };
    Ok(SessionDetail {
        status: scene.session.status,
        quorum_now,
        record: record::build(&scene, now),
    })
}

/// Votes as the rules take them; the seat's form is checked here, its
/// existence and representation by the rules.
pub fn parse_votes(votes: &[VoteInput]) -> ApiResult<Vec<(SeatId, Vote)>> {
    if votes.is_empty() {
        return Err(ApiError::Unprocessable(
            "`votes` está vacío: registre el voto de cada asiento representado ({\"seat\": …, \"vote\": \"favor\" | \"contra\" | \"abstencion\"}).".into(),
        ));
    }
    votes
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let seat = SeatId::parse(v.seat.trim())
                .map_err(|e| ApiError::Unprocessable(format!("En `votes[{i}].seat`: {e}.")))?;
            let vote = edge::one_of(&format!("votes[{i}].vote"), &v.vote, VOTE_CHOICES)?;
            Ok((seat, vote))
        })
        .collect()
}

fn parse_agenda(
    items: &[AgendaItemInput],
    field: &str,
) -> ApiResult<Vec<(String, Option<String>)>> {
    if items.len() > 100 {
        return Err(ApiError::Unprocessable(format!(
            "`{field}` tiene {} puntos; el orden del día admite a lo más 100.",
            items.len()
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            Ok((
                edge::text(&format!("{field}[{i}].title"), &item.title, 500)?,
                edge::optional_text(
                    &format!("{field}[{i}].description"),
                    item.description.as_deref(),
                    5000,
                )?,
            ))
        })
        .collect()
}

fn agenda_rows(session_id: &str, items: Vec<(String, Option<String>)>) -> Vec<AgendaItemRow> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, (title, description))| AgendaItemRow {
            id: uuid::Uuid::now_v7().to_string(),
            session_id: session_id.to_string(),
            position: i as i64 + 1,
            title,
            description,
            deliberation: None,
        })
        .collect()
}
