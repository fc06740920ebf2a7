//! A session's evidence (issue 18 a; 000 V.4, V.10 a): photographs, video,
//! audio and documents of a held session, uploaded by the facilitator or
//! the President of its secretariat. Each file is checked by its content
//! ([`crate::sniff`]: programs and names that lie about the content are
//! refused), limited in size (`archive.max_evidence_bytes`), hashed and
//! archived as a public object of kind [`KIND`], so it enters the
//! transparency log and anyone downloads it by its SHA-256. A row ties it
//! to the session, with its name and, for an image, the alternative text
//! the uploader wrote (required: WCAG 1.1.1). Evidence is only added.
//!
//! Who may add is asked of the secretariat with the caller's own credential
//! (`GET /sessions/{id}`), as handovers do: the archive never acts with
//! more authority than the person asking.

use rubrica_platform::Bytes;
use rubrica_platform::OrUnexpected;
use rubrica_platform::db::now_ms;
use rubrica_platform::{ApiError, ApiResult, Caller, Role, ServiceName};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use utoipa::ToSchema;

use crate::archive::{Archive, Deposit};
use crate::sniff;
use rubrica_contracts::client::{As, ServiceClient};

/// Kind of an evidence object in the log.
pub const KIND: &str = "evidencia";
/// Most files one session's evidence holds.
pub const MAX_FILES: i64 = 500;

/// The forwarded credential of the caller.
pub use crate::handovers::Credential;

/// The evidence logic, over the archive.
#[derive(Clone)]
pub struct SessionEvidence {
    pub archive: Archive,
}

/// One file of a session's evidence, as the public sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvidenceView {
    pub id: String,
    /// The session's folio, e.g. `2026-ORD-01`.
    pub session_folio: String,
    /// The file's name (its extension agrees with its content).
    pub name: String,
    /// Its media type, told by its content.
    pub media_type: String,
    /// What it is in words («una imagen JPEG», «un video MP4»…).
    pub label: String,
    pub size_bytes: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// For an image: what it shows, for who cannot see it.
    pub alt_text: Option<String>,
    pub description: Option<String>,
    /// Epoch milliseconds.
    pub uploaded_at: i64,
    /// Where anyone downloads it (`GET /objects/{sha256}`).
    pub url: String,
}

/// Path of a session's public evidence.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PublicEvidencePath {
    /// The secretariat's id.
    pub id: String,
    /// The session's folio.
    pub folio: String,
}

fn label_of(media_type: &str) -> String {
    sniff::label_of(media_type)
        .unwrap_or("un archivo")
        .to_string()
}

fn clean_text(text: Option<&str>, max: usize, field: &str) -> ApiResult<Option<String>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(ApiError::Unprocessable(format!(
            "El campo «{field}» excede {max} caracteres: abrévielo."
        )));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::Unprocessable(format!(
            "El campo «{field}» contiene caracteres de control: escríbalo como texto simple."
        )));
    }
    Ok(Some(text.to_string()))
}

impl SessionEvidence {
    fn view(&self, row: &sqlx::any::AnyRow) -> Result<EvidenceView, sqlx::Error> {
        let sha256: String = row.try_get("sha256")?;
        let media_type: String = row.try_get("media_type")?;
        Ok(EvidenceView {
            id: row.try_get("id")?,
            session_folio: row.try_get("session_folio")?,
            name: row.try_get("name")?,
            label: label_of(&media_type),
            media_type,
            size_bytes: row.try_get("size_bytes")?,
            url: format!("{}/objects/{sha256}", self.archive.base_url()),
            sha256,
            alt_text: row.try_get("alt_text")?,
            description: row.try_get("description")?,
            uploaded_at: row.try_get("uploaded_at")?,
        })
    }

    /// The evidence of a session, oldest first (public).
    pub async fn list(&self, secretariat_id: &str, folio: &str) -> ApiResult<Vec<EvidenceView>> {
        let mut conn = self.archive.connection().await?;
        let rows = sqlx::query(
            "SELECT id, session_folio, name, media_type, size_bytes, sha256, alt_text, description, uploaded_at
             FROM archive_session_evidence WHERE secretariat_id = $1 AND session_folio = $2
             ORDER BY uploaded_at, id",
        )
        .bind(secretariat_id)
        .bind(folio)
        .fetch_all(&mut *conn)
        .await
        .or_unexpected("listando la evidencia")?;
        rows.iter()
            .map(|r| self.view(r))
            .collect::<Result<Vec<_>, _>>()
            .or_unexpected("leyendo la evidencia")
    }

    /// Adds a file to a held session's evidence.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload(
        &self,
        caller: &Caller,
        credential: &Credential,
        session_id: &str,
        name: &str,
        alt_text: Option<&str>,
        description: Option<&str>,
        bytes: Bytes,
    ) -> ApiResult<EvidenceView> {
        let Some(secretariat_id) = caller
            .secretariat_id
            .clone()
            .filter(|_| caller.has_any(Role::MANAGERS))
        else {
            return Err(ApiError::Forbidden(
                "Solo la Presidencia o el facilitador del secretariado agregan evidencia de sus sesiones.".into(),
            ));
        };
        let settings = self.archive.settings();
        let max = settings.max_evidence_bytes.min(settings.max_object_bytes);
        if bytes.len() > max {
            return Err(ApiError::PayloadTooLarge(format!(
                "El archivo «{name}» tiene {} bytes y la evidencia admite hasta {max} por archivo (archive.max_evidence_bytes). Redúzcalo (por ejemplo, exporte el video en menor resolución) o divídalo.",
                bytes.len()
            )));
        }
        let format = sniff::detect(&bytes).map_err(|r| ApiError::Unprocessable(r.explain(name)))?;
        let clean = sniff::clean_name(name).ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "El nombre «{name}» no sirve como nombre de archivo. Dé un nombre con letras o números."
            ))
        })?;
        let final_name = sniff::name_for(&clean, format).map_err(ApiError::Unprocessable)?;
        let alt_text = clean_text(alt_text, 300, "texto alternativo")?;
        let description = clean_text(description, 500, "descripción")?;
        if format.media_type.starts_with("image/") && alt_text.is_none() {
            return Err(ApiError::Unprocessable(format!(
                "«{final_name}» es {}: escriba en «texto alternativo» qué muestra (por ejemplo, «Integrantes votando el orden del día»), para quien no puede verla.",
                format.label
            )));
        }

        // The session, as the secretariat shows it to this person.
        let client = ServiceClient::new(self.archive.context(), ServiceName::Secretariat)
            .timeout(std::time::Duration::from_secs(30));
        let who = As::Caller(credential.as_deref());
        let session: Value = client
            .send_json(
                reqwest::Method::GET,
                &format!("/sessions/{session_id}"),
                who,
                None::<&Value>,
            )
            .await?;
        if session["secretariat"]["id"].as_str() != Some(secretariat_id.as_str()) {
            return Err(ApiError::Forbidden(
                "La sesión es de otro secretariado: solo su Presidencia o su facilitador agregan su evidencia.".into(),
            ));
        }
        let status = session["status"].as_str().unwrap_or_default();
        if !matches!(status, "abierta" | "cerrada") {
            return Err(ApiError::Conflict(format!(
                "La sesión está {status}: la evidencia se agrega cuando la sesión se celebra (abierta) o ya se celebró (cerrada)."
            )));
        }
        let folio = session["session"]["folio"]
            .as_str()
            .unwrap_or_default()
            .to_string();

        let mut conn = self.archive.connection().await?;
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM archive_session_evidence WHERE session_id = $1",
        )
        .bind(session_id)
        .fetch_one(&mut *conn)
        .await
        .or_unexpected("contando la evidencia")?;
        if count >= MAX_FILES {
            return Err(ApiError::Unprocessable(format!(
                "La sesión {folio} ya tiene {MAX_FILES} archivos de evidencia, el máximo. Agrupe documentos en un PDF."
            )));
        }
        drop(conn);

        let size = bytes.len() as i64;
        let ingested = self
            .archive
            .ingest(Deposit {
                source: ServiceName::Archive,
                kind: KIND.to_string(),
                media_type: format.media_type.to_string(),
                title: Some(format!("{final_name} (sesión {folio})")),
                secretariat_id: Some(secretariat_id.clone()),
                published: true,
                metadata: json!({ "sesion": folio, "nombre": final_name }),
                content: bytes,
                expected_sha256: None,
            })
            .await?;
        if !ingested.object.published {
            return Err(ApiError::Conflict(format!(
                "Ese mismo archivo ya está en el archivo como {} no público, y la evidencia es pública: no se publica por esta vía. Si debe ser público, pídalo a la Presidencia.",
                ingested.object.kind
            )));
        }
        let sha256 = ingested.object.sha256.clone();

        let ctx = self.archive.context();
        let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
        let already: Option<String> = sqlx::query_scalar(
            "SELECT name FROM archive_session_evidence WHERE session_id = $1 AND sha256 = $2",
        )
        .bind(session_id)
        .bind(&sha256)
        .fetch_optional(&mut *tx)
        .await
        .or_unexpected("buscando la evidencia")?;
        if let Some(existing) = already {
            return Err(ApiError::Conflict(format!(
                "Ese mismo archivo ya es evidencia de la sesión {folio}, como «{existing}» (SHA-256 {sha256})."
            )));
        }
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO archive_session_evidence (id, secretariat_id, session_id, session_folio, sha256, name, media_type, size_bytes, alt_text, description, uploaded_by, uploaded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(&secretariat_id)
        .bind(session_id)
        .bind(&folio)
        .bind(&sha256)
        .bind(&final_name)
        .bind(format.media_type)
        .bind(size)
        .bind(&alt_text)
        .bind(&description)
        .bind(&caller.actor_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .or_unexpected("guardando la evidencia")?;
        ctx.audit(
            &mut tx,
            caller,
            "evidencia.agregar",
            Some(session_id),
            json!({ "sesion": folio, "nombre": final_name, "huella": sha256, "bytes": size, "tipo": format.media_type }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
        tx.commit()
            .await
            .or_unexpected("confirmando la evidencia")?;
        let mut conn = self.archive.connection().await?;
        let row = sqlx::query(
            "SELECT id, session_folio, name, media_type, size_bytes, sha256, alt_text, description, uploaded_at
             FROM archive_session_evidence WHERE id = $1",
        )
        .bind(&id)
        .fetch_one(&mut *conn)
        .await
        .or_unexpected("leyendo la evidencia")?;
        self.view(&row).or_unexpected("leyendo la evidencia")
    }
}
