//! Access: members prove who they are with their FIEL (or a one-time email
//! link); the secretariat's designations on the day of the request decide
//! their roles.
//!
//! - **FIEL challenge** (as SAT's portals accept e.firma): `POST
//!   /auth/challenge` gives a one-time nonce; the client signs its exact
//!   bytes with the member's key (RSA PKCS#1 v1.5, SHA-256) and sends the
//!   certificate and signature to `POST /auth/fiel`; the server consumes the
//!   nonce, validates the certificate (FIEL not CSD, in its validity period,
//!   chained to the configured anchors), checks the signature and that the
//!   holder's RFC is a member → a short-lived session token, stored hashed.
//! - **One-time email link**: a token valid for minutes, used once, mailed
//!   through the mail service; its session may read and manage but never
//!   sign.
//! - **API tokens**: created by the President (or the operator), scoped to a
//!   service and a role, shown once, stored hashed.
//! - Failed logins are counted per client address (behind a proxy, the
//!   address `http.trusted_proxies` lets it name), never per account: a
//!   stranger holds a member's public certificate, not their key, so their
//!   failures must not lock the member out. Mailed-link requests are counted
//!   apart, per address and per email; challenges per address. The answers
//!   are the same whether or not an account exists.
//!
//! Other services resolve tokens through `POST /internal/auth/introspect`.

pub mod changes;
mod db;
mod routes;

use rubrica_platform::OrUnexpected;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use rubrica_fiel::Validator;
use rubrica_platform::auth::{AuthMethod, Authenticator, token_hash};
use rubrica_platform::{ApiError, Caller, Role, ServiceContext, ServiceName};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

pub use db::Pruned;
pub use routes::{ACCESS, internal_router, router};
pub(crate) use routes::{Counter, address_of, check_rate, record_failure};

/// The secretariat's authentication: shared by its routes and its
/// [`Authenticator`].
#[derive(Clone)]
pub struct Auth {
    context: ServiceContext,
    /// Built once from `auth.trust_anchors_dir`; `Err` keeps the Spanish
    /// reason FIEL logins are unavailable (they are refused, never waved
    /// through).
    validator: Arc<Result<Validator, String>>,
}

impl Auth {
    /// Loads the trust anchors and wraps the context.
    pub fn new(context: ServiceContext) -> Self {
        let validator =
            rubrica_platform::trust::validator(&context.settings).map(|v| Validator::clone(&v));
        Auth {
            context,
            validator: Arc::new(validator),
        }
    }

    /// Resolves a bearer token: the operator's, a session, or an API token.
    pub async fn resolve(&self, token: &str) -> Result<Option<Caller>, ApiError> {
        if let Some(operator) = &self.context.settings.auth.operator_token
            && bool::from(operator.expose().as_bytes().ct_eq(token.as_bytes()))
        {
            return Ok(Some(operator_caller()));
        }
        let hash = token_hash(token);
        let now = rubrica_platform::db::now_ms();
        let mut conn = self.context.db.pool().acquire().await.map_err(|e| {
            ApiError::Unexpected(anyhow::Error::new(e).context("abriendo conexión"))
        })?;
        if let Some(session) = db::active_session(&mut conn, &hash, now)
            .await
            .or_unexpected("buscando la sesión")?
        {
            let member = db::member(&mut conn, &session.member_id)
                .await
                .or_unexpected("leyendo el integrante")?;
            let Some(member) = member else {
                return Ok(None);
            };
            let roles = db::roles_on(&mut conn, &member.id, OffsetDateTime::now_utc())
                .await
                .or_unexpected("calculando los roles")?;
            return Ok(Some(Caller {
                actor_id: member.id.clone(),
                name: member.name,
                rfc: Some(member.rfc),
                member_id: Some(member.id),
                secretariat_id: Some(member.secretariat_id),
                roles,
                method: Some(session.method),
                scope_service: None,
                credential_id: Some(session.id),
                address: None,
            }));
        }
        if let Some(api) = db::active_api_token(&mut conn, &hash, now)
            .await
            .or_unexpected("buscando el token de API")?
        {
            if !token_still_backed(&mut conn, &api).await? {
                return Ok(None);
            }
            return Ok(Some(Caller {
                actor_id: format!("token:{}", api.id),
                name: format!("token de API «{}»", api.name),
                rfc: None,
                member_id: None,
                secretariat_id: Some(api.secretariat_id),
                roles: vec![api.role],
                method: Some(AuthMethod::TokenApi),
                scope_service: Some(api.service),
                credential_id: Some(api.id),
                address: None,
            }));
        }
        Ok(None)
    }
}

impl Authenticator for Auth {
    fn authenticate<'a>(
        &'a self,
        token: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Caller>, ApiError>> + Send + 'a>> {
        Box::pin(self.resolve(token))
    }
}

/// Registers the daily pruning of access rows as a background task (issue
/// 15, finding 12): expired challenges, old rate-limit counters, and sessions
/// and links ended more than `auth.prune_after_days` ago.
pub fn schedule_pruning(context: &ServiceContext) {
    let ctx = context.clone();
    context.background.add(
        "limpieza de accesos",
        move |stop: tokio_util::sync::CancellationToken| async move {
            // Hourly is plenty: the counters' window is minutes, the rest days.
            let every = std::time::Duration::from_secs(3_600);
            loop {
                match prune(&ctx).await {
                    Ok(pruned) => tracing::debug!(?pruned, "accesos vencidos eliminados"),
                    Err(error) => tracing::warn!(%error, "eliminando accesos vencidos"),
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(every) => {}
                }
            }
        },
    );
}

/// One pruning pass; see [`schedule_pruning`].
pub async fn prune(ctx: &ServiceContext) -> Result<db::Pruned, sqlx::Error> {
    let settings = &ctx.settings.auth;
    let now = rubrica_platform::db::now_ms();
    let window_start = now - settings.attempt_window_minutes as i64 * 60_000;
    let ended_before = now - settings.prune_after_days as i64 * 86_400_000;
    let mut tx = ctx.begin().await?;
    let pruned = db::prune(&mut tx, now, window_start, ended_before).await?;
    tx.commit().await?;
    Ok(pruned)
}

/// A token acts with its creator's authority, no longer than it lasts: a
/// token made by a member works only while that member still holds the
/// token's role today (their designation may have ended, or they resigned).
/// The operator's tokens end only by expiry or revocation (issue 15, finding 6).
async fn token_still_backed(
    conn: &mut sqlx::AnyConnection,
    token: &db::ApiToken,
) -> Result<bool, ApiError> {
    if token.created_by == OPERATOR_ACTOR {
        return Ok(true);
    }
    let roles = db::roles_on(conn, &token.created_by, time::OffsetDateTime::now_utc())
        .await
        .or_unexpected("calculando los roles de quien creó el token")?;
    Ok(roles.contains(&token.role))
}

/// The operator's actor id, as audit entries and token creators record it.
const OPERATOR_ACTOR: &str = "operador";

/// The installation's operator.
fn operator_caller() -> Caller {
    Caller {
        actor_id: OPERATOR_ACTOR.into(),
        name: "operador de la instalación".into(),
        rfc: None,
        member_id: None,
        secretariat_id: None,
        roles: vec![Role::Operator],
        method: Some(AuthMethod::Operador),
        scope_service: None,
        credential_id: None,
        address: None,
    }
}

/// Parses a role name as API tokens carry it.
fn parse_role(value: &str) -> Option<Role> {
    serde_json::from_value(serde_json::Value::String(value.to_string())).ok()
}

/// Parses a service name.
fn parse_service(value: &str) -> Option<ServiceName> {
    value.parse().ok()
}
