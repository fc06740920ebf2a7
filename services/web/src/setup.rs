//! Setting up the secretariat from the console (issue 17): its name, local
//! time, non-working days and rules (each a named setting with the seed
//! clause it comes from); the seats with who holds them and until when
//! (000 II); registering members and designating them; resignations, whose
//! cascade (000 II.4.V) is shown before it is applied; and vacancy calls.
//! The President edits; the facilitator reads. Every rule stays in the
//! secretariat's API, which this module calls with the member's token.

use super::*;
use crate::console::require_manager;

pub(crate) const TEMPLATES: &[(&str, &str)] = &[
    (
        "consola/secretariado.html",
        include_str!("../../../templates/web/consola/secretariado.html"),
    ),
    (
        "consola/integrantes.html",
        include_str!("../../../templates/web/consola/integrantes.html"),
    ),
];

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/consola/secretariado", web::get().to(settings_page))
        .route("/consola/secretariado", web::post().to(save_settings))
        .route("/consola/integrantes", web::get().to(members_page))
        .route("/consola/integrantes", web::post().to(register_member))
        .route("/consola/designaciones", web::post().to(designate))
        .route(
            "/consola/designaciones/{id}/terminar",
            web::post().to(end_designation),
        )
        .route("/consola/renuncias", web::post().to(resign));
}

/// The rules a President may adjust, each with the seed clause it comes
/// from: (form field, path in the configuration, label, clause, kind).
const RULES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "notice_ordinary",
        "notice.ordinary",
        "Días hábiles de anticipación de la convocatoria a sesión ordinaria",
        "000 V.6",
        "days",
    ),
    (
        "notice_extraordinary",
        "notice.extraordinary",
        "Días hábiles de anticipación de la convocatoria a sesión extraordinaria",
        "000 V.6",
        "days",
    ),
    (
        "notice_work_meeting",
        "notice.work_meeting",
        "Días hábiles de anticipación de una reunión de trabajo",
        "000 V.5–6",
        "days",
    ),
    (
        "issue_day_counts",
        "notice.issue_day_counts",
        "El día de emisión cuenta como día de anticipación",
        "000 V.6",
        "bool",
    ),
    (
        "rolls_forward",
        "notice.non_business_issue_rolls_forward",
        "Una convocatoria emitida en día inhábil surte efectos el siguiente día hábil",
        "000 V.6",
        "bool",
    ),
    (
        "civil_society_required",
        "quorum.civil_society_required",
        "El quórum exige al menos un asiento de sociedad civil",
        "000 V.2–3",
        "bool",
    ),
    (
        "consensus_only",
        "decision.consensus_only",
        "Solo el consenso aprueba (sin mayoría)",
        "004 Tabla 2",
        "bool",
    ),
    (
        "majority_needs_civil_society",
        "decision.majority_needs_civil_society",
        "La mayoría debe incluir al menos un voto de sociedad civil",
        "000 VI; 004 Tabla 2",
        "bool",
    ),
    (
        "majority_needs_each_group",
        "decision.majority_needs_each_group",
        "La mayoría debe incluir un voto de cada grupo con asiento activo",
        "004 Tabla 2",
        "bool",
    ),
    (
        "president_casting_vote",
        "decision.president_casting_vote",
        "La Presidencia tiene voto de calidad en caso de empate",
        "000 VI",
        "bool",
    ),
];

fn is_president(member: &Member) -> bool {
    member.roles.iter().any(|r| r == "presidente")
}

async fn get(
    inner: &Inner,
    current: &Current,
    member: &Member,
    path: &str,
) -> Result<Value, Box<HttpResponse>> {
    match inner
        .call(
            Method::GET,
            inner.secretariat(path),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => {
            Err(Box::new(session_ended(inner, current)))
        }
        Ok(a) if a.status.is_success() => Ok(a.body),
        Ok(a) => Err(Box::new(inner.error_page(current, a.status, &a.detail()))),
        Err(message) => Err(Box::new(inner.error_page(
            current,
            StatusCode::BAD_GATEWAY,
            &message,
        ))),
    }
}

/// The value at a dotted path of a JSON object.
fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(value, |v, k| &v[k])
}

/// The rules as the form shows them.
fn rule_rows(config: &Value) -> Vec<Value> {
    RULES
        .iter()
        .map(|(field, path, label, clause, kind)| {
            json!({ "field": field, "label": label, "clause": clause, "kind": kind, "value": at(config, path) })
        })
        .collect()
}

#[derive(Deserialize, Default)]
struct Done {
    hecho: Option<String>,
}

async fn settings_view(
    inner: &Inner,
    current: &Current,
    member: &Member,
    status: StatusCode,
    extra: minijinja::Value,
) -> HttpResponse {
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let secretariat =
        or_return!(get(inner, current, member, &format!("/secretariats/{stl}")).await);
    let non_working: String = secretariat["non_working_days"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| match d["reason"].as_str() {
            Some(r) if !r.is_empty() => format!("{} {r}", d["date"].as_str().unwrap_or_default()),
            _ => d["date"].as_str().unwrap_or_default().to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    // Sections c and e of its public site, as published (by its slug).
    let mut public = Value::Null;
    if let Ok(list) = inner
        .call(
            Method::GET,
            inner.secretariat("/public/secretariats"),
            None,
            None,
        )
        .await
        && let Some(slug) = list
            .body
            .as_array()
            .and_then(|l| l.iter().find(|s| s["id"] == stl.as_str()))
            .and_then(|s| s["slug"].as_str())
        && let Ok(found) = inner
            .call(
                Method::GET,
                inner.secretariat(&format!("/public/secretariats/{slug}")),
                None,
                None,
            )
            .await
    {
        public = found.body;
    }
    let links_text: String = public["links"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            format!(
                "{} | {}",
                l["title"].as_str().unwrap_or_default(),
                l["url"].as_str().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    inner.render_status(
        status,
        "consola/secretariado.html",
        current,
        context! {
            page => "consola",
            stl => v(&secretariat),
            rules => v(&rule_rows(&secretariat["config"])),
            non_working => non_working,
            contact => v(&public["contact"]),
            links_text => links_text,
            public_slug => public["slug"].clone().as_str().map(str::to_string),
            can_edit => is_president(member),
            ..extra
        },
    )
}

async fn settings_page(
    state: web::Data<WebState>,
    request: HttpRequest,
    query: web::Query<Done>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = or_return!(require_manager(inner, &current));
    settings_view(
        inner,
        &current,
        &member,
        StatusCode::OK,
        context! { notice => query.hecho.is_some().then_some("Configuración guardada: rige para lo que se registre desde ahora.") },
    )
    .await
}

/// Non-working days, one per line: `AAAA-MM-DD` and an optional reason.
fn non_working_days(text: &str) -> Vec<Value> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((date, reason)) => json!({ "date": date, "reason": reason.trim() }),
            None => json!({ "date": l }),
        })
        .collect()
}

/// Links of interest, one per line: `Título | https://…` (the secretariat
/// checks the addresses).
fn links_of(text: &str) -> Result<Vec<Value>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| match line.rsplit_once('|') {
            Some((title, url)) if !title.trim().is_empty() => {
                Ok(json!({ "title": title.trim(), "url": url.trim() }))
            }
            _ => Err(format!(
                "El renglón {} de las ligas debe ser «Título | https://…»; se escribió «{line}».",
                i + 1
            )),
        })
        .collect()
}

/// The JSON merge patch of the rules form (checkboxes absent mean "no").
fn rules_patch(form: &HashMap<String, String>) -> Result<Value, String> {
    let mut patch = json!({});
    for (field, path, label, _, kind) in RULES {
        let value = match *kind {
            "days" => {
                let raw = form.get(*field).map(|s| s.trim()).unwrap_or_default();
                let days: u32 = raw.parse().map_err(|_| {
                    format!("«{label}» debe ser un número de días (0 a 30); se escribió «{raw}».")
                })?;
                json!(days)
            }
            _ => json!(form.contains_key(*field)),
        };
        let (group, key) = path.split_once('.').unwrap_or(("", path));
        patch[group][key] = value;
    }
    Ok(patch)
}

async fn save_settings(
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
    let member = or_return!(require_manager(inner, &current));
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let overrides = match rules_patch(&form) {
        Ok(p) => p,
        Err(message) => {
            return settings_refused(
                inner,
                &current,
                &member,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
                message,
            )
            .await;
        }
    };
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let offset = field("utc_offset_minutes");
    let Ok(offset) = offset.parse::<i64>() else {
        return settings_refused(
            inner,
            &current,
            &member,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("La diferencia con UTC debe ser un número de minutos, por ejemplo -360 para el centro de México; se escribió «{offset}»."),
        )
        .await;
    };
    let links = match links_of(&field("links")) {
        Ok(l) => l,
        Err(message) => {
            return settings_refused(
                inner,
                &current,
                &member,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
                message,
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
    let body = json!({
        "name": field("name"),
        "utc_offset_minutes": offset,
        "non_working_days": non_working_days(&field("non_working_days")),
        "overrides": overrides,
        "contact": {
            "address": optional("contact_address"),
            "email": optional("contact_email"),
            "phone": optional("contact_phone"),
            "hours": optional("contact_hours"),
            "note": optional("contact_note"),
        },
        "links": links,
    });
    match inner
        .call(
            Method::PATCH,
            inner.secretariat(&format!("/secretariats/{stl}")),
            Some(&member.token),
            Some(body),
        )
        .await
    {
        Ok(a) if a.status.is_success() => redirect("/consola/secretariado?hecho=1", None),
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(a) => {
            settings_refused(
                inner,
                &current,
                &member,
                &form,
                client_status(a.status),
                a.detail(),
            )
            .await
        }
        Err(message) => {
            settings_refused(
                inner,
                &current,
                &member,
                &form,
                StatusCode::BAD_GATEWAY,
                message,
            )
            .await
        }
    }
}

/// The settings page again with the refusal and what was typed.
async fn settings_refused(
    inner: &Inner,
    current: &Current,
    member: &Member,
    form: &HashMap<String, String>,
    status: StatusCode,
    message: String,
) -> HttpResponse {
    let mut typed = form.clone();
    typed.remove("csrf");
    settings_view(
        inner,
        current,
        member,
        status,
        context! { error => message, typed => v(&typed) },
    )
    .await
}

const POSTS: &[(&str, &str)] = &[
    ("titular", "Titular"),
    ("suplente", "Suplente"),
    ("enlace", "Enlace"),
    ("facilitador", "Facilitador"),
    ("invitado", "Integrante invitado"),
];

async fn members_view(
    inner: &Inner,
    current: &Current,
    member: &Member,
    status: StatusCode,
    extra: minijinja::Value,
) -> HttpResponse {
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let seats = or_return!(
        get(
            inner,
            current,
            member,
            &format!("/secretariats/{stl}/seats")
        )
        .await
    );
    let members = or_return!(
        get(
            inner,
            current,
            member,
            &format!("/secretariats/{stl}/members")
        )
        .await
    );
    let terms = or_return!(
        get(
            inner,
            current,
            member,
            &format!("/secretariats/{stl}/terms")
        )
        .await
    );
    let calls = or_return!(
        get(
            inner,
            current,
            member,
            &format!("/secretariats/{stl}/calls")
        )
        .await
    );
    inner.render_status(
        status,
        "consola/integrantes.html",
        current,
        context! {
            page => "consola",
            seats => v(&seats),
            members => v(&members),
            terms => v(&terms),
            calls => v(&calls),
            posts => v(&POSTS),
            can_edit => is_president(member),
            ..extra
        },
    )
}

async fn members_page(
    state: web::Data<WebState>,
    request: HttpRequest,
    query: web::Query<Done>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = or_return!(require_manager(inner, &current));
    let notice = match query.hecho.as_deref() {
        Some("integrante") => Some("Integrante registrado. Ahora puede designarlo en un asiento."),
        Some("designacion") => Some("Designación registrada."),
        Some("renuncia") => Some("Renuncia aplicada con sus consecuencias (000 II.4.V)."),
        Some("terminada") => Some(
            "Designación terminada: desde el día siguiente, la persona entrega su encargo (000 III.7).",
        ),
        _ => None,
    };
    members_view(
        inner,
        &current,
        &member,
        StatusCode::OK,
        context! { notice => notice },
    )
    .await
}

/// Posts a console form to the secretariat; success goes back to the
/// members' page, a refusal shows it again with what was typed.
async fn post_and_return(
    inner: &Inner,
    current: &Current,
    member: &Member,
    path: String,
    body: Value,
    form: &HashMap<String, String>,
    step: &str,
) -> HttpResponse {
    match inner
        .call(
            Method::POST,
            inner.secretariat(&path),
            Some(&member.token),
            Some(body),
        )
        .await
    {
        Ok(a) if a.status.is_success() => {
            redirect(&format!("/consola/integrantes?hecho={step}"), None)
        }
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, current),
        Ok(a) => {
            let mut typed = form.clone();
            typed.remove("csrf");
            members_view(
                inner,
                current,
                member,
                client_status(a.status),
                context! { error => a.detail(), error_for => step, typed => v(&typed) },
            )
            .await
        }
        Err(message) => inner.error_page(current, StatusCode::BAD_GATEWAY, &message),
    }
}

fn form_field(form: &HashMap<String, String>, k: &str) -> String {
    form.get(k)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn optional(form: &HashMap<String, String>, k: &str) -> Value {
    let value = form_field(form, k);
    if value.is_empty() {
        Value::Null
    } else {
        json!(value)
    }
}

async fn register_member(
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
    let member = or_return!(require_manager(inner, &current));
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let body = json!({
        "name": form_field(&form, "name"),
        "rfc": form_field(&form, "rfc").to_uppercase(),
        "email": form_field(&form, "email"),
    });
    post_and_return(
        inner,
        &current,
        &member,
        format!("/secretariats/{stl}/members"),
        body,
        &form,
        "integrante",
    )
    .await
}

async fn designate(
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
    let member = or_return!(require_manager(inner, &current));
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let body = json!({
        "member_id": form_field(&form, "member_id"),
        "role": form_field(&form, "role"),
        "seat": optional(&form, "seat"),
        "project": optional(&form, "project"),
        "body": optional(&form, "body"),
        "starts_on": form_field(&form, "starts_on"),
        "ends_on": optional(&form, "ends_on"),
    });
    post_and_return(
        inner,
        &current,
        &member,
        format!("/secretariats/{stl}/designations"),
        body,
        &form,
        "designacion",
    )
    .await
}

/// `POST /consola/designaciones/{id}/terminar`: the last day in post (the
/// member becomes outgoing the day after and hands over, 000 III.7).
async fn end_designation(
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
    let member = or_return!(require_manager(inner, &current));
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(
            &current,
            StatusCode::NOT_FOUND,
            "Esa designación no existe.",
        );
    }
    match inner
        .call(
            Method::PATCH,
            inner.secretariat(&format!("/designations/{id}")),
            Some(&member.token),
            Some(json!({
                "ends_on": form_field(&form, "ends_on"),
                "ended_reason": optional(&form, "ended_reason"),
            })),
        )
        .await
    {
        Ok(a) if a.status.is_success() => redirect("/consola/integrantes?hecho=terminada", None),
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(a) => {
            let mut typed = form.clone();
            typed.remove("csrf");
            members_view(
                inner,
                &current,
                &member,
                client_status(a.status),
                context! { error => a.detail(), error_for => format!("terminar-{id}"), typed => v(&typed) },
            )
            .await
        }
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

/// `POST /consola/renuncias`: without `confirmar`, the secretariat only
/// explains the cascade (`dry_run`) and the page shows it with a button to
/// apply it; with `confirmar`, it is applied.
async fn resign(
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
    let member = or_return!(require_manager(inner, &current));
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let seat = form_field(&form, "seat");
    if !valid_id(&seat.replace('_', "-")) {
        return members_view(
            inner,
            &current,
            &member,
            StatusCode::UNPROCESSABLE_ENTITY,
            context! { error => "Elija el asiento de la renuncia.", error_for => "renuncia", typed => v(&form) },
        )
        .await;
    }
    let confirm = form.contains_key("confirmar");
    let body = json!({
        "who": form_field(&form, "who"),
        "effective_on": form_field(&form, "effective_on"),
        "reason": optional(&form, "reason"),
        "dry_run": !confirm,
    });
    let path = format!("/secretariats/{stl}/seats/{seat}/resignations");
    if confirm {
        return post_and_return(inner, &current, &member, path, body, &form, "renuncia").await;
    }
    match inner
        .call(
            Method::POST,
            inner.secretariat(&path),
            Some(&member.token),
            Some(body),
        )
        .await
    {
        Ok(a) if a.status.is_success() => {
            let mut typed = form.clone();
            typed.remove("csrf");
            members_view(
                inner,
                &current,
                &member,
                StatusCode::OK,
                context! { preview => v(&a.body), typed => v(&typed) },
            )
            .await
        }
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(a) => {
            let mut typed = form.clone();
            typed.remove("csrf");
            members_view(
                inner,
                &current,
                &member,
                client_status(a.status),
                context! { error => a.detail(), error_for => "renuncia", typed => v(&typed) },
            )
            .await
        }
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_form_becomes_a_merge_patch_and_a_bad_number_is_explained() {
        let mut form: HashMap<String, String> = [
            ("notice_ordinary", "5"),
            ("notice_extraordinary", "3"),
            ("notice_work_meeting", "0"),
            ("rolls_forward", "on"),
            ("civil_society_required", "on"),
            ("majority_needs_civil_society", "on"),
            ("president_casting_vote", "on"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let patch = rules_patch(&form).unwrap();
        assert_eq!(patch["notice"]["extraordinary"], 3);
        assert_eq!(patch["notice"]["issue_day_counts"], false);
        assert_eq!(patch["notice"]["non_business_issue_rolls_forward"], true);
        assert_eq!(patch["decision"]["consensus_only"], false);
        assert_eq!(patch["quorum"]["civil_society_required"], true);
        form.insert("notice_ordinary".into(), "cinco".into());
        let error = rules_patch(&form).unwrap_err();
        assert!(error.contains("se escribió «cinco»"), "{error}");
        assert_eq!(
            non_working_days("2026-12-24 Nochebuena\n\n2026-12-31"),
            vec![
                json!({ "date": "2026-12-24", "reason": "Nochebuena" }),
                json!({ "date": "2026-12-31" })
            ]
        );
    }

    #[test]
    fn the_setup_pages_render_with_a_preview_and_what_was_typed() {
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
        let seats = json!([{ "id": "academia", "name": "Academia", "group": "sociedad_civil", "active": true, "presides": false,
            "titular": { "designation_id": "d1", "member_id": "m1", "name": "ANA <b>", "starts_on": "2024-01-15" } }]);
        let terms = json!([{ "designation_id": "d1", "explanation": "termina el 14 de enero de 2027 (000 II.3)" }]);
        let members = json!([{ "id": "m1", "name": "ANA", "rfc": "XAXX010101000", "email": "ana@example.mx", "designations": [{ "role": "titular", "seat": "academia", "current": true }] }]);
        let preview = json!({ "explanation": "renuncia del titular: asciende el suplente (000 II.4.V.a)", "dry_run": true, "ended": [], "started": [], "calls": [] });
        let html = env
            .get_template("consola/integrantes.html")
            .and_then(|t| {
                t.render(context! {
                    csrf => "c", member => v(&member), seats => v(&seats), terms => v(&terms), members => v(&members),
                    calls => v(&json!([])), posts => v(&POSTS), can_edit => true, preview => v(&preview),
                    typed => v(&json!({ "seat": "academia", "who": "titular", "effective_on": "2026-12-01", "name": "LO ESCRITO" })),
                    error => "RFC no válido", error_for => "integrante",
                })
            })
            .unwrap();
        assert!(html.contains("ANA &lt;b&gt;") && html.contains("termina el 14 de enero de 2027"));
        assert!(html.contains("asciende el suplente") && html.contains("name=\"confirmar\""));
        assert!(html.contains("value=\"LO ESCRITO\"") && html.contains("RFC no válido"));
        assert!(!html.contains("XAXX010101000") || html.contains("m-rfc"));
        let secretariat = json!({ "name": "STL", "preset": "jalisco", "utc_offset_minutes": -360, "non_working_days": [],
            "config": { "notice": { "ordinary": 5, "extraordinary": 5, "work_meeting": 0, "issue_day_counts": false, "non_business_issue_rolls_forward": true },
                        "quorum": { "civil_society_required": true },
                        "decision": { "consensus_only": false, "majority_needs_civil_society": true, "majority_needs_each_group": false, "president_casting_vote": true } } });
        for typed in [
            None,
            Some(
                json!({ "name": "STL", "utc_offset_minutes": "menos seis", "notice_ordinary": "5" }),
            ),
        ] {
            let html = env
                .get_template("consola/secretariado.html")
                .and_then(|t| {
                    t.render(context! {
                        csrf => "c", member => v(&member), stl => v(&secretariat), rules => v(&rule_rows(&secretariat["config"])),
                        non_working => "", can_edit => true, typed => v(&typed),
                    })
                })
                .unwrap();
            assert!(html.contains("(000 V.6)") && html.contains("(000 VI)"));
            if typed.is_some() {
                assert!(
                    html.contains("value=\"menos seis\""),
                    "lo escrito se perdió"
                );
            } else {
                assert!(html.contains(
                    "id=\"president_casting_vote\" name=\"president_casting_vote\" checked"
                ));
            }
        }
    }
}
