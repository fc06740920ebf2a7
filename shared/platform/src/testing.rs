//! Test support: every database test runs on SQLite, and on PostgreSQL too
//! when `RUBRICA_TEST_POSTGRES` names a server (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`). Each test gets a fresh
//! database: a new SQLite folder, or a new PostgreSQL database created on
//! that server and dropped afterwards.

use crate::secret::Secret;
use std::path::Path;

use sqlx::{Connection, Executor};

use crate::config::Settings;

/// The variable naming the PostgreSQL server for tests.
pub const POSTGRES_VARIABLE: &str = "RUBRICA_TEST_POSTGRES";

/// The variable naming a file where tests that ran on PostgreSQL are listed.
pub const REPORT_VARIABLE: &str = "RUBRICA_TEST_REPORT";

/// A database engine a test runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestBackend {
    /// A SQLite file per service in the test's data folder.
    Sqlite,
    /// The PostgreSQL server at this URL.
    Postgres(String),
}

impl TestBackend {
    /// SQLite always, PostgreSQL when configured. Says so on stderr when the
    /// PostgreSQL run is skipped, so a green run without it is not mistaken
    /// for a full one.
    pub fn all() -> Vec<TestBackend> {
        let mut backends = vec![TestBackend::Sqlite];
        match std::env::var(POSTGRES_VARIABLE) {
            Ok(url) if !url.is_empty() => {
                report_postgres_run();
                backends.push(TestBackend::Postgres(url));
            }
            _ => eprintln!(
                "OMITIDO: pruebas en PostgreSQL (defina {POSTGRES_VARIABLE}=postgres://… para ejecutarlas)"
            ),
        }
        backends
    }

    /// A short label for messages.
    pub fn label(&self) -> &'static str {
        match self {
            TestBackend::Sqlite => "sqlite",
            TestBackend::Postgres(_) => "postgres",
        }
    }
}

/// When `RUBRICA_TEST_REPORT` names a file, appends the running test's name
/// to it, so CI can show which tests really ran on PostgreSQL.
fn report_postgres_run() {
    use std::io::Write;
    let Ok(path) = std::env::var(REPORT_VARIABLE) else {
        return;
    };
    let test = std::thread::current()
        .name()
        .unwrap_or("(sin nombre)")
        .to_string();
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(file, "postgres\t{test}");
    }
}

/// A fresh database for one test; drop it with [`FreshDatabase::drop_database`].
#[derive(Debug)]
pub struct FreshDatabase {
    /// The URL to give the services (`None`: SQLite under the data folder).
    pub url: Option<String>,
    server: Option<String>,
    name: Option<String>,
}

impl FreshDatabase {
    /// Creates the database on `backend`.
    pub async fn create(backend: &TestBackend) -> anyhow::Result<FreshDatabase> {
        match backend {
            TestBackend::Sqlite => Ok(FreshDatabase {
                url: None,
                server: None,
                name: None,
            }),
            TestBackend::Postgres(server) => {
                let name = format!("rubrica_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(server).await?;
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await?;
                conn.close().await?;
                Ok(FreshDatabase {
                    url: Some(with_database(server, &name)),
                    server: Some(server.clone()),
                    name: Some(name),
                })
            }
        }
    }

    /// Drops the PostgreSQL database (nothing for SQLite: the folder goes
    /// with its `TempDir`).
    pub async fn drop_database(self) -> anyhow::Result<()> {
        if let (Some(server), Some(name)) = (self.server, self.name) {
            let mut conn = sqlx::PgConnection::connect(&server).await?;
            conn.execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .await?;
            conn.close().await?;
        }
        Ok(())
    }
}

/// `postgres://u@h:5432/postgres?x=y` with its database replaced by `name`.
pub fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

/// Settings for a test: data under `data_dir`, the given database, logs
/// quiet, and a relay tuned to retry fast.
pub fn settings(data_dir: &Path, database_url: Option<String>) -> Settings {
    let mut settings = Settings {
        data_dir: data_dir.to_path_buf(),
        database_url: database_url.map(Secret::from),
        ..Settings::default()
    };
    settings.http.port = 0;
    settings.http.shutdown_grace_seconds = 5;
    settings.internal_token = Some(format!("prueba-{}", uuid::Uuid::new_v4().simple()).into());
    settings.auth.operator_token =
        Some(format!("operador-{}", uuid::Uuid::new_v4().simple()).into());
    // Tests that check revocation configure `auth.crl_dir` and turn this on.
    settings.auth.revocation_required = false;
    settings.relay.poll_interval_ms = 50;
    settings.relay.backoff_base_ms = 40;
    settings.relay.backoff_max_ms = 400;
    settings.relay.request_timeout_ms = 2_000;
    settings.relay.lease_ms = 2_000;
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced_keeping_credentials_and_options() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "x"),
            "postgres://u:p@h:5432/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }
}
