//! SHA-256 for the suite, on ring.
//!
//! One small type so every crate hashes the same way: certificate fingerprints,
//! the bytes a member signs, PDF revisions, archive objects.
//!
//! ```
//! use rubrica_fiel::digest::Sha256;
//!
//! let once = Sha256::digest(b"acta firmada");
//! let mut hasher = Sha256::new();
//! hasher.update(b"acta ");
//! hasher.update(b"firmada");
//! assert_eq!(hasher.finalize(), once);
//! assert_eq!(Sha256::new().chain_update(b"acta firmada").finalize(), once);
//! assert_eq!(once.to_hex().len(), 64);
//! ```

use std::fmt;

use ring::digest::{Context, SHA256};

/// An incremental SHA-256 computation.
#[derive(Clone)]
pub struct Sha256 {
    context: Context,
}

impl Sha256 {
    /// Starts an empty hash.
    pub fn new() -> Self {
        Self {
            context: Context::new(&SHA256),
        }
    }

    /// SHA-256 of `data` in one call.
    pub fn digest(data: impl AsRef<[u8]>) -> Digest32 {
        Digest32::from_ring(&ring::digest::digest(&SHA256, data.as_ref()))
    }

    /// Feeds more bytes.
    pub fn update(&mut self, data: impl AsRef<[u8]>) {
        self.context.update(data.as_ref());
    }

    /// Feeds more bytes and returns the hasher, for one-expression hashing:
    /// `Sha256::new().chain_update(a).chain_update(b).finalize()`.
    #[must_use]
    pub fn chain_update(mut self, data: impl AsRef<[u8]>) -> Self {
        self.update(data);
        self
    }

    /// The digest of everything fed so far.
    pub fn finalize(self) -> Digest32 {
        Digest32::from_ring(&self.context.finish())
    }
}

impl Default for Sha256 {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sha256")
    }
}

/// Hashes whatever is written, e.g. `std::io::copy(&mut file, &mut hasher)`.
impl std::io::Write for Sha256 {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A 32-byte digest (SHA-256).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest32([u8; 32]);

impl Digest32 {
    fn from_ring(digest: &ring::digest::Digest) -> Self {
        let mut bytes = [0; 32];
        bytes.copy_from_slice(digest.as_ref());
        Self(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The raw bytes, by value.
    pub fn into_bytes(self) -> [u8; 32] {
        self.0
    }

    /// Lowercase hex, 64 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex characters (either case; surrounding spaces ignored),
    /// as people paste a digest from `sha256sum` or a web page.
    pub fn parse(text: &str) -> Result<Digest32, NotASha256> {
        let trimmed = text.trim();
        let refuse = || NotASha256(shorten(trimmed));
        if trimmed.len() != 64 {
            return Err(refuse());
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(trimmed, &mut bytes).map_err(|_| refuse())?;
        Ok(Digest32(bytes))
    }
}

/// A text that is not a SHA-256 in hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "«{0}» no es un SHA-256: escriba los 64 caracteres hexadecimales de la huella (0-9, a-f), por ejemplo el resultado de «sha256sum ARCHIVO»"
)]
pub struct NotASha256(pub String);

/// At most 80 characters of a text echoed back in a message.
pub fn shorten(text: &str) -> String {
    if text.chars().count() <= 80 {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(80).collect::<String>())
    }
}

impl From<[u8; 32]> for Digest32 {
    fn from(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl From<Digest32> for [u8; 32] {
    fn from(digest: Digest32) -> Self {
        digest.0
    }
}

impl AsRef<[u8]> for Digest32 {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Lowercase hex.
impl fmt::Display for Digest32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest32({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FIPS 180-2 test vectors.
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const TWO_BLOCKS: &str = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

    #[test]
    fn known_answers() {
        assert_eq!(Sha256::digest(b"abc").to_hex(), ABC);
        assert_eq!(Sha256::digest([]).to_hex(), EMPTY);
        assert_eq!(Sha256::new().finalize().to_hex(), EMPTY);
        assert_eq!(
            Sha256::digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").to_hex(),
            TWO_BLOCKS
        );
    }

    #[test]
    fn incremental_equals_one_shot_at_every_split() {
        let data: Vec<u8> = (0..200u8).collect();
        let once = Sha256::digest(&data);
        for split in 0..=data.len() {
            let mut hasher = Sha256::new();
            hasher.update(&data[..split]);
            hasher.update(&data[split..]);
            assert_eq!(hasher.finalize(), once, "split at {split}");
        }
        let chained = Sha256::new()
            .chain_update(&data[..64])
            .chain_update(&data[64..])
            .finalize();
        assert_eq!(chained, once);
        let mut written = Sha256::new();
        std::io::copy(&mut &data[..], &mut written).unwrap();
        assert_eq!(written.finalize(), once);
    }

    #[test]
    fn bytes_hex_and_display_agree() {
        let d = Sha256::digest(b"abc");
        assert_eq!(hex::encode(d.as_bytes()), ABC);
        assert_eq!(d.to_string(), ABC);
        assert_eq!(format!("{d:?}"), format!("Digest32({ABC})"));
        let bytes: [u8; 32] = d.into();
        assert_eq!(Digest32::from(bytes), d);
        assert_eq!(d.into_bytes(), bytes);
        assert_eq!(d.as_ref(), &bytes[..]);
    }
}
