//! Servicio Secretariado: asientos, integrantes, periodos, sesiones,
//! convocatorias, asistencia, quórum, votaciones y acuerdos del Secretariado
//! Técnico Local — and, as the system of record for who sits in it, the
//! identities everybody logs in with.
//!
//! # Layout
//! - [`auth`]: FIEL challenge login, one-time email links, API tokens, the
//!   roles of a member on a given day, and token introspection for the other
//!   services.
//! - [`api`]: the secretariat's own API (secretariats, seats, members,
//!   designations, sessions, convocatorias, attendance, votes, agreements).
//!
//! The service is a library so it runs inside the `rubrica` launcher (all
//! services in one process) or alone through its own binary; [`spec`] is what
//! both hand to the platform. It owns the tables of `migrations/secretariat/`
//! and no other service reads them.

use std::sync::Arc;

use rubrica_platform::{
    Access, EventHandlers, ServiceContext, ServiceName, ServiceParts, ServiceSpec,
};
use sqlx::migrate::Migrator;

pub mod api;
pub mod auth;
pub mod settings;

/// This service's own migrations (the platform adds its outbox, inbox and
/// audit trail).
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/secretariat");

/// The sections of the settings this service owns.
pub const SECTIONS: &[rubrica_platform::config::SectionSpec] =
    &[rubrica_platform::config::SectionSpec::of::<
        settings::TermsSettings,
    >()];

/// The description the platform needs to run this service.
pub fn spec() -> ServiceSpec {
    ServiceSpec {
        name: ServiceName::Secretariat,
        description: "Asientos, integrantes, periodos, sesiones, convocatorias, asistencia, quórum, votaciones y acuerdos del Secretariado Técnico Local; identidades y acceso.",
        migrator: &MIGRATOR,
        access,
        sections: SECTIONS,
        build: Arc::new(build),
    }
}

/// Who may call each operation: the secretariat's own API and access.
fn access() -> Vec<Access> {
    [api::ACCESS, auth::ACCESS].concat()
}

fn build(context: &ServiceContext) -> ServiceParts {
    let auth = auth::Auth::new(context.clone());
    api::terms::schedule(context);
    auth::schedule_pruning(context);
    ServiceParts {
        router: api::router(context.clone()).merge(auth::router(auth.clone())),
        handlers: EventHandlers::new(),
        authenticator: Some(Arc::new(auth.clone())),
        internal: auth::internal_router(auth)
            .merge(api::internal::internal_router(context.clone())),
    }
}
