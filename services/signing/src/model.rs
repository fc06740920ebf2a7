//! The JSON shapes of the API and of the events this service emits.
//!
//! Event payloads follow, field by field, the contracts the mail service
//! reads (`services/mail/src/contracts.rs`); a service crate does not link
//! another, so the shapes are repeated here and the cross-service tests
//! decode every emitted payload with the mail service's own types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// In which order the signers sign.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SignOrder {
    /// Any order (the default).
    #[default]
    Any,
    /// The manifest's order: each signer after every one listed before them
    /// (e.g. the President last).
    Sequential,
}

impl SignOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            SignOrder::Any => "any",
            SignOrder::Sequential => "sequential",
        }
    }

    pub fn parse(text: &str) -> SignOrder {
        match text {
            "sequential" => SignOrder::Sequential,
            _ => SignOrder::Any,
        }
    }
}

/// `POST /routes`: open a route on an approved record.
///
/// The record comes either inline (`pdf_base64` and `layout`) or by
/// reference (`document_id`: the documents service serves its approved PDF
/// and layout manifest). The signers are the manifest's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OpenRoute {
    /// The secretariat; must be the caller's (the operator may name any).
    pub secretariat: SecretariatRef,
    /// E.g. "Acta de la sesión ordinaria 2026-ORD-01".
    pub title: String,
    /// `acta` or `minuta`.
    pub record_kind: String,
    /// The record's folio.
    #[serde(default)]
    pub folio: Option<String>,
    /// `AAAA-MM-DD` by which signatures are expected.
    #[serde(default)]
    pub due_on: Option<String>,
    /// `any` (default) or `sequential`.
    #[serde(default)]
    pub order: SignOrder,
    /// The approved PDF, base64 (with `layout`).
    #[serde(default)]
    pub pdf_base64: Option<String>,
    /// The layout manifest computed with the PDF (with `pdf_base64`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub layout: Option<serde_json::Value>,
    /// Instead of the two above: the approved document in the documents service.
    #[serde(default)]
    pub document_id: Option<String>,
    /// Every member of the secretariat (000 V.8: each receives the signed
    /// copy); the signers' addresses are taken from here by member id.
    #[serde(default)]
    pub members: Vec<Recipient>,
    /// Who is told of refusals and of signers without an address.
    #[serde(default)]
    pub facilitators: Vec<Recipient>,
}

/// One signer of a route, as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SignerView {
    /// The manifest's id (the member id).
    pub id: String,
    pub name: String,
    pub rfc: String,
    pub seat: String,
    pub role: String,
    /// `pendiente`, `firmado` or `rechazado`.
    pub status: String,
    pub signed_at: Option<i64>,
    /// The 20-digit number of the certificate that signed.
    pub certificate_number: Option<String>,
    pub refusal_reason: Option<String>,
    pub refused_at: Option<i64>,
}

/// One entry of a route's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct HistoryEntry {
    pub seq: i64,
    pub occurred_at: i64,
    /// `abierta`, `preparada`, `firmada`, `rechazada`, `cancelada`, `completada`.
    pub action: String,
    pub actor_id: String,
    pub actor_name: String,
    pub signer_id: Option<String>,
    pub certificate_number: Option<String>,
    /// The caller's IP address.
    pub address: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// One revision of a route's PDF.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, sqlx::FromRow)]
pub struct RevisionView {
    pub seq: i64,
    pub sha256: String,
    /// `aprobada`, `firmable` or `firma`.
    pub kind: String,
    pub signer_id: Option<String>,
    pub size_bytes: i64,
    pub created_at: i64,
}

/// A route's status.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RouteView {
    pub id: String,
    pub secretariat_id: String,
    pub title: String,
    pub record_kind: String,
    pub folio: Option<String>,
    pub due_on: Option<String>,
    pub document_id: Option<String>,
    /// `any` or `sequential`.
    pub order: String,
    /// `abierta`, `completada` or `cancelada`.
    pub status: String,
    /// SHA-256 of the revision the next signer signs.
    pub current_sha256: String,
    /// SHA-256 of the signed record, once every signer signed.
    pub final_sha256: Option<String>,
    pub cancel_reason: Option<String>,
    pub signers: Vec<SignerView>,
    /// Ids of the signers who have not signed yet.
    pub pending: Vec<String>,
    pub revisions: Vec<RevisionView>,
    pub history: Vec<HistoryEntry>,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

/// `POST /routes/{id}/refuse`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Refusal {
    /// Why the member will not sign (recorded in the route and the archive).
    pub reason: String,
}

/// `POST /routes/{id}/cancel`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Cancellation {
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /routes/{id}/prepare`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrepareRequest {
    /// The signer's certificate (the `.cer` file, DER), base64.
    pub certificate: String,
}

/// What the signer's key must sign.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrepareResponse {
    /// Send it back with the signature to `complete`.
    pub prepare_id: String,
    pub route_id: String,
    /// The signer the certificate matched.
    pub signer_id: String,
    /// The exact bytes to sign (DER of the CMS signed attributes), base64:
    /// RSA PKCS#1 v1.5 with SHA-256 over them.
    pub to_sign: String,
    /// SHA-256 of `to_sign`, base64, for signers that take a digest.
    pub to_sign_sha256: String,
    /// The revision it was built on (`GET /routes/{id}/pdf` while nobody
    /// else completes).
    pub base_sha256: String,
    /// The signing time written to the revision (RFC 3339).
    pub signing_time: String,
    /// The `/Location` written to the revision.
    pub location: Option<String>,
    /// The CA certificates (DER, base64) the signature will embed. With the
    /// base revision, the signer's certificate, `signing_time` and
    /// `location`, a signer rebuilds the revision and checks that `to_sign`
    /// is exactly what they mean to sign (`rubrica sign --server` does).
    pub chain: Vec<String>,
    /// Epoch ms after which `complete` refuses it.
    pub expires_at: i64,
    /// What to do, in Spanish.
    pub instructions: String,
}

/// `POST /routes/{id}/complete`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CompleteRequest {
    pub prepare_id: String,
    /// The signature value (RSA PKCS#1 v1.5, SHA-256 over `to_sign`), base64.
    pub signature: String,
}

/// The outcome of a completed signature.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CompleteResponse {
    pub route: RouteView,
    /// SHA-256 of the revision with this signature.
    pub revision_sha256: String,
    /// Whether that was the last signature.
    pub completed: bool,
}

/// `POST /verify`: any PDF, verified with this service's trust anchors.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VerifyRequest {
    pub pdf_base64: String,
}

// ---- Event payloads: the suite's contracts (rubrica-contracts) ----

pub use rubrica_contracts::events::{
    DocumentRef, Recipient, RouteCancelled, RouteCompleted, RouteInfo, RouteOpened, RouteRefused,
    RouteSigned, SecretariatRef,
};

/// What a route keeps to write its events: stored as JSON with the route.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RouteRecipients {
    pub secretariat: SecretariatRef,
    pub members: Vec<Recipient>,
    pub facilitators: Vec<Recipient>,
}
