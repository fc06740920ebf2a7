//! Running a session: attendance and quorum (000 V.2–3), opening, the
//! agenda's approval (000 V.1), deliberations, and closing — which hands
//! the record to the documents service (`session.closed`).

use super::*;

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
        .ok_or_else(|| crate::api::scene::session_not_found(&path.id))?;
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
