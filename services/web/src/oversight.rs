//! The console after the session (issue 17): agreements and their
//! follow-up, the mail sent (with failures and retries), the records the
//! archive refused with their reason, and every service's audit log with its
//! chain verified. Each page reads the services' APIs with the member's own
//! token: a service that does not let this member read something says so on
//! the page, in its own words.

use super::*;
use crate::console::require_manager;

pub(crate) const TEMPLATES: &[(&str, &str)] = &[
    (
        "consola/acuerdos.html",
        include_str!("../../../templates/web/consola/acuerdos.html"),
    ),
    (
        "consola/correo.html",
        include_str!("../../../templates/web/consola/correo.html"),
    ),
    (
        "consola/compromisos.html",
        include_str!("../../../templates/web/consola/compromisos.html"),
    ),
    (
        "consola/entregas.html",
        include_str!("../../../templates/web/consola/entregas.html"),
    ),
    (
        "consola/bitacora.html",
        include_str!("../../../templates/web/consola/bitacora.html"),
    ),
];

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/consola/acuerdos", web::get().to(agreements))
        .route(
            "/consola/acuerdos/{id}/seguimiento",
            web::post().to(follow_up),
        )
        .route("/consola/compromisos", web::get().to(commitments))
        .route("/consola/compromisos", web::post().to(create_commitment))
        .route(
            "/consola/hitos/{id}/avance",
            web::post().to(milestone_progress),
        )
        .route("/consola/correo", web::get().to(mail))
        .route("/consola/correo/{id}/reintentar", web::post().to(retry))
        .route(
            "/consola/correo/{id}/invitacion.ics",
            web::get().to(invitation),
        )
        .route("/consola/bitacora", web::get().to(audit))
        .route("/consola/entregas", web::get().to(handovers))
        .route(
            "/consola/entregas/{id}/acta",
            web::post().to(route_inventory),
        )
        .route(
            "/consola/entregas/{id}/paquete.zip",
            web::get().to(handover_package),
        );
}

/// A read that may be refused: the JSON, or the service's explanation to
/// show in its place (a 401 ends the browser session).
enum Read {
    Got(Value),
    Said(String),
    Ended,
}

async fn read(inner: &Inner, member: &Member, url: String) -> Read {
    match inner
        .call(Method::GET, url, Some(&member.token), None)
        .await
    {
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => Read::Ended,
        Ok(a) if a.status.is_success() => Read::Got(a.body),
        Ok(a) => Read::Said(a.detail()),
        Err(message) => Read::Said(message),
    }
}

#[derive(Deserialize)]
struct Done {
    hecho: Option<String>,
}

const FOLLOW_UP_STATUSES: &[(&str, &str)] = &[
    ("pendiente", "Pendiente"),
    ("en_proceso", "En proceso"),
    ("cumplido", "Cumplido"),
    ("cancelado", "Cancelado"),
];

async fn agreements_page(
    inner: &Inner,
    current: &Current,
    member: &Member,
    status: StatusCode,
    extra: minijinja::Value,
) -> HttpResponse {
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let list = match read(
        inner,
        member,
        inner.secretariat(&format!("/secretariats/{stl}/agreements")),
    )
    .await
    {
        Read::Ended => return session_ended(inner, current),
        Read::Said(message) => return inner.error_page(current, StatusCode::BAD_GATEWAY, &message),
        Read::Got(list) => list,
    };
    inner.render_status(
        status,
        "consola/acuerdos.html",
        current,
        context! {
            page => "consola",
            agreements => v(&list),
            statuses => v(&FOLLOW_UP_STATUSES),
            ..extra
        },
    )
}

async fn agreements(
    state: web::Data<WebState>,
    request: HttpRequest,
    query: web::Query<Done>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let notice = query.hecho.is_some().then_some("Seguimiento registrado.");
    agreements_page(
        inner,
        &current,
        &member,
        StatusCode::OK,
        context! { notice => notice },
    )
    .await
}

#[derive(Deserialize)]
struct FollowUpForm {
    csrf: String,
    status: String,
    #[serde(default)]
    note: String,
}

async fn follow_up(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<FollowUpForm>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, Some(&form.csrf)) {
        return csrf_refused_page(inner, &current);
    }
    let member = match require_manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Ese acuerdo no existe.");
    }
    let note = form.note.trim();
    let answer = inner
        .call(
            Method::POST,
            inner.secretariat(&format!("/agreements/{id}/follow-ups")),
            Some(&member.token),
            Some(json!({
                "status": form.status,
                "note": (!note.is_empty()).then_some(note),
            })),
        )
        .await;
    match answer {
        Ok(a) if a.status.is_success() => redirect("/consola/acuerdos?hecho=1", None),
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(a) => {
            agreements_page(
                inner,
                &current,
                &member,
                client_status(a.status),
                context! {
                    error => a.detail(),
                    error_for => id,
                    typed => v(&json!({ "status": form.status, "note": form.note })),
                },
            )
            .await
        }
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

async fn commitments_page(
    inner: &Inner,
    current: &Current,
    member: &Member,
    status: StatusCode,
    extra: minijinja::Value,
) -> HttpResponse {
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let list = match read(
        inner,
        member,
        inner.secretariat(&format!("/secretariats/{stl}/commitments")),
    )
    .await
    {
        Read::Ended => return session_ended(inner, current),
        Read::Said(message) => return inner.error_page(current, StatusCode::BAD_GATEWAY, &message),
        Read::Got(list) => list,
    };
    let seats = match read(
        inner,
        member,
        inner.secretariat(&format!("/secretariats/{stl}/seats")),
    )
    .await
    {
        Read::Got(list) => list,
        _ => json!([]),
    };
    inner.render_status(
        status,
        "consola/compromisos.html",
        current,
        context! { page => "consola", commitments => v(&list), seats => v(&seats), ..extra },
    )
}

async fn commitments(
    state: web::Data<WebState>,
    request: HttpRequest,
    query: web::Query<Done>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let notice = query.hecho.as_deref().map(|h| {
        if h == "avance" {
            "Avance registrado: el del compromiso se recalculó y se publica."
        } else {
            "Compromiso registrado y publicado en el sitio del secretariado."
        }
    });
    commitments_page(
        inner,
        &current,
        &member,
        StatusCode::OK,
        context! { notice => notice },
    )
    .await
}

/// Milestones, one per line: `Título | peso | AAAA-MM-DD` (weight and date
/// optional).
fn milestones_of(text: &str) -> Result<Vec<Value>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            let weight = match parts.get(1).filter(|w| !w.is_empty()) {
                Some(w) => Some(w.parse::<i64>().map_err(|_| {
                    format!(
                        "El peso del hito {} debe ser un número de 1 a 100; se escribió «{w}».",
                        i + 1
                    )
                })?),
                None => None,
            };
            Ok(json!({
                "title": parts[0],
                "weight": weight,
                "due_on": parts.get(2).filter(|d| !d.is_empty()),
            }))
        })
        .collect()
}

async fn create_commitment(
    state: web::Data<WebState>,
    request: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let form = form.into_inner();
    if !same_origin(&request) || !csrf_ok(&current, form.get("csrf").map(String::as_str)) {
        return csrf_refused_page(inner, &current);
    }
    let member = match require_manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut typed = form.clone();
    typed.remove("csrf");
    let milestones = match milestones_of(&field("milestones")) {
        Ok(m) => m,
        Err(message) => {
            return commitments_page(
                inner,
                &current,
                &member,
                StatusCode::UNPROCESSABLE_ENTITY,
                context! { error => message, typed => v(&typed) },
            )
            .await;
        }
    };
    let optional = |k: &str| {
        let value = field(k);
        if value.is_empty() {
            Value::Null
        } else {
            json!(value)
        }
    };
    match inner
        .call(
            Method::POST,
            inner.secretariat(&format!("/secretariats/{stl}/commitments")),
            Some(&member.token),
            Some(json!({
                "title": field("title"),
                "description": optional("description"),
                "responsible_seat": optional("responsible_seat"),
                "starts_on": field("starts_on"),
                "due_on": field("due_on"),
                "milestones": milestones,
            })),
        )
        .await
    {
        Ok(a) if a.status.is_success() => redirect("/consola/compromisos?hecho=1", None),
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(a) => {
            commitments_page(
                inner,
                &current,
                &member,
                client_status(a.status),
                context! { error => a.detail(), typed => v(&typed) },
            )
            .await
        }
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

async fn milestone_progress(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let form = form.into_inner();
    if !same_origin(&request) || !csrf_ok(&current, form.get("csrf").map(String::as_str)) {
        return csrf_refused_page(inner, &current);
    }
    let member = match require_manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Ese hito no existe.");
    }
    let progress = form.get("progress").map(|p| p.trim()).unwrap_or_default();
    let Ok(progress) = progress.parse::<i64>() else {
        return commitments_page(
            inner,
            &current,
            &member,
            StatusCode::UNPROCESSABLE_ENTITY,
            context! { error => format!("El avance es un porcentaje de 0 a 100; se escribió «{progress}»."), error_for => id },
        )
        .await;
    };
    let note = form.get("note").map(|n| n.trim()).filter(|n| !n.is_empty());
    match inner
        .call(
            Method::PATCH,
            inner.secretariat(&format!("/milestones/{id}")),
            Some(&member.token),
            Some(json!({ "progress": progress, "note": note })),
        )
        .await
    {
        Ok(a) if a.status.is_success() => redirect("/consola/compromisos?hecho=avance", None),
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(a) => {
            commitments_page(
                inner,
                &current,
                &member,
                client_status(a.status),
                context! { error => a.detail(), error_for => id },
            )
            .await
        }
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

const MAIL_STATUSES: &[(&str, &str)] = &[
    ("en_cola", "en cola"),
    ("enviado", "enviado"),
    ("fallido", "falló"),
];

async fn mail(
    state: web::Data<WebState>,
    request: HttpRequest,
    query: web::Query<Done>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let Some(base) = inner.config.mail.as_deref() else {
        return inner.error_page(
            &current,
            StatusCode::NOT_FOUND,
            "El servicio de correo no está configurado en esta instalación.",
        );
    };
    let url = format!("{}/messages?limite=200", base.trim_end_matches('/'));
    let (messages, said) = match read(inner, &member, url).await {
        Read::Ended => return session_ended(inner, &current),
        Read::Said(message) => (Value::Null, Some(message)),
        Read::Got(list) => (list, None),
    };
    let rows: Vec<Value> = messages
        .as_array()
        .or_else(|| messages["messages"].as_array())
        .into_iter()
        .flatten()
        .map(|m| {
            let mut m = m.clone();
            let status = m["status"].as_str().unwrap_or_default().to_string();
            m["status_name"] = json!(
                MAIL_STATUSES
                    .iter()
                    .find(|(k, _)| *k == status)
                    .map(|(_, v)| *v)
                    .unwrap_or(status.as_str())
            );
            m
        })
        .collect();
    let failed = rows.iter().filter(|m| m["status"] == "fallido").count();
    inner.render(
        "consola/correo.html",
        &current,
        context! {
            page => "consola",
            messages => v(&rows),
            failed => failed,
            said => said,
            notice => query.hecho.is_some().then_some("Reintento programado: el mensaje vuelve a la cola de envío."),
        },
    )
}

async fn retry(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, Some(&form.csrf)) {
        return csrf_refused_page(inner, &current);
    }
    let member = match require_manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    let Some(base) = inner.config.mail.as_deref().filter(|_| valid_id(&id)) else {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Ese mensaje no existe.");
    };
    match inner
        .call(
            Method::POST,
            format!("{}/messages/{id}/retry", base.trim_end_matches('/')),
            Some(&member.token),
            Some(json!({})),
        )
        .await
    {
        Ok(a) if a.status.is_success() => redirect("/consola/correo?hecho=1", None),
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(a) => inner.error_page(&current, a.status, &a.detail()),
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

/// `GET /consola/correo/{id}/invitacion.ics`: the calendar invitation a
/// message carried, as the mail service sent it.
async fn invitation(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    let Some(base) = inner.config.mail.as_deref().filter(|_| valid_id(&id)) else {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Ese mensaje no existe.");
    };
    relay_file(
        inner,
        &current,
        &member,
        format!("{}/messages/{id}/calendar.ics", base.trim_end_matches('/')),
        "text/calendar; charset=utf-8",
        |_| "attachment; filename=\"sesion.ics\"".into(),
    )
    .await
}

/// The handovers page: terms ended or ending without a handover (000 III.7),
/// and every handover of the secretariat with its next step.
async fn handovers_view(
    inner: &Inner,
    current: &Current,
    member: &Member,
    status: StatusCode,
    extra: minijinja::Value,
) -> HttpResponse {
    let Some(base) = inner.config.archive.as_deref() else {
        return inner.error_page(
            current,
            StatusCode::NOT_FOUND,
            "El servicio de archivo no está configurado en esta instalación.",
        );
    };
    let base = base.trim_end_matches('/');
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let pending = match read(
        inner,
        member,
        format!("{base}/secretariats/{stl}/handovers/pending"),
    )
    .await
    {
        Read::Ended => return session_ended(inner, current),
        Read::Got(list) => json!({ "list": list }),
        Read::Said(message) => json!({ "said": message }),
    };
    let list = match read(inner, member, format!("{base}/handovers")).await {
        Read::Ended => return session_ended(inner, current),
        Read::Got(list) => json!({ "list": list }),
        Read::Said(message) => json!({ "said": message }),
    };
    let members = match read(
        inner,
        member,
        inner.secretariat(&format!("/secretariats/{stl}/members")),
    )
    .await
    {
        Read::Got(list) => list,
        _ => json!([]),
    };
    inner.render_status(
        status,
        "consola/entregas.html",
        current,
        context! {
            page => "consola",
            pending => v(&pending),
            handovers => v(&list),
            members => v(&members),
            ..extra
        },
    )
}

async fn handovers(
    state: web::Data<WebState>,
    request: HttpRequest,
    query: web::Query<Done>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let notice = query.hecho.is_some().then_some(
        "Acta de entrega-recepción generada y enviada a firma de quien entrega y quienes reciben.",
    );
    handovers_view(
        inner,
        &current,
        &member,
        StatusCode::OK,
        context! { notice => notice },
    )
    .await
}

#[derive(Deserialize)]
struct InventoryForm {
    csrf: String,
    #[serde(default)]
    successor_member_id: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    observations: String,
}

/// `POST /consola/entregas/{id}/acta`: the inventory routed for signature.
async fn route_inventory(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<InventoryForm>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, Some(&form.csrf)) {
        return csrf_refused_page(inner, &current);
    }
    let member = match require_manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    let Some(base) = inner.config.archive.as_deref().filter(|_| valid_id(&id)) else {
        return inner.error_page(
            &current,
            StatusCode::NOT_FOUND,
            "Esa entrega-recepción no existe.",
        );
    };
    let text = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_string())
    };
    let body = json!({
        "successor_member_id": text(&form.successor_member_id),
        "place": text(&form.place),
        "observations": text(&form.observations),
    });
    match inner
        .call(
            Method::POST,
            format!("{}/handovers/{id}/inventory", base.trim_end_matches('/')),
            Some(&member.token),
            Some(body),
        )
        .await
    {
        Ok(a) if a.status.is_success() => redirect("/consola/entregas?hecho=1", None),
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(a) => {
            handovers_view(
                inner,
                &current,
                &member,
                client_status(a.status),
                context! {
                    error => a.detail(),
                    error_for => id,
                    typed => v(&json!({ "successor_member_id": form.successor_member_id, "place": form.place, "observations": form.observations })),
                },
            )
            .await
        }
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

/// `GET /consola/entregas/{id}/paquete.zip`: the archived BagIt package.
async fn handover_package(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    let Some(base) = inner.config.archive.as_deref().filter(|_| valid_id(&id)) else {
        return inner.error_page(
            &current,
            StatusCode::NOT_FOUND,
            "Esa entrega-recepción no existe.",
        );
    };
    relay_file(
        inner,
        &current,
        &member,
        format!("{}/handovers/{id}/package.zip", base.trim_end_matches('/')),
        "application/zip",
        |headers| {
            headers
                .get(reqwest::header::CONTENT_DISPOSITION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("attachment; filename=\"entrega.zip\"")
                .to_string()
        },
    )
    .await
}

/// `GET /consola/bitacora`: each service's audit chain verified (and
/// anchored in the archive), the archive's refusals, and the latest entries
/// of the secretariat's log.
async fn audit(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let services: [(&str, Option<&str>); 5] = [
        ("Secretariado", Some(inner.config.secretariat.as_str())),
        ("Documentos", inner.config.documents.as_deref()),
        ("Firma", Some(inner.config.signing.as_str())),
        ("Correo", inner.config.mail.as_deref()),
        ("Archivo", inner.config.archive.as_deref()),
    ];
    let mut chains = Vec::new();
    for (name, base) in services {
        let Some(base) = base else { continue };
        let url = format!("{}/audit/verify", base.trim_end_matches('/'));
        chains.push(match read(inner, &member, url).await {
            Read::Ended => return session_ended(inner, &current),
            Read::Got(report) => json!({ "service": name, "report": report }),
            Read::Said(message) => json!({ "service": name, "said": message }),
        });
    }
    let entries = match read(inner, &member, inner.secretariat("/audit?limit=30")).await {
        Read::Ended => return session_ended(inner, &current),
        Read::Got(list) => json!({ "list": list }),
        Read::Said(message) => json!({ "said": message }),
    };
    let refusals = match &inner.config.archive {
        Some(base) => match read(
            inner,
            &member,
            format!("{}/refusals", base.trim_end_matches('/')),
        )
        .await
        {
            Read::Ended => return session_ended(inner, &current),
            Read::Got(list) => json!({ "list": list }),
            Read::Said(message) => json!({ "said": message }),
        },
        None => Value::Null,
    };
    inner.render(
        "consola/bitacora.html",
        &current,
        context! {
            page => "consola",
            chains => v(&chains),
            entries => v(&entries),
            refusals => v(&refusals),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oversight_pages_render_what_the_services_return() {
        let state = WebState::new(
            WebConfig {
                secretariat: "http://127.0.0.1:9/secretariat".into(),
                signing: "http://127.0.0.1:9/signing".into(),
                documents: None,
                mail: None,
                archive: None,
                max_evidence_bytes: 50 * 1024 * 1024,
            },
            reqwest::Client::new(),
        );
        let env = &state.0.env;
        let member = json!({ "name": "PRESIDENTA", "roles": ["presidente"], "secretariat_id": "stl", "read_only": false });
        let render = |name: &str, ctx: minijinja::Value| {
            env.get_template(name)
                .and_then(|t| t.render(ctx))
                .unwrap_or_else(|e| panic!("{name}: {e:#}"))
        };
        let agreements = json!([{ "id": "a1", "session_id": "s1", "number": 1, "folio": "2026-ORD-01/ACU-01", "text": "Publicar <datos>", "responsible_seat": "organo_garante", "due_on": "2027-02-01", "status": "pendiente",
            "follow_ups": [{ "status": "en_proceso", "note": "Se avanzó", "recorded_at": 1_790_000_000_000i64 }] }]);
        let html = render(
            "consola/acuerdos.html",
            context! { csrf => "c", member => v(&member), agreements => v(&agreements), statuses => v(&FOLLOW_UP_STATUSES),
            error => "Estado no válido", error_for => "a1", typed => v(&json!({ "status": "cumplido", "note": "lo escrito" })) },
        );
        assert!(html.contains("Publicar &lt;datos&gt;"));
        assert!(html.contains("Se avanzó"));
        assert!(
            html.contains(">lo escrito</textarea>"),
            "la nota escrita se perdió"
        );
        assert!(html.contains("value=\"cumplido\" selected"));
        let messages = json!([
            { "id": "m1", "subject": "Convocatoria", "recipient": { "name": "ANA", "email": "ana@example.mx" }, "status": "fallido", "status_name": "falló", "attempts": 3, "last_error": "buzón lleno", "created_at": 1_790_000_000_000i64 },
            { "id": "m2", "subject": "Acta", "recipient": { "name": "LUIS", "email": null }, "status": "enviado", "status_name": "enviado", "attempts": 1, "created_at": 1_790_000_000_000i64, "sent_at": 1_790_000_000_000i64 }
        ]);
        let html = render(
            "consola/correo.html",
            context! { csrf => "c", member => v(&member), messages => v(&messages), failed => 1 },
        );
        assert!(html.contains("buzón lleno") && html.contains("/consola/correo/m1/reintentar"));
        assert!(!html.contains("/consola/correo/m2/reintentar"));
        assert!(html.contains("sin dirección de correo"));
        let chains = json!([
            { "service": "Secretariado", "report": { "ok": true, "entries": 12, "head": "ab", "explanation": "12 entradas encadenadas" } },
            { "service": "Correo", "said": "Solo la Presidencia o el operador." }
        ]);
        let html = render(
            "consola/bitacora.html",
            context! { csrf => "c", member => v(&member), chains => v(&chains), entries => v(&json!({ "list": [] })), refusals => v(&json!({ "list": [{ "route_id": "r1", "reason": "firma no válida", "refused_at": 1_790_000_000_000i64 }] })) },
        );
        assert!(
            html.contains("Cadena íntegra") && html.contains("Solo la Presidencia o el operador.")
        );
        assert!(html.contains("firma no válida"));
        let handovers = json!({ "list": [
            { "id": "h1", "folio": "ER-2026-001", "member_name": "ANA", "status": "entregada", "files": [{}, {}], "report_sha256": "ab", "successor_member_id": null },
            { "id": "h2", "folio": "ER-2026-002", "member_name": "LUIS", "status": "archivada", "files": [], "route_id": "r9", "package_sha256": "cd" }
        ] });
        let html = render(
            "consola/entregas.html",
            context! { csrf => "c", member => v(&member), pending => v(&json!({ "list": [{ "name": "ANA", "role": "titular", "seat": "academia", "ends_on": "2026-12-31", "ended": false, "explanation": "sin entrega" }] })),
            handovers => v(&handovers), members => v(&json!([{ "id": "m2", "name": "LUIS" }])),
            error => "Persona sucesora no válida", error_for => "h1", typed => v(&json!({ "place": "Sala 2", "observations": "", "successor_member_id": "m2" })) },
        );
        assert!(
            html.contains("/consola/entregas/h1/acta")
                && !html.contains("/consola/entregas/h2/acta")
        );
        assert!(html.contains("/consola/entregas/h2/paquete.zip") && html.contains("/firmar/r9"));
        assert!(html.contains("Persona sucesora no válida") && html.contains("value=\"Sala 2\""));
        assert!(html.contains("concluye el 2026-12-31"));
    }
}
