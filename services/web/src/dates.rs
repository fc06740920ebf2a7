//! Dates as the pages show them: in the member's secretariat's own time (its
//! configured UTC offset — Mexico has four zones), named; central Mexico
//! only where no secretariat is known (the operator's pages).

use rubrica_rules::local_time::{DEFAULT_UTC_OFFSET_MINUTES, local};

/// The zone a person reads beside a time: Mexico's named zones, else the
/// offset (`UTC−07:00`).
pub(crate) fn zone(minutes: i64) -> String {
    match minutes {
        -300 => "hora del sureste".into(),
        -360 => "hora del centro".into(),
        -420 => "hora del Pacífico".into(),
        -480 => "hora del noroeste".into(),
        m => {
            let sign = if m < 0 { '−' } else { '+' };
            format!("UTC{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60)
        }
    }
}

/// "dd/mm/aaaa hh:mm" at `minutes` east of UTC.
pub(crate) fn short(at: time::OffsetDateTime, minutes: i64) -> String {
    let t = local(at, minutes);
    format!(
        "{:02}/{:02}/{} {:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute()
    )
}

/// "dd/mm/aaaa hh:mm (hora del centro)".
pub(crate) fn fecha_time(at: time::OffsetDateTime, minutes: i64) -> String {
    format!("{} ({})", short(at, minutes), zone(minutes))
}

pub(crate) fn fecha_ms(ms: i64, minutes: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| fecha_time(t, minutes))
        .unwrap_or_default()
}

/// Template filter: epoch milliseconds or RFC 3339 → "dd/mm/aaaa hh:mm", in
/// the time of the page's member's secretariat (`member.utc_offset_minutes`).
pub(crate) fn fecha(state: &minijinja::State, value: minijinja::Value) -> String {
    let minutes = state
        .lookup("member")
        .and_then(|m| m.get_attr("utc_offset_minutes").ok())
        .and_then(|m| i64::try_from(m).ok())
        .unwrap_or(DEFAULT_UTC_OFFSET_MINUTES);
    let at = if let Some(ms) = value.as_i64() {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
    } else if let Some(s) = value.as_str() {
        match time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
            Ok(t) => Some(t),
            Err(_) => return s.to_string(),
        }
    } else {
        None
    };
    at.map(|t| short(t, minutes)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_the_secretariats_own_zone() {
        // 2026-12-07 16:05 UTC.
        let at = time::OffsetDateTime::from_unix_timestamp(1_796_659_500).unwrap();
        assert_eq!(fecha_time(at, -360), "07/12/2026 10:05 (hora del centro)");
        assert_eq!(fecha_time(at, -420), "07/12/2026 09:05 (hora del Pacífico)");
        assert_eq!(fecha_time(at, -480), "07/12/2026 08:05 (hora del noroeste)");
        assert_eq!(fecha_time(at, -300), "07/12/2026 11:05 (hora del sureste)");
        assert_eq!(fecha_time(at, 0), "07/12/2026 16:05 (UTC+00:00)");
    }

    #[test]
    fn the_template_filter_reads_the_members_offset() {
        let mut env = minijinja::Environment::new();
        env.add_filter("fecha", fecha);
        let page = "{{ t|fecha }}";
        let ms = 1_796_659_500_000_i64;
        let tijuana = minijinja::context! { t => ms, member => minijinja::context! { utc_offset_minutes => -480 } };
        assert_eq!(env.render_str(page, tijuana).unwrap(), "07/12/2026 08:05");
        let nobody = minijinja::context! { t => ms };
        assert_eq!(env.render_str(page, nobody).unwrap(), "07/12/2026 10:05");
        let text = minijinja::context! { t => "no es fecha" };
        assert_eq!(env.render_str(page, text).unwrap(), "no es fecha");
    }
}
