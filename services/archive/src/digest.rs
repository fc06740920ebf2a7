//! SHA-256 values as the archive receives them from outside: parsed once, at
//! the edge, into [`Sha256`]; inside, a `Sha256` is always 32 bytes.

use std::fmt;

use sha2::Digest;

/// The SHA-256 of an object's bytes: its address in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256([u8; 32]);

/// A text that is not a SHA-256 in hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "«{0}» no es un SHA-256: escriba los 64 caracteres hexadecimales de la huella (0-9, a-f), por ejemplo el resultado de «sha256sum ARCHIVO»"
)]
pub struct NotASha256(pub String);

impl Sha256 {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256 {
        Sha256(sha2::Sha256::digest(bytes).into())
    }

    /// Parses 64 hex characters (either case; surrounding spaces ignored).
    pub fn parse(text: &str) -> Result<Sha256, NotASha256> {
        let trimmed = text.trim();
        let refuse = || NotASha256(shorten(trimmed));
        if trimmed.len() != 64 {
            return Err(refuse());
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(trimmed, &mut bytes).map_err(|_| refuse())?;
        Ok(Sha256(bytes))
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, as stored and shown.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Where the object lives in the object store: `sha256/ab/cd/abcd…`, so
    /// no folder of a local store holds more than a few thousand entries.
    pub fn object_path(&self) -> String {
        let hex = self.hex();
        format!("sha256/{}/{}/{hex}", &hex[..2], &hex[2..4])
    }
}

impl From<[u8; 32]> for Sha256 {
    fn from(bytes: [u8; 32]) -> Self {
        Sha256(bytes)
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

/// At most 80 characters of a text echoed back in a message.
pub(crate) fn shorten(text: &str) -> String {
    if text.chars().count() <= 80 {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(80).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_round_trips_through_hex_in_either_case() {
        let digest = Sha256::of(b"acta");
        assert_eq!(Sha256::parse(&digest.hex()), Ok(digest));
        assert_eq!(Sha256::parse(&digest.hex().to_uppercase()), Ok(digest));
        assert_eq!(
            Sha256::of(b"").hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn anything_else_is_refused_with_a_spanish_message() {
        for bad in ["", "abc", &"g".repeat(64), &"a".repeat(65)] {
            let err = Sha256::parse(bad).unwrap_err().to_string();
            assert!(err.contains("64 caracteres"), "{err}");
        }
    }

    #[test]
    fn objects_are_spread_over_two_levels_of_folders() {
        let digest = Sha256::of(b"");
        assert_eq!(
            digest.object_path(),
            "sha256/e3/b0/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
