//! Business days (*días hábiles*): not a Saturday or Sunday, not one of Mexico's official rest
//! days, not one of the secretariat's own non-working days.

use std::collections::BTreeSet;

use time::{Date, Month, Weekday};

/// The official rest days of a year under the Ley Federal del Trabajo, art. 74, with their
/// names, in date order.
///
/// I 1 January; II first Monday of February (Constitution); III third Monday of March (Juárez);
/// IV 1 May; V 16 September; VI third Monday of November (Revolution); VII 1 October every six
/// years from 2024 (transfer of the Federal Executive); VIII 25 December. A rest day that falls
/// on a weekend is **not** moved to a weekday. Fraction IX (federal and local election days)
/// varies by state and year: a secretariat adds those as its own non-working days. The Monday
/// rules are the text in force since 2006 and are applied to every year.
pub fn official_rest_days(year: i32) -> Vec<(Date, &'static str)> {
    let fixed = |month, day| Date::from_calendar_date(year, month, day).ok();
    let mut days: Vec<(Date, &'static str)> = [
        (fixed(Month::January, 1), "Año Nuevo"),
        (
            nth_weekday(year, Month::February, Weekday::Monday, 1),
            "Día de la Constitución",
        ),
        (
            nth_weekday(year, Month::March, Weekday::Monday, 3),
            "natalicio de Benito Juárez",
        ),
        (fixed(Month::May, 1), "Día del Trabajo"),
        (fixed(Month::September, 16), "Día de la Independencia"),
        (
            (year >= 2024 && (year - 2024) % 6 == 0)
                .then(|| fixed(Month::October, 1))
                .flatten(),
            "transmisión del Poder Ejecutivo Federal",
        ),
        (
            nth_weekday(year, Month::November, Weekday::Monday, 3),
            "Día de la Revolución",
        ),
        (fixed(Month::December, 25), "Navidad"),
    ]
    .into_iter()
    .filter_map(|(date, name)| date.map(|date| (date, name)))
    .collect();
    days.sort_by_key(|(date, _)| *date);
    days
}

/// The name of the official rest day on `date`, if it is one (LFT art. 74, as listed in
/// [`official_rest_days`]). Decided from the date alone, without building the year's list,
/// because notice computations ask it for every day of a range.
pub fn official_rest_day(date: Date) -> Option<&'static str> {
    let (year, day, monday) = (date.year(), date.day(), date.weekday() == Weekday::Monday);
    // The n-th Monday of a month falls on day 7(n-1)+1 ..= 7n.
    let third_week = (15..=21).contains(&day);
    match date.month() {
        Month::January if day == 1 => Some("Año Nuevo"),
        Month::February if monday && day <= 7 => Some("Día de la Constitución"),
        Month::March if monday && third_week => Some("natalicio de Benito Juárez"),
        Month::May if day == 1 => Some("Día del Trabajo"),
        Month::September if day == 16 => Some("Día de la Independencia"),
        Month::October if day == 1 && year >= 2024 && (year - 2024) % 6 == 0 => {
            Some("transmisión del Poder Ejecutivo Federal")
        }
        Month::November if monday && third_week => Some("Día de la Revolución"),
        Month::December if day == 25 => Some("Navidad"),
        _ => None,
    }
}

/// Saturday or Sunday.
pub fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The `n`-th (1-based) `weekday` of a month, e.g. the third Monday of November.
fn nth_weekday(year: i32, month: Month, weekday: Weekday, n: u8) -> Option<Date> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let offset =
        (7 + weekday.number_days_from_monday() - first.weekday().number_days_from_monday()) % 7;
    let day = 1 + offset + 7 * n.checked_sub(1)?;
    Date::from_calendar_date(year, month, day).ok()
}

/// A secretariat's calendar: the national rules plus its own non-working days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    /// Days the secretariat declared non-working (vacation periods, local holidays, election
    /// days).
    non_working_days: BTreeSet<Date>,
}

/// Why a day is not a business day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonBusinessReason {
    /// Saturday or Sunday.
    Weekend,
    /// An official rest day (LFT art. 74), with its name.
    OfficialRestDay(&'static str),
    /// One of the secretariat's own non-working days.
    SecretariatNonWorkingDay,
}

impl Calendar {
    /// A calendar with the secretariat's own non-working days.
    pub fn new(non_working_days: impl IntoIterator<Item = Date>) -> Self {
        Self {
            non_working_days: non_working_days.into_iter().collect(),
        }
    }

    /// 000 V.6 "días hábiles": why `date` is not a business day, or `None` if it is one.
    pub fn non_business_reason(&self, date: Date) -> Option<NonBusinessReason> {
        if is_weekend(date) {
            Some(NonBusinessReason::Weekend)
        } else if let Some(name) = official_rest_day(date) {
            Some(NonBusinessReason::OfficialRestDay(name))
        } else if self.non_working_days.contains(&date) {
            Some(NonBusinessReason::SecretariatNonWorkingDay)
        } else {
            None
        }
    }

    /// 000 V.6 "días hábiles": not a weekend, not an official rest day, not a non-working day
    /// of the secretariat.
    pub fn is_business_day(&self, date: Date) -> bool {
        self.non_business_reason(date).is_none()
    }

    /// The first business day on or after `date` (or `date` itself at the calendar's end).
    pub fn next_business_day_from(&self, date: Date) -> Date {
        let mut day = date;
        while !self.is_business_day(day) {
            match day.next_day() {
                Some(next) => day = next,
                None => break,
            }
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn rest_days(year: i32) -> Vec<Date> {
        official_rest_days(year)
            .into_iter()
            .map(|(d, _)| d)
            .collect()
    }

    /// LFT art. 74 I–VIII for 2026 (no 1 October: not a transfer year).
    #[test]
    fn the_2026_rest_days_follow_lft_article_74() {
        assert_eq!(
            rest_days(2026),
            [
                date!(2026 - 01 - 01),
                date!(2026 - 02 - 02), // first Monday of February
                date!(2026 - 03 - 16), // third Monday of March
                date!(2026 - 05 - 01),
                date!(2026 - 09 - 16),
                date!(2026 - 11 - 16), // third Monday of November
                date!(2026 - 12 - 25),
            ]
        );
    }

    /// LFT art. 74 VII: "El 1o. de octubre de cada seis años, cuando corresponda a la
    /// transmisión del Poder Ejecutivo Federal."
    #[test]
    fn the_first_of_october_rests_every_six_years_from_2024() {
        assert_eq!(
            official_rest_day(date!(2024 - 10 - 01)),
            Some("transmisión del Poder Ejecutivo Federal")
        );
        assert!(official_rest_day(date!(2030 - 10 - 01)).is_some());
        assert!(official_rest_day(date!(2036 - 10 - 01)).is_some());
        assert!(official_rest_day(date!(2026 - 10 - 01)).is_none());
        assert!(official_rest_day(date!(2018 - 10 - 01)).is_none());
    }

    /// LFT art. 74: a rest day on a weekend is not moved to the Friday or the Monday.
    #[test]
    fn a_rest_day_on_a_weekend_is_not_moved() {
        // 25 December 2027 is a Saturday.
        let calendar = Calendar::default();
        assert_eq!(date!(2027 - 12 - 25).weekday(), Weekday::Saturday);
        assert!(calendar.is_business_day(date!(2027 - 12 - 24)));
        assert!(calendar.is_business_day(date!(2027 - 12 - 27)));
    }

    /// 000 V.6 días hábiles: weekends, rest days and the secretariat's own days are skipped.
    #[test]
    fn business_days_skip_weekends_rest_days_and_own_non_working_days() {
        let calendar = Calendar::new([date!(2026 - 12 - 14)]);
        assert_eq!(
            calendar.non_business_reason(date!(2026 - 12 - 05)),
            Some(NonBusinessReason::Weekend)
        );
        assert_eq!(
            calendar.non_business_reason(date!(2026 - 11 - 16)),
            Some(NonBusinessReason::OfficialRestDay("Día de la Revolución"))
        );
        assert_eq!(
            calendar.non_business_reason(date!(2026 - 12 - 14)),
            Some(NonBusinessReason::SecretariatNonWorkingDay)
        );
        assert!(calendar.is_business_day(date!(2026 - 12 - 07)));
        assert_eq!(
            calendar.next_business_day_from(date!(2026 - 11 - 14)),
            date!(2026 - 11 - 17)
        );
    }

    /// The per-date rule and the per-year list are two writings of art. 74; they must agree.
    #[test]
    fn the_per_date_rule_agrees_with_the_yearly_list() {
        for year in 2000..=2040 {
            let mut day = Date::from_calendar_date(year, Month::January, 1).unwrap();
            let mut from_rule = Vec::new();
            while day.year() == year {
                if let Some(name) = official_rest_day(day) {
                    from_rule.push((day, name));
                }
                day = day.next_day().unwrap();
            }
            assert_eq!(from_rule, official_rest_days(year), "{year}");
        }
    }

    #[test]
    fn the_calendar_edges_do_not_panic() {
        assert!(!official_rest_days(9999).is_empty());
        assert!(!official_rest_days(-9999).is_empty());
        let calendar = Calendar::default();
        assert_eq!(calendar.next_business_day_from(Date::MAX), Date::MAX);
    }
}
