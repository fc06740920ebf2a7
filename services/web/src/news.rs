//! The console's communiqués and agenda of activities (issue 18, public
//! site sections a and b): the President publishes and corrects
//! communiqués (the facilitator reads them); the President and the
//! facilitator add, edit and cancel activities. Each form posts to the
//! secretariat with the member's own token; a refused form comes back with
//! what was typed and the secretariat's explanation.

use super::*;
use crate::console::require_manager;

pub(crate) const TEMPLATES: &[(&str, &str)] = &[
    (
        "consola/comunicados.html",
        include_str!("../../../templates/web/consola/comunicados.html"),
    ),
    (
        "consola/agenda.html",
        include_str!("../../../templates/web/consola/agenda.html"),
    ),
];

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/consola/comunicados", web::get().to(communiques))
        .route("/consola/comunicados", web::post().to(publish))
        .route("/consola/comunicados/{id}", web::post().to(correct))
        .route("/consola/agenda", web::get().to(agenda))
        .route("/consola/agenda", web::post().to(add_activity))
        .route("/consola/agenda/{id}", web::post().to(edit_activity))
        .route(
            "/consola/agenda/{id}/cancelar",
            web::post().to(cancel_activity),
        );
}

fn is_president(member: &Member) -> bool {
    member.roles.iter().any(|r| r == "presidente")
}

#[derive(Deserialize)]
struct Done {
    hecho: Option<String>,
}

type Form = HashMap<String, String>;

/// A form's field, trimmed ("" when absent).
fn field(form: &Form, key: &str) -> String {
    form.get(key)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// A form's optional field: `null` when empty.
fn optional(form: &Form, key: &str) -> Value {
    let value = field(form, key);
    if value.is_empty() {
        Value::Null
    } else {
        json!(value)
    }
}

/// What was typed, without the CSRF token, to fill the form again.
fn typed(form: &Form) -> Form {
    let mut typed = form.clone();
    typed.remove("csrf");
    typed
}

/// The member's page after a form: checks the origin, CSRF and that the
/// member runs the console.
fn form_member(
    inner: &Inner,
    request: &HttpRequest,
    current: &Current,
    form: &Form,
) -> Result<Member, Box<HttpResponse>> {
    if !same_origin(request) || !csrf_ok(current, form.get("csrf").map(String::as_str)) {
        return Err(Box::new(csrf_refused_page(inner, current)));
    }
    require_manager(inner, current)
}

// ------------------------------------------------------------ communiqués

async fn communiques_page(
    inner: &Inner,
    current: &Current,
    member: &Member,
    status: StatusCode,
    extra: minijinja::Value,
) -> HttpResponse {
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let list = match inner
        .call(
            Method::GET,
            inner.secretariat(&format!("/secretariats/{stl}/communiques")),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => return session_ended(inner, current),
        Ok(a) if a.status.is_success() => a.body,
        Ok(a) => return inner.error_page(current, client_status(a.status), &a.detail()),
        Err(message) => return inner.error_page(current, StatusCode::BAD_GATEWAY, &message),
    };
    inner.render_status(
        status,
        "consola/comunicados.html",
        current,
        context! {
            page => "consola",
            communiques => v(&list),
            can_publish => is_president(member),
            ..extra
        },
    )
}

async fn communiques(
    state: web::Data<WebState>,
    request: HttpRequest,
    query: web::Query<Done>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = or_return!(require_manager(inner, &current));
    let notice = query.hecho.as_deref().map(|h| {
        if h == "corregido" {
            "Comunicado corregido: el sitio público muestra la fecha de la actualización."
        } else {
            "Comunicado publicado en el sitio público del secretariado y en su canal Atom."
        }
    });
    communiques_page(
        inner,
        &current,
        &member,
        StatusCode::OK,
        context! { notice => notice },
    )
    .await
}

fn communique_body(form: &Form) -> Value {
    json!({
        "title": field(form, "title"),
        "body": form.get("body").cloned().unwrap_or_default(),
        "session_folio": optional(form, "session_folio"),
    })
}

async fn publish(
    state: web::Data<WebState>,
    request: HttpRequest,
    form: web::Form<Form>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let form = form.into_inner();
    let member = or_return!(form_member(inner, &request, &current, &form));
    let stl = member.secretariat_id.clone().unwrap_or_default();
    match inner
        .call(
            Method::POST,
            inner.secretariat(&format!("/secretariats/{stl}/communiques")),
            Some(&member.token),
            Some(communique_body(&form)),
        )
        .await
    {
        Ok(a) if a.status.is_success() => redirect("/consola/comunicados?hecho=1", None),
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(a) => {
            communiques_page(
                inner,
                &current,
                &member,
                client_status(a.status),
                context! { error => a.detail(), typed => v(&typed(&form)) },
            )
            .await
        }
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

async fn correct(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<Form>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let form = form.into_inner();
    let member = or_return!(form_member(inner, &request, &current, &form));
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Ese comunicado no existe.");
    }
    match inner
        .call(
            Method::PUT,
            inner.secretariat(&format!("/communiques/{id}")),
            Some(&member.token),
            Some(communique_body(&form)),
        )
        .await
    {
        Ok(a) if a.status.is_success() => redirect("/consola/comunicados?hecho=corregido", None),
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(a) => {
            communiques_page(
                inner,
                &current,
                &member,
                client_status(a.status),
                context! { error => a.detail(), error_for => id, typed => v(&typed(&form)) },
            )
            .await
        }
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

// ------------------------------------------------------------ activities

async fn agenda_page(
    inner: &Inner,
    current: &Current,
    member: &Member,
    status: StatusCode,
    extra: minijinja::Value,
) -> HttpResponse {
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let list = match inner
        .call(
            Method::GET,
            inner.secretariat(&format!("/secretariats/{stl}/activities")),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => return session_ended(inner, current),
        Ok(a) if a.status.is_success() => a.body,
        Ok(a) => return inner.error_page(current, client_status(a.status), &a.detail()),
        Err(message) => return inner.error_page(current, StatusCode::BAD_GATEWAY, &message),
    };
    // The commitments to choose from; without them the form still works.
    let commitments = match inner
        .call(
            Method::GET,
            inner.secretariat(&format!("/secretariats/{stl}/commitments")),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) if a.status.is_success() => a.body,
        _ => json!([]),
    };
    let list: Vec<Value> = list
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let mut a = a.clone();
            a["date_text"] = json!(public::long_date(a["date"].as_str().unwrap_or_default()));
            a
        })
        .collect();
    inner.render_status(
        status,
        "consola/agenda.html",
        current,
        context! {
            page => "consola",
            activities => v(&list),
            commitments => v(&commitments),
            ..extra
        },
    )
}

async fn agenda(
    state: web::Data<WebState>,
    request: HttpRequest,
    query: web::Query<Done>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = or_return!(require_manager(inner, &current));
    let notice = query.hecho.as_deref().map(|h| match h {
        "modificada" => "Actividad modificada; el sitio público ya la muestra así.",
        "cancelada" => "Actividad cancelada: sigue publicada en la agenda, marcada como cancelada.",
        _ => "Actividad agregada a la agenda pública del secretariado.",
    });
    agenda_page(
        inner,
        &current,
        &member,
        StatusCode::OK,
        context! { notice => notice },
    )
    .await
}

/// The activity's JSON from the form, or the Spanish reason it cannot be.
fn activity_body(form: &Form) -> Result<Value, String> {
    let commitment = field(form, "commitment_number");
    let commitment = if commitment.is_empty() {
        Value::Null
    } else {
        json!(commitment.parse::<i64>().map_err(|_| format!(
            "El compromiso se elige de la lista por su número; se recibió «{}».",
            commitment.chars().take(20).collect::<String>()
        ))?)
    };
    Ok(json!({
        "title": field(form, "title"),
        "date": field(form, "date"),
        "time": optional(form, "time"),
        "place": optional(form, "place"),
        "link": optional(form, "link"),
        "description": optional(form, "description"),
        "commitment_number": commitment,
    }))
}

/// Sends an activity form; the page to answer with.
async fn send_activity(
    inner: &Inner,
    current: &Current,
    member: &Member,
    method: Method,
    url: String,
    body: Result<Value, String>,
    (form, error_for, done): (&Form, Option<String>, &str),
) -> HttpResponse {
    let refused = |status: StatusCode, error: String| {
        agenda_page(
            inner,
            current,
            member,
            status,
            context! { error => error, error_for => error_for.clone(), typed => v(&typed(form)) },
        )
    };
    let body = match body {
        Ok(b) => b,
        Err(message) => return refused(StatusCode::UNPROCESSABLE_ENTITY, message).await,
    };
    match inner
        .call(method, url, Some(&member.token), Some(body))
        .await
    {
        Ok(a) if a.status.is_success() => redirect(&format!("/consola/agenda?hecho={done}"), None),
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, current),
        Ok(a) => refused(client_status(a.status), a.detail()).await,
        Err(message) => inner.error_page(current, StatusCode::BAD_GATEWAY, &message),
    }
}

async fn add_activity(
    state: web::Data<WebState>,
    request: HttpRequest,
    form: web::Form<Form>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let form = form.into_inner();
    let member = or_return!(form_member(inner, &request, &current, &form));
    let stl = member.secretariat_id.clone().unwrap_or_default();
    send_activity(
        inner,
        &current,
        &member,
        Method::POST,
        inner.secretariat(&format!("/secretariats/{stl}/activities")),
        activity_body(&form),
        (&form, None, "agregada"),
    )
    .await
}

async fn edit_activity(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<Form>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let form = form.into_inner();
    let member = or_return!(form_member(inner, &request, &current, &form));
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Esa actividad no existe.");
    }
    send_activity(
        inner,
        &current,
        &member,
        Method::PUT,
        inner.secretariat(&format!("/activities/{id}")),
        activity_body(&form),
        (&form, Some(id.clone()), "modificada"),
    )
    .await
}

async fn cancel_activity(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<Form>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let form = form.into_inner();
    let member = or_return!(form_member(inner, &request, &current, &form));
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Esa actividad no existe.");
    }
    send_activity(
        inner,
        &current,
        &member,
        Method::POST,
        inner.secretariat(&format!("/activities/{id}/cancellation")),
        Ok(json!({ "reason": optional(&form, "reason") })),
        (&form, Some(id.clone()), "cancelada"),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_activity_form_becomes_the_api_s_json() {
        let form: Form = [
            ("title", " Foro "),
            ("date", "2026-12-10"),
            ("time", ""),
            ("place", "Sala"),
            ("commitment_number", "2"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let body = activity_body(&form).unwrap();
        assert_eq!(body["title"], "Foro");
        assert!(body["time"].is_null() && body["link"].is_null());
        assert_eq!(body["commitment_number"], 2);
        let mut bad = form.clone();
        bad.insert("commitment_number".into(), "dos".into());
        assert!(activity_body(&bad).unwrap_err().contains("«dos»"));
    }
}
