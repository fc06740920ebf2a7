//! Spawning real servers for tests (zero2prod's `spawn_app`): bind port 0,
//! assemble the requested services on a fresh database, serve in the
//! background, and hand back what a test needs to talk to them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rubrica_platform::launch::Suite;
use rubrica_platform::testing::{self, FreshDatabase, TestBackend};
use rubrica_platform::{ServiceContext, ServiceName, ServiceSpec, Settings};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running server with some services of the suite.
pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub settings: Settings,
    contexts: Vec<ServiceContext>,
    shutdown: CancellationToken,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// `http://127.0.0.1:PORT/<service>`.
    pub fn url(&self, service: ServiceName) -> String {
        format!("http://{}/{service}", self.address)
    }

    /// The context of a service running in this app.
    pub fn context(&self, service: ServiceName) -> &ServiceContext {
        self.contexts
            .iter()
            .find(|c| c.name == service)
            .expect("the service runs in this app")
    }

    /// The internal token of this app.
    pub fn internal_token(&self) -> &str {
        self.settings
            .internal_token
            .as_ref()
            .map(|s| s.expose())
            .unwrap()
    }

    /// Stops the server the way SIGTERM does and waits for it.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A test's data: a temporary folder and a fresh database on one backend.
pub struct TestData {
    pub dir: tempfile::TempDir,
    pub database: Option<FreshDatabase>,
    token: String,
}

impl TestData {
    pub async fn new(backend: &TestBackend) -> TestData {
        TestData {
            dir: tempfile::tempdir().unwrap(),
            database: Some(FreshDatabase::create(backend).await.unwrap()),
            token: format!("prueba-{}", uuid::Uuid::new_v4().simple()),
        }
    }

    /// A data folder of its own inside the test's folder (for a second
    /// process that must not share SQLite files with the first).
    pub fn subdir(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Test settings over this data. Every server of one test shares the
    /// internal token, as the processes of one deployment do.
    pub fn settings(&self, data_dir: &Path) -> Settings {
        let mut settings = testing::settings(data_dir, self.database.as_ref().unwrap().url.clone());
        settings.internal_token = Some(self.token.clone().into());
        settings
    }

    /// Drops the PostgreSQL database.
    pub async fn cleanup(mut self) {
        if let Some(db) = self.database.take() {
            db.drop_database().await.unwrap();
        }
    }
}

/// Starts `specs` (restricted to `only`) on `address` (port 0 for any).
pub async fn spawn_with(
    specs: &[ServiceSpec],
    only: &[ServiceName],
    settings: Settings,
    address: &str,
) -> TestApp {
    let listener = TcpListener::bind(address).await.unwrap();
    let local = listener.local_addr().unwrap();
    let suite = Suite::assemble(specs, only, settings, local).await.unwrap();
    let settings = suite.settings().clone();
    let contexts = only
        .iter()
        .map(|s| suite.context(*s).unwrap().clone())
        .collect();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(suite.serve(listener, shutdown.clone()));
    TestApp {
        address: local,
        client: reqwest::Client::new(),
        settings,
        contexts,
        shutdown,
        task: Some(task),
    }
}

/// The whole suite with the web front at `/`, as `rubrica serve` runs it.
pub async fn spawn_suite_with_web(data: &TestData) -> TestApp {
    spawn_suite_with_web_and(data, |_| {}).await
}

/// [`spawn_suite_with_web`] with settings changed by `change`.
pub async fn spawn_suite_with_web_and(
    data: &TestData,
    change: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = data.settings(data.dir.path());
    change(&mut settings);
    rubrica::trust_local_front(&mut settings);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = listener.local_addr().unwrap();
    let suite = Suite::assemble(&rubrica::all_specs(), &ServiceName::ALL, settings, local)
        .await
        .unwrap();
    let suite = rubrica::with_web(suite).unwrap();
    let settings = suite.settings().clone();
    let contexts = ServiceName::ALL
        .iter()
        .map(|s| suite.context(*s).unwrap().clone())
        .collect();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(suite.serve(listener, shutdown.clone()));
    TestApp {
        address: local,
        client: reqwest::Client::new(),
        settings,
        contexts,
        shutdown,
        task: Some(task),
    }
}

/// The whole suite in one process, as `rubrica serve` runs it.
pub async fn spawn_suite(data: &TestData) -> TestApp {
    let settings = data.settings(data.dir.path());
    spawn_with(
        &rubrica::all_specs(),
        &ServiceName::ALL,
        settings,
        "127.0.0.1:0",
    )
    .await
}
