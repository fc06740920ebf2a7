//! Who is calling, and whether they may.
//!
//! Every service declares an **access table**: one [`Access`] row per
//! operation of its API saying which roles may call it. The platform's
//! middleware resolves the caller's bearer token into a [`Caller`] (through
//! the service's [`Authenticator`]: the secretariat resolves tokens itself,
//! every other service asks the secretariat), looks up the row of the matched
//! route and answers 401 or 403 in Spanish before the handler runs. A
//! documented operation without a row makes the service refuse to start
//! (fail closed), and the table is what the documentation and the role ×
//! endpoint test walk.
//!
//! Roles come from the secretariat's designations on the day of the request
//! (see the secretariat's `auth` module); this module only carries them.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage};
use rubrica_fiel::digest::Sha256;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::service::ServiceName;

/// What a caller is to the secretariat on the day of the request.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Presidente del STL: the titular of the presiding seat (000 I).
    #[serde(rename = "presidente")]
    President,
    /// Facilitador: voice, no vote; drafts, tracks, collects signatures (004).
    #[serde(rename = "facilitador")]
    Facilitator,
    /// Titular of a seat: voice and vote (000 III.1).
    #[serde(rename = "titular")]
    Titular,
    /// Suplente of a seat: voice; votes when substituting (000 III.2).
    #[serde(rename = "suplente")]
    Suplente,
    /// Enlace of a seat: voice only (000 III.3).
    #[serde(rename = "enlace")]
    Enlace,
    /// Miembro invitado, for the life of their project (000 VIII).
    #[serde(rename = "invitado")]
    InvitedMember,
    /// A member whose term ended: no member rights, but may submit their
    /// activity report and handover (000 III.7).
    #[serde(rename = "saliente")]
    OutgoingMember,
    /// The installation's operator (bootstrap token from configuration):
    /// creates secretariats and their first designations.
    #[serde(rename = "operador")]
    Operator,
}

impl Role {
    /// Every role, for tables and tests.
    pub const ALL: [Role; 8] = [
        Role::President,
        Role::Facilitator,
        Role::Titular,
        Role::Suplente,
        Role::Enlace,
        Role::InvitedMember,
        Role::OutgoingMember,
        Role::Operator,
    ];

    /// The Spanish name a person reads.
    pub fn name_es(self) -> &'static str {
        match self {
            Role::President => "presidente",
            Role::Facilitator => "facilitador",
            Role::Titular => "titular",
            Role::Suplente => "suplente",
            Role::Enlace => "enlace",
            Role::InvitedMember => "miembro invitado",
            Role::OutgoingMember => "integrante saliente",
            Role::Operator => "operador",
        }
    }

    /// Roles of a current member of the secretariat (not outgoing, not the
    /// operator).
    pub const MEMBERS: &'static [Role] = &[
        Role::President,
        Role::Facilitator,
        Role::Titular,
        Role::Suplente,
        Role::Enlace,
        Role::InvitedMember,
    ];

    /// Current members and members whose term ended: who may hand over and
    /// sign their acta de entrega-recepción (000 III.7).
    pub const MEMBERS_AND_OUTGOING: &'static [Role] = &[
        Role::President,
        Role::Facilitator,
        Role::Titular,
        Role::Suplente,
        Role::Enlace,
        Role::InvitedMember,
        Role::OutgoingMember,
    ];

    /// Those who manage sessions (the facilitator and the President).
    pub const MANAGERS: &'static [Role] = &[Role::President, Role::Facilitator];
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_es())
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// Signed a one-time challenge with their FIEL: may sign records.
    Fiel,
    /// Used a one-time link sent by mail: may read and manage, never sign.
    EnlaceCorreo,
    /// An API token created by the President, scoped to a service and role.
    TokenApi,
    /// The operator's bootstrap token from configuration.
    Operador,
}

/// The caller of a request, as resolved from its bearer token.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Caller {
    /// Stable id of the actor (member id, API token id, `operador`, or
    /// `publico`), recorded in the audit trail.
    pub actor_id: String,
    /// Name shown in the audit trail and in messages.
    pub name: String,
    /// The member's RFC, when the caller is a member.
    pub rfc: Option<String>,
    /// The member's id, when the caller is (or acts as) a member.
    pub member_id: Option<String>,
    /// The secretariat the roles belong to.
    pub secretariat_id: Option<String>,
    /// Roles on the day of the request; empty for the public.
    pub roles: Vec<Role>,
    /// How they authenticated; `None` for the public.
    pub method: Option<AuthMethod>,
    /// API tokens only work on the service they were created for.
    pub scope_service: Option<ServiceName>,
    /// Id of the session or token used, so it can be revoked.
    pub credential_id: Option<String>,
    /// The caller's network address (filled in by the middleware).
    #[serde(default)]
    pub address: Option<String>,
}

impl Caller {
    /// An anonymous caller: the public.
    pub fn public(address: Option<String>) -> Caller {
        Caller {
            actor_id: "publico".into(),
            name: "público".into(),
            rfc: None,
            member_id: None,
            secretariat_id: None,
            roles: Vec::new(),
            method: None,
            scope_service: None,
            credential_id: None,
            address,
        }
    }

    /// Another service of the suite, acting through an event or an internal
    /// call (recorded as such in the audit trail).
    pub fn service(name: ServiceName) -> Caller {
        Caller {
            actor_id: format!("servicio:{name}"),
            name: format!("servicio {}", name.title()),
            ..Caller::public(None)
        }
    }

    /// Whether the caller presented no valid credential.
    pub fn is_public(&self) -> bool {
        self.method.is_none()
    }

    /// Whether the caller holds any of `roles`.
    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }

    /// Signing always needs the FIEL itself, never a mailed link or a token.
    pub fn can_sign(&self) -> bool {
        self.method == Some(AuthMethod::Fiel)
    }

    /// The role written in the audit trail: the highest one held.
    pub fn main_role(&self) -> String {
        self.roles
            .iter()
            .min()
            .map(|r| r.name_es().to_string())
            .unwrap_or_else(|| "público".into())
    }

    /// Refuses a caller who does not hold any of `roles` (for checks that
    /// depend on the data, beyond the access table).
    pub fn require(&self, roles: &[Role], action: &str) -> Result<(), ApiError> {
        if self.has_any(roles) {
            Ok(())
        } else {
            Err(forbidden(self, roles, action))
        }
    }
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// Anyone, with or without credentials (the caller is still resolved if
    /// a token is presented).
    Public,
    /// Holders of any of these roles.
    Roles(&'static [Role]),
}

/// One row of a service's access table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// The route as written in the router, relative to the service prefix
    /// (e.g. `/sessions/{id}/close`).
    pub path: &'static str,
    /// Who may call it.
    pub allowed: Allowed,
    /// What the operation does, in Spanish: used in 403 messages and docs.
    pub action: &'static str,
}

impl Access {
    /// An operation `who` may call.
    pub const fn roles(
        method: &'static str,
        path: &'static str,
        who: &'static [Role],
        action: &'static str,
    ) -> Access {
        Access {
            method,
            path,
            allowed: Allowed::Roles(who),
            action,
        }
    }

    /// An operation anyone may call, without a session.
    pub const fn public(method: &'static str, path: &'static str, action: &'static str) -> Access {
        Access {
            method,
            path,
            allowed: Allowed::Public,
            action,
        }
    }

    /// Whether `roles` may call this operation.
    pub fn permits(&self, roles: &[Role]) -> bool {
        match self.allowed {
            Allowed::Public => true,
            Allowed::Roles(allowed) => roles.iter().any(|r| allowed.contains(r)),
        }
    }
}

/// Resolves bearer tokens into callers.
pub trait Authenticator: Send + Sync {
    /// The caller owning `token`, or `None` when the token is unknown,
    /// expired or revoked.
    fn authenticate<'a>(
        &'a self,
        token: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Caller>, ApiError>> + Send + 'a>>;
}

/// SHA-256 of a token, hex: what is stored instead of the token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token: 32 bytes, hex, with a prefix saying what it is.
pub fn new_token(prefix: &str) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}_{}", hex::encode(bytes))
}

/// Asks the secretariat who owns a token (every service but the secretariat
/// itself). Answers are cached briefly so a page of requests costs one call;
/// a revoked token stops working within the cache's lifetime.
pub struct RemoteAuthenticator {
    http: reqwest::Client,
    url: Option<String>,
    internal_token: Option<crate::secret::Secret>,
    cache: Mutex<HashMap<String, (Instant, Option<Caller>)>>,
    ttl: Duration,
}

impl RemoteAuthenticator {
    /// Introspects at `secretariat_url` (the secretariat's base URL).
    pub fn new(
        http: reqwest::Client,
        secretariat_url: Option<String>,
        internal_token: Option<crate::secret::Secret>,
    ) -> Self {
        RemoteAuthenticator {
            http,
            url: secretariat_url,
            internal_token,
            cache: Mutex::new(HashMap::new()),
            ttl: Duration::from_secs(10),
        }
    }
}

/// The body of an introspection request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IntrospectRequest {
    /// The bearer token to resolve.
    pub token: String,
}

impl Authenticator for RemoteAuthenticator {
    fn authenticate<'a>(
        &'a self,
        token: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Caller>, ApiError>> + Send + 'a>> {
        Box::pin(async move {
            let key = token_hash(token);
            if let Ok(cache) = self.cache.lock()
                && let Some((at, caller)) = cache.get(&key)
                && at.elapsed() < self.ttl
            {
                return Ok(caller.clone());
            }
            let Some(base) = &self.url else {
                return Err(ApiError::Unavailable(
                    "No se puede verificar la sesión: falta la URL del servicio de secretariado (services.secretariat.url).".into(),
                ));
            };
            let mut request = self
                .http
                .post(format!(
                    "{}/internal/auth/introspect",
                    base.trim_end_matches('/')
                ))
                .timeout(Duration::from_secs(5))
                .json(&IntrospectRequest {
                    token: token.to_string(),
                });
            if let Some(internal) = &self.internal_token {
                request = request.bearer_auth(internal.expose());
            }
            let response = request.send().await.map_err(|e| {
                tracing::warn!(error = %e, "el secretariado no respondió a la verificación de sesión");
                ApiError::Unavailable(
                    "No se pudo verificar la sesión porque el servicio de secretariado no responde. Intente de nuevo en unos momentos.".into(),
                )
            })?;
            let caller = match response.status().as_u16() {
                200 => Some(response.json::<Caller>().await.map_err(|e| {
                    ApiError::Unexpected(
                        anyhow::Error::new(e).context("leyendo la respuesta de introspección"),
                    )
                })?),
                401 | 404 => None,
                status => {
                    return Err(ApiError::Unavailable(format!(
                        "No se pudo verificar la sesión (el secretariado respondió {status}). Intente de nuevo en unos momentos."
                    )));
                }
            };
            if let Ok(mut cache) = self.cache.lock() {
                if cache.len() > 10_000 {
                    cache.clear();
                }
                cache.insert(key, (Instant::now(), caller.clone()));
            }
            Ok(caller)
        })
    }
}

/// What the authorisation middleware needs.
#[derive(Clone)]
pub(crate) struct AuthState {
    pub service: ServiceName,
    pub authenticator: Arc<dyn Authenticator>,
    /// Body limit for anonymous callers (`http.public_body_limit_bytes`).
    pub public_body_limit: usize,
    /// Proxies whose `X-Forwarded-For` names the client (`http.trusted_proxies`).
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
}

fn forbidden(caller: &Caller, allowed: &[Role], action: &str) -> ApiError {
    let held = if caller.roles.is_empty() {
        "ninguno".to_string()
    } else {
        caller
            .roles
            .iter()
            .map(|r| r.name_es())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let allowed = allowed
        .iter()
        .map(|r| r.name_es())
        .collect::<Vec<_>>()
        .join(", ");
    ApiError::Forbidden(format!(
        "No tiene permiso para {action}: su rol ({held}) no lo permite; solo pueden hacerlo: {allowed}. Si cree que es un error, pida a la Presidencia que revise su designación."
    ))
}

/// Route middleware: resolves the caller, checks `rule` (the route's row of
/// the access table), and hands the [`Caller`] to the handler.
pub(crate) async fn authorize(
    state: AuthState,
    rule: Access,
    mut request: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    match resolve(&state, &rule, &request).await {
        Ok(caller) => {
            // A stranger cannot make the server read tens of MiB.
            if caller.is_public() {
                crate::http::lower_body_limit(&mut request, state.public_body_limit);
            }
            request.extensions_mut().insert(caller);
            next.call(request).await
        }
        Err(refusal) => Ok(request.into_response(refusal.to_response())),
    }
}

/// The caller of `request`, if `rule` lets them through.
async fn resolve(
    state: &AuthState,
    rule: &Access,
    request: &ServiceRequest,
) -> Result<Caller, ApiError> {
    let address = crate::http::client_address(
        request.peer_addr().map(|a| a.ip()),
        request.headers(),
        &state.trusted_proxies,
    )
    .map(|ip| ip.to_string());
    let token = crate::http::bearer(request.headers()).map(str::to_string);
    let mut caller = match token {
        None => Caller::public(address.clone()),
        Some(token) => match state.authenticator.authenticate(&token).await? {
            Some(caller) => caller,
            None => {
                return Err(ApiError::Unauthorized(
                    "Su sesión no es válida, venció o fue revocada. Inicie sesión de nuevo con su FIEL o pida un enlace de acceso.".into(),
                ));
            }
        },
    };
    caller.address = address;

    if let Some(scope) = caller.scope_service
        && scope != state.service
    {
        return Err(ApiError::Forbidden(format!(
            "Este token de API solo sirve para el servicio «{scope}». Cree uno para «{}» si lo necesita.",
            state.service
        )));
    }
    if let Allowed::Roles(allowed) = rule.allowed {
        if caller.is_public() {
            return Err(ApiError::Unauthorized(format!(
                "Para {} debe iniciar sesión: envíe su token en el encabezado «Authorization: Bearer …».",
                rule.action
            )));
        }
        if !rule.permits(&caller.roles) {
            return Err(forbidden(&caller, allowed, rule.action));
        }
    }
    Ok(caller)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        _payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        std::future::ready(Ok(req
            .extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or_else(|| Caller::public(None))))
    }
}

/// Renders an access table as a Markdown table (for the docs).
pub fn access_table_markdown(service: ServiceName, table: &[Access]) -> String {
    let mut out =
        format!("| método | ruta (/{service}) | operación | quién |\n|---|---|---|---|\n");
    for a in table {
        let who = match a.allowed {
            Allowed::Public => "público".to_string(),
            Allowed::Roles(roles) => roles
                .iter()
                .map(|r| r.name_es())
                .collect::<Vec<_>>()
                .join(", "),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {who} |\n",
            a.method, a.path, a.action
        ));
    }
    out
}
