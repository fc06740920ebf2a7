//! Turns a [`ServiceSpec`] into a running service: its database opened and
//! migrated, its routes plus the platform's (health, OpenAPI, internal event
//! endpoints), and its relay.

use std::sync::Arc;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::web;
use subtle::ConstantTimeEq;
use tokio::sync::Notify;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder, Server};

use crate::auth::{Access, AuthState, RemoteAuthenticator};
use crate::config::Settings;
use crate::db::{Database, DbError};
use crate::error::ApiError;
use crate::events::{self, Inbox, Outbox, Relay, Subscriptions};
use crate::health::{self, HealthState};
use crate::http::{ApiRouter, ApiRoutes, Bytes};
use crate::routes;
use crate::service::{BackgroundTask, ServiceContext, ServiceName, ServiceSpec};

/// A service ready to be mounted: its routes (paths relative to its prefix),
/// its OpenAPI document, its relay, its background tasks and its context.
pub struct BuiltService {
    pub name: ServiceName,
    pub context: ServiceContext,
    pub router: ServiceRoutes,
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
    compute: crate::compute::ComputePool,
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
        compute,
        background: Default::default(),
    };
    let parts = (spec.build)(&context);
    crate::audit::schedule_anchoring(&context);
    let background = context.background.take();

    // The service's own operations plus the audit routes, behind the access
    // table. Every documented operation must have exactly one row and every
    // row an operation: otherwise the service does not start.
    let table = spec.access_table();
    let guarded = parts.router.merge(
        ApiRouter::new()
            .routes(routes!(crate::audit::list_route))
            .routes(routes!(crate::audit::verify_route))
            .with_state(db.clone())
            .merge(
                ApiRouter::new()
                    .routes(routes!(crate::audit::anchor_route))
                    .with_state(context.clone()),
            ),
    );
    check_access_table(spec.name, guarded.openapi(), &table)?;
    let authenticator = parts.authenticator.clone().unwrap_or_else(|| {
        Arc::new(RemoteAuthenticator::new(
            http.clone(),
            settings.services.secretariat.url.clone(),
            settings.internal_token.clone(),
        ))
    });
    let auth = AuthState {
        service: spec.name,
        authenticator,
        public_body_limit: settings.http.public_body_limit_bytes,
        trusted_proxies: Arc::new(
            crate::http::parse_trusted_proxies(&settings.http.trusted_proxies)
                .map_err(BuildError::Settings)?,
        ),
    };
    let rows = table.clone();
    let guarded = guarded.map_routes(move |method, path, route| {
        // The start-up check above guarantees one row per operation.
        let rule = rows
            .iter()
            .find(|a| a.method == method.as_str() && a.path == path)
            .copied();
        let auth = auth.clone();
        route.wrap(from_fn(move |request, next| {
            let auth = auth.clone();
            async move {
                match rule {
                    Some(rule) => crate::auth::authorize(auth, rule, request, next).await,
                    None => Ok(request.into_response(
                        ApiError::Forbidden(
                            "Esta operación no tiene regla de acceso y se rechaza por seguridad. Informe al administrador.".into(),
                        )
                        .to_response(),
                    )),
                }
            }
        }))
    });

    let token = InternalToken(
        settings
            .internal_token
            .as_ref()
            .map(|t| Arc::from(t.expose())),
    );
    let internal = parts
        .internal
        .merge(
            ApiRouter::new()
                .routes(routes!(events::receive))
                .routes(routes!(events::deliveries))
                .with_state(Inbox {
                    db: db.clone(),
                    outbox,
                    handlers: parts.handlers,
                }),
        )
        .map_routes(move |_, _, route| {
            let token = token.clone();
            route.wrap(from_fn(move |request, next| {
                require_internal_token(token.clone(), request, next)
            }))
        });
    let health = ApiRouter::new()
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .with_state(HealthState {
            service: spec.name,
            db: db.clone(),
        });

    let (routes, mut openapi) = ApiRouter::with_openapi(base_document(spec))
        .merge(guarded)
        .merge(internal)
        .merge(health)
        .split_for_parts();
    document_errors(&mut openapi);
    document_binary_bodies(&mut openapi);
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

    let router = ServiceRoutes {
        routes,
        document: Bytes::from(
            serde_json::to_vec(&openapi).map_err(|e| BuildError::Document(e.to_string()))?,
        ),
        body_limit: settings.http.body_limit_bytes,
    };

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

/// Documents every error an operation can answer, as the platform answers
/// it: `application/problem+json` with the [`Problem`](crate::error::Problem)
/// schema. Adds the statuses the platform itself produces — malformed
/// parameters or bodies (400, 413, 415, 422), missing or refused credentials
/// (401, 403, and 503 when the secretariat cannot be asked), unknown ids
/// (404) and 500 — to those the handler documents.
fn document_errors(openapi: &mut OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let problem = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build()
    };
    for (path, item) in openapi.paths.paths.iter_mut() {
        let internal = path.starts_with("/internal");
        let health = path.starts_with("/health");
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ] {
            let Some(operation) = operation else { continue };
            let has_body = operation.request_body.is_some();
            let has_params = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let mut added: Vec<(&str, &str)> = Vec::new();
            if has_params || has_body {
                added.push(("400", "Parámetros o cuerpo mal formados"));
            }
            if path.contains('{') {
                added.push(("404", "No existe"));
            }
            if has_body {
                added.push(("413", "El cuerpo excede el tamaño permitido para esta ruta"));
                added.push(("415", "El cuerpo no es del tipo que esta ruta recibe"));
                added.push((
                    "422",
                    "El cuerpo no tiene la forma esperada o rompe una regla",
                ));
            }
            if internal {
                added.push(("401", "Falta el token interno o no es válido"));
            } else if !health {
                // Public operations too: an invalid token is refused (401),
                // a token scoped to another service too (403).
                added.push((
                    "401",
                    "Falta iniciar sesión, o la sesión venció o fue revocada",
                ));
                added.push(("403", "Su rol o su token no permiten esta operación"));
                added.push((
                    "503",
                    "No se pudo verificar la sesión (el secretariado no responde); intente más tarde",
                ));
            }
            added.push((
                "500",
                "Error interno (registrado con el identificador de la solicitud)",
            ));
            let responses = &mut operation.responses.responses;
            for (status, description) in added {
                responses.entry(status.to_string()).or_insert_with(|| {
                    RefOr::T(
                        ResponseBuilder::new()
                            .description(description)
                            .content(crate::error::PROBLEM_JSON, problem())
                            .build(),
                    )
                });
            }
            for (status, response) in responses.iter_mut() {
                let is_error = status.starts_with('4') || status.starts_with('5');
                if let (true, RefOr::T(response)) = (is_error, response) {
                    let content = response
                        .content
                        .shift_remove("application/json")
                        .unwrap_or_else(|| RefOr::T(problem()));
                    response
                        .content
                        .retain(|media, _| media == crate::error::PROBLEM_JSON);
                    response
                        .content
                        .entry(crate::error::PROBLEM_JSON.to_string())
                        .or_insert(content);
                }
            }
        }
    }
}

/// Documents raw bodies (a PDF, a ZIP, any file) as what they are on the
/// wire: a string of bytes of that media type. `#[utoipa::path]` renders a
/// `Vec<u8>` body as a JSON array of integers, which no client sends and no
/// handler reads.
fn document_binary_bodies(openapi: &mut OpenApi) {
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    use utoipa::openapi::{Content, RefOr};
    let fix = |media: &str, content: &mut RefOr<Content>| {
        if media.contains("json") {
            return;
        }
        if let RefOr::T(content) = content
            && matches!(content.schema, Some(RefOr::T(Schema::Array(_))))
        {
            content.schema = Some(RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .content_media_type(media)
                    .build(),
            )));
        }
    };
    for item in openapi.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            if let Some(RefOr::T(body)) = operation.request_body.as_mut() {
                for (media, content) in body.content.iter_mut() {
                    fix(media, content);
                }
            }
            for response in operation.responses.responses.values_mut() {
                if let RefOr::T(response) = response {
                    for (media, content) in response.content.iter_mut() {
                        fix(media, content);
                    }
                }
            }
        }
    }
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
    #[error("no se pudo generar el documento OpenAPI del servicio: {0}")]
    Document(String),
    #[error("la configuración no es válida: {0}")]
    Settings(String),
}

/// What a service serves under its prefix: its routes and `/openapi.json`.
#[derive(Clone)]
pub struct ServiceRoutes {
    routes: ApiRoutes,
    document: Bytes,
    body_limit: usize,
}

impl ServiceRoutes {
    /// Registers the routes (paths relative to the service's prefix).
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        let document = self.document.clone();
        cfg.service(web::resource("/openapi.json").route(web::get().to(move || {
            let document = document.clone();
            async move {
                actix_web::HttpResponse::Ok()
                    .content_type("application/json")
                    .body(document)
            }
        })));
        self.routes.configure(cfg, self.body_limit);
    }
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
    token: InternalToken,
    request: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let valid = match (&token.0, crate::http::bearer(request.headers())) {
        (Some(expected), Some(presented)) => {
            bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
        }
        _ => false,
    };
    if valid {
        next.call(request).await
    } else {
        Ok(request.into_response(
            ApiError::Unauthorized(
                "Esta ruta es solo para llamadas entre servicios: envíe el token interno en el encabezado «Authorization: Bearer …».".into(),
            )
            .to_response(),
        ))
    }
}
