//! SHA-256 values in the archive: the suite's one digest type
//! ([`rubrica_fiel::digest`]), parsed once at the edge; inside, a
//! [`Digest32`] is always 32 bytes. This module adds only where an object
//! lives in the object store.

pub use rubrica_fiel::digest::{Digest32, NotASha256, Sha256, shorten};

/// Where the object lives in the object store: `sha256/ab/cd/abcd…`, so no
/// folder of a local store holds more than a few thousand entries.
pub fn object_path(sha256: &Digest32) -> String {
    let hex = sha256.to_hex();
    format!("sha256/{}/{}/{hex}", &hex[..2], &hex[2..4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_round_trips_through_hex_in_either_case() {
        let digest = Sha256::digest(b"acta");
        assert_eq!(Digest32::parse(&digest.to_hex()), Ok(digest));
        assert_eq!(Digest32::parse(&digest.to_hex().to_uppercase()), Ok(digest));
        assert_eq!(
            Sha256::digest(b"").to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn anything_else_is_refused_with_a_spanish_message() {
        for bad in ["", "abc", &"g".repeat(64), &"a".repeat(65)] {
            let err = Digest32::parse(bad).unwrap_err().to_string();
            assert!(err.contains("64 caracteres"), "{err}");
        }
    }

    #[test]
    fn objects_are_spread_over_two_levels_of_folders() {
        assert_eq!(
            object_path(&Sha256::digest(b"")),
            "sha256/e3/b0/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
