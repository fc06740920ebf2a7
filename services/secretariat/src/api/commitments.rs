//! The Local Action Plan's commitments and their milestones (000 IV.1–3):
//! the President and the facilitator maintain them; members read them; the
//! public site publishes them (section b, 000 V.10). Each change is audited.

use rubrica_platform::OrUnexpected;
use rubrica_platform::State;
use rubrica_platform::db::now_ms;
use rubrica_platform::error::{Json, Path};
use rubrica_platform::http::StatusCode;
use rubrica_platform::{ApiError, ApiResult, Caller, Problem, ServiceContext};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, FromRow};
use time::Date;
use utoipa::{IntoParams, ToSchema};

use super::edge;
use super::public::{SlugPath, connection, ensure_slugs, secretariat_by_slug};
use super::roster::{Roster, ensure_secretariat};
use super::secretariats::SecretariatPath;

/// 000 IV.1–3: the secretariat follows up the Local Action Plan's
/// commitments and reports on them. A commitment's progress is the
/// weighted mean of its milestones' progress (percent, rounded down); its
/// light compares that progress with the share of its time already spent:
/// `cumplido` at 100 %, `rojo` when overdue or 30 points or more behind,
/// `amarillo` when 10 to 29 points behind, `verde` otherwise.
pub fn roll_up(
    milestones: &[(i64, i64)],
    starts_on: Date,
    due_on: Date,
    today: Date,
) -> (i64, &'static str, String) {
    let total: i64 = milestones.iter().map(|(w, _)| w.max(&0)).sum();
    let progress = if total == 0 {
        0
    } else {
        milestones
            .iter()
            .map(|(w, p)| w.max(&0) * p.clamp(&0, &100))
            .sum::<i64>()
            / total
    };
    let span = (due_on - starts_on).whole_days().max(1);
    let elapsed = (today - starts_on).whole_days().clamp(0, span);
    let expected = elapsed * 100 / span;
    let (light, why) = if progress >= 100 {
        ("cumplido", "compromiso cumplido".to_string())
    } else if today > due_on {
        (
            "rojo",
            format!("venció el {} con {progress} % de avance", edge::iso(due_on)),
        )
    } else if expected - progress >= 30 {
        (
            "rojo",
            format!("{progress} % de avance; a la fecha se esperaba {expected} %"),
        )
    } else if expected - progress >= 10 {
        (
            "amarillo",
            format!("{progress} % de avance; a la fecha se esperaba {expected} %"),
        )
    } else {
        (
            "verde",
            format!("{progress} % de avance; a la fecha se esperaba {expected} %"),
        )
    };
    (progress, light, format!("{why} (000 IV.1–3)"))
}

/// A milestone as it is created.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMilestone {
    pub title: String,
    /// Its share of the commitment, 1 to 100 (default 1: equal shares).
    #[serde(default)]
    pub weight: Option<i64>,
    /// `AAAA-MM-DD`.
    #[serde(default)]
    pub due_on: Option<String>,
}

/// What creates a commitment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommitment {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The seat responsible for it.
    #[serde(default)]
    pub responsible_seat: Option<String>,
    /// `AAAA-MM-DD`.
    pub starts_on: String,
    /// `AAAA-MM-DD`.
    pub due_on: String,
    /// One to thirty milestones.
    pub milestones: Vec<NewMilestone>,
}

/// A milestone as the API shows it (and as its row reads).
#[derive(Debug, Serialize, Deserialize, ToSchema, FromRow)]
pub struct MilestoneView {
    pub id: String,
    pub position: i64,
    pub title: String,
    pub weight: i64,
    pub due_on: Option<String>,
    /// 0 to 100.
    pub progress: i64,
    pub note: Option<String>,
}

/// A commitment with its milestones and its roll-up.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommitmentView {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub description: Option<String>,
    pub responsible_seat: Option<String>,
    pub responsible_seat_name: Option<String>,
    pub starts_on: String,
    pub due_on: String,
    /// Weighted progress of its milestones, 0 to 100.
    pub progress: i64,
    /// `verde`, `amarillo`, `rojo` or `cumplido`.
    pub light: String,
    /// Why, in Spanish, with the clause.
    pub explanation: String,
    pub milestones: Vec<MilestoneView>,
}

/// A milestone's progress.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneUpdate {
    /// 0 to 100.
    pub progress: i64,
    #[serde(default)]
    pub note: Option<String>,
}

/// Path of a milestone.
#[derive(Debug, Deserialize, IntoParams)]
pub struct MilestonePath {
    /// The milestone's id.
    pub id: String,
}

/// Creates a commitment of the Local Action Plan with its milestones.
#[utoipa::path(
    post,
    path = "/secretariats/{id}/commitments",
    tag = "compromisos",
    summary = "Registra un compromiso del Plan de Acción Local con sus hitos (000 IV.1–3)",
    params(SecretariatPath),
    request_body = NewCommitment,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Compromiso registrado", body = CommitmentView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
        (status = 422, description = "Datos no válidos", body = Problem),
    )
)]
pub async fn create_commitment(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
    Json(body): Json<NewCommitment>,
) -> ApiResult<(Json<CommitmentView>, StatusCode)> {
    ensure_secretariat(&caller, &path.id)?;
    let title = edge::text("title", &body.title, 300)?;
    let description = edge::optional_text("description", body.description.as_deref(), 4000)?;
    let starts_on = edge::date("starts_on", &body.starts_on)?;
    let due_on = edge::date("due_on", &body.due_on)?;
    if due_on <= starts_on {
        return Err(ApiError::Unprocessable(
            "`due_on` debe ser posterior a `starts_on`: un compromiso termina después de empezar."
                .into(),
        ));
    }
    if body.milestones.is_empty() || body.milestones.len() > 30 {
        return Err(ApiError::Unprocessable(
            "Un compromiso tiene de 1 a 30 hitos (`milestones`): con ellos se mide su avance."
                .into(),
        ));
    }
    let mut milestones = Vec::new();
    for (i, m) in body.milestones.iter().enumerate() {
        let title = edge::text(&format!("milestones[{i}].title"), &m.title, 300)?;
        let weight = m.weight.unwrap_or(1);
        if !(1..=100).contains(&weight) {
            return Err(ApiError::Unprocessable(format!(
                "`milestones[{i}].weight` va de 1 a 100 (su peso en el avance del compromiso)."
            )));
        }
        let due = m
            .due_on
            .as_deref()
            .map(|d| edge::date(&format!("milestones[{i}].due_on"), d))
            .transpose()?;
        milestones.push((title, weight, due));
    }
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let roster = Roster::load(&mut tx, &path.id).await?;
    let seat = match body
        .responsible_seat
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(seat) => Some(
            roster
                .secretariat
                .config
                .seat(seat)
                .map(|s| s.id.to_string())
                .ok_or_else(|| {
                    ApiError::Unprocessable(format!(
                        "`responsible_seat`: el asiento «{}» no existe. Use uno de: {}.",
                        edge::shorten(seat),
                        roster.secretariat.config.seat_list()
                    ))
                })?,
        ),
        None => None,
    };
    let (number,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM commitments WHERE secretariat_id = $1",
    )
    .bind(&path.id)
    .fetch_one(&mut *tx)
    .await
    .or_unexpected("numerando el compromiso")?;
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO commitments (id, secretariat_id, number, title, description, responsible_seat, starts_on, due_on, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&id)
    .bind(&path.id)
    .bind(number)
    .bind(&title)
    .bind(&description)
    .bind(&seat)
    .bind(edge::iso(starts_on))
    .bind(edge::iso(due_on))
    .bind(now)
    .execute(&mut *tx)
    .await
    .or_unexpected("guardando el compromiso")?;
    for (position, (title, weight, due)) in milestones.iter().enumerate() {
        sqlx::query(
            "INSERT INTO commitment_milestones (id, commitment_id, position, title, weight, due_on, progress, note, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, NULL, $7)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(&id)
        .bind(position as i64 + 1)
        .bind(title)
        .bind(weight)
        .bind(due.map(edge::iso))
        .bind(now)
        .execute(&mut *tx)
        .await
        .or_unexpected("guardando los hitos")?;
    }
    ctx.audit(
        &mut tx,
        &caller,
        "compromiso.registrar",
        Some(&id),
        json!({ "numero": number, "titulo": title, "hitos": milestones.len() }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let view = load(&mut tx, &roster, Some(&id)).await?.pop();
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    let view = view.ok_or_else(|| {
        ApiError::Unexpected(anyhow::anyhow!("compromiso recién creado no encontrado"))
    })?;
    Ok((Json(view), StatusCode::CREATED))
}

/// The commitments of a secretariat (members).
#[utoipa::path(
    get,
    path = "/secretariats/{id}/commitments",
    tag = "compromisos",
    summary = "Lista los compromisos del Plan de Acción Local con sus hitos, su avance y su semáforo",
    params(SecretariatPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Los compromisos", body = Vec<CommitmentView>),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "No pertenece a ese secretariado", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
    )
)]
pub async fn list_commitments(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
) -> ApiResult<Json<Vec<CommitmentView>>> {
    ensure_secretariat(&caller, &path.id)?;
    let mut conn = connection(&ctx).await?;
    let roster = Roster::load(&mut conn, &path.id).await?;
    Ok(Json(load(&mut conn, &roster, None).await?))
}

/// The commitments of a secretariat, for the public site (section b).
#[utoipa::path(
    get,
    path = "/public/secretariats/{slug}/commitments",
    tag = "publico",
    summary = "Consulta el avance público de los compromisos del Plan de Acción Local (sin iniciar sesión)",
    params(SlugPath),
    responses(
        (status = 200, description = "Los compromisos", body = Vec<CommitmentView>),
        (status = 404, description = "No hay un secretariado con ese nombre público", body = Problem),
    )
)]
pub async fn public_commitments(
    State(ctx): State<ServiceContext>,
    Path(path): Path<SlugPath>,
) -> ApiResult<Json<Vec<CommitmentView>>> {
    ensure_slugs(&ctx).await?;
    let mut conn = connection(&ctx).await?;
    let id = secretariat_by_slug(&mut conn, &path.slug).await?;
    let roster = Roster::load(&mut conn, &id).await?;
    Ok(Json(load(&mut conn, &roster, None).await?))
}

/// Records a milestone's progress.
#[utoipa::path(
    patch,
    path = "/milestones/{id}",
    tag = "compromisos",
    summary = "Registra el avance de un hito (0 a 100 %); el del compromiso se recalcula",
    params(MilestonePath),
    request_body = MilestoneUpdate,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "El compromiso con su nuevo avance", body = CommitmentView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe el hito", body = Problem),
        (status = 422, description = "Avance fuera de 0 a 100", body = Problem),
    )
)]
pub async fn update_milestone(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<MilestonePath>,
    Json(body): Json<MilestoneUpdate>,
) -> ApiResult<Json<CommitmentView>> {
    if !(0..=100).contains(&body.progress) {
        return Err(ApiError::Unprocessable(
            "`progress` va de 0 a 100 (porcentaje de avance del hito).".into(),
        ));
    }
    let note = edge::optional_text("note", body.note.as_deref(), 2000)?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let not_found = || {
        ApiError::NotFound(format!(
            "No existe el hito «{}». Consulte los compromisos en GET /secretariats/{{id}}/commitments.",
            edge::shorten(&path.id)
        ))
    };
    let (commitment, secretariat): (String, String) = sqlx::query_as(
        "SELECT c.id, c.secretariat_id FROM commitment_milestones m JOIN commitments c ON c.id = m.commitment_id WHERE m.id = $1",
    )
    .bind(&path.id)
    .fetch_optional(&mut *tx)
    .await
    .or_unexpected("leyendo el hito")?
    .ok_or_else(not_found)?;
    if ensure_secretariat(&caller, &secretariat).is_err() {
        return Err(not_found());
    }
    sqlx::query(
        "UPDATE commitment_milestones SET progress = $1, note = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(body.progress)
    .bind(&note)
    .bind(now)
    .bind(&path.id)
    .execute(&mut *tx)
    .await
    .or_unexpected("guardando el avance")?;
    sqlx::query("UPDATE commitments SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&commitment)
        .execute(&mut *tx)
        .await
        .or_unexpected("guardando el compromiso")?;
    ctx.audit(
        &mut tx,
        &caller,
        "compromiso.avance",
        Some(&path.id),
        json!({ "compromiso": commitment, "avance": body.progress, "nota": note }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let roster = Roster::load(&mut tx, &secretariat).await?;
    let view = load(&mut tx, &roster, Some(&commitment)).await?.pop();
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    view.map(Json).ok_or_else(not_found)
}

/// A commitment as stored.
#[derive(FromRow)]
struct CommitmentRow {
    id: String,
    number: i64,
    title: String,
    description: Option<String>,
    responsible_seat: Option<String>,
    starts_on: String,
    due_on: String,
}

/// The commitments of `roster`'s secretariat (or one), with their roll-up.
async fn load(
    conn: &mut AnyConnection,
    roster: &Roster,
    only: Option<&str>,
) -> ApiResult<Vec<CommitmentView>> {
    let rows: Vec<CommitmentRow> = sqlx::query_as(
        "SELECT id, number, title, description, responsible_seat, starts_on, due_on
         FROM commitments WHERE secretariat_id = $1 AND ($2 = '' OR id = $2) ORDER BY number",
    )
    .bind(&roster.secretariat.id)
    .bind(only.unwrap_or_default())
    .fetch_all(&mut *conn)
    .await
    .or_unexpected("leyendo los compromisos")?;
    let today = edge::today(roster.secretariat.utc_offset_minutes);
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let milestones: Vec<MilestoneView> = sqlx::query_as(
            "SELECT id, position, title, weight, due_on, progress, note FROM commitment_milestones
             WHERE commitment_id = $1 ORDER BY position",
        )
        .bind(&r.id)
        .fetch_all(&mut *conn)
        .await
        .or_unexpected("leyendo los hitos")?;
        let (start, due) = (
            edge::date("starts_on", &r.starts_on)?,
            edge::date("due_on", &r.due_on)?,
        );
        let weights: Vec<(i64, i64)> = milestones.iter().map(|m| (m.weight, m.progress)).collect();
        let (progress, light, explanation) = roll_up(&weights, start, due, today);
        out.push(CommitmentView {
            responsible_seat_name: r
                .responsible_seat
                .as_deref()
                .and_then(|s| roster.secretariat.config.seat(s))
                .map(|s| s.name.clone()),
            id: r.id,
            number: r.number,
            title: r.title,
            description: r.description,
            responsible_seat: r.responsible_seat,
            starts_on: r.starts_on,
            due_on: r.due_on,
            progress,
            light: light.to_string(),
            explanation,
            milestones,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn progress_rolls_up_by_weight_and_the_light_compares_it_with_the_time_spent() {
        let (start, due) = (date!(2026 - 01 - 01), date!(2026 - 12 - 31));
        // Weights 3 and 1: 100 % of the first and 0 % of the second is 75 %.
        let (p, light, why) = roll_up(&[(3, 100), (1, 0)], start, due, date!(2026 - 07 - 01));
        assert_eq!(p, 75);
        assert_eq!(light, "verde", "{why}");
        assert!(why.contains("000 IV.1–3"));
        // 1 July: 49 % of the time spent. 20 % done is 29 points behind
        // (amarillo), 19 % is 30 (rojo).
        let (_, light, _) = roll_up(&[(1, 20)], start, due, date!(2026 - 07 - 01));
        assert_eq!(light, "amarillo");
        let (_, light, _) = roll_up(&[(1, 19)], start, due, date!(2026 - 07 - 01));
        assert_eq!(light, "rojo");
        let (_, light, _) = roll_up(&[(1, 35)], start, due, date!(2026 - 07 - 01));
        assert_eq!(light, "amarillo");
        // Overdue and not done is rojo; done is cumplido whenever it is.
        let (_, light, why) = roll_up(&[(1, 90)], start, due, date!(2027 - 01 - 15));
        assert_eq!(light, "rojo");
        assert!(why.contains("venció"));
        let (p, light, _) = roll_up(&[(2, 100), (5, 100)], start, due, date!(2027 - 01 - 15));
        assert_eq!((p, light), (100, "cumplido"));
        // Before it starts, nothing is expected yet.
        let (_, light, _) = roll_up(&[(1, 0)], start, due, date!(2025 - 12 - 01));
        assert_eq!(light, "verde");
    }
}
