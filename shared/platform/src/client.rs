//! One client for calls from one service of the suite to another: the URL
//! from the settings (`services.<name>.url`), who calls (the internal token,
//! or the person's own `Authorization`), a timeout, a bounded body, and one
//! mapping of the answer's status to the caller's error.
//!
//! ```ignore
//! let view: DocumentSummary = ServiceClient::new(&ctx, ServiceName::Documents)
//!     .get_json(&format!("/internal/documents/{id}"), As::Internal)
//!     .await
//!     .map_err(|e| match e.status() {
//!         Some(404) => ApiError::Unprocessable("…".into()),
//!         _ => e.into(),
//!     })?;
//! ```

use std::time::Duration;

use crate::{ApiError, ServiceContext, ServiceName, Settings};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Who makes the call.
#[derive(Debug, Clone, Copy)]
pub enum As<'a> {
    /// The suite itself, with the shared internal token (`/internal/…`).
    Internal,
    /// The person whose request is being served, with their own
    /// `Authorization` header: the other service applies its own rules and
    /// audits the person, never the calling service.
    Caller(Option<&'a [u8]>),
}

/// Why a call to another service gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// `services.<name>.url` is not set.
    #[error(
        "no está configurada la URL del servicio «{service}» (services.{service}.url); avise al administrador"
    )]
    NotConfigured { service: ServiceName },
    /// The service did not answer (refused, timed out, cut off).
    #[error("el servicio «{service}» no respondió: {cause}")]
    Unreachable { service: ServiceName, cause: String },
    /// The service answered with an error status; `detail` is its problem's
    /// Spanish text (or empty).
    #[error("el servicio «{service}» respondió {status}: {detail}")]
    Status {
        service: ServiceName,
        status: u16,
        detail: String,
    },
    /// The answer's body is larger than the call allows.
    #[error("la respuesta del servicio «{service}» excede {max} bytes")]
    TooLarge { service: ServiceName, max: usize },
    /// The answer is not the JSON the contract describes.
    #[error("la respuesta del servicio «{service}» no es la esperada: {cause}")]
    Malformed { service: ServiceName, cause: String },
}

impl CallError {
    /// The status the other service answered, if it answered one.
    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The default mapping: the other service's refusal of the person (401,
/// 403, 404, 409, 422) is passed on with its own words; anything else is a
/// 503 that says to try again (and is logged).
impl From<CallError> for ApiError {
    fn from(error: CallError) -> ApiError {
        let said = |service: ServiceName, detail: &str| {
            let detail = if detail.is_empty() {
                "sin detalle"
            } else {
                detail
            };
            format!("El servicio «{}» respondió: {detail}", service.title())
        };
        match &error {
            CallError::Status {
                service,
                status,
                detail,
            } => match status {
                401 => ApiError::Unauthorized(said(*service, detail)),
                403 => ApiError::Forbidden(said(*service, detail)),
                404 => ApiError::NotFound(said(*service, detail)),
                409 => ApiError::Conflict(said(*service, detail)),
                400 | 422 => ApiError::Unprocessable(said(*service, detail)),
                _ => {
                    tracing::error!(%error, "otro servicio falló");
                    ApiError::Unavailable(format!(
                        "{}. Intente de nuevo en unos minutos; no se cambió nada.",
                        said(*service, detail)
                    ))
                }
            },
            _ => {
                tracing::warn!(%error, "no se pudo consultar otro servicio");
                ApiError::Unavailable(format!(
                    "No se pudo consultar otro servicio de la instalación ({error}). Intente de nuevo en unos minutos; no se cambió nada."
                ))
            }
        }
    }
}

/// A call to one service of the suite. See the module documentation.
#[derive(Clone)]
pub struct ServiceClient<'a> {
    settings: &'a Settings,
    http: &'a reqwest::Client,
    service: ServiceName,
    timeout: Duration,
    max_body: usize,
}

impl<'a> ServiceClient<'a> {
    /// Calls to `service`, 30 s and 1 MiB at most unless changed.
    pub fn new(context: &'a ServiceContext, service: ServiceName) -> ServiceClient<'a> {
        ServiceClient::with(&context.settings, &context.http, service)
    }

    /// The same, for code that holds the settings and the HTTP client
    /// rather than a whole service context (e.g. mail's attachment fetcher).
    pub fn with(
        settings: &'a Settings,
        http: &'a reqwest::Client,
        service: ServiceName,
    ) -> ServiceClient<'a> {
        ServiceClient {
            settings,
            http,
            service,
            timeout: Duration::from_secs(30),
            max_body: 1024 * 1024,
        }
    }

    /// How long the whole call may take.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest body accepted in the answer.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// `GET path` and its JSON.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        who: As<'_>,
    ) -> Result<T, CallError> {
        let body = self.send(reqwest::Method::GET, path, who, None).await?;
        self.parse(&body)
    }

    /// `GET path` and its bytes.
    pub async fn get_bytes(&self, path: &str, who: As<'_>) -> Result<Vec<u8>, CallError> {
        self.send(reqwest::Method::GET, path, who, None).await
    }

    /// `method path` with an optional JSON body, when only the status of the
    /// answer matters (its body is read only within the bound, for the
    /// refusal's words).
    pub async fn send_only(
        &self,
        method: reqwest::Method,
        path: &str,
        who: As<'_>,
        body: Option<&impl Serialize>,
    ) -> Result<(), CallError> {
        let body = self.encode(body)?;
        self.send(method, path, who, body).await.map(drop)
    }

    fn encode(&self, body: Option<&impl Serialize>) -> Result<Option<Vec<u8>>, CallError> {
        body.map(serde_json::to_vec)
            .transpose()
            .map_err(|e| CallError::Malformed {
                service: self.service,
                cause: e.to_string(),
            })
    }

    /// `method path` with an optional JSON body, and the JSON answered.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        who: As<'_>,
        body: Option<&impl Serialize>,
    ) -> Result<T, CallError> {
        let body = self.encode(body)?;
        let answer = self.send(method, path, who, body).await?;
        self.parse(&answer)
    }

    fn parse<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, CallError> {
        serde_json::from_slice(body).map_err(|e| CallError::Malformed {
            service: self.service,
            cause: e.to_string(),
        })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        who: As<'_>,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, CallError> {
        let service = self.service;
        let base = self
            .settings
            .services
            .get(service)
            .url
            .as_deref()
            .ok_or(CallError::NotConfigured { service })?;
        let url = format!("{}{path}", base.trim_end_matches('/'));
        let mut request = self.http.request(method, &url).timeout(self.timeout);
        match who {
            As::Internal => {
                if let Some(token) = &self.settings.internal_token {
                    request = request.bearer_auth(token.expose());
                }
            }
            As::Caller(Some(credential)) => {
                request = request.header(reqwest::header::AUTHORIZATION, credential);
            }
            As::Caller(None) => {}
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let unreachable = |e: reqwest::Error| CallError::Unreachable {
            service,
            cause: e.to_string(),
        };
        let mut response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let too_large = CallError::TooLarge {
            service,
            max: self.max_body,
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(too_large);
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if bytes.len() + chunk.len() > self.max_body {
                return Err(too_large);
            }
            bytes.extend_from_slice(&chunk);
        }
        if status.is_success() {
            return Ok(bytes);
        }
        let detail = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v["detail"].as_str().map(str::to_string))
            .unwrap_or_default();
        Err(CallError::Status {
            service,
            status: status.as_u16(),
            detail,
        })
    }
}
