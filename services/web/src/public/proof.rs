//! The archive's inclusion proofs, checked here rather than believed: the
//! leaf is recomputed from the document's SHA-256, the audit path (RFC 6962
//! §2.1.1, as RFC 9162 §2.1.3.2 verifies it) must lead to the signed head's
//! root, and the head's Ed25519 signature must verify over the bytes it
//! names. The result is explained in plain Spanish.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rubrica_fiel::digest::Sha256;
use serde_json::{Value, json};

const LEAF_LABEL: &[u8] = b"rubrica-archivo-v1\n";
const HEAD_LABEL: &[u8] = b"rubrica-registro-v1\n";

fn hex32(value: &Value) -> Option<[u8; 32]> {
    let bytes = hex::decode(value.as_str()?).ok()?;
    bytes.try_into().ok()
}

fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// RFC 9162 §2.1.3.2: the root an audit path leads to.
fn root_from_path(index: u64, size: u64, leaf: [u8; 32], path: &[[u8; 32]]) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut fn_, mut sn, mut r) = (index, size - 1, leaf);
    for p in path {
        if sn == 0 {
            return None;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    (sn == 0).then_some(r)
}

/// What each check found, or the first thing that failed.
fn check(inclusion: &Value) -> Result<(), &'static str> {
    let entry = &inclusion["entry"];
    let head = &inclusion["tree_head"];
    let sha = hex32(&entry["sha256"]).ok_or("la entrada no trae una huella SHA-256")?;
    let created_at = entry["created_at"]
        .as_i64()
        .ok_or("la entrada no trae su fecha")?;
    let kind = entry["kind"].as_str().unwrap_or_default();
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(LEAF_LABEL);
    h.update(sha);
    h.update(created_at.to_be_bytes());
    h.update(kind.as_bytes());
    let leaf: [u8; 32] = h.finalize().into();
    if hex32(&entry["leaf_hash"]) != Some(leaf) {
        return Err("la hoja del registro no corresponde a la huella del documento");
    }
    let path: Option<Vec<[u8; 32]>> = inclusion["proof"]
        .as_array()
        .map(|p| p.iter().map(hex32).collect::<Option<Vec<_>>>())
        .unwrap_or(Some(Vec::new()));
    let path = path.ok_or("la ruta de la prueba no es hexadecimal de 32 bytes")?;
    let index = entry["index"]
        .as_u64()
        .ok_or("la entrada no trae su posición")?;
    let size = head["tree_size"]
        .as_u64()
        .ok_or("la cabeza no trae su tamaño")?;
    let root = hex32(&head["root_hash"]).ok_or("la cabeza no trae su raíz")?;
    if root_from_path(index, size, leaf, &path) != Some(root) {
        return Err("la prueba de inclusión no lleva a la raíz de la cabeza firmada");
    }
    let timestamp = head["timestamp"]
        .as_u64()
        .ok_or("la cabeza no trae su fecha")?;
    let mut signed = HEAD_LABEL.to_vec();
    signed.extend_from_slice(&size.to_be_bytes());
    signed.extend_from_slice(&timestamp.to_be_bytes());
    signed.extend_from_slice(&root);
    let key = head["public_key"]
        .as_str()
        .and_then(|k| hex::decode(k).ok())
        .ok_or("la cabeza no trae su llave pública")?;
    let signature = head["signature"]
        .as_str()
        .and_then(|s| BASE64.decode(s).ok())
        .ok_or("la cabeza no trae su firma")?;
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key)
        .verify(&signed, &signature)
        .map_err(|_| "la firma Ed25519 de la cabeza del registro no es válida")
}

/// The inclusion proof explained: `{ok, text, index, tree_size, root_hash,
/// public_key}`.
pub(crate) fn explain(inclusion: &Value, minutes: i64) -> Value {
    let head = &inclusion["tree_head"];
    let index = inclusion["entry"]["index"].as_u64();
    let size = head["tree_size"].as_u64();
    let when = head["timestamp"]
        .as_i64()
        .map(|ms| super::long_instant(ms, minutes))
        .unwrap_or_default();
    let (ok, text) = match check(inclusion) {
        Ok(()) => (
            true,
            format!(
                "Este sitio comprobó que el documento está en la posición {} del registro de transparencia: su prueba de inclusión lleva a la raíz de la cabeza de {} entradas firmada el {when}, y la firma Ed25519 de esa cabeza es válida con la llave pública {} del archivo. Nadie puede quitarlo ni cambiarlo sin que se note.",
                index.unwrap_or_default(),
                size.unwrap_or_default(),
                head["public_key"].as_str().unwrap_or_default()
            ),
        ),
        Err(why) => (
            false,
            format!(
                "Este sitio NO pudo comprobar la inclusión del documento en el registro de transparencia: {why}. No confíe en este registro hasta que se aclare; avise al secretariado."
            ),
        ),
    };
    json!({
        "ok": ok,
        "text": text,
        "index": index,
        "tree_size": size,
        "root_hash": head["root_hash"],
        "public_key": head["public_key"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(n: u8) -> [u8; 32] {
        Sha256::digest([n]).into()
    }

    #[test]
    fn an_audit_path_leads_to_the_root_only_for_its_own_leaf() {
        // A tree of five leaves: root = H(H(H(0,1),H(2,3)), 4).
        let l: Vec<[u8; 32]> = (0..5).map(leaf).collect();
        let n01 = node(&l[0], &l[1]);
        let n23 = node(&l[2], &l[3]);
        let n0123 = node(&n01, &n23);
        let root = node(&n0123, &l[4]);
        assert_eq!(root_from_path(2, 5, l[2], &[l[3], n01, l[4]]), Some(root));
        assert_eq!(root_from_path(4, 5, l[4], &[n0123]), Some(root));
        assert_ne!(root_from_path(2, 5, l[1], &[l[3], n01, l[4]]), Some(root));
        assert_eq!(root_from_path(5, 5, l[4], &[n0123]), None);
    }

    #[test]
    fn a_proof_that_does_not_check_is_said_not_to() {
        let explained = explain(
            &json!({
                "entry": { "index": 0, "sha256": "00".repeat(32), "created_at": 1, "kind": "acta", "leaf_hash": "11".repeat(32) },
                "tree_size": 1, "proof": [],
                "tree_head": { "tree_size": 1, "root_hash": "11".repeat(32), "timestamp": 1, "signature": "", "public_key": "" },
            }),
            -360,
        );
        assert_eq!(explained["ok"], false);
        assert!(
            explained["text"]
                .as_str()
                .unwrap()
                .contains("NO pudo comprobar")
        );
    }
}
