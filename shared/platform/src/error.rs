//! Errors at the HTTP boundary, as RFC 9457 problem details.
//!
//! A service defines its own error enum and converts it into [`ApiError`]; the
//! platform's extractors and fallbacks produce [`ApiError`] directly. Client
//! mistakes become 4xx with a Spanish `detail` that says what to do;
//! everything unexpected becomes a 500 whose cause chain is logged with the
//! request id and never sent to the client.

use actix_web::http::{StatusCode, header};
use serde::Serialize;
use utoipa::ToSchema;

/// Media type of problem details (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The body of every error response.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short Spanish summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What was wrong with this request and what to do, in Spanish.
    pub detail: String,
    /// The request id, to find the request in the logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Turns an infrastructure failure (database, storage, I/O) into a logged
/// 500 that says what was being done; the cause never reaches the client.
///
/// ```ignore
/// sqlx::query("…").execute(&pool).await.or_unexpected("guardando la sesión")?;
/// ```
pub trait OrUnexpected<T> {
    fn or_unexpected(self, doing: &'static str) -> Result<T, ApiError>;
}

impl<T, E> OrUnexpected<T> for Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn or_unexpected(self, doing: &'static str) -> Result<T, ApiError> {
        self.map_err(|e| ApiError::Unexpected(anyhow::Error::new(e).context(doing)))
    }
}

/// An error that ends a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed. The text says what to fix.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: valid credentials, not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409: the request conflicts with the current state (duplicate, stale).
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is too large.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: the body is not of a type this route takes.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well-formed but breaks a rule (a domain refusal).
    #[error("{0}")]
    Unprocessable(String),
    /// 429: too many attempts.
    #[error("{0}")]
    TooManyRequests(String),
    /// 503: a dependency is not available right now; retry later.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an infrastructure failure. Logged, never shown.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Spanish title for the status.
    fn title(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "Solicitud mal formada",
            ApiError::Unauthorized(_) => "Autenticación requerida",
            ApiError::Forbidden(_) => "Acceso denegado",
            ApiError::NotFound(_) => "No encontrado",
            ApiError::MethodNotAllowed(_) => "Método no permitido",
            ApiError::Conflict(_) => "Conflicto con el estado actual",
            ApiError::PayloadTooLarge(_) => "Solicitud demasiado grande",
            ApiError::UnsupportedMediaType(_) => "Tipo de contenido no admitido",
            ApiError::Unprocessable(_) => "Solicitud no procesable",
            ApiError::TooManyRequests(_) => "Demasiados intentos",
            ApiError::Unavailable(_) => "Servicio no disponible",
            ApiError::Unexpected(_) => "Error interno",
        }
    }
}

impl ApiError {
    /// The problem-details answer for this error. An unexpected error's
    /// cause chain goes to the log (inside the request's span, so it carries
    /// the request id); the client gets no internals.
    pub fn to_response(&self) -> actix_web::HttpResponse {
        let status = self.status();
        let detail = match self {
            ApiError::Unexpected(cause) => {
                tracing::error!(error = ?cause, "error inesperado al atender la solicitud");
                "Ocurrió un error interno. Intente de nuevo más tarde; si persiste, informe al administrador el identificador de la solicitud.".to_string()
            }
            other => other.to_string(),
        };
        let problem = Problem {
            kind: "about:blank".into(),
            title: self.title().into(),
            status: status.as_u16(),
            detail,
            request_id: crate::telemetry::current_request_id(),
        };
        let mut response = actix_web::HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let ApiError::TooManyRequests(_) | ApiError::Unavailable(_) = self {
            response.insert_header((header::RETRY_AFTER, "30"));
        }
        response.body(serde_json::to_vec(&problem).unwrap_or_default())
    }
}

impl actix_web::Responder for ApiError {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _req: &actix_web::HttpRequest) -> actix_web::HttpResponse {
        self.to_response()
    }
}

impl actix_web::ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        self.to_response()
    }
}

/// A `Result` whose error is an [`ApiError`].
pub type ApiResult<T> = Result<T, ApiError>;

pub use crate::http::{Json, Path, Query, method_not_allowed, not_found};

/// Turns a body-limit rejection that escaped the extractors (e.g. a raw
/// `Bytes` body over the limit) into a Spanish 413.
pub fn payload_too_large() -> ApiError {
    ApiError::PayloadTooLarge(
        "El cuerpo de la solicitud excede el tamaño permitido para esta ruta. Reduzca su tamaño."
            .into(),
    )
}
