//! What a service is to the platform: a name, its migrations, its routes and
//! the events it handles. Each service crate exposes one [`ServiceSpec`]; the
//! launcher turns specs into running HTTP servers, embedded in one process or
//! apart.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;

use crate::audit::{self, AuditEntry};
use crate::auth::{Access, Authenticator, Caller};
use crate::config::Settings;
use crate::db::Database;
use crate::events::{EventHandlers, Outbox};

/// The five services of the suite.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ServiceName {
    Secretariat,
    Documents,
    Signing,
    Mail,
    Archive,
}

impl ServiceName {
    /// All services, in the order the launcher starts them.
    pub const ALL: [ServiceName; 5] = [
        ServiceName::Secretariat,
        ServiceName::Documents,
        ServiceName::Signing,
        ServiceName::Mail,
        ServiceName::Archive,
    ];

    /// The identifier used in URLs, configuration keys and file names.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceName::Secretariat => "secretariat",
            ServiceName::Documents => "documents",
            ServiceName::Signing => "signing",
            ServiceName::Mail => "mail",
            ServiceName::Archive => "archive",
        }
    }

    /// The name a person reads.
    pub fn title(self) -> &'static str {
        match self {
            ServiceName::Secretariat => "Secretariado",
            ServiceName::Documents => "Documentos",
            ServiceName::Signing => "Firma",
            ServiceName::Mail => "Correo",
            ServiceName::Archive => "Archivo",
        }
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A service name that is not one of the five.
#[derive(Debug, thiserror::Error)]
#[error(
    "«{0}» no es un servicio de Rúbrica; los servicios son: secretariat, documents, signing, mail, archive"
)]
pub struct UnknownService(pub String);

impl FromStr for ServiceName {
    type Err = UnknownService;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServiceName::ALL
            .into_iter()
            .find(|n| n.as_str() == s.trim())
            .ok_or_else(|| UnknownService(s.to_string()))
    }
}

/// What a service's code receives to build its routes and handlers: its own
/// database, its outbox, the settings, an HTTP client for calling the other
/// services, and where to register background tasks.
#[derive(Clone)]
pub struct ServiceContext {
    pub name: ServiceName,
    pub db: Database,
    pub outbox: Outbox,
    pub settings: Arc<Settings>,
    pub http: reqwest::Client,
    /// The process's bounded pool for CPU-heavy work (PDF verification and
    /// signing), shared by every service of the process.
    pub compute: crate::compute::ComputePool,
    /// Background tasks to run while the service is served (register them
    /// while building the service).
    pub background: Background,
}

impl ServiceContext {
    /// Base URL of another service (including its path prefix), from the
    /// configuration.
    pub fn service_url(&self, service: ServiceName) -> Option<&str> {
        self.settings.services.get(service).url.as_deref()
    }

    /// Opens a write transaction on this service's database.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        self.db.begin_write().await
    }

    /// Appends to this service's audit trail in `tx`.
    pub async fn audit(
        &self,
        tx: &mut sqlx::AnyConnection,
        caller: &Caller,
        action: &str,
        subject: Option<&str>,
        details: serde_json::Value,
    ) -> Result<AuditEntry, sqlx::Error> {
        audit::record(tx, self.db.backend(), caller, action, subject, details).await
    }
}

/// A background task: started with the token that asks it to stop.
pub type BackgroundTask =
    Box<dyn FnOnce(CancellationToken) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// The background tasks of a service (e.g. the mail service's delivery
/// worker). A service registers them with [`Background::add`] while its
/// builder runs; the launcher starts them together with the event relays
/// when it serves, and at shutdown cancels their token and waits for them,
/// as it does for the relays. A task must therefore return soon after its
/// token is cancelled, finishing (not abandoning) the unit of work at hand.
/// Tasks registered after the service was built are never started.
#[derive(Clone, Default)]
pub struct Background(Arc<Mutex<Vec<(&'static str, BackgroundTask)>>>);

impl Background {
    /// Registers `task` under `name` (for logs).
    pub fn add<F, Fut>(&self, name: &'static str, task: F)
    where
        F: FnOnce(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let task: BackgroundTask = Box::new(move |stop| Box::pin(task(stop)));
        if let Ok(mut tasks) = self.0.lock() {
            tasks.push((name, task));
        }
    }

    /// Takes the registered tasks, leaving none (the launcher runs them).
    pub(crate) fn take(&self) -> Vec<(&'static str, BackgroundTask)> {
        self.0
            .lock()
            .map(|mut tasks| std::mem::take(&mut *tasks))
            .unwrap_or_default()
    }
}

/// The pieces a service contributes once its context exists.
pub struct ServiceParts {
    /// The service's own API (documented: it becomes the OpenAPI document).
    pub router: crate::http::ApiRouter,
    /// Handlers for the event types this service receives.
    pub handlers: EventHandlers,
    /// Resolves bearer tokens; `None` asks the secretariat (every service but
    /// the secretariat itself).
    pub authenticator: Option<Arc<dyn Authenticator>>,
    /// Service-to-service operations, mounted under `/internal` behind the
    /// internal token instead of the access table.
    pub internal: crate::http::ApiRouter,
}

impl ServiceParts {
    /// Parts with `router` as the public API and nothing else.
    pub fn new(router: crate::http::ApiRouter) -> Self {
        ServiceParts {
            router,
            handlers: EventHandlers::new(),
            authenticator: None,
            internal: crate::http::ApiRouter::new(),
        }
    }
}

/// The static description of a service.
#[derive(Clone)]
pub struct ServiceSpec {
    pub name: ServiceName,
    /// One-line Spanish description, shown in the OpenAPI document.
    pub description: &'static str,
    /// The service's own migrations (`migrations/<service>/`); the platform's
    /// tables (outbox, inbox) are added in front of them.
    pub migrator: &'static Migrator,
    /// Who may call each operation of the service's API (every documented
    /// operation must have exactly one row; the platform adds the rows of
    /// its own audit routes).
    pub access: fn() -> Vec<Access>,
    /// The sections of the settings the service owns (`[mail]`…), declared
    /// in its own crate; loaded for the processes that run it.
    pub sections: &'static [crate::config::SectionSpec],
    /// Builds the routes and handlers from the context.
    pub build: Arc<dyn Fn(&ServiceContext) -> ServiceParts + Send + Sync>,
}

impl ServiceSpec {
    /// The complete access table: the service's rows and the platform's.
    pub fn access_table(&self) -> Vec<Access> {
        let mut table = (self.access)();
        table.extend_from_slice(crate::audit::ACCESS);
        table
    }

    /// Wraps the builder so tests can decorate a real service (for instance,
    /// add an event handler) without copying it.
    pub fn with_build(
        mut self,
        build: impl Fn(&ServiceContext) -> ServiceParts + Send + Sync + 'static,
    ) -> Self {
        self.build = Arc::new(build);
        self
    }
}
