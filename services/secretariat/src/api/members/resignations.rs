//! Resignations and the calls for the vacancies they open (000 II.4.V),
//! with their cascade.

use super::*;

/// What records a resignation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateResignation {
    /// Who resigns: `titular`, `suplente` or `ambos`.
    pub who: String,
    /// The day it takes effect, `AAAA-MM-DD`: the resigning members' last day
    /// in post is the day before.
    pub effective_on: String,
    /// Notes for the record.
    #[serde(default)]
    pub reason: Option<String>,
    /// Only explain what it would do (ended and started designations, calls
    /// opened), storing nothing: the console shows the cascade before it is
    /// applied (000 II.4.V).
    #[serde(default)]
    pub dry_run: bool,
}

/// Path of a seat.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SeatPath {
    /// The secretariat's id.
    pub id: String,
    /// The seat, e.g. `academia`.
    pub seat: String,
}

/// A call to fill a vacancy.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CallView {
    pub id: String,
    pub seat: String,
    /// `titular`, `suplente` or `titular_y_suplente`.
    pub vacancy: String,
    /// `titular`, `presidente` or `ente_que_designa`.
    pub run_by: String,
    /// The resignation that opened it.
    pub resignation: String,
    pub explanation: String,
    pub opened_on: String,
    /// `abierta` or `cerrada` (closed when the post is designated again).
    pub status: String,
    pub closed_on: Option<String>,
}

/// What a resignation did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResignationView {
    /// The rules' explanation (000 II.4.V).
    pub explanation: String,
    /// Whether it was only explained (`dry_run`): nothing was stored.
    #[serde(default)]
    pub dry_run: bool,
    /// Designations that ended.
    pub ended: Vec<DesignationView>,
    /// Designations that began (the suplente who rose to titular).
    pub started: Vec<DesignationView>,
    /// Calls opened.
    pub calls: Vec<CallView>,
}

/// Applies a resignation as the rules say.
#[utoipa::path(
    post,
    path = "/secretariats/{id}/seats/{seat}/resignations",
    tag = "integrantes",
    summary = "Registra la renuncia del titular, del suplente o de ambos y aplica sus consecuencias (000 II.4.V)",
    params(SeatPath),
    request_body = CreateResignation,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Renuncia aplicada", body = ResignationView),
        (status = 200, description = "Lo que haría la renuncia (`dry_run`); no se guardó nada", body = ResignationView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia de ese secretariado o el operador", body = Problem),
        (status = 404, description = "No existe el secretariado o el asiento", body = Problem),
        (status = 422, description = "No hay a quién aplicar la renuncia, o fecha no válida", body = Problem),
    )
)]
pub async fn create_resignation(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SeatPath>,
    Json(body): Json<CreateResignation>,
) -> ApiResult<(Json<ResignationView>, StatusCode)> {
    ensure_secretariat(&caller, &path.id)?;
    let who = edge::one_of(
        "who",
        &body.who,
        &[
            ("titular", Resignation::Titular),
            ("suplente", Resignation::Suplente),
            ("ambos", Resignation::Both),
        ],
    )?;
    let effective_on = edge::date("effective_on", &body.effective_on)?;
    let reason = edge::optional_text("reason", body.reason.as_deref(), 1000)?;
    let last_day = effective_on.previous_day().ok_or_else(|| {
        ApiError::Unprocessable("`effective_on` está fuera del calendario.".into())
    })?;

    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let roster = Roster::load(&mut tx, &path.id).await?;
    let seat = roster
        .secretariat
        .config
        .seat(&path.seat)
        .cloned()
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "El asiento «{}» no existe en este Secretariado. Use uno de: {}.",
                edge::shorten(&path.seat),
                roster.secretariat.config.seat_list()
            ))
        })?;
    let titular = roster
        .holder(seat.id.as_str(), Post::Titular, last_day)
        .cloned();
    let suplente = roster
        .holder(seat.id.as_str(), Post::Suplente, last_day)
        .cloned();
    let holders = SeatHolders {
        titular: titular
            .as_ref()
            .map(|d| roster.name(&d.member_id).to_string()),
        suplente: suplente
            .as_ref()
            .map(|d| roster.name(&d.member_id).to_string()),
    };
    let outcome = resign(&seat, &holders, who).map_err(|e| {
        ApiError::Unprocessable(format!(
            "{} (situación del asiento al {}, víspera de `effective_on`).",
            edge::capitalise(&e.to_string()),
            edge::iso(last_day)
        ))
    })?;

    let now = now_ms();
    let today = edge::today(roster.secretariat.utc_offset_minutes);
    let mut ended = Vec::new();
    let mut started = Vec::new();
    let end = |d: &DesignationRow, why: &str| -> ApiResult<DesignationRow> {
        if last_day < d.starts_on {
            return Err(ApiError::Unprocessable(format!(
                "La renuncia surtiría efecto antes de que {} iniciara como {} ({}). Corrija `effective_on`.",
                roster.name(&d.member_id),
                d.post.name_es(),
                edge::iso(d.starts_on)
            )));
        }
        let mut d = d.clone();
        d.ends_on = Some(last_day);
        d.ended_reason = Some(why.to_string());
        Ok(d)
    };
    if matches!(who, Resignation::Titular | Resignation::Both)
        && let Some(t) = &titular
    {
        ended.push(end(t, "renuncia")?);
    }
    if matches!(who, Resignation::Suplente | Resignation::Both)
        && let Some(s) = &suplente
    {
        ended.push(end(s, "renuncia")?);
    }
    // 000 II.4.V.a: the titular resigned and the seat still has a titular:
    // it is the suplente, who rises and completes the term.
    if who == Resignation::Titular
        && outcome.holders.titular.is_some()
        && let (Some(s), Some(t)) = (&suplente, &titular)
    {
        ended.push(end(s, "asciende_a_titular")?);
        started.push(DesignationRow {
            id: uuid::Uuid::now_v7().to_string(),
            secretariat_id: roster.secretariat.id.clone(),
            member_id: s.member_id.clone(),
            post: Post::Titular,
            seat: Some(seat.id.to_string()),
            project: None,
            starts_on: effective_on,
            ends_on: None,
            ended_reason: None,
            body: s.body.clone().or_else(|| t.body.clone()),
            term_starts_on: Some(t.term_start()),
            incorporated_until: t.incorporated_until,
            mandate_changed_on: t.mandate_changed_on,
            created_at: now,
        });
    }
    for d in &ended {
        db::update_designation(&mut tx, d)
            .await
            .or_unexpected("terminando la designación")?;
    }
    for d in &started {
        db::insert_designation(&mut tx, d)
            .await
            .or_unexpected("registrando al nuevo titular")?;
    }
    let resignation_word = word(&who);
    let mut calls = Vec::new();
    for call in &outcome.calls {
        let row = CallRow {
            id: uuid::Uuid::now_v7().to_string(),
            secretariat_id: roster.secretariat.id.clone(),
            seat: call.seat.to_string(),
            vacancy: word(&call.vacancy),
            run_by: word(&call.run_by),
            resignation: resignation_word.clone(),
            explanation: outcome.explanation.clone(),
            opened_on: effective_on,
            status: "abierta".into(),
            closed_on: None,
            created_at: now,
        };
        db::insert_call(&mut tx, &row)
            .await
            .or_unexpected("abriendo la convocatoria de vacante")?;
        calls.push(call_view(&row));
    }
    ctx.audit(
        &mut tx,
        &caller,
        "renuncia.aplicar",
        Some(seat.id.as_str()),
        json!({
            "secretariado": roster.secretariat.id,
            "asiento": seat.id.as_str(),
            "renuncia": resignation_word,
            "surte_efectos": edge::iso(effective_on),
            "motivo": reason,
            "explicacion": outcome.explanation,
            "terminadas": ended.iter().map(|d| &d.id).collect::<Vec<_>>(),
            "iniciadas": started.iter().map(|d| &d.id).collect::<Vec<_>>(),
            "convocatorias": calls.iter().map(|c| &c.id).collect::<Vec<_>>(),
        }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let status = if body.dry_run {
        // Everything above ran as it would; nothing of it stays.
        tx.rollback()
            .await
            .or_unexpected("descartando la transacción")?;
        StatusCode::OK
    } else {
        tx.commit()
            .await
            .or_unexpected("confirmando la transacción")?;
        StatusCode::CREATED
    };
    Ok((
        Json(ResignationView {
            explanation: outcome.explanation,
            dry_run: body.dry_run,
            ended: ended.iter().map(|d| designation_view(d, today)).collect(),
            started: started.iter().map(|d| designation_view(d, today)).collect(),
            calls,
        }),
        status,
    ))
}

/// The calls to fill vacancies.
#[utoipa::path(
    get,
    path = "/secretariats/{id}/calls",
    tag = "integrantes",
    summary = "Lista las convocatorias para cubrir vacantes abiertas por renuncias",
    params(SecretariatPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Convocatorias de vacantes", body = Vec<CallView>),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "No pertenece a ese secretariado", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
    )
)]
pub async fn list_calls(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
) -> ApiResult<Json<Vec<CallView>>> {
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
    let calls = db::calls(&mut conn, &path.id)
        .await
        .or_unexpected("leyendo las convocatorias de vacantes")?;
    Ok(Json(calls.iter().map(call_view).collect()))
}
