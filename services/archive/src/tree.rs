//! The log's Merkle tree, kept in memory so proofs cost `O(log n)` instead
//! of rehashing the whole log on every request.
//!
//! `rubrica_translog` computes roots and proofs from the list of leaf hashes,
//! touching every leaf once per call: fine for tests and small logs, about
//! 100,000 hashes per request at 100k entries. Here the tree keeps every
//! *perfect* subtree it has completed (level `k` holds the roots of aligned
//! blocks of `2^k` leaves). In RFC 6962's recursion every left subtree is
//! such a block, and a right subtree is a block or a right edge made of
//! blocks, so any root or proof needs `O(log n)` lookups and at most
//! `O(log n)` fresh hashes along the right edge.
//!
//! Cost: two hashes (64 bytes) per leaf in memory — 6.4 MB at 100k
//! entries, 64 MB at a million; appending one leaf adds at most `log n`
//! nodes. The tree is built once per process from the database and then
//! extended as the log grows. Proofs are checked against the reference
//! functions of `rubrica_translog` in the tests below.

use rubrica_translog::{Hash, LogError, node_hash};

/// The log's leaves and every perfect subtree over them.
#[derive(Debug, Clone)]
pub struct MerkleTree {
    /// `levels[k][i]` is the root of leaves `i·2^k .. (i+1)·2^k`;
    /// `levels[0]` are the leaves themselves.
    levels: Vec<Vec<Hash>>,
}

impl Default for MerkleTree {
    fn default() -> Self {
        MerkleTree::new()
    }
}

/// The largest power of two strictly smaller than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        MerkleTree {
            levels: vec![Vec::new()],
        }
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Whether there are no leaves.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels[0].get(usize::try_from(index).ok()?).copied()
    }

    /// Appends a leaf hash, completing the perfect subtrees it closes.
    pub fn push(&mut self, leaf: Hash) {
        self.levels[0].push(leaf);
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let nodes = &self.levels[level];
            let parent = node_hash(&nodes[nodes.len() - 2], &nodes[nodes.len() - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
    }

    /// Drops every leaf from `len` on (and the subtrees that covered them).
    pub fn truncate(&mut self, len: u64) {
        for (level, nodes) in self.levels.iter_mut().enumerate() {
            nodes.truncate((len >> level) as usize);
        }
    }

    /// A stored perfect subtree, or the `extra` leaf just past the end.
    fn block(&self, start: u64, size: u64, extra: Option<&Hash>) -> Option<Hash> {
        let level = size.trailing_zeros() as usize;
        let stored = self
            .levels
            .get(level)
            .and_then(|nodes| nodes.get(usize::try_from(start >> level).ok()?))
            .copied();
        match stored {
            Some(hash) => Some(hash),
            None if size == 1 && start == self.len() => extra.copied(),
            None => None,
        }
    }

    /// The RFC 6962 root of leaves `start..end` (a subtree of the
    /// recursion), seeing `extra` as one more leaf after the last.
    fn subtree(&self, start: u64, end: u64, extra: Option<&Hash>) -> Option<Hash> {
        let size = end.checked_sub(start).filter(|s| *s > 0)?;
        if size.is_power_of_two()
            && start.is_multiple_of(size)
            && let Some(hash) = self.block(start, size, extra)
        {
            return Some(hash);
        }
        if size == 1 {
            return None;
        }
        let k = split(size);
        Some(node_hash(
            &self.subtree(start, start + k, extra)?,
            &self.subtree(start + k, end, extra)?,
        ))
    }

    /// The root of the first `size` leaves (`size` ≤ [`MerkleTree::len`]).
    pub fn root(&self, size: u64) -> Result<Hash, LogError> {
        if size > self.len() {
            return Err(LogError::BadSizes {
                old: size,
                new: self.len(),
            });
        }
        if size == 0 {
            return Ok(rubrica_translog::root(&[]));
        }
        self.subtree(0, size, None).ok_or(LogError::ProofLength)
    }

    /// The root the tree would have with `leaf` appended, without appending
    /// it (the head to sign before the new entry is committed).
    pub fn root_with(&self, leaf: &Hash) -> Hash {
        self.subtree(0, self.len() + 1, Some(leaf))
            // Unreachable: every block left of the new leaf is stored.
            .unwrap_or_else(|| {
                let mut leaves = self.levels[0].clone();
                leaves.push(*leaf);
                rubrica_translog::root(&leaves)
            })
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves
    /// (RFC 6962 §2.1.1).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogError> {
        if size > self.len() {
            return Err(LogError::BadSizes {
                old: size,
                new: self.len(),
            });
        }
        if index >= size {
            return Err(LogError::IndexOutOfRange { index, size });
        }
        let mut proof = Vec::new();
        let (mut start, mut end) = (0, size);
        // Walk down from the root, collecting the siblings; the path lists
        // them from the leaf up, hence the reverse.
        while end - start > 1 {
            let k = split(end - start);
            if index < start + k {
                proof.push(self.subtree(start + k, end, None));
                end = start + k;
            } else {
                proof.push(self.subtree(start, start + k, None));
                start += k;
            }
        }
        proof.reverse();
        proof
            .into_iter()
            .map(|h| h.ok_or(LogError::ProofLength))
            .collect()
    }

    /// Proof that the first `old` leaves are a prefix of the first `new`
    /// (RFC 6962 §2.1.2).
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LogError> {
        if old == 0 || old > new || new > self.len() {
            return Err(LogError::BadSizes { old, new });
        }
        let mut proof = Vec::new();
        let (mut m, mut start, end_of_new) = (old, 0u64, new);
        let mut end = end_of_new;
        let mut complete = true;
        // SUBPROOF(m, D[start..end], complete), unrolled: siblings are
        // collected top-down and reversed at the end.
        let mut siblings = Vec::new();
        loop {
            let size = end - start;
            if m == size {
                if !complete {
                    siblings.push(self.subtree(start, end, None));
                }
                break;
            }
            let k = split(size);
            if m <= k {
                siblings.push(self.subtree(start + k, end, None));
                end = start + k;
            } else {
                siblings.push(self.subtree(start, start + k, None));
                m -= k;
                start += k;
                complete = false;
            }
        }
        siblings.reverse();
        for hash in siblings {
            proof.push(hash.ok_or(LogError::ProofLength)?);
        }
        Ok(proof)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rubrica_translog::{
        consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency, verify_inclusion,
    };

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn tree_of(leaves: &[Hash]) -> MerkleTree {
        let mut tree = MerkleTree::new();
        for leaf in leaves {
            tree.push(*leaf);
        }
        tree
    }

    #[test]
    fn roots_match_the_reference_for_every_prefix() {
        let all = leaves(70);
        let tree = tree_of(&all);
        for size in 0..=70u64 {
            assert_eq!(
                tree.root(size).unwrap(),
                root(&all[..size as usize]),
                "size {size}"
            );
        }
        assert!(tree.root(71).is_err());
    }

    #[test]
    fn the_root_with_one_more_leaf_is_the_root_after_pushing_it() {
        let all = leaves(40);
        for n in 0..40usize {
            let tree = tree_of(&all[..n]);
            assert_eq!(tree.root_with(&all[n]), root(&all[..=n]), "size {}", n + 1);
        }
    }

    #[test]
    fn inclusion_proofs_are_the_reference_proofs_and_verify() {
        let all = leaves(45);
        let tree = tree_of(&all);
        for size in 1..=45u64 {
            let prefix = &all[..size as usize];
            let r = root(prefix);
            for index in 0..size {
                let proof = tree.inclusion_proof(index, size).unwrap();
                assert_eq!(proof, inclusion_proof(prefix, index).unwrap());
                verify_inclusion(&all[index as usize], index, size, &proof, &r).unwrap();
            }
            assert!(tree.inclusion_proof(size, size).is_err());
        }
    }

    #[test]
    fn consistency_proofs_are_the_reference_proofs_and_verify() {
        let all = leaves(37);
        let tree = tree_of(&all);
        for new in 1..=37u64 {
            let prefix = &all[..new as usize];
            for old in 1..=new {
                let proof = tree.consistency_proof(old, new).unwrap();
                assert_eq!(
                    proof,
                    consistency_proof(prefix, old).unwrap(),
                    "{old} -> {new}"
                );
                verify_consistency(old, new, &root(&all[..old as usize]), &root(prefix), &proof)
                    .unwrap();
            }
        }
        assert!(tree.consistency_proof(0, 3).is_err());
        assert!(tree.consistency_proof(4, 3).is_err());
        assert!(tree.consistency_proof(3, 38).is_err());
    }

    #[test]
    fn truncating_forgets_the_leaves_and_their_subtrees() {
        let all = leaves(20);
        let mut tree = tree_of(&all);
        tree.truncate(13);
        assert_eq!(tree.len(), 13);
        assert_eq!(tree.root(13).unwrap(), root(&all[..13]));
        tree.push(all[13]);
        assert_eq!(tree.root(14).unwrap(), root(&all[..14]));
    }
}
