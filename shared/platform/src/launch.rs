//! Running services: any subset of the suite in one process, on one port,
//! each service under its own path prefix (`/secretariat`, `/signing`, …).
//!
//! The same code runs the embedded default (all five, SQLite, one process) and
//! a split deployment (`--only signing,mail` in each container): a service
//! always reaches another through its configured URL, even when both live in
//! the same process, so the embedded mode exercises the real HTTP path.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::app::{BuiltService, ServiceRoutes, build_service};
use crate::config::Settings;
use crate::error::{ApiError, ApiResult, Json};
use crate::events::{Relay, Subscriptions};
use crate::service::{BackgroundTask, ServiceContext, ServiceName, ServiceSpec};

/// Why the suite could not start.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(
        "falta el token interno: al separar los servicios en procesos, todos deben compartir el mismo token. Defínalo con RUBRICA_INTERNAL_TOKEN_FILE (o RUBRICA_INTERNAL_TOKEN)."
    )]
    MissingInternalToken,
    #[error("no se pidió ningún servicio: indique al menos uno en --only")]
    NothingToRun,
    #[error(
        "el secreto {0} es demasiado corto: debe tener al menos {MIN_SECRET_CHARS} caracteres (por ejemplo, genere uno con «openssl rand -hex 32») y no puede estar vacío"
    )]
    WeakSecret(&'static str),
    #[error(transparent)]
    Build(#[from] crate::app::BuildError),
    #[error("no se pudo crear el cliente HTTP entre servicios: {0}")]
    HttpClient(#[from] reqwest::Error),
}

/// The services of this process, assembled and ready to serve.
pub struct Suite {
    routes: Vec<(ServiceName, ServiceRoutes)>,
    index: Index,
    relays: Vec<Relay>,
    /// The services' background tasks, started and stopped with the relays.
    background: Vec<(ServiceName, &'static str, BackgroundTask)>,
    services: Vec<LocalService>,
    settings: Arc<Settings>,
    /// The members' web pages, mounted at `/` (the JSON index moves to `/api`).
    front: Option<Front>,
}

/// Routes mounted at the root of the suite (the members' web platform): they
/// receive the App's configuration after every service's scope, so the
/// services' prefixes win.
pub type Front = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// What the suite keeps of each service it runs.
struct LocalService {
    name: ServiceName,
    context: ServiceContext,
    openapi: utoipa::openapi::OpenApi,
    access: Vec<crate::auth::Access>,
}

impl Suite {
    /// Opens, migrates and assembles the services of `specs` named in
    /// `only`, to be served at `address`.
    pub async fn assemble(
        specs: &[ServiceSpec],
        only: &[ServiceName],
        mut settings: Settings,
        address: SocketAddr,
    ) -> Result<Suite, LaunchError> {
        if only.is_empty() {
            return Err(LaunchError::NothingToRun);
        }
        check_secrets(&settings)?;
        if settings.internal_token.is_none() {
            if only.len() < ServiceName::ALL.len() {
                return Err(LaunchError::MissingInternalToken);
            }
            // Embedded: every caller of /internal lives in this process, so a
            // fresh random token per run is enough and nothing is written down.
            settings.internal_token = Some(random_token().into());
        }
        // A service running here and not given a URL is reached at our own
        // address (loopback when listening on every interface).
        let host = if address.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            address.ip().to_string()
        };
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        for name in only {
            let service = settings.services.get_mut(*name);
            if service.url.is_none() {
                service.url = Some(format!("http://{host}:{}/{name}", address.port()));
            }
        }

        let settings = Arc::new(settings);
        let subscriptions = Arc::new(Subscriptions::new(&settings));
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()?;

        let compute = crate::compute::ComputePool::default();
        let mut routes = Vec::new();
        let mut relays = Vec::new();
        let mut background = Vec::new();
        let mut services = Vec::new();
        for spec in specs.iter().filter(|s| only.contains(&s.name)) {
            let BuiltService {
                name,
                context,
                router: service_router,
                openapi,
                relay,
                background: tasks,
                access,
            } = build_service(
                spec,
                settings.clone(),
                subscriptions.clone(),
                http.clone(),
                compute.clone(),
            )
            .await?;
            routes.push((name, service_router));
            relays.push(relay);
            background.extend(tasks.into_iter().map(|(task, run)| (name, task, run)));
            services.push(LocalService {
                name,
                context,
                openapi,
                access,
            });
        }

        let index = Index {
            services: services
                .iter()
                .map(|s| IndexEntry {
                    name: s.name,
                    title: s.name.title(),
                    url: format!("/{}", s.name),
                    openapi: format!("/{}/openapi.json", s.name),
                })
                .collect(),
        };
        Ok(Suite {
            routes,
            index,
            relays,
            background,
            services,
            settings,
            front: None,
        })
    }

    /// Mounts `front` at `/` (the members' web platform). The JSON list of
    /// services stays at `/api`, and at `/` for a client that asks for JSON.
    pub fn with_front(mut self, front: Front) -> Self {
        self.front = Some(front);
        self
    }

    /// The context of a service running here (tests record events through it).
    pub fn context(&self, name: ServiceName) -> Option<&ServiceContext> {
        self.services
            .iter()
            .find(|s| s.name == name)
            .map(|s| &s.context)
    }

    /// The services running here.
    pub fn services(&self) -> Vec<ServiceName> {
        self.services.iter().map(|s| s.name).collect()
    }

    /// Where each local service keeps its data, safe to print.
    pub fn data_locations(&self) -> Vec<(ServiceName, String)> {
        self.services
            .iter()
            .map(|s| (s.name, s.context.db.location().to_string()))
            .collect()
    }

    /// The settings in force (with the URLs the launcher filled in).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The OpenAPI document of a local service.
    pub fn openapi(&self, name: ServiceName) -> Option<&utoipa::openapi::OpenApi> {
        self.services
            .iter()
            .find(|s| s.name == name)
            .map(|s| &s.openapi)
    }

    /// The access table of a local service.
    pub fn access(&self, name: ServiceName) -> Option<&[crate::auth::Access]> {
        self.services
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.access.as_slice())
    }

    /// Serves until `shutdown` is cancelled: then stops accepting, lets
    /// in-flight requests finish (up to the configured grace), stops the
    /// relays and the background tasks after their current unit of work, and
    /// closes the databases.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        let relay_stop = CancellationToken::new();
        let mut relay_tasks: Vec<JoinHandle<()>> = self
            .relays
            .into_iter()
            .map(|relay| tokio::spawn(relay.run(relay_stop.clone())))
            .collect();
        for (service, task, run) in self.background {
            tracing::debug!(%service, task, "tarea de fondo iniciada");
            relay_tasks.push(tokio::spawn(run(relay_stop.clone())));
        }

        let grace = Duration::from_secs(self.settings.http.shutdown_grace_seconds);
        let routes = self.routes;
        let index = self.index;
        let front = self.front;
        let contexts: Vec<ServiceContext> =
            self.services.iter().map(|s| s.context.clone()).collect();
        let server = HttpServer::new(move || {
            let mut app = App::new()
                .wrap(actix_web::middleware::from_fn(
                    crate::http::security_headers,
                ))
                .wrap(actix_web::middleware::from_fn(
                    crate::telemetry::request_context,
                ))
                .default_service(web::to(crate::http::not_found));
            for (name, service) in &routes {
                let service = service.clone();
                app = app.service(
                    web::scope(&format!("/{name}")).configure(move |cfg| service.configure(cfg)),
                );
            }
            let index_json = {
                let index = index.clone();
                move || {
                    let index = index.clone();
                    async move { Json(index) }
                }
            };
            let contexts = contexts.clone();
            app = app
                .route("/api", web::get().to(index_json.clone()))
                .route(
                    "/health/live",
                    web::get().to(|| async { Json(Overall { status: "vivo" }) }),
                )
                .route(
                    "/health/ready",
                    web::get().to(move || {
                        let contexts = contexts.clone();
                        async move { suite_ready(&contexts).await }
                    }),
                );
            match &front {
                Some(front) => {
                    // A program asking for JSON at `/` still gets the index.
                    app = app.service(
                        web::resource("/")
                            .guard(actix_web::guard::fn_guard(wants_json))
                            .route(web::get().to(index_json)),
                    );
                    let front = front.clone();
                    app.configure(move |cfg| front(cfg))
                }
                None => app.route("/", web::get().to(index_json)),
            }
        })
        .disable_signals()
        .shutdown_timeout(grace.as_secs())
        .listen(listener.into_std()?)?
        .run();
        let handle = server.handle();
        let server = tokio::spawn(server);
        let stopper = tokio::spawn({
            let shutdown = shutdown.clone();
            async move {
                shutdown.cancelled().await;
                handle.stop(true).await;
            }
        });
        let result = tokio::select! {
            r = server => r.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            _ = async { shutdown.cancelled().await; tokio::time::sleep(grace + Duration::from_secs(1)).await } => {
                tracing::warn!("el periodo de gracia terminó con solicitudes aún en curso");
                Ok(())
            }
        };
        stopper.abort();
        relay_stop.cancel();
        for task in relay_tasks {
            let _ = task.await;
        }
        for service in &self.services {
            service.context.db.close().await;
        }
        result
    }
}

/// True when the request's `Accept` names JSON (and not HTML first).
fn wants_json(ctx: &actix_web::guard::GuardContext<'_>) -> bool {
    ctx.head()
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json") && !v.contains("text/html"))
}

/// Waits for SIGTERM or Ctrl-C and cancels `token`.
pub async fn shutdown_on_signal(token: CancellationToken) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("señal de terminación recibida: cerrando ordenadamente");
    token.cancel();
}

/// Shortest internal or operator token accepted: 32 characters (the
/// suite's own tokens are 64 hex digits).
pub const MIN_SECRET_CHARS: usize = 32;

/// Refuses to start with an empty or short internal or operator token: a
/// guessable token opens `/internal` or the operator's powers to anyone.
fn check_secrets(settings: &Settings) -> Result<(), LaunchError> {
    for (name, value) in [
        ("RUBRICA_INTERNAL_TOKEN", &settings.internal_token),
        (
            "RUBRICA_AUTH__OPERATOR_TOKEN",
            &settings.auth.operator_token,
        ),
    ] {
        if let Some(value) = value
            && value.expose().trim().chars().count() < MIN_SECRET_CHARS
        {
            return Err(LaunchError::WeakSecret(name));
        }
    }
    Ok(())
}

/// 32 random bytes, hex.
fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[derive(Debug, Clone, Serialize)]
struct Index {
    services: Vec<IndexEntry>,
}

#[derive(Debug, Clone, Serialize)]
struct IndexEntry {
    name: ServiceName,
    title: &'static str,
    url: String,
    openapi: String,
}

#[derive(Debug, Serialize)]
struct Overall {
    status: &'static str,
}

/// Ready when every local service is.
async fn suite_ready(contexts: &[ServiceContext]) -> ApiResult<Json<Overall>> {
    for context in contexts {
        context.db.check_ready().await.map_err(|reason| {
            ApiError::Unavailable(format!(
                "El servicio {} no está listo: {reason}.",
                context.name
            ))
        })?;
    }
    Ok(Json(Overall { status: "listo" }))
}

/// Runs one service alone, as one process of a split deployment: the
/// settings from the environment (and `RUBRICA_CONFIG`), logging, the
/// listener on `http.host:http.port`, and a clean stop on SIGTERM/SIGINT.
/// Every service's `main` is this call (`rubrica serve --only NAME` does the
/// same from the launcher).
pub async fn run_alone(spec: ServiceSpec) -> anyhow::Result<()> {
    let loaded = Settings::load(None, spec.sections)?;
    crate::telemetry::init(&loaded.settings.log);
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    let address = format!(
        "{}:{}",
        loaded.settings.http.host, loaded.settings.http.port
    );
    let listener = TcpListener::bind(&address).await?;
    let name = spec.name;
    let suite = Suite::assemble(
        std::slice::from_ref(&spec),
        &[name],
        loaded.settings,
        listener.local_addr()?,
    )
    .await?;
    tracing::info!(
        "servicio {name} escuchando en http://{}/{name}",
        listener.local_addr()?
    );
    let shutdown = CancellationToken::new();
    tokio::spawn(shutdown_on_signal(shutdown.clone()));
    suite.serve(listener, shutdown).await?;
    Ok(())
}
