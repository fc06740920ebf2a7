//! Every event type of the suite, and the exact shape of the payloads the
//! mail service reacts to: the contract between emitters and subscribers.
//!
//! Every payload is **self-contained**: it carries the recipients (name and
//! address, as the secretariat has them on the day) and everything the
//! message says, because the mail service reads no other service's tables
//! and must be able to write the message long after the fact. Unknown
//! fields are ignored (an emitter may add more); a missing required field
//! or a malformed date makes the event a dead letter at its emitter with a
//! Spanish reason, never a half-written message.
//!
//! | event type | emitted by | messages |
//! |---|---|---|
//! | `convocatoria.issued` | secretariat | [`SessionNotice`] → convocatoria with agenda, PDF and calendar invitation (`METHOD:REQUEST`) to every recipient |
//! | `session.updated` | secretariat | [`SessionNotice`] → updated convocatoria, same calendar UID, higher `SEQUENCE` |
//! | `session.cancelled` | secretariat | [`SessionCancelled`] → cancellation, `METHOD:CANCEL` |
//! | `route.opened` | signing | [`RouteOpened`] → invitation to sign to every signer; reminders follow while they are pending |
//! | `route.signed` | signing | [`RouteSigned`] → no message; who is still pending (stops their reminders) |
//! | `route.refused` | signing | [`RouteRefused`] → notice to the facilitators |
//! | `route.cancelled` | signing | [`RouteCancelled`] → no message; reminders stop |
//! | `route.completed` | signing | [`RouteCompleted`] → signed copy, final PDF attached, to **every member** (000 V.8) |
//! | `term.ending` | secretariat | [`TermEnding`] → activity report and handover reminder (000 III.7) |
//! | `auth.link_requested` | secretariat | [`LinkRequested`] → one-time access link |
//! | `public.acknowledgement` | secretariat | [`PublicAcknowledgement`] → to whoever sent a public form with an email: its folio, then the answer |
//!
//! A recipient without an address still gets a message row (status
//! `failed`, saying why), and the event's facilitators get one notice
//! listing who could not be reached: nobody is skipped silently.
//!
//! ## Attachments
//! Documents travel **by reference**, never inline: a [`DocumentRef`] names
//! the service of the suite that holds the file, a path under that
//! service's URL, and the file's SHA-256 and size. The delivery worker
//! fetches it (`GET <services.<service>.url><path>` with the internal token)
//! the first time a message needs it, checks the hash, and keeps one copy per
//! hash in its own table for every message that attaches it. So events stay
//! small (the relay's body limit is 1 MiB), the token only ever goes to a
//! configured service, and the attachment is byte-identical to the record
//! whose hash the body quotes.

use rubrica_platform::ServiceName;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A member asked for a one-time access link (secretariat → mail).
pub const AUTH_LINK_REQUESTED: &str = "auth.link_requested";
/// A session closed (secretariat → documents, archive).
pub const SESSION_CLOSED: &str = "session.closed";
/// A convocatoria was issued (secretariat → mail): [`SessionNotice`].
pub const CONVOCATORIA_ISSUED: &str = "convocatoria.issued";
/// A convened session was rescheduled (secretariat → mail): [`SessionNotice`].
pub const SESSION_UPDATED: &str = "session.updated";
/// A convened session was cancelled (secretariat → mail): [`SessionCancelled`].
pub const SESSION_CANCELLED: &str = "session.cancelled";
/// A signing route opened (signing → mail): [`RouteOpened`].
pub const ROUTE_OPENED: &str = "route.opened";
/// One more signature (signing → mail): [`RouteSigned`].
pub const ROUTE_SIGNED: &str = "route.signed";
/// A signer refused (signing → mail): [`RouteRefused`].
pub const ROUTE_REFUSED: &str = "route.refused";
/// A route was cancelled (signing → mail): [`RouteCancelled`].
pub const ROUTE_CANCELLED: &str = "route.cancelled";
/// Every signature is in (signing → mail, archive): [`RouteCompleted`].
pub const ROUTE_COMPLETED: &str = "route.completed";
/// A member's term ends within the configured window (secretariat → mail): [`TermEnding`].
pub const TERM_ENDING: &str = "term.ending";
/// Someone sent a public form with an email, or it was answered (secretariat → mail): [`PublicAcknowledgement`].
pub const PUBLIC_ACKNOWLEDGEMENT: &str = "public.acknowledgement";
/// The documents service drafted a record (no subscriber; see [`UNSUBSCRIBED`]).
pub const DOCUMENT_DRAFTED: &str = "document.drafted";
/// A record was approved for signing (no subscriber; see [`UNSUBSCRIBED`]).
pub const DOCUMENT_APPROVED: &str = "document.approved";
/// The archive verified and archived a signed record (no subscriber).
pub const RECORD_ARCHIVED: &str = "record.archived";
/// A handover package was submitted to the archive (no subscriber).
pub const HANDOVER_SUBMITTED: &str = "handover.submitted";
/// A handover was archived (no subscriber).
pub const HANDOVER_ARCHIVED: &str = "handover.archived";

/// Who emits every event type of the suite. The coverage test checks it
/// against the subscriptions table (`rubrica_platform::events::SUITE_SUBSCRIPTIONS`)
/// and against the emitters' sources.
pub const EMITTERS: &[(&str, ServiceName)] = &[
    (AUTH_LINK_REQUESTED, ServiceName::Secretariat),
    (SESSION_CLOSED, ServiceName::Secretariat),
    (CONVOCATORIA_ISSUED, ServiceName::Secretariat),
    (SESSION_UPDATED, ServiceName::Secretariat),
    (SESSION_CANCELLED, ServiceName::Secretariat),
    (TERM_ENDING, ServiceName::Secretariat),
    (PUBLIC_ACKNOWLEDGEMENT, ServiceName::Secretariat),
    (ROUTE_OPENED, ServiceName::Signing),
    (ROUTE_SIGNED, ServiceName::Signing),
    (ROUTE_REFUSED, ServiceName::Signing),
    (ROUTE_CANCELLED, ServiceName::Signing),
    (ROUTE_COMPLETED, ServiceName::Signing),
    (DOCUMENT_DRAFTED, ServiceName::Documents),
    (DOCUMENT_APPROVED, ServiceName::Documents),
    (RECORD_ARCHIVED, ServiceName::Archive),
    (HANDOVER_SUBMITTED, ServiceName::Archive),
    (HANDOVER_ARCHIVED, ServiceName::Archive),
];

/// Emitted event types no service subscribes to by default, and why.
pub const UNSUBSCRIBED: &[(&str, &str)] = &[
    (
        DOCUMENT_DRAFTED,
        "hook for deployments (`subscriptions` setting); the record itself is read through the documents API",
    ),
    (
        DOCUMENT_APPROVED,
        "hook for deployments; the signing route is opened explicitly by a facilitator",
    ),
    (
        RECORD_ARCHIVED,
        "hook for deployments (e.g. a transparency portal); the archive's log is the source of truth",
    ),
    (
        HANDOVER_SUBMITTED,
        "hook for deployments; the archive itself verifies and archives the package",
    ),
    (
        HANDOVER_ARCHIVED,
        "hook for deployments; the handover is read through the archive API",
    ),
];

/// A person a message goes to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Recipient {
    /// The member's id in the secretariat; required for signers (their
    /// reminders are tracked by it), optional otherwise.
    #[serde(default)]
    pub member_id: Option<String>,
    /// Full name, as it appears in the records.
    pub name: String,
    /// The address registered in the secretariat. Absent or empty: the
    /// member cannot be reached by mail and the facilitators are told.
    #[serde(default)]
    pub email: Option<String>,
}

/// The secretariat a message speaks for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SecretariatRef {
    /// Its id: messages are listed to its President and facilitator only.
    pub id: String,
    /// E.g. "Secretariado Técnico Local de Gobierno Abierto de Jalisco".
    pub name: String,
    /// Its local time's offset from UTC in minutes (e.g. -360 central
    /// Mexico, -300 Quintana Roo): dates in its messages are its own.
    /// Absent in older payloads: central Mexico.
    #[serde(default = "default_utc_offset_minutes")]
    pub utc_offset_minutes: i64,
}

fn default_utc_offset_minutes() -> i64 {
    rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES
}

/// A file to attach, fetched by reference (see the module docs).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct DocumentRef {
    /// File name shown to the recipient, e.g. `acta-2026-ORD-01.pdf`.
    pub filename: String,
    /// Media type; `application/pdf` when absent.
    #[serde(default = "pdf")]
    pub media_type: String,
    /// SHA-256 of the bytes, hex: checked on download, quoted in signed copies.
    pub sha256: String,
    /// Size in bytes, checked on download.
    pub size: u64,
    /// The service that serves the file.
    pub service: ServiceName,
    /// Path under that service's URL (starting with `/`), fetched with the
    /// internal token, e.g. `/internal/routes/r-1/signed.pdf`.
    pub path: String,
}

fn pdf() -> String {
    "application/pdf".into()
}

/// A session as the convocatoria presents it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SessionDetails {
    /// Stable id: the calendar invitation's UID derives from it.
    pub id: String,
    /// `ordinaria`, `extraordinaria` or `reunion_de_trabajo`.
    pub kind: String,
    /// E.g. "Sesión ordinaria".
    pub title: String,
    /// E.g. `2026-ORD-01`.
    #[serde(default)]
    pub folio: Option<String>,
    /// `AAAA-MM-DD`, local date.
    pub date: String,
    /// `HH:MM`, local time.
    pub time: String,
    /// Where it takes place (an address, or a video-call link).
    pub place: String,
    /// Offset of the local time from UTC in minutes; −360 (Mexico City) when absent.
    #[serde(default = "mexico_city")]
    pub utc_offset_minutes: i32,
    /// Expected length in minutes; 120 when absent.
    #[serde(default = "two_hours")]
    pub duration_minutes: u32,
}

fn mexico_city() -> i32 {
    -360
}

fn two_hours() -> u32 {
    120
}

/// One item of the agenda (orden del día).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct AgendaItem {
    pub number: u32,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// The notice rule the convocatoria met (000 V.6), as the rules engine
/// explained it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct NoticeMet {
    /// Business days counted between the issue date and the session.
    pub business_days: u32,
    /// Business days the rule requires.
    pub required: u32,
    /// The rules engine's Spanish explanation, printed as is.
    pub explanation: String,
}

/// Payload of `convocatoria.issued` and `session.updated`: the session as it
/// now stands, sent to every member.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SessionNotice {
    pub secretariat: SecretariatRef,
    pub session: SessionDetails,
    /// The orden del día, in order.
    pub agenda: Vec<AgendaItem>,
    /// The notice finding; absent for a work meeting, which needs none.
    #[serde(default)]
    pub notice: Option<NoticeMet>,
    /// `AAAA-MM-DD`: when the convocatoria was issued.
    pub issued_on: String,
    /// The session's revision at the emitter (0 for the first convocatoria,
    /// +1 per change): the calendar `SEQUENCE`. Absent: one more than the
    /// last the mail service sent for this session. An event whose revision
    /// is not newer than the last one sent is stale and sends nothing.
    #[serde(default)]
    pub revision: Option<u32>,
    /// `session.updated` only: what changed, in Spanish, one line each
    /// (e.g. "Nueva hora: 11:00").
    #[serde(default)]
    pub changes: Vec<String>,
    /// The rendered convocatoria, attached when present.
    #[serde(default)]
    pub document: Option<DocumentRef>,
    /// Every member of the secretariat (000 V.6).
    pub recipients: Vec<Recipient>,
    /// Who is told about members without an address.
    #[serde(default)]
    pub facilitators: Vec<Recipient>,
}

/// Payload of `session.cancelled`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SessionCancelled {
    pub secretariat: SecretariatRef,
    pub session: SessionDetails,
    /// Why, in Spanish, when given.
    #[serde(default)]
    pub reason: Option<String>,
    /// As in [`SessionNotice::revision`].
    #[serde(default)]
    pub revision: Option<u32>,
    pub recipients: Vec<Recipient>,
    #[serde(default)]
    pub facilitators: Vec<Recipient>,
}

/// What a signing route is for, as the invitation describes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RouteInfo {
    /// The route's id in the signing service.
    pub id: String,
    /// E.g. "Acta de la sesión ordinaria 2026-ORD-01".
    pub title: String,
    /// `acta` or `minuta`.
    pub record_kind: String,
    /// The record's folio.
    #[serde(default)]
    pub folio: Option<String>,
    /// Where a member opens the record to read and sign it.
    pub sign_url: String,
    /// The signing service's base URL, for `rubrica sign --server`.
    pub server: String,
    /// `AAAA-MM-DD` by which signatures are expected, when there is one.
    #[serde(default)]
    pub due_on: Option<String>,
}

/// Payload of `route.opened`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RouteOpened {
    pub secretariat: SecretariatRef,
    pub route: RouteInfo,
    /// Everyone who must initial and sign (their `member_id` is required).
    pub signers: Vec<Recipient>,
    /// Who is told of refusals and of signers without an address.
    #[serde(default)]
    pub facilitators: Vec<Recipient>,
}

/// Payload of `route.signed`: one more signature.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RouteSigned {
    pub route_id: String,
    /// Who just signed.
    pub member_id: String,
    /// Who is still pending; a signer not listed here gets no more reminders.
    pub pending: Vec<String>,
}

/// Payload of `route.refused`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RouteRefused {
    pub secretariat: SecretariatRef,
    pub route: RouteInfo,
    /// Who refused to sign.
    pub member: Recipient,
    /// Their reason, as recorded in the route.
    pub reason: String,
    /// Who is told.
    pub facilitators: Vec<Recipient>,
}

/// Payload of `route.cancelled`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RouteCancelled {
    pub route_id: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Payload of `route.completed`: every signature is in.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RouteCompleted {
    pub secretariat: SecretariatRef,
    pub route: RouteInfo,
    /// The final signed PDF; its SHA-256 is quoted in the message.
    pub document: DocumentRef,
    /// The public page where anyone verifies the signatures.
    pub verification_url: String,
    /// **Every** member of the secretariat, not only the signers (000 V.8).
    pub members: Vec<Recipient>,
    #[serde(default)]
    pub facilitators: Vec<Recipient>,
}

/// Payload of `term.ending` (one per member, from the secretariat's list of
/// terms ending). One reminder is sent per member and term end, however
/// often the event repeats.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct TermEnding {
    pub secretariat: SecretariatRef,
    /// The outgoing member (`member_id` required).
    pub member: Recipient,
    /// E.g. "Titular del asiento de academia".
    pub position: String,
    /// `AAAA-MM-DD`: the last day of the term.
    pub term_ends_on: String,
    /// `AAAA-MM-DD`: by when the activity report and the handover are due.
    pub deadline: String,
    /// The rule that ends the term, in Spanish (000 II.2–3).
    #[serde(default)]
    pub rule: Option<String>,
    /// Who receives the handover besides the successor (the President).
    #[serde(default)]
    pub handover_to: Option<String>,
    /// The President, who receives the handover: told too, once per member
    /// and term end. Absent when the outgoing member is the President.
    #[serde(default)]
    pub president: Option<Recipient>,
    #[serde(default)]
    pub facilitators: Vec<Recipient>,
}

/// Payload of `public.acknowledgement`: the folio of a question, complaint,
/// suggestion or request to join sent on the public site (issue 18, 000
/// V.10 f–g), and later the answer. Only for people who gave an email.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PublicAcknowledgement {
    pub secretariat: SecretariatRef,
    /// Whoever sent it; the name may be empty (it is optional).
    pub to: Recipient,
    /// `duda`, `queja`, `sugerencia` or `sumate`.
    pub form: String,
    /// `recibida` (the acknowledgement) or `respondida` (the answer).
    pub stage: String,
    /// E.g. `DQS-2026-7K3M9X`.
    pub folio: String,
    /// `AAAA-MM-DD`.
    pub filed_on: String,
    /// Last business day to answer, `AAAA-MM-DD` (questions and complaints).
    #[serde(default)]
    pub due_on: Option<String>,
    /// The answer, when `stage` is `respondida`.
    #[serde(default)]
    pub answer: Option<String>,
    /// Where the status can be followed, e.g. `/stl/<slug>/dudas/folio?folio=…`
    /// (on the public site, relative to its address).
    #[serde(default)]
    pub follow_path: Option<String>,
}

/// Payload of `auth.link_requested` (the secretariat's, unchanged).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct LinkRequested {
    pub to_email: String,
    pub to_name: String,
    #[serde(default)]
    pub secretariat_id: Option<String>,
    /// The one-time token, sealed with the internal token
    /// (`rubrica_platform::sealed`, purpose [`LINK_TOKEN_PURPOSE`]): the
    /// outbox never holds it in clear. Events recorded before sealing carry
    /// it in `token` instead.
    #[serde(default)]
    pub token_sealed: Option<String>,
    /// The token in clear (older events only).
    #[serde(default)]
    pub token: String,
    /// The secretariat's base URL, for `rubrica login --server`.
    pub server: String,
    pub ttl_minutes: u64,
    /// Why the link is sent: to enter, or to confirm a new address.
    #[serde(default)]
    pub purpose: LinkPurpose,
}

/// The purpose a link token is sealed under.
pub const LINK_TOKEN_PURPOSE: &str = "enlace-de-acceso";

/// What a mailed one-time link is for.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    /// A read-only session (the member asked for it).
    #[default]
    Access,
    /// Confirms the member's new email address (the President changed it);
    /// it also opens a read-only session.
    ConfirmEmail,
}
