//! Invited members' projects and their periodic progress reports (000
//! VIII.2–4): an invited member is designated for the life of a project
//! (`designations.project`, its end in `ends_on`); they report its progress
//! from time to time — the period reported, what was done, a percentage or
//! a milestone reached, optionally a link to the evidence —, the members
//! read the reports and the public site publishes them (section b, 000
//! V.10). Each report is audited and only added, never edited.
//!
//! A project is named by its designation's id. The invited member's name is
//! published (they act publicly in the secretariat); their RFC and email
//! never are.

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

use super::db;
use super::edge;
use super::model::Post;
use super::public::{SlugPath, connection, ensure_slugs, secretariat_by_slug};
use super::roster::{Roster, ensure_secretariat};
use super::secretariats::SecretariatPath;

/// A progress report as the invited member files it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProjectReport {
    /// Last day of the period reported, `AAAA-MM-DD` (not in the future,
    /// within the project).
    pub period_ending: String,
    /// What was done in the period (up to 4,000 characters).
    pub summary: String,
    /// The project's progress at the end of the period, 0 to 100 (give it,
    /// a milestone, or both).
    #[serde(default)]
    pub progress: Option<i64>,
    /// A milestone reached in the period (up to 300 characters).
    #[serde(default)]
    pub milestone: Option<String>,
    /// Where to see the work or its evidence (`https://…`, up to 500 characters).
    #[serde(default)]
    pub link: Option<String>,
}

/// A progress report as the API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProjectReportView {
    pub id: String,
    /// Last day of the period reported, `AAAA-MM-DD`.
    pub period_ending: String,
    pub summary: String,
    /// 0 to 100, when given.
    pub progress: Option<i64>,
    pub milestone: Option<String>,
    pub link: Option<String>,
    /// The day it was filed, `AAAA-MM-DD` (the secretariat's date).
    pub filed_on: String,
}

/// An invited member's project with its reports, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProjectView {
    /// The project's id: its invited member's designation.
    pub id: String,
    /// The invited member (members' views only; not published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    /// The invited member's name (public: they act publicly).
    pub member_name: String,
    /// The project (000 VIII.2).
    pub project: String,
    /// First day, `AAAA-MM-DD`.
    pub starts_on: String,
    /// The project's end date, `AAAA-MM-DD` (000 VIII.4).
    pub ends_on: Option<String>,
    /// `por_iniciar`, `en_curso` or `concluido`.
    pub status: String,
    /// The latest progress reported (percent), if any report gave one.
    pub progress: Option<i64>,
    /// Newest period first.
    pub reports: Vec<ProjectReportView>,
}

/// Path of a project (its designation's id).
#[derive(Debug, Deserialize, IntoParams)]
pub struct ProjectPath {
    /// The project's id (the invited member's designation).
    pub id: String,
}

/// A row of `project_reports`.
#[derive(sqlx::FromRow)]
struct ReportRow {
    id: String,
    designation_id: String,
    period_ending: String,
    summary: String,
    progress: Option<i64>,
    milestone: Option<String>,
    link: Option<String>,
    filed_at: i64,
}

/// `http(s)://` with no spaces nor control characters.
fn link(value: Option<&str>) -> ApiResult<Option<String>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let lower = value.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    let host_ok = value
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or_default())
        .is_some_and(|host| !host.is_empty());
    if !scheme_ok
        || !host_ok
        || value.chars().count() > 500
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ApiError::Unprocessable(format!(
            "`link` no es una dirección web válida («{}»). Escriba una dirección completa que empiece con https://, sin espacios, de hasta 500 caracteres, o déjelo vacío.",
            edge::shorten(value)
        )));
    }
    Ok(Some(value.to_string()))
}

/// Files a progress report on the caller's own project.
#[utoipa::path(
    post,
    path = "/projects/{id}/reports",
    tag = "proyectos",
    summary = "Informa el avance periódico del proyecto de un miembro invitado (000 VIII.2–4); solo su miembro invitado",
    params(ProjectPath),
    request_body = NewProjectReport,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Informe registrado; el proyecto con sus informes", body = ProjectView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo el miembro invitado a cargo del proyecto", body = Problem),
        (status = 404, description = "No existe el proyecto", body = Problem),
        (status = 409, description = "El proyecto todavía no empieza o ya concluyó", body = Problem),
        (status = 422, description = "Datos no válidos", body = Problem),
    )
)]
pub async fn create_report(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<ProjectPath>,
    Json(body): Json<NewProjectReport>,
) -> ApiResult<(Json<ProjectView>, StatusCode)> {
    let summary = edge::text("summary", &body.summary, 4_000)?;
    let milestone = edge::optional_text("milestone", body.milestone.as_deref(), 300)?;
    let link = link(body.link.as_deref())?;
    if let Some(p) = body.progress
        && !(0..=100).contains(&p)
    {
        return Err(ApiError::Unprocessable(
            "`progress` va de 0 a 100 (porcentaje de avance del proyecto).".into(),
        ));
    }
    if body.progress.is_none() && milestone.is_none() {
        return Err(ApiError::Unprocessable(
            "Indique el avance del proyecto en porcentaje (`progress`, de 0 a 100), el hito alcanzado (`milestone`) o ambos.".into(),
        ));
    }
    let period_ending = edge::date("period_ending", &body.period_ending)?;
    let not_found = || {
        ApiError::NotFound(format!(
            "No existe el proyecto «{}». Consulte los proyectos en GET /secretariats/{{id}}/projects.",
            edge::shorten(&path.id)
        ))
    };
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let designation = db::designation(&mut tx, &path.id)
        .await
        .or_unexpected("leyendo el proyecto")?
        .filter(|d| d.post == Post::Invited && d.project.is_some())
        .ok_or_else(not_found)?;
    if caller.secretariat_id.as_deref() != Some(designation.secretariat_id.as_str()) {
        return Err(not_found());
    }
    if caller.member_id.as_deref() != Some(designation.member_id.as_str()) {
        return Err(ApiError::Forbidden(
            "Solo el miembro invitado a cargo de este proyecto informa su avance (000 VIII.2–4). Si es su proyecto, entre con su propia cuenta.".into(),
        ));
    }
    let roster = Roster::load(&mut tx, &designation.secretariat_id).await?;
    let today = edge::today(roster.secretariat.utc_offset_minutes);
    if !designation.active_on(today) {
        return Err(ApiError::Conflict(format!(
            "El proyecto no está en curso hoy ({}): se informa entre su inicio ({}) y su término{}.",
            edge::iso(today),
            edge::iso(designation.starts_on),
            designation
                .ends_on
                .map(|e| format!(" ({})", edge::iso(e)))
                .unwrap_or_default()
        )));
    }
    if period_ending > today {
        return Err(ApiError::Unprocessable(format!(
            "`period_ending` ({}) está en el futuro: informe un periodo que ya terminó, a más tardar hoy ({}).",
            edge::iso(period_ending),
            edge::iso(today)
        )));
    }
    if period_ending < designation.starts_on {
        return Err(ApiError::Unprocessable(format!(
            "`period_ending` ({}) es anterior al inicio del proyecto ({}). Corrija la fecha.",
            edge::iso(period_ending),
            edge::iso(designation.starts_on)
        )));
    }
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO project_reports (id, secretariat_id, designation_id, period_ending, summary, progress, milestone, link, filed_at, filed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(&designation.secretariat_id)
    .bind(&designation.id)
    .bind(edge::iso(period_ending))
    .bind(&summary)
    .bind(body.progress)
    .bind(&milestone)
    .bind(&link)
    .bind(now_ms())
    .bind(&caller.actor_id)
    .execute(&mut *tx)
    .await
    .or_unexpected("guardando el informe")?;
    ctx.audit(
        &mut tx,
        &caller,
        "proyecto.informe",
        Some(&id),
        json!({
            "proyecto": designation.id,
            "periodo": edge::iso(period_ending),
            "avance": body.progress,
            "hito": milestone,
        }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let view = load(&mut tx, &roster, Some(&designation.id), true)
        .await?
        .pop();
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    view.map(|v| (Json(v), StatusCode::CREATED))
        .ok_or_else(not_found)
}

/// The invited members' projects of a secretariat (members).
#[utoipa::path(
    get,
    path = "/secretariats/{id}/projects",
    tag = "proyectos",
    summary = "Lista los proyectos de los miembros invitados con sus informes de avance, el más reciente primero",
    params(SecretariatPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Los proyectos", body = Vec<ProjectView>),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "No pertenece a ese secretariado", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
    )
)]
pub async fn list_projects(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
) -> ApiResult<Json<Vec<ProjectView>>> {
    ensure_secretariat(&caller, &path.id)?;
    let mut conn = connection(&ctx).await?;
    let roster = Roster::load(&mut conn, &path.id).await?;
    Ok(Json(load(&mut conn, &roster, None, true).await?))
}

/// The invited members' projects, for the public site (section b).
#[utoipa::path(
    get,
    path = "/public/secretariats/{slug}/projects",
    tag = "publico",
    summary = "Consulta los proyectos de los miembros invitados, su fecha de término y sus informes de avance (sin iniciar sesión)",
    params(SlugPath),
    responses(
        (status = 200, description = "Los proyectos", body = Vec<ProjectView>),
        (status = 404, description = "No hay un secretariado con ese nombre público", body = Problem),
    )
)]
pub async fn public_projects(
    State(ctx): State<ServiceContext>,
    Path(path): Path<SlugPath>,
) -> ApiResult<Json<Vec<ProjectView>>> {
    ensure_slugs(&ctx).await?;
    let mut conn = connection(&ctx).await?;
    let id = secretariat_by_slug(&mut conn, &path.slug).await?;
    let roster = Roster::load(&mut conn, &id).await?;
    Ok(Json(load(&mut conn, &roster, None, false).await?))
}

/// The projects of `roster`'s secretariat (or one): current ones first,
/// then by start, newest first; each with its reports, newest period first.
async fn load(
    conn: &mut AnyConnection,
    roster: &Roster,
    only: Option<&str>,
    with_member: bool,
) -> ApiResult<Vec<ProjectView>> {
    let reports: Vec<ReportRow> = sqlx::query_as(
        "SELECT id, designation_id, period_ending, summary, progress, milestone, link, filed_at
         FROM project_reports WHERE secretariat_id = $1 AND ($2 = '' OR designation_id = $2)
         ORDER BY period_ending DESC, filed_at DESC, id DESC",
    )
    .bind(&roster.secretariat.id)
    .bind(only.unwrap_or_default())
    .fetch_all(&mut *conn)
    .await
    .or_unexpected("leyendo los informes de los proyectos")?;
    let offset = roster.secretariat.utc_offset_minutes;
    let today = edge::today(offset);
    let mut projects: Vec<ProjectView> = roster
        .designations
        .iter()
        .filter(|d| d.post == Post::Invited && only.is_none_or(|o| o == d.id))
        .filter_map(|d| {
            let project = d.project.clone()?;
            let reports: Vec<ProjectReportView> = reports
                .iter()
                .filter(|r| r.designation_id == d.id)
                .map(|r| ProjectReportView {
                    id: r.id.clone(),
                    period_ending: r.period_ending.clone(),
                    summary: r.summary.clone(),
                    progress: r.progress,
                    milestone: r.milestone.clone(),
                    link: r.link.clone(),
                    filed_on: edge::iso(edge::local_date(r.filed_at, offset)),
                })
                .collect();
            let status = if today < d.starts_on {
                "por_iniciar"
            } else if d.ends_on.is_some_and(|e| today > e) {
                "concluido"
            } else {
                "en_curso"
            };
            Some(ProjectView {
                id: d.id.clone(),
                member_id: with_member.then(|| d.member_id.clone()),
                member_name: roster.name(&d.member_id).to_string(),
                project,
                starts_on: edge::iso(d.starts_on),
                ends_on: d.ends_on.map(edge::iso),
                status: status.to_string(),
                progress: reports.iter().find_map(|r| r.progress),
                reports,
            })
        })
        .collect();
    projects.sort_by(|a, b| {
        (a.status == "concluido", &b.starts_on).cmp(&(b.status == "concluido", &a.starts_on))
    });
    Ok(projects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_a_whole_web_address_or_nothing() {
        assert_eq!(link(None).unwrap(), None);
        assert_eq!(link(Some("  ")).unwrap(), None);
        assert_eq!(
            link(Some("https://datos.example.mx/obra"))
                .unwrap()
                .as_deref(),
            Some("https://datos.example.mx/obra")
        );
        for bad in [
            "javascript:alert(1)",
            "ftp://x",
            "https://",
            "https://a b",
            "datos.example.mx",
        ] {
            assert!(link(Some(bad)).is_err(), "{bad}");
        }
    }
}
