//! A secretariat's local time. Mexico has four time zones and none keeps daylight saving time
//! since 2022 (except the northern border strip, which a secretariat sets by hand): each
//! secretariat stores its own offset from UTC in minutes, and "today" — for whose term is
//! running, the date of a record, the date printed in an acta — is the date at that offset.
//! This is the one place that turns an instant and an offset into a local date.

use time::{Date, OffsetDateTime, UtcOffset};

/// The offset a secretariat is created with unless told otherwise, and the one assumed for
/// payloads from before offsets travelled with them: central Mexico (UTC−6), in minutes.
pub const DEFAULT_UTC_OFFSET_MINUTES: i64 = -360;

/// The offset of `minutes` east of UTC; an offset out of range (beyond ±25 h) reads as UTC.
pub fn offset(minutes: i64) -> UtcOffset {
    minutes
        .checked_mul(60)
        .and_then(|seconds| i32::try_from(seconds).ok())
        .and_then(|seconds| UtcOffset::from_whole_seconds(seconds).ok())
        .unwrap_or(UtcOffset::UTC)
}

/// `instant` as read at a secretariat `minutes` east of UTC.
pub fn local(instant: OffsetDateTime, minutes: i64) -> OffsetDateTime {
    instant.to_offset(offset(minutes))
}

/// The calendar date of `instant` at a secretariat `minutes` east of UTC.
pub fn local_date(instant: OffsetDateTime, minutes: i64) -> Date {
    local(instant, minutes).date()
}

/// An epoch-milliseconds instant at a secretariat `minutes` east of UTC (out-of-range
/// instants read as the epoch).
pub fn local_ms(epoch_ms: i64, minutes: i64) -> OffsetDateTime {
    local(
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(epoch_ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        minutes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn the_date_around_midnight_utc_depends_on_the_secretariats_zone() {
        // 05:30 UTC on 10 March: still the 9th in every Mexican zone (UTC−5 … UTC−8).
        let early = datetime!(2026-03-10 05:30 UTC);
        assert_eq!(local_date(early, -300), date!(2026 - 03 - 10)); // Quintana Roo: 00:30
        assert_eq!(local_date(early, -360), date!(2026 - 03 - 09)); // centro: 23:30
        assert_eq!(local_date(early, -420), date!(2026 - 03 - 09)); // Sonora: 22:30
        assert_eq!(local_date(early, -480), date!(2026 - 03 - 09)); // Baja California: 21:30
        // 06:30 UTC: the center has turned the day, Sonora and Baja California have not.
        let later = datetime!(2026-03-10 06:30 UTC);
        assert_eq!(local_date(later, -360), date!(2026 - 03 - 10));
        assert_eq!(local_date(later, -420), date!(2026 - 03 - 09));
        assert_eq!(local_date(later, -480), date!(2026 - 03 - 09));
        assert_eq!(
            local_date(datetime!(2026-03-10 08:00 UTC), -480),
            date!(2026 - 03 - 10)
        );
    }

    #[test]
    fn an_offset_out_of_range_reads_as_utc() {
        assert_eq!(offset(-360).whole_hours(), -6);
        assert_eq!(offset(i64::MAX), UtcOffset::UTC);
        assert_eq!(offset(100_000), UtcOffset::UTC);
        assert_eq!(local_ms(0, -300).hour(), 19);
    }
}
