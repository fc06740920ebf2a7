//! Responses of the public site: HTML from the templates, JSON and XML,
//! each with `ETag`, `Last-Modified` and `Cache-Control`, and 304 for a
//! browser or proxy that already holds the same bytes. Never a cookie.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HttpDate};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use rubrica_fiel::digest::Sha256;

use super::super::{CSP, WebState};

/// How long a response may be reused.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Freshness {
    /// Errors and pages that echo what a person typed.
    NoStore,
    /// Pages that change when the secretariat's data does: a minute.
    Short,
    /// Pages someone reloads to see a change (a folio's status): kept, but
    /// asked again each time (`no-cache`; a 304 when unchanged).
    Revalidate,
    /// A record's page: its SHA-256 names bytes that never change.
    Immutable { last_modified_ms: i64 },
}

/// A page to render.
pub(crate) struct Page {
    template: &'static str,
    freshness: Freshness,
    status: StatusCode,
}

impl Page {
    pub(crate) fn new(template: &'static str, freshness: Freshness) -> Page {
        Page {
            template,
            freshness,
            status: StatusCode::OK,
        }
    }

    pub(crate) fn status(mut self, status: StatusCode) -> Page {
        self.status = status;
        self
    }
}

/// How long a page built from the services' data is served again without
/// asking them (browsers and proxies may keep it a minute anyway).
const CACHE_TTL: Duration = Duration::from_secs(5);
/// Pages kept at most; the cache empties when full.
const CACHE_ENTRIES: usize = 10_000;

/// A page as it was answered.
#[derive(Clone)]
struct Kept {
    at: Instant,
    body: Arc<Vec<u8>>,
    media: &'static str,
    freshness: Freshness,
    last_modified_ms: Option<i64>,
}

type Cache = Mutex<HashMap<(usize, String), Kept>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The cache key: this web service's state (tests run several in one
/// process), the host (feeds and the sitemap name it) and the URI.
fn key(state: &WebState, request: &HttpRequest) -> (usize, String) {
    (
        Arc::as_ptr(&state.0) as usize,
        format!("{}{}", request.connection_info().host(), request.uri()),
    )
}

/// The same page answered less than [`CACHE_TTL`] ago, if any: public pages
/// at hundreds of requests a second do not each ask the services again.
pub(crate) fn cached(state: &WebState, request: &HttpRequest) -> Option<HttpResponse> {
    let kept = {
        let cache = cache().lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(&key(state, request))
            .filter(|k| k.at.elapsed() < CACHE_TTL)
            .cloned()
    }?;
    Some(respond(
        StatusCode::OK,
        kept.body.as_ref().clone(),
        kept.media,
        kept.freshness,
        kept.last_modified_ms,
        Some(request),
    ))
}

/// Keeps a page answered with 200 for [`cached`].
fn keep(
    state: &WebState,
    request: &HttpRequest,
    body: &[u8],
    media: &'static str,
    freshness: Freshness,
    last_modified_ms: Option<i64>,
) {
    if !matches!(freshness, Freshness::Short | Freshness::Immutable { .. }) {
        return;
    }
    let mut cache = cache().lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= CACHE_ENTRIES {
        cache.clear();
    }
    cache.insert(
        key(state, request),
        Kept {
            at: Instant::now(),
            body: Arc::new(body.to_vec()),
            media,
            freshness,
            last_modified_ms,
        },
    );
}

/// Renders `page` with `ctx`.
pub(crate) fn page(
    state: &WebState,
    page: &Page,
    ctx: minijinja::Value,
    request: Option<&HttpRequest>,
) -> HttpResponse {
    let body = state
        .0
        .env
        .get_template(page.template)
        .and_then(|t| t.render(ctx));
    match body {
        Ok(body) => {
            if let Some(request) = request
                && page.status == StatusCode::OK
            {
                keep(
                    state,
                    request,
                    body.as_bytes(),
                    "text/html; charset=utf-8",
                    page.freshness,
                    None,
                );
            }
            respond(
                page.status,
                body.into_bytes(),
                "text/html; charset=utf-8",
                page.freshness,
                None,
                request,
            )
        }
        Err(e) => {
            tracing::error!("no se pudo mostrar {}: {e:#}", page.template);
            respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><html lang=\"es-MX\"><head><meta charset=\"utf-8\"><title>Error</title></head><body><p>No se pudo mostrar la página. Intente de nuevo en un momento.</p></body></html>".as_bytes().to_vec(),
                "text/html; charset=utf-8",
                Freshness::NoStore,
                None,
                None,
            )
        }
    }
}

/// A JSON document.
pub(crate) fn json(
    state: &WebState,
    value: &serde_json::Value,
    freshness: Freshness,
    request: Option<&HttpRequest>,
) -> HttpResponse {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    if let Some(request) = request {
        keep(state, request, &bytes, "application/json", freshness, None);
    }
    respond(
        StatusCode::OK,
        bytes,
        "application/json",
        freshness,
        None,
        request,
    )
}

/// Any other body (XML feeds and sitemaps).
pub(crate) fn bytes(
    state: &WebState,
    body: Vec<u8>,
    media: &'static str,
    freshness: Freshness,
    last_modified_ms: Option<i64>,
    request: Option<&HttpRequest>,
) -> HttpResponse {
    if let Some(request) = request {
        keep(state, request, &body, media, freshness, last_modified_ms);
    }
    respond(
        StatusCode::OK,
        body,
        media,
        freshness,
        last_modified_ms,
        request,
    )
}

/// When each path was first served with its current bytes, in this
/// process: the honest `Last-Modified` of a page built from several
/// services' data. Bounded; forgetting only makes a date newer.
fn first_seen(path: &str, etag: &str) -> SystemTime {
    static SEEN: OnceLock<Mutex<HashMap<String, (String, SystemTime)>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some((tag, at)) = seen.get(path)
        && tag == etag
    {
        return *at;
    }
    if seen.len() >= 50_000 {
        seen.clear();
    }
    // Whole seconds: HTTP dates have no fractions.
    let now = SystemTime::UNIX_EPOCH
        + Duration::from_secs(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default(),
        );
    seen.insert(path.to_string(), (etag.to_string(), now));
    now
}

fn respond(
    status: StatusCode,
    body: Vec<u8>,
    media: &'static str,
    freshness: Freshness,
    last_modified_ms: Option<i64>,
    request: Option<&HttpRequest>,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::CONTENT_TYPE, media))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    let cacheable = status == StatusCode::OK && !matches!(freshness, Freshness::NoStore);
    if !cacheable {
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        return response.body(body);
    }
    let etag = format!(
        "\"{}\"",
        hex::encode(&Sha256::digest(&body).as_bytes()[..16])
    );
    let modified = match (freshness, last_modified_ms) {
        (Freshness::Immutable { last_modified_ms }, _) | (_, Some(last_modified_ms)) => {
            SystemTime::UNIX_EPOCH
                + Duration::from_secs(u64::try_from(last_modified_ms / 1000).unwrap_or_default())
        }
        _ => first_seen(request.map(|r| r.path()).unwrap_or("/"), &etag),
    };
    let cache_control = match freshness {
        Freshness::Immutable { .. } => "public, max-age=31536000, immutable",
        Freshness::Revalidate => "public, no-cache",
        _ => "public, max-age=60",
    };
    response
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::LAST_MODIFIED, HttpDate::from(modified).to_string()))
        .insert_header((header::CACHE_CONTROL, cache_control));
    if let Some(request) = request
        && not_modified(request, &etag, modified)
    {
        return response.status(StatusCode::NOT_MODIFIED).finish();
    }
    response.body(body)
}

/// RFC 9110 §13.2.2: `If-None-Match` decides when present; otherwise
/// `If-Modified-Since`.
fn not_modified(request: &HttpRequest, etag: &str, modified: SystemTime) -> bool {
    if let Some(value) = request.headers().get(header::IF_NONE_MATCH) {
        let value = value.to_str().unwrap_or_default();
        return value.trim() == "*"
            || value
                .split(',')
                .any(|tag| tag.trim().trim_start_matches("W/") == etag);
    }
    match request.get_header::<header::IfModifiedSince>() {
        Some(header::IfModifiedSince(since)) => SystemTime::from(since) >= modified,
        None => false,
    }
}
