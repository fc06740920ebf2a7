//! Servicio Documentos: actas, minutas, convocatorias, informes de
//! actividades y actas de entrega-recepción generadas desde plantillas Typst
//! a PDF/A-2b, con el manifiesto de diseño que usa el servicio de firma.
//!
//! Governments write actas by hand and lose hours to page numbering,
//! attendance tables and signature blocks; this service renders them from the
//! session's data, identically every time (same data → same bytes), leaving
//! a margin for every attendee's initials on every page and a signature block
//! at the end (000 V.7–8), and says exactly where (the layout manifest,
//! `rubrica_pdfsign::LayoutManifest`).
//!
//! # Layout
//! - [`kind`]: the five kinds, the data each needs ([`schema`]: every
//!   missing field listed in Spanish) and who signs each.
//! - [`engine`]: Typst embedded (bundled fonts, stable file ids, caches
//!   evicted after each render); [`render`]: data → PDF + manifest, the one
//!   function the API, the event handler, the CLI and the benchmark call.
//! - [`documents`]: drafts, versions, approval (frozen), reads; renders in
//!   `spawn_blocking` behind a semaphore.
//! - [`closed`]: `session.closed` → draft acta or minuta.
//! - [`api`]: routes and access table; [`model`]: JSON shapes; [`db`]: SQL.
//!
//! Templates live in `templates/documents/` (compiled into the binary), and
//! example data for every kind in `templates/examples/`.
//!
//! The service is a library so it runs inside the `rubrica` launcher (all
//! services in one process) or alone through its own binary; [`spec`] is what
//! both hand to the platform. It owns the tables of `migrations/documents/`
//! and no other service reads them.

use std::sync::Arc;

use rubrica_platform::{ServiceContext, ServiceName, ServiceParts, ServiceSpec};
use sqlx::migrate::Migrator;

pub mod api;
pub mod closed;
pub mod db;
pub mod documents;
pub mod engine;
pub mod kind;
pub mod model;
pub mod render;
pub mod schema;

pub use documents::Documents;
pub use kind::DocumentKind;
pub use render::{RenderError, RenderedRecord, render};

/// This service's own migrations (the platform adds its outbox and inbox).
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/documents");

/// The description the platform needs to run this service.
pub fn spec() -> ServiceSpec {
    ServiceSpec {
        name: ServiceName::Documents,
        description: "Actas, minutas, convocatorias, informes de actividades y actas de entrega-recepción generadas desde plantillas a PDF/A.",
        migrator: &MIGRATOR,
        access: || api::ACCESS.to_vec(),
        sections: &[],
        build: Arc::new(build),
    }
}

fn build(context: &ServiceContext) -> ServiceParts {
    let documents = Documents::new(context.clone());
    // Public routes know members and API tokens only: the suite's internal
    // token opens `/internal` and nothing else (issue 15, finding 14).
    let authenticator = rubrica_platform::auth::RemoteAuthenticator::new(
        context.http.clone(),
        context.settings.services.secretariat.url.clone(),
        context.settings.internal_token.clone(),
    );
    ServiceParts {
        handlers: closed::handlers(documents.clone()),
        authenticator: Some(Arc::new(authenticator)),
        internal: api::internal_router(documents.clone()),
        ..ServiceParts::new(api::router(documents))
    }
}
