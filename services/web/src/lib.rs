//! The members' web platform (issue 16): server-rendered HTML in es-MX,
//! mounted at `/` of the suite or run alone (`rubrica-web`).
//!
//! It owns no domain data. A browser session is an `HttpOnly; Secure;
//! SameSite=Strict` cookie mapped, in this process's memory, to the member's
//! own bearer token from the secretariat (`/auth/fiel` or
//! `/auth/email-link/redeem`); every page calls the other services' APIs with
//! that token, so their access rules and audit trails stay where they are.
//! The token never reaches the browser.
//!
//! Every form carries the session's CSRF token (the two JSON calls of the
//! FIEL modules send it as `X-CSRF-Token`), and every page has a strict
//! `Content-Security-Policy`: only this origin's scripts, styles and
//! connections, no inline code. The two FIEL operations (login, signing) are
//! small ES modules from `web/dist/` (built from `web/src/`, committed); the
//! private key and its password never leave the page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use minijinja::{Environment, context};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const COOKIE: &str = "rubrica_sesion";
/// The header the FIEL modules send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The pages' Content-Security-Policy: nothing inline, nothing from elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// How long a browser session lives without use.
const IDLE: Duration = Duration::from_secs(60 * 60);
/// Sessions kept at most (anonymous ones are dropped first when full).
const MAX_SESSIONS: usize = 10_000;

/// Where the other services are (base URLs with their prefixes).
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub secretariat: String,
    pub signing: String,
    pub documents: Option<String>,
}

impl WebConfig {
    /// From the suite's settings (the launcher fills in the local URLs).
    pub fn from_settings(settings: &rubrica_platform::Settings) -> Option<WebConfig> {
        Some(WebConfig {
            secretariat: settings.services.secretariat.url.clone()?,
            signing: settings.services.signing.url.clone()?,
            documents: settings.services.documents.url.clone(),
        })
    }
}

/// A static file embedded in the binary, served under a content-hashed name.
struct Asset {
    name: &'static str,
    bytes: &'static [u8],
    media: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "entrar.js",
        bytes: include_bytes!("../../../web/dist/entrar.js"),
        media: "text/javascript; charset=utf-8",
    },
    Asset {
        name: "firmar.js",
        bytes: include_bytes!("../../../web/dist/firmar.js"),
        media: "text/javascript; charset=utf-8",
    },
    Asset {
        name: "rubrica.css",
        bytes: include_bytes!("../../../web/static/rubrica.css"),
        media: "text/css; charset=utf-8",
    },
];

const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../../templates/web/base.html"),
    ),
    (
        "entrar.html",
        include_str!("../../../templates/web/entrar.html"),
    ),
    (
        "enlace.html",
        include_str!("../../../templates/web/enlace.html"),
    ),
    (
        "pendientes.html",
        include_str!("../../../templates/web/pendientes.html"),
    ),
    (
        "firmar.html",
        include_str!("../../../templates/web/firmar.html"),
    ),
    (
        "cuenta.html",
        include_str!("../../../templates/web/cuenta.html"),
    ),
    (
        "error.html",
        include_str!("../../../templates/web/error.html"),
    ),
];

/// Who is logged in on a browser session.
#[derive(Debug, Clone, serde::Serialize)]
struct Member {
    #[serde(skip)]
    token: String,
    name: String,
    rfc: Option<String>,
    member_id: Option<String>,
    secretariat_id: Option<String>,
    roles: Vec<String>,
    /// Entered with a mailed link: may read and refuse, not sign.
    read_only: bool,
    certificate: Option<CertificateInfo>,
    expires_at: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
struct CertificateInfo {
    number: String,
    not_before: String,
    not_after: String,
    issuer: String,
}

struct Session {
    csrf: String,
    member: Option<Member>,
    last_seen: Instant,
}

struct Inner {
    config: WebConfig,
    http: reqwest::Client,
    env: Environment<'static>,
    /// Hashed name → asset index.
    by_hashed: HashMap<String, usize>,
    /// Plain name → `/static/<hashed>`.
    urls: HashMap<&'static str, String>,
    sessions: Mutex<HashMap<String, Session>>,
}

/// The web service's state, shared by every worker.
#[derive(Clone)]
pub struct WebState(Arc<Inner>);

impl WebState {
    pub fn new(config: WebConfig, http: reqwest::Client) -> WebState {
        let mut by_hashed = HashMap::new();
        let mut urls = HashMap::new();
        for (i, asset) in ASSETS.iter().enumerate() {
            let hash = hex::encode(&Sha256::digest(asset.bytes)[..6]);
            let (stem, ext) = asset.name.rsplit_once('.').unwrap_or((asset.name, ""));
            let hashed = format!("{stem}.{hash}.{ext}");
            urls.insert(asset.name, format!("/static/{hashed}"));
            by_hashed.insert(hashed, i);
        }
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            if let Err(e) = env.add_template(name, source) {
                // The templates are part of the binary: a broken one is a
                // build defect, caught by the tests that render every page.
                tracing::error!("plantilla {name} inválida: {e}");
            }
        }
        let asset_urls = urls.clone();
        env.add_function("asset", move |name: String| {
            // Our own `/static/<name>.<hash>.<ext>`: nothing to escape.
            minijinja::Value::from_safe_string(
                asset_urls.get(name.as_str()).cloned().unwrap_or_default(),
            )
        });
        env.add_filter("fecha", fecha);
        WebState(Arc::new(Inner {
            config,
            http,
            env,
            by_hashed,
            urls,
            sessions: Mutex::new(HashMap::new()),
        }))
    }

    /// The URL a static file is served at (content-hashed).
    pub fn asset_url(&self, name: &str) -> Option<&str> {
        self.0.urls.get(name).map(String::as_str)
    }
}

/// The front for [`rubrica_platform::launch::Suite::with_front`].
pub fn front(state: WebState) -> rubrica_platform::launch::Front {
    Arc::new(move |cfg: &mut web::ServiceConfig| configure(cfg, state.clone()))
}

/// Registers the pages on `cfg`.
pub fn configure(cfg: &mut web::ServiceConfig, state: WebState) {
    cfg.app_data(web::Data::new(state))
        .app_data(web::FormConfig::default().limit(16 * 1024))
        .app_data(web::JsonConfig::default().limit(64 * 1024))
        .route("/", web::get().to(home))
        .route("/entrar", web::get().to(login_page))
        .route("/entrar", web::post().to(login_without_js))
        .route("/entrar/reto", web::post().to(login_challenge))
        .route("/entrar/fiel", web::post().to(login_fiel))
        .route("/entrar/correo", web::post().to(request_link))
        .route("/entrar/enlace", web::get().to(link_page))
        .route("/entrar/enlace", web::post().to(redeem_link))
        .route("/salir", web::post().to(logout))
        .route("/pendientes", web::get().to(pending))
        .route("/cuenta", web::get().to(account))
        .route("/firmar/{id}", web::get().to(sign_page))
        .route("/firmar/{id}/acta.pdf", web::get().to(route_pdf))
        .route("/firmar/{id}/firmada.pdf", web::get().to(signed_pdf))
        .route("/firmar/{id}/preparar", web::post().to(prepare))
        .route("/firmar/{id}/completar", web::post().to(complete))
        .route("/firmar/{id}/rechazar", web::post().to(refuse))
        .route("/static/{name}", web::get().to(static_file));
}

// ------------------------------------------------------------------ sessions

fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

fn cookie_value(request: &HttpRequest) -> Option<String> {
    let raw = request.headers().get(header::COOKIE)?.to_str().ok()?;
    raw.split(';').find_map(|part| {
        let (name, value) = part.trim().split_once('=')?;
        (name == COOKIE && value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| value.to_string())
    })
}

/// `Set-Cookie` for a session id (or its removal).
fn set_cookie(id: Option<&str>) -> HeaderValue {
    let value = match id {
        Some(id) => format!("{COOKIE}={id}; Path=/; HttpOnly; Secure; SameSite=Strict"),
        None => format!("{COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The request's session: its id, CSRF token and member, and whether the
/// cookie must be (re)set.
struct Current {
    id: String,
    csrf: String,
    member: Option<Member>,
    fresh: bool,
}

impl Inner {
    fn current(&self, request: &HttpRequest) -> Current {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if let Some(id) = cookie_value(request)
            && let Some(session) = sessions.get_mut(&id)
            && now.duration_since(session.last_seen) < IDLE
        {
            session.last_seen = now;
            return Current {
                id,
                csrf: session.csrf.clone(),
                member: session.member.clone(),
                fresh: false,
            };
        }
        if sessions.len() >= MAX_SESSIONS {
            sessions.retain(|_, s| now.duration_since(s.last_seen) < IDLE);
            if sessions.len() >= MAX_SESSIONS {
                sessions.retain(|_, s| s.member.is_some());
            }
        }
        let id = random_hex(32);
        let csrf = random_hex(32);
        sessions.insert(
            id.clone(),
            Session {
                csrf: csrf.clone(),
                member: None,
                last_seen: now,
            },
        );
        Current {
            id,
            csrf,
            member: None,
            fresh: true,
        }
    }

    /// Starts a member's session under a new id (the old one is dropped).
    fn start(&self, old: &str, member: Member) -> String {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.remove(old);
        let id = random_hex(32);
        sessions.insert(
            id.clone(),
            Session {
                csrf: random_hex(32),
                member: Some(member),
                last_seen: Instant::now(),
            },
        );
        id
    }

    fn end(&self, id: &str) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.remove(id);
    }
}

/// Any serializable value as a template value.
fn v<T: serde::Serialize>(value: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

fn csrf_ok(current: &Current, given: Option<&str>) -> bool {
    use subtle::ConstantTimeEq;
    given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(current.csrf.as_bytes())))
}

/// A request from another origin (a POST carries `Origin`) is refused even
/// before the CSRF token is looked at. `Origin: null` (what browsers send
/// for a form under the suite's `Referrer-Policy: no-referrer`) proves
/// nothing either way: the CSRF token and the SameSite cookie decide.
fn same_origin(request: &HttpRequest) -> bool {
    let Some(origin) = request.headers().get(header::ORIGIN) else {
        return true;
    };
    if origin.as_bytes() == b"null" {
        return true;
    }
    let Some(host) = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
    else {
        return false;
    };
    origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .is_some_and(|(_, rest)| rest == host)
}

// ------------------------------------------------------------------ responses

fn html(status: StatusCode, body: String, cookie: Option<HeaderValue>) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(cookie) = cookie {
        response.insert_header((header::SET_COOKIE, cookie));
    }
    response.body(body)
}

fn redirect(to: &str, cookie: Option<HeaderValue>) -> HttpResponse {
    let mut response = HttpResponse::SeeOther();
    response
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(cookie) = cookie {
        response.insert_header((header::SET_COOKIE, cookie));
    }
    response.finish()
}

fn json_response(status: StatusCode, body: Value, cookie: Option<HeaderValue>) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'"));
    if let Some(cookie) = cookie {
        response.insert_header((header::SET_COOKIE, cookie));
    }
    response.json(body)
}

fn problem(status: StatusCode, detail: &str) -> HttpResponse {
    json_response(
        status,
        json!({ "status": status.as_u16(), "detail": detail }),
        None,
    )
}

impl Inner {
    fn render(&self, name: &str, current: &Current, ctx: minijinja::Value) -> HttpResponse {
        self.render_status(StatusCode::OK, name, current, ctx)
    }

    fn render_status(
        &self,
        status: StatusCode,
        name: &str,
        current: &Current,
        ctx: minijinja::Value,
    ) -> HttpResponse {
        let page = context! {
            csrf => current.csrf.clone(),
            member => v(&current.member),
            ..ctx
        };
        let body = self.env.get_template(name).and_then(|t| t.render(page));
        let cookie = current.fresh.then(|| set_cookie(Some(&current.id)));
        match body {
            Ok(body) => html(status, body, cookie),
            Err(e) => {
                tracing::error!("no se pudo mostrar {name}: {e:#}");
                html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<!doctype html><html lang=\"es-MX\"><title>Error</title><p>No se pudo mostrar la página. Intente de nuevo; si se repite, avise al facilitador.</p></html>".into(),
                    cookie,
                )
            }
        }
    }

    fn error_page(&self, current: &Current, status: StatusCode, message: &str) -> HttpResponse {
        self.render_status(
            status,
            "error.html",
            current,
            context! { title => "No se pudo completar", message => message },
        )
    }
}

// ------------------------------------------------------------------ API calls

/// An answer of another service.
struct Answer {
    status: StatusCode,
    body: Value,
}

impl Answer {
    /// The Spanish explanation of a problem+json answer.
    fn detail(&self) -> String {
        self.body["detail"]
            .as_str()
            .or_else(|| self.body["title"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| {
                format!(
                    "El servicio respondió con el código {}. Intente de nuevo en un momento.",
                    self.status.as_u16()
                )
            })
    }
}

const UNREACHABLE: &str = "No se pudo consultar a los servicios de Rúbrica. Intente de nuevo en un momento; si se repite, avise al facilitador.";

impl Inner {
    async fn call(
        &self,
        method: Method,
        url: String,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Answer, String> {
        self.call_for(None, method, url, token, body).await
    }

    /// [`Inner::call`] on behalf of a browser: the secretariat counts login
    /// failures and link requests per client address, so the browser's
    /// address goes along as a proxy passes it (`X-Forwarded-For`, appended
    /// to what a proxy in front of this one said). The secretariat believes
    /// it only from addresses in its `http.trusted_proxies`.
    async fn call_for(
        &self,
        client: Option<&HttpRequest>,
        method: Method,
        url: String,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Answer, String> {
        let method = reqwest::Method::from_bytes(method.as_str().as_bytes())
            .map_err(|_| UNREACHABLE.to_string())?;
        let mut request = self
            .http
            .request(method, &url)
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
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| {
            tracing::warn!(%url, "servicio inaccesible: {e}");
            UNREACHABLE.to_string()
        })?;
        let status =
            StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let bytes = response
            .bytes()
            .await
            .map_err(|_| UNREACHABLE.to_string())?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer { status, body })
    }

    fn secretariat(&self, path: &str) -> String {
        format!("{}{path}", self.config.secretariat.trim_end_matches('/'))
    }

    fn signing(&self, path: &str) -> String {
        format!("{}{path}", self.config.signing.trim_end_matches('/'))
    }
}

/// The logged-in member, or the response that sends the browser to log in.
fn require_member(current: &Current) -> Result<Member, Box<HttpResponse>> {
    match &current.member {
        Some(member) => Ok(member.clone()),
        None => Err(Box::new(redirect(
            "/entrar",
            current.fresh.then(|| set_cookie(Some(&current.id))),
        ))),
    }
}

/// A 401 from a service: the member's token ended (logout elsewhere,
/// expiry): the browser session ends too.
fn session_ended(inner: &Inner, current: &Current) -> HttpResponse {
    inner.end(&current.id);
    redirect("/entrar?vencida=1", Some(set_cookie(None)))
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

// ------------------------------------------------------------------ pages

async fn home(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let current = state.0.current(&request);
    let cookie = current.fresh.then(|| set_cookie(Some(&current.id)));
    if current.member.is_some() {
        redirect("/pendientes", cookie)
    } else {
        redirect("/entrar", cookie)
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    salio: Option<String>,
    vencida: Option<String>,
}

async fn login_page(
    state: web::Data<WebState>,
    request: HttpRequest,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let current = state.0.current(&request);
    if current.member.is_some() {
        return redirect("/pendientes", None);
    }
    let notice = if query.salio.is_some() {
        Some("Su sesión se cerró.")
    } else if query.vencida.is_some() {
        Some("Su sesión terminó (venció o se cerró en otro lugar). Entre de nuevo.")
    } else {
        None
    };
    state
        .0
        .render("entrar.html", &current, context! { notice => notice })
}

async fn login_without_js(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let current = state.0.current(&request);
    state.0.render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "entrar.html",
        &current,
        context! { error => "Para entrar con su e.firma la página necesita JavaScript: su llave se usa solo en este navegador y nunca se envía. Active JavaScript, o pida un enlace de acceso por correo (solo lectura)." },
    )
}

/// `POST /entrar/reto`: a fresh login challenge (JSON, CSRF header).
async fn login_challenge(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, header_str(&request, CSRF_HEADER)) {
        return csrf_refused_json();
    }
    match inner
        .call_for(
            Some(&request),
            Method::POST,
            inner.secretariat("/auth/challenge"),
            None,
            None,
        )
        .await
    {
        Ok(answer) if answer.status.is_success() => json_response(
            StatusCode::OK,
            json!({ "nonce": answer.body["nonce"], "expires_at": answer.body["expires_at"] }),
            None,
        ),
        Ok(answer) => problem(answer.status, &answer.detail()),
        Err(message) => problem(StatusCode::BAD_GATEWAY, &message),
    }
}

fn header_str<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

fn csrf_refused_json() -> HttpResponse {
    problem(
        StatusCode::FORBIDDEN,
        "La página venció o no viene de Rúbrica (falta el código de seguridad del formulario). Recargue la página e intente de nuevo.",
    )
}

#[derive(Deserialize)]
struct FielLogin {
    nonce: String,
    certificate: String,
    signature: String,
}

/// `POST /entrar/fiel`: the signed challenge; starts the browser session.
async fn login_fiel(
    state: web::Data<WebState>,
    request: HttpRequest,
    body: web::Json<FielLogin>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, header_str(&request, CSRF_HEADER)) {
        return csrf_refused_json();
    }
    let answer = match inner
        .call_for(
            Some(&request),
            Method::POST,
            inner.secretariat("/auth/fiel"),
            None,
            Some(json!({
                "nonce": body.nonce,
                "certificate": body.certificate,
                "signature": body.signature,
            })),
        )
        .await
    {
        Ok(answer) => answer,
        Err(message) => return problem(StatusCode::BAD_GATEWAY, &message),
    };
    if !answer.status.is_success() {
        return problem(answer.status, &answer.detail());
    }
    let certificate = BASE64
        .decode(body.certificate.trim())
        .ok()
        .and_then(|der| rubrica_fiel::Certificate::from_bytes(&der).ok())
        .map(|c| CertificateInfo {
            number: c.display_number(),
            not_before: fecha_time(c.not_before()),
            not_after: fecha_time(c.not_after()),
            issuer: c.issuer_name().to_string(),
        });
    let Some(member) = member_from(&answer.body, false, certificate) else {
        return problem(
            StatusCode::BAD_GATEWAY,
            "El secretariado no devolvió una sesión válida. Intente de nuevo.",
        );
    };
    let id = inner.start(&current.id, member);
    json_response(
        StatusCode::OK,
        json!({ "redirect": "/pendientes" }),
        Some(set_cookie(Some(&id))),
    )
}

fn member_from(
    granted: &Value,
    read_only: bool,
    certificate: Option<CertificateInfo>,
) -> Option<Member> {
    let caller = &granted["caller"];
    Some(Member {
        token: granted["token"].as_str()?.to_string(),
        name: caller["name"].as_str()?.to_string(),
        rfc: caller["rfc"].as_str().map(str::to_string),
        member_id: caller["member_id"].as_str().map(str::to_string),
        secretariat_id: caller["secretariat_id"].as_str().map(str::to_string),
        roles: caller["roles"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        read_only,
        certificate,
        expires_at: granted["expires_at"].as_i64().unwrap_or_default(),
    })
}

#[derive(Deserialize)]
struct LinkRequest {
    csrf: String,
    email: String,
}

/// `POST /entrar/correo`: mails a one-time link.
async fn request_link(
    state: web::Data<WebState>,
    request: HttpRequest,
    form: web::Form<LinkRequest>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, Some(&form.csrf)) {
        return csrf_refused_page(inner, &current);
    }
    match inner
        .call_for(
            Some(&request),
            Method::POST,
            inner.secretariat("/auth/email-link"),
            None,
            Some(json!({ "email": form.email })),
        )
        .await
    {
        Ok(answer) if answer.status.is_success() => inner.render(
            "entrar.html",
            &current,
            context! { notice => answer.body["mensaje"].as_str().unwrap_or("Solicitud recibida.").to_string() },
        ),
        Ok(answer) => inner.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "entrar.html",
            &current,
            context! { link_error => answer.detail(), email => form.email.clone() },
        ),
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

fn csrf_refused_page(inner: &Inner, current: &Current) -> HttpResponse {
    inner.error_page(
        current,
        StatusCode::FORBIDDEN,
        "El formulario venció o no viene de Rúbrica (falta su código de seguridad). Vuelva a la página anterior, recárguela e intente de nuevo.",
    )
}

#[derive(Deserialize)]
struct LinkQuery {
    token: Option<String>,
}

/// `GET /entrar/enlace?token=…`: asks for a click before spending the link
/// (mail scanners open links; only a POST spends it).
async fn link_page(
    state: web::Data<WebState>,
    request: HttpRequest,
    query: web::Query<LinkQuery>,
) -> HttpResponse {
    let current = state.0.current(&request);
    state.0.render(
        "enlace.html",
        &current,
        context! { token => query.token.clone().unwrap_or_default() },
    )
}

#[derive(Deserialize)]
struct Redeem {
    csrf: String,
    token: String,
}

async fn redeem_link(
    state: web::Data<WebState>,
    request: HttpRequest,
    form: web::Form<Redeem>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, Some(&form.csrf)) {
        return csrf_refused_page(inner, &current);
    }
    let answer = match inner
        .call_for(
            Some(&request),
            Method::POST,
            inner.secretariat("/auth/email-link/redeem"),
            None,
            Some(json!({ "token": form.token })),
        )
        .await
    {
        Ok(answer) => answer,
        Err(message) => return inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    };
    if !answer.status.is_success() {
        return inner.render_status(
            StatusCode::UNAUTHORIZED,
            "enlace.html",
            &current,
            context! { error => answer.detail() },
        );
    }
    match member_from(&answer.body, true, None) {
        Some(member) => {
            let id = inner.start(&current.id, member);
            redirect("/pendientes", Some(set_cookie(Some(&id))))
        }
        None => inner.error_page(&current, StatusCode::BAD_GATEWAY, UNREACHABLE),
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

async fn logout(
    state: web::Data<WebState>,
    request: HttpRequest,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, Some(&form.csrf)) {
        return csrf_refused_page(inner, &current);
    }
    if let Some(member) = &current.member {
        // Revoked at the secretariat too: the token stops working everywhere.
        let _ = inner
            .call(
                Method::POST,
                inner.secretariat("/auth/logout"),
                Some(&member.token),
                None,
            )
            .await;
    }
    inner.end(&current.id);
    redirect("/entrar?salio=1", Some(set_cookie(None)))
}

async fn pending(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let answer = match inner
        .call(
            Method::GET,
            inner.signing("/routes?limit=100"),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) => a,
        Err(message) => return inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    };
    if answer.status == StatusCode::UNAUTHORIZED {
        return session_ended(inner, &current);
    }
    if !answer.status.is_success() {
        return inner.error_page(&current, answer.status, &answer.detail());
    }
    let routes = answer.body.as_array().cloned().unwrap_or_default();
    let mut to_sign = Vec::new();
    let mut others = Vec::new();
    for route in routes {
        let view = route_summary(&route, &member);
        if view["mine_pending"] == true {
            to_sign.push(view);
        } else {
            others.push(view);
        }
    }
    inner.render(
        "pendientes.html",
        &current,
        context! { to_sign => v(&to_sign), others => v(&others), page => "pendientes" },
    )
}

const STATUS_NAMES: &[(&str, &str)] = &[
    ("pendiente", "pendiente"),
    ("firmado", "firmó"),
    ("firmada", "firmó"),
    ("rechazado", "rechazó"),
    ("rechazada", "rechazó"),
];

fn status_name(status: &str) -> String {
    STATUS_NAMES
        .iter()
        .find(|(k, _)| *k == status)
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| status.replace('_', " "))
}

/// What the pages show of a route, and where the member stands in it.
fn route_summary(route: &Value, member: &Member) -> Value {
    let signers: Vec<Value> = route["signers"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|signer| {
                    let mine = is_me(signer, member);
                    json!({
                        "name": signer["name"],
                        "seat": signer["seat"].as_str().unwrap_or_default().replace('_', " "),
                        "role": signer["role"],
                        "status": signer["status"],
                        "status_name": status_name(signer["status"].as_str().unwrap_or_default()),
                        "signed_at": signer["signed_at"],
                        "refused_at": signer["refused_at"],
                        "refusal_reason": signer["refusal_reason"],
                        "mine": mine,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mine = signers.iter().find(|s| s["mine"] == true);
    let open = route["status"].as_str() == Some("abierta");
    let mine_pending = open && mine.is_some_and(|s| s["status"] == "pendiente");
    let signed = signers
        .iter()
        .filter(|s| s["status"] == "firmado" || s["status"] == "firmada")
        .count();
    json!({
        "id": route["id"],
        "title": route["title"],
        "folio": route["folio"],
        "record_kind": route["record_kind"],
        "status": route["status"],
        "status_name": route["status"].as_str().unwrap_or_default().replace('_', " "),
        "open": open,
        "due_on": route["due_on"],
        "created_at": route["created_at"],
        "current_sha256": route["current_sha256"],
        "final_sha256": route["final_sha256"],
        "document_id": route["document_id"],
        "signers": signers,
        "signed_count": signed,
        "signer_count": signers.len(),
        "mine_pending": mine_pending,
        "my_status": mine.map(|s| s["status"].clone()).unwrap_or(Value::Null),
        "is_signer": mine.is_some(),
    })
}

fn is_me(signer: &Value, member: &Member) -> bool {
    let by_rfc = member.rfc.as_deref().is_some_and(|rfc| {
        signer["rfc"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(rfc))
    });
    let by_id = member.member_id.as_deref().is_some_and(|id| {
        signer["member_id"].as_str() == Some(id) || signer["id"].as_str() == Some(id)
    });
    by_rfc || by_id
}

#[derive(Deserialize)]
struct SignQuery {
    firmado: Option<String>,
}

async fn sign_page(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<SignQuery>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(
            &current,
            StatusCode::NOT_FOUND,
            "Esa acta no existe. Vuelva a sus pendientes.",
        );
    }
    let answer = match inner
        .call(
            Method::GET,
            inner.signing(&format!("/routes/{id}")),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) => a,
        Err(message) => return inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    };
    if answer.status == StatusCode::UNAUTHORIZED {
        return session_ended(inner, &current);
    }
    if !answer.status.is_success() {
        return inner.error_page(&current, answer.status, &answer.detail());
    }
    let route = route_summary(&answer.body, &member);
    // The page count of the approved version, from the documents service.
    let mut pages = Value::Null;
    if let (Some(documents), Some(document_id)) =
        (&inner.config.documents, route["document_id"].as_str())
        && valid_id(document_id)
    {
        let url = format!(
            "{}/documents/{document_id}",
            documents.trim_end_matches('/')
        );
        if let Ok(doc) = inner
            .call(Method::GET, url, Some(&member.token), None)
            .await
            && doc.status.is_success()
        {
            let version = doc.body["approved_version"]
                .as_i64()
                .or(doc.body["latest_version"].as_i64());
            pages = doc.body["versions"]
                .as_array()
                .and_then(|v| v.iter().find(|v| v["version"].as_i64() == version))
                .map(|v| v["page_count"].clone())
                .unwrap_or(Value::Null);
        }
    }
    // After signing: the verification report of the current revision.
    let signed = route["my_status"] == "firmado" || route["my_status"] == "firmada";
    let mut verification = Value::Null;
    if signed
        && let Ok(report) = inner
            .call(
                Method::GET,
                inner.signing(&format!("/routes/{id}/verification")),
                Some(&member.token),
                None,
            )
            .await
        && report.status.is_success()
    {
        verification = verification_summary(&report.body, &member);
    }
    inner.render(
        "firmar.html",
        &current,
        context! {
            route => v(&route),
            pages => v(&pages),
            verification => v(&verification),
            just_signed => query.firmado.is_some() && signed,
        },
    )
}

/// The member's own signature in a verification report, and the verdict.
fn verification_summary(report: &Value, member: &Member) -> Value {
    let signatures = report["signatures"].as_array().cloned().unwrap_or_default();
    let mine = signatures.iter().rev().find(|s| {
        let rfc = s["certificate"]["rfc"].as_str();
        member
            .rfc
            .as_deref()
            .is_some_and(|m| rfc.is_some_and(|r| r.eq_ignore_ascii_case(m)))
    });
    json!({
        "verdict": report["verdict"],
        "summary": report["summary"],
        "document_sha256": report["document_sha256"],
        "signatures": signatures.len(),
        "mine": mine.map(|s| json!({
            "verdict": s["verdict"],
            "summary": s["summary"],
            "reason": s["reason"],
            "signing_time": s["signing_time"],
            "certificate_number": s["certificate"]["certificate_number"].as_str()
                .or(s["certificate"]["number"].as_str()),
        })),
    })
}

async fn route_pdf(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    proxy_pdf(&state.0, &request, &path.into_inner(), "pdf").await
}

async fn signed_pdf(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    proxy_pdf(&state.0, &request, &path.into_inner(), "signed.pdf").await
}

/// The route's PDF, fetched with the member's token and passed on.
async fn proxy_pdf(inner: &Inner, request: &HttpRequest, id: &str, which: &str) -> HttpResponse {
    let current = inner.current(request);
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    if !valid_id(id) {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Esa acta no existe.");
    }
    let response = inner
        .http
        .get(inner.signing(&format!("/routes/{id}/{which}")))
        .bearer_auth(&member.token)
        .timeout(Duration::from_secs(60))
        .send()
        .await;
    let response = match response {
        Ok(r) => r,
        Err(_) => return inner.error_page(&current, StatusCode::BAD_GATEWAY, UNREACHABLE),
    };
    let status = response.status().as_u16();
    if status == 401 {
        return session_ended(inner, &current);
    }
    if status != 200 {
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let detail = Answer {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            body,
        };
        return inner.error_page(&current, detail.status, &detail.detail());
    }
    let sha = response
        .headers()
        .get(reqwest::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim_matches('"').chars().take(12).collect::<String>())
        .unwrap_or_default();
    match response.bytes().await {
        Ok(bytes) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "application/pdf"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"acta-{sha}.pdf\""),
            ))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; object-src 'self'; plugin-types application/pdf",
            ))
            .body(bytes),
        Err(_) => inner.error_page(&current, StatusCode::BAD_GATEWAY, UNREACHABLE),
    }
}

/// `POST /firmar/{id}/preparar` and `/completar`: the two steps of a remote
/// signature, passed to the signing service with the member's token (JSON,
/// CSRF header). Only the certificate, the bytes to sign and the signature
/// value cross: the key stays in the page.
async fn prepare(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    let certificate = body["certificate"].as_str().unwrap_or_default().to_string();
    sign_step(
        &state.0,
        &request,
        &path.into_inner(),
        "prepare",
        json!({ "certificate": certificate }),
    )
    .await
}

async fn complete(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    let forwarded = json!({
        "prepare_id": body["prepare_id"].as_str().unwrap_or_default(),
        "signature": body["signature"].as_str().unwrap_or_default(),
    });
    sign_step(
        &state.0,
        &request,
        &path.into_inner(),
        "complete",
        forwarded,
    )
    .await
}

async fn sign_step(
    inner: &Inner,
    request: &HttpRequest,
    id: &str,
    step: &str,
    body: Value,
) -> HttpResponse {
    let current = inner.current(request);
    if !same_origin(request) || !csrf_ok(&current, header_str(request, CSRF_HEADER)) {
        return csrf_refused_json();
    }
    let Some(member) = &current.member else {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Su sesión terminó. Entre de nuevo con su e.firma y vuelva a esta acta.",
        );
    };
    if member.read_only {
        return problem(
            StatusCode::FORBIDDEN,
            "Entró con un enlace por correo, que permite consultar pero no firmar. Para firmar, salga y entre con su e.firma.",
        );
    }
    if !valid_id(id) {
        return problem(StatusCode::NOT_FOUND, "Esa acta no existe.");
    }
    match inner
        .call(
            Method::POST,
            inner.signing(&format!("/routes/{id}/{step}")),
            Some(&member.token),
            Some(body),
        )
        .await
    {
        Ok(answer) if answer.status.is_success() => {
            let out = if step == "prepare" {
                json!({ "prepare_id": answer.body["prepare_id"], "to_sign": answer.body["to_sign"] })
            } else {
                json!({
                    "completed": answer.body["completed"],
                    "revision_sha256": answer.body["revision_sha256"],
                    "redirect": format!("/firmar/{id}?firmado=1"),
                })
            };
            json_response(StatusCode::OK, out, None)
        }
        Ok(answer) => problem(answer.status, &answer.detail()),
        Err(message) => problem(StatusCode::BAD_GATEWAY, &message),
    }
}

#[derive(Deserialize)]
struct RefuseForm {
    csrf: String,
    reason: String,
}

async fn refuse(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<RefuseForm>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, Some(&form.csrf)) {
        return csrf_refused_page(inner, &current);
    }
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Esa acta no existe.");
    }
    match inner
        .call(
            Method::POST,
            inner.signing(&format!("/routes/{id}/refuse")),
            Some(&member.token),
            Some(json!({ "reason": form.reason })),
        )
        .await
    {
        Ok(answer) if answer.status.is_success() => redirect(&format!("/firmar/{id}"), None),
        Ok(answer) if answer.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(answer) => inner.error_page(&current, answer.status, &answer.detail()),
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

async fn account(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let me = match inner
        .call(
            Method::GET,
            inner.secretariat("/auth/me"),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => return session_ended(inner, &current),
        Ok(a) if a.status.is_success() => a.body,
        Ok(a) => return inner.error_page(&current, a.status, &a.detail()),
        Err(message) => return inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    };
    // The member's seat, from the secretariat's member record (if allowed).
    let mut seat = Value::Null;
    if let (Some(stl), Some(member_id)) = (&member.secretariat_id, &member.member_id)
        && valid_id(stl)
        && valid_id(member_id)
        && let Ok(a) = inner
            .call(
                Method::GET,
                inner.secretariat(&format!("/secretariats/{stl}/members/{member_id}")),
                Some(&member.token),
                None,
            )
            .await
        && a.status.is_success()
    {
        seat = seat_of(&a.body);
    }
    inner.render(
        "cuenta.html",
        &current,
        context! {
            me => v(&me),
            seat => v(&seat),
            page => "cuenta",
            expires => fecha_ms(member.expires_at),
        },
    )
}

/// The seats a member record mentions (tolerant of the record's shape).
fn seat_of(record: &Value) -> Value {
    let mut seats = Vec::new();
    for key in ["seat", "seat_name", "asiento"] {
        if let Some(s) = record[key].as_str() {
            seats.push(s.replace('_', " "));
        }
    }
    for key in ["assignments", "seats", "terms"] {
        if let Some(list) = record[key].as_array() {
            for a in list {
                let seat = a["seat_name"].as_str().or(a["seat"].as_str());
                let role = a["role"].as_str();
                if let Some(seat) = seat {
                    seats.push(match role {
                        Some(role) => format!("{} ({role})", seat.replace('_', " ")),
                        None => seat.replace('_', " "),
                    });
                }
            }
        }
    }
    seats.dedup();
    if seats.is_empty() {
        Value::Null
    } else {
        Value::String(seats.join(", "))
    }
}

async fn static_file(state: web::Data<WebState>, path: web::Path<String>) -> HttpResponse {
    match state.0.by_hashed.get(path.as_str()).map(|i| &ASSETS[*i]) {
        Some(asset) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, asset.media))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(asset.bytes),
        None => HttpResponse::NotFound()
            .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
            .body("Archivo no encontrado."),
    }
}

// ------------------------------------------------------------------ dates

/// Mexico's central time (UTC−6, no daylight saving time since 2022).
fn central(at: time::OffsetDateTime) -> String {
    let offset = time::UtcOffset::from_hms(-6, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let t = at.to_offset(offset);
    format!(
        "{:02}/{:02}/{} {:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute()
    )
}

fn fecha_time(at: time::OffsetDateTime) -> String {
    format!("{} (hora del centro)", central(at))
}

fn fecha_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(fecha_time)
        .unwrap_or_default()
}

/// Template filter: epoch milliseconds or RFC 3339 → "dd/mm/aaaa hh:mm".
fn fecha(value: minijinja::Value) -> String {
    if let Some(ms) = value.as_i64() {
        return time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .map(central)
            .unwrap_or_default();
    }
    if let Some(s) = value.as_str() {
        return time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map(central)
            .unwrap_or_else(|_| s.to_string());
    }
    String::new()
}

#[cfg(test)]
mod tests;
