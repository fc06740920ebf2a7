//! Changes of a member's RFC or email take effect only when the member
//! confirms them (issue 15, finding 8). Otherwise whoever edits the registry
//! — the President — could point a member's identity at a certificate or a
//! mailbox they hold and act as that member.
//!
//! - **RFC**: confirmed by a FIEL login with a certificate of the new RFC
//!   whose holder's name is the member's name (a typo in the RFC gets
//!   fixed; another person's FIEL is refused).
//! - **Email**: confirmed by a one-time link mailed to the new address.
//!
//! Either way the member's open sessions are revoked and the change is
//! audited; a request that is never confirmed lapses after
//! [`CONFIRMATION_DAYS`].

use rubrica_platform::OrUnexpected;
use rubrica_platform::auth::{new_token, token_hash};
use rubrica_platform::db::now_ms;
use rubrica_platform::{ApiError, Caller, ServiceContext, ServiceName};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, Row};
use utoipa::ToSchema;

/// How long a requested change waits for the member's confirmation.
pub const CONFIRMATION_DAYS: i64 = 7;

/// Which part of a member's identity changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Rfc,
    Email,
}

impl Field {
    fn as_str(self) -> &'static str {
        match self {
            Field::Rfc => "rfc",
            Field::Email => "email",
        }
    }
}

/// A change waiting for the member.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PendingChange {
    pub id: String,
    pub field: Field,
    pub new_value: String,
    /// Until when the member may confirm it (epoch ms).
    pub expires_at: i64,
    /// How the member confirms it, in Spanish.
    pub how: String,
}

/// The member whose identity changes.
pub struct Subject<'a> {
    pub id: &'a str,
    pub secretariat_id: &'a str,
    pub name: &'a str,
    pub email: &'a str,
}

/// Records a requested change (replacing an earlier one of the same field)
/// and, for an email, mails the confirmation link to the new address. The
/// member's record is not touched.
pub async fn request(
    ctx: &ServiceContext,
    tx: &mut AnyConnection,
    caller: &Caller,
    member: &Subject<'_>,
    field: Field,
    new_value: &str,
) -> Result<PendingChange, ApiError> {
    let now = now_ms();
    let expires_at = now + CONFIRMATION_DAYS * 86_400_000;
    sqlx::query(
        "UPDATE member_contact_changes SET cancelled_at = $1
         WHERE member_id = $2 AND field = $3 AND confirmed_at IS NULL AND cancelled_at IS NULL",
    )
    .bind(now)
    .bind(member.id)
    .bind(field.as_str())
    .execute(&mut *tx)
    .await
    .or_unexpected("anulando el cambio anterior")?;
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO member_contact_changes (id, member_id, field, new_value, requested_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(member.id)
    .bind(field.as_str())
    .bind(new_value)
    .bind(&caller.actor_id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await
    .or_unexpected("guardando el cambio")?;
    let how = match field {
        Field::Rfc => format!(
            "Surte efecto cuando {} inicie sesión con la FIEL del RFC {new_value} (a su nombre), antes de {CONFIRMATION_DAYS} días.",
            member.name
        ),
        Field::Email => {
            mail_confirmation(ctx, tx, member, &id, new_value, now, expires_at).await?;
            format!(
                "Se envió un enlace a {new_value}: el cambio surte efecto cuando {} lo abra, antes de {CONFIRMATION_DAYS} días.",
                member.name
            )
        }
    };
    ctx.audit(
        tx,
        caller,
        "integrante.cambio_solicitado",
        Some(member.id),
        json!({ "campo": field.as_str(), "nuevo": new_value, "cambio": id, "vence": expires_at }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    Ok(PendingChange {
        id,
        field,
        new_value: new_value.to_string(),
        expires_at,
        how,
    })
}

/// A one-time link to the new address; opening it confirms the change.
async fn mail_confirmation(
    ctx: &ServiceContext,
    tx: &mut AnyConnection,
    member: &Subject<'_>,
    change_id: &str,
    new_email: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), ApiError> {
    let token = new_token("rubrica-enlace");
    sqlx::query(
        "INSERT INTO auth_email_links (id, token_hash, member_id, created_at, expires_at, change_id)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(token_hash(&token))
    .bind(member.id)
    .bind(now)
    .bind(expires_at)
    .bind(change_id)
    .execute(&mut *tx)
    .await
    .or_unexpected("guardando el enlace de confirmación")?;
    let server = ctx
        .settings
        .http
        .public_url
        .clone()
        .map(|u| format!("{}/secretariat", u.trim_end_matches('/')))
        .or_else(|| {
            ctx.service_url(ServiceName::Secretariat)
                .map(str::to_string)
        })
        .unwrap_or_default();
    ctx.outbox
        .record(
            tx,
            rubrica_contracts::events::AUTH_LINK_REQUESTED,
            &rubrica_contracts::events::LinkRequested {
                to_email: new_email.to_string(),
                to_name: member.name.to_string(),
                secretariat_id: Some(member.secretariat_id.to_string()),
                token_sealed: Some(seal_link_token(ctx, &token)?),
                token: String::new(),
                server,
                ttl_minutes: (CONFIRMATION_DAYS * 24 * 60) as u64,
                purpose: rubrica_contracts::events::LinkPurpose::ConfirmEmail,
            },
        )
        .await
        .or_unexpected("encolando el correo de confirmación")?;
    Ok(())
}

/// Seals a link token for the outbox (issue 15, finding 11).
pub fn seal_link_token(ctx: &ServiceContext, token: &str) -> Result<String, ApiError> {
    rubrica_platform::sealed::seal(
        ctx.settings
            .internal_token
            .as_ref()
            .map(|s| s.expose())
            .unwrap_or_default(),
        rubrica_contracts::events::LINK_TOKEN_PURPOSE,
        token,
    )
    .map_err(|e| {
        ApiError::Unavailable(format!(
            "No se pudo preparar el enlace: {e}. Avise al administrador."
        ))
    })
}

/// Applies a pending change: updates the member, revokes their sessions,
/// audits it. `actor` is the member confirming.
async fn apply(
    ctx: &ServiceContext,
    tx: &mut AnyConnection,
    actor: &Caller,
    change_id: &str,
    member_id: &str,
    field: Field,
    new_value: &str,
) -> Result<(), ApiError> {
    let now = now_ms();
    let column = match field {
        Field::Rfc => "UPDATE members SET rfc = $1 WHERE id = $2",
        Field::Email => "UPDATE members SET email = $1 WHERE id = $2",
    };
    sqlx::query(column)
        .bind(new_value)
        .bind(member_id)
        .execute(&mut *tx)
        .await
        .or_unexpected("aplicando el cambio")?;
    sqlx::query("UPDATE member_contact_changes SET confirmed_at = $1 WHERE id = $2")
        .bind(now)
        .bind(change_id)
        .execute(&mut *tx)
        .await
        .or_unexpected("confirmando el cambio")?;
    sqlx::query(
        "UPDATE auth_sessions SET revoked_at = $1 WHERE member_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(member_id)
    .execute(&mut *tx)
    .await
    .or_unexpected("cerrando las sesiones del integrante")?;
    ctx.audit(
        tx,
        actor,
        "integrante.cambio_confirmado",
        Some(member_id),
        json!({ "campo": field.as_str(), "nuevo": new_value, "cambio": change_id }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    Ok(())
}

/// At a FIEL login whose RFC belongs to no member: the member with a pending
/// change to that RFC, if the certificate's holder is that member by name —
/// the change is applied and their id returned.
pub async fn confirm_rfc(
    ctx: &ServiceContext,
    tx: &mut AnyConnection,
    rfc: &str,
    holder_name: &str,
    address: Option<String>,
) -> Result<Option<String>, ApiError> {
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT c.id, c.member_id, m.name, m.secretariat_id FROM member_contact_changes c
         JOIN members m ON m.id = c.member_id
         WHERE c.field = 'rfc' AND c.new_value = $1 AND c.confirmed_at IS NULL
           AND c.cancelled_at IS NULL AND c.expires_at > $2
         ORDER BY c.created_at DESC",
    )
    .bind(rfc)
    .bind(now)
    .fetch_all(&mut *tx)
    .await
    .or_unexpected("buscando cambios de RFC pendientes")?;
    for row in rows {
        let (change_id, member_id, name, secretariat_id): (String, String, String, String) = (
            row.try_get("id").or_unexpected("leyendo el cambio")?,
            row.try_get("member_id")
                .or_unexpected("leyendo el cambio")?,
            row.try_get("name").or_unexpected("leyendo el cambio")?,
            row.try_get("secretariat_id")
                .or_unexpected("leyendo el cambio")?,
        );
        if rubrica_rules::fold(&name) != rubrica_rules::fold(holder_name) {
            continue;
        }
        let actor = Caller {
            actor_id: member_id.clone(),
            name: name.clone(),
            rfc: Some(rfc.to_string()),
            member_id: Some(member_id.clone()),
            secretariat_id: Some(secretariat_id),
            address: address.clone(),
            ..Caller::public(None)
        };
        apply(ctx, tx, &actor, &change_id, &member_id, Field::Rfc, rfc).await?;
        return Ok(Some(member_id));
    }
    Ok(None)
}

/// When a redeemed link confirms an email change: applies it.
pub async fn confirm_email(
    ctx: &ServiceContext,
    tx: &mut AnyConnection,
    change_id: &str,
    actor: &Caller,
) -> Result<(), ApiError> {
    let row = sqlx::query(
        "SELECT member_id, new_value FROM member_contact_changes
         WHERE id = $1 AND field = 'email' AND confirmed_at IS NULL AND cancelled_at IS NULL",
    )
    .bind(change_id)
    .fetch_optional(&mut *tx)
    .await
    .or_unexpected("buscando el cambio de correo")?;
    let Some(row) = row else {
        return Err(ApiError::Unauthorized(
            "El enlace confirmaba un cambio de correo que ya no está pendiente (se confirmó, se reemplazó por otro o venció). Pida a la Presidencia que lo solicite de nuevo.".into(),
        ));
    };
    let member_id: String = row
        .try_get("member_id")
        .or_unexpected("leyendo el cambio")?;
    let new_value: String = row
        .try_get("new_value")
        .or_unexpected("leyendo el cambio")?;
    apply(
        ctx,
        tx,
        actor,
        change_id,
        &member_id,
        Field::Email,
        &new_value,
    )
    .await
}

/// The member's pending changes.
pub async fn pending(
    tx: &mut AnyConnection,
    member_id: &str,
) -> Result<Vec<PendingChange>, ApiError> {
    let rows = sqlx::query(
        "SELECT id, field, new_value, expires_at FROM member_contact_changes
         WHERE member_id = $1 AND confirmed_at IS NULL AND cancelled_at IS NULL AND expires_at > $2
         ORDER BY created_at",
    )
    .bind(member_id)
    .bind(now_ms())
    .fetch_all(&mut *tx)
    .await
    .or_unexpected("leyendo los cambios pendientes")?;
    rows.iter()
        .map(|r| {
            let field: String = r.try_get("field")?;
            let field = if field == "rfc" {
                Field::Rfc
            } else {
                Field::Email
            };
            let how = match field {
                Field::Rfc => {
                    "Surte efecto cuando el integrante inicie sesión con la FIEL del nuevo RFC."
                        .to_string()
                }
                Field::Email => {
                    "Surte efecto cuando el integrante abra el enlace enviado a la nueva dirección."
                        .to_string()
                }
            };
            Ok(PendingChange {
                id: r.try_get("id")?,
                field,
                new_value: r.try_get("new_value")?,
                expires_at: r.try_get("expires_at")?,
                how,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .or_unexpected("leyendo los cambios pendientes")
}
