//! The JSON shapes of the API (shared with the CLI and the tests).

use rubrica_pdfsign::LayoutManifest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::kind::DocumentKind;

/// A record to render.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RenderRequest {
    /// The kind of record.
    pub kind: DocumentKind,
    /// Its data: for an acta or minuta, the secretariat's session record
    /// (the `session.closed` payload); for the other kinds, see
    /// `templates/examples/`.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// A corrected draft.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewDraft {
    /// The whole data again (same shape as when it was first rendered).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// Which version to approve.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Approval {
    /// The version the members approved (normally the latest).
    pub version: i64,
}

/// `?version=N`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A version; absent: the approved one, or the latest draft.
    pub version: Option<i64>,
}

/// `?session_id=…`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only the records of this session.
    pub session_id: Option<String>,
}

/// A version just rendered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RenderedVersion {
    /// The record's id (the same for every version).
    pub id: String,
    pub kind: DocumentKind,
    pub folio: String,
    pub title: String,
    pub version: i64,
    /// SHA-256 of the PDF, hex.
    pub sha256: String,
    pub page_count: u32,
    /// Page size in points.
    pub page_width: f64,
    pub page_height: f64,
    /// The PDF/A-2b, base64.
    pub pdf_base64: String,
    /// Where each signer initials every page and signs at the bottom
    /// (`rubrica_pdfsign::LayoutManifest`).
    #[schema(value_type = Object)]
    pub layout: LayoutManifest,
}

/// One version, without its bytes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionSummary {
    pub version: i64,
    pub sha256: String,
    pub page_count: i64,
    /// Epoch ms.
    pub created_at: i64,
    /// Actor id of who rendered it (`servicio:secretariat` for the automatic draft).
    pub created_by: String,
}

/// A record and its versions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DocumentView {
    pub id: String,
    pub kind: DocumentKind,
    pub folio: String,
    pub title: String,
    pub secretariat_id: Option<String>,
    pub session_id: Option<String>,
    /// `borrador` or `aprobado` (frozen).
    pub status: String,
    pub latest_version: i64,
    pub approved_version: Option<i64>,
    /// Epoch ms.
    pub approved_at: Option<i64>,
    pub approved_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub versions: Vec<VersionSummary>,
}
