//! The agenda of activities (section b of the public site, 000 V.10): the
//! President and the facilitator add, edit and cancel the secretariat's
//! activities besides its sessions (forums, workshops, co-creation tables,
//! visits…); members read them; the public site lists the upcoming ones
//! first. A cancelled activity is never deleted: it stays published as
//! cancelled, with its reason. Each change is audited.

use rubrica_platform::OrUnexpected;
use rubrica_platform::State;
use rubrica_platform::db::now_ms;
use rubrica_platform::error::{Json, Path};
use rubrica_platform::http::StatusCode;
use rubrica_platform::{ApiError, ApiResult, Caller, Problem, ServiceContext};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;
use utoipa::{IntoParams, ToSchema};

use super::edge;
use super::public::{SlugPath, connection, ensure_slugs, secretariat_by_slug};
use super::roster::{ensure_secretariat, offset_of};
use super::secretariats::SecretariatPath;

/// What adds or edits an activity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    /// Up to 300 characters.
    pub title: String,
    /// `AAAA-MM-DD`, the secretariat's local date.
    pub date: String,
    /// `HH:MM`, 24 h, the secretariat's local time (optional).
    #[serde(default)]
    pub time: Option<String>,
    /// Where it takes place. A place or a link is required.
    #[serde(default)]
    pub place: Option<String>,
    /// `https://…` of an online activity or its registration.
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The number of the Local Action Plan's commitment it serves.
    #[serde(default)]
    pub commitment_number: Option<i64>,
}

/// Why an activity is cancelled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityCancellation {
    /// Published with the activity (optional).
    #[serde(default)]
    pub reason: Option<String>,
}

/// An activity as the API shows it (members and the public alike).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActivityView {
    pub id: String,
    pub number: i64,
    pub title: String,
    /// `AAAA-MM-DD`, local.
    pub date: String,
    /// `HH:MM`, local.
    pub time: Option<String>,
    /// The secretariat's UTC offset the date and time are in, e.g. `-06:00`.
    pub utc_offset: String,
    pub place: Option<String>,
    pub link: Option<String>,
    pub description: Option<String>,
    pub commitment_number: Option<i64>,
    pub commitment_title: Option<String>,
    /// `programada` or `cancelada`.
    pub status: String,
    pub cancel_reason: Option<String>,
    /// Whether its date is today or later (at the secretariat's offset).
    pub upcoming: bool,
    /// Epoch milliseconds of its last change.
    pub updated_at: i64,
}

/// Path of an activity.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ActivityPath {
    /// The activity's id.
    pub id: String,
}

#[derive(Debug, sqlx::FromRow)]
struct ActivityRow {
    id: String,
    secretariat_id: String,
    number: i64,
    title: String,
    held_on: String,
    start_time: Option<String>,
    place: Option<String>,
    link: Option<String>,
    description: Option<String>,
    commitment_number: Option<i64>,
    commitment_title: Option<String>,
    status: String,
    cancel_reason: Option<String>,
    updated_at: i64,
}

/// The columns of [`ActivityRow`] (`a`: activities, `c`: commitments).
const SELECT: &str = "SELECT a.id, a.secretariat_id, a.number, a.title, a.held_on, a.start_time, a.place, a.link, a.description,
    a.commitment_number, c.title AS commitment_title, a.status, a.cancel_reason, a.updated_at
    FROM activities a LEFT JOIN commitments c ON c.secretariat_id = a.secretariat_id AND c.number = a.commitment_number";

struct Checked {
    title: String,
    date: String,
    time: Option<String>,
    place: Option<String>,
    link: Option<String>,
    description: Option<String>,
    commitment_number: Option<i64>,
}

/// `+HH:MM` / `-HH:MM` of an offset in minutes.
pub fn offset_text(minutes: i64) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

/// A web address: `http(s)://`, no spaces or quotes, at most 500 characters.
fn web_link(value: Option<&str>) -> ApiResult<Option<String>> {
    let Some(url) = value.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && url.len() <= 500
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>');
    if ok {
        Ok(Some(url.to_string()))
    } else {
        Err(ApiError::Unprocessable(format!(
            "`link`: «{}» no es una dirección web. Escriba la dirección completa, que empiece con https:// y sin espacios, o déjela vacía.",
            edge::shorten(url)
        )))
    }
}

async fn checked(
    conn: &mut AnyConnection,
    secretariat_id: &str,
    body: &ActivityInput,
) -> ApiResult<Checked> {
    let title = edge::text("title", &body.title, 300)?;
    let date = edge::iso(edge::date("date", &body.date)?);
    let time = match body
        .time
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(t) => Some(edge::time_of_day("time", t)?),
        None => None,
    };
    let place = edge::optional_text("place", body.place.as_deref(), 300)?;
    let link = web_link(body.link.as_deref())?;
    if place.is_none() && link.is_none() {
        return Err(ApiError::Unprocessable(
            "Indique dónde será la actividad: un lugar (`place`), una liga (`link`) para asistir en línea, o ambos.".into(),
        ));
    }
    let description = edge::optional_text("description", body.description.as_deref(), 4000)?;
    if let Some(number) = body.commitment_number {
        let found: Option<(String,)> =
            sqlx::query_as("SELECT id FROM commitments WHERE secretariat_id = $1 AND number = $2")
                .bind(secretariat_id)
                .bind(number)
                .fetch_optional(&mut *conn)
                .await
                .or_unexpected("buscando el compromiso")?;
        if found.is_none() {
            return Err(ApiError::Unprocessable(format!(
                "`commitment_number`: no hay un compromiso número {number} en el Plan de Acción Local de este secretariado. Use el número de la lista de compromisos o déjelo vacío."
            )));
        }
    }
    Ok(Checked {
        title,
        date,
        time,
        place,
        link,
        description,
        commitment_number: body.commitment_number,
    })
}

fn view(row: ActivityRow, offset_minutes: i64) -> ActivityView {
    let today = edge::iso(edge::today(offset_minutes));
    ActivityView {
        upcoming: row.held_on >= today,
        utc_offset: offset_text(offset_minutes),
        id: row.id,
        number: row.number,
        title: row.title,
        date: row.held_on,
        time: row.start_time,
        place: row.place,
        link: row.link,
        description: row.description,
        commitment_number: row.commitment_number,
        commitment_title: row.commitment_title,
        status: row.status,
        cancel_reason: row.cancel_reason,
        updated_at: row.updated_at,
    }
}

/// A secretariat's activities by date and time.
async fn list(conn: &mut AnyConnection, secretariat_id: &str) -> ApiResult<Vec<ActivityView>> {
    let offset = offset_of(conn, secretariat_id).await?;
    let rows: Vec<ActivityRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE a.secretariat_id = $1 ORDER BY a.held_on, COALESCE(a.start_time, ''), a.number"
    )))
    .bind(secretariat_id)
    .fetch_all(&mut *conn)
    .await
    .or_unexpected("leyendo la agenda de actividades")?;
    Ok(rows.into_iter().map(|r| view(r, offset)).collect())
}

async fn one(conn: &mut AnyConnection, id: &str) -> ApiResult<Option<ActivityRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE a.id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .or_unexpected("leyendo la actividad")
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "No existe la actividad «{}». Consulte la agenda en GET /secretariats/{{id}}/activities.",
        edge::shorten(id)
    ))
}

/// Adds an activity to the agenda.
#[utoipa::path(
    post,
    path = "/secretariats/{id}/activities",
    tag = "agenda",
    summary = "Agrega una actividad a la agenda pública del secretariado (000 V.10 b)",
    params(SecretariatPath),
    request_body = ActivityInput,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Actividad agregada", body = ActivityView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
        (status = 422, description = "Datos no válidos", body = Problem),
    )
)]
pub async fn create_activity(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
    Json(body): Json<ActivityInput>,
) -> ApiResult<(Json<ActivityView>, StatusCode)> {
    ensure_secretariat(&caller, &path.id)?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let offset = offset_of(&mut tx, &path.id).await?;
    let c = checked(&mut tx, &path.id, &body).await?;
    let (number,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM activities WHERE secretariat_id = $1",
    )
    .bind(&path.id)
    .fetch_one(&mut *tx)
    .await
    .or_unexpected("numerando la actividad")?;
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO activities (id, secretariat_id, number, title, held_on, start_time, place, link, description, commitment_number, status, cancel_reason, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'programada', NULL, $11, $11)",
    )
    .bind(&id)
    .bind(&path.id)
    .bind(number)
    .bind(&c.title)
    .bind(&c.date)
    .bind(&c.time)
    .bind(&c.place)
    .bind(&c.link)
    .bind(&c.description)
    .bind(c.commitment_number)
    .bind(now)
    .execute(&mut *tx)
    .await
    .or_unexpected("guardando la actividad")?;
    ctx.audit(
        &mut tx,
        &caller,
        "actividad.agregar",
        Some(&id),
        json!({ "numero": number, "titulo": c.title, "fecha": c.date, "hora": c.time }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let row = one(&mut tx, &id).await?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    let row = row.ok_or_else(|| {
        ApiError::Unexpected(anyhow::anyhow!("actividad recién creada no encontrada"))
    })?;
    Ok((Json(view(row, offset)), StatusCode::CREATED))
}

/// The agenda of a secretariat (members).
#[utoipa::path(
    get,
    path = "/secretariats/{id}/activities",
    tag = "agenda",
    summary = "Lista la agenda de actividades por fecha, con las canceladas",
    params(SecretariatPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Las actividades", body = Vec<ActivityView>),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "No pertenece a ese secretariado", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
    )
)]
pub async fn list_activities(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
) -> ApiResult<Json<Vec<ActivityView>>> {
    ensure_secretariat(&caller, &path.id)?;
    let mut conn = connection(&ctx).await?;
    Ok(Json(list(&mut conn, &path.id).await?))
}

/// Edits an activity (all its fields, as when it was added).
#[utoipa::path(
    put,
    path = "/activities/{id}",
    tag = "agenda",
    summary = "Modifica una actividad de la agenda (no una cancelada)",
    params(ActivityPath),
    request_body = ActivityInput,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "La actividad modificada", body = ActivityView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador", body = Problem),
        (status = 404, description = "No existe la actividad", body = Problem),
        (status = 422, description = "Datos no válidos, o la actividad está cancelada", body = Problem),
    )
)]
pub async fn update_activity(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<ActivityPath>,
    Json(body): Json<ActivityInput>,
) -> ApiResult<Json<ActivityView>> {
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let before = one(&mut tx, &path.id)
        .await?
        .ok_or_else(|| not_found(&path.id))?;
    if ensure_secretariat(&caller, &before.secretariat_id).is_err() {
        return Err(not_found(&path.id));
    }
    if before.status == "cancelada" {
        return Err(ApiError::Unprocessable(format!(
            "La actividad {} está cancelada y ya no se modifica: sigue publicada como cancelada. Si se reprograma, agréguela de nuevo.",
            before.number
        )));
    }
    let c = checked(&mut tx, &before.secretariat_id, &body).await?;
    sqlx::query(
        "UPDATE activities SET title = $1, held_on = $2, start_time = $3, place = $4, link = $5, description = $6, commitment_number = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(&c.title)
    .bind(&c.date)
    .bind(&c.time)
    .bind(&c.place)
    .bind(&c.link)
    .bind(&c.description)
    .bind(c.commitment_number)
    .bind(now)
    .bind(&path.id)
    .execute(&mut *tx)
    .await
    .or_unexpected("guardando la actividad")?;
    ctx.audit(
        &mut tx,
        &caller,
        "actividad.modificar",
        Some(&path.id),
        json!({
            "numero": before.number,
            "titulo": c.title, "fecha": c.date, "hora": c.time, "lugar": c.place, "liga": c.link,
            "anterior": { "titulo": before.title, "fecha": before.held_on, "hora": before.start_time, "lugar": before.place, "liga": before.link },
        }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    committed_view(tx, &path.id, &before.secretariat_id).await
}

/// Cancels an activity: it stays published, as cancelled.
#[utoipa::path(
    post,
    path = "/activities/{id}/cancellation",
    tag = "agenda",
    summary = "Cancela una actividad: sigue publicada en la agenda como cancelada, con su motivo",
    params(ActivityPath),
    request_body = ActivityCancellation,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "La actividad cancelada", body = ActivityView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador", body = Problem),
        (status = 404, description = "No existe la actividad", body = Problem),
        (status = 422, description = "Motivo demasiado largo, o ya estaba cancelada", body = Problem),
    )
)]
pub async fn cancel_activity(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<ActivityPath>,
    Json(body): Json<ActivityCancellation>,
) -> ApiResult<Json<ActivityView>> {
    let reason = edge::optional_text("reason", body.reason.as_deref(), 1000)?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let before = one(&mut tx, &path.id)
        .await?
        .ok_or_else(|| not_found(&path.id))?;
    if ensure_secretariat(&caller, &before.secretariat_id).is_err() {
        return Err(not_found(&path.id));
    }
    if before.status == "cancelada" {
        return Err(ApiError::Unprocessable(format!(
            "La actividad {} ya estaba cancelada.",
            before.number
        )));
    }
    sqlx::query(
        "UPDATE activities SET status = 'cancelada', cancel_reason = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(&reason)
    .bind(now)
    .bind(&path.id)
    .execute(&mut *tx)
    .await
    .or_unexpected("cancelando la actividad")?;
    ctx.audit(
        &mut tx,
        &caller,
        "actividad.cancelar",
        Some(&path.id),
        json!({ "numero": before.number, "titulo": before.title, "motivo": reason }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    committed_view(tx, &path.id, &before.secretariat_id).await
}

/// The agenda of a secretariat, for the public site (section b).
#[utoipa::path(
    get,
    path = "/public/secretariats/{slug}/activities",
    tag = "publico",
    summary = "Consulta la agenda de actividades del secretariado por fecha, con las canceladas (sin iniciar sesión)",
    params(SlugPath),
    responses(
        (status = 200, description = "Las actividades", body = Vec<ActivityView>),
        (status = 404, description = "No hay un secretariado con ese nombre público", body = Problem),
    )
)]
pub async fn public_activities(
    State(ctx): State<ServiceContext>,
    Path(path): Path<SlugPath>,
) -> ApiResult<Json<Vec<ActivityView>>> {
    ensure_slugs(&ctx).await?;
    let mut conn = connection(&ctx).await?;
    let id = secretariat_by_slug(&mut conn, &path.slug).await?;
    Ok(Json(list(&mut conn, &id).await?))
}

/// Reads activity `id` back as its secretariat shows it, then commits `tx`
/// (the end of every change to an activity).
async fn committed_view(
    mut tx: sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    secretariat_id: &str,
) -> ApiResult<Json<ActivityView>> {
    let offset = offset_of(&mut tx, secretariat_id).await?;
    let row = one(&mut tx, id).await?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    row.map(|r| Json(view(r, offset)))
        .ok_or_else(|| not_found(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_links_read_as_written() {
        assert_eq!(offset_text(-360), "-06:00");
        assert_eq!(offset_text(330), "+05:30");
        assert_eq!(offset_text(0), "+00:00");
        assert!(
            web_link(Some("https://meet.example.mx/foro"))
                .unwrap()
                .is_some()
        );
        assert!(web_link(Some("   ")).unwrap().is_none());
        for bad in [
            "meet.example.mx",
            "https://",
            "https://a b.mx",
            "javascript:alert(1)",
        ] {
            assert!(web_link(Some(bad)).is_err(), "{bad}");
        }
    }
}
