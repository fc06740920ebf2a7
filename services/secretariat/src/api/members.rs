//! Members and their designations (000 III.1–3, VIII), their terms
//! (000 II.2–3, III.7), resignations and the calls they open (000 II.4.V).

use rubrica_fiel::Rfc;
use rubrica_platform::OrUnexpected;
use rubrica_platform::State;
use rubrica_platform::db::{is_unique_violation, now_ms};
use rubrica_platform::error::{Path, Query};
use rubrica_platform::http::StatusCode;
use rubrica_platform::{ApiError, ApiResult, Caller, Json, Problem, ServiceContext};
use rubrica_rules::{
    Designation, Resignation, SeatHolders, SeatId, TermEnd, TermRule, resign, successor_allowed,
    term_end, terms_ending_within,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::Date;
use utoipa::{IntoParams, ToSchema};

use crate::auth::changes::{self, Field, Subject};

use super::db;
use super::edge;
use super::model::{CallRow, DesignationRow, MemberRow, Post};
use super::roster::{Roster, ensure_secretariat};
use super::secretariats::{SecretariatPath, word};

/// What registers a member.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMember {
    /// Full name as records print it.
    pub name: String,
    /// RFC: what the signing service matches against the FIEL certificate.
    pub rfc: String,
    /// Contact email (copies of records, access links).
    pub email: String,
}

/// A designation as the API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DesignationView {
    pub id: String,
    pub member_id: String,
    /// `titular`, `suplente`, `enlace`, `facilitador` or `invitado`.
    pub role: String,
    pub seat: Option<String>,
    /// Invited members: their project (000 VIII.2).
    pub project: Option<String>,
    /// The body represented (municipality, university, chamber…).
    pub body: Option<String>,
    pub starts_on: String,
    /// Last day in post (inclusive); for invited members, the project's end.
    pub ends_on: Option<String>,
    pub ended_reason: Option<String>,
    /// First day of the term served (differs from `starts_on` for a suplente who rose).
    pub term_starts_on: String,
    pub incorporated_until: Option<String>,
    pub mandate_changed_on: Option<String>,
    /// Whether it is in force today.
    pub current: bool,
}

/// A member with their designations.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberView {
    pub id: String,
    pub secretariat_id: String,
    pub name: String,
    pub rfc: String,
    pub email: String,
    pub created_at: i64,
    pub designations: Vec<DesignationView>,
    /// Changes of RFC or email waiting for the member's confirmation (shown
    /// when the registry is corrected).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_changes: Vec<crate::auth::changes::PendingChange>,
}

/// Registers a member of a secretariat.
#[utoipa::path(
    post,
    path = "/secretariats/{id}/members",
    tag = "integrantes",
    summary = "Registra a un integrante (nombre, RFC y correo de contacto)",
    params(SecretariatPath),
    request_body = CreateMember,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Integrante registrado", body = MemberView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia de ese secretariado o el operador", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
        (status = 409, description = "Ya hay un integrante con ese RFC", body = Problem),
        (status = 422, description = "RFC, correo o nombre no válidos", body = Problem),
    )
)]
pub async fn create_member(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
    Json(body): Json<CreateMember>,
) -> ApiResult<(Json<MemberView>, StatusCode)> {
    ensure_secretariat(&caller, &path.id)?;
    let name = edge::text("name", &body.name, 300)?;
    let rfc = parse_rfc(&body.rfc)?;
    let email = edge::email("email", &body.email)?;
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let roster = Roster::load(&mut tx, &path.id).await?;
    if let Some(existing) = db::member_by_rfc(&mut tx, &path.id, &rfc)
        .await
        .or_unexpected("buscando el RFC")?
    {
        return Err(duplicate_rfc(&rfc, &existing));
    }
    let member = MemberRow {
        id: uuid::Uuid::now_v7().to_string(),
        secretariat_id: path.id.clone(),
        name,
        rfc,
        email,
        created_at: now_ms(),
    };
    db::insert_member(&mut tx, &member).await.map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::Conflict(format!(
                "Ya hay un integrante con el RFC {} en este Secretariado. Use ese registro.",
                member.rfc
            ))
        } else {
            ApiError::Unexpected(anyhow::Error::new(e).context("guardando el integrante"))
        }
    })?;
    ctx.audit(
        &mut tx,
        &caller,
        "integrante.registrar",
        Some(&member.id),
        json!({ "secretariado": path.id, "nombre": member.name, "rfc": member.rfc, "correo": member.email }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    let today = edge::today(roster.secretariat.utc_offset_minutes);
    Ok((Json(member_view(&member, &[], today)), StatusCode::CREATED))
}

/// Lists the members of a secretariat with their designations.
#[utoipa::path(
    get,
    path = "/secretariats/{id}/members",
    tag = "integrantes",
    summary = "Lista a los integrantes con sus designaciones",
    params(SecretariatPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Integrantes", body = Vec<MemberView>),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "No pertenece a ese secretariado", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
    )
)]
pub async fn list_members(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
) -> ApiResult<Json<Vec<MemberView>>> {
    ensure_secretariat(&caller, &path.id)?;
    let mut conn = ctx
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("obteniendo una conexión")?;
    let roster = Roster::load(&mut conn, &path.id).await?;
    let today = edge::today(roster.secretariat.utc_offset_minutes);
    Ok(Json(
        roster
            .members
            .values()
            .map(|m| member_view(m, &roster.designations, today))
            .collect(),
    ))
}

/// Path of a member.
#[derive(Debug, Deserialize, IntoParams)]
pub struct MemberPath {
    /// The member's id.
    pub id: String,
}

/// Corrections to a member's data.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub rfc: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// Corrects a member's name at once; a new RFC or email waits for the
/// member's confirmation (a FIEL login with the new certificate, a link
/// mailed to the new address).
#[utoipa::path(
    patch,
    path = "/members/{id}",
    tag = "integrantes",
    summary = "Corrige el nombre de un integrante; un RFC o correo nuevos esperan a que el integrante los confirme",
    params(MemberPath),
    request_body = UpdateMember,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Integrante corregido", body = MemberView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia de su secretariado o el operador", body = Problem),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "Otro integrante tiene ese RFC", body = Problem),
        (status = 422, description = "Datos no válidos", body = Problem),
    )
)]
pub async fn update_member(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<MemberPath>,
    Json(body): Json<UpdateMember>,
) -> ApiResult<Json<MemberView>> {
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let mut member = db::member(&mut tx, &path.id)
        .await
        .or_unexpected("leyendo el integrante")?
        .ok_or_else(|| member_not_found(&path.id))?;
    ensure_secretariat(&caller, &member.secretariat_id)?;
    if let Some(name) = &body.name {
        member.name = edge::text("name", name, 300)?;
    }
    // A new RFC or email is who the member is: it waits for the member to
    // confirm it (issue 15, finding 8); the name changes at once.
    let mut changes = Vec::new();
    if let Some(email) = &body.email {
        let email = edge::email("email", email)?;
        if email != member.email {
            changes.push((Field::Email, email));
        }
    }
    if let Some(rfc) = &body.rfc {
        let rfc = parse_rfc(rfc)?;
        if let Some(other) = db::member_by_rfc(&mut tx, &member.secretariat_id, &rfc)
            .await
            .or_unexpected("buscando el RFC")?
            && other.id != member.id
        {
            return Err(duplicate_rfc(&rfc, &other));
        }
        if rfc != member.rfc {
            changes.push((Field::Rfc, rfc));
        }
    }
    db::update_member(&mut tx, &member)
        .await
        .or_unexpected("guardando el integrante")?;
    for (field, value) in changes {
        let subject = Subject {
            id: &member.id,
            secretariat_id: &member.secretariat_id,
            name: &member.name,
            email: &member.email,
        };
        changes::request(&ctx, &mut tx, &caller, &subject, field, &value).await?;
    }
    let pending = changes::pending(&mut tx, &member.id).await?;
    ctx.audit(
        &mut tx,
        &caller,
        "integrante.corregir",
        Some(&member.id),
        json!({ "nombre": body.name, "rfc": body.rfc, "correo": body.email }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let roster = Roster::load(&mut tx, &member.secretariat_id).await?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    let today = edge::today(roster.secretariat.utc_offset_minutes);
    Ok(Json(MemberView {
        pending_changes: pending,
        ..member_view(&member, &roster.designations, today)
    }))
}

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
async fn close_filled_calls(
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

fn term_view(roster: &Roster, d: &DesignationRow, on: Date) -> ApiResult<TermView> {
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
        .ok_or_else(|| super::roster::secretariat_not_found(&path.id))?;
    let calls = db::calls(&mut conn, &path.id)
        .await
        .or_unexpected("leyendo las convocatorias de vacantes")?;
    Ok(Json(calls.iter().map(call_view).collect()))
}

fn call_view(c: &CallRow) -> CallView {
    CallView {
        id: c.id.clone(),
        seat: c.seat.clone(),
        vacancy: c.vacancy.clone(),
        run_by: c.run_by.clone(),
        resignation: c.resignation.clone(),
        explanation: c.explanation.clone(),
        opened_on: edge::iso(c.opened_on),
        status: c.status.clone(),
        closed_on: c.closed_on.map(edge::iso),
    }
}

pub fn designation_view(d: &DesignationRow, today: Date) -> DesignationView {
    DesignationView {
        id: d.id.clone(),
        member_id: d.member_id.clone(),
        role: d.post.as_str().to_string(),
        seat: d.seat.clone(),
        project: d.project.clone(),
        body: d.body.clone(),
        starts_on: edge::iso(d.starts_on),
        ends_on: d.ends_on.map(edge::iso),
        ended_reason: d.ended_reason.clone(),
        term_starts_on: edge::iso(d.term_start()),
        incorporated_until: d.incorporated_until.map(edge::iso),
        mandate_changed_on: d.mandate_changed_on.map(edge::iso),
        current: d.active_on(today),
    }
}

fn member_view(m: &MemberRow, designations: &[DesignationRow], today: Date) -> MemberView {
    MemberView {
        id: m.id.clone(),
        secretariat_id: m.secretariat_id.clone(),
        name: m.name.clone(),
        rfc: m.rfc.clone(),
        email: m.email.clone(),
        created_at: m.created_at,
        designations: designations
            .iter()
            .filter(|d| d.member_id == m.id)
            .map(|d| designation_view(d, today))
            .collect(),
        pending_changes: Vec::new(),
    }
}

/// The RFC through the FIEL library's parser, so the signing service's match
/// against the certificate compares like with like.
fn parse_rfc(text: &str) -> ApiResult<String> {
    Rfc::parse(text)
        .map(|rfc| rfc.as_str().to_string())
        .map_err(|e| ApiError::Unprocessable(e.to_string()))
}

fn duplicate_rfc(rfc: &str, existing: &MemberRow) -> ApiError {
    ApiError::Conflict(format!(
        "Ya hay un integrante con el RFC {rfc} en este Secretariado: {} (id {}). Use ese registro o corrija el RFC.",
        existing.name, existing.id
    ))
}

fn member_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "No existe el integrante «{}» en este Secretariado. Regístrelo con POST /secretariats/{{id}}/members.",
        edge::shorten(id)
    ))
}
