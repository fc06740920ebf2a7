//! The scenario evaluator behind `rubrica rules evaluate --input scenario.json`: one session's
//! convocatoria, attendance and votes in, the notice, quorum and decision findings out.
//!
//! The input is read field by field rather than through derived deserialisers so that every
//! mistake a facilitator can make — a typo in a field name, a vote of `"si"`, a date of
//! `2026-02-30`, a seat that does not exist — comes back as an [`Error`] with a Spanish
//! message naming the exact place (`votes[2].vote`) and what to write instead.
//!
//! ```json
//! {
//!   "preset": "jalisco",
//!   "session": {"kind": "ordinaria", "date": "2026-12-07", "convocatoria_issued": "2026-11-27"},
//!   "non_working_days": ["2026-12-04"],
//!   "attendance": [{"seat": "organo_garante", "present": "titular"}],
//!   "votes": [{"seat": "organo_garante", "vote": "favor"}]
//! }
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::Date;

use crate::attendance::{Attendance, Presence};
use crate::calendar::Calendar;
use crate::config::{Config, SeatId};
use crate::decision::{DecisionFinding, Vote, decide};
use crate::error::{Error, Result};
use crate::iso_date;
use crate::notice::{NoticeFinding, SessionKind, check_notice};
use crate::presets::{DEFAULT_PRESET, preset, preset_list};
use crate::quorum::{QuorumFinding, quorum};
use crate::spanish::fold;

/// The session being judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Ordinaria, extraordinaria or reunión de trabajo.
    pub kind: SessionKind,
    /// The day it is held.
    pub date: Date,
    /// The day its convocatoria was issued, if it was.
    pub convocatoria_issued: Option<Date>,
}

/// A parsed scenario: configuration resolved, seats checked against it, dates parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The preset named in the file, or the file's own `config`.
    pub config: Config,
    /// The session.
    pub session: Session,
    /// Business-day calendar with the file's `non_working_days`.
    pub calendar: Calendar,
    /// Attendance entries in file order.
    pub attendance: Vec<(SeatId, Presence)>,
    /// Votes in file order; empty when the file has none.
    pub votes: Vec<(SeatId, Vote)>,
}

/// What `rubrica rules evaluate` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioOutput {
    /// 000 V.6: the convocatoria's notice.
    pub notice: NoticeFinding,
    /// 000 V.2–3: quorum.
    pub quorum: QuorumFinding,
    /// 000 VI; 004 Table 2: the motion's result; `null` when the scenario has no votes.
    pub decision: Option<DecisionFinding>,
}

const TOP_FIELDS: &[&str] = &[
    "preset",
    "config",
    "session",
    "non_working_days",
    "attendance",
    "votes",
];
const TOP_FIELDS_TEXT: &str = "preset, config, session, non_working_days, attendance, votes";
const SESSION_FIELDS: &[&str] = &["kind", "date", "convocatoria_issued"];
const SESSION_FIELDS_TEXT: &str = "kind, date, convocatoria_issued";
const ATTENDANCE_FIELDS: &[&str] = &["seat", "present"];
const VOTE_FIELDS: &[&str] = &["seat", "vote"];

/// Evaluates a scenario given as JSON text: parse, then [`Scenario::evaluate`].
pub fn evaluate_scenario(json: &str) -> Result<ScenarioOutput> {
    Scenario::parse(json)?.evaluate()
}

impl Scenario {
    /// Reads and checks a scenario. The configuration is the file's `config` when present
    /// (the `preset` is then ignored), else the named `preset`, else `jalisco`.
    pub fn parse(json: &str) -> Result<Self> {
        let root: Value = serde_json::from_str(json).map_err(|error| Error::InvalidJson {
            line: error.line(),
            column: error.column(),
        })?;
        let root = as_object(&root, "(escenario)")?;
        only_fields(root, "", TOP_FIELDS, TOP_FIELDS_TEXT)?;

        let config = match present(root, "config") {
            Some(value) => Config::from_json(value.clone())?,
            None => {
                let name = optional_str(root, "", "preset")?.unwrap_or(DEFAULT_PRESET);
                preset(name).ok_or_else(|| Error::UnknownPreset {
                    name: name.to_owned(),
                    available: preset_list(),
                })?
            }
        };

        let session_value = present(root, "session").ok_or_else(|| Error::MissingField {
            field: "session".to_owned(),
        })?;
        let session_map = as_object(session_value, "session")?;
        only_fields(session_map, "session.", SESSION_FIELDS, SESSION_FIELDS_TEXT)?;
        let kind_text = required_str(session_map, "session.", "kind")?;
        let kind = match fold(kind_text).as_str() {
            "ordinaria" => SessionKind::Ordinary,
            "extraordinaria" => SessionKind::Extraordinary,
            "reunion_de_trabajo" => SessionKind::WorkMeeting,
            _ => {
                return Err(Error::UnknownValue {
                    field: "session.kind".to_owned(),
                    value: kind_text.to_owned(),
                    allowed: "ordinaria, extraordinaria, reunion_de_trabajo",
                });
            }
        };
        let date = required_date(session_map, "session.", "date")?;
        let convocatoria_issued = optional_date(session_map, "session.", "convocatoria_issued")?;

        let mut non_working_days = Vec::new();
        for (index, item) in optional_list(root, "non_working_days")?.iter().enumerate() {
            let field = format!("non_working_days[{index}]");
            let text = item.as_str().ok_or_else(|| Error::WrongType {
                field: field.clone(),
                expected: "un texto con una fecha AAAA-MM-DD",
            })?;
            non_working_days.push(parse_date(text, &field)?);
        }

        let mut attendance = Vec::new();
        for (index, item) in optional_list(root, "attendance")?.iter().enumerate() {
            let prefix = format!("attendance[{index}].");
            let entry = as_object(item, &format!("attendance[{index}]"))?;
            only_fields(entry, &prefix, ATTENDANCE_FIELDS, "seat, present")?;
            let seat = seat(&config, entry, &prefix)?;
            let text = required_str(entry, &prefix, "present")?;
            let presence = match fold(text).as_str() {
                "titular" => Presence::Titular,
                "suplente" => Presence::Suplente,
                "none" => Presence::Absent,
                _ => {
                    return Err(Error::UnknownValue {
                        field: format!("{prefix}present"),
                        value: text.to_owned(),
                        allowed: "titular, suplente, none",
                    });
                }
            };
            attendance.push((seat, presence));
        }

        let mut votes = Vec::new();
        for (index, item) in optional_list(root, "votes")?.iter().enumerate() {
            let prefix = format!("votes[{index}].");
            let entry = as_object(item, &format!("votes[{index}]"))?;
            only_fields(entry, &prefix, VOTE_FIELDS, "seat, vote")?;
            let seat = seat(&config, entry, &prefix)?;
            let text = required_str(entry, &prefix, "vote")?;
            let vote = match fold(text).as_str() {
                "favor" | "a_favor" => Vote::InFavour,
                "contra" | "en_contra" => Vote::Against,
                "abstencion" => Vote::Abstain,
                _ => {
                    return Err(Error::UnknownValue {
                        field: format!("{prefix}vote"),
                        value: text.to_owned(),
                        allowed: "favor, contra, abstencion",
                    });
                }
            };
            votes.push((seat, vote));
        }

        Ok(Self {
            config,
            session: Session {
                kind,
                date,
                convocatoria_issued,
            },
            calendar: Calendar::new(non_working_days),
            attendance,
            votes,
        })
    }

    /// Applies the rules: notice (000 V.6), quorum (000 V.2–3) and, when there are votes, the
    /// decision (000 VI; 004 Table 2).
    pub fn evaluate(&self) -> Result<ScenarioOutput> {
        let notice = check_notice(
            self.session.kind,
            self.session.convocatoria_issued,
            self.session.date,
            &self.config.notice,
            &self.calendar,
        );
        let attendance = Attendance::new(&self.config, self.attendance.iter().cloned())?;
        let quorum = quorum(&self.config, &attendance);
        let decision = if self.votes.is_empty() {
            None
        } else {
            Some(decide(&self.config, &attendance, &self.votes)?)
        };
        Ok(ScenarioOutput {
            notice,
            quorum,
            decision,
        })
    }
}

/// A field's value, treating `null` as absent.
fn present<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|value| !value.is_null())
}

fn as_object<'a>(value: &'a Value, field: &str) -> Result<&'a Map<String, Value>> {
    value.as_object().ok_or_else(|| Error::WrongType {
        field: field.to_owned(),
        expected: "un objeto JSON ({ ... })",
    })
}

fn only_fields(
    map: &Map<String, Value>,
    prefix: &str,
    allowed: &[&str],
    allowed_text: &'static str,
) -> Result<()> {
    match map.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(Error::UnknownField {
            field: format!("{prefix}{key}"),
            allowed: allowed_text,
        }),
        None => Ok(()),
    }
}

fn optional_str<'a>(
    map: &'a Map<String, Value>,
    prefix: &str,
    key: &str,
) -> Result<Option<&'a str>> {
    match present(map, key) {
        None => Ok(None),
        Some(value) => value.as_str().map(Some).ok_or_else(|| Error::WrongType {
            field: format!("{prefix}{key}"),
            expected: "un texto entre comillas",
        }),
    }
}

fn required_str<'a>(map: &'a Map<String, Value>, prefix: &str, key: &str) -> Result<&'a str> {
    optional_str(map, prefix, key)?.ok_or_else(|| Error::MissingField {
        field: format!("{prefix}{key}"),
    })
}

fn parse_date(text: &str, field: &str) -> Result<Date> {
    iso_date::parse(text).ok_or_else(|| Error::InvalidDate {
        field: field.to_owned(),
        value: text.to_owned(),
    })
}

fn optional_date(map: &Map<String, Value>, prefix: &str, key: &str) -> Result<Option<Date>> {
    optional_str(map, prefix, key)?
        .map(|text| parse_date(text, &format!("{prefix}{key}")))
        .transpose()
}

fn required_date(map: &Map<String, Value>, prefix: &str, key: &str) -> Result<Date> {
    optional_date(map, prefix, key)?.ok_or_else(|| Error::MissingField {
        field: format!("{prefix}{key}"),
    })
}

fn optional_list<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a [Value]> {
    match present(map, key) {
        None => Ok(&[]),
        Some(value) => value
            .as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| Error::WrongType {
                field: key.to_owned(),
                expected: "una lista ([ ... ])",
            }),
    }
}

/// The entry's `seat`, which must be one of the configuration's seats.
fn seat(config: &Config, entry: &Map<String, Value>, prefix: &str) -> Result<SeatId> {
    let text = required_str(entry, prefix, "seat")?;
    config
        .seat(text)
        .map(|seat| seat.id.clone())
        .ok_or_else(|| Error::UnknownSeat {
            seat: text.to_owned(),
            at: format!("{prefix}seat"),
            known: config.seat_list(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{DecidedBy, Outcome};
    use serde_json::json;

    fn evaluate(value: Value) -> Result<ScenarioOutput> {
        evaluate_scenario(&value.to_string())
    }

    fn base() -> Value {
        json!({
            "preset": "jalisco",
            "session": {"kind": "ordinaria", "date": "2026-12-07", "convocatoria_issued": "2026-11-27"},
            "attendance": [
                {"seat": "organo_garante", "present": "titular"},
                {"seat": "ejecutivo", "present": "titular"},
                {"seat": "judicial", "present": "suplente"},
                {"seat": "legislativo", "present": "titular"},
                {"seat": "academia", "present": "titular"},
                {"seat": "empresarial", "present": "titular"},
                {"seat": "sociedad_civil", "present": "none"}
            ],
            "votes": [
                {"seat": "organo_garante", "vote": "favor"},
                {"seat": "ejecutivo", "vote": "contra"},
                {"seat": "academia", "vote": "favor"},
                {"seat": "empresarial", "vote": "abstencion"}
            ]
        })
    }

    #[test]
    fn a_full_scenario_produces_the_three_findings() {
        let output = evaluate(base()).unwrap();
        assert!(output.notice.ok);
        assert_eq!(output.notice.business_days, 5);
        assert!(output.quorum.ok);
        assert_eq!(output.quorum.represented, 6);
        let decision = output.decision.unwrap();
        assert_eq!(decision.outcome, Outcome::Approved);
        assert_eq!(decision.by, DecidedBy::Majority);
        assert_eq!(
            (decision.in_favour, decision.against, decision.abstentions),
            (2, 1, 3)
        );
    }

    #[test]
    fn the_output_has_the_cli_contract_shape() {
        let output = serde_json::to_value(evaluate(base()).unwrap()).unwrap();
        for key in ["ok", "business_days", "required", "explanation"] {
            assert!(output["notice"].get(key).is_some(), "notice.{key}");
        }
        for key in [
            "ok",
            "represented",
            "active",
            "civil_society_represented",
            "explanation",
        ] {
            assert!(output["quorum"].get(key).is_some(), "quorum.{key}");
        }
        for key in [
            "outcome",
            "by",
            "favor",
            "contra",
            "abstencion",
            "civil_society_in_favor",
            "explanation",
        ] {
            assert!(output["decision"].get(key).is_some(), "decision.{key}");
        }
    }

    #[test]
    fn without_votes_there_is_no_decision() {
        let mut scenario = base();
        scenario.as_object_mut().unwrap().remove("votes");
        assert_eq!(evaluate(scenario).unwrap().decision, None);
    }

    #[test]
    fn the_preset_defaults_to_jalisco_and_a_config_replaces_it() {
        let mut scenario = base();
        scenario.as_object_mut().unwrap().remove("preset");
        assert_eq!(evaluate(scenario.clone()).unwrap().quorum.active, 9);

        let mut config = serde_json::to_value(crate::presets::jalisco()).unwrap();
        config["decision"]["consensus_only"] = json!(true);
        scenario["config"] = config;
        scenario["preset"] = json!("no_existe");
        let decision = evaluate(scenario).unwrap().decision.unwrap();
        assert_eq!(decision.outcome, Outcome::Rejected);
        assert_eq!(decision.by, DecidedBy::Consensus);
    }

    #[test]
    fn non_working_days_reduce_the_notice() {
        let mut scenario = base();
        scenario["non_working_days"] = json!(["2026-12-01"]);
        let notice = evaluate(scenario).unwrap().notice;
        assert!(!notice.ok);
        assert_eq!(notice.business_days, 4);
    }

    #[test]
    fn accents_and_capitals_in_values_are_accepted() {
        let mut scenario = base();
        scenario["session"]["kind"] = json!("Reunión de trabajo");
        scenario["votes"][3]["vote"] = json!("abstención");
        let output = evaluate(scenario).unwrap();
        assert_eq!(output.notice.required, 0);
    }

    fn error_of(scenario: Value) -> Error {
        evaluate(scenario).unwrap_err()
    }

    #[test]
    fn an_unknown_seat_names_the_entry_and_the_valid_seats() {
        let mut scenario = base();
        scenario["votes"][1]["seat"] = json!("senado");
        let error = error_of(scenario);
        assert!(matches!(&error, Error::UnknownSeat { at, .. } if at == "votes[1].seat"));
        let message = error.to_string();
        assert!(message.contains("«senado»") && message.contains("comunidad_tecnologica"));
    }

    #[test]
    fn a_vote_from_an_unrepresented_seat_is_refused() {
        let mut scenario = base();
        scenario["votes"][1]["seat"] = json!("sociedad_civil");
        let error = error_of(scenario);
        assert!(matches!(&error, Error::UnrepresentedVote { at, .. } if at == "votes[1]"));
        assert!(
            error
                .to_string()
                .contains("registre su asistencia o quite ese voto")
        );
    }

    #[test]
    fn bad_dates_unknown_presets_and_values_are_refused_in_spanish() {
        let mut scenario = base();
        scenario["session"]["date"] = json!("2026-02-30");
        assert!(matches!(
            error_of(scenario),
            Error::InvalidDate { field, .. } if field == "session.date"
        ));

        let mut scenario = base();
        scenario["preset"] = json!("atlantida");
        let error = error_of(scenario);
        assert!(matches!(error, Error::UnknownPreset { .. }));
        assert!(error.to_string().contains("san_luis_potosi"));

        let mut scenario = base();
        scenario["votes"][0]["vote"] = json!("si");
        assert!(matches!(
            error_of(scenario),
            Error::UnknownValue { field, .. } if field == "votes[0].vote"
        ));

        let mut scenario = base();
        scenario["attendance"][0]["present"] = json!("enlace");
        assert!(matches!(
            error_of(scenario),
            Error::UnknownValue { field, .. } if field == "attendance[0].present"
        ));
    }

    #[test]
    fn structural_mistakes_are_refused_with_their_place() {
        assert!(matches!(
            evaluate_scenario("{\"preset\": "),
            Err(Error::InvalidJson { .. })
        ));
        assert!(matches!(
            evaluate_scenario("[]"),
            Err(Error::WrongType { .. })
        ));

        let mut scenario = base();
        scenario.as_object_mut().unwrap().remove("session");
        assert!(matches!(
            error_of(scenario),
            Error::MissingField { field } if field == "session"
        ));

        let mut scenario = base();
        scenario["vote"] = json!([]);
        assert!(matches!(
            error_of(scenario),
            Error::UnknownField { field, .. } if field == "vote"
        ));

        let mut scenario = base();
        scenario["attendance"] = json!({"seat": "academia"});
        assert!(matches!(
            error_of(scenario),
            Error::WrongType { field, .. } if field == "attendance"
        ));

        let mut scenario = base();
        scenario["session"]["date"] = json!(20261207);
        assert!(matches!(
            error_of(scenario),
            Error::WrongType { field, .. } if field == "session.date"
        ));

        let mut scenario = base();
        scenario["config"] = json!({"name": "x"});
        assert!(matches!(error_of(scenario), Error::MalformedConfig { .. }));
    }
}
