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
use rubrica_fiel::digest::Sha256;
use serde::Deserialize;
use serde_json::{Value, json};

/// The value of a `Result<T, Box<HttpResponse>>`, or return its page.
macro_rules! or_return {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return *r,
        }
    };
}

mod api;
mod console;
mod dates;
mod handover;
mod member;
mod news;
mod operator;
mod oversight;
mod project;
mod public;
mod respond;
mod session;
mod setup;
mod upload;

use api::*;
use dates::*;
use member::*;
use respond::*;
use session::*;

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
    pub mail: Option<String>,
    pub archive: Option<String>,
    /// Largest file of a session's evidence (`archive.max_evidence_bytes`).
    pub max_evidence_bytes: usize,
}

/// The evidence limit shown when the web runs apart from the archive: the
/// archive's default `archive.max_evidence_bytes`.
pub const DEFAULT_MAX_EVIDENCE_BYTES: usize = 50 * 1024 * 1024;

impl WebConfig {
    /// From the suite's settings (the launcher fills in the local URLs).
    pub fn from_settings(settings: &rubrica_platform::Settings) -> Option<WebConfig> {
        Some(WebConfig {
            secretariat: settings.services.secretariat.url.clone()?,
            signing: settings.services.signing.url.clone()?,
            documents: settings.services.documents.url.clone(),
            mail: settings.services.mail.url.clone(),
            archive: settings.services.archive.url.clone(),
            // The archive's own limit when the launcher runs it here
            // (`rubrica serve` sets it from `[archive]`); the archive checks
            // it again in any case and its refusal is shown.
            max_evidence_bytes: DEFAULT_MAX_EVIDENCE_BYTES,
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
        name: "en-vivo.js",
        bytes: include_bytes!("../../../web/static/en-vivo.js"),
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
        "documentos.html",
        include_str!("../../../templates/web/documentos.html"),
    ),
    (
        "error.html",
        include_str!("../../../templates/web/error.html"),
    ),
];

/// Every module's templates (each module lists its own).
const TEMPLATE_SETS: &[&[(&str, &str)]] = &[
    TEMPLATES,
    console::TEMPLATES,
    oversight::TEMPLATES,
    news::TEMPLATES,
    setup::TEMPLATES,
    operator::TEMPLATES,
    handover::TEMPLATES,
    public::TEMPLATES,
    project::TEMPLATES,
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
    /// The secretariat's UTC offset: every time on the member's pages is
    /// shown in it.
    utc_offset_minutes: i64,
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
            let hash = hex::encode(&Sha256::digest(asset.bytes).as_bytes()[..6]);
            let (stem, ext) = asset.name.rsplit_once('.').unwrap_or((asset.name, ""));
            let hashed = format!("{stem}.{hash}.{ext}");
            urls.insert(asset.name, format!("/static/{hashed}"));
            by_hashed.insert(hashed, i);
        }
        let mut env = Environment::new();
        for (name, source) in TEMPLATE_SETS.iter().flat_map(|set| set.iter()) {
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
        .configure(member::routes)
        .configure(console::routes)
        .configure(oversight::routes)
        .configure(news::routes)
        .configure(setup::routes)
        .configure(operator::routes)
        .configure(handover::routes)
        .configure(public::routes)
        .configure(project::routes)
        .route("/static/{name}", web::get().to(static_file));
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

#[cfg(test)]
mod tests;
