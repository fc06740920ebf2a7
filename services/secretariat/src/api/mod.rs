//! The secretariat's own API: secretariats from a preset, seats, members and
//! their designations, terms, resignations, and sessions with their
//! convocatoria, attendance, quorum, agenda approval, votes, agreements and
//! closing. Every rule of the seeds is `rubrica_rules`'s; this module stores
//! what happened and asks the rules what it means.
//!
//! # Layout
//! - [`secretariats`]: presets, creating and configuring a secretariat, seats.
//! - [`members`]: members, designations, terms, resignations and the calls
//!   they open.
//! - [`sessions`]: scheduling, agenda, convocatoria, attendance, opening,
//!   agenda approval, deliberations, closing (the `session.closed` event).
//! - [`votes`]: motions and their decision, agreements and their follow-up.
//! - [`record`]: the session's record, the event's payload, and who signs it.
//! - [`communiques`]: the President's communiqués (public site, section a).
//! - [`activities`]: the agenda of activities (public site, section b).
//! - [`public`]: what anyone reads without an account (secretariats by slug,
//!   the calendar, closed sessions without personal data) and sends
//!   (questions, complaints, suggestions; requests to join), and the
//!   managers' side of those forms.
//! - [`attachments`]: a complaint's optional attachment, checked by its
//!   content, kept here (never public) for the President and the facilitator.
//! - [`commitments`]: the Local Action Plan's commitments and milestones.
//! - [`projects`]: invited members' projects and their progress reports.
//! - `scene`, `roster`: a session / a secretariat with what the rules need.
//! - `model`, `db`, `edge`: rows, SQL, and input parsed at the edge.
//!
//! Access: the installation operator creates secretariats; the President
//! (and the operator) register members and designations; the President and
//! the facilitator manage sessions; members read; the public reads only the
//! `/public/…` routes. Whether the caller belongs to the secretariat at hand is checked in
//! each handler ([`roster::ensure_secretariat`]).

use rubrica_platform::routes;
use rubrica_platform::{Access, ApiRouter, Role, ServiceContext};

pub mod activities;
pub mod attachments;
pub mod commitments;
pub mod communiques;
mod db;
mod edge;
pub mod internal;
pub mod members;
mod model;
pub mod projects;
pub mod proposals;
pub mod public;
pub mod record;
mod roster;
mod scene;
pub mod secretariats;
pub mod sessions;
pub mod terms;
pub mod votes;

pub use model::{AgendaApproval, SeatVote, SessionStatus, SignerSettings};
pub use record::{SessionRecord, Signer};
pub use sessions::SESSION_CLOSED;

/// Current members of a secretariat and the operator: they read.
const READERS: &[Role] = &[
    Role::President,
    Role::Facilitator,
    Role::Titular,
    Role::Suplente,
    Role::Enlace,
    Role::InvitedMember,
    Role::Operator,
];

/// Readers, and members whose term ended: they see the secretariat's name
/// and seats (public facts) to prepare their handover (000 III.7).
const READERS_AND_OUTGOING: &[Role] = &[
    Role::President,
    Role::Facilitator,
    Role::Titular,
    Role::Suplente,
    Role::Enlace,
    Role::InvitedMember,
    Role::Operator,
    Role::OutgoingMember,
];

/// Who registers members and designations: the President within their own
/// secretariat, and the installation operator.
const REGISTRARS: &[Role] = &[Role::President, Role::Operator];

/// Who publishes and corrects communiqués: the President only (000 V.10 a:
/// "comunicados relevantes" published by the President).
const PRESIDENT: &[Role] = &[Role::President];

/// Who creates secretariats.
const OPERATOR: &[Role] = &[Role::Operator];

/// Who may call each operation of [`router`].
pub const ACCESS: &[Access] = &[
    Access::roles(
        "GET",
        "/presets",
        READERS,
        "consultar los presets de reglas",
    ),
    Access::roles("POST", "/secretariats", OPERATOR, "crear un secretariado"),
    Access::roles(
        "GET",
        "/secretariats/{id}",
        READERS_AND_OUTGOING,
        "consultar un secretariado",
    ),
    Access::roles(
        "PATCH",
        "/secretariats/{id}",
        REGISTRARS,
        "modificar la configuración de un secretariado",
    ),
    Access::roles(
        "GET",
        "/secretariats/{id}/seats",
        READERS,
        "consultar los asientos",
    ),
    Access::roles(
        "POST",
        "/secretariats/{id}/members",
        REGISTRARS,
        "registrar integrantes",
    ),
    Access::roles(
        "GET",
        "/secretariats/{id}/members",
        READERS,
        "consultar a los integrantes",
    ),
    Access::roles(
        "PATCH",
        "/members/{id}",
        REGISTRARS,
        "corregir los datos de un integrante",
    ),
    Access::roles(
        "POST",
        "/secretariats/{id}/designations",
        REGISTRARS,
        "designar integrantes",
    ),
    Access::roles(
        "PATCH",
        "/designations/{id}",
        REGISTRARS,
        "modificar o terminar una designación",
    ),
    Access::roles(
        "GET",
        "/secretariats/{id}/terms",
        READERS,
        "consultar los periodos de los integrantes",
    ),
    Access::roles(
        "POST",
        "/secretariats/{id}/seats/{seat}/resignations",
        REGISTRARS,
        "registrar una renuncia",
    ),
    Access::roles(
        "GET",
        "/secretariats/{id}/calls",
        READERS,
        "consultar las convocatorias de vacantes",
    ),
    Access::roles(
        "POST",
        "/secretariats/{id}/sessions",
        Role::MANAGERS,
        "programar una sesión",
    ),
    Access::roles(
        "GET",
        "/secretariats/{id}/sessions",
        READERS,
        "consultar las sesiones",
    ),
    Access::roles("GET", "/sessions/{id}", READERS, "consultar una sesión"),
    Access::roles(
        "PATCH",
        "/sessions/{id}",
        Role::MANAGERS,
        "reprogramar una sesión",
    ),
    Access::roles(
        "POST",
        "/sessions/{id}/cancellation",
        Role::MANAGERS,
        "cancelar una sesión",
    ),
    Access::roles(
        "PUT",
        "/sessions/{id}/agenda",
        Role::MANAGERS,
        "modificar el orden del día",
    ),
    Access::roles(
        "POST",
        "/sessions/{id}/convocatoria",
        Role::MANAGERS,
        "emitir una convocatoria",
    ),
    Access::roles(
        "POST",
        "/sessions/{id}/proposals",
        Role::MEMBERS,
        "proponer un punto del orden del día",
    ),
    Access::roles(
        "GET",
        "/sessions/{id}/proposals",
        READERS,
        "consultar las propuestas para el orden del día",
    ),
    Access::roles(
        "GET",
        "/sessions/{id}/notice",
        Role::MANAGERS,
        "revisar la anticipación de una convocatoria",
    ),
    Access::roles(
        "POST",
        "/sessions/{id}/attendance",
        Role::MANAGERS,
        "registrar la asistencia",
    ),
    Access::roles(
        "POST",
        "/sessions/{id}/open",
        Role::MANAGERS,
        "abrir una sesión",
    ),
    Access::roles(
        "POST",
        "/sessions/{id}/agenda-approval",
        Role::MANAGERS,
        "registrar la aprobación del orden del día",
    ),
    Access::roles(
        "PUT",
        "/sessions/{id}/agenda/{position}/deliberation",
        Role::MANAGERS,
        "registrar deliberaciones",
    ),
    Access::roles(
        "POST",
        "/sessions/{id}/motions",
        Role::MANAGERS,
        "registrar votaciones",
    ),
    Access::roles(
        "POST",
        "/sessions/{id}/agreements",
        Role::MANAGERS,
        "registrar acuerdos",
    ),
    Access::roles(
        "POST",
        "/agreements/{id}/follow-ups",
        Role::MANAGERS,
        "registrar el seguimiento de un acuerdo",
    ),
    Access::roles(
        "GET",
        "/secretariats/{id}/agreements",
        READERS,
        "consultar los acuerdos",
    ),
    Access::roles(
        "POST",
        "/sessions/{id}/close",
        Role::MANAGERS,
        "cerrar una sesión",
    ),
    Access::public(
        "GET",
        "/public/secretariats",
        "consultar la lista pública de secretariados",
    ),
    Access::public(
        "GET",
        "/public/secretariats/{slug}",
        "consultar un secretariado por su nombre público",
    ),
    Access::public(
        "GET",
        "/public/secretariats/{slug}/sessions",
        "consultar el calendario público de sesiones",
    ),
    Access::public(
        "GET",
        "/public/secretariats/{slug}/sessions/{folio}",
        "consultar una sesión pública",
    ),
    Access::public(
        "POST",
        "/public/secretariats/{slug}/inquiries",
        "enviar una duda, queja o sugerencia",
    ),
    Access::public(
        "GET",
        "/public/inquiries/{folio}",
        "consultar el estado de una duda, queja o sugerencia",
    ),
    Access::public(
        "POST",
        "/public/secretariats/{slug}/join-requests",
        "pedir sumarse a los ejercicios de gobierno abierto",
    ),
    Access::public(
        "GET",
        "/public/secretariats/{slug}/figures",
        "consultar las cifras abiertas de los formularios públicos",
    ),
    Access::public(
        "GET",
        "/public/secretariats/{slug}/commitments",
        "consultar el avance público de los compromisos",
    ),
    Access::roles(
        "POST",
        "/secretariats/{id}/commitments",
        Role::MANAGERS,
        "registrar un compromiso del Plan de Acción Local",
    ),
    Access::roles(
        "GET",
        "/secretariats/{id}/commitments",
        READERS,
        "consultar los compromisos del Plan de Acción Local",
    ),
    Access::roles(
        "PATCH",
        "/milestones/{id}",
        Role::MANAGERS,
        "registrar el avance de un hito",
    ),
    Access::public(
        "GET",
        "/public/secretariats/{slug}/projects",
        "consultar los proyectos de los miembros invitados y sus informes",
    ),
    Access::roles(
        "GET",
        "/secretariats/{id}/projects",
        READERS,
        "consultar los proyectos de los miembros invitados",
    ),
    Access::roles(
        "POST",
        "/projects/{id}/reports",
        &[Role::InvitedMember],
        "informar el avance de su proyecto",
    ),
    Access::public(
        "GET",
        "/public/secretariats/{slug}/communiques",
        "consultar los comunicados de la Presidencia",
    ),
    Access::public(
        "GET",
        "/public/secretariats/{slug}/communiques/{number}",
        "consultar un comunicado de la Presidencia",
    ),
    Access::roles(
        "POST",
        "/secretariats/{id}/communiques",
        PRESIDENT,
        "publicar un comunicado",
    ),
    Access::roles(
        "GET",
        "/secretariats/{id}/communiques",
        READERS,
        "consultar los comunicados",
    ),
    Access::roles(
        "PUT",
        "/communiques/{id}",
        PRESIDENT,
        "corregir un comunicado",
    ),
    Access::public(
        "GET",
        "/public/secretariats/{slug}/activities",
        "consultar la agenda pública de actividades",
    ),
    Access::roles(
        "POST",
        "/secretariats/{id}/activities",
        Role::MANAGERS,
        "agregar una actividad a la agenda",
    ),
    Access::roles(
        "GET",
        "/secretariats/{id}/activities",
        READERS,
        "consultar la agenda de actividades",
    ),
    Access::roles(
        "PUT",
        "/activities/{id}",
        Role::MANAGERS,
        "modificar una actividad de la agenda",
    ),
    Access::roles(
        "POST",
        "/activities/{id}/cancellation",
        Role::MANAGERS,
        "cancelar una actividad de la agenda",
    ),
    Access::roles(
        "GET",
        "/secretariats/{id}/inquiries",
        Role::MANAGERS,
        "consultar las dudas, quejas y sugerencias",
    ),
    Access::roles(
        "GET",
        "/inquiries/{id}/attachment",
        Role::MANAGERS,
        "descargar el archivo adjunto de una duda, queja o sugerencia",
    ),
    Access::roles(
        "POST",
        "/inquiries/{id}/answer",
        Role::MANAGERS,
        "responder una duda, queja o sugerencia",
    ),
    Access::roles(
        "GET",
        "/secretariats/{id}/join-requests",
        Role::MANAGERS,
        "consultar las solicitudes para sumarse",
    ),
];

/// The routes of the secretariat's own API.
pub fn router(context: ServiceContext) -> ApiRouter {
    ApiRouter::new()
        // The complaint form carries an optional attachment (base64, up to
        // 5 MiB decoded): its body may exceed the default limit.
        .routes(routes!(public::create_inquiry))
        .body_limit(attachments::MAX_INQUIRY_BODY)
        .routes(routes!(secretariats::list_presets))
        .routes(routes!(secretariats::create_secretariat))
        .routes(routes!(
            secretariats::get_secretariat,
            secretariats::update_secretariat
        ))
        .routes(routes!(secretariats::list_seats))
        .routes(routes!(members::create_member, members::list_members))
        .routes(routes!(members::update_member))
        .routes(routes!(members::create_designation))
        .routes(routes!(members::update_designation))
        .routes(routes!(members::list_terms))
        .routes(routes!(members::create_resignation))
        .routes(routes!(members::list_calls))
        .routes(routes!(sessions::create_session, sessions::list_sessions))
        .routes(routes!(sessions::get_session, sessions::update_session))
        .routes(routes!(sessions::replace_agenda))
        .routes(routes!(sessions::cancel_session))
        .routes(routes!(sessions::issue_convocatoria))
        .routes(routes!(sessions::notice_check))
        .routes(routes!(proposals::propose, proposals::list_proposals))
        .routes(routes!(sessions::record_attendance))
        .routes(routes!(sessions::open_session))
        .routes(routes!(sessions::approve_agenda))
        .routes(routes!(sessions::record_deliberation))
        .routes(routes!(votes::create_motion))
        .routes(routes!(votes::create_agreement))
        .routes(routes!(votes::create_follow_up))
        .routes(routes!(votes::list_agreements))
        .routes(routes!(sessions::close_session))
        .routes(routes!(public::list_secretariats))
        .routes(routes!(public::get_secretariat))
        .routes(routes!(public::list_sessions))
        .routes(routes!(public::get_session))
        .routes(routes!(public::get_inquiry))
        .routes(routes!(public::create_join_request))
        .routes(routes!(public::figures))
        .routes(routes!(commitments::public_commitments))
        .routes(routes!(
            commitments::create_commitment,
            commitments::list_commitments
        ))
        .routes(routes!(commitments::update_milestone))
        .routes(routes!(projects::public_projects))
        .routes(routes!(projects::list_projects))
        .routes(routes!(projects::create_report))
        .routes(routes!(communiques::public_communiques))
        .routes(routes!(communiques::public_communique))
        .routes(routes!(
            communiques::create_communique,
            communiques::list_communiques
        ))
        .routes(routes!(communiques::correct_communique))
        .routes(routes!(activities::public_activities))
        .routes(routes!(
            activities::create_activity,
            activities::list_activities
        ))
        .routes(routes!(activities::update_activity))
        .routes(routes!(activities::cancel_activity))
        .routes(routes!(public::list_inquiries))
        .routes(routes!(public::answer_inquiry))
        .routes(routes!(attachments::download_attachment))
        .routes(routes!(public::list_join_requests))
        .with_state(context)
}
