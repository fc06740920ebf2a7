//! Values from outside parsed once, at the edge, into what the rest of the API
//! uses: dates, times of day, instants, closed sets of words, texts and emails.
//! Every refusal is a Spanish 422 naming the field and what to write instead.

use rubrica_platform::db::now_ms;
use rubrica_platform::{ApiError, ApiResult};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Month, OffsetDateTime};

/// `AAAA-MM-DD` into a date that exists.
pub fn date(field: &str, text: &str) -> ApiResult<Date> {
    parse_iso_date(text.trim()).ok_or_else(|| {
        ApiError::Unprocessable(format!(
            "La fecha «{}» de `{field}` no es válida. Escriba una fecha que exista con el formato AAAA-MM-DD, por ejemplo 2026-12-07.",
            shorten(text)
        ))
    })
}

/// An optional date field.
pub fn optional_date(field: &str, text: Option<&str>) -> ApiResult<Option<Date>> {
    text.map(|t| date(field, t)).transpose()
}

/// Strict `AAAA-MM-DD`; `None` otherwise (also used to read stored dates).
pub fn parse_iso_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let shape = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    let year: i32 = text[0..4].parse().ok()?;
    let month: u8 = text[5..7].parse().ok()?;
    let day: u8 = text[8..10].parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// A date as `AAAA-MM-DD`.
pub fn iso(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A time of day `HH:MM` (24 h).
pub fn time_of_day(field: &str, text: &str) -> ApiResult<String> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let ok = bytes.len() == 5
        && bytes[2] == b':'
        && text[0..2].parse::<u8>().is_ok_and(|h| h < 24)
        && text[3..5].parse::<u8>().is_ok_and(|m| m < 60)
        && bytes[0].is_ascii_digit()
        && bytes[3].is_ascii_digit();
    if ok {
        Ok(text.to_string())
    } else {
        Err(ApiError::Unprocessable(format!(
            "La hora «{}» de `{field}` no es válida. Escríbala como HH:MM en formato de 24 horas, por ejemplo 10:00.",
            shorten(text)
        )))
    }
}

/// An instant given as RFC 3339 (`2026-12-07T10:05:00-06:00`), or now.
pub fn instant(field: &str, text: Option<&str>) -> ApiResult<i64> {
    let Some(text) = text else {
        return Ok(now_ms());
    };
    let parsed = OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|_| {
        ApiError::Unprocessable(format!(
            "El momento «{}» de `{field}` no es válido. Escríbalo en formato RFC 3339 con zona horaria, por ejemplo 2026-12-07T10:05:00-06:00, u omítalo para usar la hora actual.",
            shorten(text)
        ))
    })?;
    let ms = parsed.unix_timestamp_nanos() / 1_000_000;
    i64::try_from(ms).map_err(|_| {
        ApiError::Unprocessable(format!(
            "El momento de `{field}` está fuera del intervalo admitido."
        ))
    })
}

fn local(ms: i64, offset_minutes: i64) -> OffsetDateTime {
    rubrica_rules::local_time::local_ms(ms, offset_minutes)
}

/// An instant in RFC 3339 at the secretariat's offset.
pub fn rfc3339(ms: i64, offset_minutes: i64) -> String {
    local(ms, offset_minutes)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// The local time of day `HH:MM` of an instant.
pub fn clock(ms: i64, offset_minutes: i64) -> String {
    local(ms, offset_minutes)
        .format(format_description!("[hour]:[minute]"))
        .unwrap_or_default()
}

/// The local date of an instant.
pub fn local_date(ms: i64, offset_minutes: i64) -> Date {
    local(ms, offset_minutes).date()
}

/// Today at the secretariat's offset.
pub fn today(offset_minutes: i64) -> Date {
    local_date(now_ms(), offset_minutes)
}

/// A required text: trimmed, not empty, at most `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> ApiResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::Unprocessable(format!(
            "El campo `{field}` no puede estar vacío. Escriba su contenido."
        )));
    }
    if value.chars().count() > max {
        return Err(ApiError::Unprocessable(format!(
            "El campo `{field}` excede {max} caracteres. Resúmalo."
        )));
    }
    Ok(value.to_string())
}

/// An optional text: empty counts as absent.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> ApiResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

/// A contact email: one `@`, something before it, a dotted domain after it,
/// no spaces. Stored trimmed and as written.
pub fn email(field: &str, value: &str) -> ApiResult<String> {
    let value = value.trim();
    let ok = value.len() <= 254
        && !value.chars().any(char::is_whitespace)
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if ok {
        Ok(value.to_string())
    } else {
        Err(ApiError::Unprocessable(format!(
            "El correo «{}» de `{field}` no es válido. Escriba una dirección completa, por ejemplo nombre@dominio.mx.",
            shorten(value)
        )))
    }
}

/// One word of a closed set, by its Spanish spelling.
pub fn one_of<T: Copy>(field: &str, value: &str, choices: &[(&str, T)]) -> ApiResult<T> {
    let wanted = value.trim().to_lowercase();
    choices
        .iter()
        .find(|(word, _)| *word == wanted)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let allowed: Vec<&str> = choices.iter().map(|(w, _)| *w).collect();
            ApiError::Unprocessable(format!(
                "El valor «{}» de `{field}` no es válido. Use uno de: {}.",
                shorten(value),
                allowed.join(", ")
            ))
        })
}

/// The first letter upper case (the rules' messages start in lower case
/// because they are also embedded mid-sentence).
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// At most 60 characters of what the client sent, for messages.
pub fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_exist_and_be_iso() {
        assert!(date("f", "2026-12-07").is_ok());
        for bad in ["2026-02-30", "07/12/2026", "2026-1-7", "", "+2026-12-07"] {
            assert!(date("f", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_of_day_are_24_hour_hh_mm() {
        assert_eq!(time_of_day("h", " 09:30 ").unwrap(), "09:30");
        for bad in ["24:00", "9:30", "09:60", "0930", "ab:cd"] {
            assert!(time_of_day("h", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn instants_round_trip_at_the_secretariat_offset() {
        let ms = instant("at", Some("2026-12-07T10:05:00-06:00")).unwrap();
        assert_eq!(clock(ms, -360), "10:05");
        assert_eq!(rfc3339(ms, -360), "2026-12-07T10:05:00-06:00");
        assert_eq!(iso(local_date(ms, -360)), "2026-12-07");
        assert!(instant("at", Some("mañana")).is_err());
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(email("e", "ana@itei.org.mx").is_ok());
        for bad in ["ana", "@itei.mx", "ana@itei", "ana @itei.mx", "a@b@c.mx"] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
    }
}
