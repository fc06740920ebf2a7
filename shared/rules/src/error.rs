//! The crate's one error type.
//!
//! Every variant is *user-facing*: it describes a scenario, a configuration or a request the
//! rules cannot judge, and its `Display` text is a Spanish (es-MX) sentence that says what is
//! wrong and what to do about it. The CLI prints it and exits with code 2; the secretariat
//! service returns it as a 4xx. There is no "unexpected" variant because nothing here does I/O.

use thiserror::Error;

/// A situation the rules cannot judge, with a Spanish message a person can act on.
///
/// `at` fields name the place in the input where the problem is, as a JSON path such as
/// `votes[3]` or `attendance[0].seat`, so the facilitator can find the line to fix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// The scenario text is not JSON at all.
    #[error(
        "el escenario no es JSON válido (línea {line}, columna {column}); revise comas, comillas, llaves y corchetes"
    )]
    InvalidJson {
        /// 1-based line where the parser stopped.
        line: usize,
        /// 1-based column where the parser stopped.
        column: usize,
    },

    /// A required field is absent.
    #[error("falta el campo `{field}`; agréguelo al escenario")]
    MissingField {
        /// JSON path of the missing field.
        field: String,
    },

    /// A field the format does not define (usually a typo, e.g. `vote` for `votes`).
    #[error("el campo `{field}` no se reconoce; los campos válidos aquí son: {allowed}")]
    UnknownField {
        /// JSON path of the unexpected field.
        field: String,
        /// The fields allowed at that place, comma-separated.
        allowed: &'static str,
    },

    /// A field has the wrong JSON type.
    #[error("el campo `{field}` debe ser {expected}")]
    WrongType {
        /// JSON path of the field.
        field: String,
        /// What it must be, in Spanish ("una lista", "un texto"...).
        expected: &'static str,
    },

    /// A field holds a value outside its closed set (e.g. `"vote": "si"`).
    #[error("el valor «{value}» de `{field}` no es válido; use uno de: {allowed}")]
    UnknownValue {
        /// JSON path of the field.
        field: String,
        /// The value found.
        value: String,
        /// The accepted values, comma-separated.
        allowed: &'static str,
    },

    /// A date that is malformed or does not exist (e.g. `2026-02-30`).
    #[error(
        "la fecha «{value}» de `{field}` no es válida; escriba una fecha que exista con el formato AAAA-MM-DD, por ejemplo 2026-12-07"
    )]
    InvalidDate {
        /// JSON path of the field.
        field: String,
        /// The text found.
        value: String,
    },

    /// No preset has that name.
    #[error("no existe el preset «{name}»; los disponibles son: {available}")]
    UnknownPreset {
        /// The name asked for.
        name: String,
        /// The preset names, comma-separated.
        available: String,
    },

    /// A configuration that does not have the expected shape.
    #[error(
        "la configuración (`config`) no tiene la forma esperada: {detail}; revísela contra un preset (por ejemplo «jalisco»)"
    )]
    MalformedConfig {
        /// What the decoder reported.
        detail: String,
    },

    /// A seat identifier that is not lowercase letters, digits and `_`.
    #[error(
        "el identificador de asiento «{value}» no es válido; use de 1 a 64 letras minúsculas sin acentos, dígitos o guion bajo, por ejemplo «sociedad_civil»"
    )]
    InvalidSeatId {
        /// The text found.
        value: String,
    },

    /// A configuration without seats.
    #[error("la configuración no tiene asientos; defina al menos uno por grupo sectorial")]
    NoSeats,

    /// Two seats with the same identifier.
    #[error(
        "el asiento «{seat}» aparece más de una vez en la configuración; cada asiento debe tener un identificador único"
    )]
    DuplicateSeat {
        /// The repeated identifier.
        seat: String,
    },

    /// The presiding seat is not one of the seats.
    #[error(
        "la presidencia se asignó al asiento «{seat}», que no existe en la configuración; use uno de: {known}"
    )]
    UnknownPresident {
        /// The identifier given for the presiding seat.
        seat: String,
        /// The configured seat identifiers.
        known: String,
    },

    /// Quorum requires a civil-society seat but the configuration has none.
    #[error(
        "la configuración exige un asiento de sociedad civil para el quórum (000 V.2) pero no tiene ninguno; agregue uno o desactive `quorum.civil_society_required`"
    )]
    NoCivilSocietySeat,

    /// A seat that is not in the configuration.
    #[error("el asiento «{seat}» (en `{at}`) no existe en esta configuración; use uno de: {known}")]
    UnknownSeat {
        /// The identifier found.
        seat: String,
        /// Where it was found.
        at: String,
        /// The configured seat identifiers.
        known: String,
    },

    /// Someone is marked present for a seat without a designated titular.
    #[error(
        "el asiento «{seat}» (en `{at}`) no está activo porque no tiene titular designado, así que no puede estar representado (000 V.2); márquelo como «none» o actívelo en la configuración"
    )]
    InactiveSeat {
        /// The seat.
        seat: String,
        /// Where it was found.
        at: String,
    },

    /// A vote from a seat that nobody represents at the session.
    #[error(
        "el asiento «{seat}» votó (en `{at}`) pero no está representado en la sesión: ni su titular ni su suplente asistieron (000 V.2–3); registre su asistencia o quite ese voto"
    )]
    UnrepresentedVote {
        /// The seat.
        seat: String,
        /// Where the vote is.
        at: String,
    },

    /// Two votes from the same seat.
    #[error(
        "el asiento «{seat}» tiene más de un voto (en `{first_at}` y en `{at}`); cada asiento representado vota una sola vez, deje solo uno"
    )]
    DuplicateVote {
        /// The seat.
        seat: String,
        /// The first vote.
        first_at: String,
        /// The repeated vote.
        at: String,
    },

    /// A resignation from a position that is already vacant.
    #[error(
        "el asiento «{seat}» no tiene {position} designado, así que no hay renuncia que aplicar; revise quién ocupa el asiento"
    )]
    VacantPosition {
        /// The seat.
        seat: String,
        /// `titular` or `suplente`.
        position: &'static str,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The name the CLI's scenario evaluation uses for [`enum@Error`]: every error is one a scenario
/// can produce.
pub type ScenarioError = Error;
