//! Terms as computed (000 II.2–3, III.7): each designation's end with
//! its explanation.

use super::*;

/// A member's term in a seat.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TermView {
    pub designation_id: String,
    pub member_id: String,
    pub name: String,
    pub email: String,
    pub seat: String,
    /// `titular` or `suplente`.
    pub role: String,
    /// The seat's term rule (000 II.2–3).
    #[schema(value_type = Object)]
    pub rule: TermRule,
    /// When the term ends (`fecha`, `al_cambio_de_mandato` or `sin_determinar`).
    #[schema(value_type = Object)]
    pub end: TermEnd,
    /// The end date when known.
    pub ends_on: Option<String>,
    /// Days from the reference day to the end, when known.
    pub days_left: Option<i64>,
    /// Spanish explanation.
    pub explanation: String,
}

/// Query of the terms.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TermsQuery {
    /// Only the terms that end within this many days (000 III.7 reminders).
    pub within_days: Option<u32>,
    /// Reference day `AAAA-MM-DD` (default: today).
    pub on: Option<String>,
}

/// Terms of the titulars and suplentes in post, with their end.
#[utoipa::path(
    get,
    path = "/secretariats/{id}/terms",
    tag = "integrantes",
    summary = "Lista los periodos de titulares y suplentes y cuándo concluyen; con within_days, solo los que concluyen pronto",
    params(SecretariatPath, TermsQuery),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Periodos, los más próximos a concluir primero", body = Vec<TermView>),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "No pertenece a ese secretariado", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
        (status = 422, description = "Fecha o plazo no válidos", body = Problem),
    )
)]
pub async fn list_terms(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
    Query(query): Query<TermsQuery>,
) -> ApiResult<Json<Vec<TermView>>> {
    ensure_secretariat(&caller, &path.id)?;
    let mut conn = ctx
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("obteniendo una conexión")?;
    let roster = Roster::load(&mut conn, &path.id).await?;
    let on = match query.on.as_deref() {
        Some(text) => edge::date("on", text)?,
        None => edge::today(roster.secretariat.utc_offset_minutes),
    };
    if query.within_days.is_some_and(|d| d > 3660) {
        return Err(ApiError::Unprocessable(
            "`within_days` admite a lo más 3660 días (diez años).".into(),
        ));
    }
    let config = &roster.secretariat.config;
    let in_post: Vec<&DesignationRow> = roster
        .designations
        .iter()
        .filter(|d| matches!(d.post, Post::Titular | Post::Suplente) && d.active_on(on))
        .filter(|d| d.seat.as_deref().is_some_and(|s| config.seat(s).is_some()))
        .collect();
    // The rules speak of designations; the holder is the designation's id so
    // their answer maps back to it.
    let as_rules = |d: &DesignationRow| -> ApiResult<Designation> {
        Ok(Designation {
            seat: SeatId::parse(d.seat.as_deref().unwrap_or_default()).map_err(|e| {
                ApiError::Unexpected(anyhow::anyhow!("asiento almacenado no válido: {e}"))
            })?,
            holder: d.id.clone(),
            start: d.term_start(),
            incorporated_until: d.incorporated_until,
            mandate_changed_on: d.mandate_changed_on,
        })
    };
    let rules_designations = in_post
        .iter()
        .map(|d| as_rules(d))
        .collect::<ApiResult<Vec<_>>>()?;
    let mut views = Vec::new();
    match query.within_days {
        Some(days) => {
            let ending = terms_ending_within(config, &rules_designations, on, days)
                .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("{e}")))?;
            for term in ending {
                if let Some(d) = in_post.iter().find(|d| d.id == term.holder) {
                    views.push(term_view(&roster, d, on)?);
                }
            }
        }
        None => {
            for d in &in_post {
                views.push(term_view(&roster, d, on)?);
            }
            views.sort_by(|a, b| {
                (a.ends_on.is_none(), &a.ends_on, &a.seat).cmp(&(
                    b.ends_on.is_none(),
                    &b.ends_on,
                    &b.seat,
                ))
            });
        }
    }
    Ok(Json(views))
}

pub(super) fn term_view(roster: &Roster, d: &DesignationRow, on: Date) -> ApiResult<TermView> {
    let seat_id = d.seat.clone().unwrap_or_default();
    let seat =
        roster.secretariat.config.seat(&seat_id).ok_or_else(|| {
            ApiError::Unexpected(anyhow::anyhow!("asiento desconocido {seat_id}"))
        })?;
    let rule = seat.term_rule();
    let designation = Designation {
        seat: seat.id.clone(),
        holder: d.id.clone(),
        start: d.term_start(),
        incorporated_until: d.incorporated_until,
        mandate_changed_on: d.mandate_changed_on,
    };
    let end = term_end(rule, &designation);
    let (ends_on, days_left) = match end {
        TermEnd::On(date) => (Some(edge::iso(date)), Some((date - on).whole_days())),
        _ => (None, None),
    };
    let member = roster.members.get(&d.member_id);
    Ok(TermView {
        designation_id: d.id.clone(),
        member_id: d.member_id.clone(),
        name: roster.name(&d.member_id).to_string(),
        email: member.map(|m| m.email.clone()).unwrap_or_default(),
        seat: seat_id,
        role: d.post.as_str().to_string(),
        rule,
        end,
        ends_on,
        days_left,
        explanation: end.explain(),
    })
}
