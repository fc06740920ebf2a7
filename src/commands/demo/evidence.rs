//! The demo's session evidence (000 V.10 a): after the session, the
//! President adds an image of it to the archive through the same API the
//! console uses, so the public session page shows it with its text
//! alternative, size and SHA-256. `rubrica demo` only. The image is a
//! drawing made for the demo (nine seats at a table), and its alternative
//! text says so: it is not a photograph of a real session.

use anyhow::{Context, bail};

use super::{DemoOutcome, DemoTarget};

/// The image, kept in the repository (`templates/demo/`).
const IMAGE: &[u8] = include_bytes!("../../../templates/demo/evidencia-sesion.png");
const NAME: &str = "sesion-ordinaria-mesa.png";
const ALT: &str = "Dibujo de demostración: nueve asientos ante la mesa del Secretariado Técnico Local, en lugar de una fotografía de la sesión";
const DESCRIPTION: &str = "Imagen de la sesión (demostración)";

/// Uploads the session's image as evidence with the President's token;
/// returns its SHA-256.
pub async fn session_evidence(
    target: &DemoTarget,
    done: &DemoOutcome,
    president: &str,
) -> anyhow::Result<String> {
    let url = format!(
        "{}/sessions/{}/evidence",
        target.archive.trim_end_matches('/'),
        done.session_id
    );
    let response = reqwest::Client::new()
        .post(&url)
        .query(&[("name", NAME), ("alt", ALT), ("description", DESCRIPTION)])
        .bearer_auth(president)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .body(IMAGE)
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let answer: serde_json::Value = response.json().await.unwrap_or_default();
    if !status.is_success() {
        bail!(
            "POST {url} respondió {status}: {}",
            answer["detail"].as_str().unwrap_or("sin detalle")
        );
    }
    let sha256 = answer["sha256"]
        .as_str()
        .context("la evidencia no trae su SHA-256")?
        .to_string();
    if !target.quiet {
        outln!("   Evidencia de la sesión archivada: {NAME} (SHA-256 {sha256})");
    }
    Ok(sha256)
}
