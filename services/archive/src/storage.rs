//! Where archived bytes live: an `object_store` — the local filesystem under
//! the data directory by default (every write fsynced, file and folders), or
//! an S3-compatible bucket named by `archive.object_store_url`.
//!
//! Objects are **content-addressed**: an object's path is its SHA-256
//! ([`crate::digest::object_path`]), so the same bytes always land in the same place
//! and different bytes never do. Writes are create-only (`PutMode::Create`):
//! an object already there is read back and compared, and if it is the same
//! the write succeeds without touching it; nothing is ever overwritten, and
//! this module has no way to delete.

use std::path::PathBuf;
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use rubrica_platform::Settings;

use crate::settings::ArchiveSettings;
use rubrica_platform::Bytes;

use crate::digest::{Digest32, Sha256};

/// The archive's object store.
#[derive(Debug, Clone)]
pub struct ObjectStorage {
    store: Arc<dyn ObjectStore>,
    /// Where the objects are, without credentials: for messages and logs.
    location: String,
    /// Whether this is a folder of this machine (the embedded default); the
    /// log key may then be generated next to it.
    local: bool,
}

/// A store operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The store did not answer or refused (network, disk, permissions).
    #[error("el almacén de objetos ({location}) falló: {source}")]
    Store {
        location: String,
        #[source]
        source: object_store::Error,
    },
    /// The bytes stored under a hash are not the bytes of that hash: the
    /// store was altered or damaged. Never overwritten; reported.
    #[error(
        "el objeto {sha256} del almacén ({location}) no corresponde a su huella: el almacén fue alterado o está dañado"
    )]
    Corrupted { sha256: Digest32, location: String },
}

/// How [`ObjectStorage::put`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// The object was written now.
    Created,
    /// The same bytes were already stored; nothing was written.
    AlreadyStored,
}

impl ObjectStorage {
    /// Opens the store the settings name. The error is Spanish and says what
    /// to change.
    pub fn open(settings: &Settings) -> Result<ObjectStorage, String> {
        let archive: ArchiveSettings = settings.section();
        match archive.object_store_url.as_deref().map(str::trim) {
            None | Some("") => Self::local(settings.data_dir.join("archive").join("objects")),
            Some(url) if url.starts_with("file://") => {
                Self::local(PathBuf::from(url.trim_start_matches("file://")))
            }
            Some(url) if url.starts_with("s3://") => {
                let rest = url.trim_start_matches("s3://");
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(format!(
                        "la URL del almacén «{url}» no nombra un bucket; escríbala como s3://BUCKET o s3://BUCKET/PREFIJO"
                    ));
                }
                // The standard AWS_* variables first, then what Rúbrica's
                // settings say explicitly.
                let mut builder = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_allow_http(archive.s3_allow_http);
                if let Some(endpoint) = &archive.s3_endpoint {
                    // S3-compatible services address buckets by path.
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_virtual_hosted_style_request(false);
                }
                match &archive.s3_region {
                    Some(region) => builder = builder.with_region(region),
                    None if std::env::var_os("AWS_REGION").is_none()
                        && std::env::var_os("AWS_DEFAULT_REGION").is_none() =>
                    {
                        builder = builder.with_region("us-east-1");
                    }
                    None => {}
                }
                if let Some(id) = &archive.s3_access_key_id {
                    builder = builder.with_access_key_id(id);
                }
                if let Some(secret) = &archive.s3_secret_access_key {
                    builder = builder.with_secret_access_key(secret.expose());
                }
                let s3 = builder.build().map_err(|e| {
                    format!(
                        "no se pudo configurar el bucket S3 «{bucket}»: {e}. Revise archive.object_store_url, archive.s3_endpoint y las credenciales"
                    )
                })?;
                let prefix = prefix.trim_matches('/');
                let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(PrefixStore::new(s3, prefix))
                };
                let location = match &archive.s3_endpoint {
                    Some(endpoint) => format!("s3://{bucket}/{prefix} en {endpoint}"),
                    None => format!("s3://{bucket}/{prefix}"),
                };
                Ok(ObjectStorage {
                    store,
                    location,
                    local: false,
                })
            }
            Some(url) => Err(format!(
                "la URL del almacén de objetos «{}» no es válida: use s3://BUCKET/PREFIJO para un bucket compatible con S3, file:///RUTA para una carpeta, u omítala para usar la carpeta de datos",
                crate::digest::shorten(url)
            )),
        }
    }

    fn local(dir: PathBuf) -> Result<ObjectStorage, String> {
        std::fs::create_dir_all(&dir).map_err(|e| {
            format!(
                "no se pudo crear la carpeta de objetos {}: {e}. Revise los permisos de la carpeta de datos",
                dir.display()
            )
        })?;
        let store = LocalFileSystem::new_with_prefix(&dir)
            .map_err(|e| {
                format!(
                    "no se pudo abrir la carpeta de objetos {}: {e}",
                    dir.display()
                )
            })?
            // Durable: a record acknowledged as archived survives a power cut.
            .with_fsync(true);
        Ok(ObjectStorage {
            store: Arc::new(store),
            location: dir.display().to_string(),
            local: true,
        })
    }

    /// Whether the objects live in a local folder.
    pub fn is_local(&self) -> bool {
        self.local
    }

    /// Where the objects are, safe to print.
    pub fn location(&self) -> &str {
        &self.location
    }

    fn failed(&self, source: object_store::Error) -> StorageError {
        StorageError::Store {
            location: self.location.clone(),
            source,
        }
    }

    /// Stores `bytes` under their SHA-256 `sha256` (the caller computed it),
    /// create-only. Same bytes already there: success, nothing written.
    pub async fn put(&self, sha256: &Digest32, bytes: Bytes) -> Result<Put, StorageError> {
        let path = ObjectPath::from(crate::digest::object_path(sha256));
        let create = PutOptions::from(PutMode::Create);
        match self
            .store
            .put_opts(&path, PutPayload::from(bytes.clone()), create)
            .await
        {
            Ok(_) => Ok(Put::Created),
            Err(object_store::Error::AlreadyExists { .. }) => self.confirm(sha256).await,
            // A bucket without conditional writes (`AWS_CONDITIONAL_PUT=disabled`):
            // look first. Two writers racing here write the same bytes to the
            // same name, so nothing different can ever replace an object.
            Err(object_store::Error::NotImplemented { .. }) => match self.store.head(&path).await {
                Ok(_) => self.confirm(sha256).await,
                Err(object_store::Error::NotFound { .. }) => {
                    self.store
                        .put(&path, PutPayload::from(bytes))
                        .await
                        .map_err(|e| self.failed(e))?;
                    Ok(Put::Created)
                }
                Err(e) => Err(self.failed(e)),
            },
            Err(e) => Err(self.failed(e)),
        }
    }

    /// Deletes the object of `sha256` (gone already: fine). Only for staged
    /// bytes nothing refers to; archived objects are never deleted.
    pub async fn delete_staged(&self, sha256: &Digest32) -> Result<(), StorageError> {
        let path = ObjectPath::from(crate::digest::object_path(sha256));
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.failed(e)),
        }
    }

    /// An object exists where `sha256` goes: it must be those very bytes.
    async fn confirm(&self, sha256: &Digest32) -> Result<Put, StorageError> {
        match self.get(sha256).await? {
            Some(_) => Ok(Put::AlreadyStored),
            // Listed as existing a moment ago and gone now: nothing in the
            // API deletes, so someone did it by hand.
            None => Err(StorageError::Corrupted {
                sha256: *sha256,
                location: self.location.clone(),
            }),
        }
    }

    /// The bytes of `sha256`, checked against the hash before they are
    /// handed out; `None` when the store has no such object.
    pub async fn get(&self, sha256: &Digest32) -> Result<Option<Bytes>, StorageError> {
        let path = ObjectPath::from(crate::digest::object_path(sha256));
        let bytes = match self.store.get(&path).await {
            Ok(result) => result.bytes().await.map_err(|e| self.failed(e))?,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.failed(e)),
        };
        let checked = bytes.clone();
        let actual = tokio::task::spawn_blocking(move || Sha256::digest(&checked))
            .await
            .map_err(|e| self.failed(object_store::Error::JoinError { source: e }))?;
        if actual == *sha256 {
            Ok(Some(bytes))
        } else {
            tracing::error!(
                sha256 = %sha256,
                actual = %actual,
                location = %self.location,
                "un objeto archivado no corresponde a su huella"
            );
            Err(StorageError::Corrupted {
                sha256: *sha256,
                location: self.location.clone(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(dir: &std::path::Path) -> ObjectStorage {
        let mut settings = Settings {
            data_dir: dir.to_path_buf(),
            ..Settings::default()
        };
        settings.edit::<ArchiveSettings>(|a| a.object_store_url = None);
        ObjectStorage::open(&settings).unwrap()
    }

    #[tokio::test]
    async fn the_same_bytes_twice_are_stored_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let storage = local(dir.path());
        let bytes = Bytes::from_static(b"%PDF-1.7 acta");
        let sha = Sha256::digest(&bytes);

        assert_eq!(
            storage.put(&sha, bytes.clone()).await.unwrap(),
            Put::Created
        );
        assert_eq!(
            storage.put(&sha, bytes.clone()).await.unwrap(),
            Put::AlreadyStored
        );
        assert_eq!(storage.get(&sha).await.unwrap(), Some(bytes));
        let file = dir
            .path()
            .join("archive/objects")
            .join(crate::digest::object_path(&sha));
        assert!(file.is_file(), "{}", file.display());
        assert_eq!(storage.get(&Sha256::digest(b"otro")).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_damaged_object_is_never_overwritten_and_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let storage = local(dir.path());
        let bytes = Bytes::from_static(b"original");
        let sha = Sha256::digest(&bytes);
        storage.put(&sha, bytes.clone()).await.unwrap();
        let file = dir
            .path()
            .join("archive/objects")
            .join(crate::digest::object_path(&sha));
        std::fs::write(&file, b"alterado").unwrap();

        let err = storage.put(&sha, bytes).await.unwrap_err();

        assert!(matches!(err, StorageError::Corrupted { .. }), "{err}");
        assert_eq!(std::fs::read(&file).unwrap(), b"alterado");
    }

    #[test]
    fn an_unknown_kind_of_url_is_refused_in_spanish() {
        let mut settings = Settings::default();
        settings.edit::<ArchiveSettings>(|a| a.object_store_url = Some("ftp://x".into()));
        let err = ObjectStorage::open(&settings).unwrap_err();
        assert!(err.contains("s3://BUCKET"), "{err}");
        settings.edit::<ArchiveSettings>(|a| a.object_store_url = Some("s3:///sin-bucket".into()));
        let err = ObjectStorage::open(&settings).unwrap_err();
        assert!(err.contains("bucket"), "{err}");
    }

    #[test]
    fn an_s3_url_is_configured_without_contacting_the_bucket() {
        let mut settings = Settings::default();
        settings
            .edit::<ArchiveSettings>(|a| a.object_store_url = Some("s3://rubrica/archivo".into()));
        settings.edit::<ArchiveSettings>(|a| a.s3_endpoint = Some("http://127.0.0.1:8333".into()));
        settings.edit::<ArchiveSettings>(|a| a.s3_allow_http = true);
        settings.edit::<ArchiveSettings>(|a| a.s3_access_key_id = Some("id".into()));
        settings.edit::<ArchiveSettings>(|a| a.s3_secret_access_key = Some("secreto".into()));
        let storage = ObjectStorage::open(&settings).unwrap();
        assert!(!storage.is_local());
        assert!(storage.location().contains("s3://rubrica/archivo"));
        assert!(!storage.location().contains("secreto"));
    }
}
