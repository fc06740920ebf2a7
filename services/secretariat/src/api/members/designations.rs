//! Designations to seats and posts (000 III, VIII): titular, suplente,
//! enlace, facilitator, invited member; ending one; filled calls closed.

use super::*;

/// What designates a member to a post.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDesignation {
    pub member_id: String,
    /// `titular`, `suplente`, `enlace`, `facilitador` or `invitado`.
    pub role: String,
    /// The seat, for titular, suplente and enlace.
    #[serde(default)]
    pub seat: Option<String>,
    /// Invited members: the project they carry out (000 VIII.2).
    #[serde(default)]
    pub project: Option<String>,
    /// The body represented (for the municipality seat, the municipality: 000 II.2.e).
    #[serde(default)]
    pub body: Option<String>,
    /// First day in post, `AAAA-MM-DD`.
    pub starts_on: String,
    /// Last day in post (inclusive); required for invited members: the project's end (000 VIII.4).
    #[serde(default)]
    pub ends_on: Option<String>,
    /// Municipality seat: last day of the period it was incorporated for (000 II.2.e).
    #[serde(default)]
    pub incorporated_until: Option<String>,
    /// Public seats: the day the mandate changed, if it already did (000 II.2.a–d).
    #[serde(default)]
    pub mandate_changed_on: Option<String>,
}

/// Designates a member to a post.
#[utoipa::path(
    post,
    path = "/secretariats/{id}/designations",
    tag = "integrantes",
    summary = "Designa a un integrante como titular, suplente o enlace de un asiento, facilitador o miembro invitado",
    params(SecretariatPath),
    request_body = CreateDesignation,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Designación registrada", body = DesignationView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia de ese secretariado o el operador", body = Problem),
        (status = 404, description = "No existe el secretariado o el integrante", body = Problem),
        (status = 409, description = "El puesto o el integrante ya están ocupados en esas fechas", body = Problem),
        (status = 422, description = "Datos no válidos o contrarios a las reglas", body = Problem),
    )
)]
pub async fn create_designation(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
    Json(body): Json<CreateDesignation>,
) -> ApiResult<(Json<DesignationView>, StatusCode)> {
    ensure_secretariat(&caller, &path.id)?;
    let post = edge::one_of("role", &body.role, Post::CHOICES)?;
    let starts_on = edge::date("starts_on", &body.starts_on)?;
    let ends_on = edge::optional_date("ends_on", body.ends_on.as_deref())?;
    let incorporated_until =
        edge::optional_date("incorporated_until", body.incorporated_until.as_deref())?;
    let mandate_changed_on =
        edge::optional_date("mandate_changed_on", body.mandate_changed_on.as_deref())?;
    let project = edge::optional_text("project", body.project.as_deref(), 500)?;
    let represented_body = edge::optional_text("body", body.body.as_deref(), 300)?;
    if let Some(end) = ends_on
        && end < starts_on
    {
        return Err(ApiError::Unprocessable(format!(
            "`ends_on` ({}) es anterior a `starts_on` ({}). Corrija las fechas.",
            edge::iso(end),
            edge::iso(starts_on)
        )));
    }

    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let roster = Roster::load(&mut tx, &path.id).await?;
    let member = roster
        .members
        .get(&body.member_id)
        .ok_or_else(|| member_not_found(&body.member_id))?;
    let seat = match (post.has_seat(), body.seat.as_deref()) {
        (true, Some(seat)) => {
            let config_seat = roster.secretariat.config.seat(seat.trim()).ok_or_else(|| {
                ApiError::Unprocessable(format!(
                    "El asiento «{}» no existe en este Secretariado. Use uno de: {}.",
                    edge::shorten(seat),
                    roster.secretariat.config.seat_list()
                ))
            })?;
            Some(config_seat.id.to_string())
        }
        (true, None) => {
            return Err(ApiError::Unprocessable(format!(
                "Un {} pertenece a un asiento: indique `seat` (uno de: {}).",
                post.name_es(),
                roster.secretariat.config.seat_list()
            )));
        }
        (false, Some(_)) => {
            return Err(ApiError::Unprocessable(format!(
                "Un {} no ocupa un asiento: quite `seat`.",
                post.name_es()
            )));
        }
        (false, None) => None,
    };
    if post == Post::Invited && (project.is_none() || ends_on.is_none()) {
        return Err(ApiError::Unprocessable(
            "Un miembro invitado participa por la duración de su proyecto (000 VIII.2 y VIII.4): indique `project` y su fecha de término en `ends_on`.".into(),
        ));
    }
    if post != Post::Invited && project.is_some() {
        return Err(ApiError::Unprocessable(
            "Solo los miembros invitados tienen proyecto: quite `project`.".into(),
        ));
    }

    // One holder per post and seat at a time; one post per member at a time.
    for d in &roster.designations {
        if !d.overlaps(starts_on, ends_on) {
            continue;
        }
        let same_post = d.post == post
            && d.seat == seat
            && matches!(
                post,
                Post::Titular | Post::Suplente | Post::Enlace | Post::Facilitator
            );
        if same_post {
            return Err(ApiError::Conflict(format!(
                "{} ya es {}{} {}. Termine esa designación (PATCH /designations/{}) o registre una renuncia antes de designar a otra persona.",
                roster.name(&d.member_id),
                post.name_es(),
                seat.as_deref()
                    .map(|s| format!(" del asiento «{s}»"))
                    .unwrap_or_default(),
                d.period_text(),
                d.id
            )));
        }
        if d.member_id == member.id {
            return Err(ApiError::Conflict(format!(
                "{} ya es {}{} {}: un integrante ocupa un solo puesto a la vez. Termine esa designación primero.",
                member.name,
                d.post.name_es(),
                d.seat
                    .as_deref()
                    .map(|s| format!(" del asiento «{s}»"))
                    .unwrap_or_default(),
                d.period_text()
            )));
        }
    }

    // 000 II.2.e: the same municipality cannot take the next period.
    if post == Post::Titular
        && let (Some(seat_id), Some(new_body)) = (&seat, &represented_body)
        && let Some(config_seat) = roster.secretariat.config.seat(seat_id)
        && let Some(previous) = roster
            .designations
            .iter()
            .filter(|d| {
                d.post == Post::Titular
                    && d.seat.as_ref() == Some(seat_id)
                    && d.starts_on < starts_on
                    && d.ends_on.is_some()
            })
            .max_by_key(|d| d.ends_on)
        && let Some(previous_body) = &previous.body
    {
        let finding = successor_allowed(config_seat.term_rule(), previous_body, new_body);
        if !finding.ok {
            return Err(ApiError::Unprocessable(format!(
                "No se puede designar: {}. Designe a otro Ayuntamiento.",
                finding.explanation
            )));
        }
    }

    let designation = DesignationRow {
        id: uuid::Uuid::now_v7().to_string(),
        secretariat_id: path.id.clone(),
        member_id: member.id.clone(),
        post,
        seat: seat.clone(),
        project,
        starts_on,
        ends_on,
        ended_reason: None,
        body: represented_body,
        term_starts_on: None,
        incorporated_until,
        mandate_changed_on,
        created_at: now_ms(),
    };
    db::insert_designation(&mut tx, &designation)
        .await
        .or_unexpected("guardando la designación")?;
    close_filled_calls(&mut tx, &roster, &designation).await?;
    ctx.audit(
        &mut tx,
        &caller,
        "designacion.crear",
        Some(&designation.id),
        json!({
            "integrante": member.id,
            "nombre": member.name,
            "puesto": post.as_str(),
            "asiento": seat,
            "desde": edge::iso(starts_on),
            "hasta": ends_on.map(edge::iso),
        }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    let today = edge::today(roster.secretariat.utc_offset_minutes);
    Ok((
        Json(designation_view(&designation, today)),
        StatusCode::CREATED,
    ))
}

/// A designation fills the open calls for its post in its seat; a call for
/// titular and suplente closes once both are held.
pub(super) async fn close_filled_calls(
    tx: &mut sqlx::AnyConnection,
    roster: &Roster,
    designation: &DesignationRow,
) -> ApiResult<()> {
    let Some(seat) = &designation.seat else {
        return Ok(());
    };
    let on = designation.starts_on;
    let other = match designation.post {
        Post::Titular => Post::Suplente,
        Post::Suplente => Post::Titular,
        _ => return Ok(()),
    };
    let other_held = roster.holder(seat, other, on).is_some();
    let calls = db::calls(tx, &roster.secretariat.id)
        .await
        .or_unexpected("leyendo las convocatorias de vacantes")?;
    for call in calls
        .iter()
        .filter(|c| c.seat == *seat && c.status == "abierta")
    {
        let filled = call.vacancy == designation.post.as_str()
            || (call.vacancy == "titular_y_suplente" && other_held);
        if filled {
            db::close_call(tx, &call.id, on)
                .await
                .or_unexpected("cerrando la convocatoria de vacante")?;
        }
    }
    Ok(())
}

/// Path of a designation.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DesignationPath {
    /// The designation's id.
    pub id: String,
}

/// Changes to a designation: ending it, or recording term events.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDesignation {
    /// Last day in post (inclusive).
    #[serde(default)]
    pub ends_on: Option<String>,
    /// Why it ended: `fin_de_periodo`, `cambio_de_mandato`, `remocion`, `fin_de_proyecto`…
    #[serde(default)]
    pub ended_reason: Option<String>,
    /// The body represented.
    #[serde(default)]
    pub body: Option<String>,
    /// 000 II.2.e: end of the municipality's period.
    #[serde(default)]
    pub incorporated_until: Option<String>,
    /// 000 II.2.a–d: the day the mandate changed.
    #[serde(default)]
    pub mandate_changed_on: Option<String>,
}

/// Ends a designation or records the events its term depends on.
#[utoipa::path(
    patch,
    path = "/designations/{id}",
    tag = "integrantes",
    summary = "Termina una designación o registra el cambio de mandato o el periodo de incorporación",
    params(DesignationPath),
    request_body = UpdateDesignation,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Designación modificada", body = DesignationView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia de su secretariado o el operador", body = Problem),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "Las nuevas fechas chocan con otra designación", body = Problem),
        (status = 422, description = "Fechas no válidas", body = Problem),
    )
)]
pub async fn update_designation(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<DesignationPath>,
    Json(body): Json<UpdateDesignation>,
) -> ApiResult<Json<DesignationView>> {
    let ends_on = edge::optional_date("ends_on", body.ends_on.as_deref())?;
    let incorporated_until =
        edge::optional_date("incorporated_until", body.incorporated_until.as_deref())?;
    let mandate_changed_on =
        edge::optional_date("mandate_changed_on", body.mandate_changed_on.as_deref())?;
    let reason = edge::optional_text("ended_reason", body.ended_reason.as_deref(), 200)?;
    let represented_body = edge::optional_text("body", body.body.as_deref(), 300)?;

    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let mut designation = db::designation(&mut tx, &path.id)
        .await
        .or_unexpected("leyendo la designación")?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "No existe la designación «{}». Consulte las designaciones en GET /secretariats/{{id}}/members.",
                edge::shorten(&path.id)
            ))
        })?;
    ensure_secretariat(&caller, &designation.secretariat_id)?;
    let roster = Roster::load(&mut tx, &designation.secretariat_id).await?;
    if let Some(end) = ends_on {
        if end < designation.starts_on {
            return Err(ApiError::Unprocessable(format!(
                "`ends_on` ({}) es anterior al inicio de la designación ({}). Corrija la fecha.",
                edge::iso(end),
                edge::iso(designation.starts_on)
            )));
        }
        if let Some(clash) = roster.designations.iter().find(|d| {
            d.id != designation.id
                && d.overlaps(designation.starts_on, Some(end))
                && ((d.post == designation.post && d.seat == designation.seat)
                    || d.member_id == designation.member_id)
                && designation.ends_on.is_some_and(|old| end > old)
        }) {
            return Err(ApiError::Conflict(format!(
                "Con esa fecha de término la designación chocaría con la de {} como {} ({}). Elija una fecha anterior.",
                roster.name(&clash.member_id),
                clash.post.name_es(),
                clash.period_text()
            )));
        }
        designation.ends_on = Some(end);
        designation.ended_reason = Some(reason.clone().unwrap_or_else(|| {
            if designation.post == Post::Invited {
                "fin_de_proyecto".into()
            } else {
                "fin_de_periodo".into()
            }
        }));
    } else if reason.is_some() {
        return Err(ApiError::Unprocessable(
            "`ended_reason` acompaña a `ends_on`: indique también el último día en el puesto."
                .into(),
        ));
    }
    if represented_body.is_some() {
        designation.body = represented_body;
    }
    if incorporated_until.is_some() {
        designation.incorporated_until = incorporated_until;
    }
    if mandate_changed_on.is_some() {
        designation.mandate_changed_on = mandate_changed_on;
    }
    db::update_designation(&mut tx, &designation)
        .await
        .or_unexpected("guardando la designación")?;
    ctx.audit(
        &mut tx,
        &caller,
        "designacion.modificar",
        Some(&designation.id),
        json!({
            "hasta": body.ends_on,
            "motivo": designation.ended_reason,
            "ente": body.body,
            "periodo_de_incorporacion_hasta": body.incorporated_until,
            "cambio_de_mandato": body.mandate_changed_on,
        }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    let today = edge::today(roster.secretariat.utc_offset_minutes);
    Ok(Json(designation_view(&designation, today)))
}
