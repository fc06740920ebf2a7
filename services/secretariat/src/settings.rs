//! The secretariat's own settings: the `[terms]` section
//! (`RUBRICA_TERMS__…`), the daily pass over terms ending (000 III.7).

use rubrica_platform::config::Section;
use serde::{Deserialize, Serialize};

/// Reminders of terms ending (used by the secretariat).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TermsSettings {
    /// A term ending within this many days of the secretariat's local date
    /// is reminded to its holder and the President (`term.ending`), once.
    pub reminder_window_days: u32,
    /// How often the secretariat looks for terms ending (once a day by default).
    pub pass_interval_seconds: u64,
}

impl Default for TermsSettings {
    fn default() -> Self {
        TermsSettings {
            reminder_window_days: 30,
            pass_interval_seconds: 24 * 60 * 60,
        }
    }
}

impl Section for TermsSettings {
    const KEY: &'static str = "terms";
}
