//! Dates as a Mexican reader reads them, and calendar invitations
//! (iCalendar, RFC 5545) for convened sessions.
//!
//! A session has one invitation for its whole life: the UID derives from
//! the session's id, so the convocatoria (`METHOD:REQUEST`, `SEQUENCE` n), a
//! change (`METHOD:REQUEST`, a higher `SEQUENCE`) and a cancellation
//! (`METHOD:CANCEL`, `STATUS:CANCELLED`) all land on the same calendar
//! entry, which the reader's calendar updates or removes.

use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::contracts::SessionDetails;

const WEEKDAYS: [&str; 7] = [
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
];

const MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// `AAAA-MM-DD`, or a Spanish reason.
pub fn parse_date(value: &str, what: &str) -> Result<Date, String> {
    Date::parse(value.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("{what} «{value}» no es una fecha AAAA-MM-DD válida"))
}

/// `HH:MM`, or a Spanish reason.
pub fn parse_time(value: &str, what: &str) -> Result<Time, String> {
    Time::parse(value.trim(), format_description!("[hour]:[minute]"))
        .map_err(|_| format!("{what} «{value}» no es una hora HH:MM válida"))
}

/// "lunes 7 de diciembre de 2026".
pub fn long_date(date: Date) -> String {
    format!(
        "{} {} de {} de {}",
        WEEKDAYS[date.weekday().number_days_from_monday() as usize],
        date.day(),
        MONTHS[usize::from(u8::from(date.month())) - 1],
        date.year()
    )
}

/// A local date as "lunes 7 de diciembre de 2026", or the text as given when
/// it is not a date (never fails: it is only shown).
pub fn long_date_text(value: &str) -> String {
    parse_date(value, "")
        .map(long_date)
        .unwrap_or_else(|_| value.to_string())
}

/// When a session starts and ends, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub date: Date,
    pub time: Time,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
}

impl Schedule {
    /// Reads the session's local date, time, offset and length.
    pub fn of(session: &SessionDetails) -> Result<Schedule, String> {
        let date = parse_date(&session.date, "la fecha de la sesión")?;
        let time = parse_time(&session.time, "la hora de la sesión")?;
        let offset = UtcOffset::from_whole_seconds(session.utc_offset_minutes.saturating_mul(60))
            .map_err(|_| {
            format!(
                "el desfase horario {} minutos no es válido",
                session.utc_offset_minutes
            )
        })?;
        let start = PrimitiveDateTime::new(date, time)
            .assume_offset(offset)
            .to_offset(UtcOffset::UTC);
        let end = start + Duration::minutes(i64::from(session.duration_minutes.max(1)));
        Ok(Schedule {
            date,
            time,
            start,
            end,
        })
    }
}

/// What the invitation says.
pub struct Invitation<'a> {
    /// `REQUEST` (new or changed) or `CANCEL`.
    pub method: &'static str,
    pub uid: &'a str,
    pub sequence: i64,
    /// When this version was written (DTSTAMP), UTC.
    pub stamp: OffsetDateTime,
    pub schedule: Schedule,
    pub summary: &'a str,
    pub location: &'a str,
    pub description: &'a str,
    pub organizer_name: &'a str,
    pub organizer_email: &'a str,
    pub attendee_name: &'a str,
    pub attendee_email: &'a str,
}

/// The calendar UID of a session: stable for its whole life.
pub fn session_uid(session_id: &str, domain: &str) -> String {
    let id: String = session_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("sesion-{id}@{domain}")
}

/// The iCalendar text of an invitation (CRLF lines, folded at 75 octets).
pub fn ics(invitation: &Invitation<'_>) -> String {
    let utc = |t: OffsetDateTime| {
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    };
    let status = if invitation.method == "CANCEL" {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    let lines = [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//Rubrica//Correo//ES".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        format!("METHOD:{}", invitation.method),
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}", invitation.uid),
        format!("SEQUENCE:{}", invitation.sequence),
        format!("DTSTAMP:{}", utc(invitation.stamp)),
        format!("DTSTART:{}", utc(invitation.schedule.start)),
        format!("DTEND:{}", utc(invitation.schedule.end)),
        format!("SUMMARY:{}", text(invitation.summary)),
        format!("LOCATION:{}", text(invitation.location)),
        format!("DESCRIPTION:{}", text(invitation.description)),
        format!(
            "ORGANIZER;CN={}:mailto:{}",
            parameter(invitation.organizer_name),
            invitation.organizer_email
        ),
        format!(
            "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:{}",
            parameter(invitation.attendee_name),
            invitation.attendee_email
        ),
        format!("STATUS:{status}"),
        "TRANSP:OPAQUE".to_string(),
        "END:VEVENT".to_string(),
        "END:VCALENDAR".to_string(),
    ];
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value: quoted, without the characters a quoted value cannot hold.
fn parameter(value: &str) -> String {
    let clean: String = value
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    format!("\"{clean}\"")
}

/// Appends `line` folded at 75 octets (never inside a UTF-8 character),
/// continuation lines starting with a space, each ended by CRLF.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> SessionDetails {
        SessionDetails {
            id: "s-1".into(),
            kind: "ordinaria".into(),
            title: "Sesión ordinaria".into(),
            folio: Some("2026-ORD-01".into()),
            date: "2026-12-07".into(),
            time: "10:00".into(),
            place: "Sala de juntas del ITEI, Guadalajara".into(),
            utc_offset_minutes: -360,
            duration_minutes: 90,
        }
    }

    #[test]
    fn a_date_reads_in_spanish() {
        let date = parse_date("2026-12-07", "la fecha").unwrap();
        assert_eq!(long_date(date), "lunes 7 de diciembre de 2026");
        assert_eq!(
            long_date_text("2026-11-27"),
            "viernes 27 de noviembre de 2026"
        );
        assert_eq!(long_date_text("pronto"), "pronto");
        assert!(
            parse_date("2026-13-01", "la fecha")
                .unwrap_err()
                .contains("AAAA-MM-DD")
        );
    }

    #[test]
    fn local_time_becomes_utc() {
        let schedule = Schedule::of(&session()).unwrap();
        assert_eq!((schedule.start.hour(), schedule.start.minute()), (16, 0));
        assert_eq!((schedule.end.hour(), schedule.end.minute()), (17, 30));
    }

    #[test]
    fn an_invitation_is_folded_escaped_and_carries_method_uid_and_sequence() {
        let schedule = Schedule::of(&session()).unwrap();
        let long =
            "Orden del día: 1. Lista de asistencia, quórum; 2. Aprobación del orden del día. "
                .repeat(3);
        let ics = ics(&Invitation {
            method: "CANCEL",
            uid: &session_uid("s-1", "itei.org.mx"),
            sequence: 2,
            stamp: schedule.start,
            schedule,
            summary: "Sesión ordinaria 2026-ORD-01",
            location: "Sala de juntas del ITEI, Guadalajara",
            description: &long,
            organizer_name: "Rúbrica \"STL\"",
            organizer_email: "rubrica@itei.org.mx",
            attendee_name: "María González",
            attendee_email: "maria@example.mx",
        });
        assert!(ics.contains("METHOD:CANCEL\r\n"));
        assert!(ics.contains("STATUS:CANCELLED\r\n"));
        assert!(ics.contains("UID:sesion-s-1@itei.org.mx\r\n"));
        assert!(ics.contains("SEQUENCE:2\r\n"));
        assert!(ics.contains("DTSTART:20261207T160000Z\r\n"));
        assert!(ics.contains("LOCATION:Sala de juntas del ITEI\\, Guadalajara\r\n"));
        assert!(ics.contains("ORGANIZER;CN=\"Rúbrica STL\":mailto:rubrica@itei.org.mx"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("quórum\\; 2. Aprobación"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }
}
