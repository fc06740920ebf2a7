//! Sessions and work meetings (000 V): scheduling, agenda, convocatoria
//! (000 V.6), attendance and quorum (000 V.2–3), agenda approval (000 V.1),
//! deliberations, and closing — which hands the record to the documents
//! service through the `session.closed` event.

use rubrica_platform::OrUnexpected;
use rubrica_platform::State;
use rubrica_platform::db::{is_unique_violation, now_ms};
use rubrica_platform::error::Path;
use rubrica_platform::error::Query;
use rubrica_platform::http::StatusCode;
use rubrica_platform::{ApiError, ApiResult, Caller, Json, Problem, ServiceContext};
use rubrica_rules::{QuorumFinding, SeatId, SessionKind, Vote, agenda_approval, check_notice};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::db;
use super::edge;
use super::model::*;
use super::record::{self, SessionRecord};
use super::roster::{Roster, calendar, ensure_secretariat};
use super::scene::Scene;
use super::secretariats::SecretariatPath;

use rubrica_contracts::events::{
    AgendaItem, NoticeMet, Recipient, SecretariatRef, SessionCancelled, SessionDetails,
    SessionNotice,
};
/// The events sessions emit: a closed session (`session.closed`); a
/// convocatoria issued (the mail service sends it to every member with a
/// calendar invitation, 000 V.6).
pub use rubrica_contracts::events::{
    CONVOCATORIA_ISSUED, SESSION_CANCELLED, SESSION_CLOSED, SESSION_UPDATED,
};

mod announce;
mod live;
mod notice;
mod planning;

use announce::*;
pub use live::*;
pub use notice::*;
pub use planning::*;

/// An agenda item as the client writes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaItemInput {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// What schedules a session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    /// `ordinaria`, `extraordinaria` or `reunion_de_trabajo`.
    pub kind: String,
    /// `AAAA-MM-DD`.
    pub date: String,
    /// `HH:MM`, local time.
    pub time: String,
    pub place: String,
    /// The agenda (it may be completed later, before the convocatoria).
    #[serde(default)]
    pub agenda: Vec<AgendaItemInput>,
}

/// A session in a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionSummary {
    pub id: String,
    pub kind: String,
    pub number: i64,
    pub folio: String,
    pub date: String,
    pub time: String,
    pub place: String,
    pub status: SessionStatus,
}

/// A session with everything recorded so far.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionDetail {
    /// `programada`, `convocada`, `abierta` or `cerrada`.
    pub status: SessionStatus,
    /// Quorum right now, while the session is convened or open
    /// (`rubrica_rules::QuorumFinding`).
    #[schema(value_type = Option<Object>)]
    pub quorum_now: Option<QuorumFinding>,
    /// The record so far (the `session.closed` payload once closed).
    #[serde(flatten)]
    pub record: SessionRecord,
}

/// Path of a session.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SessionPath {
    /// The session's id.
    pub id: String,
}

/// The detail of a scene: its record so far and, while it is under way,
/// quorum right now.
pub fn detail(scene: Scene) -> ApiResult<SessionDetail> {
    let now = now_ms();
    let quorum_now = match scene.session.status {
        SessionStatus::Convened | SessionStatus::Open => Some(scene.quorum_at(now)?),
        SessionStatus::Scheduled if scene.session.kind == SessionKind::WorkMeeting => {
            Some(scene.quorum_at(now)?)
        }
        _ => None,
    };
    Ok(SessionDetail {
        status: scene.session.status,
        quorum_now,
        record: record::build(&scene, now),
    })
}

/// Votes as the rules take them; the seat's form is checked here, its
/// existence and representation by the rules.
pub fn parse_votes(votes: &[VoteInput]) -> ApiResult<Vec<(SeatId, Vote)>> {
    if votes.is_empty() {
        return Err(ApiError::Unprocessable(
            "`votes` está vacío: registre el voto de cada asiento representado ({\"seat\": …, \"vote\": \"favor\" | \"contra\" | \"abstencion\"}).".into(),
        ));
    }
    votes
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let seat = SeatId::parse(v.seat.trim())
                .map_err(|e| ApiError::Unprocessable(format!("En `votes[{i}].seat`: {e}.")))?;
            let vote = edge::one_of(&format!("votes[{i}].vote"), &v.vote, VOTE_CHOICES)?;
            Ok((seat, vote))
        })
        .collect()
}

fn parse_agenda(
    items: &[AgendaItemInput],
    field: &str,
) -> ApiResult<Vec<(String, Option<String>)>> {
    if items.len() > 100 {
        return Err(ApiError::Unprocessable(format!(
            "`{field}` tiene {} puntos; el orden del día admite a lo más 100.",
            items.len()
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            Ok((
                edge::text(&format!("{field}[{i}].title"), &item.title, 500)?,
                edge::optional_text(
                    &format!("{field}[{i}].description"),
                    item.description.as_deref(),
                    5000,
                )?,
            ))
        })
        .collect()
}

fn agenda_rows(session_id: &str, items: Vec<(String, Option<String>)>) -> Vec<AgendaItemRow> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, (title, description))| AgendaItemRow {
            id: uuid::Uuid::now_v7().to_string(),
            session_id: session_id.to_string(),
            position: i as i64 + 1,
            title,
            description,
            deliberation: None,
        })
        .collect()
}
