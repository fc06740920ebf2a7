//! Preparing a session: scheduling it, listing and reading sessions,
//! rescheduling, the agenda, and cancelling (000 V).

use super::*;

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
        .ok_or_else(|| crate::api::roster::secretariat_not_found(&path.id))?;
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
    crate::api::proposals::incorporate(&mut tx, &session.id, &body.incorporated, now).await?;
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
