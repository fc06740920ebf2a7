//! Logging with `tracing`: text or JSON lines, and a request id on every
//! request and on every log line written while serving it.
//!
//! The id comes from the caller's `x-request-id` header when present (so a
//! call can be followed across services) or is a new UUID; it is echoed in the
//! response header and in every problem-details body.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogFormat, LogSettings};

/// The header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Installs the global subscriber. Safe to call more than once (tests): later
/// calls do nothing.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match settings.format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
        LogFormat::Text => registry
            .with(tracing_subscriber::fmt::layer().with_target(false))
            .try_init(),
    };
}

/// The id of the request being served by this task, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Middleware: takes or makes the request id, runs the request inside a span
/// that carries it, logs the outcome, and echoes the id in the response.
pub async fn request_context(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let header = HeaderName::from_static(REQUEST_ID_HEADER);
    if let Ok(value) = HeaderValue::from_str(&id) {
        request.headers_mut().insert(header.clone(), value);
    }
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.path(),
    );
    let started = std::time::Instant::now();
    // (The request is not cloned before routing: actix-web needs to own it
    // alone to record the matched path.)
    // The request runs in a task of its own, so a client that hangs up does
    // not cancel a change half-way (actix-web drops the handler's future on
    // disconnect): what was started finishes, and an event delivered
    // while its sender dies is still received.
    let served = actix_web::rt::spawn(
        REQUEST_ID
            .scope(id.clone(), next.call(request))
            .instrument(span.clone()),
    )
    .await;
    let mut response = match served {
        // Our middlewares answer refusals as responses; an error here comes
        // from actix-web itself and is answered by it.
        Ok(outcome) => outcome?.map_into_boxed_body(),
        Err(panic) => {
            span.in_scope(|| tracing::error!(error = %panic, "la solicitud terminó con un pánico"));
            return Err(actix_web::error::ErrorInternalServerError(
                "Ocurrió un error interno. Intente de nuevo más tarde.",
            ));
        }
    };
    let status = response.status().as_u16();
    span.in_scope(|| {
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::error!(status, elapsed_ms, "solicitud atendida");
        } else {
            tracing::info!(status, elapsed_ms, "solicitud atendida");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(header, value);
    }
    Ok(response)
}
