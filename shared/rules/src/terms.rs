//! How long a member holds a seat (000 II.2–3), and whose term ends soon, so the mail service
//! can remind them of their activity report and handover (000 III.7).

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use crate::Finding;
use crate::config::{Config, SeatId};
use crate::error::{Error, Result};
use crate::spanish::{fold, format_date};

/// When a seat's member is renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum TermRule {
    /// 000 II.2.a–d: public seats renew when their mandate changes (new head of the body, new
    /// legislature). The end is an event, recorded when it happens.
    #[serde(rename = "mandato")]
    Mandate,
    /// 000 II.2.e: the municipality seat renews when the period for which the municipality was
    /// incorporated ends; "No podrá reelegirse al mismo Ayuntamiento en el periodo inmediato."
    #[serde(rename = "periodo_de_incorporacion")]
    IncorporationPeriod {
        /// Whether the same body may take the next period (000: no).
        #[serde(default)]
        immediate_reelection: bool,
    },
    /// 000 II.3: civil-society seats stay a fixed number of years, staggered.
    #[serde(rename = "anios")]
    Years {
        /// Length of the term.
        years: u8,
    },
    /// No term is set by the seeds (the guide's generic civil-society seats).
    #[serde(rename = "sin_definir")]
    Unspecified,
}

/// A member's designation to a seat: what term computations need to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Designation {
    /// The seat.
    pub seat: SeatId,
    /// Who holds it: the member, or for the municipality seat the municipality (the
    /// re-election rule compares bodies, not persons).
    pub holder: String,
    /// First day of the term.
    #[serde(with = "crate::iso_date")]
    pub start: Date,
    /// 000 II.2.e: last day of the period for which the body was incorporated, if known.
    #[serde(default, with = "crate::iso_date::option")]
    pub incorporated_until: Option<Date>,
    /// 000 II.2.a–d: the day the mandate changed, once that event is recorded.
    #[serde(default, with = "crate::iso_date::option")]
    pub mandate_changed_on: Option<Date>,
}

/// When a term ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "date")]
pub enum TermEnd {
    /// On this date.
    #[serde(rename = "fecha", with = "crate::iso_date")]
    On(Date),
    /// When the mandate changes; not yet recorded.
    #[serde(rename = "al_cambio_de_mandato")]
    AtMandateChange,
    /// The data needed to compute it is missing (no incorporation period, no term length).
    #[serde(rename = "sin_determinar")]
    Undetermined,
}

impl TermEnd {
    /// The explanation an acta or a reminder prints.
    pub fn explain(self) -> String {
        match self {
            TermEnd::On(date) => format!("el periodo concluye el {}", format_date(date)),
            TermEnd::AtMandateChange => {
                "el periodo concluye cuando cambie el titular del mandato o cargo (000 II.2)"
                    .to_owned()
            }
            TermEnd::Undetermined => {
                "el periodo no puede calcularse: falta el periodo de incorporación o la regla de duración".to_owned()
            }
        }
    }
}

/// 000 II.2–3: when a designation's term ends under the seat's rule.
///
/// * II.2.a–d (mandate): the recorded mandate change, else "at the mandate change".
/// * II.2.e (municipality): the end of the incorporation period.
/// * II.3.a–d (years): the anniversary of the start — the civil association after three years,
///   the tech community and business after four, academia after five. A start on 29 February
///   ends on 28 February of a common year. Our reading: the term ends *on* the anniversary,
///   which is also the successor's first day.
pub fn term_end(rule: TermRule, designation: &Designation) -> TermEnd {
    match rule {
        TermRule::Mandate => designation
            .mandate_changed_on
            .map_or(TermEnd::AtMandateChange, TermEnd::On),
        TermRule::IncorporationPeriod { .. } => designation
            .incorporated_until
            .map_or(TermEnd::Undetermined, TermEnd::On),
        TermRule::Years { years } => {
            add_years(designation.start, years).map_or(TermEnd::Undetermined, TermEnd::On)
        }
        TermRule::Unspecified => TermEnd::Undetermined,
    }
}

/// The same day `years` later (28 February for a 29 February start in a common year).
fn add_years(start: Date, years: u8) -> Option<Date> {
    let year = start.year().checked_add(i32::from(years))?;
    let day = start.day().min(start.month().length(year));
    Date::from_calendar_date(year, start.month(), day).ok()
}

/// A term that ends soon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndingTerm {
    /// The seat.
    pub seat: SeatId,
    /// Who holds it.
    pub holder: String,
    /// The day it ends.
    #[serde(with = "crate::iso_date")]
    pub ends: Date,
    /// Days from `today` to `ends`.
    pub days_left: i64,
}

/// 000 II.2–3, III.7: the designations whose term ends between `today` and `today + days`
/// (both included), soonest first. Terms that end at an unrecorded mandate change are not
/// listed: their date is not known yet.
pub fn terms_ending_within(
    config: &Config,
    designations: &[Designation],
    today: Date,
    days: u32,
) -> Result<Vec<EndingTerm>> {
    let horizon = today
        .checked_add(Duration::days(i64::from(days)))
        .unwrap_or(Date::MAX);
    let mut ending = Vec::new();
    for (index, designation) in designations.iter().enumerate() {
        let seat = config
            .seat(designation.seat.as_str())
            .ok_or_else(|| Error::UnknownSeat {
                seat: designation.seat.to_string(),
                at: format!("designations[{index}].seat"),
                known: config.seat_list(),
            })?;
        if let TermEnd::On(ends) = term_end(seat.term_rule(), designation)
            && today <= ends
            && ends <= horizon
        {
            ending.push(EndingTerm {
                seat: designation.seat.clone(),
                holder: designation.holder.clone(),
                ends,
                days_left: (ends - today).whole_days(),
            });
        }
    }
    ending.sort_by(|a, b| a.ends.cmp(&b.ends).then_with(|| a.seat.cmp(&b.seat)));
    Ok(ending)
}

/// 000 II.2.e: "No podrá reelegirse al mismo Ayuntamiento en el periodo inmediato." Whether
/// `candidate` may take the period that follows `outgoing`'s, compared without case or accents.
/// Other rules place no such limit.
pub fn successor_allowed(rule: TermRule, outgoing: &str, candidate: &str) -> Finding {
    match rule {
        TermRule::IncorporationPeriod {
            immediate_reelection: false,
        } if fold(outgoing) == fold(candidate) => Finding {
            ok: false,
            explanation: format!(
                "«{}» no puede ocupar el periodo inmediato: no podrá reelegirse al mismo Ayuntamiento en el periodo inmediato (000 II.2.e)",
                candidate.trim()
            ),
        },
        _ => Finding {
            ok: true,
            explanation: format!(
                "«{}» puede ocupar el siguiente periodo (000 II.2)",
                candidate.trim()
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::jalisco;
    use time::macros::date;

    fn designation(seat: &str, start: Date) -> Designation {
        Designation {
            seat: SeatId::parse(seat).unwrap(),
            holder: "Persona".to_owned(),
            start,
            incorporated_until: None,
            mandate_changed_on: None,
        }
    }

    fn rule(seat: &str) -> TermRule {
        jalisco().seat(seat).unwrap().term_rule()
    }

    /// 000 II.2.a–d: public seats renew "conforme el cambio de su titular" / "de Legislatura".
    #[test]
    fn public_seats_end_at_the_mandate_change() {
        for seat in ["organo_garante", "ejecutivo", "judicial", "legislativo"] {
            let mut d = designation(seat, date!(2024 - 01 - 15));
            assert_eq!(term_end(rule(seat), &d), TermEnd::AtMandateChange, "{seat}");
            d.mandate_changed_on = Some(date!(2027 - 11 - 01));
            assert_eq!(term_end(rule(seat), &d), TermEnd::On(date!(2027 - 11 - 01)));
        }
    }

    /// 000 II.2.e: the municipality "será renovada, una vez que concluya el periodo para el que
    /// fueron incorporados".
    #[test]
    fn the_municipality_ends_with_its_incorporation_period() {
        let mut d = designation("ayuntamiento", date!(2024 - 10 - 01));
        assert_eq!(term_end(rule("ayuntamiento"), &d), TermEnd::Undetermined);
        d.incorporated_until = Some(date!(2027 - 09 - 30));
        assert_eq!(
            term_end(rule("ayuntamiento"), &d),
            TermEnd::On(date!(2027 - 09 - 30))
        );
    }

    /// 000 II.2.e: "No podrá reelegirse al mismo Ayuntamiento en el periodo inmediato."
    #[test]
    fn the_same_municipality_cannot_take_the_next_period() {
        let finding = successor_allowed(rule("ayuntamiento"), "Guadalajara", " guadalajara ");
        assert!(!finding.ok);
        assert!(finding.explanation.contains("000 II.2.e"));
        assert!(successor_allowed(rule("ayuntamiento"), "Guadalajara", "Zapopan").ok);
        assert!(successor_allowed(rule("academia"), "ITESO", "ITESO").ok);
    }

    /// 000 II.3.a: "La asociación civil ... permanecerá tres años".
    #[test]
    fn the_civil_association_stays_three_years() {
        let d = designation("sociedad_civil", date!(2024 - 03 - 15));
        assert_eq!(
            term_end(rule("sociedad_civil"), &d),
            TermEnd::On(date!(2027 - 03 - 15))
        );
    }

    /// 000 II.3.b: "la comunidad tecnológica, será cuatro años".
    #[test]
    fn the_tech_community_stays_four_years() {
        let d = designation("comunidad_tecnologica", date!(2024 - 03 - 15));
        assert_eq!(
            term_end(rule("comunidad_tecnologica"), &d),
            TermEnd::On(date!(2028 - 03 - 15))
        );
    }

    /// 000 II.3.c: "La participación del sector empresarial permanecerá cuatro años".
    #[test]
    fn business_stays_four_years() {
        let d = designation("empresarial", date!(2024 - 03 - 15));
        assert_eq!(
            term_end(rule("empresarial"), &d),
            TermEnd::On(date!(2028 - 03 - 15))
        );
    }

    /// 000 II.3.d: "La participación del sector académico será por cinco años".
    #[test]
    fn academia_stays_five_years() {
        let d = designation("academia", date!(2024 - 02 - 29));
        assert_eq!(
            term_end(rule("academia"), &d),
            TermEnd::On(date!(2029 - 02 - 28))
        );
    }

    #[test]
    fn a_term_beyond_the_calendar_is_undetermined_not_a_panic() {
        let d = designation("academia", date!(9998 - 01 - 01));
        assert_eq!(term_end(rule("academia"), &d), TermEnd::Undetermined);
    }

    /// 000 II.3, III.7: reminders for the terms that end within N days.
    #[test]
    fn lists_the_terms_ending_within_n_days_soonest_first() {
        let config = jalisco();
        let mut municipality = designation("ayuntamiento", date!(2024 - 10 - 01));
        municipality.incorporated_until = Some(date!(2027 - 03 - 01));
        let designations = [
            designation("academia", date!(2022 - 03 - 20)), // ends 2027-03-20
            designation("sociedad_civil", date!(2024 - 03 - 10)), // ends 2027-03-10
            designation("empresarial", date!(2024 - 03 - 10)), // ends 2028
            designation("ejecutivo", date!(2024 - 03 - 10)), // mandate: unknown end
            designation("comunidad_tecnologica", date!(2023 - 02 - 01)), // ended 2027-02-01
            municipality,                                   // ends 2027-03-01
        ];
        let ending =
            terms_ending_within(&config, &designations, date!(2027 - 02 - 28), 30).unwrap();
        let seats: Vec<(&str, i64)> = ending
            .iter()
            .map(|t| (t.seat.as_str(), t.days_left))
            .collect();
        assert_eq!(
            seats,
            [
                ("ayuntamiento", 1),
                ("sociedad_civil", 10),
                ("academia", 20)
            ]
        );
    }

    #[test]
    fn a_designation_for_an_unknown_seat_is_an_error() {
        let result = terms_ending_within(
            &jalisco(),
            &[designation("tribunal", date!(2024 - 01 - 01))],
            date!(2026 - 01 - 01),
            30,
        );
        assert!(matches!(result, Err(Error::UnknownSeat { .. })));
    }
}
