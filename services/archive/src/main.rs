//! Runs the archive service alone, as one process of a split deployment
//! (`rubrica serve --only archive` does the same from the launcher).

use rubrica_platform::launch::{Suite, shutdown_on_signal};
use rubrica_platform::{ServiceName, Settings, telemetry};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let loaded = Settings::load(None)?;
    telemetry::init(&loaded.settings.log);
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    let address = format!(
        "{}:{}",
        loaded.settings.http.host, loaded.settings.http.port
    );
    let listener = tokio::net::TcpListener::bind(&address).await?;
    let specs = [rubrica_archive::spec()];
    let suite = Suite::assemble(
        &specs,
        &[ServiceName::Archive],
        loaded.settings,
        listener.local_addr()?,
    )
    .await?;
    tracing::info!(
        "servicio archive escuchando en http://{}/archive",
        listener.local_addr()?
    );
    let shutdown = CancellationToken::new();
    tokio::spawn(shutdown_on_signal(shutdown.clone()));
    suite.serve(listener, shutdown).await?;
    Ok(())
}
