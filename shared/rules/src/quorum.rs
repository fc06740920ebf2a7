//! Quorum (000 V.2–3).

use serde::{Deserialize, Serialize};

use crate::attendance::Attendance;
use crate::config::Config;
use crate::spanish::{count, join};

/// Whether a session has quorum, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuorumFinding {
    /// Whether quorum holds.
    pub ok: bool,
    /// Seats represented by their titular or acting suplente, each counted once.
    pub represented: usize,
    /// Active seats: those with a designated titular.
    pub active: usize,
    /// Whether at least one civil-society seat is represented.
    pub civil_society_represented: bool,
    /// Spanish explanation for the acta, e.g. "quórum: 6 de 9 asientos, incluye sociedad civil".
    pub explanation: String,
}

/// 000 V.2–3: "Para que se lleve a cabo una sesión se deberá contar con la presencia de la
/// mayoría de los integrantes del Secretariado que se encuentren activos, o de sus suplentes
/// ... Siempre deberá estar presente un representante de sociedad civil."
///
/// Quorum holds when the represented seats are more than half of the **active** seats (seats
/// with a designated titular) and — unless the secretariat's configuration says otherwise — at
/// least one civil-society seat is represented. A seat counts once whoever represents it;
/// enlaces, the facilitator and invited members never count (they are not in [`Attendance`]).
/// Evaluate it when the session opens and again at each vote, since members may leave.
pub fn quorum(config: &Config, attendance: &Attendance) -> QuorumFinding {
    let active = config.active_seats().count();
    let represented_seats: Vec<_> = config
        .active_seats()
        .filter(|seat| attendance.is_represented(&seat.id))
        .collect();
    let represented = represented_seats.len();
    let civil_society: Vec<&str> = represented_seats
        .iter()
        .filter(|seat| seat.is_civil_society())
        .map(|seat| seat.id.as_str())
        .collect();
    let civil_society_represented = !civil_society.is_empty();
    let majority = active > 0 && represented * 2 > active;
    let civil_society_ok = civil_society_represented || !config.quorum.civil_society_required;
    let ok = majority && civil_society_ok;

    let minimum = active / 2 + 1;
    let civil_text = if civil_society_represented {
        format!("incluye sociedad civil ({})", join(&civil_society))
    } else {
        "sin sociedad civil".to_owned()
    };
    let mut reasons = Vec::new();
    if !majority {
        reasons.push(format!(
            "se requiere más de la mitad de los asientos activos, es decir al menos {}",
            minimum
        ));
    }
    if !civil_society_ok {
        reasons.push(
            "siempre debe estar representado al menos un asiento de sociedad civil".to_owned(),
        );
    }
    let rule = if config.quorum.civil_society_required {
        "mayoría de los asientos activos y al menos uno de sociedad civil (000 V.2–3)"
    } else {
        "mayoría de los asientos activos (000 V.2–3)"
    };
    let explanation = if ok {
        format!(
            "quórum: {represented} de {}, {civil_text}; regla: {rule}",
            count(active, "asiento", "asientos")
        )
    } else {
        format!(
            "sin quórum: {represented} de {}, {civil_text}; {}; regla: {rule}",
            count(active, "asiento", "asientos"),
            join(&reasons)
        )
    };
    QuorumFinding {
        ok,
        represented,
        active,
        civil_society_represented,
        explanation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attendance::Presence;
    use crate::config::SeatId;
    use crate::presets::{jalisco, preset};

    fn attend(config: &Config, seats: &[(&str, Presence)]) -> Attendance {
        Attendance::new(
            config,
            seats
                .iter()
                .map(|(seat, presence)| (SeatId::parse(seat).unwrap(), *presence)),
        )
        .unwrap()
    }

    use Presence::{Suplente, Titular};

    /// 000 V.2: the example of the design: six of nine seats including civil society.
    #[test]
    fn six_of_nine_seats_with_civil_society_is_quorum() {
        let config = jalisco();
        let attendance = attend(
            &config,
            &[
                ("organo_garante", Titular),
                ("ejecutivo", Titular),
                ("judicial", Suplente),
                ("legislativo", Titular),
                ("academia", Titular),
                ("empresarial", Titular),
            ],
        );
        let finding = quorum(&config, &attendance);
        assert!(finding.ok);
        assert_eq!((finding.represented, finding.active), (6, 9));
        assert!(finding.civil_society_represented);
        assert!(
            finding
                .explanation
                .starts_with("quórum: 6 de 9 asientos, incluye sociedad civil"),
            "{}",
            finding.explanation
        );
    }

    /// 000 V.2 "la mayoría": more than half; exactly half is not enough.
    #[test]
    fn half_of_the_active_seats_is_not_a_majority() {
        let config = preset("oaxaca").unwrap(); // 5 seats
        let two = attend(
            &config,
            &[("organo_garante", Titular), ("sociedad_civil_1", Titular)],
        );
        assert!(!quorum(&config, &two).ok);
        let three = attend(
            &config,
            &[
                ("organo_garante", Titular),
                ("sociedad_civil_1", Titular),
                ("gobierno_1", Titular),
            ],
        );
        assert!(quorum(&config, &three).ok);

        let mut even = preset("nuevo_leon").unwrap(); // 7 seats
        even.seats.pop(); // 6 seats: exactly half is 3
        let three_of_six = attend(
            &even,
            &[
                ("organo_garante", Titular),
                ("sociedad_civil_1", Titular),
                ("gobierno_1", Titular),
            ],
        );
        let finding = quorum(&even, &three_of_six);
        assert!(!finding.ok);
        assert!(
            finding.explanation.contains("al menos 4"),
            "{}",
            finding.explanation
        );
    }

    /// 000 V.2 "que se encuentren activos": inactive seats do not count in the base.
    #[test]
    fn only_active_seats_form_the_base() {
        let mut config = jalisco();
        for seat in config.seats.iter_mut().take(4) {
            seat.active = false; // 5 active seats left
        }
        let attendance = attend(
            &config,
            &[
                ("ayuntamiento", Titular),
                ("academia", Titular),
                ("empresarial", Suplente),
            ],
        );
        let finding = quorum(&config, &attendance);
        assert_eq!((finding.represented, finding.active), (3, 5));
        assert!(finding.ok);
    }

    /// 000 V.2: "Siempre deberá estar presente un representante de sociedad civil."
    #[test]
    fn without_civil_society_there_is_no_quorum() {
        let config = jalisco();
        let attendance = attend(
            &config,
            &[
                ("organo_garante", Titular),
                ("ejecutivo", Titular),
                ("judicial", Titular),
                ("legislativo", Titular),
                ("ayuntamiento", Titular),
                ("academia", Presence::Absent),
            ],
        );
        let finding = quorum(&config, &attendance);
        assert!(!finding.ok);
        assert!(!finding.civil_society_represented);
        assert!(
            finding
                .explanation
                .starts_with("sin quórum: 5 de 9 asientos, sin sociedad civil")
        );
    }

    /// 000 V.3: a suplente substituting the titular counts like the titular.
    #[test]
    fn a_substituting_suplente_counts_for_quorum() {
        let config = preset("durango").unwrap();
        let attendance = attend(
            &config,
            &[("gobierno_1", Suplente), ("sociedad_civil_1", Suplente)],
        );
        assert!(quorum(&config, &attendance).ok);
    }

    /// The named setting `quorum.civil_society_required` turns the civil-society clause off.
    #[test]
    fn the_civil_society_clause_is_a_named_setting() {
        let mut config = jalisco();
        config.quorum.civil_society_required = false;
        let attendance = attend(
            &config,
            &[
                ("organo_garante", Titular),
                ("ejecutivo", Titular),
                ("judicial", Titular),
                ("legislativo", Titular),
                ("ayuntamiento", Titular),
            ],
        );
        assert!(quorum(&config, &attendance).ok);
    }

    #[test]
    fn no_active_seats_means_no_quorum() {
        let mut config = jalisco();
        config.seats.iter_mut().for_each(|seat| seat.active = false);
        let attendance = attend(&config, &[]);
        assert!(!quorum(&config, &attendance).ok);
    }
}
