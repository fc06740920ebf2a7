//! What each kind's data must contain, checked before Typst sees it, so a
//! person gets the list of **every** missing or malformed field at once (in
//! Spanish) instead of a template error. Fields not named here are ignored:
//! the acta's data is the secretariat's `session.closed` payload, which
//! carries more than the acta prints.

use serde::Serialize;
use utoipa::ToSchema;

/// The shape a field must have.
#[derive(Debug)]
pub enum Shape {
    /// A non-empty string.
    Text,
    /// A string, `null` or absent.
    OptText,
    /// `AAAA-MM-DD`.
    Date,
    /// `AAAA-MM-DD`, `null` or absent.
    OptDate,
    /// `HH:MM`.
    Time,
    /// `HH:MM`, `null` or absent.
    OptTime,
    /// An integer ≥ 0.
    Count,
    /// `true` or `false`.
    Flag,
    /// 64 hexadecimal digits.
    Sha256,
    /// An RFC (persona física or moral), as in the e.firma.
    Rfc,
    /// 1–40 ASCII letters, digits, `-` or `_` (it names PDF fields).
    Id,
    /// An object with these fields.
    Object(&'static [(&'static str, Shape)]),
    /// An object with these fields, `null` or absent.
    OptObject(&'static [(&'static str, Shape)]),
    /// An array (possibly empty) of this shape.
    List(&'static Shape),
    /// An array with at least one element.
    NonEmptyList(&'static Shape),
    /// An array, `null` or absent (read as empty).
    OptList(&'static Shape),
}

/// One problem with the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field, e.g. `session.date` or `signers[2].rfc`.
    pub field: String,
    /// What is wrong, in Spanish.
    pub message: String,
}

/// Checks `value` against the object fields `fields`, collecting every
/// problem.
pub fn check(
    value: &serde_json::Value,
    fields: &'static [(&'static str, Shape)],
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if value.is_object() {
        check_fields(value, fields, "", &mut errors);
    } else {
        errors.push(FieldError {
            field: "data".into(),
            message: "los datos deben ser un objeto JSON".into(),
        });
    }
    errors
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn check_fields(
    value: &serde_json::Value,
    fields: &'static [(&'static str, Shape)],
    prefix: &str,
    errors: &mut Vec<FieldError>,
) {
    for (name, shape) in fields {
        let path = join(prefix, name);
        check_value(value.get(*name), shape, &path, errors);
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let year: i32 = s[..4].parse().unwrap_or(0);
    let month: u8 = s[5..7].parse().unwrap_or(0);
    let day: u8 = s[8..10].parse().unwrap_or(0);
    year >= 1900
        && time::Month::try_from(month)
            .ok()
            .and_then(|m| time::Date::from_calendar_date(year, m, day).ok())
            .is_some()
}

fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' || !b[..2].iter().chain(&b[3..]).all(u8::is_ascii_digit) {
        return false;
    }
    let hour: u32 = s[..2].parse().unwrap_or(99);
    let minute: u32 = s[3..].parse().unwrap_or(99);
    hour < 24 && minute < 60
}

/// Whether `id` may name a signer (the rule of `rubrica_pdfsign`'s layout).
pub fn is_signer_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check_value(
    value: Option<&serde_json::Value>,
    shape: &'static Shape,
    path: &str,
    errors: &mut Vec<FieldError>,
) {
    use serde_json::Value as J;
    let mut fail = |message: &str| {
        errors.push(FieldError {
            field: path.to_string(),
            message: message.to_string(),
        })
    };
    let absent = matches!(value, None | Some(J::Null));
    match shape {
        Shape::OptText
        | Shape::OptDate
        | Shape::OptTime
        | Shape::OptObject(_)
        | Shape::OptList(_)
            if absent => {}
        _ if absent => fail("falta este campo"),
        Shape::Text | Shape::OptText => match value {
            Some(J::String(s)) if shape_allows_empty(shape) || !s.trim().is_empty() => {}
            Some(J::String(_)) => fail("no puede estar vacío"),
            _ => fail("debe ser un texto"),
        },
        Shape::Date | Shape::OptDate => match value {
            Some(J::String(s)) if is_date(s) => {}
            _ => fail("debe ser una fecha AAAA-MM-DD"),
        },
        Shape::Time | Shape::OptTime => match value {
            Some(J::String(s)) if is_time(s) => {}
            _ => fail("debe ser una hora HH:MM (24 horas)"),
        },
        Shape::Count => match value {
            Some(J::Number(n)) if n.as_u64().is_some() => {}
            _ => fail("debe ser un número entero mayor o igual a cero"),
        },
        Shape::Flag => match value {
            Some(J::Bool(_)) => {}
            _ => fail("debe ser true o false"),
        },
        Shape::Sha256 => match value {
            Some(J::String(s)) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {}
            _ => fail("debe ser una huella SHA-256 (64 dígitos hexadecimales)"),
        },
        Shape::Rfc => match value {
            Some(J::String(s)) if rubrica_fiel::Rfc::parse(s).is_ok() => {}
            _ => fail("debe ser un RFC válido (como aparece en la e.firma)"),
        },
        Shape::Id => match value {
            Some(J::String(s)) if is_signer_id(s) => {}
            _ => fail("debe tener de 1 a 40 letras sin acento, dígitos, «-» o «_»"),
        },
        Shape::Object(fields) | Shape::OptObject(fields) => match value {
            Some(v @ J::Object(_)) => check_fields(v, fields, path, errors),
            _ => fail("debe ser un objeto"),
        },
        Shape::List(item) | Shape::NonEmptyList(item) | Shape::OptList(item) => match value {
            Some(J::Array(items)) => {
                if items.is_empty() && matches!(shape, Shape::NonEmptyList(_)) {
                    fail("debe tener al menos un elemento");
                }
                for (i, v) in items.iter().enumerate() {
                    check_value(Some(v), item, &format!("{path}[{i}]"), errors);
                }
            }
            _ => fail("debe ser una lista"),
        },
    }
}

fn shape_allows_empty(shape: &Shape) -> bool {
    matches!(shape, Shape::OptText)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PERSON: Shape = Shape::Object(&[("name", Shape::Text), ("rfc", Shape::Rfc)]);
    const FIELDS: &[(&str, Shape)] = &[
        ("folio", Shape::Text),
        ("date", Shape::Date),
        ("time", Shape::OptTime),
        ("people", Shape::NonEmptyList(&PERSON)),
    ];

    #[test]
    fn every_problem_is_listed_with_its_path() {
        let errors = check(
            &json!({ "date": "2026-13-01", "time": "25:00", "people": [{ "name": "" }] }),
            FIELDS,
        );
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["folio", "date", "time", "people[0].name", "people[0].rfc"]
        );
        assert_eq!(errors[0].message, "falta este campo");
    }

    #[test]
    fn good_data_passes_and_optional_fields_may_be_null() {
        let errors = check(
            &json!({ "folio": "A-1", "date": "2026-11-21", "time": null,
                     "people": [{ "name": "Ñandú", "rfc": "GORM800101AB1" }], "extra": 1 }),
            FIELDS,
        );
        assert!(errors.is_empty(), "{errors:?}");
    }
}
