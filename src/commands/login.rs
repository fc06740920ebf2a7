//! `rubrica login`: proves who the member is to a Rúbrica server and keeps
//! the session token for later commands.
//!
//! With the FIEL, the private key never leaves this machine: the server sends
//! a one-time challenge, this command signs it locally and sends back only
//! the certificate and the signature.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rubrica_fiel::{Credential, read_password_file};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What `login` stores: enough to call the server again.
#[derive(Debug, Serialize, Deserialize)]
pub struct StoredSession {
    /// The secretariat service's base URL.
    pub server: String,
    /// The bearer token.
    pub token: String,
    /// When it expires (epoch ms).
    pub expires_at: i64,
    /// Who it identifies.
    pub name: String,
    /// Their roles when they logged in.
    pub roles: Vec<String>,
    /// Whether it was obtained with the FIEL (only those may sign).
    pub method: String,
}

/// Where the session is kept: `RUBRICA_SESSION_FILE`, else
/// `$XDG_CONFIG_HOME/rubrica/sesion.json`, else `~/.config/rubrica/sesion.json`.
pub fn session_path() -> PathBuf {
    if let Some(path) = std::env::var_os("RUBRICA_SESSION_FILE") {
        return PathBuf::from(path);
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("rubrica").join("sesion.json")
}

/// The secretariat's base URL from what the user typed: the suite's address
/// (`http://host:8080`) or the secretariat's own (`…/secretariat`).
pub fn secretariat_url(server: &str) -> String {
    let server = server.trim_end_matches('/');
    if server.ends_with("/secretariat") {
        server.to_string()
    } else {
        format!("{server}/secretariat")
    }
}

/// Refuses a server address that would carry a FIEL session in clear across
/// a network: `https://`, or `http://` to this machine only.
pub fn ensure_transport(server: &str) -> Result<(), String> {
    if rubrica_contracts::login::transport_allowed(server) {
        Ok(())
    } else {
        Err(format!(
            "La dirección «{server}» no es segura: use https:// (http:// solo se acepta hacia este mismo equipo, como http://127.0.0.1:8080)."
        ))
    }
}

/// Checks a login challenge received from the secretariat at `base` (the
/// text names that server and the current time, and is a Rúbrica login) and
/// signs it with the FIEL: returns the text and the signature. Nothing is
/// signed otherwise.
pub fn sign_challenge(
    credential: &Credential,
    base: &str,
    challenge: &Value,
) -> Result<(String, Vec<u8>), String> {
    let text = challenge["nonce"]
        .as_str()
        .ok_or("el servidor no envió un reto de inicio de sesión")?;
    let origin = rubrica_contracts::login::origin_of(base)
        .ok_or_else(|| format!("«{base}» no es una dirección de servidor válida"))?;
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis(),
    )
    .unwrap_or(i64::MAX);
    rubrica_contracts::login::LoginChallenge::check(text, &origin, now)?;
    let signature = credential
        .sign_sha256(text.as_bytes())
        .map_err(|e| e.to_string())?;
    Ok((text.to_string(), signature))
}

/// Logs in with the FIEL and stores the session.
pub async fn with_fiel(
    server: &str,
    cer: &Path,
    key: &Path,
    password_file: &Path,
    secretariat: Option<String>,
) -> anyhow::Result<StoredSession> {
    let password = read_password_file(password_file)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("leyendo la contraseña de {}", password_file.display()))?;
    let credential =
        Credential::from_files(cer, key, &*password).map_err(|e| anyhow::anyhow!("{e}"))?;
    credential
        .certificate()
        .ensure_fiel()
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    ensure_transport(server).map_err(anyhow::Error::msg)?;
    let base = secretariat_url(server);
    let client = reqwest::Client::new();
    let challenge: Value = answer(
        client.post(format!("{base}/auth/challenge")).send().await,
        &base,
    )
    .await?;
    let (nonce, signature) =
        sign_challenge(&credential, &base, &challenge).map_err(anyhow::Error::msg)?;
    let granted: Value = answer(
        client
            .post(format!("{base}/auth/fiel"))
            .json(&json!({
                "nonce": nonce,
                "certificate": BASE64.encode(credential.certificate().der()),
                "signature": BASE64.encode(signature),
                "secretariat_id": secretariat,
            }))
            .send()
            .await,
        &base,
    )
    .await?;
    store(&base, &granted)
}

/// Logs in with a mailed one-time link and stores the session.
pub async fn with_link(server: &str, link: &str) -> anyhow::Result<StoredSession> {
    ensure_transport(server).map_err(anyhow::Error::msg)?;
    let base = secretariat_url(server);
    let granted: Value = answer(
        reqwest::Client::new()
            .post(format!("{base}/auth/email-link/redeem"))
            .json(&json!({ "token": link.trim() }))
            .send()
            .await,
        &base,
    )
    .await?;
    store(&base, &granted)
}

/// The JSON of a 2xx answer, or the server's Spanish problem detail.
async fn answer(
    response: Result<reqwest::Response, reqwest::Error>,
    base: &str,
) -> anyhow::Result<Value> {
    let response = response.map_err(|e| {
        anyhow::anyhow!(
            "no se pudo conectar con {base}: {e}. Revise la dirección del servidor (--server)."
        )
    })?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        Ok(body)
    } else {
        let detail = body["detail"].as_str().unwrap_or("sin detalle");
        bail!("el servidor respondió {status}: {detail}")
    }
}

/// Writes the session file, readable only by its owner.
fn store(base: &str, granted: &Value) -> anyhow::Result<StoredSession> {
    let caller = &granted["caller"];
    let session = StoredSession {
        server: base.to_string(),
        token: granted["token"]
            .as_str()
            .context("el servidor no envió un token")?
            .to_string(),
        expires_at: granted["expires_at"].as_i64().unwrap_or_default(),
        name: caller["name"].as_str().unwrap_or_default().to_string(),
        roles: caller["roles"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        method: caller["method"].as_str().unwrap_or_default().to_string(),
    };
    let path = session_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creando la carpeta {}", dir.display()))?;
    }
    let text = serde_json::to_vec_pretty(&session)?;
    write_private(&path, &text)
        .with_context(|| format!("guardando la sesión en {}", path.display()))?;
    Ok(session)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}
