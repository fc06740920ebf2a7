//! A queued message turned into MIME: text and HTML alternatives (and the
//! calendar invitation beside them), attachments, and the headers that give
//! it a stable identity.
//!
//! Layout (what calendar clients expect, e.g. Google Calendar's own):
//! `multipart/mixed { multipart/alternative { text/plain, text/html,
//! text/calendar; method=… }, application/pdf…, application/ics }`, or just
//! the alternative when nothing is attached.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use crate::settings::MailSettings;
use lettre::address::Envelope;
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

use crate::contracts::DocumentRef;
use crate::model::StoredMessage;
use crate::transport::SendError;

/// Who the messages come from.
#[derive(Debug, Clone)]
pub struct Sender {
    pub from: Mailbox,
    /// The sender's domain: names Message-IDs and calendar UIDs.
    pub domain: String,
}

impl Sender {
    /// The configured sender (`mail.from`), or why it cannot be used.
    pub fn from_settings(settings: &MailSettings) -> Result<Sender, String> {
        let from: Mailbox = settings.from.parse().map_err(|e| {
            format!(
                "el remitente configurado en mail.from («{}») no es una dirección válida ({e}); use por ejemplo «Rúbrica <rubrica@itei.org.mx>»",
                settings.from
            )
        })?;
        let domain = from.email.domain().to_string();
        Ok(Sender { from, domain })
    }

    /// A new Message-ID in this sender's domain.
    pub fn message_id(&self, id: &str) -> String {
        format!("<{}@{}>", id.replace('-', ""), self.domain)
    }
}

/// The checked address of a recipient, or why there is none.
pub fn address(email: Option<&str>) -> Result<Address, String> {
    let email = email.map(str::trim).filter(|e| !e.is_empty()).ok_or_else(|| {
        "no tiene correo registrado en el Secretariado; regístrelo y reintente el mensaje indicando la dirección".to_string()
    })?;
    email.parse::<Address>().map_err(|_| {
        format!(
            "la dirección registrada «{email}» no es válida; corríjala en el Secretariado y reintente el mensaje indicando la dirección correcta"
        )
    })
}

/// The message's bytes and envelope. Everything that could be wrong with the
/// data was checked when it was queued, so a failure here is permanent.
pub fn build(
    sender: &Sender,
    stored: &StoredMessage,
    attachments: &[(DocumentRef, Arc<Vec<u8>>)],
) -> Result<(Envelope, Vec<u8>), SendError> {
    let permanent = |what: &str, e: &dyn std::fmt::Display| {
        SendError::permanent(format!("no se pudo componer el mensaje ({what}): {e}"))
    };
    let address = address(stored.recipient_email.as_deref()).map_err(SendError::permanent)?;
    let to = Mailbox::new(Some(stored.recipient_name.clone()), address);
    let date = UNIX_EPOCH + Duration::from_millis(u64::try_from(stored.created_at).unwrap_or(0));

    let mut alternative = MultiPart::alternative()
        .singlepart(text_part(ContentType::TEXT_PLAIN, stored.body_text.clone()))
        .singlepart(text_part(ContentType::TEXT_HTML, stored.body_html.clone()));
    let calendar = match (&stored.calendar, &stored.calendar_method) {
        (Some(content), Some(method)) => {
            let inline =
                ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                    .map_err(|e| permanent("tipo de la invitación", &e))?;
            // Base64 keeps the CRLF lines of iCalendar byte for byte.
            alternative = alternative.singlepart(
                SinglePart::builder()
                    .header(inline)
                    .header(ContentTransferEncoding::Base64)
                    .body(content.clone()),
            );
            Some(content.clone())
        }
        _ => None,
    };

    let builder = Message::builder()
        .from(sender.from.clone())
        .to(to)
        .subject(stored.subject.clone())
        .message_id(Some(stored.message_id.clone()))
        .date(date)
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".into(),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Content-Language"),
            "es-MX".into(),
        ));
    let message = if attachments.is_empty() && calendar.is_none() {
        builder.multipart(alternative)
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for (document, bytes) in attachments {
            let kind = ContentType::parse(&document.media_type)
                .map_err(|e| permanent("tipo del adjunto", &e))?;
            mixed = mixed.singlepart(
                Attachment::new(document.filename.clone()).body(bytes.as_ref().clone(), kind),
            );
        }
        if let Some(content) = calendar {
            let kind = ContentType::parse("application/ics")
                .map_err(|e| permanent("tipo de la invitación", &e))?;
            mixed = mixed.singlepart(
                Attachment::new("invitacion.ics".into()).body(content.into_bytes(), kind),
            );
        }
        builder.multipart(mixed)
    }
    .map_err(|e| permanent("encabezados", &e))?;
    Ok((message.envelope().clone(), message.formatted()))
}

/// A text part, quoted-printable (readable in the raw message, safe for
/// long lines and accents).
fn text_part(kind: ContentType, text: String) -> SinglePart {
    SinglePart::builder()
        .header(kind)
        .header(ContentTransferEncoding::QuotedPrintable)
        .body(text)
}
