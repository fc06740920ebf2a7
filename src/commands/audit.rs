//! `rubrica audit verify`: checks a service's hash-chained audit trail
//! straight from its database.

use rubrica_platform::audit::{self, ChainReport};
use rubrica_platform::{Database, ServiceName, Settings};

/// Opens the service's database as configured and walks its chain.
pub async fn verify(service: ServiceName, settings: &Settings) -> anyhow::Result<ChainReport> {
    let spec = crate::all_specs()
        .into_iter()
        .find(|s| s.name == service)
        .ok_or_else(|| anyhow::anyhow!("el servicio {service} no existe"))?;
    let db = Database::open(service, settings, spec.migrator).await?;
    let report = audit::verify(&db).await?;
    db.close().await;
    Ok(report)
}
