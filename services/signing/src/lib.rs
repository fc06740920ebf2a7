//! Servicio Signing: Rutas de firma, rúbrica en cada página y firma al calce con la FIEL de cada integrante, firma remota en dos pasos y verificación.
//!
//! A **route** takes an approved record (its PDF and layout manifest, inline
//! or from the documents service), makes its signable revision (every
//! signer's signature field and per-page initials fields, before anyone
//! signs) and collects one PAdES signature per signer, each in its own
//! incremental revision, through the remote two-step flow: `prepare` returns
//! the exact bytes the member's key signs, `complete` embeds the value,
//! verifies the whole PDF and stores the revision. The private key never
//! reaches the server.
//!
//! # Layout
//! - [`routes`]: [`Signing`], the logic — open, refuse, cancel, prepare,
//!   complete (compare-and-swap on the route's current revision), verify.
//! - [`api`]: the HTTP handlers and their access table.
//! - [`model`]: the JSON shapes, and the event payloads (the mail service's
//!   contracts: `route.opened`, `route.signed`, `route.refused`,
//!   `route.cancelled`, `route.completed`).
//! - [`db`]: the SQL of `migrations/signing/`.
//!
//! Every revision is stored by its SHA-256; every state change writes the
//! route's history (who, when, certificate number, IP), the audit trail and
//! its event in one transaction. Settings: `signing.*` (prepare lifetime,
//! PDF size limit, `/Location`) and `auth.trust_anchors_dir` (the CAs a
//! signer's certificate must chain to).
//!
//! The service is a library so it runs inside the `rubrica` launcher (all
//! services in one process) or alone through its own binary; [`spec`] is what
//! both hand to the platform. It owns the tables of `migrations/signing/` and
//! no other service reads them.

use std::sync::Arc;

use rubrica_platform::{ServiceContext, ServiceName, ServiceParts, ServiceSpec};
use sqlx::migrate::Migrator;

pub mod api;
pub mod db;
pub mod model;
pub mod routes;
pub mod settings;

pub use routes::Signing;

/// This service's own migrations (the platform adds its outbox and inbox).
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/signing");

/// The sections of the settings this service owns.
pub const SECTIONS: &[rubrica_platform::config::SectionSpec] =
    &[rubrica_platform::config::SectionSpec::of::<
        settings::SigningSettings,
    >()];

/// The description the platform needs to run this service.
pub fn spec() -> ServiceSpec {
    ServiceSpec {
        name: ServiceName::Signing,
        description: "Rutas de firma, rúbrica en cada página y firma al calce con la FIEL de cada integrante, firma remota en dos pasos y verificación.",
        migrator: &MIGRATOR,
        access: || api::ACCESS.to_vec(),
        sections: SECTIONS,
        build: Arc::new(build),
    }
}

fn build(context: &ServiceContext) -> ServiceParts {
    let signing = Signing::new(context.clone());
    ServiceParts {
        internal: api::internal_router(signing.clone()),
        ..ServiceParts::new(api::router(signing))
    }
}
