//! The audit trail: who did what, when, as which role, from which address,
//! in which request — appended in the same transaction as the change.
//!
//! Entries form a hash chain: each stores the SHA-256 of its predecessor's
//! hash and its own fields, so editing or removing any entry (other than the
//! last, which the archive's signed log will anchor) is detected by
//! [`verify`]. Appenders are serialised (an advisory lock on PostgreSQL, an
//! immediate write transaction on SQLite) so sequence numbers have no gaps.

use rubrica_fiel::digest::Sha256;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::{Backend, Database, now_ms};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of the trail.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct AuditEntry {
    pub seq: i64,
    pub occurred_at: i64,
    pub actor_id: String,
    pub actor_name: String,
    pub role: String,
    pub action: String,
    pub subject: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub address: Option<String>,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// The hash this entry must carry: SHA-256 over its predecessor's hash
    /// and every field, each length-prefixed so no two entries collide by
    /// shifting text between fields.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let fields: [&str; 9] = [
            &self.prev_hash,
            &self.actor_id,
            &self.actor_name,
            &self.role,
            &self.action,
            self.subject.as_deref().unwrap_or(""),
            &self.details.to_string(),
            self.address.as_deref().unwrap_or(""),
            self.request_id.as_deref().unwrap_or(""),
        ];
        h.update(self.seq.to_be_bytes());
        h.update(self.occurred_at.to_be_bytes());
        for f in fields {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Appends an entry in the caller's transaction. On SQLite the transaction
/// should have been opened with [`Database::begin_write`].
pub async fn record(
    tx: &mut AnyConnection,
    backend: Backend,
    caller: &Caller,
    action: &str,
    subject: Option<&str>,
    details: serde_json::Value,
) -> Result<AuditEntry, sqlx::Error> {
    if backend == Backend::Postgres {
        // Held until the transaction ends: one appender at a time.
        sqlx::query("SELECT pg_advisory_xact_lock(7236514401)")
            .execute(&mut *tx)
            .await?;
    }
    let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?;
    let (seq, prev_hash) = match last {
        Some(row) => (
            row.try_get::<i64, _>("seq")? + 1,
            row.try_get::<String, _>("hash")?,
        ),
        None => (1, GENESIS.to_string()),
    };
    let mut entry = AuditEntry {
        seq,
        occurred_at: now_ms(),
        actor_id: caller.actor_id.clone(),
        actor_name: caller.name.clone(),
        role: caller.main_role(),
        action: action.to_string(),
        subject: subject.map(str::to_string),
        details,
        address: caller.address.clone(),
        request_id: crate::telemetry::current_request_id(),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    sqlx::query(
        "INSERT INTO audit_log (seq, occurred_at, actor_id, actor_name, role, action, subject, details, address, request_id, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(entry.seq)
    .bind(entry.occurred_at)
    .bind(&entry.actor_id)
    .bind(&entry.actor_name)
    .bind(&entry.role)
    .bind(&entry.action)
    .bind(entry.subject.clone())
    .bind(entry.details.to_string())
    .bind(entry.address.clone())
    .bind(entry.request_id.clone())
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut *tx)
    .await?;
    if let Some(secretariat) = &caller.secretariat_id {
        sqlx::query("UPDATE audit_log SET secretariat_id = $1 WHERE seq = $2")
            .bind(secretariat)
            .bind(entry.seq)
            .execute(&mut *tx)
            .await?;
    }
    Ok(entry)
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<AuditEntry, sqlx::Error> {
    let details: String = row.try_get("details")?;
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        occurred_at: row.try_get("occurred_at")?,
        actor_id: row.try_get("actor_id")?,
        actor_name: row.try_get("actor_name")?,
        role: row.try_get("role")?,
        action: row.try_get("action")?,
        subject: row.try_get("subject")?,
        // A details column that no longer parses is itself tampering; keep
        // the raw text so the hash check fails instead of the read.
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::String(details)),
        address: row.try_get("address")?,
        request_id: row.try_get("request_id")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

const COLUMNS: &str = "seq, occurred_at, actor_id, actor_name, role, action, subject, details, address, request_id, prev_hash, hash";

/// A page of the trail, oldest first, starting after `after_seq`.
pub async fn list(
    db: &Database,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
    )))
    .bind(after_seq)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(entry_from_row).collect()
}

/// The outcome of checking a chain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ChainReport {
    /// Whether every entry is intact and linked to the one before.
    pub ok: bool,
    /// Entries read.
    pub entries: i64,
    /// The hash of the last entry (the chain's head), to compare with a
    /// copy kept elsewhere.
    pub head: String,
    /// The first entry that breaks the chain.
    pub broken_at: Option<i64>,
    /// Spanish explanation.
    pub explanation: String,
}

/// Walks the whole chain and reports the first break.
pub async fn verify(db: &Database) -> Result<ChainReport, sqlx::Error> {
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_string();
    let mut after = 0;
    loop {
        let page = list(db, after, 1000).await?;
        if page.is_empty() {
            break;
        }
        for entry in &page {
            let problem = if entry.seq != expected_seq {
                Some(format!(
                    "falta la entrada {expected_seq}: la siguiente es la {} (se eliminaron entradas)",
                    entry.seq
                ))
            } else if entry.prev_hash != prev {
                Some(format!(
                    "la entrada {} no enlaza con la anterior (se eliminó o modificó la entrada previa)",
                    entry.seq
                ))
            } else if entry.compute_hash() != entry.hash {
                Some(format!(
                    "el contenido de la entrada {} no coincide con su huella (fue modificada)",
                    entry.seq
                ))
            } else {
                None
            };
            if let Some(explanation) = problem {
                return Ok(ChainReport {
                    ok: false,
                    entries: entry.seq,
                    head: prev,
                    broken_at: Some(expected_seq.min(entry.seq)),
                    explanation: format!("La bitácora está alterada: {explanation}."),
                });
            }
            prev = entry.hash.clone();
            expected_seq += 1;
            after = entry.seq;
        }
    }
    let entries = expected_seq - 1;
    Ok(ChainReport {
        ok: true,
        entries,
        head: prev,
        broken_at: None,
        explanation: format!("La bitácora está íntegra: {entries} entradas encadenadas."),
    })
}

/// Query of the audit listing.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// Entries after this sequence number (default 0: from the start).
    after: Option<i64>,
    /// At most this many (default 100, at most 1000).
    limit: Option<i64>,
}

/// A page of one secretariat's entries (those whose actor belongs to it),
/// oldest first, starting after `after_seq`.
pub async fn list_of_secretariat(
    db: &Database,
    secretariat_id: &str,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_log WHERE secretariat_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
    )))
    .bind(secretariat_id)
    .bind(after_seq)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(entry_from_row).collect()
}

/// Reads the service's audit trail, oldest first: all of it for the
/// operator, only their own secretariat's entries for a President.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "auditoría",
    summary = "Consulta la bitácora de auditoría del servicio (solo lectura): el operador, toda; la Presidencia, la de su secretariado",
    params(AuditQuery),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Entradas de la bitácora", body = Vec<AuditEntry>),
        (status = 401, description = "Falta iniciar sesión", body = crate::error::Problem),
        (status = 403, description = "Solo la Presidencia o el operador", body = crate::error::Problem),
    )
)]
pub(crate) async fn list_route(
    crate::http::State(db): crate::http::State<Database>,
    caller: Caller,
    crate::error::Query(query): crate::error::Query<AuditQuery>,
) -> crate::error::ApiResult<crate::error::Json<Vec<AuditEntry>>> {
    let after = query.after.unwrap_or(0);
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let entries = if caller.has_any(&[crate::auth::Role::Operator]) {
        list(&db, after, limit).await
    } else {
        match caller.secretariat_id.as_deref() {
            Some(secretariat) => list_of_secretariat(&db, secretariat, after, limit).await,
            None => Ok(Vec::new()),
        }
    }
    .map_err(|e| anyhow::Error::new(e).context("leyendo la bitácora"))?;
    Ok(crate::error::Json(entries))
}

/// Checks the service's audit chain.
#[utoipa::path(
    get,
    path = "/audit/verify",
    tag = "auditoría",
    summary = "Verifica que la bitácora de auditoría no fue alterada",
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Resultado de la verificación", body = ChainReport),
        (status = 401, description = "Falta iniciar sesión", body = crate::error::Problem),
        (status = 403, description = "Solo la Presidencia o el operador", body = crate::error::Problem),
    )
)]
pub(crate) async fn verify_route(
    crate::http::State(db): crate::http::State<Database>,
) -> crate::error::ApiResult<crate::error::Json<ChainReport>> {
    let report = verify(&db)
        .await
        .map_err(|e| anyhow::Error::new(e).context("verificando la bitácora"))?;
    Ok(crate::error::Json(report))
}

/// The kind of the archive objects that anchor an audit chain.
pub const ANCHOR_KIND: &str = "ancla_bitacora";

/// A chain head written into the archive's signed log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Anchor {
    /// The service whose chain it is.
    pub servicio: String,
    /// The last entry's sequence number when anchored.
    pub seq: i64,
    /// That entry's hash.
    pub hash: String,
}

impl Anchor {
    /// The archived bytes: the anchor's JSON (its SHA-256 is the log leaf's).
    pub fn content(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Checks `chain` (the entries of the service, in order) against this
    /// anchor: the anchored entry must still be there with the same hash.
    /// The Spanish reason when it is not: the chain was truncated or
    /// rewritten after it was anchored.
    pub fn check(&self, entry: Option<&AuditEntry>) -> Result<(), String> {
        match entry {
            None => Err(format!(
                "la bitácora ya no tiene la entrada {} que se ancló en el archivo: fue truncada",
                self.seq
            )),
            Some(e) if e.hash != self.hash => Err(format!(
                "la entrada {} no es la que se ancló en el archivo (huella {} en lugar de {}): la bitácora fue reescrita",
                self.seq, e.hash, self.hash
            )),
            Some(_) => Ok(()),
        }
    }
}

/// The hash of the last entry, if any.
pub async fn head(db: &Database) -> Result<Option<(i64, String)>, sqlx::Error> {
    let row = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Ok((r.try_get("seq")?, r.try_get("hash")?)))
        .transpose()
}

/// One entry by its sequence number.
pub async fn entry(db: &Database, seq: i64) -> Result<Option<AuditEntry>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_log WHERE seq = $1"
    )))
    .bind(seq)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(entry_from_row).transpose()
}

/// Writes the service's chain head into the archive's signed log (through
/// its internal route); `None` when the chain is empty. The same head
/// anchored twice is one object.
pub async fn anchor(context: &crate::ServiceContext) -> Result<Option<Anchor>, crate::ApiError> {
    use crate::ApiError;
    let Some((seq, hash)) = head(&context.db).await.map_err(|e| {
        ApiError::Unexpected(anyhow::Error::new(e).context("leyendo la cabeza de la bitácora"))
    })?
    else {
        return Ok(None);
    };
    let anchor = Anchor {
        servicio: context.name.to_string(),
        seq,
        hash,
    };
    use base64::Engine;
    let deposit = serde_json::json!({
        "source": context.name,
        "kind": ANCHOR_KIND,
        "media_type": "application/json",
        "title": format!("Cabeza de la bitácora de {} (entrada {seq})", context.name.title()),
        "published": false,
        "metadata": anchor,
        "content_base64": base64::engine::general_purpose::STANDARD.encode(anchor.content()),
    });
    let sent = crate::client::ServiceClient::new(context, crate::ServiceName::Archive)
        .timeout(std::time::Duration::from_secs(30))
        .send_only(
            reqwest::Method::POST,
            "/internal/objects",
            crate::client::As::Internal,
            Some(&deposit),
        )
        .await;
    match sent {
        Ok(()) => {}
        Err(crate::client::CallError::NotConfigured { .. }) => {
            return Err(ApiError::Unavailable(
                "No se puede anclar la bitácora: falta la dirección del archivo (services.archive.url).".into(),
            ));
        }
        Err(error @ crate::client::CallError::Status { .. }) => {
            return Err(ApiError::Unavailable(format!(
                "El archivo no aceptó el ancla de la bitácora: {error}"
            )));
        }
        Err(error) => {
            tracing::warn!(%error, "el archivo no respondió al anclar la bitácora");
            return Err(ApiError::Unavailable("El archivo no responde: la bitácora no se pudo anclar. Intente de nuevo en unos momentos.".into()));
        }
    }
    Ok(Some(anchor))
}

/// Anchors the chain every `audit.anchor_interval_seconds` when its head
/// moved (a background task of every service).
pub fn schedule_anchoring(context: &crate::ServiceContext) {
    let every = context.settings.audit.anchor_interval_seconds;
    if every == 0 || context.service_url(crate::ServiceName::Archive).is_none() {
        return;
    }
    let ctx = context.clone();
    context.background.add(
        "anclaje de la bitácora",
        move |stop: tokio_util::sync::CancellationToken| async move {
            let mut anchored: Option<i64> = None;
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(std::time::Duration::from_secs(every)) => {}
                }
                let moved = match head(&ctx.db).await {
                    Ok(Some((seq, _))) => anchored != Some(seq),
                    Ok(None) => false,
                    Err(e) => {
                        tracing::warn!(error = %e, "leyendo la cabeza de la bitácora");
                        false
                    }
                };
                if moved {
                    match anchor(&ctx).await {
                        Ok(Some(a)) => anchored = Some(a.seq),
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = %e, "anclando la bitácora"),
                    }
                }
            }
        },
    );
}

/// Writes the chain's head into the archive's signed log now.
#[utoipa::path(
    post,
    path = "/audit/anchor",
    tag = "auditoría",
    summary = "Ancla ahora la cabeza de la bitácora en el registro firmado del archivo",
    security(("sesion" = [])),
    responses(
        (status = 200, description = "La cabeza anclada", body = Anchor),
        (status = 401, description = "Falta iniciar sesión", body = crate::error::Problem),
        (status = 403, description = "Solo la Presidencia o el operador", body = crate::error::Problem),
        (status = 409, description = "La bitácora está vacía", body = crate::error::Problem),
        (status = 503, description = "El archivo no responde", body = crate::error::Problem),
    )
)]
pub(crate) async fn anchor_route(
    crate::http::State(context): crate::http::State<crate::ServiceContext>,
) -> crate::error::ApiResult<crate::error::Json<Anchor>> {
    match anchor(&context).await? {
        Some(anchor) => Ok(crate::error::Json(anchor)),
        None => Err(crate::ApiError::Conflict(
            "La bitácora está vacía: no hay nada que anclar todavía.".into(),
        )),
    }
}

/// Access rows of the audit routes, added to every service's table.
pub const ACCESS: &[crate::auth::Access] = &[
    crate::auth::Access {
        method: "GET",
        path: "/audit",
        allowed: crate::auth::Allowed::Roles(&[
            crate::auth::Role::President,
            crate::auth::Role::Operator,
        ]),
        action: "consultar la bitácora de auditoría",
    },
    crate::auth::Access {
        method: "GET",
        path: "/audit/verify",
        allowed: crate::auth::Allowed::Roles(&[
            crate::auth::Role::President,
            crate::auth::Role::Operator,
        ]),
        action: "verificar la bitácora de auditoría",
    },
    crate::auth::Access {
        method: "POST",
        path: "/audit/anchor",
        allowed: crate::auth::Allowed::Roles(&[
            crate::auth::Role::President,
            crate::auth::Role::Operator,
        ]),
        action: "anclar la bitácora de auditoría en el archivo",
    },
];
