//! Runs the members' web platform alone, as one process of a split
//! deployment: it needs the URLs of the secretariat and signing services
//! (`RUBRICA_SERVICES__SECRETARIAT__URL`, `RUBRICA_SERVICES__SIGNING__URL`,
//! and optionally `RUBRICA_SERVICES__DOCUMENTS__URL`) and serves at `/`.

use std::time::Duration;

use actix_web::{App, HttpServer};
use anyhow::Context;
use rubrica_platform::{Settings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let loaded = Settings::load(None, &[])?;
    telemetry::init(&loaded.settings.log);
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    let config = rubrica_web::WebConfig::from_settings(&loaded.settings).context(
        "faltan las direcciones de los servicios: defina RUBRICA_SERVICES__SECRETARIAT__URL y RUBRICA_SERVICES__SIGNING__URL",
    )?;
    let address = format!(
        "{}:{}",
        loaded.settings.http.host, loaded.settings.http.port
    );
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()?;
    let state = rubrica_web::WebState::new(config, http);
    let server = HttpServer::new(move || {
        let state = state.clone();
        App::new()
            .wrap(actix_web::middleware::from_fn(
                rubrica_platform::http::security_headers,
            ))
            .configure(move |cfg| rubrica_web::configure(cfg, state.clone()))
    })
    .bind(&address)
    .with_context(|| format!("no se pudo escuchar en {address}"))?;
    tracing::info!("plataforma web escuchando en http://{address}/");
    server.run().await?;
    Ok(())
}
