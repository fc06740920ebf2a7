//! Renewing titulars and handling resignations (000 II.4).

use serde::{Deserialize, Serialize};

use crate::config::{Seat, SeatId, Sector, SectorGroup};
use crate::error::{Error, Result};

/// 000 II.4.I: when a titular is renewed, whoever served as suplente has priority — "excepto
/// en el caso del Poder Ejecutivo, Legislativo y Judicial", whose titular the power designates.
pub fn suplente_has_priority(sector: Sector) -> bool {
    !matches!(
        sector,
        Sector::Executive | Sector::Legislature | Sector::Judiciary
    )
}

/// 000 II.4.II: when no suplente asks to become titular, the Secretariat runs an open call —
/// only for the civil-society seats and the municipality seat; public bodies designate.
pub fn open_call_applies(sector: Sector) -> bool {
    sector.group() == SectorGroup::CivilSociety || sector == Sector::Municipality
}

/// Who holds a seat's voting positions; `None` is a vacancy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SeatHolders {
    /// The titular (000 III.1).
    pub titular: Option<String>,
    /// The suplente (000 III.2).
    pub suplente: Option<String>,
}

/// Who resigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resignation {
    /// The titular alone (000 II.4.V.a).
    #[serde(rename = "titular")]
    Titular,
    /// The suplente alone (000 II.4.V.b).
    #[serde(rename = "suplente")]
    Suplente,
    /// Both at the same time (000 II.4.V.c).
    #[serde(rename = "ambos")]
    Both,
}

/// The position(s) a call must fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Vacancy {
    /// A new titular.
    #[serde(rename = "titular")]
    Titular,
    /// A new suplente.
    #[serde(rename = "suplente")]
    Suplente,
    /// A new titular and a new suplente.
    #[serde(rename = "titular_y_suplente")]
    TitularAndSuplente,
}

/// Who runs a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallRunner {
    /// The seat's (possibly new) titular (000 II.4.V.a–b).
    #[serde(rename = "titular")]
    Titular,
    /// The President of the STL — the ITEI in Jalisco (000 II.4.V.c).
    #[serde(rename = "presidente")]
    President,
    /// The public body the seat represents designates the replacement (000 II.2.b, II.4.I:
    /// the Executive's suplente does not rise).
    #[serde(rename = "ente_que_designa")]
    DesignatingBody,
}

/// A call (*convocatoria*) to fill a vacancy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The seat.
    pub seat: SeatId,
    /// What it fills.
    pub vacancy: Vacancy,
    /// Who runs it.
    pub run_by: CallRunner,
}

/// What a resignation leaves behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResignationOutcome {
    /// Who holds the seat afterwards.
    pub holders: SeatHolders,
    /// The calls to open (at most one).
    pub calls: Vec<Call>,
    /// Spanish explanation for the record.
    pub explanation: String,
}

/// 000 II.4.V: applies a resignation.
///
/// * a) The titular resigns: the suplente becomes titular — except for the Executive seat — and
///   the new titular runs a call for a new suplente. For the Executive the suplente stays
///   suplente and the Executive designates a new titular (our reading of "excepto en el caso
///   del Poder Ejecutivo" together with II.2.b).
/// * b) The suplente resigns: the titular runs the call for a new suplente.
/// * c) Both resign: the President (ITEI) runs the call for titular and suplente.
///
/// Whenever a resignation leaves the seat with neither titular nor suplente (e.g. the titular
/// resigns and there was no suplente) the seat is treated as in c). Resigning from a position
/// nobody holds is an error.
pub fn resign(seat: &Seat, holders: &SeatHolders, who: Resignation) -> Result<ResignationOutcome> {
    let vacant = |position: &'static str| Error::VacantPosition {
        seat: seat.id.to_string(),
        position,
    };
    let call = |vacancy, run_by| Call {
        seat: seat.id.clone(),
        vacancy,
        run_by,
    };
    let both_vacant = || ResignationOutcome {
        holders: SeatHolders::default(),
        calls: vec![call(Vacancy::TitularAndSuplente, CallRunner::President)],
        explanation: format!(
            "el asiento «{}» queda sin titular ni suplente: la Presidencia del STL convoca para designar ambos (000 II.4.V.c)",
            seat.id
        ),
    };
    match who {
        Resignation::Titular => {
            if holders.titular.is_none() {
                return Err(vacant("titular"));
            }
            match &holders.suplente {
                None => Ok(both_vacant()),
                Some(suplente) if seat.sector == Sector::Executive => Ok(ResignationOutcome {
                    holders: SeatHolders {
                        titular: None,
                        suplente: Some(suplente.clone()),
                    },
                    calls: vec![call(Vacancy::Titular, CallRunner::DesignatingBody)],
                    explanation: format!(
                        "renuncia el titular del asiento «{}»: por tratarse del Poder Ejecutivo el suplente no sube a titular y el Ejecutivo designa un nuevo titular (000 II.4.V.a, II.2.b)",
                        seat.id
                    ),
                }),
                Some(suplente) => Ok(ResignationOutcome {
                    holders: SeatHolders {
                        titular: Some(suplente.clone()),
                        suplente: None,
                    },
                    calls: vec![call(Vacancy::Suplente, CallRunner::Titular)],
                    explanation: format!(
                        "renuncia el titular del asiento «{}»: {suplente} sube a titular y convoca para determinar un nuevo suplente (000 II.4.V.a)",
                        seat.id
                    ),
                }),
            }
        }
        Resignation::Suplente => {
            if holders.suplente.is_none() {
                return Err(vacant("suplente"));
            }
            match &holders.titular {
                None => Ok(both_vacant()),
                Some(titular) => Ok(ResignationOutcome {
                    holders: SeatHolders {
                        titular: Some(titular.clone()),
                        suplente: None,
                    },
                    calls: vec![call(Vacancy::Suplente, CallRunner::Titular)],
                    explanation: format!(
                        "renuncia el suplente del asiento «{}»: el titular, {titular}, lleva a cabo la convocatoria para determinar el nuevo suplente (000 II.4.V.b)",
                        seat.id
                    ),
                }),
            }
        }
        Resignation::Both => {
            if holders.titular.is_none() {
                return Err(vacant("titular"));
            }
            if holders.suplente.is_none() {
                return Err(vacant("suplente"));
            }
            Ok(both_vacant())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::jalisco;

    fn seat(id: &str) -> Seat {
        jalisco().seat(id).unwrap().clone()
    }

    fn full() -> SeatHolders {
        SeatHolders {
            titular: Some("Ana".to_owned()),
            suplente: Some("Beto".to_owned()),
        }
    }

    /// 000 II.4.I: "Se dará prioridad a quien haya fungido como suplente, excepto en el caso del
    /// Poder Ejecutivo, Legislativo y Judicial."
    #[test]
    fn the_suplente_has_priority_except_for_the_three_powers() {
        assert!(suplente_has_priority(Sector::Academia));
        assert!(suplente_has_priority(Sector::Municipality));
        assert!(!suplente_has_priority(Sector::Executive));
        assert!(!suplente_has_priority(Sector::Legislature));
        assert!(!suplente_has_priority(Sector::Judiciary));
    }

    /// 000 II.4.II: open call "para ocupar los espacios de la sociedad civil y de los
    /// Ayuntamientos".
    #[test]
    fn open_calls_fill_civil_society_and_municipality_seats() {
        assert!(open_call_applies(Sector::TechCommunity));
        assert!(open_call_applies(Sector::Municipality));
        assert!(!open_call_applies(Sector::Executive));
        assert!(!open_call_applies(Sector::GuarantorBody));
    }

    /// 000 II.4.V.a: "el suplente deberá subir a titular ... y realizar una convocatoria para
    /// determinar un nuevo suplente".
    #[test]
    fn when_the_titular_resigns_the_suplente_rises_and_calls_for_a_suplente() {
        let outcome = resign(&seat("academia"), &full(), Resignation::Titular).unwrap();
        assert_eq!(outcome.holders.titular.as_deref(), Some("Beto"));
        assert_eq!(outcome.holders.suplente, None);
        assert_eq!(outcome.calls.len(), 1);
        assert_eq!(outcome.calls[0].vacancy, Vacancy::Suplente);
        assert_eq!(outcome.calls[0].run_by, CallRunner::Titular);
        assert!(outcome.explanation.contains("000 II.4.V.a"));
    }

    /// 000 II.4.V.a: "(excepto en el caso del Poder Ejecutivo)".
    #[test]
    fn when_the_executive_titular_resigns_the_suplente_does_not_rise() {
        let outcome = resign(&seat("ejecutivo"), &full(), Resignation::Titular).unwrap();
        assert_eq!(outcome.holders.titular, None);
        assert_eq!(outcome.holders.suplente.as_deref(), Some("Beto"));
        assert_eq!(
            outcome.calls,
            [Call {
                seat: seat("ejecutivo").id,
                vacancy: Vacancy::Titular,
                run_by: CallRunner::DesignatingBody
            }]
        );
    }

    /// 000 II.4.V.b: "el titular será el encargado de llevar a cabo la convocatoria".
    #[test]
    fn when_the_suplente_resigns_the_titular_runs_the_call() {
        let outcome = resign(&seat("empresarial"), &full(), Resignation::Suplente).unwrap();
        assert_eq!(outcome.holders.titular.as_deref(), Some("Ana"));
        assert_eq!(outcome.holders.suplente, None);
        assert_eq!(outcome.calls[0].vacancy, Vacancy::Suplente);
        assert_eq!(outcome.calls[0].run_by, CallRunner::Titular);
    }

    /// 000 II.4.V.c: "el ITEI se hará cargo de realizar la convocatoria necesaria para encontrar
    /// nuevo titular y suplente".
    #[test]
    fn when_both_resign_the_president_calls_for_both() {
        let outcome = resign(&seat("sociedad_civil"), &full(), Resignation::Both).unwrap();
        assert_eq!(outcome.holders, SeatHolders::default());
        assert_eq!(outcome.calls[0].vacancy, Vacancy::TitularAndSuplente);
        assert_eq!(outcome.calls[0].run_by, CallRunner::President);
    }

    /// 000 II.4.V.c by analogy: a resignation that empties the seat is handled as if both resigned.
    #[test]
    fn a_resignation_that_empties_the_seat_goes_to_the_president() {
        let only_titular = SeatHolders {
            titular: Some("Ana".to_owned()),
            suplente: None,
        };
        let outcome = resign(&seat("academia"), &only_titular, Resignation::Titular).unwrap();
        assert_eq!(outcome.calls[0].run_by, CallRunner::President);
    }

    #[test]
    fn resigning_from_a_vacant_position_is_an_error() {
        let result = resign(
            &seat("academia"),
            &SeatHolders::default(),
            Resignation::Suplente,
        );
        assert!(matches!(
            result,
            Err(Error::VacantPosition {
                position: "suplente",
                ..
            })
        ));
    }
}
