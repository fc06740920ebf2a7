//! How messages leave: an SMTP server (pooled connections, rustls) or, as
//! the embedded default, a folder of `.eml` files a person can open.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::settings::MailSettings;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// Why an attempt failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// A 4xx reply, a connection error, a timeout: retried with backoff.
    Transient { code: Option<u16>, detail: String },
    /// A 5xx reply or a message that can never be sent: given up.
    Permanent { code: Option<u16>, detail: String },
}

impl SendError {
    pub fn code(&self) -> Option<u16> {
        match self {
            SendError::Transient { code, .. } | SendError::Permanent { code, .. } => *code,
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            SendError::Transient { detail, .. } | SendError::Permanent { detail, .. } => detail,
        }
    }

    pub fn transient(detail: impl Into<String>) -> SendError {
        SendError::Transient {
            code: None,
            detail: detail.into(),
        }
    }

    pub fn permanent(detail: impl Into<String>) -> SendError {
        SendError::Permanent {
            code: None,
            detail: detail.into(),
        }
    }
}

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP server, through a pool of connections reused across messages.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// `smtps://correo.example.mx:465`, without credentials: for logs.
        description: String,
    },
    /// `<dir>/<message id>.eml`, written atomically.
    Folder { dir: PathBuf },
    /// The configured SMTP URL cannot be used: every attempt fails with this
    /// reason (transient, so messages wait for the configuration to be fixed).
    Misconfigured { reason: String },
}

impl Transport {
    /// The transport the settings ask for.
    pub fn from_settings(settings: &MailSettings, data_dir: &Path) -> Transport {
        let Some(url) = settings.smtp_url.as_ref().map(|s| s.expose()) else {
            return Transport::Folder {
                dir: settings
                    .outbox_dir
                    .clone()
                    .unwrap_or_else(|| crate::outbox_folder::outbox_dir(data_dir)),
            };
        };
        // `tls=starttls` is our name for lettre's `tls=required`.
        let url = url.replace("tls=starttls", "tls=required");
        let description = describe(&url);
        match AsyncSmtpTransport::<Tokio1Executor>::from_url(&url) {
            Ok(builder) => Transport::Smtp {
                transport: builder
                    .timeout(Some(Duration::from_millis(settings.smtp_timeout_ms)))
                    .pool_config(
                        PoolConfig::new()
                            .max_size(settings.concurrency.max(1))
                            .idle_timeout(Duration::from_secs(60)),
                    )
                    .build(),
                description,
            },
            Err(e) => Transport::Misconfigured {
                reason: format!(
                    "la URL del servidor SMTP ({description}) no se puede usar: {e}. Corrija mail.smtp_url y reinicie el servicio"
                ),
            },
        }
    }

    /// Where messages go, safe to show (no password).
    pub fn description(&self) -> String {
        match self {
            Transport::Smtp { description, .. } => description.clone(),
            Transport::Folder { dir } => format!("carpeta {}", dir.display()),
            Transport::Misconfigured { reason } => format!("sin transporte: {reason}"),
        }
    }

    /// Hands one formatted message to the server (or the folder). `name` is
    /// the file name in the folder: the message's row id.
    pub async fn send(
        &self,
        name: &str,
        envelope: &lettre::address::Envelope,
        message: Vec<u8>,
    ) -> Result<String, SendError> {
        match self {
            Transport::Smtp {
                transport,
                description,
            } => match transport.send_raw(envelope, &message).await {
                Ok(response) => Ok(format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                )),
                Err(e) => Err(classify(&e, description)),
            },
            Transport::Folder { dir } => {
                let dir = dir.clone();
                let name = name.to_string();
                let written = tokio::task::spawn_blocking(move || {
                    crate::outbox_folder::write_message(&dir, &name, &message)
                })
                .await
                .map_err(|e| SendError::transient(format!("la escritura se interrumpió: {e}")))?;
                match written {
                    Ok(path) => Ok(format!("escrito en {}", path.display())),
                    Err(e) => Err(SendError::transient(format!(
                        "no se pudo escribir el mensaje en la carpeta de salida: {e}. Revise el espacio y los permisos"
                    ))),
                }
            }
            Transport::Misconfigured { reason } => Err(SendError::transient(reason.clone())),
        }
    }
}

/// Sorts an SMTP failure: 5xx is permanent; 4xx, connection problems,
/// timeouts and TLS failures are transient (the next attempt may succeed,
/// and a configuration mistake becomes a dead letter after the configured
/// attempts rather than at once).
fn classify(error: &lettre::transport::smtp::Error, server: &str) -> SendError {
    let code = error.status().map(|c| {
        let text = c.to_string();
        text.parse::<u16>().unwrap_or_default()
    });
    if error.is_permanent() {
        SendError::Permanent {
            code,
            detail: format!(
                "el servidor SMTP ({server}) rechazó el mensaje de forma definitiva: {error}. Revise la dirección del destinatario; reintente cuando esté corregida"
            ),
        }
    } else if error.is_transient() {
        SendError::Transient {
            code,
            detail: format!(
                "el servidor SMTP ({server}) no aceptó el mensaje por ahora: {error}; se reintentará"
            ),
        }
    } else if error.is_timeout() {
        SendError::transient(format!(
            "el servidor SMTP ({server}) no respondió a tiempo; se reintentará"
        ))
    } else if error.is_tls() {
        SendError::transient(format!(
            "no se pudo establecer TLS con el servidor SMTP ({server}): {error}. Revise mail.smtp_url (smtps:// o tls=starttls) y el certificado del servidor"
        ))
    } else {
        SendError::transient(format!(
            "no se pudo hablar con el servidor SMTP ({server}): {error}; se reintentará"
        ))
    }
}

/// `scheme://host:port` of an SMTP URL, without user, password or query.
fn describe(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("smtp", url));
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let tls = if url.contains("tls=required") {
        " (STARTTLS)"
    } else if url.contains("tls=opportunistic") {
        " (STARTTLS si se ofrece)"
    } else {
        ""
    };
    format!("{scheme}://{host}{tls}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_never_shows_the_password() {
        assert_eq!(
            describe("smtps://rubrica:s3cr3t@correo.itei.org.mx:465/rubrica.itei.org.mx"),
            "smtps://correo.itei.org.mx:465"
        );
        assert_eq!(
            describe("smtp://correo:587?tls=required"),
            "smtp://correo:587 (STARTTLS)"
        );
    }

    #[tokio::test]
    async fn smtp_urls_of_every_kind_build_a_transport() {
        let mut settings = MailSettings::default();
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://usuario:contrase%C3%B1a@correo.example.mx:587?tls=starttls",
            "smtp://correo.example.mx?tls=opportunistic",
            "smtps://correo.example.mx",
        ] {
            settings.smtp_url = Some(url.into());
            let transport = Transport::from_settings(&settings, Path::new("/tmp"));
            assert!(
                matches!(transport, Transport::Smtp { .. }),
                "{url}: {}",
                transport.description()
            );
            assert!(!transport.description().contains("contrase"));
        }
        settings.smtp_url = None;
        assert!(matches!(
            Transport::from_settings(&settings, Path::new("/datos")),
            Transport::Folder { dir } if dir == Path::new("/datos/mail/outbox")
        ));
    }
}
