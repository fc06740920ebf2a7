//! What one service reads from another's API: the fields it relies on, in
//! one place, so the service answering and the service asking cannot
//! drift. Each view names the route that answers it; fields a reader does
//! not need are left out (JSON objects may carry more).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A person who must sign a session's record, from the attendance recorded
/// when the session closed and the member registry
/// (`GET /secretariat/internal/sessions/{id}/signers`, read by signing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RequiredSigner {
    pub member_id: String,
    pub name: String,
    pub rfc: String,
}

/// Whose a document is and what it records
/// (`GET /documents/internal/documents/{id}`, read by signing before a route
/// opens on it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocumentSummary {
    pub id: String,
    /// `acta`, `minuta`, `informe`, `entrega_recepcion`…
    pub kind: String,
    pub secretariat_id: Option<String>,
    /// The session it was drafted from (actas and minutas).
    pub session_id: Option<String>,
}
