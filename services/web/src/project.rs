//! Invited members' projects (000 VIII.2–4): «Mi proyecto», where an
//! invited member sees their project and files its periodic progress
//! report, and the console page where the President and the facilitator
//! read every project's reports. The secretariat checks again who may do
//! what and audits each report; these pages only ask it with the member's
//! own token. A refused report comes back with what was typed.

use super::*;

use crate::console::is_manager;
use crate::public::project_words;

pub(crate) const TEMPLATES: &[(&str, &str)] = &[
    (
        "proyecto.html",
        include_str!("../../../templates/web/proyecto.html"),
    ),
    (
        "stl/consola_proyectos.html",
        include_str!("../../../templates/web/stl/consola_proyectos.html"),
    ),
];

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/proyecto", web::get().to(my_project))
        .route("/proyecto/informes", web::post().to(file_report))
        .route("/consola/stl/proyectos", web::get().to(console_projects));
}

/// The API's field names as the form labels them.
const LABELS: &[(&str, &str)] = &[
    ("period_ending", "Periodo que informa (hasta el día)"),
    ("summary", "Qué se hizo en el periodo"),
    ("progress", "Avance del proyecto (%)"),
    ("milestone", "Hito alcanzado"),
    ("link", "Liga al trabajo o su evidencia"),
];

fn for_people(detail: &str) -> String {
    let mut text = detail.to_string();
    for (field, label) in LABELS {
        text = text.replace(&format!("`{field}`"), &format!("«{label}»"));
    }
    text
}

/// The secretariat's projects (members' view), or the page to answer.
async fn projects(
    inner: &Inner,
    current: &Current,
    member: &Member,
) -> Result<Value, Box<HttpResponse>> {
    let stl = member.secretariat_id.clone().unwrap_or_default();
    match inner
        .call(
            Method::GET,
            inner.secretariat(&format!("/secretariats/{stl}/projects")),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => {
            Err(Box::new(session_ended(inner, current)))
        }
        Ok(a) if a.status.is_success() => Ok(project_words(a.body)),
        Ok(a) => Err(Box::new(inner.error_page(
            current,
            client_status(a.status),
            &a.detail(),
        ))),
        Err(message) => Err(Box::new(inner.error_page(
            current,
            StatusCode::BAD_GATEWAY,
            &message,
        ))),
    }
}

/// The member's own project: the one in course, else the latest.
fn mine(list: &Value, member: &Member) -> Option<Value> {
    let own: Vec<&Value> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["member_id"].as_str() == member.member_id.as_deref())
        .collect();
    own.iter()
        .find(|p| p["status"] == "en_curso")
        .or_else(|| own.first())
        .map(|p| (*p).clone())
}

/// An invited member of a secretariat, or the page to show.
fn invited(inner: &Inner, current: &Current) -> Result<Member, Box<HttpResponse>> {
    let member = require_member(current)?;
    if !member.roles.iter().any(|r| r == "invitado") || member.secretariat_id.is_none() {
        return Err(Box::new(inner.error_page(
            current,
            StatusCode::FORBIDDEN,
            "«Mi proyecto» es para los miembros invitados, que informan aquí el avance de su proyecto (000 VIII.2–4). Los proyectos se publican en la sección Compromisos del sitio del secretariado.",
        )));
    }
    Ok(member)
}

fn render_mine(
    inner: &Inner,
    current: &Current,
    status: StatusCode,
    project: Option<Value>,
    form: Value,
    notice: Option<&str>,
    error: Option<String>,
) -> HttpResponse {
    inner.render_status(
        status,
        "proyecto.html",
        current,
        context! {
            page => "proyecto", project => v(&project), form => v(&form),
            notice => notice, error => error,
        },
    )
}

/// GET `/proyecto`.
async fn my_project(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = or_return!(invited(inner, &current));
    let list = or_return!(projects(inner, &current, &member).await);
    let filed = request.query_string() == "informado=1";
    render_mine(
        inner,
        &current,
        StatusCode::OK,
        mine(&list, &member),
        json!({}),
        filed.then_some(
            "Su informe de avance quedó registrado y ya se publica en el sitio del secretariado.",
        ),
        None,
    )
}

#[derive(Deserialize)]
struct ReportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    period_ending: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    progress: String,
    #[serde(default)]
    milestone: String,
    #[serde(default)]
    link: String,
}

/// POST `/proyecto/informes`.
async fn file_report(
    state: web::Data<WebState>,
    request: HttpRequest,
    form: web::Form<ReportForm>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = or_return!(invited(inner, &current));
    let form = form.into_inner();
    if !same_origin(&request) || !csrf_ok(&current, Some(&form.csrf)) {
        return inner.error_page(
            &current,
            StatusCode::FORBIDDEN,
            "El formulario venció o no vino de esta página. Vuelva a abrir «Mi proyecto» e informe de nuevo.",
        );
    }
    let typed = json!({
        "period_ending": form.period_ending,
        "summary": form.summary,
        "progress": form.progress,
        "milestone": form.milestone,
        "link": form.link,
    });
    let again = |status: StatusCode, message: String, list: &Value| {
        render_mine(
            inner,
            &current,
            status,
            mine(list, &member),
            typed.clone(),
            None,
            Some(message),
        )
    };
    let progress = match form.progress.trim() {
        "" => None,
        text => match text.trim_end_matches('%').trim().parse::<i64>() {
            Ok(p) => Some(p),
            Err(_) => {
                let list = or_return!(projects(inner, &current, &member).await);
                return again(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "«Avance del proyecto (%)» debe ser un número entero de 0 a 100; escribió «{}».",
                        text.chars().take(20).collect::<String>()
                    ),
                    &list,
                );
            }
        },
    };
    if !valid_id(&form.project) {
        return inner.error_page(
            &current,
            StatusCode::NOT_FOUND,
            "No existe ese proyecto. Vuelva a abrir «Mi proyecto».",
        );
    }
    let answer = inner
        .call(
            Method::POST,
            inner.secretariat(&format!("/projects/{}/reports", form.project)),
            Some(&member.token),
            Some(json!({
                "period_ending": form.period_ending,
                "summary": form.summary,
                "progress": progress,
                "milestone": form.milestone,
                "link": form.link,
            })),
        )
        .await;
    let (status, message) = match answer {
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => return session_ended(inner, &current),
        Ok(a) if a.status.is_success() => return redirect("/proyecto?informado=1", None),
        Ok(a) => (client_status(a.status), for_people(&a.detail())),
        Err(message) => (StatusCode::BAD_GATEWAY, message),
    };
    let list = or_return!(projects(inner, &current, &member).await);
    again(status, message, &list)
}

/// GET `/consola/stl/proyectos`: every project with its reports.
async fn console_projects(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = or_return!(require_member(&current));
    if !is_manager(&member) || member.secretariat_id.is_none() {
        return inner.error_page(
            &current,
            StatusCode::FORBIDDEN,
            "Los informes de los proyectos se revisan en la consola de la Presidencia y el facilitador; también se publican en la sección Compromisos del sitio del secretariado.",
        );
    }
    let list = or_return!(projects(inner, &current, &member).await);
    inner.render(
        "stl/consola_proyectos.html",
        &current,
        context! { page => "consola", projects => v(&list) },
    )
}

#[cfg(test)]
#[path = "project_tests.rs"]
mod tests;
