//! Turns a [`ServiceSpec`] into a running service: its database opened and
//! migrated, its routes plus the platform's (health, OpenAPI, internal event
//! endpoints), and its relay.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use subtle::ConstantTimeEq;
use tokio::sync::Notify;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder, Server};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Access, AuthState, RemoteAuthenticator};
use crate::config::Settings;
use crate::db::{Database, DbError};
use crate::error::{self, ApiError};
use crate::events::{self, Inbox, Outbox, Relay, Subscriptions};
use crate::health::{self, HealthState};
use crate::service::{BackgroundTask, ServiceContext, ServiceName, ServiceSpec};

/// A service ready to be mounted: its router (paths relative to its prefix),
/// its OpenAPI document, its relay, its background tasks and its context.
pub struct BuiltService {
    pub name: ServiceName,
    pub context: ServiceContext,
    pub router: Router,
    pub openapi: OpenApi,
    pub relay: Relay,
    /// Registered by the service's builder, run while it is served.
    pub background: Vec<(&'static str, BackgroundTask)>,
    pub access: Vec<Access>,
}

/// Opens the service's database, migrates it and assembles its routes.
pub async fn build_service(
    spec: &ServiceSpec,
    settings: Arc<Settings>,
    subscriptions: Arc<Subscriptions>,
    http: reqwest::Client,
) -> Result<BuiltService, BuildError> {
    let db = Database::open(spec.name, &settings, spec.migrator).await?;
    let wake = Arc::new(Notify::new());
    let outbox = Outbox::new(spec.name, subscriptions, wake.clone());
    let context = ServiceContext {
        name: spec.name,
        db: db.clone(),
        outbox: outbox.clone(),
        settings: settings.clone(),
        http: http.clone(),
        background: Default::default(),
    };
    let parts = (spec.build)(&context);
    let background = context.background.take();

    // The service's own operations plus the audit routes, behind the access
    // table. Every documented operation must have exactly one row and every
    // row an operation: otherwise the service does not start.
    let table = spec.access_table();
    let guarded = parts.router.merge(
        OpenApiRouter::new()
            .routes(routes!(crate::audit::list_route))
            .routes(routes!(crate::audit::verify_route))
            .with_state(db.clone()),
    );
    check_access_table(spec.name, guarded.get_openapi(), &table)?;
    let authenticator = parts.authenticator.clone().unwrap_or_else(|| {
        Arc::new(RemoteAuthenticator::new(
            http.clone(),
            settings.services.secretariat.url.clone(),
            settings.internal_token.clone(),
        ))
    });
    let guarded = guarded.route_layer(middleware::from_fn_with_state(
        AuthState {
            service: spec.name,
            table: Arc::new(table.clone()),
            authenticator,
        },
        crate::auth::authorize,
    ));

    let token = InternalToken(settings.internal_token.clone().map(Arc::from));
    let internal = parts
        .internal
        .merge(
            OpenApiRouter::new()
                .routes(routes!(events::receive))
                .routes(routes!(events::deliveries))
                .with_state(Inbox {
                    db: db.clone(),
                    outbox,
                    handlers: parts.handlers,
                }),
        )
        .layer(middleware::from_fn_with_state(
            token,
            require_internal_token,
        ));
    let health = OpenApiRouter::new()
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .with_state(HealthState {
            service: spec.name,
            db: db.clone(),
        });

    let (router, mut openapi) = OpenApiRouter::with_openapi(base_document(spec))
        .merge(guarded)
        .merge(internal)
        .merge(health)
        .split_for_parts();
    openapi
        .components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "sesion",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Token de sesión (FIEL o enlace de un solo uso) o token de API.",
                    ))
                    .build(),
            ),
        );
    openapi
        .components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "internal_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Token interno compartido entre servicios (RUBRICA_INTERNAL_TOKEN).",
                    ))
                    .build(),
            ),
        );

    let document = openapi.clone();
    let router = router
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { axum::Json(document) }
            }),
        )
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(settings.http.body_limit_bytes));

    let relay = Relay {
        service: spec.name,
        db,
        settings,
        http,
        wake,
    };
    Ok(BuiltService {
        name: spec.name,
        context,
        router,
        openapi,
        relay,
        background,
        access: table,
    })
}

/// Refuses to start a service whose access table and API disagree.
fn check_access_table(
    service: ServiceName,
    document: &OpenApi,
    table: &[Access],
) -> Result<(), BuildError> {
    let mut operations = Vec::new();
    for (path, item) in &document.paths.paths {
        for (method, operation) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ] {
            if operation.is_some() {
                operations.push((method, path.as_str()));
            }
        }
    }
    for (method, path) in &operations {
        let rows = table
            .iter()
            .filter(|a| a.method == *method && a.path == *path)
            .count();
        if rows != 1 {
            return Err(BuildError::AccessTable(format!(
                "la operación {method} /{service}{path} tiene {rows} reglas de acceso (debe tener exactamente una)"
            )));
        }
    }
    for row in table {
        if !operations.contains(&(row.method, row.path)) {
            return Err(BuildError::AccessTable(format!(
                "la regla de acceso {} /{service}{} no corresponde a ninguna operación documentada",
                row.method, row.path
            )));
        }
    }
    Ok(())
}

/// Why a service could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("la tabla de acceso del servicio no coincide con su API: {0}")]
    AccessTable(String),
}

/// The document's header: title, version, and the server prefix under which
/// the paths live.
fn base_document(spec: &ServiceSpec) -> OpenApi {
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title(format!("Rúbrica — servicio {}", spec.name.title()))
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(spec.description))
                .build(),
        )
        .servers(Some(vec![Server::new(format!("/{}", spec.name))]))
        .build()
}

/// The configured internal token (absent: every internal call is refused).
#[derive(Clone)]
struct InternalToken(Option<Arc<str>>);

/// Refuses internal calls without the right bearer token, comparing in
/// constant time.
async fn require_internal_token(
    State(token): State<InternalToken>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let valid = match (&token.0, presented) {
        (Some(expected), Some(presented)) => {
            bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
        }
        _ => false,
    };
    if valid {
        next.run(request).await
    } else {
        ApiError::Unauthorized(
            "Esta ruta es solo para llamadas entre servicios: envíe el token interno en el encabezado «Authorization: Bearer …».".into(),
        )
        .into_response()
    }
}
