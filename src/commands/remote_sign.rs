//! `rubrica sign --server URL --route ID --cer … --key … --password-file …`:
//! signs a route's record through the signing service's two-step API,
//! signing locally — the private key and its password never leave this
//! machine; only the certificate and the signature value travel.
//!
//! 1. FIEL login at the secretariat (challenge signed locally) → a session
//!    that may sign; it is not stored.
//! 2. `POST /routes/{id}/prepare` with the certificate → the bytes to sign.
//!    Before signing them, the command downloads the revision they build on
//!    (its SHA-256 must be the one prepared), rebuilds the signer's revision
//!    itself from it and checks that the bytes to sign are exactly its own —
//!    a server cannot make the member sign another document — and shows the
//!    record's title, folio, page count and SHA-256 (asking to confirm when
//!    run from a terminal).
//! 3. RSA PKCS#1 v1.5 SHA-256 over them with the local key.
//! 4. `POST /routes/{id}/complete`. If another member completed in between
//!    (409, stale revision), prepare again — a few times at most.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rubrica_fiel::{Credential, read_password_file};
use serde_json::{Value, json};

/// What `rubrica sign --server` needs.
pub struct RemoteSignRequest<'a> {
    pub server: &'a str,
    pub route: &'a str,
    pub cer: &'a Path,
    pub key: &'a Path,
    pub password_file: &'a Path,
    /// Where to save the route's PDF after signing, if wanted.
    pub output: Option<&'a Path>,
}

/// How many times a stale prepare is retried before giving up.
const ATTEMPTS: usize = 6;

/// A failure: the exit code (2: the server or the input refused; 1: could
/// not talk to the server or write) and the Spanish message.
struct Failure(u8, String);

/// The suite's (or the signing service's) URL → (secretariat, signing).
pub fn service_urls(server: &str) -> (String, String) {
    let server = server.trim_end_matches('/');
    match server.strip_suffix("/signing") {
        Some(root) => (format!("{root}/secretariat"), server.to_string()),
        None => (format!("{server}/secretariat"), format!("{server}/signing")),
    }
}

/// Runs the command; returns the exit code.
pub async fn run(request: RemoteSignRequest<'_>) -> u8 {
    match sign(&request).await {
        Ok(message) => {
            outln!("{message}");
            0
        }
        Err(Failure(code, message)) => {
            eprintln!("error: {message}");
            code
        }
    }
}

async fn sign(request: &RemoteSignRequest<'_>) -> Result<String, Failure> {
    let credential = read_password_file(request.password_file)
        .and_then(|password| Credential::from_files(request.cer, request.key, &*password))
        .map_err(|e| Failure(if e.is_caused_by_input() { 2 } else { 1 }, e.to_string()))?;
    let certificate = credential.certificate();
    certificate
        .ensure_fiel()
        .map_err(|e| Failure(2, e.to_string()))?;
    super::login::ensure_transport(request.server).map_err(|e| Failure(2, e))?;
    let (secretariat, signing) = service_urls(request.server);
    let client = reqwest::Client::new();

    // 1. A session that may sign.
    let (_, challenge) = call(
        client.post(format!("{secretariat}/auth/challenge")),
        &secretariat,
    )
    .await?;
    let (nonce, proof) = super::login::sign_challenge(&credential, &secretariat, &challenge)
        .map_err(|e| Failure(2, e))?;
    let (_, granted) = call(
        client
            .post(format!("{secretariat}/auth/fiel"))
            .json(&json!({
                "nonce": nonce,
                "certificate": BASE64.encode(certificate.der()),
                "signature": BASE64.encode(proof),
            })),
        &secretariat,
    )
    .await?;
    let token = granted["token"]
        .as_str()
        .ok_or_else(|| Failure(1, "el servidor no envió un token de sesión".into()))?
        .to_string();

    // 2–4, again while someone else completes first.
    let route = request.route.trim();
    let (_, shown) = call(
        client
            .get(format!("{signing}/routes/{route}"))
            .bearer_auth(&token),
        &signing,
    )
    .await?;
    let mut confirmed = false;
    let mut last_conflict = String::new();
    for attempt in 1..=ATTEMPTS {
        let (_, prepared) = call(
            client
                .post(format!("{signing}/routes/{route}/prepare"))
                .bearer_auth(&token)
                .json(&json!({ "certificate": BASE64.encode(certificate.der()) })),
            &signing,
        )
        .await?;
        let to_sign = prepared["to_sign"]
            .as_str()
            .and_then(|b| BASE64.decode(b).ok())
            .ok_or_else(|| Failure(1, "el servidor no envió los datos a firmar".into()))?;
        let prepare_id = prepared["prepare_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (base, base_sha) = download(&client, &signing, route, &token).await?;
        if prepared["base_sha256"].as_str() != Some(base_sha.as_str()) {
            last_conflict = "otro integrante firmó mientras se preparaba su firma.".into();
            eprintln!(
                "Otro integrante firmó al mismo tiempo; se prepara de nuevo (intento {attempt} de {ATTEMPTS})."
            );
            continue;
        }
        check_prepared(&base, certificate, &prepared, &to_sign)?;
        if !confirmed {
            confirm(&shown, &base, &base_sha)?;
            confirmed = true;
        }
        let value = credential
            .sign_sha256(&to_sign)
            .map_err(|e| Failure(1, e.to_string()))?;
        let response = client
            .post(format!("{signing}/routes/{route}/complete"))
            .bearer_auth(&token)
            .json(&json!({ "prepare_id": prepare_id, "signature": BASE64.encode(value) }))
            .send()
            .await
            .map_err(|e| unreachable(&signing, e))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            let signed = body["route"]["signers"]
                .as_array()
                .map(|s| s.iter().filter(|s| s["status"] == "firmado").count())
                .unwrap_or_default();
            let total = body["route"]["signers"].as_array().map_or(0, Vec::len);
            let mut message = format!(
                "Firmó {} (RFC {}) con el certificado {} la ruta {route}: {signed} de {total} firmas.",
                certificate.holder_name(),
                certificate.rfc(),
                certificate.display_number(),
            );
            if body["completed"] == true {
                message.push_str(" El acta quedó firmada por todos.");
            }
            if let Some(output) = request.output {
                let (bytes, sha) = download(&client, &signing, route, &token).await?;
                std::fs::write(output, &bytes).map_err(|e| {
                    Failure(1, format!("no se pudo guardar {}: {e}", output.display()))
                })?;
                message.push_str(&format!(
                    " Copia guardada en {} (SHA-256 {sha}).",
                    output.display()
                ));
            }
            return Ok(message);
        }
        let detail = detail(&body);
        if status.as_u16() == 409 && detail.contains("Prepare la firma de nuevo") {
            last_conflict = detail;
            eprintln!(
                "Otro integrante firmó al mismo tiempo; se prepara de nuevo (intento {attempt} de {ATTEMPTS})."
            );
            continue;
        }
        return Err(refusal(status, detail));
    }
    Err(Failure(
        2,
        format!(
            "no se pudo firmar tras {ATTEMPTS} intentos porque otros integrantes firmaban al mismo tiempo: {last_conflict} Intente de nuevo en unos momentos."
        ),
    ))
}

/// Rebuilds the signer's revision from `base` with what the server says it
/// used (signing time, location, chain) and requires the bytes to sign to be
/// exactly the same: whatever the server is, the member signs this document
/// and nothing else (issue 15, finding 7).
fn check_prepared(
    base: &[u8],
    certificate: &rubrica_fiel::Certificate,
    prepared: &Value,
    to_sign: &[u8],
) -> Result<(), Failure> {
    let refused = |why: &str| {
        Failure(
            2,
            format!(
                "no se firmó nada: {why} Avise al facilitador y no firme con esta dirección de servidor."
            ),
        )
    };
    let signing_time = prepared["signing_time"]
        .as_str()
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .ok_or_else(|| refused("el servidor no dijo la hora de la firma."))?;
    let skew = (time::OffsetDateTime::now_utc() - signing_time).abs();
    if skew > time::Duration::minutes(5) {
        return Err(refused(
            "la hora de la firma que propone el servidor no es la actual (revise también la hora de su equipo).",
        ));
    }
    let chain = prepared["chain"]
        .as_array()
        .map(|certs| {
            certs
                .iter()
                .map(|c| c.as_str().and_then(|c| BASE64.decode(c).ok()))
                .collect::<Option<Vec<_>>>()
        })
        .unwrap_or(Some(Vec::new()))
        .ok_or_else(|| {
            refused("la cadena de certificados que envió el servidor no se puede leer.")
        })?;
    let options = rubrica_pdfsign::PrepareOptions {
        signing_time,
        chain,
        validator: None,
        location: prepared["location"].as_str().map(str::to_string),
    };
    let own = rubrica_pdfsign::prepare(base, certificate, &options).map_err(|e| {
        refused(&format!(
            "no se pudo preparar la firma sobre el acta descargada: {e}"
        ))
    })?;
    if own.to_sign != to_sign {
        return Err(refused(
            "el servidor pidió firmar datos que no corresponden al acta descargada.",
        ));
    }
    Ok(())
}

/// Shows what is about to be signed; from a terminal, asks to go on.
fn confirm(route: &Value, base: &[u8], sha: &str) -> Result<(), Failure> {
    use std::io::{BufRead, IsTerminal, Write};
    let pages = lopdf::Document::load_mem(base)
        .map(|d| d.get_pages().len().to_string())
        .unwrap_or_else(|_| "?".into());
    let title = route["title"].as_str().unwrap_or("(sin título)");
    let folio = route["folio"].as_str().unwrap_or("sin folio");
    eprintln!("Va a firmar «{title}» (folio {folio}): {pages} páginas, SHA-256 {sha}.");
    if std::io::stdin().is_terminal() {
        eprint!("¿Firmar este documento? Escriba «s» para firmar: ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "s" | "S" | "si" | "sí" | "Sí" | "SI") {
            return Err(Failure(2, "no se firmó: usted no confirmó.".into()));
        }
    }
    Ok(())
}

async fn download(
    client: &reqwest::Client,
    signing: &str,
    route: &str,
    token: &str,
) -> Result<(Vec<u8>, String), Failure> {
    let response = client
        .get(format!("{signing}/routes/{route}/pdf"))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| unreachable(signing, e))?;
    if !response.status().is_success() {
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        return Err(refusal(status, detail(&body)));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| unreachable(signing, e))?;
    let sha = { hex::encode(rubrica_fiel::digest::Sha256::digest(&bytes)) };
    Ok((bytes.to_vec(), sha))
}

/// Sends `request`; a 2xx gives its JSON, anything else the server's detail.
async fn call(request: reqwest::RequestBuilder, base: &str) -> Result<(u16, Value), Failure> {
    let response = request.send().await.map_err(|e| unreachable(base, e))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        Ok((status.as_u16(), body))
    } else {
        Err(refusal(status, detail(&body)))
    }
}

fn detail(body: &Value) -> String {
    body["detail"].as_str().unwrap_or("sin detalle").to_string()
}

fn refusal(status: reqwest::StatusCode, detail: String) -> Failure {
    let code = if status.is_client_error() { 2 } else { 1 };
    Failure(code, format!("el servidor respondió {status}: {detail}"))
}

fn unreachable(base: &str, error: reqwest::Error) -> Failure {
    Failure(
        1,
        format!(
            "no se pudo conectar con {base}: {error}. Revise la dirección del servidor (--server)."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suite_address_and_the_signing_address_both_work() {
        assert_eq!(
            service_urls("http://h:8080/"),
            (
                "http://h:8080/secretariat".into(),
                "http://h:8080/signing".into()
            )
        );
        assert_eq!(
            service_urls("http://h:8080/signing"),
            (
                "http://h:8080/secretariat".into(),
                "http://h:8080/signing".into()
            )
        );
    }
}
