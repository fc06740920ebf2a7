//! Decisions: consensus, majority, the civil-society and sector conditions, and the casting vote
//! (000 VI; 004 Table 2).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::attendance::Attendance;
use crate::config::{Config, MajorityBase, SeatId, SectorGroup};
use crate::error::{Error, Result};
use crate::quorum::{QuorumFinding, quorum};
use crate::roles::has_casting_vote;
use crate::spanish::{count, join};

/// One seat's vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Vote {
    /// A favor.
    #[serde(rename = "favor")]
    InFavour,
    /// En contra.
    #[serde(rename = "contra")]
    Against,
    /// Abstención.
    #[serde(rename = "abstencion")]
    Abstain,
}

/// Whether the motion passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Aprobado.
    #[serde(rename = "aprobado")]
    Approved,
    /// Rechazado.
    #[serde(rename = "rechazado")]
    Rejected,
}

/// Which rule settled the motion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecidedBy {
    /// Every represented seat in favour, or (consensus-only secretariats) its absence.
    #[serde(rename = "consenso")]
    Consensus,
    /// The majority rule and its conditions.
    #[serde(rename = "mayoria")]
    Majority,
    /// A tie settled by the President's casting vote.
    #[serde(rename = "voto_de_calidad")]
    CastingVote,
}

/// A motion's result with its tally and the explanation the acta prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionFinding {
    /// Aprobado or rechazado.
    pub outcome: Outcome,
    /// The rule that settled it.
    pub by: DecidedBy,
    /// Represented seats that voted in favour.
    #[serde(rename = "favor")]
    pub in_favour: usize,
    /// Represented seats that voted against.
    #[serde(rename = "contra")]
    pub against: usize,
    /// Represented seats that abstained or cast no vote.
    #[serde(rename = "abstencion")]
    pub abstentions: usize,
    /// Whether at least one civil-society seat voted in favour.
    #[serde(rename = "civil_society_in_favor")]
    pub civil_society_in_favour: bool,
    /// Spanish explanation: rule, counts, whether the casting vote was used.
    pub explanation: String,
}

/// Checks the votes against the attendance: every voting seat exists, is represented, and
/// votes once. The index of each vote appears in errors as `votes[i]`.
pub(crate) fn ballot(
    config: &Config,
    attendance: &Attendance,
    votes: &[(SeatId, Vote)],
) -> Result<BTreeMap<SeatId, Vote>> {
    let mut ballot = BTreeMap::new();
    let mut first_index = BTreeMap::new();
    for (index, (seat, vote)) in votes.iter().enumerate() {
        let at = format!("votes[{index}]");
        if config.seat(seat.as_str()).is_none() {
            return Err(Error::UnknownSeat {
                seat: seat.to_string(),
                at,
                known: config.seat_list(),
            });
        }
        if !attendance.is_represented(seat) {
            return Err(Error::UnrepresentedVote {
                seat: seat.to_string(),
                at,
            });
        }
        if let Some(first) = first_index.insert(seat.clone(), index) {
            return Err(Error::DuplicateVote {
                seat: seat.to_string(),
                first_at: format!("votes[{first}]"),
                at,
            });
        }
        ballot.insert(seat.clone(), *vote);
    }
    Ok(ballot)
}

/// The counts a decision needs.
struct Tally<'a> {
    represented: usize,
    in_favour: usize,
    against: usize,
    /// Explicit abstentions plus represented seats without a vote.
    abstentions: usize,
    /// Represented seats without a recorded vote (included in `abstentions`).
    not_voted: usize,
    civil_society_in_favour: Vec<&'a str>,
    groups_in_favour: BTreeSet<SectorGroup>,
    /// The vote cast for the presiding seat when it holds the casting vote.
    casting_vote: Option<Vote>,
}

impl<'a> Tally<'a> {
    fn count(config: &'a Config, attendance: &Attendance, ballot: &BTreeMap<SeatId, Vote>) -> Self {
        let mut tally = Tally {
            represented: 0,
            in_favour: 0,
            against: 0,
            abstentions: 0,
            not_voted: 0,
            civil_society_in_favour: Vec::new(),
            groups_in_favour: BTreeSet::new(),
            casting_vote: None,
        };
        for seat in config
            .active_seats()
            .filter(|seat| attendance.is_represented(&seat.id))
        {
            tally.represented += 1;
            let vote = ballot.get(&seat.id).copied();
            if has_casting_vote(config, &seat.id) {
                tally.casting_vote = vote;
            }
            match vote {
                Some(Vote::InFavour) => {
                    tally.in_favour += 1;
                    tally.groups_in_favour.insert(seat.group());
                    if seat.is_civil_society() {
                        tally.civil_society_in_favour.push(seat.id.as_str());
                    }
                }
                Some(Vote::Against) => tally.against += 1,
                Some(Vote::Abstain) => tally.abstentions += 1,
                None => {
                    tally.abstentions += 1;
                    tally.not_voted += 1;
                }
            }
        }
        tally
    }

    /// "5 a favor, 2 en contra y 1 abstención".
    fn text(&self) -> String {
        let mut text = format!(
            "{} a favor, {} en contra y {}",
            self.in_favour,
            self.against,
            count(self.abstentions, "abstención", "abstenciones")
        );
        if self.not_voted > 0 {
            text.push_str(&format!(
                " ({} sin voto registrado, contado como abstención)",
                self.not_voted
            ));
        }
        text
    }

    fn finding(&self, outcome: Outcome, by: DecidedBy, explanation: String) -> DecisionFinding {
        DecisionFinding {
            outcome,
            by,
            in_favour: self.in_favour,
            against: self.against,
            abstentions: self.abstentions,
            civil_society_in_favour: !self.civil_society_in_favour.is_empty(),
            explanation,
        }
    }
}

/// 000 VI: "Las decisiones del Secretariado se tomarán por mayoría de votos de los presentes en
/// las sesiones, debiendo contarse en ésta por lo menos con un voto de la sociedad civil. El
/// Presidente del STL tendrá voto de calidad, en caso de empate." 004 Table 2: "Por consenso y
/// en caso de disenso se aplicará regla de mayoría", with each STL's conditions.
///
/// In order:
/// 1. Quorum is evaluated again at the vote (000 V.2); without it nothing is approved.
/// 2. **Consensus**: every represented seat votes in favour → approved.
/// 3. Consensus-only secretariats (004 Table 2: San Luis Potosí, Veracruz) → otherwise rejected.
/// 4. **Majority**: favour exceeds against, abstentions not counting
///    ([`MajorityBase::VotesCast`]; or favour exceeds half the represented seats with
///    [`MajorityBase::SeatsRepresented`]) — approved only if the majority includes a
///    civil-society vote (Jalisco) and/or a vote of each sector group with an active seat
///    (Morelos, Sinaloa), as configured.
/// 5. **Tie** (favour = against > 0; or exactly half with `SeatsRepresented`): when the
///    configuration grants the President a casting vote, the presiding seat's vote decides — in
///    favour approves, still subject to the conditions of 4; against rejects. If the presiding
///    seat abstained or is absent there is no casting vote and the tie rejects.
/// 6. Otherwise rejected.
///
/// A represented seat without a vote counts as an abstention (and breaks consensus).
pub fn decide(
    config: &Config,
    attendance: &Attendance,
    votes: &[(SeatId, Vote)],
) -> Result<DecisionFinding> {
    let ballot = ballot(config, attendance, votes)?;
    let tally = Tally::count(config, attendance, &ballot);
    let quorum = quorum(config, attendance);
    Ok(apply(config, &quorum, &tally))
}

fn apply(config: &Config, quorum: &QuorumFinding, tally: &Tally<'_>) -> DecisionFinding {
    use DecidedBy::{CastingVote, Consensus, Majority};
    use Outcome::{Approved, Rejected};

    let settings = &config.decision;
    let counts = tally.text();
    let fallback_rule = if settings.consensus_only {
        Consensus
    } else {
        Majority
    };

    if !quorum.ok {
        return tally.finding(
            Rejected,
            fallback_rule,
            format!(
                "rechazado: no hay quórum al momento de la votación, por lo que no puede tomarse ninguna decisión ({}); votación: {counts}",
                quorum.explanation
            ),
        );
    }

    if tally.represented > 0 && tally.in_favour == tally.represented {
        return tally.finding(
            Approved,
            Consensus,
            format!(
                "aprobado por consenso: votaron a favor {} representados (000 VI; 004 Tabla 2)",
                if tally.represented == 1 {
                    "el único asiento".to_owned()
                } else {
                    format!("los {} asientos", tally.represented)
                }
            ),
        );
    }

    if settings.consensus_only {
        return tally.finding(
            Rejected,
            Consensus,
            format!(
                "rechazado: la regla de decisión de este Secretariado es solo por consenso (004 Tabla 2) y no hubo consenso: {counts}"
            ),
        );
    }

    // The conditions a majority (or a tie won by the casting vote) must meet.
    let mut unmet = Vec::new();
    if settings.majority_needs_civil_society && tally.civil_society_in_favour.is_empty() {
        unmet.push(
            "ningún asiento de sociedad civil votó a favor y la mayoría debe incluir al menos un voto de sociedad civil (000 VI)"
                .to_owned(),
        );
    }
    if settings.majority_needs_each_group {
        let required: BTreeSet<SectorGroup> = config.active_seats().map(|s| s.group()).collect();
        let missing: Vec<&str> = required
            .difference(&tally.groups_in_favour)
            .map(|group| group.name_es())
            .collect();
        if !missing.is_empty() {
            unmet.push(format!(
                "faltó un voto a favor de {} y la mayoría debe incluir al menos un voto de cada sector (004 Tabla 2)",
                join(&missing)
            ));
        }
    }
    let met = if unmet.is_empty() {
        let mut met = Vec::new();
        if settings.majority_needs_civil_society {
            met.push(format!(
                "incluye voto a favor de sociedad civil ({})",
                join(&tally.civil_society_in_favour)
            ));
        }
        if settings.majority_needs_each_group {
            met.push("incluye un voto a favor de cada sector".to_owned());
        }
        met
    } else {
        Vec::new()
    };
    let met_text = if met.is_empty() {
        String::new()
    } else {
        format!("; {}", join(&met))
    };

    let (majority, tie, base_text) = match settings.majority_base {
        MajorityBase::VotesCast => (
            tally.in_favour > tally.against,
            tally.in_favour == tally.against && tally.in_favour > 0,
            "más votos a favor que en contra entre los presentes, sin contar abstenciones (000 VI; 004 Tabla 2)"
                .to_owned(),
        ),
        MajorityBase::SeatsRepresented => (
            tally.in_favour * 2 > tally.represented,
            tally.in_favour * 2 == tally.represented && tally.in_favour > 0,
            format!(
                "más de la mitad de los {} representados a favor (000 VI; 004 Tabla 2)",
                count(tally.represented, "asiento", "asientos")
            ),
        ),
    };

    if majority {
        return if unmet.is_empty() {
            tally.finding(
                Approved,
                Majority,
                format!("aprobado por mayoría: {counts}{met_text}; regla: {base_text}"),
            )
        } else {
            tally.finding(
                Rejected,
                Majority,
                format!("rechazado: hubo mayoría ({counts}), pero {}", join(&unmet)),
            )
        };
    }

    if tie {
        let president = config.president.as_str();
        if !settings.president_casting_vote {
            return tally.finding(
                Rejected,
                Majority,
                format!(
                    "rechazado: empate ({counts}) y este Secretariado no prevé voto de calidad, así que no hay mayoría; regla: {base_text}"
                ),
            );
        }
        return match tally.casting_vote {
            Some(Vote::InFavour) if unmet.is_empty() => tally.finding(
                Approved,
                CastingVote,
                format!(
                    "aprobado por voto de calidad: empate ({counts}); la Presidencia del STL («{president}») votó a favor y su voto de calidad decide (000 VI){met_text}"
                ),
            ),
            Some(Vote::InFavour) => tally.finding(
                Rejected,
                CastingVote,
                format!(
                    "rechazado: empate ({counts}) y la Presidencia del STL («{president}») votó a favor con voto de calidad, pero {}",
                    join(&unmet)
                ),
            ),
            Some(Vote::Against) => tally.finding(
                Rejected,
                CastingVote,
                format!(
                    "rechazado por voto de calidad: empate ({counts}); la Presidencia del STL («{president}») votó en contra y su voto de calidad decide (000 VI)"
                ),
            ),
            Some(Vote::Abstain) | None => tally.finding(
                Rejected,
                Majority,
                format!(
                    "rechazado: empate ({counts}) y la Presidencia del STL («{president}») no votó a favor ni en contra, así que no hay voto de calidad que desempate (000 VI)"
                ),
            ),
        };
    }

    tally.finding(
        Rejected,
        Majority,
        format!("rechazado: no hubo mayoría ({counts}); regla: {base_text}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attendance::Presence;
    use crate::presets::{jalisco, preset};
    use Vote::{Abstain, Against, InFavour};

    fn id(seat: &str) -> SeatId {
        SeatId::parse(seat).unwrap()
    }

    /// Everyone in `seats` attends as titular.
    fn titulars(config: &Config, seats: &[&str]) -> Attendance {
        Attendance::new(config, seats.iter().map(|s| (id(s), Presence::Titular))).unwrap()
    }

    fn votes(list: &[(&str, Vote)]) -> Vec<(SeatId, Vote)> {
        list.iter().map(|(s, v)| (id(s), *v)).collect()
    }

    const SIX: [&str; 6] = [
        "organo_garante",
        "ejecutivo",
        "judicial",
        "legislativo",
        "academia",
        "empresarial",
    ];

    /// 004 Table 2 "Por consenso": every represented seat in favour.
    #[test]
    fn unanimity_of_the_represented_seats_is_consensus() {
        let config = jalisco();
        let attendance = titulars(&config, &SIX);
        let all: Vec<_> = SIX.iter().map(|s| (*s, InFavour)).collect();
        let finding = decide(&config, &attendance, &votes(&all)).unwrap();
        assert_eq!(finding.outcome, Outcome::Approved);
        assert_eq!(finding.by, DecidedBy::Consensus);
        assert_eq!(finding.in_favour, 6);
        assert!(finding.explanation.contains("los 6 asientos"));
    }

    /// 000 VI "mayoría de votos de los presentes ... por lo menos con un voto de la sociedad
    /// civil": favour > against, abstentions not counted, with a civil-society vote.
    #[test]
    fn a_majority_with_a_civil_society_vote_is_approved() {
        let config = jalisco();
        let attendance = titulars(&config, &SIX);
        let finding = decide(
            &config,
            &attendance,
            &votes(&[
                ("organo_garante", InFavour),
                ("ejecutivo", Against),
                ("judicial", Abstain),
                ("legislativo", Abstain),
                ("academia", InFavour),
                ("empresarial", Abstain),
            ]),
        )
        .unwrap();
        assert_eq!(finding.outcome, Outcome::Approved);
        assert_eq!(finding.by, DecidedBy::Majority);
        assert_eq!(
            (finding.in_favour, finding.against, finding.abstentions),
            (2, 1, 3)
        );
        assert!(finding.civil_society_in_favour);
        assert!(
            finding
                .explanation
                .contains("incluye voto a favor de sociedad civil (academia)")
        );
    }

    /// 000 VI "debiendo contarse en ésta por lo menos con un voto de la sociedad civil".
    #[test]
    fn a_majority_without_a_civil_society_vote_is_rejected() {
        let config = jalisco();
        let attendance = titulars(&config, &SIX);
        let finding = decide(
            &config,
            &attendance,
            &votes(&[
                ("organo_garante", InFavour),
                ("ejecutivo", InFavour),
                ("judicial", InFavour),
                ("legislativo", InFavour),
                ("academia", Against),
                ("empresarial", Against),
            ]),
        )
        .unwrap();
        assert_eq!(finding.outcome, Outcome::Rejected);
        assert_eq!(finding.by, DecidedBy::Majority);
        assert!(!finding.civil_society_in_favour);
        assert!(
            finding
                .explanation
                .contains("ningún asiento de sociedad civil")
        );
    }

    /// 000 VI: fewer in favour than against is rejected.
    #[test]
    fn more_votes_against_than_in_favour_is_rejected() {
        let config = jalisco();
        let attendance = titulars(&config, &SIX);
        let finding = decide(
            &config,
            &attendance,
            &votes(&[
                ("academia", InFavour),
                ("ejecutivo", Against),
                ("judicial", Against),
            ]),
        )
        .unwrap();
        assert_eq!(finding.outcome, Outcome::Rejected);
        assert_eq!(finding.abstentions, 3);
        assert!(finding.explanation.contains("3 sin voto registrado"));
    }

    /// 000 VI "El Presidente del STL tendrá voto de calidad, en caso de empate": in favour.
    #[test]
    fn a_tie_with_the_president_in_favour_is_approved_by_casting_vote() {
        let config = jalisco();
        let attendance = titulars(&config, &SIX);
        let finding = decide(
            &config,
            &attendance,
            &votes(&[
                ("organo_garante", InFavour),
                ("academia", InFavour),
                ("ejecutivo", Against),
                ("judicial", Against),
                ("legislativo", Abstain),
                ("empresarial", Abstain),
            ]),
        )
        .unwrap();
        assert_eq!(finding.outcome, Outcome::Approved);
        assert_eq!(finding.by, DecidedBy::CastingVote);
        assert!(finding.explanation.contains("voto de calidad decide"));
    }

    /// 000 VI casting vote: against.
    #[test]
    fn a_tie_with_the_president_against_is_rejected_by_casting_vote() {
        let config = jalisco();
        let attendance = titulars(&config, &SIX);
        let finding = decide(
            &config,
            &attendance,
            &votes(&[
                ("organo_garante", Against),
                ("ejecutivo", Against),
                ("academia", InFavour),
                ("empresarial", InFavour),
            ]),
        )
        .unwrap();
        assert_eq!(finding.outcome, Outcome::Rejected);
        assert_eq!(finding.by, DecidedBy::CastingVote);
    }

    /// 000 VI: the casting vote is still subject to the civil-society condition.
    #[test]
    fn a_casting_vote_cannot_approve_without_a_civil_society_vote() {
        let config = jalisco();
        let attendance = titulars(&config, &SIX);
        let finding = decide(
            &config,
            &attendance,
            &votes(&[
                ("organo_garante", InFavour),
                ("ejecutivo", InFavour),
                ("academia", Against),
                ("empresarial", Against),
            ]),
        )
        .unwrap();
        assert_eq!(finding.outcome, Outcome::Rejected);
        assert_eq!(finding.by, DecidedBy::CastingVote);
        assert!(finding.explanation.contains("sociedad civil"));
    }

    /// 000 VI: no casting vote when the presiding seat abstains.
    #[test]
    fn a_tie_without_a_presidential_vote_is_rejected() {
        let config = jalisco();
        let attendance = titulars(&config, &SIX);
        let finding = decide(
            &config,
            &attendance,
            &votes(&[
                ("organo_garante", Abstain),
                ("ejecutivo", Against),
                ("academia", InFavour),
            ]),
        )
        .unwrap();
        assert_eq!(finding.outcome, Outcome::Rejected);
        assert_eq!(finding.by, DecidedBy::Majority);
    }

    /// 000 V.3 with VI: the presiding seat's suplente, substituting, casts the deciding vote.
    #[test]
    fn the_presiding_seats_acting_suplente_holds_the_casting_vote() {
        let config = jalisco();
        let attendance = Attendance::new(
            &config,
            SIX.iter().map(|s| {
                let presence = if *s == "organo_garante" {
                    Presence::Suplente
                } else {
                    Presence::Titular
                };
                (id(s), presence)
            }),
        )
        .unwrap();
        let finding = decide(
            &config,
            &attendance,
            &votes(&[("organo_garante", InFavour), ("academia", Against)]),
        )
        .unwrap();
        assert_eq!(finding.by, DecidedBy::CastingVote);
        assert_eq!(finding.outcome, Outcome::Rejected); // no civil-society vote in favour
    }

    /// 004 Table 2, plain majority rows: a tie without a casting vote is no majority.
    #[test]
    fn a_tie_is_rejected_where_no_casting_vote_exists() {
        let config = preset("oaxaca").unwrap();
        let attendance = titulars(
            &config,
            &[
                "organo_garante",
                "gobierno_1",
                "sociedad_civil_1",
                "sociedad_civil_2",
            ],
        );
        let finding = decide(
            &config,
            &attendance,
            &votes(&[
                ("organo_garante", InFavour),
                ("gobierno_1", Against),
                ("sociedad_civil_1", Abstain),
                ("sociedad_civil_2", Abstain),
            ]),
        )
        .unwrap();
        assert_eq!(finding.outcome, Outcome::Rejected);
        assert!(finding.explanation.contains("no prevé voto de calidad"));
    }

    /// 004 Table 2 (Morelos): "con al menos un voto de cada sector".
    #[test]
    fn morelos_needs_a_favour_vote_from_each_sector_group() {
        let config = preset("morelos").unwrap();
        let all = [
            "organo_garante",
            "gobierno_1",
            "gobierno_2",
            "sociedad_civil_1",
        ];
        let attendance = titulars(&config, &all);
        let without_government = decide(
            &config,
            &attendance,
            &votes(&[
                ("organo_garante", InFavour),
                ("sociedad_civil_1", InFavour),
                ("gobierno_1", Abstain),
                ("gobierno_2", Against),
            ]),
        )
        .unwrap();
        assert_eq!(without_government.outcome, Outcome::Rejected);
        assert!(
            without_government
                .explanation
                .contains("faltó un voto a favor de gobierno")
        );

        let with_each = decide(
            &config,
            &attendance,
            &votes(&[
                ("organo_garante", InFavour),
                ("sociedad_civil_1", InFavour),
                ("gobierno_1", InFavour),
                ("gobierno_2", Against),
            ]),
        )
        .unwrap();
        assert_eq!(with_each.outcome, Outcome::Approved);
        assert_eq!(with_each.by, DecidedBy::Majority);
    }

    /// 004 Table 2 (San Luis Potosí): "Por consenso" — a majority is not enough.
    #[test]
    fn san_luis_potosi_rejects_anything_short_of_consensus() {
        let config = preset("san_luis_potosi").unwrap();
        let attendance = titulars(
            &config,
            &["organo_garante", "gobierno_1", "sociedad_civil_1"],
        );
        let finding = decide(
            &config,
            &attendance,
            &votes(&[
                ("organo_garante", InFavour),
                ("gobierno_1", InFavour),
                ("sociedad_civil_1", Against),
            ]),
        )
        .unwrap();
        assert_eq!(finding.outcome, Outcome::Rejected);
        assert_eq!(finding.by, DecidedBy::Consensus);
    }

    /// Named setting `majority_base`: with `asientos_representados` abstentions weigh against.
    #[test]
    fn the_abstention_base_is_a_named_setting() {
        let mut config = jalisco();
        config.decision.majority_base = MajorityBase::SeatsRepresented;
        let attendance = titulars(&config, &SIX);
        let finding = decide(
            &config,
            &attendance,
            &votes(&[
                ("academia", InFavour),
                ("empresarial", InFavour),
                ("ejecutivo", Against),
            ]),
        )
        .unwrap();
        assert_eq!(finding.outcome, Outcome::Rejected); // 2 of 6 is not more than half
    }

    /// 000 V.2, at each vote: no quorum, no decision.
    #[test]
    fn without_quorum_at_the_vote_nothing_is_approved() {
        let config = jalisco();
        let attendance = titulars(&config, &["organo_garante", "academia"]);
        let finding = decide(
            &config,
            &attendance,
            &votes(&[("organo_garante", InFavour), ("academia", InFavour)]),
        )
        .unwrap();
        assert_eq!(finding.outcome, Outcome::Rejected);
        assert!(finding.explanation.contains("no hay quórum"));
    }

    #[test]
    fn votes_the_rules_cannot_judge_are_errors() {
        let config = jalisco();
        let attendance = titulars(&config, &SIX);
        assert!(matches!(
            decide(
                &config,
                &attendance,
                &votes(&[("sociedad_civil", InFavour)])
            ),
            Err(Error::UnrepresentedVote { .. })
        ));
        assert!(matches!(
            decide(&config, &attendance, &votes(&[("senado", InFavour)])),
            Err(Error::UnknownSeat { .. })
        ));
        assert!(matches!(
            decide(
                &config,
                &attendance,
                &votes(&[("academia", InFavour), ("academia", Against)])
            ),
            Err(Error::DuplicateVote { .. })
        ));
    }

    #[test]
    fn results_serialise_as_the_cli_contract_says() {
        let config = jalisco();
        let attendance = titulars(&config, &SIX);
        let finding = decide(&config, &attendance, &votes(&[("academia", InFavour)])).unwrap();
        let json = serde_json::to_value(&finding).unwrap();
        assert_eq!(json["outcome"], "aprobado");
        assert_eq!(json["by"], "mayoria");
        assert_eq!(json["favor"], 1);
        assert_eq!(json["contra"], 0);
        assert_eq!(json["abstencion"], 5);
        assert_eq!(json["civil_society_in_favor"], true);
        assert_eq!(
            serde_json::to_value(DecidedBy::CastingVote).unwrap(),
            "voto_de_calidad"
        );
    }
}
