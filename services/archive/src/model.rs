//! The archive's JSON shapes: what its API answers and takes. Public so the
//! CLI (`rubrica verify --log`) and other services read the same types.

use rubrica_platform::ServiceName;
use rubrica_translog::TreeHead;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::{EntryRow, HeadRow, ObjectRow};
use crate::log::{signed_bytes_base64, tree_head};

/// A signed tree head: the log's size and root at a moment, signed by the
/// archive's Ed25519 key, with what is needed to check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignedTreeHead {
    /// Number of entries in the log.
    pub tree_size: u64,
    /// RFC 6962 root of those entries, hex.
    pub root_hash: String,
    /// When the head was signed, epoch milliseconds.
    pub timestamp: u64,
    /// Ed25519 signature over `signed_bytes`, base64.
    pub signature: String,
    /// The public key that signed it, hex (also at `GET /log/public-key`).
    pub public_key: String,
    /// The exact bytes signed, base64: `"rubrica-registro-v1\n"`, the size
    /// and the timestamp as 8-byte big-endian integers, and the 32-byte root.
    pub signed_bytes: String,
}

impl SignedTreeHead {
    /// The head as the translog library checks it.
    pub fn tree_head(&self) -> TreeHead {
        TreeHead {
            size: self.tree_size,
            root: self.root_hash.clone(),
            timestamp: self.timestamp,
            signature: self.signature.clone(),
        }
    }
}

impl From<&HeadRow> for SignedTreeHead {
    fn from(row: &HeadRow) -> Self {
        let head = tree_head(row);
        SignedTreeHead {
            tree_size: head.size,
            signed_bytes: signed_bytes_base64(&head),
            root_hash: head.root,
            timestamp: head.timestamp,
            signature: head.signature,
            public_key: row.public_key.clone(),
        }
    }
}

/// One entry (leaf) of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LogEntry {
    /// Position in the log, from 0.
    pub index: u64,
    /// SHA-256 of the archived object, hex.
    pub sha256: String,
    /// What it is: `acta`, `minuta`, `paquete_entrega`…
    pub kind: String,
    /// When it was archived, epoch milliseconds.
    pub created_at: i64,
    /// The RFC 6962 leaf hash, hex: SHA-256 of `0x00`,
    /// `"rubrica-archivo-v1\n"`, the 32-byte `sha256`, `created_at` as an
    /// 8-byte big-endian integer, and `kind` in UTF-8.
    pub leaf_hash: String,
}

impl From<&EntryRow> for LogEntry {
    fn from(row: &EntryRow) -> Self {
        LogEntry {
            index: row.log_index.max(0) as u64,
            sha256: row.sha256.clone(),
            kind: row.kind.clone(),
            created_at: row.created_at,
            leaf_hash: row.leaf_hash.clone(),
        }
    }
}

/// Proof that an entry is in the log of a given size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InclusionProof {
    /// The entry.
    pub entry: LogEntry,
    /// The size of the tree the proof is for.
    pub tree_size: u64,
    /// The audit path (RFC 6962 §2.1.1), hex, from the leaf up.
    pub proof: Vec<String>,
    /// The signed head of that size, whose root the path leads to.
    pub tree_head: SignedTreeHead,
}

/// Proof that the log of size `first` is a prefix of the log of size
/// `second`: nothing archived before was changed or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConsistencyProof {
    pub first: u64,
    pub second: u64,
    /// RFC 6962 §2.1.2 proof, hex.
    pub proof: Vec<String>,
    /// The signed head of size `first`.
    pub first_head: SignedTreeHead,
    /// The signed head of size `second`.
    pub second_head: SignedTreeHead,
}

/// A page of log entries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EntriesPage {
    /// The log's size when the page was read.
    pub tree_size: u64,
    pub entries: Vec<LogEntry>,
    /// Where the next page starts, if there is one.
    pub next_start: Option<u64>,
}

/// The log's public key.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicKey {
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The 32-byte key, hex.
    pub public_key: String,
    /// The same key as a PEM SubjectPublicKeyInfo, for OpenSSL and the like.
    pub public_key_pem: String,
    /// How a head is signed and how to check it with standard tools.
    pub instrucciones: String,
}

/// An archived object's metadata, as the public may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ArchivedObject {
    pub sha256: String,
    pub size_bytes: i64,
    pub media_type: String,
    pub kind: String,
    pub title: Option<String>,
    pub secretariat_id: Option<String>,
    /// When it was archived, epoch milliseconds.
    pub created_at: i64,
    /// Whether it is a public record, downloadable by anyone.
    pub published: bool,
    /// Its entry in the log.
    pub log_index: u64,
    /// The metadata given when it was archived (only for published objects).
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    /// Where to download it (only for published objects).
    pub download_url: Option<String>,
}

impl ArchivedObject {
    /// The view of `row`; unpublished objects show no metadata and no link.
    pub fn from_row(row: &ObjectRow, base_url: &str) -> Self {
        ArchivedObject {
            sha256: row.sha256.clone(),
            size_bytes: row.size_bytes,
            media_type: row.media_type.clone(),
            kind: row.kind.clone(),
            title: row.title.clone().filter(|_| row.published),
            secretariat_id: row.secretariat_id.clone(),
            created_at: row.created_at,
            published: row.published,
            log_index: row.log_index.max(0) as u64,
            metadata: row
                .published
                .then(|| serde_json::from_str(&row.metadata).unwrap_or_default()),
            download_url: row
                .published
                .then(|| format!("{base_url}/objects/{}", row.sha256)),
        }
    }

    /// The full view, for the service that archived it.
    pub fn full(row: &ObjectRow, base_url: &str) -> Self {
        ArchivedObject {
            title: row.title.clone(),
            metadata: Some(serde_json::from_str(&row.metadata).unwrap_or_default()),
            download_url: Some(format!("{base_url}/objects/{}", row.sha256)),
            ..ArchivedObject::from_row(row, base_url)
        }
    }
}

/// An object to archive (service-to-service).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewObject {
    /// The service archiving it (recorded in the audit trail).
    pub source: ServiceName,
    /// What it is: lower-case letters, digits, `_`, `-` or `.`, starting
    /// with a letter, at most 40 (`acta`, `minuta`, `paquete_entrega`…).
    pub kind: String,
    /// Its media type (default `application/octet-stream`); a PDF must
    /// start like one.
    #[serde(default)]
    pub media_type: Option<String>,
    /// A title for people (at most 500 characters).
    #[serde(default)]
    pub title: Option<String>,
    /// The secretariat it belongs to.
    #[serde(default)]
    pub secretariat_id: Option<String>,
    /// Whether it is a public record under maximum publicity: anyone may
    /// download it. Default false.
    #[serde(default)]
    pub published: bool,
    /// Anything else worth keeping (folio, session, signers…): a JSON object.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    /// The bytes, base64.
    pub content_base64: String,
    /// The SHA-256 the caller computed, hex: the archive refuses the bytes
    /// if they do not match (a truncated transfer).
    #[serde(default)]
    pub expected_sha256: Option<String>,
}

/// What archiving answered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Archived {
    /// `true` when these exact bytes were archived before: nothing changed,
    /// the first archiving's metadata and log entry stand.
    pub already_archived: bool,
    pub object: ArchivedObject,
    /// Its entry and proof against the newest signed head.
    pub inclusion: InclusionProof,
}

/// A SHA-256 to look up.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HashQuery {
    /// 64 hexadecimal characters, e.g. the output of `sha256sum FILE`.
    pub sha256: String,
}

/// Whether a SHA-256 is archived, and the proof.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HashVerification {
    pub sha256: String,
    /// Whether an archived object has this SHA-256.
    pub archived: bool,
    /// What this means, in Spanish.
    pub report: String,
    pub object: Option<ArchivedObject>,
    /// Its inclusion proof against the newest signed head.
    pub inclusion: Option<InclusionProof>,
    /// The newest signed head.
    pub tree_head: SignedTreeHead,
}
