//! The database layer: one database per service, SQLite by default (a WAL file
//! under the data directory), PostgreSQL when a `postgres://` URL is given (one
//! schema per service, so services keep their tables to themselves even in a
//! shared database).
//!
//! Queries go through sqlx's `Any` driver with `$1`-style placeholders, which
//! both backends accept; migrations are written in portable SQL (TEXT ids,
//! BIGINT epoch-ms timestamps, INTEGER flags, JSON as TEXT). Where the SQL must
//! differ (claiming outbox rows with `FOR UPDATE SKIP LOCKED`), callers branch
//! on [`Backend`].

use std::path::Path;
use std::sync::{Arc, Once};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, Migrator};
use sqlx::{AnyPool, AssertSqlSafe, Connection, Executor, Row};

use crate::config::Settings;
use crate::service::ServiceName;

/// The platform's own tables (outbox, inbox), applied in every service's
/// database before the service's migrations.
pub static PLATFORM_MIGRATOR: Migrator = sqlx::migrate!("../../migrations/platform");

/// Which database engine a service is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A service's database: a connection pool plus what is needed to know
/// whether it is ready.
#[derive(Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    migrator: Arc<Migrator>,
    /// Where the data is, with any password removed: for start-up messages.
    location: String,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend)
            .field("location", &self.location)
            .finish()
    }
}

/// Why a database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no se pudo crear la carpeta de datos {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("no se pudo conectar a la base de datos del servicio {service} ({location}): {source}")]
    Connect {
        service: ServiceName,
        location: String,
        source: sqlx::Error,
    },
    #[error("no se pudieron aplicar las migraciones del servicio {service}: {source}")]
    Migrate {
        service: ServiceName,
        source: sqlx::migrate::MigrateError,
    },
}

static DRIVERS: Once = Once::new();

impl Database {
    /// Opens (creating if needed) the database of `service` as configured, and
    /// applies the platform's and the service's migrations.
    pub async fn open(
        service: ServiceName,
        settings: &Settings,
        service_migrator: &Migrator,
    ) -> Result<Self, DbError> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let migrator = Arc::new(combined_migrator(service_migrator));

        let (url, backend) = match settings.database_url_for(service) {
            Some(url) if url.starts_with("postgres") => (url.to_string(), Backend::Postgres),
            Some(url) => (url.to_string(), Backend::Sqlite),
            None => {
                let dir = &settings.data_dir;
                std::fs::create_dir_all(dir).map_err(|source| DbError::DataDir {
                    path: dir.display().to_string(),
                    source,
                })?;
                (
                    sqlite_url(&dir.join(format!("{service}.db"))),
                    Backend::Sqlite,
                )
            }
        };
        let location = redact_url(&url);
        let connect_error = |source| DbError::Connect {
            service,
            location: location.clone(),
            source,
        };
        let options: AnyConnectOptions = url.parse().map_err(connect_error)?;

        let session_sql: String = match backend {
            Backend::Sqlite => {
                // WAL is a property of the file: set it once, it persists.
                let mut conn = sqlx::AnyConnection::connect_with(&options)
                    .await
                    .map_err(connect_error)?;
                conn.execute("PRAGMA journal_mode = WAL")
                    .await
                    .map_err(connect_error)?;
                conn.close().await.map_err(connect_error)?;
                "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
                    .into()
            }
            Backend::Postgres => {
                let schema = service.as_str();
                let mut conn = sqlx::AnyConnection::connect_with(&options)
                    .await
                    .map_err(connect_error)?;
                // Two replicas starting together may race to create the
                // schema; the loser sees a unique violation and carries on.
                if let Err(e) = conn
                    .execute(AssertSqlSafe(format!(
                        "CREATE SCHEMA IF NOT EXISTS {schema}"
                    )))
                    .await
                {
                    let duplicate = e
                        .as_database_error()
                        .and_then(|d| d.code())
                        .is_some_and(|c| c == "23505" || c == "42P06");
                    if !duplicate {
                        return Err(connect_error(e));
                    }
                }
                conn.close().await.map_err(connect_error)?;
                format!("SET search_path TO {schema}")
            }
        };

        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 10,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                let sql = session_sql.clone();
                Box::pin(async move {
                    conn.execute(AssertSqlSafe(sql)).await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(connect_error)?;

        migrator
            .run(&pool)
            .await
            .map_err(|source| DbError::Migrate { service, source })?;

        Ok(Database {
            pool,
            backend,
            migrator,
            location,
        })
    }

    /// The connection pool, for the service's SQL functions.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The engine, for the rare statement that must differ.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where the data lives, safe to print.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Ready means: the database answers, and every migration this binary
    /// knows is applied (a replica started against an older schema is not
    /// ready).
    pub async fn check_ready(&self) -> Result<(), String> {
        let rows = sqlx::query("SELECT version FROM _sqlx_migrations WHERE success = $1")
            .bind(true)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| format!("la base de datos no responde: {e}"))?;
        let applied: std::collections::HashSet<i64> = rows
            .iter()
            .filter_map(|r| r.try_get::<i64, _>(0).ok())
            .collect();
        let missing: Vec<i64> = self
            .migrator
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("faltan migraciones por aplicar: {missing:?}"))
        }
    }

    /// Opens a transaction that will write. On SQLite it takes the write lock
    /// at once (`BEGIN IMMEDIATE`): a deferred transaction that reads first
    /// and writes later fails when another writer committed in between,
    /// whereas an immediate one waits its turn (busy timeout).
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Closes the pool (at shutdown, so SQLite checkpoints its WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The platform's migrations followed by the service's.
fn combined_migrator(service: &Migrator) -> Migrator {
    let migrations: Vec<Migration> = PLATFORM_MIGRATOR
        .iter()
        .chain(service.iter())
        .cloned()
        .collect();
    Migrator::with_migrations(migrations)
}

/// A `sqlite:` URL for a file, created if missing.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// A URL with its password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// Milliseconds since the Unix epoch: the portable timestamp of every table.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Whether an error is the violation of a unique constraint (a duplicate
/// insert), on either backend, so callers can answer 409 instead of 500.
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://rubrica:hunter2@db:5432/rubrica"),
            "postgres://rubrica:***@db:5432/rubrica"
        );
        assert_eq!(redact_url("postgres://db/rubrica"), "postgres://db/rubrica");
        assert_eq!(redact_url("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }
}
