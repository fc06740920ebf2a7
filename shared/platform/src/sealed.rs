//! Secrets that must cross a stored event — a one-time link's token going
//! from the secretariat to the mail service — are **sealed**: AES-256-GCM
//! under a key derived (HKDF-SHA256) from the suite's internal token and the
//! secret's purpose. A copy of the outbox, or of a database backup, then
//! holds no usable credential; only a process holding the internal token
//! (kept in the environment or a file, never in the database) opens it
//! (issue 15, finding 11).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf::{HKDF_SHA256, Salt};
use ring::rand::{SecureRandom, SystemRandom};

/// Why a sealed secret could not be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("no hay token interno con qué sellar o abrir el secreto")]
    NoKey,
    #[error("el secreto sellado no se pudo abrir: se selló con otro token interno o fue alterado")]
    Unreadable,
}

fn key(internal_token: &str, purpose: &str) -> Result<LessSafeKey, SealError> {
    if internal_token.is_empty() {
        return Err(SealError::NoKey);
    }
    let info = [purpose.as_bytes()];
    let prk = Salt::new(HKDF_SHA256, b"rubrica-sellado-v1").extract(internal_token.as_bytes());
    let okm = prk
        .expand(&info, &AES_256_GCM)
        .map_err(|_| SealError::NoKey)?;
    let unbound = UnboundKey::from(okm);
    Ok(LessSafeKey::new(unbound))
}

/// Seals `secret` for `purpose`: base64 of nonce ‖ ciphertext ‖ tag.
pub fn seal(internal_token: &str, purpose: &str, secret: &str) -> Result<String, SealError> {
    let key = key(internal_token, purpose)?;
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| SealError::NoKey)?;
    let mut data = secret.as_bytes().to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(purpose.as_bytes()),
        &mut data,
    )
    .map_err(|_| SealError::Unreadable)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&data);
    Ok(BASE64.encode(out))
}

/// Opens what [`seal`] made for the same `purpose` and internal token.
pub fn open(internal_token: &str, purpose: &str, sealed: &str) -> Result<String, SealError> {
    let key = key(internal_token, purpose)?;
    let bytes = BASE64
        .decode(sealed.trim())
        .map_err(|_| SealError::Unreadable)?;
    if bytes.len() < NONCE_LEN {
        return Err(SealError::Unreadable);
    }
    let (nonce, rest) = bytes.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Unreadable)?;
    let mut data = rest.to_vec();
    let plain = key
        .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut data)
        .map_err(|_| SealError::Unreadable)?;
    String::from_utf8(plain.to_vec()).map_err(|_| SealError::Unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_the_same_token_and_purpose() {
        let token = "un-token-interno-de-prueba-suficientemente-largo";
        let sealed = seal(token, "enlace", "rubrica-enlace-abc").unwrap();
        assert!(!sealed.contains("rubrica-enlace-abc"));
        assert_eq!(
            open(token, "enlace", &sealed).unwrap(),
            "rubrica-enlace-abc"
        );
        assert_eq!(
            open("otro-token", "enlace", &sealed),
            Err(SealError::Unreadable)
        );
        assert_eq!(open(token, "otro", &sealed), Err(SealError::Unreadable));
        assert_ne!(
            seal(token, "enlace", "x").unwrap(),
            seal(token, "enlace", "x").unwrap()
        );
        let mut tampered = BASE64.decode(&sealed).unwrap();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            open(token, "enlace", &BASE64.encode(tampered)),
            Err(SealError::Unreadable)
        );
        assert_eq!(seal("", "enlace", "x"), Err(SealError::NoKey));
    }
}
