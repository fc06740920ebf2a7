//! Browser sessions: the cookie, the server-side map to the member's token,
//! CSRF tokens and the same-origin check.

use super::*;

pub(crate) fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

pub(crate) fn cookie_value(request: &HttpRequest) -> Option<String> {
    let raw = request.headers().get(header::COOKIE)?.to_str().ok()?;
    raw.split(';').find_map(|part| {
        let (name, value) = part.trim().split_once('=')?;
        (name == COOKIE && value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| value.to_string())
    })
}

/// `Set-Cookie` for a session id (or its removal).
pub(crate) fn set_cookie(id: Option<&str>) -> HeaderValue {
    let value = match id {
        Some(id) => format!("{COOKIE}={id}; Path=/; HttpOnly; Secure; SameSite=Strict"),
        None => format!("{COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The request's session: its id, CSRF token and member, and whether the
/// cookie must be (re)set.
pub(crate) struct Current {
    pub(crate) id: String,
    pub(crate) csrf: String,
    pub(crate) member: Option<Member>,
    pub(crate) fresh: bool,
}

impl Inner {
    pub(crate) fn current(&self, request: &HttpRequest) -> Current {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if let Some(id) = cookie_value(request)
            && let Some(session) = sessions.get_mut(&id)
            && now.duration_since(session.last_seen) < IDLE
        {
            session.last_seen = now;
            return Current {
                id,
                csrf: session.csrf.clone(),
                member: session.member.clone(),
                fresh: false,
            };
        }
        if sessions.len() >= MAX_SESSIONS {
            sessions.retain(|_, s| now.duration_since(s.last_seen) < IDLE);
            if sessions.len() >= MAX_SESSIONS {
                sessions.retain(|_, s| s.member.is_some());
            }
        }
        let id = random_hex(32);
        let csrf = random_hex(32);
        sessions.insert(
            id.clone(),
            Session {
                csrf: csrf.clone(),
                member: None,
                last_seen: now,
            },
        );
        Current {
            id,
            csrf,
            member: None,
            fresh: true,
        }
    }

    /// Starts a member's session under a new id (the old one is dropped).
    pub(crate) fn start(&self, old: &str, member: Member) -> String {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.remove(old);
        let id = random_hex(32);
        sessions.insert(
            id.clone(),
            Session {
                csrf: random_hex(32),
                member: Some(member),
                last_seen: Instant::now(),
            },
        );
        id
    }

    pub(crate) fn end(&self, id: &str) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.remove(id);
    }
}

/// Any serializable value as a template value.
pub(crate) fn v<T: serde::Serialize>(value: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

pub(crate) fn csrf_ok(current: &Current, given: Option<&str>) -> bool {
    use subtle::ConstantTimeEq;
    given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(current.csrf.as_bytes())))
}

/// A request from another origin (a POST carries `Origin`) is refused even
/// before the CSRF token is looked at. `Origin: null` (what browsers send
/// for a form under the suite's `Referrer-Policy: no-referrer`) proves
/// nothing either way: the CSRF token and the SameSite cookie decide.
pub(crate) fn same_origin(request: &HttpRequest) -> bool {
    let Some(origin) = request.headers().get(header::ORIGIN) else {
        return true;
    };
    if origin.as_bytes() == b"null" {
        return true;
    }
    let Some(host) = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
    else {
        return false;
    };
    origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .is_some_and(|(_, rest)| rest == host)
}
