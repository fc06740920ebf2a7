//! The governance rules of a *Secretariado Técnico Local* (STL) of Open Government, as pure
//! functions.
//!
//! Every rule of the seeds that Rúbrica computes — who votes, when a term ends, what a
//! resignation sets in motion, whether a convocatoria gave enough notice, whether there is
//! quorum, whether a motion passed — lives here in exactly one function whose doc comment cites
//! the clause it implements: `000` is the Jalisco governance mechanism
//! (`seeds/000_7472fb35f8cfff6f.txt`), `004` the national guide to STLs
//! (`seeds/004_716d09f554bfdf11.txt`). The secretariat service, the `rubrica rules evaluate`
//! CLI and the text of the acta all call these functions, so the three cannot disagree.
//!
//! The crate does no I/O and reads no clock: callers pass dates in. Every finding carries a
//! Spanish (es-MX) explanation naming the rule applied and the counts behind it, e.g.
//! `quórum: 6 de 9 asientos, incluye sociedad civil (…)`, which the acta prints verbatim.
//! Where the seeds are ambiguous the reading chosen is a named setting of [`Config`], stated in
//! the doc comment of the function that applies it.
//!
//! # Layout
//!
//! * [`config`] — the secretariat's configuration: [`SeatId`], [`Sector`] and [`SectorGroup`]
//!   (the three columns of 004 Table 2), [`Seat`], and the named settings of quorum, decisions
//!   and notice. Defaults are Jalisco's.
//! * [`presets`] — `jalisco` (000, the default) and one preset per other STL of 004 Table 2,
//!   with the readings of that table documented.
//! * [`roles`] — voice and vote of titular, suplente, enlace, facilitator and invited member,
//!   and the President's casting vote (000 III.1–3, V.3, VI, VIII).
//! * [`terms`] — term ends and the terms ending soon (000 II.2–3, III.7), and the municipality's
//!   no-immediate-re-election rule.
//! * [`renewal`] — renewing titulars and resignations: who rises, which calls open and who runs
//!   them (000 II.4).
//! * [`calendar`] — business days: weekends, the official rest days of LFT art. 74, and the
//!   secretariat's own non-working days.
//! * [`notice`] — the convocatoria's notice in business days and the latest valid issue date
//!   (000 V.6).
//! * [`agenda`] — approving the agenda at the start of a session (000 V.1).
//! * [`attendance`] — who represents each seat (000 V.2–3).
//! * [`mod@quorum`] — quorum of active seats with civil society (000 V.2–3).
//! * [`decision`] — consensus, majority with its sector conditions, casting vote (000 VI,
//!   004 Table 2).
//! * [`scenario`] — the evaluator of `rubrica rules evaluate --input scenario.json`.
//! * [`error`] — the one error type; every variant is a Spanish message a person can act on.

pub mod agenda;
pub mod attendance;
pub mod calendar;
pub mod config;
pub mod decision;
pub mod error;
pub mod local_time;
pub mod notice;
pub mod presets;
pub mod quorum;
pub mod renewal;
pub mod roles;
pub mod scenario;
pub mod terms;

mod iso_date;
mod spanish;

use serde::{Deserialize, Serialize};

pub use agenda::{AgendaFinding, agenda_approval};
pub use attendance::{Attendance, Presence, representation};
pub use calendar::{Calendar, is_weekend, official_rest_day, official_rest_days};
pub use config::{
    Config, DecisionSettings, MajorityBase, NoticeSettings, QuorumSettings, Seat, SeatId, Sector,
    SectorGroup,
};
pub use decision::{DecidedBy, DecisionFinding, Outcome, Vote, decide};
pub use error::{Error, Result, ScenarioError};
pub use notice::{
    NoticeFinding, SessionKind, business_days_of_notice, check_notice, earliest_session_date,
    effective_issue_date, latest_issue_date,
};
pub use presets::{DEFAULT_PRESET, PRESET_NAMES, jalisco, preset};
pub use quorum::{QuorumFinding, quorum};
pub use renewal::{
    Call, CallRunner, Resignation, ResignationOutcome, SeatHolders, Vacancy, open_call_applies,
    resign, suplente_has_priority,
};
pub use roles::{Post, has_casting_vote, has_voice, has_vote, invited_member_seated};
pub use scenario::{Scenario, ScenarioOutput, Session, evaluate_scenario};
/// Case- and accent-insensitive form of a Spanish text (also used to search titles).
pub use spanish::fold;
pub use terms::{
    Designation, EndingTerm, TermEnd, TermRule, successor_allowed, term_end, terms_ending_within,
};

/// A yes/no finding with its Spanish explanation, for rules that need no more (e.g. whether a
/// municipality may take the next period).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Whether the rule is satisfied.
    pub ok: bool,
    /// Spanish explanation naming the rule.
    pub explanation: String,
}
