//! The secretariat's records as the API holds them in memory: one struct per
//! table row, and the closed sets of words its columns take.

use rubrica_rules::{
    AgendaFinding, Config, DecisionFinding, NoticeFinding, QuorumFinding, SessionKind, Vote,
};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::edge;

/// A member's post (the `designations.role` column): the suite's one enum.
pub use rubrica_rules::Post;

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum SessionStatus {
    /// Created; agenda being prepared.
    #[serde(rename = "programada")]
    Scheduled,
    /// Its convocatoria was issued with enough notice (000 V.6).
    #[serde(rename = "convocada")]
    Convened,
    /// Opened with quorum (000 V.2); agenda, votes and agreements happen now.
    #[serde(rename = "abierta")]
    Open,
    /// Closed: its record went to the documents service.
    #[serde(rename = "cerrada")]
    Closed,
    /// Cancelled before it was opened; the members were told.
    #[serde(rename = "cancelada")]
    Cancelled,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Scheduled => "programada",
            SessionStatus::Convened => "convocada",
            SessionStatus::Open => "abierta",
            SessionStatus::Closed => "cerrada",
            SessionStatus::Cancelled => "cancelada",
        }
    }

    pub fn from_stored(text: &str) -> Option<SessionStatus> {
        [
            SessionStatus::Scheduled,
            SessionStatus::Convened,
            SessionStatus::Open,
            SessionStatus::Closed,
            SessionStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// The words of a session kind.
pub const KIND_CHOICES: &[(&str, SessionKind)] = &[
    ("ordinaria", SessionKind::Ordinary),
    ("extraordinaria", SessionKind::Extraordinary),
    ("reunion_de_trabajo", SessionKind::WorkMeeting),
];

/// The stored word of a session kind.
pub fn kind_str(kind: SessionKind) -> &'static str {
    match kind {
        SessionKind::Ordinary => "ordinaria",
        SessionKind::Extraordinary => "extraordinaria",
        SessionKind::WorkMeeting => "reunion_de_trabajo",
    }
}

/// The kind's part of a folio.
pub fn kind_abbreviation(kind: SessionKind) -> &'static str {
    match kind {
        SessionKind::Ordinary => "ORD",
        SessionKind::Extraordinary => "EXT",
        SessionKind::WorkMeeting => "RT",
    }
}

/// The kind as a record's heading writes it.
pub fn kind_title(kind: SessionKind) -> &'static str {
    match kind {
        SessionKind::Ordinary => "Sesión ordinaria",
        SessionKind::Extraordinary => "Sesión extraordinaria",
        SessionKind::WorkMeeting => "Reunión de trabajo",
    }
}

/// 000 V.7: sessions are recorded in an acta, work meetings in a minuta.
pub fn record_kind(kind: SessionKind) -> &'static str {
    match kind {
        SessionKind::WorkMeeting => "minuta",
        SessionKind::Ordinary | SessionKind::Extraordinary => "acta",
    }
}

/// The words of a vote.
pub const VOTE_CHOICES: &[(&str, Vote)] = &[
    ("favor", Vote::InFavour),
    ("contra", Vote::Against),
    ("abstencion", Vote::Abstain),
    ("abstención", Vote::Abstain),
];

/// The stored word of a vote.
pub fn vote_str(vote: Vote) -> &'static str {
    match vote {
        Vote::InFavour => "favor",
        Vote::Against => "contra",
        Vote::Abstain => "abstencion",
    }
}

/// The follow-up states of an agreement.
pub const AGREEMENT_STATUSES: &[(&str, &str)] = &[
    ("pendiente", "pendiente"),
    ("en_proceso", "en_proceso"),
    ("cumplido", "cumplido"),
    ("cancelado", "cancelado"),
];

/// Who signs the record besides titulars and acting suplentes (000 V.7).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignerSettings {
    /// Whether enlaces who attended sign (default no: voice only, 000 III.3).
    #[serde(default)]
    pub enlaces: bool,
    /// Whether invited members who attended sign (default no: voice only, 000 VIII.5).
    #[serde(default)]
    pub invited_members: bool,
}

/// A row of `secretariats`.
#[derive(Debug, Clone)]
pub struct SecretariatRow {
    pub id: String,
    pub name: String,
    pub preset: String,
    /// The rules configuration; each seat's `active` is recomputed from the
    /// designations of the day before any rule is applied.
    pub config: Config,
    pub signers: SignerSettings,
    pub utc_offset_minutes: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A row of `members`.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub id: String,
    pub secretariat_id: String,
    pub name: String,
    pub rfc: String,
    pub email: String,
    pub created_at: i64,
}

/// A row of `designations`.
#[derive(Debug, Clone)]
pub struct DesignationRow {
    pub id: String,
    pub secretariat_id: String,
    pub member_id: String,
    pub post: Post,
    pub seat: Option<String>,
    pub project: Option<String>,
    pub starts_on: Date,
    /// Last day in post, inclusive.
    pub ends_on: Option<Date>,
    pub ended_reason: Option<String>,
    pub body: Option<String>,
    pub term_starts_on: Option<Date>,
    pub incorporated_until: Option<Date>,
    pub mandate_changed_on: Option<Date>,
    pub created_at: i64,
}

impl DesignationRow {
    /// Whether the member holds the post on `day`. An invited member's post
    /// lasts while their project does (000 VIII.4).
    pub fn active_on(&self, day: Date) -> bool {
        if day < self.starts_on {
            return false;
        }
        match (self.post, self.ends_on) {
            (_, None) => true,
            (Post::Invited, Some(project_ends)) => {
                rubrica_rules::invited_member_seated(project_ends, day)
            }
            (_, Some(ends)) => day <= ends,
        }
    }

    /// Whether the post's period meets `[start, end]` (inclusive; `None`
    /// is open-ended).
    pub fn overlaps(&self, start: Date, end: Option<Date>) -> bool {
        let starts_before_other_ends = end.is_none_or(|e| self.starts_on <= e);
        let other_starts_before_this_ends = self.ends_on.is_none_or(|e| start <= e);
        starts_before_other_ends && other_starts_before_this_ends
    }

    /// First day of the term served (a risen suplente completes the term).
    pub fn term_start(&self) -> Date {
        self.term_starts_on.unwrap_or(self.starts_on)
    }

    /// "del 2026-01-01 al 2027-01-01" / "desde el 2026-01-01".
    pub fn period_text(&self) -> String {
        match self.ends_on {
            Some(end) => format!("del {} al {}", edge::iso(self.starts_on), edge::iso(end)),
            None => format!("desde el {}", edge::iso(self.starts_on)),
        }
    }
}

/// A row of `vacancy_calls`.
#[derive(Debug, Clone)]
pub struct CallRow {
    pub id: String,
    pub secretariat_id: String,
    pub seat: String,
    pub vacancy: String,
    pub run_by: String,
    pub resignation: String,
    pub explanation: String,
    pub opened_on: Date,
    pub status: String,
    pub closed_on: Option<Date>,
    pub created_at: i64,
}

/// The agenda's approval as recorded (000 V.1).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgendaApproval {
    /// The rules' finding.
    #[schema(value_type = Object)]
    pub finding: AgendaFinding,
    /// The votes cast on it.
    pub votes: Vec<SeatVote>,
    /// When it was voted, epoch ms.
    pub at: i64,
}

/// One seat's vote as recorded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SeatVote {
    /// The seat.
    pub seat: String,
    /// `favor`, `contra` or `abstencion`.
    pub vote: String,
}

/// A row of `sessions`.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub secretariat_id: String,
    pub kind: SessionKind,
    pub number: i64,
    pub folio: String,
    pub held_on: Date,
    pub scheduled_time: String,
    pub place: String,
    pub status: SessionStatus,
    pub convocatoria_issued_on: Option<Date>,
    pub notice: Option<NoticeFinding>,
    pub opened_at: Option<i64>,
    pub quorum_at_opening: Option<QuorumFinding>,
    pub agenda_approval: Option<AgendaApproval>,
    pub closed_at: Option<i64>,
    pub closed_event_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SessionRow {
    /// Whether the agenda was approved (000 V.1).
    pub fn agenda_approved(&self) -> bool {
        self.agenda_approval
            .as_ref()
            .is_some_and(|a| a.finding.approved)
    }
}

/// A row of `agenda_items`.
#[derive(Debug, Clone)]
pub struct AgendaItemRow {
    pub id: String,
    pub session_id: String,
    pub position: i64,
    pub title: String,
    pub description: Option<String>,
    pub deliberation: Option<String>,
}

/// A row of `attendance`: one stay of a member in a session.
#[derive(Debug, Clone)]
pub struct AttendanceRow {
    pub id: String,
    pub session_id: String,
    pub member_id: String,
    pub capacity: Post,
    pub seat: Option<String>,
    pub arrived_at: i64,
    pub departed_at: Option<i64>,
}

impl AttendanceRow {
    /// Whether the member is in the room at instant `t`.
    pub fn present_at(&self, t: i64) -> bool {
        self.arrived_at <= t && self.departed_at.is_none_or(|d| d > t)
    }
}

/// A row of `motions`.
#[derive(Debug, Clone)]
pub struct MotionRow {
    pub id: String,
    pub session_id: String,
    pub number: i64,
    pub agenda_position: Option<i64>,
    pub wording: String,
    pub quorum: QuorumFinding,
    pub decision: DecisionFinding,
    pub voted_at: i64,
}

/// A row of `votes`.
#[derive(Debug, Clone)]
pub struct VoteRow {
    pub motion_id: String,
    pub seat: String,
    pub vote: String,
    pub member_id: Option<String>,
    pub capacity: Option<Post>,
}

/// A row of `agreements`.
#[derive(Debug, Clone)]
pub struct AgreementRow {
    pub id: String,
    pub secretariat_id: String,
    pub session_id: String,
    pub motion_id: String,
    pub number: i64,
    pub folio: String,
    pub wording: String,
    pub responsible_seat: Option<String>,
    pub due_on: Option<Date>,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A row of `agreement_updates`.
#[derive(Debug, Clone)]
pub struct AgreementUpdateRow {
    pub id: String,
    pub agreement_id: String,
    pub status: String,
    pub note: Option<String>,
    pub recorded_at: i64,
    pub recorded_by: String,
}
