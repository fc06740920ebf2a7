//! The archive itself: storing an object and logging it, and answering what
//! the log says. Routes are thin over [`Archive`]; later issues (ingesting
//! `route.completed`, handover packages) call [`Archive::ingest`] directly.

use rubrica_platform::OrUnexpected;
use std::sync::Arc;

use rubrica_platform::Bytes;
use rubrica_platform::db::now_ms;
use rubrica_platform::{ApiError, ApiResult, Caller, Role, ServiceContext, ServiceName};
use rubrica_translog::{Hash, verify_inclusion};
use serde_json::json;
use sqlx::AnyConnection;
use tokio::sync::OnceCell;

use crate::db::{self, HeadRow, ObjectRow};
use crate::digest::{Digest32, Sha256};
use crate::log::{LeafEntry, LogFailure, TransparencyLog};
use crate::model::{
    ArchivedObject, ConsistencyProof, EntriesPage, HashVerification, InclusionProof, LogEntry,
    SignedTreeHead,
};
use crate::settings::ArchiveSettings;
use crate::storage::{ObjectStorage, StorageError};

/// Who may download an object that is not a public record (within their
/// own secretariat; the operator anywhere).
pub const PRIVATE_READERS: &[Role] = &[Role::President, Role::Facilitator, Role::Operator];

/// Most entries one page of `GET /log/entries` returns.
pub const MAX_PAGE: u64 = 1_000;

/// The archive service's state, shared by its routes.
#[derive(Clone)]
pub struct Archive {
    inner: Arc<Inner>,
}

struct Inner {
    ctx: ServiceContext,
    /// The `[archive]` section of the settings.
    settings: ArchiveSettings,
    /// Storage and log key from the settings; `Err` keeps the Spanish reason
    /// the archive cannot work (every route then answers 503 with it).
    setup: Result<Setup, String>,
    /// Set once the empty log's head exists and the stored heads were
    /// checked against this key.
    initialised: OnceCell<()>,
}

struct Setup {
    storage: ObjectStorage,
    log: TransparencyLog,
}

/// An object to store and log, parsed and checked.
#[derive(Debug, Clone)]
pub struct Deposit {
    pub source: ServiceName,
    pub kind: String,
    pub media_type: String,
    pub title: Option<String>,
    pub secretariat_id: Option<String>,
    pub published: bool,
    /// A JSON object.
    pub metadata: serde_json::Value,
    pub content: Bytes,
    pub expected_sha256: Option<Digest32>,
}

/// What [`Archive::ingest`] did.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// False when the same bytes were archived before (nothing changed).
    pub created: bool,
    pub object: ObjectRow,
    pub inclusion: InclusionProof,
}

/// Which entry an inclusion proof is for.
#[derive(Debug, Clone, Copy)]
pub enum EntryRef {
    Sha256(Digest32),
    Index(u64),
}

impl From<LogFailure> for ApiError {
    fn from(failure: LogFailure) -> Self {
        match failure {
            LogFailure::Database(e) => {
                ApiError::Unexpected(anyhow::Error::new(e).context("leyendo el registro"))
            }
            LogFailure::Tampered(text) | LogFailure::KeyMismatch(text) => {
                tracing::error!("{text}");
                ApiError::Unavailable(text)
            }
        }
    }
}

fn storage_failure(error: StorageError) -> ApiError {
    match error {
        StorageError::Store { .. } => {
            tracing::error!(error = %error, "el almacén de objetos falló");
            ApiError::Unavailable(
                "El almacén de objetos del archivo no responde. Intente de nuevo en unos minutos; si persiste, informe al administrador.".into(),
            )
        }
        StorageError::Corrupted { .. } => {
            ApiError::Unexpected(anyhow::Error::new(error).context("leyendo el almacén"))
        }
    }
}

impl Archive {
    /// Opens storage and loads the log key from the settings; problems are
    /// logged and kept, so the service starts and says why it cannot work.
    pub fn new(ctx: ServiceContext) -> Archive {
        let setup = ObjectStorage::open(&ctx.settings).and_then(|storage| {
            let signer = crate::key::load(&ctx.settings, storage.is_local())?;
            let log = TransparencyLog::new(signer).map_err(|e| e.to_string())?;
            tracing::info!(
                objects = storage.location(),
                public_key = log.public_key_hex(),
                "archivo listo"
            );
            Ok(Setup { storage, log })
        });
        if let Err(reason) = &setup {
            tracing::error!("el archivo no puede funcionar: {reason}");
        }
        Archive {
            inner: Arc::new(Inner {
                settings: ctx.settings.section(),
                ctx,
                setup,
                initialised: OnceCell::new(),
            }),
        }
    }

    /// The service's context.
    pub fn context(&self) -> &ServiceContext {
        &self.inner.ctx
    }

    /// The `[archive]` section of the settings.
    pub fn settings(&self) -> &ArchiveSettings {
        &self.inner.settings
    }

    /// Base URL of this service, for links people follow.
    pub fn base_url(&self) -> String {
        let ctx = &self.inner.ctx;
        match &ctx.settings.http.public_url {
            Some(public) => format!("{}/{}", public.trim_end_matches('/'), ctx.name),
            None => ctx
                .service_url(ServiceName::Archive)
                .map(|u| u.trim_end_matches('/').to_string())
                .unwrap_or_else(|| format!("/{}", ctx.name)),
        }
    }

    /// Storage and log, once the log's first head exists.
    async fn ready(&self) -> ApiResult<&Setup> {
        let setup = self.inner.setup.as_ref().map_err(|reason| {
            ApiError::Unavailable(format!(
                "El archivo no está disponible: {reason}. Informe al administrador."
            ))
        })?;
        self.inner
            .initialised
            .get_or_try_init(|| async {
                let _writer = setup.log.writer().await;
                let mut tx = self
                    .inner
                    .ctx
                    .begin()
                    .await
                    .or_unexpected("abriendo la transacción")?;
                db::lock_log(&mut tx, self.inner.ctx.db.backend())
                    .await
                    .or_unexpected("bloqueando el registro")?;
                let fresh = db::latest_head(&mut tx)
                    .await
                    .or_unexpected("leyendo la cabeza del registro")?
                    .is_none();
                let head = setup.log.initialise(&mut tx).await?;
                if fresh {
                    self.inner
                        .ctx
                        .audit(
                            &mut tx,
                            &Caller::service(ServiceName::Archive),
                            "registro.iniciar",
                            None,
                            json!({ "llave_publica": head.public_key, "raiz": head.root_hash }),
                        )
                        .await
                        .or_unexpected("registrando en la bitácora")?;
                }
                tx.commit()
                    .await
                    .or_unexpected("confirmando la transacción")?;
                Ok::<(), ApiError>(())
            })
            .await?;
        Ok(setup)
    }

    /// Registers loading the log as a background task of the service, so
    /// the first request of a large archive does not wait for it (and a
    /// shutdown does not wait for the load either).
    pub fn warm_up(&self) {
        let archive = self.clone();
        self.inner
            .ctx
            .background
            .add("carga del registro del archivo", move |stop| async move {
                tokio::select! {
                    _ = stop.cancelled() => {}
                    loaded = archive.current_head() => {
                        if let Err(e) = loaded {
                            tracing::warn!(error = %e, "no se pudo cargar el registro del archivo al arrancar");
                        }
                    }
                }
            });
    }

    /// The newest signed head, with the in-memory tree caught up to it.
    pub async fn current_head(&self) -> ApiResult<HeadRow> {
        let setup = self.ready().await?;
        let mut conn = self.connection().await?;
        let head = db::latest_head(&mut conn)
            .await
            .or_unexpected("leyendo la cabeza del registro")?
            .ok_or_else(|| {
                ApiError::Unexpected(anyhow::anyhow!("el registro no tiene cabeza firmada"))
            })?;
        if setup.log.len() < head.tree_size.max(0) as u64 {
            let writer = setup.log.writer().await;
            setup.log.catch_up(&mut conn, &head, &writer).await?;
        }
        Ok(head)
    }

    /// A connection from the service's pool; failing to get one is a 500.
    pub async fn connection(&self) -> ApiResult<sqlx::pool::PoolConnection<sqlx::Any>> {
        self.inner
            .ctx
            .db
            .pool()
            .acquire()
            .await
            .or_unexpected("abriendo una conexión")
    }

    /// The log's public key, 32 bytes.
    pub async fn public_key(&self) -> ApiResult<Vec<u8>> {
        Ok(self.ready().await?.log.public_key().to_vec())
    }

    /// Stores the bytes (create-only, content-addressed) and appends them to
    /// the log. The same bytes again change nothing: the first archiving's
    /// entry stands and is returned with `created: false`.
    pub async fn ingest(&self, deposit: Deposit) -> ApiResult<Ingested> {
        let setup = self.ready().await?;
        let content = deposit.content.clone();
        let sha256 = tokio::task::spawn_blocking(move || Sha256::digest(&content))
            .await
            .map_err(|e| {
                ApiError::Unexpected(anyhow::Error::new(e).context("calculando la huella"))
            })?;
        if let Some(expected) = deposit.expected_sha256
            && expected != sha256
        {
            return Err(ApiError::Unprocessable(format!(
                "El contenido recibido tiene la huella {sha256}, no la esperada {expected}: se recibió incompleto o alterado. Vuelva a enviarlo."
            )));
        }
        // Bytes first: a log entry never points at an object that is not
        // stored. A failure after this leaves at most an unlogged object,
        // which the next attempt finds in place.
        setup
            .storage
            .put(&sha256, deposit.content.clone())
            .await
            .map_err(storage_failure)?;

        let ctx = &self.inner.ctx;
        let log = &setup.log;
        let writer = log.writer().await;
        let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
        db::lock_log(&mut tx, ctx.db.backend())
            .await
            .or_unexpected("bloqueando el registro")?;
        if let Some(existing) = db::object(&mut tx, &sha256.to_hex())
            .await
            .or_unexpected("buscando el objeto")?
        {
            drop(tx);
            drop(writer);
            let inclusion = self
                .inclusion(EntryRef::Index(existing.log_index.max(0) as u64), None)
                .await?;
            return Ok(Ingested {
                created: false,
                object: existing,
                inclusion,
            });
        }
        let current = db::latest_head(&mut tx)
            .await
            .or_unexpected("leyendo la cabeza del registro")?
            .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("el registro no tiene cabeza")))?;
        log.catch_up(&mut tx, &current, &writer).await?;
        let leaf = LeafEntry {
            sha256,
            kind: deposit.kind.clone(),
            created_at: now_ms(),
        };
        let (entry, head) = log.next(&current, &leaf)?;
        let object = ObjectRow {
            sha256: sha256.to_hex(),
            log_index: entry.log_index,
            size_bytes: deposit.content.len() as i64,
            media_type: deposit.media_type.clone(),
            kind: deposit.kind.clone(),
            title: deposit.title.clone(),
            secretariat_id: deposit.secretariat_id.clone(),
            metadata: deposit.metadata.to_string(),
            published: deposit.published,
            source: deposit.source.to_string(),
            created_at: leaf.created_at,
        };
        db::insert_entry(&mut tx, &entry)
            .await
            .or_unexpected("agregando la entrada al registro")?;
        db::insert_object(&mut tx, &object)
            .await
            .or_unexpected("guardando los datos del objeto")?;
        db::insert_head(&mut tx, &head)
            .await
            .or_unexpected("guardando la cabeza firmada")?;
        ctx.audit(
            &mut tx,
            &Caller::service(deposit.source),
            "archivo.archivar",
            Some(&object.sha256),
            json!({
                "tipo": object.kind,
                "titulo": object.title,
                "secretariado": object.secretariat_id,
                "bytes": object.size_bytes,
                "publico": object.published,
                "entrada": entry.log_index,
                "raiz": head.root_hash,
            }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
        tx.commit()
            .await
            .or_unexpected("confirmando el archivo del objeto")?;
        log.committed(&entry, &writer);
        drop(writer);

        let index = entry.log_index.max(0) as u64;
        let proof = log
            .with_tree(|tree| tree.inclusion_proof(index, index + 1))
            .map_err(|e| {
                ApiError::Unexpected(anyhow::Error::new(e).context("calculando la prueba"))
            })?;
        Ok(Ingested {
            created: true,
            inclusion: InclusionProof {
                entry: LogEntry::from(&entry),
                tree_size: index + 1,
                proof: proof.iter().map(hex::encode).collect(),
                tree_head: SignedTreeHead::from(&head),
            },
            object,
        })
    }

    /// The stored head of size `size` (every size the log had has one).
    async fn head_at(&self, conn: &mut AnyConnection, size: u64) -> ApiResult<HeadRow> {
        db::head_at(conn, size as i64)
            .await
            .or_unexpected("leyendo una cabeza firmada")?
            .ok_or_else(|| {
                LogFailure::Tampered(format!(
                    "El registro del archivo está alterado: falta la cabeza firmada de {size} entradas. No se emiten pruebas hasta que un administrador restaure la base de datos desde un respaldo."
                ))
                .into()
            })
    }

    /// The inclusion proof of an entry in the log of `tree_size` entries
    /// (default: the newest head).
    pub async fn inclusion(
        &self,
        entry: EntryRef,
        tree_size: Option<u64>,
    ) -> ApiResult<InclusionProof> {
        let setup = self.ready().await?;
        let current = self.current_head().await?;
        let newest = current.tree_size.max(0) as u64;
        let mut conn = self.connection().await?;
        let row = match entry {
            EntryRef::Sha256(sha256) => db::entry_by_sha256(&mut conn, &sha256.to_hex())
                .await
                .or_unexpected("buscando la entrada")?
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "Ningún objeto del archivo tiene la huella {sha256}. Compruebe que calculó el SHA-256 del archivo exacto (por ejemplo con «sha256sum ARCHIVO»): cualquier cambio, aunque sea de un byte, produce otra huella."
                    ))
                })?,
            EntryRef::Index(index) => db::entry_at(&mut conn, index.min(i64::MAX as u64) as i64)
                .await
                .or_unexpected("buscando la entrada")?
                .filter(|row| (row.log_index.max(0) as u64) < newest)
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "El registro no tiene la entrada {index}: tiene {newest} entradas, numeradas desde 0."
                    ))
                })?,
        };
        let index = row.log_index.max(0) as u64;
        let size = tree_size.unwrap_or(newest);
        if size > newest || size <= index {
            return Err(ApiError::Unprocessable(format!(
                "No hay prueba de la entrada {index} en un registro de {size} entradas: el tamaño debe ser mayor que {index} y a lo más {newest} (el tamaño actual). Omita tree_size para usar la cabeza más reciente."
            )));
        }
        let head = if size == newest {
            current
        } else {
            self.head_at(&mut conn, size).await?
        };
        let leaf = crate::log::leaf_of(&row)?;
        let proof = setup.log.with_tree(|tree| {
            if tree.leaf(index) != Some(leaf) {
                return Err(LogFailure::Tampered(format!(
                    "El registro del archivo está alterado: la entrada {index} de la base de datos no es la que se firmó. No se emiten pruebas hasta que un administrador restaure la base de datos desde un respaldo."
                )));
            }
            tree.inclusion_proof(index, size)
                .map_err(|e| LogFailure::Tampered(e.to_string()))
        })?;
        Ok(InclusionProof {
            entry: LogEntry::from(&row),
            tree_size: size,
            proof: proof.iter().map(hex::encode).collect(),
            tree_head: SignedTreeHead::from(&head),
        })
    }

    /// Proof that the log of `first` entries is a prefix of the log of
    /// `second` (default: the newest head).
    pub async fn consistency(
        &self,
        first: u64,
        second: Option<u64>,
    ) -> ApiResult<ConsistencyProof> {
        let setup = self.ready().await?;
        let current = self.current_head().await?;
        let newest = current.tree_size.max(0) as u64;
        let second = second.unwrap_or(newest);
        if first == 0 || first > second || second > newest {
            return Err(ApiError::Unprocessable(format!(
                "No hay prueba de consistencia de {first} a {second} entradas: se necesita 1 ≤ first ≤ second ≤ {newest} (el tamaño actual del registro)."
            )));
        }
        let mut conn = self.connection().await?;
        let first_head = self.head_at(&mut conn, first).await?;
        let second_head = if second == newest {
            current
        } else {
            self.head_at(&mut conn, second).await?
        };
        let proof = setup
            .log
            .with_tree(|tree| tree.consistency_proof(first, second))
            .map_err(|e| {
                ApiError::Unexpected(anyhow::Error::new(e).context("calculando la prueba"))
            })?;
        Ok(ConsistencyProof {
            first,
            second,
            proof: proof.iter().map(hex::encode).collect(),
            first_head: SignedTreeHead::from(&first_head),
            second_head: SignedTreeHead::from(&second_head),
        })
    }

    /// Entries `start..end` (at most [`MAX_PAGE`]).
    pub async fn entries(&self, start: u64, end: Option<u64>) -> ApiResult<EntriesPage> {
        let current = self.current_head().await?;
        let newest = current.tree_size.max(0) as u64;
        let end = end.unwrap_or(start.saturating_add(100));
        if end < start {
            return Err(ApiError::Unprocessable(format!(
                "El intervalo de entradas {start}..{end} está al revés: end debe ser mayor o igual que start."
            )));
        }
        let end = end.min(newest).min(start.saturating_add(MAX_PAGE));
        let rows = if start >= end {
            Vec::new()
        } else {
            let mut conn = self.connection().await?;
            db::entries(&mut conn, start as i64, end as i64)
                .await
                .or_unexpected("leyendo las entradas")?
        };
        Ok(EntriesPage {
            tree_size: newest,
            entries: rows.iter().map(LogEntry::from).collect(),
            next_start: (end < newest && start < end).then_some(end),
        })
    }

    /// Stores bytes by content without logging them: a handover's files
    /// while it is being prepared (they are logged inside its package).
    pub async fn stage(&self, sha256: &Digest32, bytes: Bytes) -> ApiResult<()> {
        let setup = self.ready().await?;
        setup
            .storage
            .put(sha256, bytes)
            .await
            .map_err(storage_failure)?;
        Ok(())
    }

    /// Deletes staged bytes replaced more than `grace_ms` ago that no
    /// handover file and no archived object refers to; returns how many.
    pub async fn sweep_staged(&self, grace_ms: i64) -> ApiResult<usize> {
        let setup = self.ready().await?;
        let before = rubrica_platform::db::now_ms() - grace_ms;
        let candidates: Vec<String> = {
            let mut conn = self.connection().await?;
            sqlx::query_scalar(
                "SELECT sha256 FROM archive_staged_garbage WHERE replaced_at < $1 ORDER BY replaced_at LIMIT 1000",
            )
            .bind(before)
            .fetch_all(&mut *conn)
            .await
            .or_unexpected("leyendo los archivos reemplazados")?
        };
        let mut deleted = 0;
        for hex in candidates {
            let mut tx = self
                .context()
                .begin()
                .await
                .or_unexpected("abriendo la transacción")?;
            let referenced: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM archive_handover_files WHERE sha256 = $1)
                      + (SELECT COUNT(*) FROM archive_objects WHERE sha256 = $1)",
            )
            .bind(&hex)
            .fetch_one(&mut *tx)
            .await
            .or_unexpected("buscando quién usa el archivo")?;
            if referenced == 0
                && let Ok(sha256) = Digest32::parse(&hex)
            {
                setup
                    .storage
                    .delete_staged(&sha256)
                    .await
                    .map_err(storage_failure)?;
                deleted += 1;
            }
            sqlx::query("DELETE FROM archive_staged_garbage WHERE sha256 = $1")
                .bind(&hex)
                .execute(&mut *tx)
                .await
                .or_unexpected("olvidando el archivo reemplazado")?;
            tx.commit().await.or_unexpected("confirmando la limpieza")?;
        }
        Ok(deleted)
    }

    /// Stored bytes (archived or staged), checked against their hash; a
    /// missing object is a 500 (the database says it is there).
    pub async fn stored(&self, sha256: &Digest32) -> ApiResult<Bytes> {
        let setup = self.ready().await?;
        setup
            .storage
            .get(sha256)
            .await
            .map_err(storage_failure)?
            .ok_or_else(|| {
                ApiError::Unexpected(anyhow::anyhow!(
                    "el objeto {sha256} no está en el almacén ({})",
                    setup.storage.location()
                ))
            })
    }

    /// An object's metadata.
    pub async fn object(&self, sha256: &Digest32) -> ApiResult<Option<ObjectRow>> {
        self.ready().await?;
        let mut conn = self.connection().await?;
        db::object(&mut conn, &sha256.to_hex())
            .await
            .or_unexpected("buscando el objeto")
    }

    /// An object's bytes, for `caller`: anyone for a public record; the
    /// secretariat's President or facilitator (or the operator) otherwise.
    pub async fn download(
        &self,
        sha256: &Digest32,
        caller: &Caller,
    ) -> ApiResult<(ObjectRow, Bytes)> {
        let object = self.object(sha256).await?.ok_or_else(|| {
            ApiError::NotFound(format!(
                "No hay ningún objeto archivado con la huella {sha256}. Revise la huella; puede buscarla en el registro con GET /log/inclusion?sha256=…"
            ))
        })?;
        if !object.published {
            let action = "descargar un objeto archivado que no es público";
            if caller.is_public() {
                return Err(ApiError::Unauthorized(format!(
                    "Este objeto no es un registro público. Para {action} inicie sesión como Presidencia o facilitador de su secretariado."
                )));
            }
            caller.require(PRIVATE_READERS, action)?;
            let own = caller.has_any(&[Role::Operator])
                || (caller.secretariat_id.is_some()
                    && caller.secretariat_id == object.secretariat_id);
            if !own {
                return Err(ApiError::Forbidden(format!(
                    "No tiene permiso para {action}: pertenece a otro secretariado."
                )));
            }
        }
        Ok((object, self.stored(sha256).await?))
    }

    /// Whether `sha256` is archived, its public metadata, and its proof
    /// against the newest head, with a Spanish report.
    pub async fn verify_hash(&self, sha256: &Digest32) -> ApiResult<HashVerification> {
        let current = self.current_head().await?;
        let tree_head = SignedTreeHead::from(&current);
        let Some(object) = self.object(sha256).await? else {
            return Ok(HashVerification {
                sha256: sha256.to_hex(),
                archived: false,
                report: format!(
                    "Ningún objeto del archivo tiene la huella {sha256} (el registro tiene {} entradas). Si esperaba encontrarlo, compruebe que calculó el SHA-256 del archivo exacto, por ejemplo con «sha256sum ARCHIVO»: cualquier cambio, aunque sea de un byte, produce otra huella.",
                    current.tree_size
                ),
                object: None,
                inclusion: None,
                tree_head,
            });
        };
        let inclusion = self
            .inclusion(
                EntryRef::Sha256(*sha256),
                Some(current.tree_size.max(0) as u64),
            )
            .await?;
        // A self-check before vouching for it.
        let leaf = LeafEntry {
            sha256: *sha256,
            kind: inclusion.entry.kind.clone(),
            created_at: inclusion.entry.created_at,
        }
        .leaf_hash();
        let proof = parse_hashes(&inclusion.proof);
        let root = inclusion.tree_head.tree_head().root_hash().ok();
        let valid = matches!((&proof, root), (Some(proof), Some(root)) if verify_inclusion(&leaf, inclusion.entry.index, inclusion.tree_size, proof, &root).is_ok());
        if !valid {
            return Err(LogFailure::Tampered(
                "El registro del archivo no pudo probar la inclusión de un objeto que dice tener. Informe al administrador.".into(),
            )
            .into());
        }
        let publicity = if object.published {
            "Es un registro público: puede descargarlo y comparar su huella."
        } else {
            "No es un registro público: solo se muestran sus datos básicos."
        };
        let report = format!(
            "La huella {sha256} corresponde a un objeto archivado ({kind}, {bytes} bytes) el {when}, entrada {index} del registro. Su prueba de inclusión contra la cabeza firmada de {size} entradas es válida: el objeto está en el registro y no fue alterado desde que se archivó. {publicity}",
            kind = object.kind,
            bytes = object.size_bytes,
            when = crate::when(object.created_at),
            index = inclusion.entry.index,
            size = inclusion.tree_size,
        );
        Ok(HashVerification {
            sha256: sha256.to_hex(),
            archived: true,
            report,
            object: Some(ArchivedObject::from_row(&object, &self.base_url())),
            inclusion: Some(inclusion),
            tree_head,
        })
    }
}

/// Hex hashes into bytes; `None` if any is not a hash.
pub fn parse_hashes(hexes: &[String]) -> Option<Vec<Hash>> {
    hexes
        .iter()
        .map(|h| {
            let mut out = [0u8; 32];
            hex::decode_to_slice(h, &mut out).ok().map(|()| out)
        })
        .collect()
}
