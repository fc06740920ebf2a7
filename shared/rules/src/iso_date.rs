//! Dates on the wire as `AAAA-MM-DD` (ISO 8601 calendar dates).
//!
//! `time`'s own serde support writes a compact `[year, ordinal]` pair unless the
//! `serde-human-readable` feature is on; the workspace does not enable it, and a person
//! reading a scenario file must see `2026-12-07`, so the crate formats and parses dates itself.

use serde::{Deserialize, Deserializer, Serializer};
use time::{Date, Month};

/// Parses exactly `AAAA-MM-DD` into a date that exists; `None` otherwise.
pub fn parse(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let well_formed = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !well_formed {
        return None;
    }
    let year: i32 = text.get(0..4)?.parse().ok()?;
    let month: u8 = text.get(5..7)?.parse().ok()?;
    let day: u8 = text.get(8..10)?.parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Formats a date as `AAAA-MM-DD`.
pub fn format(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// `#[serde(with = "crate::iso_date")]`.
pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(*date))
}

/// `#[serde(with = "crate::iso_date")]`.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse(&text).ok_or_else(|| {
        serde::de::Error::custom(format!("la fecha «{text}» no es válida (use AAAA-MM-DD)"))
    })
}

/// `#[serde(default, with = "crate::iso_date::option")]` for optional dates.
pub mod option {
    use super::*;

    /// Writes `null` or `AAAA-MM-DD`.
    pub fn serialize<S: Serializer>(date: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(date) => serializer.serialize_some(&format(*date)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `null`, an absent field (with `#[serde(default)]`) or `AAAA-MM-DD`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Date>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            None => Ok(None),
            Some(text) => parse(&text).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!("la fecha «{text}» no es válida (use AAAA-MM-DD)"))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn parses_only_existing_dates_in_iso_form() {
        assert_eq!(parse("2026-12-07"), Some(date!(2026 - 12 - 07)));
        assert_eq!(parse("2024-02-29"), Some(date!(2024 - 02 - 29)));
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "2026-1-07",
            "07/12/2026",
            "",
            "2026-12-07T00:00",
            "+026-12-07",
            "２０２６-12-07",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_back_to_the_same_text() {
        assert_eq!(format(date!(2026 - 01 - 05)), "2026-01-05");
    }
}
