//! Members: registering them, listing them with their designations, and
//! correcting their data (000 III.1–3).

use super::*;

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
