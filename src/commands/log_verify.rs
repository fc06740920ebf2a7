//! `rubrica verify FILE --log URL`: checks that a file is in the archive's
//! published log, trusting the server for nothing it cannot prove.
//!
//! The file is hashed here; the archive is asked for the entry with that
//! SHA-256, its inclusion proof and the signed tree head the proof leads to.
//! This command then recomputes the leaf from the file's own hash, checks
//! the head's Ed25519 signature with the log's public key — the one given
//! with `--log-key` (pinned, the safe way) or else the one the server
//! publishes — and verifies the proof locally (RFC 6962). A server that lies
//! about any of it fails one of those checks.

use std::path::Path;

use anyhow::Context;
use rubrica_archive::digest::{Digest32, Sha256};
use rubrica_archive::log::LeafEntry;
use rubrica_archive::model::{InclusionProof, PublicKey};
use rubrica_translog::{LogVerifier, verify_inclusion};
use serde::Serialize;

/// How the check ended; [`LogCheck::exit_code`] maps it to the process's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The file is in the log and every check passed.
    Included,
    /// The archive has no entry for the file.
    NotIncluded,
    /// The archive answered something that does not check out (bad
    /// signature, wrong key, proof that fails): do not trust it.
    Invalid,
    /// The archive could not be asked (unreachable, unexpected answer).
    Unavailable,
}

/// The result of checking one file against a log: printed as text or JSON.
#[derive(Debug, Clone, Serialize)]
pub struct LogCheck {
    pub outcome: Outcome,
    /// The file's SHA-256, hex.
    pub sha256: String,
    /// The archive's base URL that was asked.
    pub log: String,
    /// The entry's position, when found.
    pub index: Option<u64>,
    /// The entry's kind and time, when found.
    pub kind: Option<String>,
    pub archived_at: Option<String>,
    /// The signed head the proof was checked against.
    pub tree_size: Option<u64>,
    pub root_hash: Option<String>,
    /// The key the head's signature was checked with, hex.
    pub public_key: Option<String>,
    /// Whether that key was pinned with `--log-key` (otherwise the server
    /// supplied it).
    pub key_pinned: bool,
    /// Every line of the report, in Spanish.
    pub report: Vec<String>,
}

impl LogCheck {
    /// 0 when included, 1 otherwise (2 is for unreadable input, decided
    /// before a check exists).
    pub fn exit_code(&self) -> u8 {
        match self.outcome {
            Outcome::Included => 0,
            _ => 1,
        }
    }
}

/// The archive's base URL from what the user typed: the suite's address
/// (`http://host:8080`) or the archive's own (`…/archive`).
pub fn archive_url(log: &str) -> String {
    let log = log.trim().trim_end_matches('/');
    if log.ends_with("/archive") {
        log.to_string()
    } else {
        format!("{log}/archive")
    }
}

/// A `--log-key` value: 64 hex characters (the `public_key` of
/// `GET /log/public-key`).
pub fn parse_key(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim();
    hex::decode(text)
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| {
            format!(
                "la llave «{}» no es una llave pública Ed25519: escriba sus 64 caracteres hexadecimales, como los da GET /archive/log/public-key",
                text.chars().take(80).collect::<String>()
            )
        })
}

/// Hashes `file` (the error: it cannot be read).
pub fn hash_file(file: &Path) -> std::io::Result<Digest32> {
    let mut reader = std::fs::File::open(file)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut reader, &mut hasher)?;
    Ok(hasher.finalize())
}

/// Checks that the file whose SHA-256 is `sha256` is in the log at `log`.
pub async fn check(sha256: Digest32, log: &str, pinned_key: Option<&[u8]>) -> LogCheck {
    let base = archive_url(log);
    let mut check = LogCheck {
        outcome: Outcome::Unavailable,
        sha256: sha256.to_hex(),
        log: base.clone(),
        index: None,
        kind: None,
        archived_at: None,
        tree_size: None,
        root_hash: None,
        public_key: pinned_key.map(hex::encode),
        key_pinned: pinned_key.is_some(),
        report: vec![format!("Huella SHA-256 del archivo: {sha256}")],
    };
    match ask(&mut check, sha256, &base, pinned_key).await {
        Ok(()) => {}
        Err(e) => {
            check.outcome = Outcome::Unavailable;
            check.report.push(format!(
                "No se pudo consultar el registro en {base}: {e:#}. Revise la dirección (--log) y su conexión, y vuelva a intentarlo."
            ));
        }
    }
    check
}

async fn ask(
    check: &mut LogCheck,
    sha256: Digest32,
    base: &str,
    pinned_key: Option<&[u8]>,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .context("preparando el cliente HTTP")?;
    let response = client
        .get(format!("{base}/log/inclusion"))
        .query(&[("sha256", sha256.to_hex())])
        .send()
        .await
        .context("pidiendo la prueba de inclusión")?;
    match response.status().as_u16() {
        200 => {}
        404 => {
            check.outcome = Outcome::NotIncluded;
            check.report.push(
                "NO INCLUIDO: el archivo no está en el registro del archivo. Ningún objeto archivado tiene esta huella; si esperaba encontrarlo, este archivo no es idéntico al archivado (cualquier cambio, aunque sea de un byte, produce otra huella).".into(),
            );
            return Ok(());
        }
        status => {
            let detail = response
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|p| p["detail"].as_str().map(str::to_string))
                .unwrap_or_default();
            anyhow::bail!("el servidor respondió {status} {detail}");
        }
    }
    let proof: InclusionProof = response
        .json()
        .await
        .context("leyendo la prueba de inclusión (¿es la dirección de un archivo de Rúbrica?)")?;

    let key = match pinned_key {
        Some(key) => key.to_vec(),
        None => {
            let published: PublicKey = client
                .get(format!("{base}/log/public-key"))
                .send()
                .await
                .context("pidiendo la llave pública del registro")?
                .error_for_status()
                .context("pidiendo la llave pública del registro")?
                .json()
                .await
                .context("leyendo la llave pública del registro")?;
            hex::decode(&published.public_key)
                .ok()
                .filter(|k| k.len() == 32)
                .context("la llave pública publicada no es una llave Ed25519")?
        }
    };
    check.public_key = Some(hex::encode(&key));
    let head = proof.tree_head.tree_head();
    check.index = Some(proof.entry.index);
    check.kind = Some(proof.entry.kind.clone());
    check.archived_at = Some(rubrica_archive::when(proof.entry.created_at));
    check.tree_size = Some(head.size);
    check.root_hash = Some(head.root.clone());

    let invalid = |check: &mut LogCheck, why: String| {
        check.outcome = Outcome::Invalid;
        check.report.push(format!("NO VERIFICADO: {why}"));
    };
    if !proof.entry.sha256.eq_ignore_ascii_case(&sha256.to_hex()) {
        invalid(
            check,
            "el servidor respondió con la entrada de otro archivo. No confíe en esta respuesta."
                .into(),
        );
        return Ok(());
    }
    let verifier = match LogVerifier::new(&key) {
        Ok(v) => v,
        Err(e) => {
            invalid(check, e.to_string());
            return Ok(());
        }
    };
    if verifier.verify(&head).is_err() || proof.tree_size != head.size {
        let whose = if pinned_key.is_some() {
            "la llave indicada con --log-key"
        } else {
            "la llave que publica el servidor"
        };
        invalid(
            check,
            format!(
                "la cabeza del registro de {} entradas no está firmada por {whose}. No confíe en esta respuesta; compruebe la llave del registro con la autoridad que lo publica.",
                head.size
            ),
        );
        return Ok(());
    }
    check.report.push(format!(
        "Cabeza firmada del registro: {} entradas, raíz {}, firma Ed25519 válida ({}: {}).",
        head.size,
        head.root,
        if pinned_key.is_some() {
            "llave fijada con --log-key"
        } else {
            "llave publicada por el servidor; para no depender de él, fíjela con --log-key"
        },
        hex::encode(&key)
    ));
    let leaf = LeafEntry {
        sha256,
        kind: proof.entry.kind.clone(),
        created_at: proof.entry.created_at,
    }
    .leaf_hash();
    let path = rubrica_archive::archive::parse_hashes(&proof.proof);
    let root = head.root_hash();
    let verified = match (&path, &root) {
        (Some(path), Ok(root)) => {
            verify_inclusion(&leaf, proof.entry.index, head.size, path, root).is_ok()
        }
        _ => false,
    };
    if !verified {
        invalid(
            check,
            format!(
                "la prueba de inclusión de la entrada {} no conduce a la raíz firmada. El registro no demuestra contener este archivo; no confíe en esta respuesta.",
                proof.entry.index
            ),
        );
        return Ok(());
    }
    check.outcome = Outcome::Included;
    check.report.push(format!(
        "INCLUIDO: el archivo está en el registro como entrada {} (tipo «{}», archivado el {}). La prueba de inclusión se verificó en este equipo contra la cabeza firmada.",
        proof.entry.index,
        proof.entry.kind,
        rubrica_archive::when(proof.entry.created_at)
    ));
    Ok(())
}

/// `rubrica verify FILE --log URL [--log-key HEX] [--json]`, the log part:
/// prints the report (text, or JSON with `json`) and returns the exit code
/// — 0 included, 1 not included or not provable, 2 unreadable input.
pub async fn run(file: &Path, log: &str, log_key: Option<&str>, json: bool) -> u8 {
    let pinned = match log_key.map(parse_key).transpose() {
        Ok(key) => key,
        Err(e) => {
            eprintln!("error: {e}.");
            return 2;
        }
    };
    let sha256 = match hash_file(file) {
        Ok(sha256) => sha256,
        Err(e) => {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no existe".to_string(),
                std::io::ErrorKind::PermissionDenied => "no tiene permiso para leerlo".to_string(),
                _ => format!("no se pudo leer ({e})"),
            };
            eprintln!(
                "error: el archivo {} {why}. Indique la ruta de un archivo legible.",
                file.display()
            );
            return 2;
        }
    };
    let check = check(sha256, log, pinned.as_deref()).await;
    if json {
        let report = serde_json::json!({ "file": file.display().to_string(), "log": check });
        match serde_json::to_string_pretty(&report) {
            Ok(text) => outln!("{text}"),
            Err(e) => {
                eprintln!("error: no se pudo escribir el resultado: {e}");
                return 1;
            }
        }
    } else {
        outln!("Archivo: {}", file.display());
        outln!("Registro: {}", check.log);
        for line in &check.report {
            outln!("{line}");
        }
    }
    check.exit_code()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_is_found_from_the_suite_or_its_own_address() {
        assert_eq!(
            archive_url("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080/archive"
        );
        assert_eq!(
            archive_url("https://rubrica.example/archive/"),
            "https://rubrica.example/archive"
        );
    }

    #[test]
    fn a_pinned_key_must_be_32_bytes_of_hex() {
        assert_eq!(parse_key(&"ab".repeat(32)).unwrap().len(), 32);
        assert!(parse_key("abc").unwrap_err().contains("64 caracteres"));
    }
}
