//! Calls to the other services with the member's own token.

use super::*;

/// An answer of another service.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
}

impl Answer {
    /// The Spanish explanation of a problem+json answer.
    pub(crate) fn detail(&self) -> String {
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

pub(crate) const UNREACHABLE: &str = "No se pudo consultar a los servicios de Rúbrica. Intente de nuevo en un momento; si se repite, avise al facilitador.";

impl Inner {
    pub(crate) async fn call(
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
    pub(crate) async fn call_for(
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

    pub(crate) fn secretariat(&self, path: &str) -> String {
        format!("{}{path}", self.config.secretariat.trim_end_matches('/'))
    }

    pub(crate) fn signing(&self, path: &str) -> String {
        format!("{}{path}", self.config.signing.trim_end_matches('/'))
    }
}

/// The logged-in member, or the response that sends the browser to log in.
pub(crate) fn require_member(current: &Current) -> Result<Member, Box<HttpResponse>> {
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
pub(crate) fn session_ended(inner: &Inner, current: &Current) -> HttpResponse {
    inner.end(&current.id);
    redirect("/entrar?vencida=1", Some(set_cookie(None)))
}

pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A service's refusal as a page answers it: a failure upstream is a bad
/// gateway here, never a 500 of ours; a client's mistake keeps its status.
pub(crate) fn client_status(status: StatusCode) -> StatusCode {
    if status.is_server_error() {
        StatusCode::BAD_GATEWAY
    } else {
        status
    }
}
