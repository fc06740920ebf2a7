//! Dates as the pages show them (Mexico's central time).

/// Mexico's central time (UTC−6, no daylight saving time since 2022).
pub(crate) fn central(at: time::OffsetDateTime) -> String {
    let offset = time::UtcOffset::from_hms(-6, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let t = at.to_offset(offset);
    format!(
        "{:02}/{:02}/{} {:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute()
    )
}

pub(crate) fn fecha_time(at: time::OffsetDateTime) -> String {
    format!("{} (hora del centro)", central(at))
}

pub(crate) fn fecha_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(fecha_time)
        .unwrap_or_default()
}

/// Template filter: epoch milliseconds or RFC 3339 → "dd/mm/aaaa hh:mm".
pub(crate) fn fecha(value: minijinja::Value) -> String {
    if let Some(ms) = value.as_i64() {
        return time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .map(central)
            .unwrap_or_default();
    }
    if let Some(s) = value.as_str() {
        return time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map(central)
            .unwrap_or_else(|_| s.to_string());
    }
    String::new()
}
