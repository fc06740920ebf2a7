//! The convocatoria (000 V.6): issuing it, and the notice check before it.

use super::*;

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
