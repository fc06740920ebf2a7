//! The archive's settings: the `[archive]` section (`RUBRICA_ARCHIVE__…`).

use std::path::PathBuf;

use rubrica_platform::config::Section;
use rubrica_platform::secret::Secret;
use serde::{Deserialize, Serialize};

/// The archive's storage and log (used by the archive service).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArchiveSettings {
    /// Where archived objects live. Absent: the local filesystem under
    /// `<data_dir>/archive/objects` (the embedded default). `file:///ruta`:
    /// another local folder. `s3://bucket/prefix`: an S3-compatible bucket
    /// (for scale-out; also set `s3_endpoint` for SeaweedFS, MinIO…).
    pub object_store_url: Option<String>,
    /// Endpoint of an S3-compatible service, e.g. `http://seaweedfs:8333`;
    /// absent: AWS itself (or `AWS_ENDPOINT`).
    pub s3_endpoint: Option<String>,
    /// Region of the bucket (S3-compatible services accept any).
    pub s3_region: Option<String>,
    /// Access key id; absent: `AWS_ACCESS_KEY_ID` or the instance's role.
    pub s3_access_key_id: Option<String>,
    /// Secret access key (a secret: set it with
    /// `RUBRICA_ARCHIVE__S3_SECRET_ACCESS_KEY_FILE`); absent:
    /// `AWS_SECRET_ACCESS_KEY` or the instance's role.
    pub s3_secret_access_key: Option<Secret>,
    /// Allow `http://` endpoints (a bucket on the same private network).
    pub s3_allow_http: bool,
    /// The log's Ed25519 signing key (PKCS#8 DER). Absent with local storage:
    /// generated once into `<data_dir>/archive/log-key.pk8` (mode 0600).
    /// Required with S3 storage, so every replica signs with the same key.
    pub log_key_file: Option<PathBuf>,
    /// Largest object accepted for archiving, in bytes.
    pub max_object_bytes: usize,
    /// Largest file of a session's evidence (photograph, video, audio or
    /// document) the facilitator or the President uploads, in bytes
    /// (never more than `max_object_bytes`).
    pub max_evidence_bytes: usize,
}

impl Default for ArchiveSettings {
    fn default() -> Self {
        ArchiveSettings {
            object_store_url: None,
            s3_endpoint: None,
            s3_region: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_allow_http: false,
            log_key_file: None,
            max_object_bytes: 64 * 1024 * 1024,
            max_evidence_bytes: 50 * 1024 * 1024,
        }
    }
}

impl Section for ArchiveSettings {
    const KEY: &'static str = "archive";
}
