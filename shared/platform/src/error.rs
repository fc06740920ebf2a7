//! Errors at the HTTP boundary, as RFC 9457 problem details.
//!
//! A service defines its own error enum and converts it into [`ApiError`]; the
//! platform's extractors and fallbacks produce [`ApiError`] directly. Client
//! mistakes become 4xx with a Spanish `detail` that says what to do;
//! everything unexpected becomes a 500 whose cause chain is logged with the
//! request id and never sent to the client.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Serialize, de::DeserializeOwned};
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            ApiError::Unexpected(cause) => {
                // The chain goes to the log (inside the request's span, so it
                // carries the request id); the client gets no internals.
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
        let mut response = (status, axum::Json(problem)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(PROBLEM_JSON),
        );
        response
    }
}

/// A `Result` whose error is an [`ApiError`].
pub type ApiResult<T> = Result<T, ApiError>;

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
                "El cuerpo debe ser JSON: envíe el encabezado «Content-Type: application/json».".into(),
            ),
            JsonRejection::JsonSyntaxError(e) => ApiError::BadRequest(format!(
                "El cuerpo no es JSON válido ({}). Corrija la sintaxis y vuelva a enviarlo.",
                e.body_text().trim_start_matches("Failed to parse the request body as JSON: ")
            )),
            JsonRejection::JsonDataError(e) => ApiError::Unprocessable(format!(
                "El JSON no tiene la forma esperada ({}). Revise los campos contra el documento OpenAPI del servicio.",
                e.body_text().trim_start_matches("Failed to deserialize the JSON body into the target type: ")
            )),
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge(
                    "El cuerpo de la solicitud excede el tamaño permitido para esta ruta. Reduzca su tamaño.".into(),
                )
            }
            other => ApiError::BadRequest(format!(
                "No se pudo leer el cuerpo de la solicitud ({}). Vuelva a enviarlo.",
                other.body_text()
            )),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest(format!(
            "Un parámetro de la ruta no es válido ({}). Revise la URL.",
            rejection.body_text()
        ))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(format!(
            "Un parámetro de la consulta no es válido ({}). Revise la URL.",
            rejection.body_text()
        ))
    }
}

/// `axum::Json`, but its rejections are Spanish problem details.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Json(value))
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Path`, with Spanish rejections.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(value))
    }
}

/// `axum::extract::Query`, with Spanish rejections.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Query(value))
    }
}

/// Answer for a path no route matches.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!(
        "No existe la ruta {}. Consulte el documento OpenAPI del servicio (/openapi.json) para ver las rutas disponibles.",
        uri.path()
    ))
}

/// Answer for a known path called with a method it does not take.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!(
        "La ruta {} no admite el método {method}. Consulte el documento OpenAPI del servicio.",
        uri.path()
    ))
}

/// Turns a body-limit rejection that escaped the extractors (e.g. a raw
/// `Bytes` body over the limit) into a Spanish 413.
pub fn payload_too_large() -> ApiError {
    ApiError::PayloadTooLarge(
        "El cuerpo de la solicitud excede el tamaño permitido para esta ruta. Reduzca su tamaño."
            .into(),
    )
}
