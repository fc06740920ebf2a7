//! Approving the agenda (*orden del día*) at the start of a session (000 V.1).

use serde::{Deserialize, Serialize};

use crate::attendance::Attendance;
use crate::config::{Config, SeatId};
use crate::decision::{Vote, ballot};
use crate::error::Result;
use crate::spanish::join;

/// Whether the agenda was approved, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaFinding {
    /// Whether the agenda is approved.
    pub approved: bool,
    /// The seats that voted against it.
    pub against: Vec<SeatId>,
    /// Spanish explanation for the acta.
    pub explanation: String,
}

/// 000 V.1: "Todos los integrantes del Secretariado deberán aprobar el orden del día de cada
/// sesión."
///
/// Read as: the agenda is approved when no represented seat votes against it. Abstentions and
/// seats that cast no vote do not block it. It needs at least one represented seat. Quorum is
/// checked when the session opens ([`crate::quorum::quorum`]), not here.
pub fn agenda_approval(
    config: &Config,
    attendance: &Attendance,
    votes: &[(SeatId, Vote)],
) -> Result<AgendaFinding> {
    let ballot = ballot(config, attendance, votes)?;
    let against: Vec<SeatId> = ballot
        .iter()
        .filter(|(_, vote)| **vote == Vote::Against)
        .map(|(seat, _)| seat.clone())
        .collect();
    let represented = attendance.represented_count();
    let (approved, explanation) = if represented == 0 {
        (
            false,
            "orden del día no aprobado: no hay asientos representados (000 V.1)".to_owned(),
        )
    } else if against.is_empty() {
        (
            true,
            format!(
                "orden del día aprobado por los {represented} asientos representados, sin votos en contra (000 V.1)"
            ),
        )
    } else {
        let names: Vec<&str> = against.iter().map(SeatId::as_str).collect();
        (
            false,
            format!(
                "orden del día no aprobado: votó en contra {} y debe aprobarlo todo asiento representado (000 V.1)",
                join(&names)
            ),
        )
    };
    Ok(AgendaFinding {
        approved,
        against,
        explanation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attendance::Presence;
    use crate::presets::jalisco;

    fn id(seat: &str) -> SeatId {
        SeatId::parse(seat).unwrap()
    }

    fn attendance(config: &Config) -> Attendance {
        Attendance::new(
            config,
            [
                "organo_garante",
                "ejecutivo",
                "academia",
                "empresarial",
                "judicial",
            ]
            .map(|s| (id(s), Presence::Titular)),
        )
        .unwrap()
    }

    /// 000 V.1 "Todos los integrantes ... deberán aprobar el orden del día".
    #[test]
    fn the_agenda_is_approved_when_no_represented_seat_objects() {
        let config = jalisco();
        let finding = agenda_approval(
            &config,
            &attendance(&config),
            &[
                (id("academia"), Vote::InFavour),
                (id("ejecutivo"), Vote::Abstain),
            ],
        )
        .unwrap();
        assert!(finding.approved);
        assert!(finding.explanation.contains("5 asientos representados"));
    }

    /// 000 V.1: one represented seat against blocks the agenda.
    #[test]
    fn one_vote_against_blocks_the_agenda() {
        let config = jalisco();
        let finding = agenda_approval(
            &config,
            &attendance(&config),
            &[
                (id("academia"), Vote::InFavour),
                (id("judicial"), Vote::Against),
            ],
        )
        .unwrap();
        assert!(!finding.approved);
        assert_eq!(finding.against, [id("judicial")]);
        assert!(finding.explanation.contains("judicial"));
    }

    #[test]
    fn an_agenda_with_nobody_present_is_not_approved() {
        let config = jalisco();
        let empty = Attendance::new(&config, []).unwrap();
        assert!(!agenda_approval(&config, &empty, &[]).unwrap().approved);
    }
}
