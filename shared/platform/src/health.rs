//! Health checks: `live` says the process answers; `ready` says this service
//! can do its work (its database answers and every migration is applied), so
//! a load balancer sends it traffic.

use crate::http::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::Database;
use crate::error::{ApiError, ApiResult, Json};
use crate::service::ServiceName;

/// A health answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `vivo` or `listo`.
    pub status: String,
    /// The service that answered.
    pub service: ServiceName,
}

#[derive(Clone)]
pub(crate) struct HealthState {
    pub service: ServiceName,
    pub db: Database,
}

/// The process is running and answering requests.
#[utoipa::path(
    get,
    path = "/health/live",
    tag = "salud",
    summary = "El proceso está en marcha y responde",
    responses((status = 200, description = "El proceso responde", body = Health))
)]
pub(crate) async fn live(State(state): State<HealthState>) -> Json<Health> {
    Json(Health {
        status: "vivo".into(),
        service: state.service,
    })
}

/// The service's database answers and its migrations are applied.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "salud",
    summary = "La base de datos responde y sus migraciones están aplicadas",
    responses(
        (status = 200, description = "Listo para atender", body = Health),
        (status = 503, description = "La base de datos no responde o faltan migraciones", body = crate::error::Problem),
    )
)]
pub(crate) async fn ready(State(state): State<HealthState>) -> ApiResult<Json<Health>> {
    state.db.check_ready().await.map_err(|reason| {
        tracing::warn!(service = %state.service, reason, "el servicio no está listo");
        ApiError::Unavailable(format!(
            "El servicio {} no está listo: {reason}. Espere a que termine de arrancar o revise su base de datos.",
            state.service
        ))
    })?;
    Ok(Json(Health {
        status: "listo".into(),
        service: state.service,
    }))
}
