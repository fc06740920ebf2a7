//! The mail outbox's vocabulary: kinds of message, their states, what is
//! stored to send one, and what the API shows of it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::contracts::{DocumentRef, Recipient};

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum MessageKind {
    /// The convocatoria of a session, with its agenda and calendar invitation.
    #[serde(rename = "convocatoria")]
    Convocatoria,
    /// A convened session changed: updated invitation (same UID).
    #[serde(rename = "sesion_actualizada")]
    SessionUpdated,
    /// A convened session was cancelled (`METHOD:CANCEL`).
    #[serde(rename = "sesion_cancelada")]
    SessionCancelled,
    /// Invitation to initial and sign a record.
    #[serde(rename = "invitacion_firma")]
    SigningInvitation,
    /// Reminder to a member still pending on a signing route.
    #[serde(rename = "recordatorio_firma")]
    SigningReminder,
    /// To the facilitators: a member refused to sign.
    #[serde(rename = "aviso_rechazo")]
    RefusalNotice,
    /// The signed record, to every member (000 V.8).
    #[serde(rename = "copia_firmada")]
    SignedCopy,
    /// Term ending: activity report and handover (000 III.7).
    #[serde(rename = "fin_de_periodo")]
    TermEnding,
    /// A one-time access link.
    #[serde(rename = "enlace_acceso")]
    AccessLink,
    /// To the facilitators: members a message could not reach (no address).
    #[serde(rename = "aviso_sin_correo")]
    MissingAddress,
    /// To whoever sent a public form: its folio, then the answer (issue 18).
    #[serde(rename = "acuse_publico")]
    PublicAcknowledgement,
}

impl MessageKind {
    pub const ALL: [MessageKind; 11] = [
        MessageKind::Convocatoria,
        MessageKind::SessionUpdated,
        MessageKind::SessionCancelled,
        MessageKind::SigningInvitation,
        MessageKind::SigningReminder,
        MessageKind::RefusalNotice,
        MessageKind::SignedCopy,
        MessageKind::TermEnding,
        MessageKind::AccessLink,
        MessageKind::MissingAddress,
        MessageKind::PublicAcknowledgement,
    ];

    /// The value stored and shown by the API; also the template's name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Convocatoria => "convocatoria",
            MessageKind::SessionUpdated => "sesion_actualizada",
            MessageKind::SessionCancelled => "sesion_cancelada",
            MessageKind::SigningInvitation => "invitacion_firma",
            MessageKind::SigningReminder => "recordatorio_firma",
            MessageKind::RefusalNotice => "aviso_rechazo",
            MessageKind::SignedCopy => "copia_firmada",
            MessageKind::TermEnding => "fin_de_periodo",
            MessageKind::AccessLink => "enlace_acceso",
            MessageKind::MissingAddress => "aviso_sin_correo",
            MessageKind::PublicAcknowledgement => "acuse_publico",
        }
    }

    pub fn parse(value: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Status {
    /// Waiting for its first or next attempt.
    #[serde(rename = "en_cola")]
    Queued,
    /// The server accepted it.
    #[serde(rename = "enviado")]
    Sent,
    /// Given up (a permanent refusal, too many attempts, or no address): a
    /// dead letter the facilitator may retry.
    #[serde(rename = "fallido")]
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "en_cola",
            Status::Sent => "enviado",
            Status::Failed => "fallido",
        }
    }

    pub fn parse(value: &str) -> Option<Status> {
        [Status::Queued, Status::Sent, Status::Failed]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Outcome {
    /// Still running (or its process died: see `interrumpido`).
    #[serde(rename = "en_curso")]
    InProgress,
    /// Accepted by the server.
    #[serde(rename = "enviado")]
    Sent,
    /// Failed for now (4xx, connection, timeout): retried later.
    #[serde(rename = "reintento")]
    Transient,
    /// Refused for good (5xx, bad address, attachment that does not match).
    #[serde(rename = "rechazo_permanente")]
    Permanent,
    /// The process died mid-attempt: the message may have been delivered;
    /// it is sent again with the same Message-ID.
    #[serde(rename = "interrumpido")]
    Interrupted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::InProgress => "en_curso",
            Outcome::Sent => "enviado",
            Outcome::Transient => "reintento",
            Outcome::Permanent => "rechazo_permanente",
            Outcome::Interrupted => "interrumpido",
        }
    }

    pub fn parse(value: Option<&str>) -> Outcome {
        match value {
            Some("enviado") => Outcome::Sent,
            Some("reintento") => Outcome::Transient,
            Some("rechazo_permanente") => Outcome::Permanent,
            Some("interrumpido") => Outcome::Interrupted,
            _ => Outcome::InProgress,
        }
    }
}

/// A message's text, rendered once when it is queued.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A calendar invitation carried by a message.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarPart {
    /// `REQUEST` or `CANCEL`.
    pub method: &'static str,
    /// The iCalendar text (CRLF lines).
    pub content: String,
}

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Unique per (event, recipient, kind): a second message with the same
    /// key is never queued.
    pub idempotency_key: String,
    pub kind: MessageKind,
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    pub secretariat_id: Option<String>,
    /// What the message is about: a session, route or member id.
    pub subject_ref: Option<String>,
    pub recipient: Recipient,
    pub rendered: Rendered,
    pub calendar: Option<CalendarPart>,
    pub attachments: Vec<DocumentRef>,
    /// Its body holds a secret (an access token): erased once sent.
    pub sensitive: bool,
}

/// A queued message as the worker reads it to send it.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub id: String,
    pub message_id: String,
    pub kind: String,
    pub recipient_name: String,
    pub recipient_email: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub calendar: Option<String>,
    pub calendar_method: Option<String>,
    pub attachments: Vec<DocumentRef>,
    pub attempts: i64,
    pub created_at: i64,
}

/// A message as the API shows it: its state, never its body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageView {
    /// The outbox row's id (UUID v7).
    pub id: String,
    /// The `Message-ID` header: the same on every attempt.
    pub message_id: String,
    pub kind: MessageKind,
    pub status: Status,
    /// Attempts since it was queued (or last retried by a person).
    pub attempts: i64,
    /// Why the last attempt failed, in Spanish, with the server's reply.
    pub last_error: Option<String>,
    /// When the next attempt is due (epoch ms), while queued.
    pub next_attempt_at: Option<i64>,
    /// Epoch ms.
    pub created_at: i64,
    /// When the server accepted it (epoch ms).
    pub sent_at: Option<i64>,
    /// The event that caused it; absent for reminders.
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    pub secretariat_id: Option<String>,
    /// The session, route or member it is about.
    pub subject_ref: Option<String>,
    pub recipient: Recipient,
    pub subject: String,
    pub attachments: Vec<AttachmentView>,
    /// `REQUEST` or `CANCEL` when it carries a calendar invitation.
    pub calendar_method: Option<String>,
}

/// An attachment as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachmentView {
    pub filename: String,
    pub sha256: String,
    pub size: u64,
}

/// One delivery attempt.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttemptView {
    /// 1, 2, 3… over the message's whole life.
    pub number: i64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub outcome: Outcome,
    /// The SMTP reply code, when the server answered.
    pub smtp_code: Option<i64>,
    /// The server's reply or the failure, in Spanish.
    pub detail: Option<String>,
}

/// A message with every attempt.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageDetail {
    pub message: MessageView,
    pub history: Vec<AttemptView>,
}
