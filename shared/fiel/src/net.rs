//! Outgoing HTTP for revocation (OCSP queries, CRL downloads) with the
//! workspace's client, reqwest.
//!
//! Validation is synchronous and is called from request handlers, blocking
//! pools and the command line alike, so each call runs on a short-lived thread
//! with a current-thread runtime of its own: it never blocks on (or needs) the
//! caller's runtime. Every call has a deadline and a bounded body.

use std::sync::mpsc;
use std::time::Duration;

/// One HTTP exchange: `POST` with `body` of `content_type`, or `GET` without a body.
pub(crate) struct Exchange<'a> {
    pub(crate) url: &'a str,
    pub(crate) body: Option<(&'static str, Vec<u8>)>,
    /// The `Accept` header.
    pub(crate) accept: &'static str,
    pub(crate) timeout: Duration,
    /// Largest response body accepted.
    pub(crate) limit: usize,
}

/// Performs the exchange; `Err` is a Spanish reason (no answer, not 200, too
/// large…), to be quoted after "no se pudo consultar …: ".
pub(crate) fn fetch(exchange: Exchange<'_>) -> Result<Vec<u8>, String> {
    let url = reqwest::Url::parse(exchange.url)
        .map_err(|e| format!("la dirección {} no es válida ({e})", exchange.url))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("la dirección {url} no es http:// ni https://"));
    }
    let (tx, rx) = mpsc::channel();
    let timeout = exchange.timeout;
    let limit = exchange.limit;
    let body = exchange.body;
    let accept = exchange.accept;
    let shown = url.to_string();
    std::thread::Builder::new()
        .name("rubrica-revocation-http".into())
        .spawn(move || {
            let result = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("no se pudo preparar la conexión ({e})"))
                .and_then(|rt| rt.block_on(exchange_async(url, body, accept, timeout, limit)));
            let _ = tx.send(result);
        })
        .map_err(|e| format!("no se pudo preparar la conexión ({e})"))?;
    // The client's own timeout ends the request; this bounds the rest.
    rx.recv_timeout(timeout + Duration::from_secs(2))
        .unwrap_or_else(|_| {
            Err(format!(
                "{shown} no respondió en {} segundos",
                timeout.as_secs()
            ))
        })
}

async fn exchange_async(
    url: reqwest::Url,
    body: Option<(&'static str, Vec<u8>)>,
    accept: &'static str,
    timeout: Duration,
    limit: usize,
) -> Result<Vec<u8>, String> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("no se pudo preparar la conexión ({e})"))?;
    let shown = url.to_string();
    let request = match body {
        Some((content_type, bytes)) => client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes),
        None => client.get(url),
    };
    let mut response = request
        .header(reqwest::header::ACCEPT, accept)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                format!("{shown} no respondió en {} segundos", timeout.as_secs())
            } else {
                format!("no hubo respuesta de {shown} ({e})")
            }
        })?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(format!(
            "{shown} respondió con el estado HTTP {}",
            response.status().as_u16()
        ));
    }
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(format!("la respuesta de {shown} excede {limit} bytes"));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("la respuesta de {shown} se interrumpió ({e})"))?
    {
        if bytes.len() + chunk.len() > limit {
            return Err(format!("la respuesta de {shown} excede {limit} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
