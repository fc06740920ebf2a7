//! The SQL of authentication, nothing else.

use rubrica_platform::auth::AuthMethod;
use rubrica_platform::{Role, ServiceName};
use rubrica_rules::local_time::local_date;
use sqlx::{AnyConnection, Row};
use time::{Date, OffsetDateTime};

use super::{parse_role, parse_service};

/// A session found by its token hash.
pub struct Session {
    pub id: String,
    pub member_id: String,
    pub method: AuthMethod,
}

/// A member as authentication needs it.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub secretariat_id: String,
    pub name: String,
    pub rfc: String,
    pub email: String,
}

/// An API token found by its hash.
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub secretariat_id: String,
    pub service: ServiceName,
    pub role: Role,
    /// Who made it: a member's id, or `operador`.
    pub created_by: String,
}

pub async fn active_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<Option<Session>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, member_id, method FROM auth_sessions
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let method: String = row.try_get("method")?;
    Ok(Some(Session {
        id: row.try_get("id")?,
        member_id: row.try_get("member_id")?,
        method: if method == "fiel" {
            AuthMethod::Fiel
        } else {
            AuthMethod::EnlaceCorreo
        },
    }))
}

fn member_from_row(row: &sqlx::any::AnyRow) -> Result<Member, sqlx::Error> {
    Ok(Member {
        id: row.try_get("id")?,
        secretariat_id: row.try_get("secretariat_id")?,
        name: row.try_get("name")?,
        rfc: row.try_get("rfc")?,
        email: row.try_get("email")?,
    })
}

pub async fn member(conn: &mut AnyConnection, id: &str) -> Result<Option<Member>, sqlx::Error> {
    sqlx::query("SELECT id, secretariat_id, name, rfc, email FROM members WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(member_from_row)
        .transpose()
}

pub async fn members_by_rfc(
    conn: &mut AnyConnection,
    rfc: &str,
) -> Result<Vec<Member>, sqlx::Error> {
    sqlx::query("SELECT id, secretariat_id, name, rfc, email FROM members WHERE rfc = $1 ORDER BY created_at")
        .bind(rfc)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(member_from_row)
        .collect()
}

pub async fn members_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> Result<Vec<Member>, sqlx::Error> {
    sqlx::query(
        "SELECT id, secretariat_id, name, rfc, email FROM members WHERE LOWER(email) = LOWER($1) ORDER BY created_at",
    )
    .bind(email)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(member_from_row)
    .collect()
}

/// The roles of a member at `now`, from their designations: titular,
/// suplente, enlace, facilitator or invited member while in post; President
/// when titular of the configuration's presiding seat; outgoing member when
/// every post has ended (they keep the right to hand over, 000 III.7).
/// "Today" is each designation's secretariat's own local date.
pub async fn roles_on(
    conn: &mut AnyConnection,
    member_id: &str,
    now: OffsetDateTime,
) -> Result<Vec<Role>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT d.role, d.seat, d.starts_on, d.ends_on, s.config, s.utc_offset_minutes
         FROM designations d JOIN secretariats s ON s.id = d.secretariat_id
         WHERE d.member_id = $1",
    )
    .bind(member_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut roles = Vec::new();
    let mut ended = false;
    for row in &rows {
        let role: String = row.try_get("role")?;
        let seat: Option<String> = row.try_get("seat")?;
        let starts_on: String = row.try_get("starts_on")?;
        let ends_on: Option<String> = row.try_get("ends_on")?;
        let config: String = row.try_get("config")?;
        let offset_minutes: i64 = row.try_get("utc_offset_minutes")?;
        let today = iso(local_date(now, offset_minutes));
        // ISO dates compare correctly as text.
        if starts_on.as_str() > today.as_str() {
            continue;
        }
        if ends_on.as_deref().is_some_and(|end| end < today.as_str()) {
            ended = true;
            continue;
        }
        let Some(parsed) = parse_role(&role) else {
            continue;
        };
        roles.push(parsed);
        if parsed == Role::Titular {
            let presiding = serde_json::from_str::<serde_json::Value>(&config)
                .ok()
                .and_then(|c| {
                    c.get("president")
                        .and_then(|p| p.as_str())
                        .map(str::to_string)
                });
            if presiding.is_some() && presiding == seat {
                roles.push(Role::President);
            }
        }
    }
    if roles.is_empty() && ended {
        roles.push(Role::OutgoingMember);
    }
    roles.sort();
    roles.dedup();
    Ok(roles)
}

/// `YYYY-MM-DD`.
pub fn iso(day: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

pub async fn active_api_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<Option<ApiToken>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, name, secretariat_id, service, role, created_by FROM api_tokens
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let service: String = row.try_get("service")?;
    let role: String = row.try_get("role")?;
    let (Some(service), Some(role)) = (parse_service(&service), parse_role(&role)) else {
        return Ok(None);
    };
    Ok(Some(ApiToken {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        secretariat_id: row.try_get("secretariat_id")?,
        service,
        role,
        created_by: row.try_get("created_by")?,
    }))
}

pub async fn insert_challenge(
    conn: &mut AnyConnection,
    id: &str,
    nonce_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO auth_challenges (id, nonce_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(nonce_hash)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks the challenge used; false when it is unknown, used or expired.
pub async fn consume_challenge(
    conn: &mut AnyConnection,
    nonce_hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE auth_challenges SET used_at = $1 WHERE nonce_hash = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(nonce_hash)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_session(
    conn: &mut AnyConnection,
    id: &str,
    token_hash: &str,
    member_id: &str,
    method: &str,
    certificate_number: Option<&str>,
    now: i64,
    expires_at: i64,
    address: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO auth_sessions (id, token_hash, member_id, method, certificate_number, created_at, expires_at, address)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(token_hash)
    .bind(member_id)
    .bind(method)
    .bind(certificate_number.map(str::to_string))
    .bind(now)
    .bind(expires_at)
    .bind(address.map(str::to_string))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn revoke_session(
    conn: &mut AnyConnection,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE auth_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A member's open sessions: id, method, certificate, created, expires.
pub async fn open_sessions(
    conn: &mut AnyConnection,
    member_id: &str,
    now: i64,
) -> Result<Vec<(String, String, Option<String>, i64, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, method, certificate_number, created_at, expires_at FROM auth_sessions
         WHERE member_id = $1 AND revoked_at IS NULL AND expires_at > $2
         ORDER BY created_at DESC LIMIT 100",
    )
    .bind(member_id)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("method")?,
                r.try_get("certificate_number")?,
                r.try_get("created_at")?,
                r.try_get("expires_at")?,
            ))
        })
        .collect()
}

/// Closes a member's own open session; whether there was one.
pub async fn revoke_member_session(
    conn: &mut AnyConnection,
    id: &str,
    member_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE auth_sessions SET revoked_at = $1 WHERE id = $2 AND member_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(member_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_link(
    conn: &mut AnyConnection,
    id: &str,
    token_hash: &str,
    member_id: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO auth_email_links (id, token_hash, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(token_hash)
    .bind(member_id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks the link used and returns its member and the email change it
/// confirms, if any; `None` when unknown, used or expired.
pub async fn consume_link(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE auth_email_links SET used_at = $1
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
         RETURNING member_id, change_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| Ok((r.try_get("member_id")?, r.try_get("change_id")?)))
        .transpose()
}

/// An API token as listed (never its value).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ApiTokenInfo {
    pub id: String,
    pub name: String,
    pub secretariat_id: String,
    pub service: String,
    pub role: String,
    pub created_by: String,
    pub created_at: i64,
    /// When it stops working (epoch ms).
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_api_token(
    conn: &mut AnyConnection,
    id: &str,
    token_hash: &str,
    name: &str,
    secretariat_id: &str,
    service: &str,
    role: &str,
    created_by: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO api_tokens (id, token_hash, name, secretariat_id, service, role, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(token_hash)
    .bind(name)
    .bind(secretariat_id)
    .bind(service)
    .bind(role)
    .bind(created_by)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn list_api_tokens(
    conn: &mut AnyConnection,
    secretariat_id: Option<&str>,
) -> Result<Vec<ApiTokenInfo>, sqlx::Error> {
    const COLUMNS: &str = "SELECT id, name, secretariat_id, service, role, created_by, created_at, revoked_at, expires_at FROM api_tokens";
    let rows = match secretariat_id {
        Some(id) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{COLUMNS} WHERE secretariat_id = $1 ORDER BY created_at"
            )))
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{COLUMNS} ORDER BY created_at"
            )))
            .fetch_all(&mut *conn)
            .await?
        }
    };
    rows.iter()
        .map(|r| {
            Ok(ApiTokenInfo {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                secretariat_id: r.try_get("secretariat_id")?,
                service: r.try_get("service")?,
                role: r.try_get("role")?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
                revoked_at: r.try_get("revoked_at")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .collect()
}

pub async fn api_token_secretariat(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT secretariat_id FROM api_tokens WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("secretariat_id"))
        .transpose()
}

pub async fn revoke_api_token(
    conn: &mut AnyConnection,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn secretariat_exists(conn: &mut AnyConnection, id: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("SELECT id FROM secretariats WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

pub async fn failures_since(
    conn: &mut AnyConnection,
    key: &str,
    since: i64,
) -> Result<i64, sqlx::Error> {
    let row =
        sqlx::query("SELECT COUNT(*) AS failures FROM auth_failures WHERE key = $1 AND at > $2")
            .bind(key)
            .bind(since)
            .fetch_one(&mut *conn)
            .await?;
    row.try_get("failures")
}

pub async fn record_failure(
    conn: &mut AnyConnection,
    key: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO auth_failures (key, at) VALUES ($1, $2)")
        .bind(key)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What [`prune`] deleted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub challenges: u64,
    pub failures: u64,
    pub sessions: u64,
    pub links: u64,
}

/// Deletes what access no longer needs: challenges past their expiry,
/// counters older than the rate-limit window, and sessions and links that
/// ended (expired, revoked or used) before `ended_before`. The audit log keeps
/// the record of every login; these rows only made it work.
pub async fn prune(
    conn: &mut AnyConnection,
    now: i64,
    window_start: i64,
    ended_before: i64,
) -> Result<Pruned, sqlx::Error> {
    let challenges = sqlx::query("DELETE FROM auth_challenges WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let failures = sqlx::query("DELETE FROM auth_failures WHERE at < $1")
        .bind(window_start)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let sessions =
        sqlx::query("DELETE FROM auth_sessions WHERE expires_at < $1 OR revoked_at < $1")
            .bind(ended_before)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    let links = sqlx::query("DELETE FROM auth_email_links WHERE expires_at < $1 OR used_at < $1")
        .bind(ended_before)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(Pruned {
        challenges,
        failures,
        sessions,
        links,
    })
}
