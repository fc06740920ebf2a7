//! Secretariats created from a preset of the rules (000; 004 Table 2), their
//! settings, and their seats.

use rubrica_platform::OrUnexpected;
use rubrica_platform::State;
use rubrica_platform::db::now_ms;
use rubrica_platform::error::{Path, Query};
use rubrica_platform::http::StatusCode;
use rubrica_platform::{ApiError, ApiResult, Caller, Json, Problem, ServiceContext};
use rubrica_rules::{Config, PRESET_NAMES, preset};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::Date;
use utoipa::{IntoParams, ToSchema};

use super::db;
use super::edge;
use super::model::{Post, SecretariatRow, SignerSettings};
use super::roster::{Roster, ensure_secretariat, secretariat_not_found};

/// A preset of the rules.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PresetView {
    /// The name to create a secretariat with, e.g. `jalisco`.
    pub name: String,
    /// The configuration it gives (`rubrica_rules::Config`).
    #[schema(value_type = Object)]
    pub config: Config,
}

/// Lists the presets: Jalisco (000) and the other STLs of 004 Table 2.
#[utoipa::path(
    get,
    path = "/presets",
    tag = "secretariados",
    summary = "Lista los presets de reglas (Jalisco y los STL de la Tabla 2 de la guía)",
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Presets con su configuración", body = Vec<PresetView>),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
    )
)]
pub async fn list_presets() -> Json<Vec<PresetView>> {
    Json(
        PRESET_NAMES
            .iter()
            .filter_map(|name| {
                preset(name).map(|config| PresetView {
                    name: (*name).to_string(),
                    config,
                })
            })
            .collect(),
    )
}

/// A non-working day of the secretariat.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NonWorkingDay {
    /// `AAAA-MM-DD`.
    pub date: String,
    /// Why (vacaciones, día de elección…).
    #[serde(default)]
    pub reason: Option<String>,
}

/// What creates a secretariat.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSecretariat {
    /// Preset of the rules (default `jalisco`); see `GET /presets`.
    #[serde(default)]
    pub preset: Option<String>,
    /// Name as records print it (default: the preset's).
    #[serde(default)]
    pub name: Option<String>,
    /// Changes to the preset's configuration, as a JSON merge patch
    /// (RFC 7396): objects merge, lists (e.g. `seats`) are replaced whole.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub overrides: Option<Value>,
    /// Who signs besides titulars and acting suplentes.
    #[serde(default)]
    pub signers: Option<SignerSettings>,
    /// The secretariat's own non-working days (000 V.6).
    #[serde(default)]
    pub non_working_days: Option<Vec<NonWorkingDay>>,
    /// Offset of its local time from UTC in minutes (default -360, central Mexico).
    #[serde(default)]
    pub utc_offset_minutes: Option<i64>,
}

/// A secretariat as the API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SecretariatView {
    pub id: String,
    pub name: String,
    /// The preset it was created from.
    pub preset: String,
    /// The rules configuration in force (`rubrica_rules::Config`); each seat's
    /// `active` flag is computed per day from the designations (see the seats).
    #[schema(value_type = Object)]
    pub config: Config,
    pub signers: SignerSettings,
    pub non_working_days: Vec<NonWorkingDay>,
    pub utc_offset_minutes: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Creates a secretariat from a preset, with optional changes.
#[utoipa::path(
    post,
    path = "/secretariats",
    tag = "secretariados",
    summary = "Crea un secretariado a partir de un preset de reglas, con ajustes opcionales",
    request_body = CreateSecretariat,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Secretariado creado", body = SecretariatView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo el operador de la instalación", body = Problem),
        (status = 422, description = "Preset o configuración no válidos", body = Problem),
    )
)]
pub async fn create_secretariat(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Json(body): Json<CreateSecretariat>,
) -> ApiResult<(Json<SecretariatView>, StatusCode)> {
    let preset_name = body
        .preset
        .as_deref()
        .unwrap_or(rubrica_rules::DEFAULT_PRESET);
    let base = preset(preset_name).ok_or_else(|| {
        ApiError::Unprocessable(format!(
            "No existe el preset «{}». Use uno de: {}.",
            edge::shorten(preset_name),
            PRESET_NAMES.join(", ")
        ))
    })?;
    // The canonical spelling, so "San Luis Potosí" is stored as san_luis_potosi.
    let preset_key = PRESET_NAMES
        .iter()
        .find(|n| preset(n).as_ref() == Some(&base))
        .copied()
        .unwrap_or(rubrica_rules::DEFAULT_PRESET);
    let config = configure(&base, body.overrides.as_ref(), body.name.as_deref())?;
    let days = parse_days(body.non_working_days.as_deref())?;
    let offset = parse_offset(body.utc_offset_minutes)?
        .unwrap_or(rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES);

    let now = now_ms();
    let secretariat = SecretariatRow {
        id: uuid::Uuid::now_v7().to_string(),
        name: config.name.clone(),
        preset: preset_key.to_string(),
        config,
        signers: body.signers.unwrap_or_default(),
        utc_offset_minutes: offset,
        created_at: now,
        updated_at: now,
    };
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    db::insert_secretariat(&mut tx, &secretariat)
        .await
        .or_unexpected("guardando el secretariado")?;
    super::public::assign_slug(&mut tx, &secretariat.id, &secretariat.name)
        .await
        .or_unexpected("dando al secretariado su nombre público")?;
    db::replace_non_working_days(&mut tx, &secretariat.id, &days)
        .await
        .or_unexpected("guardando los días inhábiles")?;
    ctx.audit(
        &mut tx,
        &caller,
        "secretariado.crear",
        Some(&secretariat.id),
        json!({ "nombre": secretariat.name, "preset": secretariat.preset, "ajustes": body.overrides }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok((Json(view(&secretariat, &days)), StatusCode::CREATED))
}

/// Path of a secretariat.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SecretariatPath {
    /// The secretariat's id.
    pub id: String,
}

/// Reads a secretariat.
#[utoipa::path(
    get,
    path = "/secretariats/{id}",
    tag = "secretariados",
    summary = "Consulta un secretariado y su configuración de reglas",
    params(SecretariatPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "El secretariado", body = SecretariatView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "No pertenece a ese secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
    )
)]
pub async fn get_secretariat(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
) -> ApiResult<Json<SecretariatView>> {
    ensure_secretariat(&caller, &path.id)?;
    let mut conn = ctx
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("obteniendo una conexión")?;
    let secretariat = db::secretariat(&mut conn, &path.id)
        .await
        .or_unexpected("leyendo el secretariado")?
        .ok_or_else(|| secretariat_not_found(&path.id))?;
    let days = db::non_working_days(&mut conn, &path.id)
        .await
        .or_unexpected("leyendo los días inhábiles")?;
    Ok(Json(view(&secretariat, &days)))
}

/// Changes to a secretariat's settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSecretariat {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// JSON merge patch (RFC 7396) over the configuration in force.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub overrides: Option<Value>,
    /// Who signs besides titulars and acting suplentes.
    #[serde(default)]
    pub signers: Option<SignerSettings>,
    /// Replaces the list of non-working days.
    #[serde(default)]
    pub non_working_days: Option<Vec<NonWorkingDay>>,
    /// Offset of local time from UTC in minutes.
    #[serde(default)]
    pub utc_offset_minutes: Option<i64>,
    /// Business days to answer a question, complaint or suggestion sent on
    /// the public site (1 to 60; 10 unless changed).
    #[serde(default)]
    pub inquiry_answer_days: Option<i64>,
    /// Section c of the public site: the office's contact data (replaced whole).
    #[serde(default)]
    pub contact: Option<super::public::PublicContact>,
    /// Section e of the public site: links of interest (replaced whole).
    #[serde(default)]
    pub links: Option<Vec<super::public::PublicLink>>,
}

/// Changes a secretariat's name, rules configuration or settings.
#[utoipa::path(
    patch,
    path = "/secretariats/{id}",
    tag = "secretariados",
    summary = "Modifica la configuración de reglas, los firmantes o los días inhábiles de un secretariado",
    params(SecretariatPath),
    request_body = UpdateSecretariat,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "El secretariado modificado", body = SecretariatView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia de ese secretariado o el operador", body = Problem),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "Hay una sesión abierta", body = Problem),
        (status = 422, description = "Configuración no válida", body = Problem),
    )
)]
pub async fn update_secretariat(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
    Json(body): Json<UpdateSecretariat>,
) -> ApiResult<Json<SecretariatView>> {
    ensure_secretariat(&caller, &path.id)?;
    let new_days = body
        .non_working_days
        .as_deref()
        .map(|d| parse_days(Some(d)))
        .transpose()?;
    let offset = parse_offset(body.utc_offset_minutes)?;
    super::public::check_site_sections(body.contact.as_ref(), body.links.as_deref())?;
    if body
        .inquiry_answer_days
        .is_some_and(|d| !(1..=60).contains(&d))
    {
        return Err(ApiError::Unprocessable(
            "`inquiry_answer_days` debe estar entre 1 y 60 días hábiles (el plazo para responder las dudas, quejas y sugerencias; 10 si no se cambia).".into(),
        ));
    }

    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let roster = Roster::load(&mut tx, &path.id).await?;
    let mut secretariat = roster.secretariat.clone();
    if body.overrides.is_some() || body.name.is_some() {
        if let Some(folio) = db::open_session_folio(&mut tx, &path.id)
            .await
            .or_unexpected("buscando sesiones abiertas")?
        {
            return Err(ApiError::Conflict(format!(
                "La sesión {folio} está abierta: las reglas no pueden cambiar a mitad de una sesión. Ciérrela y vuelva a intentarlo."
            )));
        }
        let config = configure(
            &secretariat.config,
            body.overrides.as_ref(),
            body.name.as_deref(),
        )?;
        // A seat cannot disappear while somebody holds it.
        let today = edge::today(secretariat.utc_offset_minutes);
        for d in &roster.designations {
            if let Some(seat) = &d.seat
                && config.seat(seat).is_none()
                && d.ends_on.is_none_or(|end| end >= today)
            {
                return Err(ApiError::Unprocessable(format!(
                    "El asiento «{seat}» no puede quitarse de la configuración: {} es su {} ({}). Termine primero esa designación.",
                    roster.name(&d.member_id),
                    d.post.name_es(),
                    d.period_text()
                )));
            }
        }
        secretariat.name = config.name.clone();
        secretariat.config = config;
    }
    if let Some(signers) = body.signers {
        secretariat.signers = signers;
    }
    if let Some(offset) = offset {
        secretariat.utc_offset_minutes = offset;
    }
    secretariat.updated_at = now_ms();
    db::update_secretariat(&mut tx, &secretariat)
        .await
        .or_unexpected("guardando el secretariado")?;
    if let Some(days) = &new_days {
        db::replace_non_working_days(&mut tx, &secretariat.id, days)
            .await
            .or_unexpected("guardando los días inhábiles")?;
    }
    super::public::set_site_sections(
        &mut tx,
        &secretariat.id,
        body.contact.as_ref(),
        body.links.as_deref(),
    )
    .await
    .or_unexpected("guardando el contacto y las ligas")?;
    if let Some(days) = body.inquiry_answer_days {
        super::public::set_answer_days(&mut tx, &secretariat.id, days)
            .await
            .or_unexpected("guardando el plazo de respuesta")?;
    }
    ctx.audit(
        &mut tx,
        &caller,
        "secretariado.modificar",
        Some(&secretariat.id),
        json!({
            "nombre": body.name,
            "ajustes": body.overrides,
            "firmantes": body.signers,
            "dias_inhabiles": body.non_working_days,
            "utc_offset_minutes": body.utc_offset_minutes,
            "plazo_de_respuesta": body.inquiry_answer_days,
            "contacto": body.contact,
            "ligas": body.links,
        }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let days = db::non_working_days(&mut tx, &secretariat.id)
        .await
        .or_unexpected("leyendo los días inhábiles")?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok(Json(view(&secretariat, &days)))
}

/// Who holds a post in a seat.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Holder {
    pub designation_id: String,
    pub member_id: String,
    pub name: String,
    /// First day in post.
    pub starts_on: String,
}

/// A seat on a given day.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SeatView {
    /// e.g. `sociedad_civil`.
    pub id: String,
    pub name: String,
    /// e.g. `asociacion_civil`.
    pub sector: String,
    /// `gobierno`, `sociedad_civil` or `organo_garante` (004 Table 2).
    pub group: String,
    /// Whether it has a designated titular that day (000 V.2 "activos").
    pub active: bool,
    /// Whether its titular presides the STL (000 VII.1).
    pub presides: bool,
    /// Its term rule (000 II.2–3).
    #[schema(value_type = Object)]
    pub term_rule: rubrica_rules::TermRule,
    pub titular: Option<Holder>,
    pub suplente: Option<Holder>,
    pub enlace: Option<Holder>,
}

/// Query of the seats.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OnQuery {
    /// The day, `AAAA-MM-DD` (default: today).
    pub on: Option<String>,
}

/// The seats on a day, with who holds them.
#[utoipa::path(
    get,
    path = "/secretariats/{id}/seats",
    tag = "secretariados",
    summary = "Lista los asientos con su titular, suplente y enlace, y si están activos",
    params(SecretariatPath, OnQuery),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Los asientos", body = Vec<SeatView>),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "No pertenece a ese secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
        (status = 422, description = "Fecha no válida", body = Problem),
    )
)]
pub async fn list_seats(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
    Query(query): Query<OnQuery>,
) -> ApiResult<Json<Vec<SeatView>>> {
    ensure_secretariat(&caller, &path.id)?;
    let mut conn = ctx
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("obteniendo una conexión")?;
    let roster = Roster::load(&mut conn, &path.id).await?;
    let day = match query.on.as_deref() {
        Some(text) => edge::date("on", text)?,
        None => edge::today(roster.secretariat.utc_offset_minutes),
    };
    Ok(Json(seat_views(&roster, day)))
}

pub fn seat_views(roster: &Roster, day: Date) -> Vec<SeatView> {
    let config = roster.config_on(day);
    let holder = |seat: &str, post| {
        roster.holder(seat, post, day).map(|d| Holder {
            designation_id: d.id.clone(),
            member_id: d.member_id.clone(),
            name: roster.name(&d.member_id).to_string(),
            starts_on: edge::iso(d.starts_on),
        })
    };
    config
        .seats
        .iter()
        .map(|seat| SeatView {
            id: seat.id.to_string(),
            name: seat.name.clone(),
            sector: word(&seat.sector),
            group: word(&seat.group()),
            active: seat.active,
            presides: config.president == seat.id,
            term_rule: seat.term_rule(),
            titular: holder(seat.id.as_str(), Post::Titular),
            suplente: holder(seat.id.as_str(), Post::Suplente),
            enlace: holder(seat.id.as_str(), Post::Enlace),
        })
        .collect()
}

/// The Spanish word an enum of the rules serialises to.
pub fn word(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn view(s: &SecretariatRow, days: &[(Date, Option<String>)]) -> SecretariatView {
    SecretariatView {
        id: s.id.clone(),
        name: s.name.clone(),
        preset: s.preset.clone(),
        config: s.config.clone(),
        signers: s.signers,
        non_working_days: days
            .iter()
            .map(|(d, reason)| NonWorkingDay {
                date: edge::iso(*d),
                reason: reason.clone(),
            })
            .collect(),
        utc_offset_minutes: s.utc_offset_minutes,
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}

/// The configuration `base` with `overrides` merged in (RFC 7396) and the
/// name replaced, checked by the rules.
fn configure(base: &Config, overrides: Option<&Value>, name: Option<&str>) -> ApiResult<Config> {
    let mut value = serde_json::to_value(base).map_err(|e| {
        ApiError::Unexpected(anyhow::Error::new(e).context("serializando la configuración"))
    })?;
    if let Some(patch) = overrides {
        if !patch.is_object() {
            return Err(ApiError::Unprocessable(
                "`overrides` debe ser un objeto JSON con los campos de la configuración que cambian, por ejemplo {\"decision\": {\"president_casting_vote\": false}}.".into(),
            ));
        }
        merge_patch(&mut value, patch);
    }
    if let Some(name) = name {
        value["name"] = Value::String(edge::text("name", name, 300)?);
    }
    Config::from_json(value)
        .map_err(|e| ApiError::Unprocessable(format!("La configuración no es válida: {e}.")))
}

/// RFC 7396 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

fn parse_days(days: Option<&[NonWorkingDay]>) -> ApiResult<Vec<(Date, Option<String>)>> {
    let mut parsed: Vec<(Date, Option<String>)> = Vec::new();
    for (i, day) in days.unwrap_or_default().iter().enumerate() {
        let date = edge::date(&format!("non_working_days[{i}].date"), &day.date)?;
        let reason = edge::optional_text(
            &format!("non_working_days[{i}].reason"),
            day.reason.as_deref(),
            200,
        )?;
        if parsed.iter().any(|(d, _)| *d == date) {
            return Err(ApiError::Unprocessable(format!(
                "El día {} aparece dos veces en `non_working_days`; déjelo una sola vez.",
                edge::iso(date)
            )));
        }
        parsed.push((date, reason));
    }
    parsed.sort_by_key(|(d, _)| *d);
    Ok(parsed)
}

fn parse_offset(minutes: Option<i64>) -> ApiResult<Option<i64>> {
    match minutes {
        Some(m) if !(-720..=840).contains(&m) => Err(ApiError::Unprocessable(
            "`utc_offset_minutes` debe estar entre -720 y 840 minutos (por ejemplo -360 para el centro de México).".into(),
        )),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merge_patch_merges_objects_and_replaces_lists() {
        let mut target = json!({"a": {"b": 1, "c": 2}, "l": [1, 2]});
        merge_patch(&mut target, &json!({"a": {"b": null, "d": 3}, "l": [9]}));
        assert_eq!(target, json!({"a": {"c": 2, "d": 3}, "l": [9]}));
    }

    #[test]
    fn overrides_are_checked_by_the_rules() {
        let base = rubrica_rules::jalisco();
        let changed = configure(
            &base,
            Some(&json!({"decision": {"president_casting_vote": false}})),
            Some("STL de prueba"),
        )
        .unwrap();
        assert!(!changed.decision.president_casting_vote);
        assert_eq!(changed.name, "STL de prueba");
        let error = configure(&base, Some(&json!({"president": "nadie"})), None).unwrap_err();
        assert!(error.to_string().contains("nadie"), "{error}");
    }
}
