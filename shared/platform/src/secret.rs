//! Secrets in settings: tokens, passwords, keys and URLs that carry
//! credentials. They come from the environment or a file (`…_FILE`), never
//! from the repository, and are never printed: [`Secret`]'s `Debug` and
//! `Serialize` show `«oculto»` (a URL shows its scheme, user and host with the
//! password replaced), so logging a settings struct or dumping it cannot leak
//! one. The value is read only through [`Secret::expose`], where it is used.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// What a secret looks like wherever it is shown.
pub const HIDDEN: &str = "«oculto»";

/// A secret setting. See the module documentation.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, to use it (send it, compare it, derive a key).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty text.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How the secret may be shown: a URL without its password, anything
    /// else as `«oculto»`.
    pub fn shown(&self) -> String {
        if self.0.contains("://") {
            crate::db::redact_url(&self.0)
        } else {
            HIDDEN.to_string()
        }
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.shown())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.shown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_never_printed_or_serialised() {
        let token = Secret::from("s3cr3t-0123456789abcdef");
        assert_eq!(token.expose(), "s3cr3t-0123456789abcdef");
        let debug = format!("{token:?} {:?}", Some(&token));
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("«oculto»"), "{debug}");
        let json = serde_json::to_string(&token).unwrap();
        assert_eq!(json, "\"«oculto»\"");
    }

    #[test]
    fn a_url_shows_where_it_points_but_not_its_password() {
        let url = Secret::from("postgres://rubrica:hunter2@db:5432/rubrica");
        let debug = format!("{url:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(
            debug.contains("postgres://rubrica:***@db:5432/rubrica"),
            "{debug}"
        );
    }

    #[test]
    fn it_is_read_from_settings_as_a_plain_string() {
        let token: Secret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(token, Secret::from("abc"));
    }
}
