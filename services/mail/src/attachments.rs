//! Attachments by reference: fetched once from the service that holds them,
//! checked against their SHA-256, kept once per hash, and shared (not
//! copied) by every message that attaches them while they are in memory.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rubrica_contracts::client::{As, CallError, ServiceClient};
use rubrica_fiel::digest::Sha256;
use rubrica_platform::db::now_ms;
use rubrica_platform::{Database, Settings};

use crate::contracts::DocumentRef;
use crate::db;
use crate::settings::MailSettings;
use crate::transport::SendError;

/// How many attachments stay in memory (a convocatoria sent to every member
/// reads its PDF once, not once per member).
const CACHED: usize = 4;

/// The attachment store of one process.
pub struct Attachments {
    db: Database,
    http: reqwest::Client,
    settings: Arc<Settings>,
    /// The `[mail]` section: the size limit and the timeout.
    mail: MailSettings,
    recent: Mutex<VecDeque<(String, Arc<Vec<u8>>)>>,
    /// One lane loads or fetches at a time, so lanes that need the same new
    /// document wait for the first one instead of fetching it again.
    loading: tokio::sync::Mutex<()>,
}

impl Attachments {
    pub fn new(db: Database, http: reqwest::Client, settings: Arc<Settings>) -> Attachments {
        Attachments {
            db,
            http,
            mail: settings.section(),
            settings,
            recent: Mutex::new(VecDeque::new()),
            loading: tokio::sync::Mutex::new(()),
        }
    }

    /// The bytes of `document`: from memory, from the table, or fetched.
    pub async fn get(&self, document: &DocumentRef) -> Result<Arc<Vec<u8>>, SendError> {
        let sha = document.sha256.to_ascii_lowercase();
        if let Some(bytes) = self.cached(&sha) {
            return Ok(bytes);
        }
        let _loading = self.loading.lock().await;
        if let Some(bytes) = self.cached(&sha) {
            return Ok(bytes);
        }
        let stored = db::attachment(&self.db, &sha).await.map_err(|e| {
            SendError::transient(format!(
                "no se pudo leer el adjunto {} de la base de datos: {e}",
                document.filename
            ))
        })?;
        let bytes = match stored {
            Some(bytes) => bytes,
            None => {
                let bytes = self.fetch(document, &sha).await?;
                db::store_attachment(&self.db, &sha, &document.media_type, &bytes, now_ms())
                    .await
                    .map_err(|e| {
                        SendError::transient(format!(
                            "no se pudo guardar el adjunto {}: {e}",
                            document.filename
                        ))
                    })?;
                bytes
            }
        };
        let bytes = Arc::new(bytes);
        if let Ok(mut recent) = self.recent.lock() {
            recent.push_front((sha, bytes.clone()));
            recent.truncate(CACHED);
        }
        Ok(bytes)
    }

    fn cached(&self, sha: &str) -> Option<Arc<Vec<u8>>> {
        let recent = self.recent.lock().ok()?;
        recent
            .iter()
            .find(|(hash, _)| hash == sha)
            .map(|(_, bytes)| bytes.clone())
    }

    /// Downloads `document` from its service with the internal token.
    async fn fetch(&self, document: &DocumentRef, sha: &str) -> Result<Vec<u8>, SendError> {
        let service = document.service;
        let max = self.mail.attachment_max_bytes;
        if document.size > max {
            return Err(too_large(document, max));
        }
        let bytes = ServiceClient::with(&self.settings, &self.http, service)
            .timeout(Duration::from_millis(self.mail.smtp_timeout_ms))
            .max_body(usize::try_from(max).unwrap_or(usize::MAX))
            .get_bytes(&document.path, As::Internal)
            .await
            .map_err(|e| {
                let detail = format!("no se pudo obtener el adjunto {}: {e}", document.filename);
                match e {
                    CallError::TooLarge { .. } => too_large(document, max),
                    // 404 may mean "not there yet"; other client errors will not pass.
                    CallError::Status { status, .. }
                        if status < 500 && !matches!(status, 404 | 408 | 429) =>
                    {
                        SendError::permanent(detail)
                    }
                    _ => SendError::transient(detail),
                }
            })?;
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != sha || bytes.len() as u64 != document.size {
            return Err(SendError::permanent(format!(
                "el adjunto {} obtenido del servicio «{service}» no es el anunciado: se esperaba SHA-256 {sha} ({} bytes) y llegó {actual} ({} bytes). No se envía un documento distinto del registrado",
                document.filename,
                document.size,
                bytes.len()
            )));
        }
        Ok(bytes)
    }
}

fn too_large(document: &DocumentRef, max: u64) -> SendError {
    SendError::permanent(format!(
        "el adjunto {} mide {} bytes y el máximo configurado es {max} (mail.attachment_max_bytes)",
        document.filename, document.size
    ))
}
