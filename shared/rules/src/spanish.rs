//! Small helpers that write the Spanish (es-MX) text of explanations: dates, plurals, lists.
//! Kept in one place so every finding reads the same way in the acta.

use time::{Date, Month, Weekday};

/// `lunes 7 de diciembre de 2026`: how an acta writes a date.
pub fn format_date(date: Date) -> String {
    format!(
        "{} {} de {} de {}",
        weekday_name(date.weekday()),
        date.day(),
        month_name(date.month()),
        date.year()
    )
}

/// The weekday's name, lowercase as Spanish writes it mid-sentence.
pub fn weekday_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "lunes",
        Weekday::Tuesday => "martes",
        Weekday::Wednesday => "miércoles",
        Weekday::Thursday => "jueves",
        Weekday::Friday => "viernes",
        Weekday::Saturday => "sábado",
        Weekday::Sunday => "domingo",
    }
}

/// The month's name, lowercase.
pub fn month_name(month: Month) -> &'static str {
    match month {
        Month::January => "enero",
        Month::February => "febrero",
        Month::March => "marzo",
        Month::April => "abril",
        Month::May => "mayo",
        Month::June => "junio",
        Month::July => "julio",
        Month::August => "agosto",
        Month::September => "septiembre",
        Month::October => "octubre",
        Month::November => "noviembre",
        Month::December => "diciembre",
    }
}

/// `1 abstención`, `2 abstenciones`.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("{n} {singular}")
    } else {
        format!("{n} {plural}")
    }
}

/// `a`, `a y b`, `a, b y c`.
pub fn join<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} y {}", init.join(", "), last.as_ref())
        }
    }
}

/// Lowercase without accents and with spaces/hyphens as `_`, so `San Luis Potosí` and
/// `san_luis_potosi` compare equal. Used for preset names and for comparing holders' names.
pub fn fold(text: &str) -> String {
    text.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            ' ' | '-' => '_',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_are_written_as_an_acta_writes_them() {
        assert_eq!(
            format_date(date!(2026 - 12 - 07)),
            "lunes 7 de diciembre de 2026"
        );
        assert_eq!(
            format_date(date!(2026 - 11 - 28)),
            "sábado 28 de noviembre de 2026"
        );
    }

    #[test]
    fn lists_use_y_before_the_last_item() {
        assert_eq!(join::<&str>(&[]), "");
        assert_eq!(join(&["a"]), "a");
        assert_eq!(join(&["a", "b"]), "a y b");
        assert_eq!(join(&["a", "b", "c"]), "a, b y c");
    }

    #[test]
    fn counts_are_pluralised() {
        assert_eq!(count(1, "abstención", "abstenciones"), "1 abstención");
        assert_eq!(count(0, "abstención", "abstenciones"), "0 abstenciones");
    }

    #[test]
    fn folding_ignores_case_accents_and_separators() {
        assert_eq!(fold(" San Luis Potosí "), "san_luis_potosi");
        assert_eq!(fold("Nuevo-León"), "nuevo_leon");
    }
}
