//! Members and their designations (000 III.1–3, VIII), their terms
//! (000 II.2–3, III.7), resignations and the calls they open (000 II.4.V).

use rubrica_fiel::Rfc;
use rubrica_platform::OrUnexpected;
use rubrica_platform::State;
use rubrica_platform::db::{is_unique_violation, now_ms};
use rubrica_platform::error::{Path, Query};
use rubrica_platform::http::StatusCode;
use rubrica_platform::{ApiError, ApiResult, Caller, Json, Problem, ServiceContext};
use rubrica_rules::{
    Designation, Resignation, SeatHolders, SeatId, TermEnd, TermRule, resign, successor_allowed,
    term_end, terms_ending_within,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::Date;
use utoipa::{IntoParams, ToSchema};

use crate::auth::changes::{self, Field, Subject};

use super::db;
use super::edge;
use super::model::{CallRow, DesignationRow, MemberRow, Post};
use super::roster::{Roster, ensure_secretariat};
use super::secretariats::{SecretariatPath, word};

mod designations;
mod people;
mod resignations;
mod terms;

pub use designations::*;
pub use people::*;
pub use resignations::*;
pub use terms::*;

/// What registers a member.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMember {
    /// Full name as records print it.
    pub name: String,
    /// RFC: what the signing service matches against the FIEL certificate.
    pub rfc: String,
    /// Contact email (copies of records, access links).
    pub email: String,
}

/// A designation as the API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DesignationView {
    pub id: String,
    pub member_id: String,
    /// `titular`, `suplente`, `enlace`, `facilitador` or `invitado`.
    pub role: String,
    pub seat: Option<String>,
    /// Invited members: their project (000 VIII.2).
    pub project: Option<String>,
    /// The body represented (municipality, university, chamber…).
    pub body: Option<String>,
    pub starts_on: String,
    /// Last day in post (inclusive); for invited members, the project's end.
    pub ends_on: Option<String>,
    pub ended_reason: Option<String>,
    /// First day of the term served (differs from `starts_on` for a suplente who rose).
    pub term_starts_on: String,
    pub incorporated_until: Option<String>,
    pub mandate_changed_on: Option<String>,
    /// Whether it is in force today.
    pub current: bool,
}

/// A member with their designations.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberView {
    pub id: String,
    pub secretariat_id: String,
    pub name: String,
    pub rfc: String,
    pub email: String,
    pub created_at: i64,
    pub designations: Vec<DesignationView>,
    /// Changes of RFC or email waiting for the member's confirmation (shown
    /// when the registry is corrected).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_changes: Vec<crate::auth::changes::PendingChange>,
}

fn call_view(c: &CallRow) -> CallView {
    CallView {
        id: c.id.clone(),
        seat: c.seat.clone(),
        vacancy: c.vacancy.clone(),
        run_by: c.run_by.clone(),
        resignation: c.resignation.clone(),
        explanation: c.explanation.clone(),
        opened_on: edge::iso(c.opened_on),
        status: c.status.clone(),
        closed_on: c.closed_on.map(edge::iso),
    }
}

pub fn designation_view(d: &DesignationRow, today: Date) -> DesignationView {
    DesignationView {
        id: d.id.clone(),
        member_id: d.member_id.clone(),
        role: d.post.as_str().to_string(),
        seat: d.seat.clone(),
        project: d.project.clone(),
        body: d.body.clone(),
        starts_on: edge::iso(d.starts_on),
        ends_on: d.ends_on.map(edge::iso),
        ended_reason: d.ended_reason.clone(),
        term_starts_on: edge::iso(d.term_start()),
        incorporated_until: d.incorporated_until.map(edge::iso),
        mandate_changed_on: d.mandate_changed_on.map(edge::iso),
        current: d.active_on(today),
    }
}

fn member_view(m: &MemberRow, designations: &[DesignationRow], today: Date) -> MemberView {
    MemberView {
        id: m.id.clone(),
        secretariat_id: m.secretariat_id.clone(),
        name: m.name.clone(),
        rfc: m.rfc.clone(),
        email: m.email.clone(),
        created_at: m.created_at,
        designations: designations
            .iter()
            .filter(|d| d.member_id == m.id)
            .map(|d| designation_view(d, today))
            .collect(),
        pending_changes: Vec::new(),
    }
}

/// The RFC through the FIEL library's parser, so the signing service's match
/// against the certificate compares like with like.
fn parse_rfc(text: &str) -> ApiResult<String> {
    Rfc::parse(text)
        .map(|rfc| rfc.as_str().to_string())
        .map_err(|e| ApiError::Unprocessable(e.to_string()))
}

fn duplicate_rfc(rfc: &str, existing: &MemberRow) -> ApiError {
    ApiError::Conflict(format!(
        "Ya hay un integrante con el RFC {rfc} en este Secretariado: {} (id {}). Use ese registro o corrija el RFC.",
        existing.name, existing.id
    ))
}

fn member_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "No existe el integrante «{}» en este Secretariado. Regístrelo con POST /secretariats/{{id}}/members.",
        edge::shorten(id)
    ))
}
