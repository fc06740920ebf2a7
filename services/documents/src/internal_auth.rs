//! The signing service fetches approved records at `GET /documents/{id}/pdf`
//! and `…/layout` with the suite's internal token, as every service calls
//! another. Those routes sit behind the access table, whose callers come
//! from the secretariat's tokens; this authenticator recognises the internal
//! token first (compared in constant time) as [`internal_caller`], a
//! read-only caller, and asks the secretariat for every other token.
//! Drafts are never served to it: the handlers give it approved versions
//! only.

use std::future::Future;
use std::pin::Pin;

use rubrica_platform::auth::{AuthMethod, Authenticator, RemoteAuthenticator};
use rubrica_platform::{ApiError, Caller, Role};
use subtle::ConstantTimeEq;

/// Actor id of a caller holding the internal token.
pub const INTERNAL_ACTOR: &str = "servicio:interno";

/// A caller that presented the internal token: another service of the
/// suite. It holds the operator's role only so that the access table lets
/// it *read* (the drafting and approving rows do not list the operator).
pub fn internal_caller() -> Caller {
    Caller {
        actor_id: INTERNAL_ACTOR.into(),
        name: "servicio de Rúbrica (token interno)".into(),
        roles: vec![Role::Operator],
        method: Some(AuthMethod::Operador),
        ..Caller::public(None)
    }
}

/// Internal token first, then the secretariat.
pub struct InternalOrRemote {
    pub internal_token: Option<String>,
    pub remote: RemoteAuthenticator,
}

impl Authenticator for InternalOrRemote {
    fn authenticate<'a>(
        &'a self,
        token: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Caller>, ApiError>> + Send + 'a>> {
        if let Some(internal) = &self.internal_token
            && !internal.is_empty()
            && bool::from(internal.as_bytes().ct_eq(token.as_bytes()))
        {
            return Box::pin(async { Ok(Some(internal_caller())) });
        }
        self.remote.authenticate(token)
    }
}
