//! The tamper-evident log (RFC 6962 style) over everything the archive
//! stores: what a leaf is, how the log is appended to, and how this process
//! keeps its Merkle tree in step with the database.
//!
//! # A leaf
//! Each archived object is one leaf ([`LeafEntry`]):
//! `SHA-256(0x00 ‖ "rubrica-archivo-v1\n" ‖ sha256 (32 bytes) ‖ created_at
//! (epoch ms, 8 bytes big-endian) ‖ kind (UTF-8))`. Anyone holding the file
//! computes its SHA-256, takes the entry's time and kind from the log, and
//! recomputes the leaf: a proof for that leaf proves that exact file.
//!
//! # Appending
//! One appender at a time, across processes: the caller opens a write
//! transaction ([`rubrica_platform::ServiceContext::begin`]: `BEGIN
//! IMMEDIATE` on SQLite) and [`crate::db::lock_log`] takes an advisory lock
//! on PostgreSQL; within this process [`TransparencyLog::writer`] also
//! serialises, so the in-memory tree never sees two appends at once. Inside,
//! the tree catches up with entries other replicas committed, the next head
//! is signed over the tree *with* the new leaf ([`crate::tree::MerkleTree::root_with`]),
//! and entry, object and head are inserted together. Only after the commit
//! does the leaf enter the in-memory tree, so no reader ever proves against
//! an entry that might still roll back.
//!
//! # Reading
//! Readers take the newest signed head from the database (one indexed
//! query), catch the tree up if another replica appended, and compute
//! proofs at that size in memory. Every entry read from the database is
//! re-hashed from its columns and the resulting root must equal the signed
//! head's: rows altered behind the archive's back make the log refuse to
//! serve (503) instead of proving something false.

use std::sync::RwLock;

use base64::Engine;
use rubrica_platform::db::now_ms;
use rubrica_translog::{Hash, LogError, LogSigner, LogVerifier, TreeHead};
use sqlx::AnyConnection;
use tokio::sync::{Mutex, MutexGuard};

use crate::db::{self, EntryRow, HeadRow};
use crate::digest::Digest32;
use crate::tree::MerkleTree;

/// The label that starts every leaf, so a leaf of this log can never be
/// confused with any other hashed data.
pub const LEAF_LABEL: &[u8] = b"rubrica-archivo-v1\n";

/// What one leaf of the log says: this object, of this kind, was archived
/// at this moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafEntry {
    pub sha256: Digest32,
    pub kind: String,
    /// Epoch milliseconds.
    pub created_at: i64,
}

impl LeafEntry {
    /// The exact bytes hashed into the leaf (see the module docs).
    pub fn leaf_data(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(LEAF_LABEL.len() + 40 + self.kind.len());
        out.extend_from_slice(LEAF_LABEL);
        out.extend_from_slice(self.sha256.as_bytes());
        out.extend_from_slice(&(self.created_at.max(0) as u64).to_be_bytes());
        out.extend_from_slice(self.kind.as_bytes());
        out
    }

    /// The RFC 6962 leaf hash.
    pub fn leaf_hash(&self) -> Hash {
        rubrica_translog::leaf_hash(&self.leaf_data())
    }
}

/// Why the log cannot answer.
#[derive(Debug, thiserror::Error)]
pub enum LogFailure {
    #[error("la base de datos del archivo falló: {0}")]
    Database(#[from] sqlx::Error),
    /// The stored log does not match what was signed: rows were altered,
    /// removed or inserted outside the archive. The text is Spanish.
    #[error("{0}")]
    Tampered(String),
    /// The heads in the database were signed with another key.
    #[error("{0}")]
    KeyMismatch(String),
}

/// A stored head as the translog library reads it.
pub fn tree_head(row: &HeadRow) -> TreeHead {
    TreeHead {
        size: row.tree_size.max(0) as u64,
        root: row.root_hash.clone(),
        timestamp: row.signed_at.max(0) as u64,
        signature: row.signature.clone(),
    }
}

/// The bytes a head's signature covers, base64 (for checking it with
/// standard tools).
pub fn signed_bytes_base64(head: &TreeHead) -> String {
    let root = head.root_hash().unwrap_or([0; 32]);
    base64::engine::general_purpose::STANDARD.encode(TreeHead::signed_bytes(
        head.size,
        head.timestamp,
        &root,
    ))
}

/// An entry's leaf, recomputed from its columns; a row whose stored leaf
/// hash differs was altered.
pub fn leaf_of(row: &EntryRow) -> Result<Hash, LogFailure> {
    let tampered = || {
        LogFailure::Tampered(format!(
            "El registro del archivo está alterado: la entrada {} no corresponde a su hoja. No se emiten pruebas hasta que un administrador restaure la base de datos desde un respaldo.",
            row.log_index
        ))
    };
    let sha256 = Digest32::parse(&row.sha256).map_err(|_| tampered())?;
    let leaf = LeafEntry {
        sha256,
        kind: row.kind.clone(),
        created_at: row.created_at,
    }
    .leaf_hash();
    if hex::encode(leaf) == row.leaf_hash {
        Ok(leaf)
    } else {
        Err(tampered())
    }
}

/// [`leaf_of`], for the entry expected at `expected_index`.
fn checked_leaf(row: &EntryRow, expected_index: u64) -> Result<Hash, LogFailure> {
    if row.log_index < 0 || row.log_index as u64 != expected_index {
        return Err(LogFailure::Tampered(format!(
            "El registro del archivo está alterado: falta la entrada {expected_index}. No se emiten pruebas hasta que un administrador restaure la base de datos desde un respaldo."
        )));
    }
    leaf_of(row)
}

/// The log of this process: its signer and its in-memory tree.
pub struct TransparencyLog {
    signer: LogSigner,
    verifier: LogVerifier,
    public_key_hex: String,
    /// Leaves committed and checked against a signed head. Held only for
    /// moments, never across an `await`.
    tree: RwLock<MerkleTree>,
    /// Serialises whoever extends `tree`: appenders and catching up.
    writer: Mutex<()>,
}

impl std::fmt::Debug for TransparencyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransparencyLog")
            .field("public_key", &self.public_key_hex)
            .finish_non_exhaustive()
    }
}

/// Loads are paged so memory stays bounded on a large log.
const PAGE: i64 = 10_000;

impl TransparencyLog {
    /// A log signing with `signer`; its tree is loaded on first use.
    pub fn new(signer: LogSigner) -> Result<Self, LogError> {
        let verifier = LogVerifier::new(signer.public_key())?;
        let public_key_hex = hex::encode(signer.public_key());
        Ok(TransparencyLog {
            signer,
            verifier,
            public_key_hex,
            tree: RwLock::new(MerkleTree::new()),
            writer: Mutex::new(()),
        })
    }

    /// The public key, hex.
    pub fn public_key_hex(&self) -> &str {
        &self.public_key_hex
    }

    /// The public key's 32 bytes.
    pub fn public_key(&self) -> &[u8] {
        self.signer.public_key()
    }

    /// Signs the head of a tree of `size` entries.
    pub(crate) fn sign(&self, size: u64, root: &Hash) -> HeadRow {
        let head = self.signer.sign(size, root, now_ms().max(0) as u64);
        HeadRow {
            tree_size: size as i64,
            root_hash: head.root,
            signed_at: head.timestamp as i64,
            signature: head.signature,
            public_key: self.public_key_hex.clone(),
        }
    }

    /// Held by whoever extends the tree (see the module docs).
    pub async fn writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().await
    }

    /// The head of the empty log, signed once when the archive first starts
    /// (in the caller's serialised transaction), and the check that the
    /// stored heads were signed with this key.
    pub async fn initialise(&self, conn: &mut AnyConnection) -> Result<HeadRow, LogFailure> {
        match db::latest_head(conn).await? {
            Some(head) if head.public_key != self.public_key_hex => {
                Err(LogFailure::KeyMismatch(format!(
                    "La llave de firma del registro no es la que firmó sus cabezas (la publicada es {}…, la configurada es {}…). Restaure la llave original (archive.log_key_file o <data_dir>/archive/log-key.pk8); el archivo no firmará con otra.",
                    &head.public_key.get(..16).unwrap_or(&head.public_key),
                    &self.public_key_hex[..16],
                )))
            }
            Some(head) => Ok(head),
            None => {
                let head = self.sign(0, &rubrica_translog::root(&[]));
                db::insert_head(conn, &head).await?;
                Ok(head)
            }
        }
    }

    /// Brings the in-memory tree up to `head` (a stored head), checking
    /// every new entry and the resulting root against the head's signature.
    /// The caller holds [`TransparencyLog::writer`].
    pub async fn catch_up(
        &self,
        conn: &mut AnyConnection,
        head: &HeadRow,
        _writer: &MutexGuard<'_, ()>,
    ) -> Result<(), LogFailure> {
        let target = head.tree_size.max(0) as u64;
        let start = self.len();
        if start >= target {
            return Ok(());
        }
        let signed = tree_head(head);
        if self.verifier.verify(&signed).is_err() {
            return Err(LogFailure::Tampered(format!(
                "El registro del archivo está alterado: la cabeza de {target} entradas no lleva una firma válida de la llave publicada. No se emiten pruebas hasta que un administrador restaure la base de datos desde un respaldo."
            )));
        }
        let mut leaves = Vec::with_capacity((target - start) as usize);
        let mut next = start;
        while next < target {
            let end = (next as i64 + PAGE).min(target as i64);
            let rows = db::entries(conn, next as i64, end).await?;
            if rows.is_empty() {
                return Err(LogFailure::Tampered(format!(
                    "El registro del archivo está alterado: falta la entrada {next}. No se emiten pruebas hasta que un administrador restaure la base de datos desde un respaldo."
                )));
            }
            for row in &rows {
                leaves.push(checked_leaf(row, next)?);
                next += 1;
            }
        }
        let mut tree = self.tree.write().unwrap_or_else(|p| p.into_inner());
        for leaf in leaves {
            tree.push(leaf);
        }
        let root = tree.root(target).map(hex::encode);
        if root.as_deref() != Ok(head.root_hash.as_str()) {
            tree.truncate(start);
            return Err(LogFailure::Tampered(format!(
                "El registro del archivo está alterado: sus {target} entradas no producen la raíz firmada. No se emiten pruebas hasta que un administrador restaure la base de datos desde un respaldo."
            )));
        }
        Ok(())
    }

    /// Number of leaves in memory.
    pub fn len(&self) -> u64 {
        self.tree.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether the in-memory tree is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry and head that appending `entry` produces, to be inserted
    /// by the caller in its serialised transaction (the tree must have caught
    /// up with `current`, the newest stored head).
    pub fn next(
        &self,
        current: &HeadRow,
        entry: &LeafEntry,
    ) -> Result<(EntryRow, HeadRow), LogFailure> {
        let tree = self.tree.read().unwrap_or_else(|p| p.into_inner());
        let index = tree.len();
        if index != current.tree_size.max(0) as u64 {
            return Err(LogFailure::Tampered(format!(
                "El registro del archivo no está al día en este proceso ({index} entradas en memoria, {} firmadas). Intente de nuevo.",
                current.tree_size
            )));
        }
        let leaf = entry.leaf_hash();
        let root = tree.root_with(&leaf);
        drop(tree);
        let row = EntryRow {
            log_index: index as i64,
            leaf_hash: hex::encode(leaf),
            sha256: entry.sha256.to_hex(),
            kind: entry.kind.clone(),
            created_at: entry.created_at,
        };
        Ok((row, self.sign(index + 1, &root)))
    }

    /// Adds a committed entry to the in-memory tree. The caller holds
    /// [`TransparencyLog::writer`] and committed `entry` at index `len()`.
    pub fn committed(&self, entry: &EntryRow, _writer: &MutexGuard<'_, ()>) {
        let mut tree = self.tree.write().unwrap_or_else(|p| p.into_inner());
        if tree.len() == entry.log_index.max(0) as u64
            && let Ok(bytes) = hex::decode(&entry.leaf_hash)
            && let Ok(leaf) = Hash::try_from(bytes.as_slice())
        {
            tree.push(leaf);
        }
    }

    /// Runs `f` over the tree (caught up by the caller to the size it asks
    /// about).
    pub fn with_tree<T>(&self, f: impl FnOnce(&MerkleTree) -> T) -> T {
        f(&self.tree.read().unwrap_or_else(|p| p.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leaf_binds_the_file_its_kind_and_its_time() {
        let entry = LeafEntry {
            sha256: crate::digest::Sha256::digest(b"acta"),
            kind: "acta".into(),
            created_at: 1_795_000_000_000,
        };
        let data = entry.leaf_data();
        assert!(data.starts_with(LEAF_LABEL));
        assert_eq!(data.len(), LEAF_LABEL.len() + 32 + 8 + 4);
        let base = entry.leaf_hash();
        for changed in [
            LeafEntry {
                sha256: crate::digest::Sha256::digest(b"otra"),
                ..entry.clone()
            },
            LeafEntry {
                kind: "minuta".into(),
                ..entry.clone()
            },
            LeafEntry {
                created_at: entry.created_at + 1,
                ..entry.clone()
            },
        ] {
            assert_ne!(changed.leaf_hash(), base);
        }
    }
}
