//! Servicio Signing: Rutas de firma, rúbrica en cada página y firma al calce con la FIEL de cada integrante, firma remota en dos pasos y verificación.
//!
//! The service is a library so it runs inside the `rubrica` launcher (all
//! services in one process) or alone through its own binary; [`spec`] is what
//! both hand to the platform.
//!
//! It owns the tables of `migrations/signing/` and no other service reads them.

use std::sync::Arc;

use rubrica_platform::utoipa_axum::router::OpenApiRouter;
use rubrica_platform::{ServiceName, ServiceParts, ServiceSpec};
use sqlx::migrate::Migrator;

/// This service's own migrations (the platform adds its outbox and inbox).
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/signing");

/// The description the platform needs to run this service.
pub fn spec() -> ServiceSpec {
    ServiceSpec {
        name: ServiceName::Signing,
        description: "Rutas de firma, rúbrica en cada página y firma al calce con la FIEL de cada integrante, firma remota en dos pasos y verificación.",
        migrator: &MIGRATOR,
        access: Vec::new,
        build: Arc::new(|_context| ServiceParts::new(OpenApiRouter::new())),
    }
}
