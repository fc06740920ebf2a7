//! The secretariats' public site (issue 18; 000 V.10): `/stl` and
//! `/stl/{slug}/…`, server-rendered es-MX pages that work without any
//! JavaScript and ask nothing of other sites.
//!
//! Every page here is anonymous: it never reads or sets the members' session
//! cookie, and calls the secretariat's `/public/…` routes and the archive's
//! public routes without a token, as anyone could. Pages carry `ETag`,
//! `Last-Modified` and `Cache-Control` (a year, immutable, for a record's
//! page: its SHA-256 names bytes that never change), and answer
//! `If-None-Match` / `If-Modified-Since` with 304.
//!
//! Personal data never reaches these pages: the secretariat's public views
//! carry no RFC, CURP or email, the archive's no RFC; the forms' name and
//! email go to the secretariat and are never shown back except to the person
//! who is typing them (a form returned with its error).

mod console;
#[cfg(test)]
mod console_tests;
mod data;
mod forms;
mod news;
#[cfg(test)]
mod news_tests;
#[cfg(test)]
mod page_tests;
mod proof;
mod render;

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;
use serde_json::{Value, json};

use super::WebState;
use render::{Freshness, Page};

/// The public site's templates (added to the web service's environment).
pub(crate) const TEMPLATES: &[(&str, &str)] = &[
    (
        "stl/base.html",
        include_str!("../../../templates/web/stl/base.html"),
    ),
    (
        "stl/lista.html",
        include_str!("../../../templates/web/stl/lista.html"),
    ),
    (
        "stl/inicio.html",
        include_str!("../../../templates/web/stl/inicio.html"),
    ),
    (
        "stl/compromisos.html",
        include_str!("../../../templates/web/stl/compromisos.html"),
    ),
    (
        "stl/contacto.html",
        include_str!("../../../templates/web/stl/contacto.html"),
    ),
    (
        "stl/ligas.html",
        include_str!("../../../templates/web/stl/ligas.html"),
    ),
    (
        "stl/error.html",
        include_str!("../../../templates/web/stl/error.html"),
    ),
    (
        "stl/sesiones.html",
        include_str!("../../../templates/web/stl/sesiones.html"),
    ),
    (
        "stl/sesion.html",
        include_str!("../../../templates/web/stl/sesion.html"),
    ),
    (
        "stl/registro.html",
        include_str!("../../../templates/web/stl/registro.html"),
    ),
    (
        "stl/datos.html",
        include_str!("../../../templates/web/stl/datos.html"),
    ),
    (
        "stl/verificar.html",
        include_str!("../../../templates/web/stl/verificar.html"),
    ),
    (
        "stl/dudas.html",
        include_str!("../../../templates/web/stl/dudas.html"),
    ),
    (
        "stl/folio.html",
        include_str!("../../../templates/web/stl/folio.html"),
    ),
    (
        "stl/sumate.html",
        include_str!("../../../templates/web/stl/sumate.html"),
    ),
    (
        "stl/comunicados.html",
        include_str!("../../../templates/web/stl/comunicados.html"),
    ),
    (
        "stl/comunicado.html",
        include_str!("../../../templates/web/stl/comunicado.html"),
    ),
    (
        "stl/agenda.html",
        include_str!("../../../templates/web/stl/agenda.html"),
    ),
    (
        "stl/consola_menu.html",
        include_str!("../../../templates/web/stl/consola_menu.html"),
    ),
    (
        "stl/consola_dudas.html",
        include_str!("../../../templates/web/stl/consola_dudas.html"),
    ),
    (
        "stl/consola_sumate.html",
        include_str!("../../../templates/web/stl/consola_sumate.html"),
    ),
];

/// Registers the public pages.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    console::routes(cfg);
    news::routes(cfg);
    cfg.route("/stl", web::get().to(list))
        .route("/sitemap.xml", web::get().to(sitemap))
        .route("/stl/{slug}", web::get().to(home))
        .route("/stl/{slug}/sesiones", web::get().to(sessions))
        .route("/stl/{slug}/sesiones/{folio}", web::get().to(session))
        .route("/stl/{slug}/registros.atom", web::get().to(feed))
        .route("/stl/{slug}/registros/{file}", web::get().to(record))
        .route(
            "/stl/{slug}/evidencia/{sha256}",
            web::get().to(evidence_file),
        )
        .route("/stl/{slug}/datos", web::get().to(open_data))
        .route("/stl/{slug}/datos/{file}", web::get().to(figures_csv))
        .route("/stl/{slug}/verificar", web::get().to(forms::verify_page))
        .route(
            "/stl/{slug}/verificar",
            web::post().to(forms::verify_submit),
        )
        .route("/stl/{slug}/dudas", web::get().to(forms::inquiry_page))
        .route("/stl/{slug}/dudas", web::post().to(forms::inquiry_submit))
        .route(
            "/stl/{slug}/dudas/folio",
            web::get().to(forms::inquiry_status),
        )
        .route("/stl/{slug}/sumate", web::get().to(forms::join_page))
        .route("/stl/{slug}/sumate", web::post().to(forms::join_submit))
        .route("/stl/{slug}/{section}", web::get().to(site_section));
}

// ------------------------------------------------------------------ calls

const UNREACHABLE: &str =
    "No se pudo consultar a los servicios del secretariado. Intente de nuevo en un momento.";

/// An anonymous call's answer.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    fn detail(&self) -> String {
        self.body["detail"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| {
                format!(
                    "El servicio respondió con el código {}. Intente de nuevo en un momento.",
                    self.status.as_u16()
                )
            })
    }
}

/// What went wrong building a page: the status and the Spanish message.
pub(crate) struct Failure {
    pub status: StatusCode,
    pub message: String,
}

impl Failure {
    fn unavailable() -> Failure {
        Failure {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: UNREACHABLE.into(),
        }
    }

    fn from_answer(answer: &Answer) -> Failure {
        let status = if answer.status.is_client_error() {
            answer.status
        } else {
            StatusCode::BAD_GATEWAY
        };
        Failure {
            status,
            message: answer.detail(),
        }
    }
}

/// Calls another service anonymously; the browser's address goes along as
/// a proxy passes it (`X-Forwarded-For`), so per-address limits count this
/// browser and not the web service.
pub(crate) async fn call(
    state: &WebState,
    client: Option<&HttpRequest>,
    method: reqwest::Method,
    url: &str,
    body: Option<(&str, Vec<u8>)>,
) -> Result<Answer, Failure> {
    let mut request = state
        .0
        .http
        .request(method, url)
        .header(reqwest::header::ACCEPT, "application/json")
        .timeout(Duration::from_secs(60));
    if let Some(peer) = client.and_then(|r| r.peer_addr()) {
        let before = client
            .and_then(|r| r.headers().get("x-forwarded-for"))
            .and_then(|v| v.to_str().ok())
            .map(|v| format!("{v}, "))
            .unwrap_or_default();
        request = request.header("x-forwarded-for", format!("{before}{}", peer.ip()));
    }
    if let Some((media, bytes)) = body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, media)
            .body(bytes);
    }
    let response = request.send().await.map_err(|e| {
        tracing::warn!(%url, "servicio inaccesible: {e}");
        Failure::unavailable()
    })?;
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let bytes = response.bytes().await.map_err(|_| Failure::unavailable())?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Answer { status, body })
}

/// GET that must answer 200.
async fn get_ok(state: &WebState, url: &str) -> Result<Value, Failure> {
    let answer = call(state, None, reqwest::Method::GET, url, None).await?;
    if answer.status == StatusCode::OK {
        Ok(answer.body)
    } else {
        Err(Failure::from_answer(&answer))
    }
}

fn secretariat_url(state: &WebState, path: &str) -> String {
    format!("{}{path}", state.0.config.secretariat.trim_end_matches('/'))
}

/// The archive's base URL (`…/archive`), when this web service knows it.
fn archive_base(state: &WebState) -> Result<String, Failure> {
    state
        .0
        .config
        .archive
        .as_deref()
        .map(|a| a.trim_end_matches('/').to_string())
        .ok_or_else(|| Failure {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "Este sitio no tiene configurada la dirección del archivo público (services.archive.url); avise a quien lo administra.".into(),
        })
}

/// The secretariat a slug names (`/public/secretariats/{slug}`).
async fn secretariat(state: &WebState, slug: &str) -> Result<Value, Failure> {
    if !valid_slug(slug) {
        return Err(Failure {
            status: StatusCode::NOT_FOUND,
            message: format!(
                "No hay un secretariado con la dirección «{}». Consulte la lista de secretariados.",
                shorten(slug)
            ),
        });
    }
    get_ok(
        state,
        &secretariat_url(state, &format!("/public/secretariats/{slug}")),
    )
    .await
}

fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn valid_folio(folio: &str) -> bool {
    !folio.is_empty()
        && folio.len() <= 40
        && folio
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/')
}

fn valid_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        out.push('…');
    }
    out
}

/// Any serializable value as a template value.
pub(crate) fn v<T: serde::Serialize>(value: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

/// The `{slug, name}` every page's layout needs.
fn stl_of(secretariat: &Value) -> Value {
    json!({ "slug": secretariat["slug"], "name": secretariat["name"] })
}

/// The archived records of a secretariat, newest first (at most `limit`,
/// in pages of 100).
async fn records_of(
    state: &WebState,
    secretariat_id: &str,
    limit: usize,
) -> Result<Vec<Value>, Failure> {
    records_page(state, secretariat_id, limit)
        .await
        .map(|(records, _)| records)
}

/// [`records_of`], and whether that is all of them.
async fn records_page(
    state: &WebState,
    secretariat_id: &str,
    limit: usize,
) -> Result<(Vec<Value>, bool), Failure> {
    let base = archive_base(state)?;
    let mut out = Vec::new();
    let mut offset = 0;
    let mut complete = false;
    while out.len() < limit {
        let page = get_ok(
            state,
            &format!(
                "{base}/records?secretariat_id={}&limit=100&offset={offset}",
                urlencode(secretariat_id)
            ),
        )
        .await?;
        let records = page["records"].as_array().cloned().unwrap_or_default();
        let n = records.len();
        out.extend(records);
        match page["next_offset"].as_i64() {
            Some(next) if n > 0 => offset = next,
            _ => {
                complete = true;
                break;
            }
        }
    }
    complete = complete && out.len() <= limit;
    out.truncate(limit);
    out.sort_by(|a, b| b["archived_at"].as_i64().cmp(&a["archived_at"].as_i64()));
    Ok((out, complete))
}

pub(crate) fn urlencode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ------------------------------------------------------------------ words

const MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

const WEEKDAYS: [&str; 7] = [
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
];

/// `2026-12-07` → "lunes 7 de diciembre de 2026" (the text itself when it
/// is not a date).
pub(crate) fn long_date(iso: &str) -> String {
    let parsed = (|| {
        let mut parts = iso.splitn(3, '-');
        let year: i32 = parts.next()?.parse().ok()?;
        let month: u8 = parts.next()?.parse().ok()?;
        let day: u8 = parts.next()?.parse().ok()?;
        time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
    })();
    match parsed {
        Some(d) => format!(
            "{} {} de {} de {}",
            WEEKDAYS[usize::from(d.weekday().number_days_from_monday())],
            d.day(),
            MONTHS[usize::from(u8::from(d.month()) - 1)],
            d.year()
        ),
        None => iso.to_string(),
    }
}

/// Epoch ms → "7 de diciembre de 2026, 10:32 (hora del centro)", in the
/// secretariat's own time (`minutes` east of UTC), with its zone named.
pub(crate) fn long_instant(ms: i64, minutes: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) {
        Ok(t) => {
            let t = rubrica_rules::local_time::local(t, minutes);
            format!(
                "{} de {} de {}, {:02}:{:02} ({})",
                t.day(),
                MONTHS[usize::from(u8::from(t.month()) - 1)],
                t.year(),
                t.hour(),
                t.minute(),
                crate::dates::zone(minutes)
            )
        }
        Err(_) => String::new(),
    }
}

/// The secretariat's UTC offset in minutes, from its public view (central
/// Mexico if it says none).
pub(crate) fn offset_of(secretariat: &Value) -> i64 {
    secretariat["utc_offset_minutes"]
        .as_i64()
        .unwrap_or(rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES)
}

fn status_text(status: &str) -> &'static str {
    match status {
        "programada" => "programada (convocatoria pendiente)",
        "convocada" => "convocada",
        "abierta" => "en curso",
        "cerrada" => "celebrada",
        "cancelada" => "cancelada",
        _ => "desconocido",
    }
}

fn vote_text(vote: &str) -> &'static str {
    match vote {
        "favor" => "a favor",
        "contra" => "en contra",
        "abstencion" => "abstención",
        _ => "sin voto",
    }
}

fn rule_text(rule: &str) -> String {
    match rule {
        "consenso" => "consenso".into(),
        "mayoria" => "mayoría".into(),
        "voto_de_calidad" => "voto de calidad de la Presidencia".into(),
        other => other.replace('_', " "),
    }
}

pub(crate) fn verdict_text(verdict: &str) -> &'static str {
    match verdict {
        "valida" => "válida",
        "invalida" => "no válida",
        _ => "no se pudo determinar",
    }
}

/// A session summary with the words the templates show.
fn session_words(s: &Value) -> Value {
    let mut s = s.clone();
    let date = s["date"].as_str().unwrap_or_default().to_string();
    s["date_text"] = json!(long_date(&date));
    s["status_text"] = json!(status_text(s["status"].as_str().unwrap_or_default()));
    if let Some(c) = s["convocatoria_issued_on"].as_str() {
        s["convocatoria_text"] = json!(long_date(c));
    }
    s
}

// ------------------------------------------------------------------ pages

fn failure_page(state: &WebState, stl: Option<&Value>, failure: Failure) -> HttpResponse {
    let title = match failure.status {
        StatusCode::NOT_FOUND => "No se encontró",
        s if s.is_client_error() => "No se pudo completar",
        _ => "Servicio no disponible",
    };
    render::page(
        state,
        &Page::new("stl/error.html", Freshness::NoStore).status(failure.status),
        context! { stl => v(&stl), title => title, message => failure.message },
        None,
    )
}

async fn list(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    match get_ok(&state, &secretariat_url(&state, "/public/secretariats")).await {
        Ok(list) => render::page(
            &state,
            &Page::new("stl/lista.html", Freshness::Short),
            context! { secretariats => v(&list) },
            Some(&request),
        ),
        Err(f) => failure_page(&state, None, f),
    }
}

async fn home(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    match secretariat(&state, &path).await {
        Ok(s) => render::page(
            &state,
            &Page::new("stl/inicio.html", Freshness::Short),
            context! { stl => v(&stl_of(&s)), secretariat => v(&s), section => "inicio" },
            Some(&request),
        ),
        Err(f) => failure_page(&state, None, f),
    }
}

/// b, c and e: the Local Action Plan, the contact data and the links of
/// interest, as the President publishes them.
async fn site_section(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    let (slug, section) = path.into_inner();
    if section == "compromisos" {
        let s = match secretariat(&state, &slug).await {
            Ok(s) => s,
            Err(f) => return failure_page(&state, None, f),
        };
        let stl = stl_of(&s);
        let commitments = match get_ok(
            &state,
            &secretariat_url(&state, &format!("/public/secretariats/{slug}/commitments")),
        )
        .await
        {
            Ok(c) => c,
            Err(f) => return failure_page(&state, Some(&stl), f),
        };
        // Invited members' projects and their progress reports (000 VIII.2–4).
        let projects = match get_ok(
            &state,
            &secretariat_url(&state, &format!("/public/secretariats/{slug}/projects")),
        )
        .await
        {
            Ok(p) => project_words(p),
            Err(f) => return failure_page(&state, Some(&stl), f),
        };
        return render::page(
            &state,
            &Page::new("stl/compromisos.html", Freshness::Short),
            context! {
                stl => v(&stl), commitments => v(&commitments), projects => v(&projects),
                section => "compromisos",
            },
            Some(&request),
        );
    }
    if matches!(section.as_str(), "contacto" | "ligas") {
        return match secretariat(&state, &slug).await {
            Ok(s) => render::page(
                &state,
                &Page::new(
                    if section == "contacto" {
                        "stl/contacto.html"
                    } else {
                        "stl/ligas.html"
                    },
                    Freshness::Short,
                ),
                context! { stl => v(&stl_of(&s)), secretariat => v(&s), section => section },
                Some(&request),
            ),
            Err(f) => failure_page(&state, None, f),
        };
    }
    let stl = secretariat(&state, &slug).await.ok().map(|s| stl_of(&s));
    failure_page(
        &state,
        stl.as_ref(),
        Failure {
            status: StatusCode::NOT_FOUND,
            message: format!(
                "Este sitio no tiene una sección «{}». Use las secciones del inicio del secretariado.",
                shorten(&section)
            ),
        },
    )
}

/// The invited members' projects with the words the page shows.
pub(crate) fn project_words(mut projects: Value) -> Value {
    for p in projects.as_array_mut().into_iter().flatten() {
        let status = match p["status"].as_str().unwrap_or_default() {
            "por_iniciar" => "Por iniciar",
            "concluido" => "Concluido",
            _ => "En curso",
        };
        p["status_name"] = json!(status);
        p["ends_on_text"] = json!(p["ends_on"].as_str().map(long_date));
        for r in p["reports"].as_array_mut().into_iter().flatten() {
            r["period_text"] = json!(long_date(r["period_ending"].as_str().unwrap_or_default()));
        }
    }
    projects
}

async fn sessions(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    let s = match secretariat(&state, &path).await {
        Ok(s) => s,
        Err(f) => return failure_page(&state, None, f),
    };
    let stl = stl_of(&s);
    let calendar = match get_ok(
        &state,
        &secretariat_url(
            &state,
            &format!("/public/secretariats/{}/sessions", path.as_str()),
        ),
    )
    .await
    {
        Ok(c) => c,
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    let (records, all_records) =
        match records_page(&state, s["id"].as_str().unwrap_or_default(), 100).await {
            Ok(r) => r,
            Err(f) => return failure_page(&state, Some(&stl), f),
        };
    let mut upcoming = Vec::new();
    let mut held = Vec::new();
    let mut cancelled = Vec::new();
    for session in calendar.as_array().into_iter().flatten() {
        let mut words = session_words(session);
        match session["status"].as_str() {
            Some("cerrada") => {
                let folio = session["folio"].as_str();
                if let Some(r) = records.iter().find(|r| r["folio"].as_str() == folio) {
                    words["record_sha256"] = r["sha256"].clone();
                }
                // Older records than the newest 100 are found on the session's page.
                words["record_known"] = json!(all_records || !words["record_sha256"].is_null());
                held.push(words);
            }
            Some("cancelada") => cancelled.push(words),
            _ => upcoming.push(words),
        }
    }
    held.reverse();
    let records: Vec<Value> = records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r["date_text"] = json!(long_date(r["date"].as_str().unwrap_or_default()));
            r
        })
        .collect();
    render::page(
        &state,
        &Page::new("stl/sesiones.html", Freshness::Short),
        context! {
            stl => v(&stl), section => "a", upcoming => v(&upcoming), held => v(&held),
            cancelled => v(&cancelled), records => v(&records),
        },
        Some(&request),
    )
}

async fn session(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    let (slug, folio) = path.into_inner();
    let s = match secretariat(&state, &slug).await {
        Ok(s) => s,
        Err(f) => return failure_page(&state, None, f),
    };
    let stl = stl_of(&s);
    if !valid_folio(&folio) {
        return failure_page(
            &state,
            Some(&stl),
            Failure {
                status: StatusCode::NOT_FOUND,
                message: format!(
                    "No hay una sesión con folio «{}». Consulte el calendario de sesiones.",
                    shorten(&folio)
                ),
            },
        );
    }
    let detail = match get_ok(
        &state,
        &secretariat_url(
            &state,
            &format!("/public/secretariats/{slug}/sessions/{}", urlencode(&folio)),
        ),
    )
    .await
    {
        Ok(d) => d,
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    let mut words = session_words(&detail);
    if let Some(motions) = words["motions"].as_array_mut() {
        for m in motions {
            m["rule_text"] = json!(rule_text(m["decided_by"].as_str().unwrap_or_default()));
            if let Some(votes) = m["votes"].as_array_mut() {
                for v in votes {
                    v["vote_text"] = json!(vote_text(v["vote"].as_str().unwrap_or_default()));
                }
            }
        }
    }
    let evidence = if matches!(detail["status"].as_str(), Some("abierta" | "cerrada")) {
        let base = match archive_base(&state) {
            Ok(b) => b,
            Err(f) => return failure_page(&state, Some(&stl), f),
        };
        match get_ok(
            &state,
            &format!(
                "{base}/secretariats/{}/sessions/{}/evidence",
                urlencode(s["id"].as_str().unwrap_or_default()),
                urlencode(&folio)
            ),
        )
        .await
        {
            Ok(list) => evidence_words(list, Some(&slug)),
            Err(f) => return failure_page(&state, Some(&stl), f),
        }
    } else {
        Value::Null
    };
    let record = if detail["status"] == "cerrada" {
        let base = match archive_base(&state) {
            Ok(b) => b,
            Err(f) => return failure_page(&state, Some(&stl), f),
        };
        match get_ok(
            &state,
            &format!(
                "{base}/records?secretariat_id={}&folio={}&limit=1",
                urlencode(s["id"].as_str().unwrap_or_default()),
                urlencode(&folio)
            ),
        )
        .await
        {
            Ok(page) => page["records"].get(0).cloned(),
            Err(f) => return failure_page(&state, Some(&stl), f),
        }
    } else {
        None
    };
    let communiques: Vec<Value> = match news::communiques_of(&state, &slug).await {
        Ok(list) => list
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["session_folio"].as_str() == Some(folio.as_str()))
            .map(news::communique_words)
            .collect(),
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    render::page(
        &state,
        &Page::new("stl/sesion.html", Freshness::Short),
        context! {
            stl => v(&stl), section => "a", session => v(&words), record => v(&record),
            evidence => v(&evidence), communiques => v(&communiques),
        },
        Some(&request),
    )
}

/// A size in words: «2.4 MiB», «830 KiB», «512 bytes».
pub(crate) fn size_text(bytes: i64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes.max(0) as f64;
    if b >= KIB * KIB {
        format!("{:.1} MiB", b / (KIB * KIB))
    } else if b >= KIB {
        format!("{:.0} KiB", b / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// A session's evidence (the archive's list) with what the pages show:
/// its size in words, whether it is an image, and (on the public site,
/// `slug`) where this site serves it.
pub(crate) fn evidence_words(list: Value, slug: Option<&str>) -> Value {
    let mut list = match list {
        Value::Array(items) => items,
        _ => return Value::Null,
    };
    for e in &mut list {
        e["size_text"] = json!(size_text(e["size_bytes"].as_i64().unwrap_or_default()));
        let media = e["media_type"].as_str().unwrap_or_default();
        e["is_image"] = json!(media.starts_with("image/") && e["alt_text"].is_string());
        if let (Some(slug), Some(sha)) = (slug, e["sha256"].as_str().filter(|s| valid_sha256(s))) {
            e["href"] = json!(format!("/stl/{slug}/evidencia/{sha}"));
        }
    }
    Value::Array(list)
}

/// Media types the site serves inline (shown by the browser); anything
/// else is offered as a download.
const INLINE_MEDIA: &[(&str, &str)] = &[
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
    ("video/mp4", "mp4"),
    ("video/webm", "webm"),
    ("video/ogg", "ogv"),
    ("audio/mp4", "m4a"),
    ("audio/mpeg", "mp3"),
    ("audio/ogg", "ogg"),
    ("audio/wav", "wav"),
    ("application/pdf", "pdf"),
];

/// `/stl/{slug}/evidencia/{sha256}`: a public archived object (a session's
/// evidence) passed on from the archive as it streams, never buffered
/// whole; immutable (its name is its SHA-256), shown inline when it is an
/// image, video, audio or PDF, in a sandbox that runs nothing.
async fn evidence_file(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (slug, sha256) = path.into_inner();
    let not_found = || {
        Failure {
        status: StatusCode::NOT_FOUND,
        message: "No hay evidencia pública con esa huella. Vuelva a la página de la sesión y siga su enlace.".into(),
    }
    };
    if !valid_slug(&slug) || !valid_sha256(&sha256) {
        return failure_page(&state, None, not_found());
    }
    let sha256 = sha256.to_ascii_lowercase();
    let etag = format!("\"{sha256}\"");
    const IMMUTABLE: &str = "public, max-age=31536000, immutable";
    let matches = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, IMMUTABLE))
            .finish();
    }
    let base = match archive_base(&state) {
        Ok(b) => b,
        Err(f) => return failure_page(&state, None, f),
    };
    let Ok(response) = state
        .0
        .http
        .get(format!("{base}/objects/{sha256}"))
        .timeout(Duration::from_secs(600))
        .send()
        .await
    else {
        return failure_page(&state, None, Failure::unavailable());
    };
    match response.status().as_u16() {
        200 => {}
        // Not public, or not there: the same answer, nothing revealed.
        401 | 403 | 404 => return failure_page(&state, None, not_found()),
        _ => return failure_page(&state, None, Failure::unavailable()),
    }
    let declared = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let (media, disposition) = match INLINE_MEDIA.iter().find(|(m, _)| *m == declared) {
        Some((media, ext)) => (
            *media,
            format!("inline; filename=\"evidencia-{}.{ext}\"", &sha256[..16]),
        ),
        None => (
            "application/octet-stream",
            format!("attachment; filename=\"evidencia-{}\"", &sha256[..16]),
        ),
    };
    let length = response.content_length();
    let stream = futures_util::stream::unfold(Some(response), |response| async move {
        let mut response = response?;
        match response.chunk().await {
            Ok(Some(chunk)) => Some((Ok::<_, actix_web::Error>(chunk), Some(response))),
            Ok(None) => None,
            Err(e) => Some((
                Err(actix_web::error::ErrorBadGateway(format!(
                    "el archivo dejó de responder: {e}"
                ))),
                None,
            )),
        }
    });
    let mut answer = HttpResponse::Ok();
    answer
        .insert_header((header::CONTENT_TYPE, media))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; img-src 'self'; media-src 'self'; sandbox",
        ));
    if let Some(length) = length {
        answer.no_chunking(length);
    }
    answer.streaming(stream)
}

/// `/stl/{slug}/registros/{sha256}` and its `.json` twin.
async fn record(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    let (slug, file) = path.into_inner();
    let (sha256, as_json) = match file.strip_suffix(".json") {
        Some(sha) => (sha.to_ascii_lowercase(), true),
        None => (file.to_ascii_lowercase(), false),
    };
    let s = match secretariat(&state, &slug).await {
        Ok(s) => s,
        Err(f) => return failure_page(&state, None, f),
    };
    let stl = stl_of(&s);
    let not_found = |message: String| Failure {
        status: StatusCode::NOT_FOUND,
        message,
    };
    if !valid_sha256(&sha256) {
        return failure_page(
            &state,
            Some(&stl),
            not_found(format!(
                "«{}» no es una huella SHA-256 (64 caracteres hexadecimales). Busque el registro en Sesiones y actas.",
                shorten(&sha256)
            )),
        );
    }
    let base = match archive_base(&state) {
        Ok(b) => b,
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    let detail = match get_ok(&state, &format!("{base}/records/{sha256}")).await {
        Ok(d) => d,
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    let rec = &detail["record"];
    if rec["secretariat_id"] != s["id"] {
        return failure_page(
            &state,
            Some(&stl),
            not_found(format!(
                "El registro {sha256} no es de {}. Búsquelo en el sitio de su secretariado.",
                s["name"].as_str().unwrap_or_default()
            )),
        );
    }
    let inclusion = proof::explain(&detail["inclusion"], offset_of(&s));
    let signers: Vec<Value> = rec["signers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            json!({
                "name": x["name"], "seat": x["seat"], "role": x["role"],
                "certificate_number": x["certificate_number"],
                "signing_time": x["signing_time"], "verdict": x["verdict"],
            })
        })
        .collect();
    let archived_at = rec["archived_at"].as_i64().unwrap_or_default();
    let public = json!({
        "sha256": rec["sha256"],
        "kind": rec["kind"],
        "folio": rec["folio"],
        "title": rec["title"],
        "date": rec["date"],
        "size_bytes": rec["size_bytes"],
        "archived_at": archived_at,
        "secretariat": { "slug": slug, "name": s["name"] },
        "signers": signers,
        "refusals": rec["refusals"].as_array().map_or(0, Vec::len),
        "inclusion": {
            "index": detail["inclusion"]["entry"]["index"],
            "leaf_hash": detail["inclusion"]["entry"]["leaf_hash"],
            "tree_size": detail["inclusion"]["tree_size"],
            "proof": detail["inclusion"]["proof"],
            "tree_head": detail["inclusion"]["tree_head"],
            "checked_by_this_site": inclusion["ok"],
        },
        "page": format!("/stl/{slug}/registros/{sha256}"),
        "verify": format!("/stl/{slug}/verificar"),
    });
    let freshness = Freshness::Immutable {
        last_modified_ms: archived_at,
    };
    if as_json {
        return render::json(&state, &public, freshness, Some(&request));
    }
    let mut words = public.clone();
    words["archived_text"] = json!(long_instant(archived_at, offset_of(&s)));
    if let Some(list) = words["signers"].as_array_mut() {
        for x in list {
            x["verdict_text"] = json!(verdict_text(x["verdict"].as_str().unwrap_or_default()));
        }
    }
    let session_folio = rec["folio"].as_str().filter(|f| valid_folio(f));
    render::page(
        &state,
        &Page::new("stl/registro.html", freshness),
        context! {
            stl => v(&stl), section => "a", record => v(&words), inclusion => v(&inclusion),
            session_folio => session_folio, log_url => base,
        },
        Some(&request),
    )
}

async fn open_data(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    let s = match secretariat(&state, &path).await {
        Ok(s) => s,
        Err(f) => return failure_page(&state, None, f),
    };
    let stl = stl_of(&s);
    let base = match archive_base(&state) {
        Ok(b) => b,
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    let package = match get_ok(&state, &format!("{base}/open-data/datapackage.json")).await {
        Ok(p) => p,
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    // Row counts and last updates (the archive computes them at most once
    // a minute); the page still lists the files if they cannot be had.
    let stats = get_ok(&state, &format!("{base}/open-data/stats.json"))
        .await
        .unwrap_or(Value::Null);
    let resources: Vec<Value> = package["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let name = r["name"].as_str().unwrap_or_default();
            let figures = stats["resources"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|x| x["name"] == name);
            json!({
                "name": name,
                "title": r["title"],
                "description": r["description"],
                "fields": r["schema"]["fields"],
                "csv_url": format!("{base}/open-data/{}.csv", urlencode(name)),
                "json_url": format!("{base}/open-data/{}.json", urlencode(name)),
                "rows": figures.map(|x| x["rows"].clone()),
                "updated": figures
                    .and_then(|x| x["last_updated_at"].as_i64())
                    .map(|ms| long_instant(ms, offset_of(&s))),
            })
        })
        .collect();
    let mut site = Vec::new();
    for what in ["figures", "commitments", "projects"] {
        match get_ok(
            &state,
            &secretariat_url(
                &state,
                &format!("/public/secretariats/{}/{what}", path.as_str()),
            ),
        )
        .await
        {
            Ok(v) => site.push(v),
            Err(f) => return failure_page(&state, Some(&stl), f),
        }
    }
    let own = data::presented(path.as_str(), &site[1], &site[2], &site[0]);
    let figures = figure_words(&site[0]);
    let license = package["licenses"][0]["title"]
        .as_str()
        .or_else(|| package["licenses"][0]["name"].as_str())
        .unwrap_or("sin licencia declarada");
    render::page(
        &state,
        &Page::new("stl/datos.html", Freshness::Short),
        context! {
            stl => v(&stl), section => "d", figures => v(&figures), own => v(&own),
            stats_at => stats["computed_at"].as_i64().map(|ms| long_instant(ms, offset_of(&s))),
            package => v(&json!({
                "description": package["description"],
                "license": license,
                "descriptor_url": format!("{base}/open-data/datapackage.json"),
                "resources": resources,
            })),
        },
        Some(&request),
    )
}

const CATEGORY_NAMES: &[(&str, &str)] = &[
    ("duda", "Dudas"),
    ("queja", "Quejas"),
    ("sugerencia", "Sugerencias"),
];

const SECTOR_NAMES: &[(&str, &str)] = &[
    ("ciudadania", "Ciudadanía"),
    ("sociedad_civil", "Sociedad civil organizada"),
    ("academia", "Academia"),
    ("empresarial", "Sector empresarial"),
    ("comunidad_tecnologica", "Comunidad tecnológica"),
    ("gobierno", "Gobierno"),
    ("otro", "Otro"),
];

fn label(table: &[(&str, &str)], key: &str) -> String {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| l.to_string())
        .unwrap_or_else(|| key.replace('_', " "))
}

/// The secretariat's figures with the names the page shows.
fn figure_words(figures: &Value) -> Value {
    let mut out = figures.clone();
    for (list, key, table) in [
        ("inquiries", "category", CATEGORY_NAMES),
        ("join_requests", "sector", SECTOR_NAMES),
    ] {
        if let Some(rows) = out[list].as_array_mut() {
            for row in rows {
                row["label"] = json!(label(table, row[key].as_str().unwrap_or_default()));
            }
        }
    }
    out
}

/// `/stl/{slug}/datos/dudas.csv` and `/stl/{slug}/datos/sumate.csv`: the
/// public forms' figures (counts only) as CSV; `compromisos.csv`: the Local
/// Action Plan, one row per milestone.
async fn figures_csv(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    let (slug, file) = path.into_inner();
    let s = match secretariat(&state, &slug).await {
        Ok(s) => s,
        Err(f) => return failure_page(&state, None, f),
    };
    let stl = stl_of(&s);
    if file == "datapackage.json" {
        let descriptor = data::descriptor(
            &origin(&request),
            &slug,
            s["name"].as_str().unwrap_or_default(),
        );
        return render::bytes(
            &state,
            serde_json::to_vec_pretty(&descriptor).unwrap_or_default(),
            "application/json",
            Freshness::Short,
            None,
            Some(&request),
        );
    }
    if file == "proyectos.csv" {
        let projects = match get_ok(
            &state,
            &secretariat_url(&state, &format!("/public/secretariats/{slug}/projects")),
        )
        .await
        {
            Ok(p) => p,
            Err(f) => return failure_page(&state, Some(&stl), f),
        };
        return render::bytes(
            &state,
            data::projects_csv(&projects).into_bytes(),
            "text/csv; charset=utf-8",
            Freshness::Short,
            None,
            Some(&request),
        );
    }
    if file == "compromisos.csv" {
        let commitments = match get_ok(
            &state,
            &secretariat_url(&state, &format!("/public/secretariats/{slug}/commitments")),
        )
        .await
        {
            Ok(c) => c,
            Err(f) => return failure_page(&state, Some(&stl), f),
        };
        let mut csv = rubrica_platform::csv::csv_row(&data::header("compromisos"));
        for c in commitments.as_array().into_iter().flatten() {
            for m in c["milestones"].as_array().into_iter().flatten() {
                let text = |v: &Value| match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                csv.push_str(&rubrica_platform::csv::csv_row(&[
                    text(&c["number"]),
                    text(&c["title"]),
                    text(&c["responsible_seat"]),
                    text(&c["starts_on"]),
                    text(&c["due_on"]),
                    text(&c["progress"]),
                    text(&c["light"]),
                    text(&m["title"]),
                    text(&m["weight"]),
                    text(&m["progress"]),
                ]));
            }
        }
        return render::bytes(
            &state,
            csv.into_bytes(),
            "text/csv; charset=utf-8",
            Freshness::Short,
            None,
            Some(&request),
        );
    }
    if file != "dudas.csv" && file != "sumate.csv" {
        return failure_page(
            &state,
            Some(&stl),
            Failure {
                status: StatusCode::NOT_FOUND,
                message: format!(
                    "No existe el archivo «{}». Los archivos de este sitio son compromisos.csv, proyectos.csv, dudas.csv y sumate.csv, descritos en datapackage.json; los demás datos abiertos están en Datos abiertos.",
                    shorten(&file)
                ),
            },
        );
    }
    let figures = match get_ok(
        &state,
        &secretariat_url(&state, &format!("/public/secretariats/{slug}/figures")),
    )
    .await
    {
        Ok(f) => f,
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    let as_of = figures["as_of"].as_str().unwrap_or_default();
    let mut csv = String::new();
    if file == "dudas.csv" {
        csv.push_str(&rubrica_platform::csv::csv_row(&data::header("dudas")));
        for f in figures["inquiries"].as_array().into_iter().flatten() {
            csv.push_str(&format!(
                "{as_of},{},{},{},{},{}\r\n",
                f["category"].as_str().unwrap_or_default(),
                f["received"],
                f["answered"],
                f["answered_on_time"],
                f["overdue"]
            ));
        }
    } else {
        csv.push_str(&rubrica_platform::csv::csv_row(&data::header("sumate")));
        for f in figures["join_requests"].as_array().into_iter().flatten() {
            csv.push_str(&rubrica_platform::csv::csv_row(&[
                as_of.to_string(),
                f["sector"].as_str().unwrap_or_default().to_string(),
                f["requests"].to_string(),
            ]));
        }
    }
    render::bytes(
        &state,
        csv.into_bytes(),
        "text/csv; charset=utf-8",
        Freshness::Short,
        None,
        Some(&request),
    )
}

/// The request's own origin, for absolute URLs in the feed and sitemap.
fn origin(request: &HttpRequest) -> String {
    let info = request.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// The Atom feed of a secretariat's newest archived records.
async fn feed(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    let s = match secretariat(&state, &path).await {
        Ok(s) => s,
        Err(f) => return failure_page(&state, None, f),
    };
    let stl = stl_of(&s);
    let records = match records_of(&state, s["id"].as_str().unwrap_or_default(), 50).await {
        Ok(r) => r,
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    let origin = origin(&request);
    let slug = path.as_str();
    let newest = records
        .iter()
        .filter_map(|r| r["archived_at"].as_i64())
        .max()
        .unwrap_or(0);
    let name = xml_escape(s["name"].as_str().unwrap_or_default());
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"es-MX\">\n<title>Registros firmados de {name}</title>\n<subtitle>Actas y minutas firmadas con e.firma y archivadas en el archivo público.</subtitle>\n<id>{origin}/stl/{slug}/registros.atom</id>\n<link rel=\"self\" type=\"application/atom+xml\" href=\"{origin}/stl/{slug}/registros.atom\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"{origin}/stl/{slug}/sesiones\"/>\n<updated>{}</updated>\n<author><name>{name}</name></author>\n",
        rfc3339(newest)
    );
    for r in &records {
        let sha = r["sha256"].as_str().unwrap_or_default();
        if !valid_sha256(sha) {
            continue;
        }
        let url = format!("{origin}/stl/{slug}/registros/{sha}");
        let signers: Vec<&str> = r["signers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x["name"].as_str())
            .collect();
        xml.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>{url}</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\n<updated>{}</updated>\n<summary>{} del {}, firmada por {}. Huella SHA-256 {sha}.</summary>\n</entry>\n",
            xml_escape(r["title"].as_str().unwrap_or_default()),
            rfc3339(r["archived_at"].as_i64().unwrap_or_default()),
            xml_escape(&capitalise(r["kind"].as_str().unwrap_or("registro"))),
            xml_escape(&long_date(r["date"].as_str().unwrap_or_default())),
            xml_escape(&signers.join(", ")),
        ));
    }
    xml.push_str("</feed>\n");
    render::bytes(
        &state,
        xml.into_bytes(),
        "application/atom+xml; charset=utf-8",
        Freshness::Short,
        (newest > 0).then_some(newest),
        Some(&request),
    )
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Sections of a secretariat's site listed in the sitemap.
const SITE_PAGES: &[&str] = &[
    "",
    "/sesiones",
    "/datos",
    "/verificar",
    "/dudas",
    "/sumate",
    "/compromisos",
    "/agenda",
    "/comunicados",
    "/contacto",
    "/ligas",
];

/// `/sitemap.xml`: every secretariat's pages, sessions, communiqués and
/// (newest 500) records.
async fn sitemap(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    let list = match get_ok(&state, &secretariat_url(&state, "/public/secretariats")).await {
        Ok(l) => l,
        Err(f) => return failure_page(&state, None, f),
    };
    let origin = origin(&request);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n<url><loc>{origin}/stl</loc></url>\n"
    );
    for s in list.as_array().into_iter().flatten() {
        let Some(slug) = s["slug"].as_str().filter(|s| valid_slug(s)) else {
            continue;
        };
        for page in SITE_PAGES {
            xml.push_str(&format!(
                "<url><loc>{origin}/stl/{slug}{page}</loc></url>\n"
            ));
        }
        if let Ok(calendar) = get_ok(
            &state,
            &secretariat_url(&state, &format!("/public/secretariats/{slug}/sessions")),
        )
        .await
        {
            for session in calendar.as_array().into_iter().flatten() {
                if let Some(folio) = session["folio"].as_str().filter(|f| valid_folio(f)) {
                    xml.push_str(&format!(
                        "<url><loc>{origin}/stl/{slug}/sesiones/{}</loc></url>\n",
                        xml_escape(folio)
                    ));
                }
            }
        }
        if let Ok(list) = news::communiques_of(&state, slug).await {
            for c in list.as_array().into_iter().flatten() {
                if let Some(number) = c["number"].as_i64() {
                    xml.push_str(&format!(
                        "<url><loc>{origin}/stl/{slug}/comunicados/{number}</loc><lastmod>{}</lastmod></url>\n",
                        rfc3339(c["updated_at"].as_i64().unwrap_or_default())
                    ));
                }
            }
        }
        if let Ok(detail) = secretariat(&state, slug).await
            && let Ok(records) =
                records_of(&state, detail["id"].as_str().unwrap_or_default(), 500).await
        {
            for r in records {
                if let Some(sha) = r["sha256"].as_str().filter(|s| valid_sha256(s)) {
                    xml.push_str(&format!(
                        "<url><loc>{origin}/stl/{slug}/registros/{sha}</loc><lastmod>{}</lastmod></url>\n",
                        rfc3339(r["archived_at"].as_i64().unwrap_or_default())
                    ));
                }
            }
        }
    }
    xml.push_str("</urlset>\n");
    render::bytes(
        &state,
        xml.into_bytes(),
        "application/xml; charset=utf-8",
        Freshness::Short,
        None,
        Some(&request),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_in_spanish() {
        assert_eq!(long_date("2026-12-07"), "lunes 7 de diciembre de 2026");
        assert_eq!(long_date("no es fecha"), "no es fecha");
        // 2026-12-07 16:00 UTC: 10:00 in central Mexico, 09:00 on the Pacific.
        let at = 1_796_659_200_000;
        assert_eq!(
            long_instant(at, -360),
            "7 de diciembre de 2026, 10:00 (hora del centro)"
        );
        assert_eq!(
            long_instant(at, -420),
            "7 de diciembre de 2026, 09:00 (hora del Pacífico)"
        );
    }

    #[test]
    fn paths_are_checked_before_they_reach_a_service() {
        assert!(valid_slug("stl-de-jalisco"));
        assert!(!valid_slug("../secretariats"));
        assert!(valid_folio("2026-ORD-01"));
        assert!(!valid_folio("2026 ORD"));
        assert!(valid_sha256(&"a".repeat(64)));
        assert!(!valid_sha256("abc"));
        assert_eq!(urlencode("a b/ñ"), "a%20b%2F%C3%B1");
    }
}
