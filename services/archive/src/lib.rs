//! Servicio Archivo: registros firmados inmutables, paquetes de
//! entrega-recepción, verificación pública y datos abiertos (000 V.10,
//! VII.7, III.7).
//!
//! What citizens trust, so everything it keeps is tamper-evident:
//! - objects are stored **by content** (their SHA-256 is their name),
//!   create-only, never overwritten nor deleted through the API;
//! - every archived object is a leaf of an append-only Merkle log (RFC 6962),
//!   and every new tree head is signed with the archive's Ed25519 key, whose
//!   public half is published; anyone can ask for an inclusion proof of a
//!   file and a consistency proof between two heads, and check them with
//!   standard tools or `rubrica verify FILE --log URL`.
//!
//! # Layout
//! - [`archive`]: [`Archive`], the service's logic — ingest (store + log),
//!   proofs, downloads, public verification of a SHA-256.
//! - [`log`]: what a leaf is, signing heads, keeping the in-memory tree in
//!   step with the database; [`tree`]: that tree, with `O(log n)` proofs.
//! - [`storage`]: the `object_store` (local folder with fsync, or S3).
//! - [`key`]: the log's signing key (a file, generated once by default).
//! - [`handovers`]: end-of-term handovers (entrega-recepción), packed as
//!   BagIt bags in ZIP ([`bagit`]), their uploads checked by content
//!   ([`sniff`]).
//! - [`api`]: the HTTP routes and their access table; [`model`]: the JSON
//!   shapes (shared with the CLI); [`db`]: the SQL; [`digest`]: `Sha256`.
//!
//! The service is a library so it runs inside the `rubrica` launcher (all
//! services in one process) or alone through its own binary; [`spec`] is what
//! both hand to the platform. It owns the tables of `migrations/archive/` and
//! no other service reads them.

use std::sync::Arc;

use rubrica_platform::{EventHandlers, ServiceContext, ServiceName, ServiceParts, ServiceSpec};
use sqlx::migrate::Migrator;

pub mod api;
pub mod archive;
pub mod bagit;
pub mod db;
pub mod digest;
pub mod evidence;
pub mod generated;
pub mod handovers;
pub mod key;
pub mod log;
pub mod model;
pub mod opendata;
pub mod records;
pub mod settings;
/// The content sniffer, shared with the secretariat (complaint attachments).
pub use rubrica_platform::sniff;
pub mod storage;
pub mod tree;

pub use archive::Archive;

/// This service's own migrations (the platform adds its outbox, inbox and
/// audit trail).
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/archive");

/// The sections of the settings this service owns.
pub const SECTIONS: &[rubrica_platform::config::SectionSpec] =
    &[rubrica_platform::config::SectionSpec::of::<
        settings::ArchiveSettings,
    >()];

/// The description the platform needs to run this service.
pub fn spec() -> ServiceSpec {
    ServiceSpec {
        name: ServiceName::Archive,
        description: "Registros firmados inmutables, paquetes de entrega-recepción, verificación pública y datos abiertos.",
        migrator: &MIGRATOR,
        access: || api::ACCESS.to_vec(),
        sections: SECTIONS,
        build: Arc::new(build),
    }
}

fn build(context: &ServiceContext) -> ServiceParts {
    let archive = Archive::new(context.clone());
    archive.warm_up();
    let ingestor = records::Ingestor::new(archive.clone());
    let on_route_completed = ingestor.handler();
    let public = api::records::Records {
        archive: archive.clone(),
        validator: ingestor.validator(),
        stats: Default::default(),
    };
    // The open-data figures are counted at start, so no visitor waits for
    // the first count (`opendata::StatsCache`).
    let (stats, db) = (public.stats.clone(), context.db.clone());
    context.background.add(
        "archivo: cifras de datos abiertos",
        move |_stop| async move {
            if let Err(e) = stats.get(&db).await {
                tracing::warn!(error = %e, "contando las filas de los datos abiertos al arrancar");
            }
        },
    );
    context
        .background
        .add("archivo: registros firmados", move |stop| {
            ingestor.run(stop)
        });
    let sweeper = archive.clone();
    context.background.add(
        "archivo: limpieza de cargas reemplazadas",
        move |stop| async move {
            loop {
                match sweeper.sweep_staged(STAGED_GRACE_MS).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(n, "cargas reemplazadas eliminadas del almacén"),
                    Err(e) => tracing::warn!(error = %e, "limpiando cargas reemplazadas"),
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(std::time::Duration::from_secs(3_600)) => {}
                }
            }
        },
    );
    let mut parts = ServiceParts {
        internal: api::internal_router(archive.clone()),
        ..ServiceParts::new(api::router(archive, public))
    };
    parts.handlers = EventHandlers::new()
        .on(records::ROUTE_COMPLETED, on_route_completed)
        .on(opendata::SESSION_CLOSED, opendata::OnSessionClosed);
    parts
}

/// How long replaced staged bytes wait before the sweep may delete them.
pub const STAGED_GRACE_MS: i64 = 60 * 60 * 1000;

/// An epoch-ms instant as people in central Mexico read it
/// (`2026-11-21 08:14 hora del centro de México`).
pub fn when(epoch_ms: i64) -> String {
    use rubrica_rules::local_time::{DEFAULT_UTC_OFFSET_MINUTES, local_ms};
    use time::macros::format_description;
    // An archived object belongs to no one secretariat: central Mexico.
    local_ms(epoch_ms, DEFAULT_UTC_OFFSET_MINUTES)
        .format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
        .ok()
        .map(|t| format!("{t} hora del centro de México"))
        .unwrap_or_else(|| format!("{epoch_ms} ms desde 1970 (UTC)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_settings_come_from_variables_and_secret_files() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("s3-secret");
        std::fs::write(&secret, "secreto\n").unwrap();
        let env: Vec<(String, String)> = [
            ("RUBRICA_ARCHIVE__OBJECT_STORE_URL", "s3://rubrica/archivo"),
            ("RUBRICA_ARCHIVE__S3_ENDPOINT", "http://seaweedfs:8333"),
            ("RUBRICA_ARCHIVE__S3_ALLOW_HTTP", "true"),
            ("RUBRICA_ARCHIVE__S3_ACCESS_KEY_ID", "rubrica"),
            (
                "RUBRICA_ARCHIVE__S3_SECRET_ACCESS_KEY_FILE",
                secret.to_str().unwrap(),
            ),
            ("RUBRICA_ARCHIVE__LOG_KEY_FILE", "/run/secrets/log-key.pk8"),
            ("RUBRICA_ARCHIVE__MAX_OBJECT_BYTES", "1048576"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();

        let loaded = rubrica_platform::Settings::load_from(None, &env, SECTIONS).unwrap();

        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let archive: settings::ArchiveSettings = loaded.settings.section();
        assert_eq!(
            archive.object_store_url.as_deref(),
            Some("s3://rubrica/archivo")
        );
        assert_eq!(
            archive.s3_endpoint.as_deref(),
            Some("http://seaweedfs:8333")
        );
        assert!(archive.s3_allow_http);
        assert_eq!(
            archive.s3_secret_access_key.as_ref().map(|s| s.expose()),
            Some("secreto")
        );
        assert_eq!(
            archive.log_key_file,
            Some(std::path::PathBuf::from("/run/secrets/log-key.pk8"))
        );
        assert_eq!(archive.max_object_bytes, 1_048_576);
        let defaults: settings::ArchiveSettings = rubrica_platform::Settings::default().section();
        assert_eq!(defaults.object_store_url, None);
        assert_eq!(defaults.max_object_bytes, 64 * 1024 * 1024);
    }

    #[test]
    fn instants_are_shown_in_central_mexico_time() {
        // 2026-11-21T14:14:03Z
        assert_eq!(
            when(1_795_270_443_000),
            "2026-11-21 08:14 hora del centro de México"
        );
        assert_eq!(when(0), "1969-12-31 18:00 hora del centro de México");
    }
}
