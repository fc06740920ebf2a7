//! The five kinds of record, what data each needs, and who signs each.
//!
//! - **acta** (session, ordinary or extraordinary) and **minuta** (work
//!   meeting): the data is the secretariat's `session.closed` payload
//!   (`SessionRecord`), read tolerantly: only the fields below are required.
//!   Signers are its `signers` (000 V.7–8: every attendee who must sign).
//! - **convocatoria** with its orden del día (000 V.6), **informe de
//!   actividades** of an outgoing member and **acta de entrega-recepción**
//!   (000 III.7): data of their own (see `templates/examples/`), each with a
//!   `signers` list already in the layout manifest's shape.

use rubrica_pdfsign::SignerIdentity;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::schema::{FieldError, Shape, check};

/// Most signers one record can have: each has an initials slot stacked in
/// the right margin of every page, and below this many they stay at least
/// 12 points tall.
pub const MAX_SIGNERS: usize = 40;

/// A kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Acta of an ordinary or extraordinary session.
    Acta,
    /// Minuta of a work meeting.
    Minuta,
    /// Convocatoria with its orden del día.
    Convocatoria,
    /// Informe de actividades of an outgoing member.
    Informe,
    /// Acta de entrega-recepción: the handover inventory.
    EntregaRecepcion,
}

impl DocumentKind {
    /// Every kind.
    pub const ALL: [DocumentKind; 5] = [
        DocumentKind::Acta,
        DocumentKind::Minuta,
        DocumentKind::Convocatoria,
        DocumentKind::Informe,
        DocumentKind::EntregaRecepcion,
    ];

    /// The identifier in URLs, JSON and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Acta => "acta",
            DocumentKind::Minuta => "minuta",
            DocumentKind::Convocatoria => "convocatoria",
            DocumentKind::Informe => "informe",
            DocumentKind::EntregaRecepcion => "entrega_recepcion",
        }
    }

    /// The name a person reads.
    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::Acta => "Acta de sesión",
            DocumentKind::Minuta => "Minuta de reunión de trabajo",
            DocumentKind::Convocatoria => "Convocatoria",
            DocumentKind::Informe => "Informe de actividades",
            DocumentKind::EntregaRecepcion => "Acta de entrega-recepción",
        }
    }

    /// The template's file name under `templates/documents/`.
    pub fn template_file(self) -> &'static str {
        match self {
            DocumentKind::Acta => "acta.typ",
            DocumentKind::Minuta => "minuta.typ",
            DocumentKind::Convocatoria => "convocatoria.typ",
            DocumentKind::Informe => "informe.typ",
            DocumentKind::EntregaRecepcion => "entrega-recepcion.typ",
        }
    }

    /// The template's text (compiled in: rendering never reads the disk).
    pub fn template(self) -> &'static str {
        match self {
            DocumentKind::Acta => include_str!("../../../templates/documents/acta.typ"),
            DocumentKind::Minuta => include_str!("../../../templates/documents/minuta.typ"),
            DocumentKind::Convocatoria => {
                include_str!("../../../templates/documents/convocatoria.typ")
            }
            DocumentKind::Informe => include_str!("../../../templates/documents/informe.typ"),
            DocumentKind::EntregaRecepcion => {
                include_str!("../../../templates/documents/entrega-recepcion.typ")
            }
        }
    }

    /// Parses the identifier (also accepts `entrega-recepcion`).
    pub fn parse(s: &str) -> Option<DocumentKind> {
        let s = s.trim();
        DocumentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.as_str().replace('_', "-") == s)
    }

    fn fields(self) -> &'static [(&'static str, Shape)] {
        match self {
            DocumentKind::Acta | DocumentKind::Minuta => SESSION_RECORD,
            DocumentKind::Convocatoria => CONVOCATORIA,
            DocumentKind::Informe => INFORME,
            DocumentKind::EntregaRecepcion => ENTREGA,
        }
    }

    /// Checks `data` and extracts what the service needs besides the PDF.
    pub fn read(self, data: &serde_json::Value) -> Result<RecordFacts, Vec<FieldError>> {
        let mut errors = check(data, self.fields());
        if !errors.is_empty() {
            return Err(errors);
        }
        let text = |path: &[&str]| -> String {
            let mut v = data;
            for p in path {
                v = &v[*p];
            }
            v.as_str().unwrap_or_default().trim().to_string()
        };
        let opt = |v: &serde_json::Value, key: &str| -> Option<String> {
            v.get(key)
                .and_then(|s| s.as_str())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let (folio, title, session_id, signers) = match self {
            DocumentKind::Acta | DocumentKind::Minuta => {
                let signers = data["signers"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|s| {
                        let capacity = text_of(s, "capacity");
                        let seat = opt(s, "seat_name").unwrap_or_else(|| match capacity.as_str() {
                            "facilitador" => "Facilitación".to_string(),
                            "invitado" => "Miembro invitado".to_string(),
                            _ => "Sin asiento".to_string(),
                        });
                        SignerIdentity {
                            id: text_of(s, "member_id"),
                            name: text_of(s, "name"),
                            seat,
                            role: capacity_title(&capacity),
                            rfc: text_of(s, "rfc").to_uppercase(),
                        }
                    })
                    .collect::<Vec<SignerIdentity>>();
                (
                    text(&["session", "folio"]),
                    format!(
                        "{} {} — {}",
                        if self == DocumentKind::Acta {
                            "Acta de la"
                        } else {
                            "Minuta de la"
                        },
                        lower_first(&text(&["session", "title"])),
                        text(&["session", "folio"])
                    ),
                    opt(&data["session"], "id"),
                    signers,
                )
            }
            _ => {
                let signers = data["signers"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|s| SignerIdentity {
                        id: text_of(s, "id"),
                        name: text_of(s, "name"),
                        seat: text_of(s, "seat"),
                        role: text_of(s, "role"),
                        rfc: text_of(s, "rfc").to_uppercase(),
                    })
                    .collect::<Vec<SignerIdentity>>();
                let folio = text(&["folio"]);
                let title = match self {
                    DocumentKind::Convocatoria => format!(
                        "Convocatoria a la {} — {folio}",
                        lower_first(&text(&["session", "title"]))
                    ),
                    DocumentKind::Informe => format!(
                        "Informe de actividades de {} — {folio}",
                        text(&["member", "name"])
                    ),
                    _ => format!("Acta de entrega-recepción — {folio}"),
                };
                let session_id = opt(
                    data.get("session").unwrap_or(&serde_json::Value::Null),
                    "id",
                );
                (folio, title, session_id, signers)
            }
        };
        errors.extend(check_signers(&signers));
        if !errors.is_empty() {
            return Err(errors);
        }
        let secretariat = &data["secretariat"];
        Ok(RecordFacts {
            folio,
            title,
            secretariat_id: opt(secretariat, "id"),
            secretariat_name: text_of(secretariat, "name"),
            session_id,
            signers,
        })
    }
}

impl std::fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the service keeps about a record besides its PDF.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordFacts {
    pub folio: String,
    /// e.g. "Acta de la sesión ordinaria — 2026-ORD-01".
    pub title: String,
    pub secretariat_id: Option<String>,
    pub secretariat_name: String,
    pub session_id: Option<String>,
    /// Who initials every page and signs at the bottom, in the order of
    /// their boxes.
    pub signers: Vec<SignerIdentity>,
}

fn text_of(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "titular" → "Titular", as the signature block prints it.
pub fn capacity_title(capacity: &str) -> String {
    match capacity {
        "titular" => "Titular".into(),
        "suplente" => "Suplente".into(),
        "enlace" => "Enlace".into(),
        "facilitador" => "Facilitador".into(),
        "invitado" => "Miembro invitado".into(),
        other => {
            let mut chars = other.chars();
            match chars.next() {
                Some(c) => c.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}

/// Rules of the layout manifest that the schema cannot express: no repeated
/// id or RFC, not too many signers.
fn check_signers(signers: &[SignerIdentity]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if signers.len() > MAX_SIGNERS {
        errors.push(FieldError {
            field: "signers".into(),
            message: format!("admite a lo más {MAX_SIGNERS} firmantes"),
        });
    }
    let mut ids = std::collections::HashSet::new();
    let mut rfcs = std::collections::HashSet::new();
    for (i, s) in signers.iter().enumerate() {
        if !ids.insert(s.id.as_str()) {
            errors.push(FieldError {
                field: format!("signers[{i}]"),
                message: format!("el identificador «{}» está repetido", s.id),
            });
        }
        if !rfcs.insert(s.rfc.as_str()) {
            errors.push(FieldError {
                field: format!("signers[{i}].rfc"),
                message: format!(
                    "el RFC {} aparece en dos firmantes; cada persona firma una vez",
                    s.rfc
                ),
            });
        }
    }
    errors
}

// ---- Shapes ---------------------------------------------------------------

const SECRETARIAT: Shape = Shape::Object(&[("name", Shape::Text), ("id", Shape::OptText)]);

const ATTENDEE: Shape = Shape::Object(&[
    ("name", Shape::Text),
    ("capacity", Shape::Text),
    ("project", Shape::OptText),
]);

const SEAT_ATTENDANCE: Shape = Shape::Object(&[
    ("seat_name", Shape::Text),
    ("sector", Shape::Text),
    ("represented_by", Shape::Text),
    ("attendees", Shape::List(&ATTENDEE)),
]);

const AGENDA_ITEM: Shape = Shape::Object(&[
    ("position", Shape::Count),
    ("title", Shape::Text),
    ("description", Shape::OptText),
    ("deliberation", Shape::OptText),
]);

const AGREEMENT: Shape = Shape::Object(&[
    ("folio", Shape::Text),
    ("number", Shape::Count),
    ("text", Shape::Text),
    ("favor", Shape::Count),
    ("contra", Shape::Count),
    ("abstencion", Shape::Count),
    ("explanation", Shape::Text),
    ("decided_by", Shape::Text),
    ("responsible_seat_name", Shape::OptText),
    ("due_on", Shape::OptDate),
]);

const DECISION: Shape = Shape::Object(&[
    ("outcome", Shape::Text),
    ("favor", Shape::Count),
    ("contra", Shape::Count),
    ("abstencion", Shape::Count),
    ("explanation", Shape::Text),
]);

const MOTION: Shape = Shape::Object(&[
    ("number", Shape::Count),
    ("text", Shape::Text),
    ("decision", DECISION),
]);

const SESSION_SIGNER: Shape = Shape::Object(&[
    ("member_id", Shape::Id),
    ("name", Shape::Text),
    ("rfc", Shape::Rfc),
    ("capacity", Shape::Text),
    ("seat_name", Shape::OptText),
]);

/// The parts of the secretariat's `SessionRecord` an acta or minuta prints.
const SESSION_RECORD: &[(&str, Shape)] = &[
    ("secretariat", SECRETARIAT),
    (
        "session",
        Shape::Object(&[
            ("id", Shape::OptText),
            ("kind", Shape::Text),
            ("title", Shape::Text),
            ("folio", Shape::Text),
            ("date", Shape::Date),
            ("scheduled_time", Shape::Time),
            ("place", Shape::Text),
            ("start_time", Shape::OptTime),
            ("end_time", Shape::OptTime),
        ]),
    ),
    (
        "convocatoria",
        Shape::OptObject(&[("issued_on", Shape::Date)]),
    ),
    (
        "attendance",
        Shape::Object(&[
            ("seats", Shape::NonEmptyList(&SEAT_ATTENDANCE)),
            ("others", Shape::OptList(&ATTENDEE)),
        ]),
    ),
    (
        "quorum",
        Shape::Object(&[(
            "at_opening",
            Shape::OptObject(&[("ok", Shape::Flag), ("explanation", Shape::Text)]),
        )]),
    ),
    (
        "agenda",
        Shape::Object(&[
            ("items", Shape::NonEmptyList(&AGENDA_ITEM)),
            (
                "approval",
                Shape::OptObject(&[(
                    "finding",
                    Shape::Object(&[("approved", Shape::Flag), ("explanation", Shape::Text)]),
                )]),
            ),
        ]),
    ),
    ("motions", Shape::OptList(&MOTION)),
    ("agreements", Shape::List(&AGREEMENT)),
    ("signers", Shape::NonEmptyList(&SESSION_SIGNER)),
];

const SIGNER: Shape = Shape::Object(&[
    ("id", Shape::Id),
    ("name", Shape::Text),
    ("rfc", Shape::Rfc),
    ("seat", Shape::Text),
    ("role", Shape::Text),
]);

const PERSON: Shape = Shape::Object(&[
    ("name", Shape::Text),
    ("seat", Shape::OptText),
    ("role", Shape::OptText),
]);

const CONVOCATORIA: &[(&str, Shape)] = &[
    ("secretariat", SECRETARIAT),
    ("folio", Shape::Text),
    ("issued_on", Shape::Date),
    ("issued_at", Shape::OptText),
    (
        "session",
        Shape::Object(&[
            ("id", Shape::OptText),
            ("kind", Shape::Text),
            ("title", Shape::Text),
            ("date", Shape::Date),
            ("scheduled_time", Shape::Time),
            ("place", Shape::Text),
        ]),
    ),
    ("notice", Shape::OptObject(&[("explanation", Shape::Text)])),
    ("agenda", Shape::NonEmptyList(&AGENDA_ITEM)),
    ("recipients", Shape::OptList(&PERSON)),
    ("signers", Shape::NonEmptyList(&SIGNER)),
];

const ACTIVITY: Shape = Shape::Object(&[
    ("title", Shape::Text),
    ("date", Shape::OptDate),
    ("description", Shape::OptText),
]);

const INFORME: &[(&str, Shape)] = &[
    ("secretariat", SECRETARIAT),
    ("folio", Shape::Text),
    ("date", Shape::Date),
    ("place", Shape::Text),
    ("member", PERSON),
    (
        "period",
        Shape::Object(&[("from", Shape::Date), ("to", Shape::Date)]),
    ),
    ("summary", Shape::Text),
    ("activities", Shape::NonEmptyList(&ACTIVITY)),
    ("pending", Shape::OptList(&Shape::Text)),
    ("signers", Shape::NonEmptyList(&SIGNER)),
];

const ITEM: Shape = Shape::Object(&[
    ("name", Shape::Text),
    ("size", Shape::Count),
    ("sha256", Shape::Sha256),
    ("description", Shape::OptText),
]);

const ENTREGA: &[(&str, Shape)] = &[
    ("secretariat", SECRETARIAT),
    ("folio", Shape::Text),
    ("date", Shape::Date),
    ("time", Shape::OptTime),
    ("place", Shape::Text),
    ("outgoing", PERSON),
    ("incoming", PERSON),
    (
        "receiver_president",
        Shape::OptObject(&[("name", Shape::Text)]),
    ),
    ("items", Shape::NonEmptyList(&ITEM)),
    ("observations", Shape::OptText),
    ("signers", Shape::NonEmptyList(&SIGNER)),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_from_their_identifiers() {
        for kind in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(
            DocumentKind::parse("entrega-recepcion"),
            Some(DocumentKind::EntregaRecepcion)
        );
        assert_eq!(DocumentKind::parse("oficio"), None);
    }

    #[test]
    fn an_empty_acta_lists_every_top_level_field() {
        let errors = DocumentKind::Acta.read(&serde_json::json!({})).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "secretariat",
                "session",
                "attendance",
                "quorum",
                "agenda",
                "agreements",
                "signers"
            ]
        );
    }
}
