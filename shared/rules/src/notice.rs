//! Notice: how far ahead a convocatoria must be issued (000 V.6).

use serde::{Deserialize, Serialize};
use time::Date;

use crate::calendar::{Calendar, NonBusinessReason};
use crate::config::NoticeSettings;
use crate::spanish::{count, format_date, join};

/// The kinds of meeting a secretariat holds (000 V.4–5; 004 "sesiones ordinarias y
/// extraordinarias").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SessionKind {
    /// A regular session.
    #[serde(rename = "ordinaria")]
    Ordinary,
    /// A session called when circumstances require it (000 V.4).
    #[serde(rename = "extraordinaria")]
    Extraordinary,
    /// A monthly work meeting (000 V.5); recorded in a minuta, not an acta.
    #[serde(rename = "reunion_de_trabajo")]
    WorkMeeting,
}

impl SessionKind {
    /// "una sesión ordinaria" etc., for explanations.
    pub fn name_es(self) -> &'static str {
        match self {
            SessionKind::Ordinary => "una sesión ordinaria",
            SessionKind::Extraordinary => "una sesión extraordinaria",
            SessionKind::WorkMeeting => "una reunión de trabajo",
        }
    }
}

impl NoticeSettings {
    /// The business days of notice this kind of meeting requires.
    pub fn required_for(&self, kind: SessionKind) -> u32 {
        match kind {
            SessionKind::Ordinary => self.ordinary,
            SessionKind::Extraordinary => self.extraordinary,
            SessionKind::WorkMeeting => self.work_meeting,
        }
    }
}

/// Whether a convocatoria gave enough notice, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeFinding {
    /// Whether the notice rule is met.
    pub ok: bool,
    /// Business days of notice given, counted as [`business_days_of_notice`] does.
    pub business_days: u32,
    /// Business days the rule requires for this kind of meeting.
    pub required: u32,
    /// The latest day the convocatoria could have been issued; `null` when no notice is
    /// required.
    #[serde(with = "crate::iso_date::option")]
    pub latest_issue_date: Option<Date>,
    /// Spanish explanation, with the rule applied, for the acta.
    pub explanation: String,
}

/// 000 V.6: the day a convocatoria takes effect — the issue day, or, when it was issued on a
/// non-business day and [`NoticeSettings::non_business_issue_rolls_forward`] is set, the next
/// business day.
pub fn effective_issue_date(issued: Date, settings: &NoticeSettings, calendar: &Calendar) -> Date {
    if settings.non_business_issue_rolls_forward {
        calendar.next_business_day_from(issued)
    } else {
        issued
    }
}

/// 000 V.6: the business days of notice a convocatoria issued on `issued` gives a session on
/// `session` — the business days strictly between the (effective) issue date and the session
/// date; the issue day is added when [`NoticeSettings::issue_day_counts`] is set and it is a
/// business day. Zero when the session is not after the issue.
pub fn business_days_of_notice(
    issued: Date,
    session: Date,
    settings: &NoticeSettings,
    calendar: &Calendar,
) -> u32 {
    let start = effective_issue_date(issued, settings, calendar);
    let mut days =
        u32::from(settings.issue_day_counts && start < session && calendar.is_business_day(start));
    let mut day = start;
    while let Some(next) = day.next_day() {
        if next >= session {
            break;
        }
        if calendar.is_business_day(next) {
            days = days.saturating_add(1);
        }
        day = next;
    }
    days
}

/// How far back [`latest_issue_date`] searches: ten years of calendar days, far beyond any
/// notice a secretariat configures, so a calendar full of non-working days cannot loop forever.
const SEARCH_LIMIT_DAYS: u32 = 3660;

/// 000 V.6: the latest day a convocatoria can be issued and still give the required notice
/// for a session on `session`; `None` when no notice is required or none fits in the search
/// window. When non-business issues roll forward, the answer is always a business day — for
/// a Monday session with five days, the Friday of the week before last.
pub fn latest_issue_date(
    kind: SessionKind,
    session: Date,
    settings: &NoticeSettings,
    calendar: &Calendar,
) -> Option<Date> {
    let required = settings.required_for(kind);
    if required == 0 {
        return None;
    }
    // Walk back from the day before the session, keeping the number of business days strictly
    // between the candidate and the session.
    let mut between = 0u32;
    let mut day = session.previous_day()?;
    for _ in 0..SEARCH_LIMIT_DAYS {
        let business = calendar.is_business_day(day);
        let candidate = business || !settings.non_business_issue_rolls_forward;
        let given = between + u32::from(settings.issue_day_counts && business);
        if candidate && given >= required {
            return Some(day);
        }
        if business {
            between += 1;
        }
        day = day.previous_day()?;
    }
    None
}

/// 000 V.6: the earliest day a meeting of `kind` can be held when its convocatoria is issued
/// on `issued` — the first day after the issue that leaves the required business days of
/// notice, counted as [`business_days_of_notice`] counts them, and that is itself a business
/// day (a session is not called on a rest day). The day after the issue when no notice is
/// required; `None` when nothing fits in the search window.
pub fn earliest_session_date(
    kind: SessionKind,
    issued: Date,
    settings: &NoticeSettings,
    calendar: &Calendar,
) -> Option<Date> {
    let required = settings.required_for(kind);
    let mut day = issued.next_day()?;
    for _ in 0..SEARCH_LIMIT_DAYS {
        if calendar.is_business_day(day)
            && business_days_of_notice(issued, day, settings, calendar) >= required
        {
            return Some(day);
        }
        day = day.next_day()?;
    }
    None
}

/// 000 V.6: "Las convocatorias a las sesiones se emitirán con un mínimo de cinco días hábiles
/// de anticipación y deberán ser acompañadas del orden del día correspondiente."
///
/// Checks a convocatoria for a meeting of `kind` on `session` issued on `issued` (`None`: not
/// issued). Business days are counted strictly between the issue and the session (neither
/// counts, unless the issue day is configured to), skipping weekends, official rest days and the
/// secretariat's non-working days. The required days depend on the kind (extraordinary sessions
/// may be configured differently; work meetings need none by default). The explanation names
/// the rule applied, as the acta records it.
pub fn check_notice(
    kind: SessionKind,
    issued: Option<Date>,
    session: Date,
    settings: &NoticeSettings,
    calendar: &Calendar,
) -> NoticeFinding {
    let required = settings.required_for(kind);
    let latest = latest_issue_date(kind, session, settings, calendar);
    let rule = format!(
        "se requieren {} para {} (000 V.6)",
        count(required as usize, "día hábil", "días hábiles"),
        kind.name_es()
    );
    if required == 0 {
        let business_days = issued
            .map(|issued| business_days_of_notice(issued, session, settings, calendar))
            .unwrap_or(0);
        return NoticeFinding {
            ok: true,
            business_days,
            required,
            latest_issue_date: None,
            explanation: format!(
                "{} no requiere convocatoria con anticipación mínima (000 V.5–6)",
                capitalise(kind.name_es())
            ),
        };
    }
    let by_latest = latest
        .map(|date| format!("; debía emitirse a más tardar el {}", format_date(date)))
        .unwrap_or_default();
    let Some(issued) = issued else {
        return NoticeFinding {
            ok: false,
            business_days: 0,
            required,
            latest_issue_date: latest,
            explanation: format!(
                "convocatoria insuficiente: no se registró su emisión; {rule}{by_latest}"
            ),
        };
    };
    if issued >= session {
        return NoticeFinding {
            ok: false,
            business_days: 0,
            required,
            latest_issue_date: latest,
            explanation: format!(
                "convocatoria insuficiente: se emitió el {}, no antes de la sesión del {}; {rule}{by_latest}",
                format_date(issued),
                format_date(session)
            ),
        };
    }
    let business_days = business_days_of_notice(issued, session, settings, calendar);
    let ok = business_days >= required;
    let effective = effective_issue_date(issued, settings, calendar);
    let issue_text = if effective == issued {
        format!("emitida el {}", format_date(issued))
    } else {
        format!(
            "emitida el {}, día inhábil, por lo que surte efectos el {}",
            format_date(issued),
            format_date(effective)
        )
    };
    let counting = if settings.issue_day_counts {
        "cuenta el día de emisión y no el de la sesión"
    } else {
        "no cuentan ni el día de emisión ni el de la sesión"
    };
    let skipped = skipped_weekdays(effective, session, calendar);
    let skipped_text = if skipped.is_empty() {
        String::new()
    } else {
        format!("; se omitieron {}", join(&skipped))
    };
    let given = count(business_days as usize, "día hábil", "días hábiles");
    let explanation = if ok {
        format!(
            "convocatoria con {given} de anticipación; {rule}: {issue_text} para la sesión del {} ({counting}, ni sábados, domingos, días de descanso obligatorio o inhábiles del Secretariado){skipped_text}",
            format_date(session)
        )
    } else {
        format!(
            "convocatoria insuficiente: {given} de anticipación; {rule}: {issue_text} para la sesión del {} ({counting}){skipped_text}{by_latest}",
            format_date(session)
        )
    };
    NoticeFinding {
        ok,
        business_days,
        required,
        latest_issue_date: latest,
        explanation,
    }
}

/// Weekdays strictly between `from` and `until` that were not counted, with the reason, so the
/// acta shows why a holiday week gave less notice.
fn skipped_weekdays(from: Date, until: Date, calendar: &Calendar) -> Vec<String> {
    let mut skipped = Vec::new();
    let mut day = from;
    while let Some(next) = day.next_day() {
        if next >= until {
            break;
        }
        match calendar.non_business_reason(next) {
            Some(NonBusinessReason::OfficialRestDay(name)) => {
                skipped.push(format!("el {} ({name}, LFT art. 74)", format_date(next)))
            }
            Some(NonBusinessReason::SecretariatNonWorkingDay) => skipped.push(format!(
                "el {} (día inhábil del Secretariado)",
                format_date(next)
            )),
            Some(NonBusinessReason::Weekend) | None => {}
        }
        day = next;
    }
    skipped
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn jalisco() -> NoticeSettings {
        NoticeSettings::default()
    }

    /// 000 V.6: issued Friday 27 November 2026, the five business days are 30 November–4
    /// December and the earliest session is Monday 7 December; the answer always meets the
    /// rule, and the day before it does not (or is a rest day).
    #[test]
    fn the_earliest_session_date_is_the_first_business_day_after_the_notice() {
        let calendar = Calendar::default();
        let issued = date!(2026 - 11 - 27);
        let earliest = earliest_session_date(SessionKind::Ordinary, issued, &jalisco(), &calendar);
        assert_eq!(earliest, Some(date!(2026 - 12 - 07)));
        // Issued Monday 30 November: Tuesday–Monday gives five, so Tuesday 8 December.
        let from_monday = earliest_session_date(
            SessionKind::Ordinary,
            date!(2026 - 11 - 30),
            &jalisco(),
            &calendar,
        );
        assert_eq!(from_monday, Some(date!(2026 - 12 - 08)));
        for start in [
            date!(2026 - 12 - 10),
            date!(2026 - 12 - 18),
            date!(2027 - 03 - 10),
        ] {
            let day = earliest_session_date(SessionKind::Ordinary, start, &jalisco(), &calendar)
                .expect("a date");
            assert!(
                check_notice(
                    SessionKind::Ordinary,
                    Some(start),
                    day,
                    &jalisco(),
                    &calendar
                )
                .ok
            );
            let before = day.previous_day().expect("a day");
            assert!(
                !calendar.is_business_day(before)
                    || !check_notice(
                        SessionKind::Ordinary,
                        Some(start),
                        before,
                        &jalisco(),
                        &calendar
                    )
                    .ok
            );
        }
        // A work meeting needs no notice: the next business day.
        assert_eq!(
            earliest_session_date(SessionKind::WorkMeeting, issued, &jalisco(), &calendar),
            Some(date!(2026 - 11 - 30))
        );
    }

    /// 000 V.6, the worked example of issue 4: for Monday 7 December 2026 the five business days
    /// are 30 November–4 December, so the convocatoria is due by Friday 27 November.
    #[test]
    fn a_monday_session_needs_the_convocatoria_by_the_friday_of_the_week_before_last() {
        let calendar = Calendar::default();
        let session = date!(2026 - 12 - 07);
        let friday = check_notice(
            SessionKind::Ordinary,
            Some(date!(2026 - 11 - 27)),
            session,
            &jalisco(),
            &calendar,
        );
        assert!(friday.ok, "{}", friday.explanation);
        assert_eq!(friday.business_days, 5);
        assert_eq!(friday.required, 5);
        assert_eq!(
            latest_issue_date(SessionKind::Ordinary, session, &jalisco(), &calendar),
            Some(date!(2026 - 11 - 27))
        );

        let monday = check_notice(
            SessionKind::Ordinary,
            Some(date!(2026 - 11 - 30)),
            session,
            &jalisco(),
            &calendar,
        );
        assert!(!monday.ok);
        assert_eq!(monday.business_days, 4);
        assert!(
            monday
                .explanation
                .contains("debía emitirse a más tardar el viernes 27 de noviembre de 2026"),
            "{}",
            monday.explanation
        );
    }

    /// 000 V.6: neither the issue day nor the session day counts.
    #[test]
    fn neither_the_issue_day_nor_the_session_day_counts() {
        let calendar = Calendar::default();
        // Monday → next Monday: Tue–Fri between = 4.
        assert_eq!(
            business_days_of_notice(
                date!(2026 - 11 - 30),
                date!(2026 - 12 - 07),
                &jalisco(),
                &calendar
            ),
            4
        );
        assert_eq!(
            business_days_of_notice(
                date!(2026 - 12 - 03),
                date!(2026 - 12 - 04),
                &jalisco(),
                &calendar
            ),
            0
        );
    }

    /// 000 V.6, named setting `issue_day_counts`: when on, the issue day counts too.
    #[test]
    fn the_issue_day_counts_when_so_configured() {
        let calendar = Calendar::default();
        let settings = NoticeSettings {
            issue_day_counts: true,
            ..jalisco()
        };
        let finding = check_notice(
            SessionKind::Ordinary,
            Some(date!(2026 - 11 - 30)),
            date!(2026 - 12 - 07),
            &settings,
            &calendar,
        );
        assert!(finding.ok);
        assert_eq!(finding.business_days, 5);
        assert_eq!(finding.latest_issue_date, Some(date!(2026 - 11 - 30)));
    }

    /// 000 V.6 días hábiles: weekends do not count, and an issue on a weekend takes effect on
    /// the next business day (setting `non_business_issue_rolls_forward`).
    #[test]
    fn a_weekend_issue_takes_effect_on_monday() {
        let calendar = Calendar::default();
        let finding = check_notice(
            SessionKind::Ordinary,
            Some(date!(2026 - 11 - 28)),
            date!(2026 - 12 - 07),
            &jalisco(),
            &calendar,
        );
        assert!(!finding.ok);
        assert_eq!(finding.business_days, 4);
        assert!(
            finding
                .explanation
                .contains("surte efectos el lunes 30 de noviembre de 2026")
        );

        let literal = NoticeSettings {
            non_business_issue_rolls_forward: false,
            ..jalisco()
        };
        assert_eq!(
            business_days_of_notice(
                date!(2026 - 11 - 28),
                date!(2026 - 12 - 07),
                &literal,
                &calendar
            ),
            5
        );
    }

    /// 000 V.6 + LFT art. 74: an official rest day between issue and session does not count.
    #[test]
    fn official_rest_days_do_not_count() {
        let calendar = Calendar::default();
        // Monday 23 Nov 2026; Monday 16 Nov is Revolution Day.
        let session = date!(2026 - 11 - 23);
        assert_eq!(
            latest_issue_date(SessionKind::Ordinary, session, &jalisco(), &calendar),
            Some(date!(2026 - 11 - 12))
        );
        let finding = check_notice(
            SessionKind::Ordinary,
            Some(date!(2026 - 11 - 13)),
            session,
            &jalisco(),
            &calendar,
        );
        assert!(!finding.ok);
        assert_eq!(finding.business_days, 4);
        assert!(finding.explanation.contains("Día de la Revolución"));
    }

    /// 000 V.6: the secretariat's own non-working days do not count.
    #[test]
    fn the_secretariats_non_working_days_do_not_count() {
        let calendar = Calendar::new([date!(2026 - 12 - 02)]);
        let finding = check_notice(
            SessionKind::Ordinary,
            Some(date!(2026 - 11 - 27)),
            date!(2026 - 12 - 07),
            &jalisco(),
            &calendar,
        );
        assert!(!finding.ok);
        assert_eq!(finding.business_days, 4);
        assert!(finding.explanation.contains("día inhábil del Secretariado"));
    }

    /// 000 V.6 (configurable per kind): extraordinary sessions may require a different notice.
    #[test]
    fn extraordinary_sessions_use_their_own_configured_notice() {
        let calendar = Calendar::default();
        let settings = NoticeSettings {
            extraordinary: 1,
            ..jalisco()
        };
        let finding = check_notice(
            SessionKind::Extraordinary,
            Some(date!(2026 - 12 - 03)),
            date!(2026 - 12 - 07),
            &settings,
            &calendar,
        );
        assert!(finding.ok);
        assert_eq!(finding.required, 1);
        assert!(finding.explanation.contains("una sesión extraordinaria"));
    }

    /// 000 V.5–6: work meetings have no notice rule by default.
    #[test]
    fn work_meetings_need_no_notice_by_default() {
        let finding = check_notice(
            SessionKind::WorkMeeting,
            None,
            date!(2026 - 12 - 07),
            &jalisco(),
            &Calendar::default(),
        );
        assert!(finding.ok);
        assert_eq!(finding.required, 0);
        assert_eq!(finding.latest_issue_date, None);
    }

    #[test]
    fn a_missing_or_late_convocatoria_fails_with_the_reason() {
        let calendar = Calendar::default();
        let missing = check_notice(
            SessionKind::Ordinary,
            None,
            date!(2026 - 12 - 07),
            &jalisco(),
            &calendar,
        );
        assert!(!missing.ok);
        assert!(missing.explanation.contains("no se registró su emisión"));
        let late = check_notice(
            SessionKind::Ordinary,
            Some(date!(2026 - 12 - 08)),
            date!(2026 - 12 - 07),
            &jalisco(),
            &calendar,
        );
        assert!(!late.ok);
        assert_eq!(late.business_days, 0);
    }

    #[test]
    fn extreme_dates_do_not_panic() {
        let calendar = Calendar::default();
        let settings = jalisco();
        assert_eq!(
            latest_issue_date(SessionKind::Ordinary, Date::MIN, &settings, &calendar),
            None
        );
        let finding = check_notice(
            SessionKind::Ordinary,
            Some(Date::MIN),
            Date::MAX,
            &settings,
            &calendar,
        );
        assert!(finding.ok);
    }
}
