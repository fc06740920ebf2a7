//! The service's logic: render (bounded, off the async threads), keep
//! versions, approve, and hand out PDFs and layout manifests.

use rubrica_platform::OrUnexpected;
use std::sync::Arc;

use base64::Engine;
use rubrica_pdfsign::LayoutManifest;
use rubrica_platform::db::now_ms;
use rubrica_platform::{ApiError, Caller, Role, ServiceContext};
use serde_json::json;
use sqlx::AnyConnection;
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::db::{self, DocumentRow, NewVersion};
use crate::engine::Templates;
use crate::kind::DocumentKind;
use crate::model::{DocumentView, RenderedVersion, VersionSummary};
use crate::render::{self, RenderError, RenderedRecord};
use crate::schema::FieldError;

/// Event recorded when a version is approved (frozen; ready for signature).
pub use rubrica_contracts::events::DOCUMENT_APPROVED;
/// Event recorded when a draft version is rendered.
pub use rubrica_contracts::events::DOCUMENT_DRAFTED;

/// What can go wrong in this service.
#[derive(Debug, thiserror::Error)]
pub enum DocumentsError {
    /// 422 listing every missing or malformed field.
    #[error("los datos no son válidos")]
    InvalidData(Vec<FieldError>),
    /// Any other client-facing or unexpected error.
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// The result of this service's operations.
pub type Result<T, E = DocumentsError> = std::result::Result<T, E>;

/// Kinds an outgoing member may render themselves (000 III.7).
const OUTGOING_KINDS: [DocumentKind; 2] = [DocumentKind::Informe, DocumentKind::EntregaRecepcion];

/// The documents service.
#[derive(Clone)]
pub struct Documents {
    context: ServiceContext,
    /// Renders at once; the rest wait their turn (each render holds a core).
    permits: Arc<Semaphore>,
    /// The templates rendered: the compiled-in ones, except in tests that
    /// break one on purpose.
    templates: Templates,
}

impl Documents {
    pub fn new(context: ServiceContext) -> Self {
        Documents::with_templates(context, Templates::compiled_in())
    }

    /// The service rendering `templates` instead of the compiled-in ones.
    pub fn with_templates(context: ServiceContext, templates: Templates) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Documents {
            context,
            permits: Arc::new(Semaphore::new(cores.clamp(1, 8))),
            templates,
        }
    }

    pub fn context(&self) -> &ServiceContext {
        &self.context
    }

    /// Renders in `spawn_blocking`, behind the semaphore, in the caller's
    /// span. A template error is logged with its file and line and becomes
    /// a 500; nothing is stored.
    pub async fn render(
        &self,
        kind: DocumentKind,
        data: serde_json::Value,
    ) -> Result<RenderedRecord> {
        let _permit = self.permits.acquire().await.map_err(|e| {
            ApiError::Unexpected(anyhow::Error::new(e).context("esperando turno para generar"))
        })?;
        let span = tracing::Span::current();
        let templates = self.templates.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            render::render_with(&templates, kind, &data)
        })
        .await
        .map_err(|e| {
            ApiError::Unexpected(anyhow::Error::new(e).context("generando el documento"))
        })?;
        match outcome {
            Ok(rendered) => Ok(rendered),
            Err(RenderError::InvalidData(errors)) => Err(DocumentsError::InvalidData(errors)),
            Err(RenderError::Template(e)) => {
                tracing::error!(
                    template = %e.file,
                    line = e.line,
                    error = %e.message,
                    kind = %kind,
                    "error en la plantilla al generar el documento; no se guardó nada"
                );
                Err(ApiError::Unexpected(anyhow::anyhow!(
                    "plantilla {}:{}: {}",
                    e.file,
                    e.line,
                    e.message
                ))
                .into())
            }
        }
    }

    /// Renders a new record and stores it as its first draft.
    pub async fn create(
        &self,
        caller: &Caller,
        kind: DocumentKind,
        data: serde_json::Value,
    ) -> Result<RenderedVersion> {
        if caller.has_any(&[Role::OutgoingMember])
            && !caller.has_any(Role::MANAGERS)
            && !OUTGOING_KINDS.contains(&kind)
        {
            return Err(ApiError::Forbidden(
                "Una persona integrante saliente solo puede generar su informe de actividades y su acta de entrega-recepción.".into(),
            )
            .into());
        }
        // Refuse another secretariat's data before spending a render on it.
        check_secretariat(caller, data["secretariat"]["id"].as_str())?;
        let mut rendered = self.render(kind, data.clone()).await?;
        // Data without a secretariat id belongs to the caller's secretariat.
        if rendered.facts.secretariat_id.is_none() {
            rendered.facts.secretariat_id = caller.secretariat_id.clone();
        }
        let mut tx = self
            .context
            .begin()
            .await
            .or_unexpected("abriendo la transacción")?;
        let id = self
            .store_new(&mut tx, caller, &rendered, &data, None)
            .await?;
        self.context
            .outbox
            .commit(tx)
            .await
            .or_unexpected("confirmando el documento")?;
        Ok(version_view(&id, 1, &rendered))
    }

    /// Stores a rendered record as a new document with version 1, its
    /// audit entry and its event, in `tx`. Returns the id.
    pub async fn store_new(
        &self,
        tx: &mut AnyConnection,
        caller: &Caller,
        rendered: &RenderedRecord,
        data: &serde_json::Value,
        source_event_id: Option<&str>,
    ) -> Result<String> {
        let id = uuid::Uuid::now_v7().to_string();
        let now = now_ms();
        let row = DocumentRow {
            id: id.clone(),
            kind: rendered.kind.as_str().to_string(),
            folio: rendered.facts.folio.clone(),
            title: rendered.facts.title.clone(),
            secretariat_id: rendered.facts.secretariat_id.clone(),
            session_id: rendered.facts.session_id.clone(),
            latest_version: 1,
            approved_version: None,
            approved_at: None,
            approved_by: None,
            created_at: now,
            updated_at: now,
        };
        db::insert_document(tx, &row, source_event_id)
            .await
            .or_unexpected("guardando el documento")?;
        self.store_version(tx, caller, &id, 1, rendered, data, now)
            .await?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    async fn store_version(
        &self,
        tx: &mut AnyConnection,
        caller: &Caller,
        id: &str,
        version: i64,
        rendered: &RenderedRecord,
        data: &serde_json::Value,
        now: i64,
    ) -> Result<()> {
        let layout = serde_json::to_string(&rendered.manifest).map_err(|e| {
            ApiError::Unexpected(anyhow::Error::new(e).context("serializando el manifiesto"))
        })?;
        db::insert_version(
            tx,
            &NewVersion {
                document_id: id,
                version,
                sha256: &rendered.sha256,
                page_count: i64::from(rendered.page_count),
                page_size: (
                    rendered.page_size.0.round() as i64,
                    rendered.page_size.1.round() as i64,
                ),
                data: &data.to_string(),
                pdf: &rendered.pdf,
                layout: &layout,
                created_at: now,
                created_by: &caller.actor_id,
            },
        )
        .await
        .or_unexpected("guardando la versión")?;
        let details = json!({
            "tipo": rendered.kind.as_str(),
            "folio": rendered.facts.folio,
            "version": version,
            "sha256": rendered.sha256,
            "paginas": rendered.page_count,
        });
        self.context
            .audit(tx, caller, "documento.generado", Some(id), details)
            .await
            .or_unexpected("registrando en la bitácora")?;
        self.context
            .outbox
            .record(
                tx,
                DOCUMENT_DRAFTED,
                &json!({
                    "document_id": id,
                    "kind": rendered.kind.as_str(),
                    "folio": rendered.facts.folio,
                    "version": version,
                    "sha256": rendered.sha256,
                    "page_count": rendered.page_count,
                    "secretariat_id": rendered.facts.secretariat_id,
                    "session_id": rendered.facts.session_id,
                }),
            )
            .await
            .or_unexpected("registrando el evento")?;
        Ok(())
    }

    /// Renders a corrected draft as the next version.
    pub async fn new_version(
        &self,
        caller: &Caller,
        id: &str,
        data: serde_json::Value,
    ) -> Result<RenderedVersion> {
        let existing = self.load(caller, id).await?;
        if existing.approved_version.is_some() {
            return Err(frozen(&existing).into());
        }
        let kind = DocumentKind::parse(&existing.kind).ok_or_else(|| {
            ApiError::Unexpected(anyhow::anyhow!(
                "tipo guardado desconocido: {}",
                existing.kind
            ))
        })?;
        if caller.has_any(&[Role::OutgoingMember])
            && !caller.has_any(Role::MANAGERS)
            && !OUTGOING_KINDS.contains(&kind)
        {
            return Err(ApiError::Forbidden("Una persona integrante saliente solo puede corregir su informe y su acta de entrega-recepción.".into()).into());
        }
        let mut rendered = self.render(kind, data.clone()).await?;
        if rendered.facts.secretariat_id.is_none() {
            rendered.facts.secretariat_id = existing.secretariat_id.clone();
        }
        if rendered.facts.secretariat_id != existing.secretariat_id {
            return Err(DocumentsError::InvalidData(vec![FieldError {
                field: "secretariat.id".into(),
                message: "no puede cambiar entre versiones de un mismo documento".into(),
            }]));
        }
        let mut tx = self
            .context
            .begin()
            .await
            .or_unexpected("abriendo la transacción")?;
        let now = now_ms();
        let advanced = db::advance_version(&mut tx, id, existing.latest_version, now)
            .await
            .or_unexpected("avanzando la versión")?;
        if !advanced {
            return Err(ApiError::Conflict(
                "El documento cambió mientras se generaba esta versión (otra versión o su aprobación). Consulte su estado y vuelva a intentarlo.".into(),
            )
            .into());
        }
        let version = existing.latest_version + 1;
        self.store_version(&mut tx, caller, id, version, &rendered, &data, now)
            .await?;
        self.context
            .outbox
            .commit(tx)
            .await
            .or_unexpected("confirmando la versión")?;
        Ok(version_view(id, version, &rendered))
    }

    /// Approves a version: the record is frozen from then on.
    pub async fn approve(&self, caller: &Caller, id: &str, version: i64) -> Result<DocumentView> {
        check_id(id)?;
        let mut tx = self
            .context
            .begin()
            .await
            .or_unexpected("abriendo la transacción")?;
        let existing = db::document(&mut tx, id)
            .await
            .or_unexpected("leyendo el documento")?
            .ok_or_else(|| not_found(id))?;
        check_secretariat(caller, existing.secretariat_id.as_deref())?;
        if existing.approved_version.is_some() {
            return Err(frozen(&existing).into());
        }
        let versions = db::versions(&mut tx, id)
            .await
            .or_unexpected("leyendo las versiones")?;
        let Some(chosen) = versions.iter().find(|v| v.version == version) else {
            return Err(ApiError::NotFound(format!(
                "El documento {} no tiene la versión {version}; sus versiones van de 1 a {}.",
                existing.folio, existing.latest_version
            ))
            .into());
        };
        let now = now_ms();
        if !db::approve(&mut tx, id, version, &caller.actor_id, now)
            .await
            .or_unexpected("aprobando")?
        {
            return Err(frozen(&existing).into());
        }
        self.context
            .audit(
                &mut tx,
                caller,
                "documento.aprobado",
                Some(id),
                json!({ "folio": existing.folio, "version": version, "sha256": chosen.sha256 }),
            )
            .await
            .or_unexpected("registrando en la bitácora")?;
        self.context
            .outbox
            .record(
                &mut tx,
                DOCUMENT_APPROVED,
                &json!({
                    "document_id": id,
                    "kind": existing.kind,
                    "folio": existing.folio,
                    "title": existing.title,
                    "version": version,
                    "sha256": chosen.sha256,
                    "page_count": chosen.page_count,
                    "secretariat_id": existing.secretariat_id,
                    "session_id": existing.session_id,
                }),
            )
            .await
            .or_unexpected("registrando el evento")?;
        let approved = DocumentRow {
            approved_version: Some(version),
            approved_at: Some(now),
            approved_by: Some(caller.actor_id.clone()),
            updated_at: now,
            ..existing
        };
        self.context
            .outbox
            .commit(tx)
            .await
            .or_unexpected("confirmando la aprobación")?;
        Ok(document_view(approved, versions))
    }

    async fn load(&self, caller: &Caller, id: &str) -> Result<DocumentRow> {
        check_id(id)?;
        let mut conn = self
            .context
            .db
            .pool()
            .acquire()
            .await
            .or_unexpected("conectando a la base de datos")?;
        let row = db::document(&mut conn, id)
            .await
            .or_unexpected("leyendo el documento")?
            .ok_or_else(|| not_found(id))?;
        check_secretariat(caller, row.secretariat_id.as_deref())?;
        Ok(row)
    }

    /// A record and its versions.
    pub async fn view(&self, caller: &Caller, id: &str) -> Result<DocumentView> {
        let row = self.load(caller, id).await?;
        let mut conn = self.conn().await?;
        let versions = db::versions(&mut conn, id)
            .await
            .or_unexpected("leyendo las versiones")?;
        Ok(document_view(row, versions))
    }

    /// The records of a session, or the caller's secretariat's latest 100.
    pub async fn list(
        &self,
        caller: &Caller,
        session_id: Option<&str>,
    ) -> Result<Vec<DocumentView>> {
        let mut conn = self.conn().await?;
        let rows = match session_id {
            Some(s) => db::documents_of_session(&mut conn, s).await,
            None if caller.has_any(&[Role::Operator]) => {
                db::recent_documents(&mut conn, None, 100).await
            }
            None => db::recent_documents(&mut conn, caller.secretariat_id.as_deref(), 100).await,
        }
        .or_unexpected("listando los documentos")?;
        let mut views = Vec::new();
        for row in rows {
            if check_secretariat(caller, row.secretariat_id.as_deref()).is_err() {
                continue;
            }
            let versions = db::versions(&mut conn, &row.id)
                .await
                .or_unexpected("leyendo las versiones")?;
            views.push(document_view(row, versions));
        }
        Ok(views)
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        self.context
            .db
            .pool()
            .acquire()
            .await
            .or_unexpected("conectando a la base de datos")
            .map_err(DocumentsError::from)
    }

    /// Which version a read means: the one asked for, else the approved
    /// one, else the latest draft. `approved_only` (the signing service)
    /// refuses drafts.
    fn pick(row: &DocumentRow, asked: Option<i64>, approved_only: bool) -> Result<i64> {
        if approved_only {
            let Some(approved) = row.approved_version else {
                return Err(ApiError::Conflict(format!(
                    "El documento {} aún no está aprobado: solo una versión aprobada puede abrirse a firma.",
                    row.folio
                ))
                .into());
            };
            if asked.is_some_and(|v| v != approved) {
                return Err(ApiError::Conflict(format!(
                    "La versión aprobada del documento {} es la {approved}; solo esa puede abrirse a firma.",
                    row.folio
                ))
                .into());
            }
            return Ok(approved);
        }
        Ok(asked.or(row.approved_version).unwrap_or(row.latest_version))
    }

    /// The PDF of a version with its SHA-256 and folio.
    pub async fn pdf(
        &self,
        caller: &Caller,
        id: &str,
        version: Option<i64>,
        approved_only: bool,
    ) -> Result<(Vec<u8>, String, String)> {
        let row = self.load(caller, id).await?;
        let version = Self::pick(&row, version, approved_only)?;
        let mut conn = self.conn().await?;
        let (pdf, sha256) = db::pdf(&mut conn, id, version)
            .await
            .or_unexpected("leyendo el PDF")?
            .ok_or_else(|| missing_version(&row, version))?;
        Ok((pdf, sha256, row.folio))
    }

    /// The layout manifest of a version.
    pub async fn layout(
        &self,
        caller: &Caller,
        id: &str,
        version: Option<i64>,
        approved_only: bool,
    ) -> Result<LayoutManifest> {
        let row = self.load(caller, id).await?;
        let version = Self::pick(&row, version, approved_only)?;
        let mut conn = self.conn().await?;
        let text = db::layout(&mut conn, id, version)
            .await
            .or_unexpected("leyendo el manifiesto")?
            .ok_or_else(|| missing_version(&row, version))?;
        serde_json::from_str(&text).map_err(|e| {
            ApiError::Unexpected(anyhow::Error::new(e).context("leyendo el manifiesto guardado"))
                .into()
        })
    }
}

/// Members read only their own secretariat's records; the operator and
/// other services (internal calls) read any.
fn check_secretariat(caller: &Caller, secretariat_id: Option<&str>) -> Result<(), ApiError> {
    if caller.has_any(&[Role::Operator]) || caller.actor_id.starts_with("servicio:") {
        return Ok(());
    }
    match (secretariat_id, caller.secretariat_id.as_deref()) {
        (Some(owner), Some(mine)) if owner != mine => Err(ApiError::Forbidden(
            "El documento pertenece a otro secretariado; solo sus integrantes pueden consultarlo."
                .into(),
        )),
        _ => Ok(()),
    }
}

/// Record ids are UUIDs; anything else is a malformed URL (400), not an
/// unknown record.
fn check_id(id: &str) -> Result<(), ApiError> {
    match uuid::Uuid::parse_str(id) {
        Ok(_) => Ok(()),
        Err(_) => Err(ApiError::BadRequest(format!(
            "«{}» no es un identificador de documento (se espera un UUID, como el que devuelve POST /documents).",
            id.chars().take(60).collect::<String>()
        ))),
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("No existe el documento {id}."))
}

fn missing_version(row: &DocumentRow, version: i64) -> ApiError {
    ApiError::NotFound(format!(
        "El documento {} no tiene la versión {version}; sus versiones van de 1 a {}.",
        row.folio, row.latest_version
    ))
}

fn frozen(row: &DocumentRow) -> ApiError {
    ApiError::Conflict(format!(
        "El documento {} ya fue aprobado (versión {}): está congelado y no admite nuevas versiones ni otra aprobación.",
        row.folio,
        row.approved_version.unwrap_or_default()
    ))
}

/// The API's answer for a version just rendered.
pub fn version_view(id: &str, version: i64, rendered: &RenderedRecord) -> RenderedVersion {
    RenderedVersion {
        id: id.to_string(),
        kind: rendered.kind,
        folio: rendered.facts.folio.clone(),
        title: rendered.facts.title.clone(),
        version,
        sha256: rendered.sha256.clone(),
        page_count: rendered.page_count,
        page_width: rendered.page_size.0,
        page_height: rendered.page_size.1,
        pdf_base64: base64::engine::general_purpose::STANDARD.encode(&rendered.pdf),
        layout: rendered.manifest.clone(),
    }
}

fn document_view(row: DocumentRow, versions: Vec<db::VersionRow>) -> DocumentView {
    DocumentView {
        kind: DocumentKind::parse(&row.kind).unwrap_or(DocumentKind::Acta),
        status: if row.approved_version.is_some() {
            "aprobado"
        } else {
            "borrador"
        }
        .into(),
        id: row.id,
        folio: row.folio,
        title: row.title,
        secretariat_id: row.secretariat_id,
        session_id: row.session_id,
        latest_version: row.latest_version,
        approved_version: row.approved_version,
        approved_at: row.approved_at,
        approved_by: row.approved_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        versions: versions
            .into_iter()
            .map(|v| VersionSummary {
                version: v.version,
                sha256: v.sha256,
                page_count: v.page_count,
                created_at: v.created_at,
                created_by: v.created_by,
            })
            .collect(),
    }
}

/// Renders `kind` from `data` inside an already open transaction (the
/// `session.closed` handler), in `spawn_blocking` behind the semaphore.
pub async fn render_in_span(
    documents: &Documents,
    kind: DocumentKind,
    data: serde_json::Value,
) -> Result<RenderedRecord> {
    documents
        .render(kind, data)
        .instrument(tracing::info_span!("generar", tipo = %kind))
        .await
}
