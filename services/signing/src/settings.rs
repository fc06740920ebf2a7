//! The signing service's settings: the `[signing]` section
//! (`RUBRICA_SIGNING__…`).

use rubrica_platform::config::Section;
use serde::{Deserialize, Serialize};

/// Signing routes (used by the signing service). Its trust anchors are
/// `auth.trust_anchors_dir`: the same SAT roots decide FIEL logins and
/// signatures.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigningSettings {
    /// How long a prepared signature (the bytes a member signs) stays
    /// usable; after that `complete` refuses it and the member prepares again.
    pub prepare_ttl_seconds: u64,
    /// Largest PDF accepted to open a route or to verify, in bytes.
    pub max_pdf_bytes: usize,
    /// `/Location` written in every signature (e.g. "Guadalajara, Jalisco").
    pub location: Option<String>,
}

impl Default for SigningSettings {
    fn default() -> Self {
        SigningSettings {
            prepare_ttl_seconds: 15 * 60,
            max_pdf_bytes: 32 * 1024 * 1024,
            location: None,
        }
    }
}

impl Section for SigningSettings {
    const KEY: &'static str = "signing";
}
