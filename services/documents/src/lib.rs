//! Servicio Documents: Actas, minutas, convocatorias, informes de actividades y actas de entrega-recepción generadas desde plantillas a PDF.
//!
//! The service is a library so it runs inside the `rubrica` launcher (all
//! services in one process) or alone through its own binary; [`spec`] is what
//! both hand to the platform.
//!
//! It owns the tables of `migrations/documents/` and no other service reads them.

use std::sync::Arc;

use rubrica_platform::utoipa_axum::router::OpenApiRouter;
use rubrica_platform::{ServiceName, ServiceParts, ServiceSpec};
use sqlx::migrate::Migrator;

/// This service's own migrations (the platform adds its outbox and inbox).
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/documents");

/// The description the platform needs to run this service.
pub fn spec() -> ServiceSpec {
    ServiceSpec {
        name: ServiceName::Documents,
        description: "Actas, minutas, convocatorias, informes de actividades y actas de entrega-recepción generadas desde plantillas a PDF.",
        migrator: &MIGRATOR,
        access: Vec::new,
        build: Arc::new(|_context| ServiceParts::new(OpenApiRouter::new())),
    }
}
