//! Attendance: who represents each seat at a session (000 V.2–3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::{Config, SeatId};
use crate::error::{Error, Result};

/// Who is present for a seat, as the attendance list records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Presence {
    /// Nobody with a vote: neither titular nor suplente (enlaces may be there; they do not
    /// count).
    #[serde(rename = "none")]
    Absent,
    /// The suplente, substituting the absent titular.
    #[serde(rename = "suplente")]
    Suplente,
    /// The titular.
    #[serde(rename = "titular")]
    Titular,
}

/// 000 V.2–3: a seat is represented by its titular, or by its suplente when the titular is
/// absent ("su suplente podrá asistir con voz y voto en igualdad de condiciones"). When both
/// attend, the titular represents it and the suplente has voice only (000 III.2). Enlaces, the
/// facilitator and invited members never represent a seat, so they are not inputs here.
pub fn representation(titular_present: bool, suplente_present: bool) -> Presence {
    match (titular_present, suplente_present) {
        (true, _) => Presence::Titular,
        (false, true) => Presence::Suplente,
        (false, false) => Presence::Absent,
    }
}

/// The attendance of a session, one [`Presence`] per seat, checked against the configuration:
/// every seat exists, only active seats are represented, and each seat appears once however
/// many entries named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    /// Seats with somebody present; absent seats are not stored.
    present: BTreeMap<SeatId, Presence>,
}

impl Attendance {
    /// Builds the attendance from entries in the order given (the index appears in errors as
    /// `attendance[i]`). Entries for the same seat combine through [`representation`]: a
    /// titular entry and a suplente entry mean both came, and the titular represents the seat.
    pub fn new(
        config: &Config,
        entries: impl IntoIterator<Item = (SeatId, Presence)>,
    ) -> Result<Self> {
        let mut present: BTreeMap<SeatId, Presence> = BTreeMap::new();
        for (index, (seat_id, presence)) in entries.into_iter().enumerate() {
            let at = format!("attendance[{index}]");
            let seat = config
                .seat(seat_id.as_str())
                .ok_or_else(|| Error::UnknownSeat {
                    seat: seat_id.to_string(),
                    at: at.clone(),
                    known: config.seat_list(),
                })?;
            if presence == Presence::Absent {
                continue;
            }
            if !seat.active {
                return Err(Error::InactiveSeat {
                    seat: seat_id.to_string(),
                    at,
                });
            }
            let before = present.get(&seat_id).copied().unwrap_or(Presence::Absent);
            let combined = representation(
                before == Presence::Titular || presence == Presence::Titular,
                before == Presence::Suplente || presence == Presence::Suplente,
            );
            present.insert(seat_id, combined);
        }
        Ok(Self { present })
    }

    /// Who represents `seat`.
    pub fn presence(&self, seat: &SeatId) -> Presence {
        self.present.get(seat).copied().unwrap_or(Presence::Absent)
    }

    /// Whether somebody with a vote represents `seat`.
    pub fn is_represented(&self, seat: &SeatId) -> bool {
        self.presence(seat) != Presence::Absent
    }

    /// The represented seats, each once, in identifier order.
    pub fn represented_seats(&self) -> impl Iterator<Item = &SeatId> {
        self.present.keys()
    }

    /// How many seats are represented.
    pub fn represented_count(&self) -> usize {
        self.present.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::jalisco;

    fn id(seat: &str) -> SeatId {
        SeatId::parse(seat).unwrap()
    }

    /// 000 V.2: "la presencia de la mayoría de los integrantes ... o de sus suplentes".
    #[test]
    fn the_titular_represents_the_seat() {
        assert_eq!(representation(true, false), Presence::Titular);
    }

    /// 000 V.3: "En caso que algún titular ... no asista a la sesión, su suplente podrá asistir
    /// con voz y voto en igualdad de condiciones".
    #[test]
    fn the_suplente_represents_the_seat_when_the_titular_is_absent() {
        assert_eq!(representation(false, true), Presence::Suplente);
    }

    /// 000 III.2: with the titular present the suplente has voice only.
    #[test]
    fn with_both_present_the_titular_represents_the_seat() {
        assert_eq!(representation(true, true), Presence::Titular);
        let config = jalisco();
        let attendance = Attendance::new(
            &config,
            [
                (id("academia"), Presence::Suplente),
                (id("academia"), Presence::Titular),
            ],
        )
        .unwrap();
        assert_eq!(attendance.presence(&id("academia")), Presence::Titular);
        assert_eq!(attendance.represented_count(), 1);
    }

    #[test]
    fn nobody_present_does_not_represent_the_seat() {
        assert_eq!(representation(false, false), Presence::Absent);
        let attendance = Attendance::new(&jalisco(), [(id("academia"), Presence::Absent)]).unwrap();
        assert!(!attendance.is_represented(&id("academia")));
    }

    #[test]
    fn an_unknown_seat_is_an_error_naming_the_entry() {
        let error = Attendance::new(
            &jalisco(),
            [
                (id("academia"), Presence::Titular),
                (id("tribunal"), Presence::Titular),
            ],
        )
        .unwrap_err();
        assert!(matches!(&error, Error::UnknownSeat { at, .. } if at == "attendance[1]"));
        assert!(error.to_string().contains("organo_garante"));
    }

    /// 000 V.2 "activos": a seat without a designated titular cannot be represented.
    #[test]
    fn an_inactive_seat_cannot_be_represented() {
        let mut config = jalisco();
        config.seats[4].active = false;
        let error = Attendance::new(&config, [(id("ayuntamiento"), Presence::Suplente)]);
        assert!(matches!(error, Err(Error::InactiveSeat { .. })));
        assert!(Attendance::new(&config, [(id("ayuntamiento"), Presence::Absent)]).is_ok());
    }

    #[test]
    fn presence_serialises_as_the_cli_contract_says() {
        assert_eq!(serde_json::to_value(Presence::Absent).unwrap(), "none");
        assert_eq!(
            serde_json::to_value(Presence::Suplente).unwrap(),
            "suplente"
        );
    }
}
