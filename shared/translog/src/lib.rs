//! The archive's tamper-evident log, in the style of Certificate Transparency
//! (RFC 6962, §2.1): every archived object is a leaf of an append-only Merkle
//! tree; the archive signs each tree head with its Ed25519 key; anyone can
//! check that an object is in the log (inclusion proof) and that a later log
//! extends an earlier one without rewriting it (consistency proof).
//!
//! # Layout
//! - [`leaf_hash`], [`node_hash`], [`root`]: RFC 6962 hashing (`0x00` prefix
//!   for leaves, `0x01` for interior nodes, so a leaf can never pose as a
//!   node).
//! - [`inclusion_proof`] / [`verify_inclusion`]: the audit path of one leaf.
//! - [`consistency_proof`] / [`verify_consistency`]: proof that the tree of
//!   size `m` is a prefix of the tree of size `n`.
//! - [`TreeHead`], [`LogSigner`], [`LogVerifier`]: signed tree heads.
//!
//! The functions take the leaf hashes in order; storage is the archive's
//! business. All of it is pure and allocation-light: building a proof for a
//! log of a million entries touches `O(n)` hashes once, verifying touches
//! `O(log n)`.

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use rubrica_fiel::digest::Sha256;
use serde::{Deserialize, Serialize};

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// Why a proof or a signature does not check out. Messages are Spanish:
/// they reach people verifying a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    #[error("el índice {index} no existe en un registro de {size} entradas")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error(
        "no se puede probar la consistencia del tamaño {old} al {new}: el tamaño anterior debe estar entre 1 y el nuevo"
    )]
    BadSizes { old: u64, new: u64 },
    #[error(
        "la prueba no corresponde a la raíz publicada: el registro no contiene esa entrada o fue alterado"
    )]
    ProofMismatch,
    #[error("la prueba tiene una longitud incorrecta para esos tamaños")]
    ProofLength,
    #[error("la firma de la cabeza del árbol no es válida para la llave pública publicada")]
    BadSignature,
    #[error("la llave del registro no es válida: {0}")]
    BadKey(String),
}

/// RFC 6962: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// RFC 6962: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly smaller than `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The Merkle tree hash of `leaves` (leaf hashes). The empty tree hashes to
/// `SHA-256("")`.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path of leaf `index` in the tree of `leaves` (RFC 6962 §2.1.1).
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, LogError> {
    let size = leaves.len() as u64;
    if index >= size {
        return Err(LogError::IndexOutOfRange { index, size });
    }
    let mut proof = Vec::new();
    path(index as usize, leaves, &mut proof);
    Ok(proof)
}

fn path(m: usize, leaves: &[Hash], proof: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(m, &leaves[..k], proof);
        proof.push(root(&leaves[k..]));
    } else {
        path(m - k, &leaves[k..], proof);
        proof.push(root(&leaves[..k]));
    }
}

/// Checks that `leaf` is entry `index` of the tree of `size` with `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), LogError> {
    if index >= size {
        return Err(LogError::IndexOutOfRange { index, size });
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return Err(LogError::ProofLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(LogError::ProofLength);
    }
    if &r == root {
        Ok(())
    } else {
        Err(LogError::ProofMismatch)
    }
}

/// Proof that the first `old` leaves are a prefix of all `leaves`
/// (RFC 6962 §2.1.2).
pub fn consistency_proof(leaves: &[Hash], old: u64) -> Result<Vec<Hash>, LogError> {
    let new = leaves.len() as u64;
    if old == 0 || old > new {
        return Err(LogError::BadSizes { old, new });
    }
    let mut proof = Vec::new();
    subproof(old as usize, leaves, true, &mut proof);
    Ok(proof)
}

fn subproof(m: usize, leaves: &[Hash], complete: bool, proof: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            proof.push(root(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &leaves[..k], complete, proof);
        proof.push(root(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, proof);
        proof.push(root(&leaves[..k]));
    }
}

/// Checks that the tree of size `old` with `old_root` is a prefix of the tree
/// of size `new` with `new_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), LogError> {
    if old == 0 || old > new {
        return Err(LogError::BadSizes { old, new });
    }
    if old == new {
        return if proof.is_empty() && old_root == new_root {
            Ok(())
        } else {
            Err(LogError::ProofMismatch)
        };
    }
    let mut proof: Vec<Hash> = proof.to_vec();
    // When `old` is a power of two its root is itself the first node.
    if old.is_power_of_two() {
        proof.insert(0, *old_root);
    }
    let Some((first, rest)) = proof.split_first() else {
        return Err(LogError::ProofLength);
    };
    let (mut f_n, mut s_n) = (old - 1, new - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut f_r, mut s_r) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return Err(LogError::ProofLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(LogError::ProofLength);
    }
    if &f_r == old_root && &s_r == new_root {
        Ok(())
    } else {
        Err(LogError::ProofMismatch)
    }
}

/// A signed tree head: the log's size and root at a moment, signed by the
/// archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeHead {
    /// Number of entries.
    pub size: u64,
    /// Root hash, hex.
    pub root: String,
    /// When it was signed (epoch ms).
    pub timestamp: u64,
    /// Ed25519 signature over [`TreeHead::signed_bytes`], base64.
    pub signature: String,
}

impl TreeHead {
    /// The exact bytes signed: a fixed ASCII label, then size, timestamp
    /// (big-endian u64) and the 32-byte root, so a signature can never be
    /// replayed as something else.
    pub fn signed_bytes(size: u64, timestamp: u64, root: &Hash) -> Vec<u8> {
        let mut out = b"rubrica-registro-v1\n".to_vec();
        out.extend_from_slice(&size.to_be_bytes());
        out.extend_from_slice(&timestamp.to_be_bytes());
        out.extend_from_slice(root);
        out
    }

    /// The root as bytes.
    pub fn root_hash(&self) -> Result<Hash, LogError> {
        let bytes = hex::decode(&self.root).map_err(|_| LogError::ProofMismatch)?;
        bytes.try_into().map_err(|_| LogError::ProofMismatch)
    }
}

/// Signs tree heads with the archive's Ed25519 key.
pub struct LogSigner {
    key: Ed25519KeyPair,
}

impl std::fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSigner")
            .field("public_key", &hex::encode(self.public_key()))
            .finish_non_exhaustive()
    }
}

impl LogSigner {
    /// A new random key, as PKCS#8 bytes to be kept secret by the caller
    /// (the archive stores it outside the database, like any secret).
    pub fn generate() -> Result<Vec<u8>, LogError> {
        let rng = ring::rand::SystemRandom::new();
        Ed25519KeyPair::generate_pkcs8(&rng)
            .map(|d| d.as_ref().to_vec())
            .map_err(|e| LogError::BadKey(e.to_string()))
    }

    /// A signer from PKCS#8 bytes.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, LogError> {
        // PKCS#8 v2 (with the public key, checked) as ring writes it, or v1
        // (the seed only) as `openssl genpkey -algorithm ed25519` writes it.
        Ed25519KeyPair::from_pkcs8(pkcs8)
            .or_else(|_| Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8))
            .map(|key| LogSigner { key })
            .map_err(|e| LogError::BadKey(e.to_string()))
    }

    /// The public key (32 bytes) to publish.
    pub fn public_key(&self) -> &[u8] {
        self.key.public_key().as_ref()
    }

    /// Signs the head of a tree of `size` entries with `root`.
    pub fn sign(&self, size: u64, root: &Hash, timestamp: u64) -> TreeHead {
        use base64::Engine;
        let signature = self
            .key
            .sign(&TreeHead::signed_bytes(size, timestamp, root));
        TreeHead {
            size,
            root: hex::encode(root),
            timestamp,
            signature: base64::engine::general_purpose::STANDARD.encode(signature.as_ref()),
        }
    }
}

/// Checks tree heads against the published public key.
#[derive(Debug, Clone)]
pub struct LogVerifier {
    public_key: Vec<u8>,
}

impl LogVerifier {
    /// A verifier for the 32-byte Ed25519 public key.
    pub fn new(public_key: &[u8]) -> Result<Self, LogError> {
        if public_key.len() != 32 {
            return Err(LogError::BadKey(
                "una llave pública Ed25519 mide 32 bytes".into(),
            ));
        }
        Ok(LogVerifier {
            public_key: public_key.to_vec(),
        })
    }

    /// Checks the head's signature.
    pub fn verify(&self, head: &TreeHead) -> Result<(), LogError> {
        use base64::Engine;
        let signature = base64::engine::general_purpose::STANDARD
            .decode(&head.signature)
            .map_err(|_| LogError::BadSignature)?;
        let root = head.root_hash()?;
        UnparsedPublicKey::new(&ED25519, &self.public_key)
            .verify(
                &TreeHead::signed_bytes(head.size, head.timestamp, &root),
                &signature,
            )
            .map_err(|_| LogError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The leaves of the Certificate Transparency reference tests.
    fn ct_leaves() -> Vec<Hash> {
        let data: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        data.iter().map(|d| leaf_hash(d)).collect()
    }

    #[test]
    fn the_empty_tree_and_the_first_leaf_hash_as_rfc_6962_says() {
        assert_eq!(
            hex::encode(root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // SHA-256 of the single byte 0x00.
        assert_eq!(
            hex::encode(root(&ct_leaves()[..1])),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn roots_match_the_certificate_transparency_reference_vectors() {
        // From the CT reference implementation's Merkle tests.
        let expected = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let leaves = ct_leaves();
        for (n, want) in expected.iter().enumerate() {
            assert_eq!(hex::encode(root(&leaves[..=n])), *want, "size {}", n + 1);
        }
    }

    #[test]
    fn every_inclusion_proof_verifies_and_a_wrong_leaf_or_root_does_not() {
        for n in 1..=40usize {
            let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
            let r = root(&leaves);
            for i in 0..n as u64 {
                let proof = inclusion_proof(&leaves, i).unwrap();
                assert_eq!(
                    verify_inclusion(&leaves[i as usize], i, n as u64, &proof, &r),
                    Ok(())
                );
                let other = leaf_hash(b"otro");
                assert!(verify_inclusion(&other, i, n as u64, &proof, &r).is_err());
                if n > 1 {
                    let j = (i + 1) % n as u64;
                    assert!(
                        verify_inclusion(&leaves[i as usize], j, n as u64, &proof, &r).is_err()
                    );
                }
            }
            assert_eq!(
                inclusion_proof(&leaves, n as u64),
                Err(LogError::IndexOutOfRange {
                    index: n as u64,
                    size: n as u64
                })
            );
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_a_rewritten_history_does_not() {
        for n in 1..=33usize {
            let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
            let new_root = root(&leaves);
            for m in 1..=n {
                let old_root = root(&leaves[..m]);
                let proof = consistency_proof(&leaves, m as u64).unwrap();
                assert_eq!(
                    verify_consistency(m as u64, n as u64, &old_root, &new_root, &proof),
                    Ok(()),
                    "{m} -> {n}"
                );
                if m < n {
                    // The same new tree against an old head that was different.
                    let mut forged = leaves[..m].to_vec();
                    forged[0] = leaf_hash(b"reescrito");
                    assert!(
                        verify_consistency(m as u64, n as u64, &root(&forged), &new_root, &proof)
                            .is_err()
                    );
                }
            }
        }
    }

    #[test]
    fn proofs_of_the_reference_tree_have_the_rfc_lengths() {
        let leaves = ct_leaves();
        // RFC 6962 §2.1.3 example tree of 7 leaves.
        let seven = &leaves[..7];
        assert_eq!(inclusion_proof(seven, 0).unwrap().len(), 3);
        assert_eq!(inclusion_proof(seven, 6).unwrap().len(), 2);
        assert_eq!(consistency_proof(seven, 3).unwrap().len(), 4);
        assert_eq!(consistency_proof(seven, 4).unwrap().len(), 1);
        assert_eq!(consistency_proof(seven, 6).unwrap().len(), 3);
    }

    #[test]
    fn a_signed_tree_head_verifies_and_any_change_breaks_it() {
        let key = LogSigner::generate().unwrap();
        let signer = LogSigner::from_pkcs8(&key).unwrap();
        let verifier = LogVerifier::new(signer.public_key()).unwrap();
        let r = root(&ct_leaves());
        let head = signer.sign(8, &r, 1_795_000_000_000);
        assert_eq!(verifier.verify(&head), Ok(()));

        let mut bigger = head.clone();
        bigger.size = 9;
        assert_eq!(verifier.verify(&bigger), Err(LogError::BadSignature));
        let mut later = head.clone();
        later.timestamp += 1;
        assert_eq!(verifier.verify(&later), Err(LogError::BadSignature));
        let other = LogSigner::from_pkcs8(&LogSigner::generate().unwrap()).unwrap();
        let impostor = LogVerifier::new(other.public_key()).unwrap();
        assert_eq!(impostor.verify(&head), Err(LogError::BadSignature));
        let json = serde_json::to_string(&head).unwrap();
        let back: TreeHead = serde_json::from_str(&json).unwrap();
        assert_eq!(back, head);
    }

    #[test]
    fn an_openssl_pkcs8_v1_ed25519_key_loads_like_its_seed() {
        // `openssl genpkey -algorithm ed25519 -outform DER`: v1, seed only.
        let seed = [7u8; 32];
        let mut v1 = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        v1.extend_from_slice(&seed);
        let signer = LogSigner::from_pkcs8(&v1).unwrap();
        let expected = Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
        assert_eq!(signer.public_key(), expected.public_key().as_ref());
        assert!(LogSigner::from_pkcs8(&v1[..20]).is_err());
    }
}
