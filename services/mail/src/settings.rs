//! The mail service's settings: the `[mail]` section (`RUBRICA_MAIL__…`).

use std::path::PathBuf;

use rubrica_platform::config::Section;
use rubrica_platform::secret::Secret;
use serde::{Deserialize, Serialize};

/// Outgoing mail settings (the mail service's).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// The sender of every message, e.g. `Rúbrica <rubrica@itei.org.mx>`;
    /// its domain also names the messages (`Message-ID`, calendar UIDs).
    pub from: String,
    /// The SMTP server: `smtp://host:25` (plain), `smtp://host:587?tls=starttls`
    /// (STARTTLS required; `tls=opportunistic` to use it when offered),
    /// `smtps://host:465` (implicit TLS), with optional `user:password@`
    /// (percent-encoded) for AUTH and an optional path naming this client in
    /// EHLO (`smtps://host/rubrica.example.mx`). Absent: messages are written
    /// as `.eml` files to `outbox_dir`. A secret when it carries a password:
    /// set it with `RUBRICA_MAIL__SMTP_URL_FILE`.
    #[serde(deserialize_with = "smtp_url")]
    pub smtp_url: Option<Secret>,
    /// Folder of the `.eml` files when no SMTP server is configured; absent
    /// means `<data_dir>/mail/outbox`.
    pub outbox_dir: Option<PathBuf>,
    /// Messages delivered at the same time by each process (and the size of
    /// its pool of SMTP connections).
    pub concurrency: u32,
    /// How often the delivery worker looks for due messages and reminders
    /// when nothing wakes it.
    pub poll_interval_ms: u64,
    /// First retry delay after a transient failure (a 4xx reply, a
    /// connection error); it doubles on every attempt, with jitter.
    pub backoff_base_ms: u64,
    /// Ceiling of the retry delay.
    pub backoff_max_ms: u64,
    /// Attempts before a message is given up as failed (a dead letter the
    /// facilitator may retry).
    pub max_attempts: i64,
    /// How long a message being sent stays reserved for the worker that took
    /// it; after that (the process died) another one sends it again, with
    /// the same Message-ID. Must exceed `smtp_timeout_ms`.
    pub lease_ms: u64,
    /// Timeout of each step of the SMTP conversation.
    pub smtp_timeout_ms: u64,
    /// First reminder to a member who has not signed, this long after the
    /// invitation.
    pub reminder_delay_seconds: u64,
    /// Further reminders, this long after the previous one.
    pub reminder_interval_seconds: u64,
    /// Reminders per member and signing route, at most (0: none).
    pub max_reminders: i64,
    /// Largest attachment the service fetches and sends.
    pub attachment_max_bytes: u64,
}

/// Accepts only SMTP URLs the mail service can use, with a Spanish reason
/// otherwise (the URL itself is not repeated: it may carry a password).
fn smtp_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    let Some(url) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let url = url.trim().to_string();
    if url.is_empty() {
        return Ok(None);
    }
    let (scheme, rest) = url.split_once("://").unwrap_or(("", ""));
    let host = rest
        .split(['/', '?'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("");
    let tls = url
        .split_once('?')
        .map(|(_, query)| query)
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.strip_prefix("tls="))
        .next_back();
    let problem = if !matches!(scheme, "smtp" | "smtps") {
        Some("debe empezar con smtp:// o smtps://")
    } else if host.is_empty() || host.starts_with(':') {
        Some("no indica el servidor")
    } else if !matches!(tls, None | Some("starttls" | "required" | "opportunistic")) {
        Some("el parámetro tls solo admite starttls, required u opportunistic")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(serde::de::Error::custom(format!(
            "mail.smtp_url {problem} (por ejemplo smtp://correo.example.mx:587?tls=starttls o smtps://usuario:contraseña@correo.example.mx)"
        ))),
        None => Ok(Some(Secret::from(url))),
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            from: "Rúbrica <no-responder@rubrica.localhost>".into(),
            smtp_url: None,
            outbox_dir: None,
            concurrency: 4,
            poll_interval_ms: 1_000,
            backoff_base_ms: 30_000,
            backoff_max_ms: 60 * 60 * 1_000,
            max_attempts: 20,
            lease_ms: 5 * 60 * 1_000,
            smtp_timeout_ms: 60_000,
            reminder_delay_seconds: 48 * 60 * 60,
            reminder_interval_seconds: 48 * 60 * 60,
            max_reminders: 3,
            attachment_max_bytes: 25 * 1024 * 1024,
        }
    }
}

impl Section for MailSettings {
    const KEY: &'static str = "mail";
}
