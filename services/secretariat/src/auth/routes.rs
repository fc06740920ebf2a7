//! The routes of access: thin handlers over [`super::db`] and the FIEL
//! library.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rubrica_fiel::Certificate;
use rubrica_platform::OrUnexpected;
use rubrica_platform::State;
use rubrica_platform::actix_web::HttpResponse;
use rubrica_platform::auth::{AuthMethod, IntrospectRequest, new_token, token_hash};
use rubrica_platform::db::now_ms;
use rubrica_platform::error::{Json, Path, Query};
use rubrica_platform::http::StatusCode;
use rubrica_platform::routes;
use rubrica_platform::{
    Access, Allowed, ApiError, ApiResult, ApiRouter, Caller, Role, ServiceContext, ServiceName,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use rubrica_contracts::login::{LoginChallenge, origin_of};

use super::db::{self, ApiTokenInfo};
use super::{Auth, parse_role, parse_service};

/// Everybody who holds a session of any kind.
const ANY_SESSION: &[Role] = &[
    Role::President,
    Role::Facilitator,
    Role::Titular,
    Role::Suplente,
    Role::Enlace,
    Role::InvitedMember,
    Role::OutgoingMember,
    Role::Operator,
];

/// Members with a login session (FIEL or mailed link): they list and close
/// their own.
const MEMBER_SESSIONS: &[Role] = Role::MEMBERS_AND_OUTGOING;

/// Who may call each operation of [`router`].
pub const ACCESS: &[Access] = &[
    Access {
        method: "POST",
        path: "/auth/challenge",
        allowed: Allowed::Public,
        action: "pedir un reto de inicio de sesión",
    },
    Access {
        method: "POST",
        path: "/auth/fiel",
        allowed: Allowed::Public,
        action: "iniciar sesión con la FIEL",
    },
    Access {
        method: "POST",
        path: "/auth/email-link",
        allowed: Allowed::Public,
        action: "pedir un enlace de acceso por correo",
    },
    Access {
        method: "POST",
        path: "/auth/email-link/redeem",
        allowed: Allowed::Public,
        action: "usar un enlace de acceso",
    },
    Access {
        method: "GET",
        path: "/auth/me",
        allowed: Allowed::Roles(ANY_SESSION),
        action: "consultar su propia sesión",
    },
    Access {
        method: "POST",
        path: "/auth/logout",
        allowed: Allowed::Roles(ANY_SESSION),
        action: "cerrar su sesión",
    },
    Access {
        method: "GET",
        path: "/auth/sessions",
        allowed: Allowed::Roles(MEMBER_SESSIONS),
        action: "consultar sus sesiones abiertas",
    },
    Access {
        method: "DELETE",
        path: "/auth/sessions/{id}",
        allowed: Allowed::Roles(MEMBER_SESSIONS),
        action: "cerrar una de sus sesiones",
    },
    Access {
        method: "POST",
        path: "/auth/api-tokens",
        allowed: Allowed::Roles(&[Role::President, Role::Operator]),
        action: "crear un token de API",
    },
    Access {
        method: "GET",
        path: "/auth/api-tokens",
        allowed: Allowed::Roles(&[Role::President, Role::Operator]),
        action: "listar los tokens de API",
    },
    Access {
        method: "DELETE",
        path: "/auth/api-tokens/{id}",
        allowed: Allowed::Roles(&[Role::President, Role::Operator]),
        action: "revocar un token de API",
    },
];

/// The public routes of access.
pub fn router(auth: Auth) -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(challenge))
        .routes(routes!(login_fiel))
        .routes(routes!(request_email_link))
        .routes(routes!(redeem_email_link))
        .routes(routes!(me))
        .routes(routes!(logout))
        .routes(routes!(list_sessions))
        .routes(routes!(close_session))
        .routes(routes!(create_api_token, list_api_tokens))
        .routes(routes!(revoke_api_token))
        .with_state(auth)
}

/// The service-to-service route of access (behind the internal token).
pub fn internal_router(auth: Auth) -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(introspect))
        .with_state(auth)
}

/// A one-time login challenge.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Challenge {
    /// The exact text to sign (its UTF-8 bytes) with the FIEL's private key,
    /// RSA PKCS#1 v1.5 with SHA-256: a few lines naming what it is for, the
    /// server's origin, when it was issued and until when it is valid, and a
    /// random one-time part (`rubrica_contracts::login::LoginChallenge`).
    /// Clients check the origin and the time before signing.
    pub nonce: String,
    /// Until when it may be used (epoch ms).
    pub expires_at: i64,
    /// The server's origin (`scheme://host[:port]`) written in the text.
    pub origin: String,
    /// How to use it.
    pub instrucciones: String,
}

/// A FIEL login.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FielLogin {
    /// The nonce received from `/auth/challenge`.
    pub nonce: String,
    /// The member's `.cer`, base64 of its DER bytes.
    pub certificate: String,
    /// Base64 of the signature over the nonce's bytes.
    pub signature: String,
    /// When the member belongs to several secretariats: which one.
    pub secretariat_id: Option<String>,
}

/// A granted session.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionGranted {
    /// The bearer token: send it as `Authorization: Bearer …`. Shown once.
    pub token: String,
    /// When it stops working (epoch ms).
    pub expires_at: i64,
    /// Who it identifies and their roles today.
    pub caller: Caller,
}

/// A request for a one-time link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailLinkRequest {
    /// The member's contact email.
    pub email: String,
}

/// The same answer whether or not the address belongs to a member.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EmailLinkAccepted {
    pub mensaje: String,
}

/// A one-time link being used.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RedeemLink {
    /// The token from the mailed link.
    pub token: String,
}

/// A new API token.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewApiToken {
    /// What it is for, e.g. "sincronización del portal".
    pub name: String,
    /// The secretariat it acts in.
    pub secretariat_id: String,
    /// The only service it works on (secretariat, documents, signing, mail, archive).
    pub service: String,
    /// The role it acts as: one the creator holds today (titular,
    /// facilitador, …; never operador). The operator may give any role but
    /// operador.
    pub role: String,
    /// Days it works, from now: required, from 1 up to `auth.api_token_max_days`
    /// (365 by default). A token also stops working when its creator no longer
    /// holds its role.
    pub valid_days: u32,
}

/// A created API token: the value is shown only here.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiTokenCreated {
    pub id: String,
    /// The token. Store it now: it is not shown again and cannot be recovered.
    pub token: String,
    pub name: String,
    pub secretariat_id: String,
    pub service: String,
    pub role: String,
    /// When it stops working (epoch ms).
    pub expires_at: i64,
}

/// Filter of the token listing.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenFilter {
    /// Only tokens of this secretariat (the President always sees only theirs).
    pub secretariat_id: Option<String>,
}

fn generic_login_refusal() -> ApiError {
    ApiError::Unauthorized(
        "No fue posible iniciar sesión: la firma no corresponde al reto o el RFC del certificado no pertenece a un integrante del secretariado. Verifique que usa su propia FIEL y pida un reto nuevo.".into(),
    )
}

/// What a rate-limit counter counts, and against whom. Login failures are
/// counted only against the client's address: a request whose signature does
/// not verify proves nothing about the member whose (public) certificate it
/// carries, so it never counts against their account (issue 15, finding 4).
#[derive(Clone, Copy)]
pub(crate) enum Counter {
    /// Failed FIEL logins and failed link redemptions, per address.
    LoginFailures,
    /// Mailed-link requests, per address.
    LinkRequestsFromAddress,
    /// Mailed-link requests, per email address.
    LinkRequestsForEmail,
    /// Login challenges issued, per address.
    Challenges,
    /// Forms the public sends (questions, complaints and suggestions; requests
    /// to join), per address.
    PublicForms,
}

impl Counter {
    /// The row key in `auth_failures`.
    fn key(self, subject: &str) -> String {
        let prefix = match self {
            Counter::LoginFailures => "ip",
            Counter::LinkRequestsFromAddress => "enlace-ip",
            Counter::LinkRequestsForEmail => "enlace-cuenta",
            Counter::Challenges => "reto-ip",
            Counter::PublicForms => "formulario-ip",
        };
        format!("{prefix}:{subject}")
    }

    fn limit(self, settings: &rubrica_platform::config::AuthSettings) -> u64 {
        match self {
            Counter::LoginFailures | Counter::LinkRequestsFromAddress => {
                settings.max_failed_attempts_per_address
            }
            Counter::LinkRequestsForEmail => settings.max_link_requests,
            Counter::Challenges => settings.max_challenges_per_address,
            Counter::PublicForms => settings.max_public_forms_per_address,
        }
    }

    fn refusal(self, window: u64) -> ApiError {
        ApiError::TooManyRequests(match self {
            Counter::LoginFailures => format!(
                "Hubo demasiados intentos fallidos de inicio de sesión desde su dirección. Espere {window} minutos e intente de nuevo."
            ),
            Counter::LinkRequestsFromAddress | Counter::LinkRequestsForEmail => format!(
                "Se pidieron demasiados enlaces de acceso. Espere {window} minutos, revise su correo (también la carpeta de no deseados) o entre con su FIEL."
            ),
            Counter::Challenges => format!(
                "Se pidieron demasiados retos de inicio de sesión desde su dirección. Espere {window} minutos e intente de nuevo."
            ),
            Counter::PublicForms => format!(
                "Se enviaron demasiados formularios desde su dirección. Espere {window} minutos e intente de nuevo; lo que escribió no se perdió si lo conserva en la página."
            ),
        })
    }
}

/// Refuses with 429 when any of `counters` reached its limit in the window.
pub(crate) async fn check_rate(
    context: &ServiceContext,
    counters: &[(Counter, String)],
) -> ApiResult<()> {
    let settings = &context.settings.auth;
    let since = now_ms() - (settings.attempt_window_minutes as i64) * 60_000;
    let mut conn = context
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("abriendo conexión")?;
    for (counter, subject) in counters {
        let count = db::failures_since(&mut conn, &counter.key(subject), since)
            .await
            .or_unexpected("contando intentos")?;
        if count >= counter.limit(settings) as i64 {
            return Err(counter.refusal(settings.attempt_window_minutes));
        }
    }
    Ok(())
}

/// Counts one event on each counter (in its own transaction: a failure must
/// be remembered although the request fails).
pub(crate) async fn record_failure(context: &ServiceContext, counters: &[(Counter, String)]) {
    let now = now_ms();
    let result = async {
        let mut tx = context.begin().await?;
        for (counter, subject) in counters {
            db::record_failure(&mut tx, &counter.key(subject), now).await?;
        }
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "no se pudo registrar el intento fallido");
    }
}

/// The caller's address, as counters name it.
pub(crate) fn address_of(caller: &Caller) -> String {
    caller
        .address
        .clone()
        .unwrap_or_else(|| "desconocida".to_string())
}

/// The origin members reach this server at: from `http.public_url`, or the
/// secretariat's own address. Never from a request header, which whoever
/// sends the request chooses.
fn server_origin(auth: &Auth) -> ApiResult<String> {
    let settings = &auth.context.settings;
    settings
        .http
        .public_url
        .as_deref()
        .or_else(|| auth.context.service_url(ServiceName::Secretariat))
        .and_then(origin_of)
        .ok_or_else(|| {
            ApiError::Unavailable(
                "El inicio de sesión con FIEL no está disponible: el servidor no conoce su dirección pública. El administrador debe definir http.public_url (RUBRICA_HTTP__PUBLIC_URL).".into(),
            )
        })
}

/// Issues a one-time nonce to sign with the FIEL.
#[utoipa::path(
    post,
    path = "/auth/challenge",
    tag = "acceso",
    summary = "Emite un reto de un solo uso para firmar con la FIEL",
    responses(
        (status = 200, description = "Reto emitido", body = Challenge),
        (status = 429, description = "Demasiados retos pedidos desde su dirección", body = rubrica_platform::Problem),
        (status = 503, description = "El servidor no conoce su dirección pública", body = rubrica_platform::Problem),
    )
)]
async fn challenge(State(auth): State<Auth>, caller: Caller) -> ApiResult<Json<Challenge>> {
    let counted = [(Counter::Challenges, address_of(&caller))];
    check_rate(&auth.context, &counted).await?;
    record_failure(&auth.context, &counted).await;
    let now = now_ms();
    let origin = server_origin(&auth)?;
    let issued = LoginChallenge {
        origin,
        issued_at: now,
        expires_at: now + auth.context.settings.auth.challenge_ttl_seconds as i64 * 1000,
        nonce: new_token("rubrica-reto"),
    };
    let expires_at = issued.expires_at;
    let nonce = issued.to_text();
    let mut tx = auth
        .context
        .begin()
        .await
        .or_unexpected("abriendo transacción")?;
    db::insert_challenge(
        &mut tx,
        &uuid::Uuid::now_v7().to_string(),
        &token_hash(&nonce),
        now,
        expires_at,
    )
    .await
    .or_unexpected("guardando el reto")?;
    tx.commit().await.or_unexpected("guardando el reto")?;
    Ok(Json(Challenge {
        nonce,
        expires_at,
        origin: issued.origin,
        instrucciones: "Compruebe que «servidor» en el texto de «nonce» es la dirección a la que usted se conectó y que la hora es la actual; después firme ese texto (sus bytes UTF-8) con la llave privada de su FIEL (RSA PKCS#1 v1.5, SHA-256) y envíe su certificado y la firma, en base64, a /auth/fiel. O use: rubrica login --server URL --cer su.cer --key su.key --password-file contraseña.txt".into(),
    }))
}

/// Logs a member in with a signed challenge.
#[utoipa::path(
    post,
    path = "/auth/fiel",
    tag = "acceso",
    summary = "Inicia sesión con la FIEL: certificado y firma del reto",
    request_body = FielLogin,
    responses(
        (status = 200, description = "Sesión iniciada", body = SessionGranted),
        (status = 400, description = "Certificado o firma ilegibles", body = rubrica_platform::Problem),
        (status = 401, description = "Reto, certificado o firma no válidos, o RFC que no es de un integrante", body = rubrica_platform::Problem),
        (status = 429, description = "Demasiados intentos fallidos", body = rubrica_platform::Problem),
        (status = 503, description = "No hay autoridades de confianza configuradas", body = rubrica_platform::Problem),
    )
)]
async fn login_fiel(
    State(auth): State<Auth>,
    caller: Caller,
    Json(login): Json<FielLogin>,
) -> ApiResult<Json<SessionGranted>> {
    let keys = [(Counter::LoginFailures, address_of(&caller))];
    check_rate(&auth.context, &keys).await?;

    let der = BASE64.decode(login.certificate.trim()).map_err(|_| {
        ApiError::BadRequest(
            "El certificado no está en base64. Envíe el contenido de su archivo .cer codificado en base64.".into(),
        )
    })?;
    let signature = BASE64.decode(login.signature.trim()).map_err(|_| {
        ApiError::BadRequest(
            "La firma no está en base64. Envíe la firma del reto codificada en base64.".into(),
        )
    })?;
    let certificate =
        Certificate::from_bytes(&der).map_err(|e| ApiError::BadRequest(e.to_string()))?;

    // The nonce is spent whatever happens next: a replay never gets a second try.
    let now = now_ms();
    {
        let mut tx = auth
            .context
            .begin()
            .await
            .or_unexpected("abriendo transacción")?;
        let fresh = db::consume_challenge(&mut tx, &token_hash(&login.nonce), now)
            .await
            .or_unexpected("consumiendo el reto")?;
        tx.commit().await.or_unexpected("consumiendo el reto")?;
        if !fresh {
            record_failure(&auth.context, &keys).await;
            return Err(ApiError::Unauthorized(
                "El reto no es válido: ya se usó, venció o no lo emitió este servidor. Pida uno nuevo en /auth/challenge.".into(),
            ));
        }
    }

    let validator = match auth.validator.as_ref() {
        Ok(v) => v,
        Err(reason) => {
            return Err(ApiError::Unavailable(format!(
                "El inicio de sesión con FIEL no está disponible: {reason}. Use un enlace de acceso por correo o avise al administrador."
            )));
        }
    };
    // CSD, expired, not yet valid, untrusted: each with its own Spanish reason.
    let report = validator.validate(&certificate, time::OffsetDateTime::now_utc());
    if let Err(e) = report.ensure_valid() {
        record_failure(&auth.context, &keys).await;
        return Err(ApiError::Unauthorized(e.to_string()));
    }
    if certificate
        .verify_sha256(login.nonce.as_bytes(), &signature)
        .is_err()
    {
        record_failure(&auth.context, &keys).await;
        return Err(generic_login_refusal());
    }
    let rfc = certificate.rfc();

    let mut tx = auth
        .context
        .begin()
        .await
        .or_unexpected("abriendo transacción")?;
    let candidates = db::members_by_rfc(&mut tx, rfc.as_ref())
        .await
        .or_unexpected("buscando el integrante")?;
    let member = match (candidates.len(), &login.secretariat_id) {
        // Nobody has this RFC yet: perhaps a member confirms a change to it.
        (0, _) => match super::changes::confirm_rfc(
            &auth.context,
            &mut tx,
            rfc.as_ref(),
            certificate.holder_name(),
            caller.address.clone(),
        )
        .await?
        {
            Some(id) => db::member(&mut tx, &id)
                .await
                .or_unexpected("leyendo el integrante")?,
            None => None,
        },
        (_, Some(wanted)) => candidates.into_iter().find(|m| &m.secretariat_id == wanted),
        (1, None) => candidates.into_iter().next(),
        (_, None) => {
            return Err(ApiError::Conflict(
                "Su RFC pertenece a varios secretariados: indique en «secretariat_id» a cuál desea entrar.".into(),
            ));
        }
    };
    let Some(member) = member else {
        drop(tx);
        record_failure(&auth.context, &keys).await;
        return Err(generic_login_refusal());
    };
    let roles = db::roles_on(&mut tx, &member.id, time::OffsetDateTime::now_utc())
        .await
        .or_unexpected("calculando los roles")?;
    if roles.is_empty() {
        drop(tx);
        record_failure(&auth.context, &keys).await;
        return Err(generic_login_refusal());
    }
    let granted = grant_session(
        &auth,
        &mut tx,
        &member,
        roles,
        AuthMethod::Fiel,
        certificate.certificate_number().map(|n| n.to_string()),
        caller.address.clone(),
    )
    .await?;
    tx.commit().await.or_unexpected("guardando la sesión")?;
    Ok(Json(granted))
}

/// Creates a session in `tx` and audits it.
async fn grant_session(
    auth: &Auth,
    tx: &mut sqlx::AnyConnection,
    member: &db::Member,
    roles: Vec<Role>,
    method: AuthMethod,
    certificate_number: Option<String>,
    address: Option<String>,
) -> ApiResult<SessionGranted> {
    let token = new_token("rubrica-sesion");
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let expires_at = now + auth.context.settings.auth.session_ttl_minutes as i64 * 60_000;
    let method_name = match method {
        AuthMethod::Fiel => "fiel",
        _ => "enlace_correo",
    };
    db::insert_session(
        tx,
        &id,
        &token_hash(&token),
        &member.id,
        method_name,
        certificate_number.as_deref(),
        now,
        expires_at,
        address.as_deref(),
    )
    .await
    .or_unexpected("guardando la sesión")?;
    let caller = Caller {
        actor_id: member.id.clone(),
        name: member.name.clone(),
        rfc: Some(member.rfc.clone()),
        member_id: Some(member.id.clone()),
        secretariat_id: Some(member.secretariat_id.clone()),
        roles,
        method: Some(method),
        scope_service: None,
        credential_id: Some(id.clone()),
        address,
    };
    auth.context
        .audit(
            tx,
            &caller,
            if method == AuthMethod::Fiel {
                "acceso.inicio_fiel"
            } else {
                "acceso.inicio_enlace"
            },
            Some(&id),
            json!({ "certificado": certificate_number, "vence": expires_at }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
    Ok(SessionGranted {
        token,
        expires_at,
        caller,
    })
}

/// Mails a one-time access link to a member.
#[utoipa::path(
    post,
    path = "/auth/email-link",
    tag = "acceso",
    summary = "Envía por correo un enlace de acceso de un solo uso (no permite firmar)",
    request_body = EmailLinkRequest,
    responses(
        (status = 202, description = "Solicitud recibida (misma respuesta exista o no la cuenta)", body = EmailLinkAccepted),
        (status = 429, description = "Demasiadas solicitudes", body = rubrica_platform::Problem),
    )
)]
async fn request_email_link(
    State(auth): State<Auth>,
    caller: Caller,
    Json(request): Json<EmailLinkRequest>,
) -> ApiResult<(Json<EmailLinkAccepted>, StatusCode)> {
    let email = request.email.trim().to_lowercase();
    if !email.contains('@') || email.len() > 254 {
        return Err(ApiError::BadRequest(
            "El correo no es válido. Escriba la dirección completa, por ejemplo nombre@dominio.mx."
                .into(),
        ));
    }
    let keys = [
        (Counter::LinkRequestsFromAddress, address_of(&caller)),
        (Counter::LinkRequestsForEmail, email.clone()),
    ];
    check_rate(&auth.context, &keys).await?;
    // Every request counts toward the limit: links are cheap to ask for and
    // each one sends mail.
    record_failure(&auth.context, &keys).await;

    let ttl = auth.context.settings.auth.link_ttl_minutes;
    let mut tx = auth
        .context
        .begin()
        .await
        .or_unexpected("abriendo transacción")?;
    let members = db::members_by_email(&mut tx, &email)
        .await
        .or_unexpected("buscando el integrante")?;
    for member in members {
        let roles = db::roles_on(&mut tx, &member.id, time::OffsetDateTime::now_utc())
            .await
            .or_unexpected("calculando los roles")?;
        if roles.is_empty() {
            continue;
        }
        let token = new_token("rubrica-enlace");
        let id = uuid::Uuid::now_v7().to_string();
        let now = now_ms();
        let expires_at = now + ttl as i64 * 60_000;
        db::insert_link(
            &mut tx,
            &id,
            &token_hash(&token),
            &member.id,
            now,
            expires_at,
        )
        .await
        .or_unexpected("guardando el enlace")?;
        let server = auth
            .context
            .settings
            .http
            .public_url
            .clone()
            .map(|u| format!("{}/secretariat", u.trim_end_matches('/')))
            .or_else(|| {
                auth.context
                    .service_url(ServiceName::Secretariat)
                    .map(str::to_string)
            })
            .unwrap_or_default();
        auth.context
            .outbox
            .record(
                &mut tx,
                rubrica_contracts::events::AUTH_LINK_REQUESTED,
                &json!({
                    "to_email": member.email,
                    "to_name": member.name,
                    "secretariat_id": member.secretariat_id,
                    "token_sealed": super::changes::seal_link_token(&auth.context, &token)?,
                    "server": server,
                    "expires_at": expires_at,
                    "ttl_minutes": ttl,
                }),
            )
            .await
            .or_unexpected("encolando el correo")?;
        let acting = Caller {
            actor_id: member.id.clone(),
            name: member.name.clone(),
            rfc: Some(member.rfc.clone()),
            member_id: Some(member.id.clone()),
            secretariat_id: Some(member.secretariat_id.clone()),
            roles,
            method: None,
            scope_service: None,
            credential_id: None,
            address: caller.address.clone(),
        };
        auth.context
            .audit(
                &mut tx,
                &acting,
                "acceso.enlace_solicitado",
                Some(&id),
                json!({ "vence": expires_at }),
            )
            .await
            .or_unexpected("registrando en la bitácora")?;
    }
    auth.context
        .outbox
        .commit(tx)
        .await
        .or_unexpected("guardando el enlace")?;
    Ok((
        Json(EmailLinkAccepted {
            mensaje: format!(
                "Si el correo pertenece a un integrante del secretariado, recibirá un enlace de acceso válido por {ttl} minutos y de un solo uso. Ese acceso permite consultar y gestionar, pero no firmar: para firmar use su FIEL."
            ),
        }),
        StatusCode::ACCEPTED,
    ))
}

/// Exchanges a mailed link for a session that cannot sign.
#[utoipa::path(
    post,
    path = "/auth/email-link/redeem",
    tag = "acceso",
    summary = "Usa un enlace de acceso: abre una sesión que no permite firmar",
    request_body = RedeemLink,
    responses(
        (status = 200, description = "Sesión iniciada", body = SessionGranted),
        (status = 401, description = "Enlace usado, vencido o inexistente", body = rubrica_platform::Problem),
        (status = 429, description = "Demasiados intentos fallidos desde esta dirección o para esta cuenta", body = rubrica_platform::Problem),
    )
)]
async fn redeem_email_link(
    State(auth): State<Auth>,
    caller: Caller,
    Json(request): Json<RedeemLink>,
) -> ApiResult<Json<SessionGranted>> {
    let keys = [(Counter::LoginFailures, address_of(&caller))];
    check_rate(&auth.context, &keys).await?;
    let refused = || {
        ApiError::Unauthorized(
            "El enlace de acceso no es válido: ya se usó, venció o no existe. Pida uno nuevo."
                .into(),
        )
    };
    let mut tx = auth
        .context
        .begin()
        .await
        .or_unexpected("abriendo transacción")?;
    let consumed = db::consume_link(&mut tx, &token_hash(request.token.trim()), now_ms())
        .await
        .or_unexpected("consumiendo el enlace")?;
    let Some((member_id, change)) = consumed else {
        drop(tx);
        record_failure(&auth.context, &keys).await;
        return Err(refused());
    };
    let member = db::member(&mut tx, &member_id)
        .await
        .or_unexpected("leyendo el integrante")?
        .ok_or_else(refused)?;
    let roles = db::roles_on(&mut tx, &member.id, time::OffsetDateTime::now_utc())
        .await
        .or_unexpected("calculando los roles")?;
    if roles.is_empty() {
        return Err(refused());
    }
    // A link mailed to a new address confirms it (issue 15, finding 8).
    let member = match change {
        None => member,
        Some(change) => {
            let actor = Caller {
                actor_id: member.id.clone(),
                name: member.name.clone(),
                rfc: Some(member.rfc.clone()),
                member_id: Some(member.id.clone()),
                secretariat_id: Some(member.secretariat_id.clone()),
                roles: roles.clone(),
                address: caller.address.clone(),
                ..Caller::public(None)
            };
            super::changes::confirm_email(&auth.context, &mut tx, &change, &actor).await?;
            db::member(&mut tx, &member_id)
                .await
                .or_unexpected("leyendo el integrante")?
                .ok_or_else(refused)?
        }
    };
    let granted = grant_session(
        &auth,
        &mut tx,
        &member,
        roles,
        AuthMethod::EnlaceCorreo,
        None,
        caller.address.clone(),
    )
    .await?;
    tx.commit().await.or_unexpected("guardando la sesión")?;
    Ok(Json(granted))
}

/// Who the caller is, with their roles today.
#[utoipa::path(
    get,
    path = "/auth/me",
    tag = "acceso",
    summary = "Muestra quién es usted y sus roles de hoy",
    security(("sesion" = [])),
    responses((status = 200, description = "Su identidad", body = Caller))
)]
async fn me(caller: Caller) -> Json<Caller> {
    Json(caller)
}

/// Ends the caller's session.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "acceso",
    summary = "Cierra (revoca) su sesión",
    security(("sesion" = [])),
    responses(
        (status = 204, description = "Sesión cerrada"),
        (status = 422, description = "La credencial no es una sesión", body = rubrica_platform::Problem),
    )
)]
async fn logout(State(auth): State<Auth>, caller: Caller) -> ApiResult<HttpResponse> {
    let (Some(id), Some(AuthMethod::Fiel | AuthMethod::EnlaceCorreo)) =
        (caller.credential_id.clone(), caller.method)
    else {
        return Err(ApiError::Unprocessable(
            "Esta credencial no es una sesión: los tokens de API se revocan en /auth/api-tokens/{id}.".into(),
        ));
    };
    let mut tx = auth
        .context
        .begin()
        .await
        .or_unexpected("abriendo transacción")?;
    db::revoke_session(&mut tx, &id, now_ms())
        .await
        .or_unexpected("revocando la sesión")?;
    auth.context
        .audit(&mut tx, &caller, "acceso.cierre", Some(&id), json!({}))
        .await
        .or_unexpected("registrando en la bitácora")?;
    tx.commit().await.or_unexpected("revocando la sesión")?;
    Ok(HttpResponse::NoContent().finish())
}

/// One of the caller's open sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenSession {
    pub id: String,
    /// `fiel` or `enlace_correo`.
    pub method: String,
    /// The FIEL certificate used, for FIEL sessions.
    pub certificate_number: Option<String>,
    /// Epoch ms.
    pub created_at: i64,
    /// Epoch ms.
    pub expires_at: i64,
    /// Whether it is the session of this request.
    pub current: bool,
}

/// The caller's open (not expired, not closed) sessions, newest first.
#[utoipa::path(
    get,
    path = "/auth/sessions",
    tag = "acceso",
    summary = "Lista sus sesiones abiertas (con e.firma o con enlace por correo), la más reciente primero",
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Sus sesiones abiertas", body = Vec<OpenSession>),
        (status = 401, description = "Falta iniciar sesión", body = rubrica_platform::Problem),
        (status = 422, description = "La credencial no es la sesión de un integrante", body = rubrica_platform::Problem),
    )
)]
async fn list_sessions(
    State(auth): State<Auth>,
    caller: Caller,
) -> ApiResult<Json<Vec<OpenSession>>> {
    let member_id = session_member(&caller)?;
    let mut conn = auth
        .context
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("obteniendo una conexión")?;
    let rows = db::open_sessions(&mut conn, &member_id, now_ms())
        .await
        .or_unexpected("leyendo las sesiones")?;
    Ok(Json(
        rows.into_iter()
            .map(
                |(id, method, certificate_number, created_at, expires_at)| OpenSession {
                    current: caller.credential_id.as_deref() == Some(id.as_str()),
                    id,
                    method,
                    certificate_number,
                    created_at,
                    expires_at,
                },
            )
            .collect(),
    ))
}

/// The member of a login session, or why not.
fn session_member(caller: &Caller) -> ApiResult<String> {
    match (&caller.member_id, caller.method) {
        (Some(member_id), Some(AuthMethod::Fiel | AuthMethod::EnlaceCorreo)) => {
            Ok(member_id.clone())
        }
        _ => Err(ApiError::Unprocessable(
            "Esta credencial no es la sesión de un integrante: las sesiones se consultan con la sesión iniciada con e.firma o con un enlace por correo.".into(),
        )),
    }
}

/// Path of one of the caller's sessions.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SessionPath {
    /// The session's id.
    pub id: String,
}

/// Closes one of the caller's own sessions (another browser, a lost phone).
#[utoipa::path(
    delete,
    path = "/auth/sessions/{id}",
    tag = "acceso",
    summary = "Cierra una de sus sesiones abiertas (otro navegador, un teléfono perdido)",
    params(SessionPath),
    security(("sesion" = [])),
    responses(
        (status = 204, description = "Sesión cerrada"),
        (status = 401, description = "Falta iniciar sesión", body = rubrica_platform::Problem),
        (status = 404, description = "No es una de sus sesiones abiertas", body = rubrica_platform::Problem),
        (status = 422, description = "La credencial no es la sesión de un integrante", body = rubrica_platform::Problem),
    )
)]
async fn close_session(
    State(auth): State<Auth>,
    caller: Caller,
    Path(path): Path<SessionPath>,
) -> ApiResult<HttpResponse> {
    let member_id = session_member(&caller)?;
    let mut tx = auth
        .context
        .begin()
        .await
        .or_unexpected("abriendo transacción")?;
    let closed = db::revoke_member_session(&mut tx, &path.id, &member_id, now_ms())
        .await
        .or_unexpected("cerrando la sesión")?;
    if !closed {
        return Err(ApiError::NotFound(
            "Esa no es una de sus sesiones abiertas: consulte la lista en GET /auth/sessions."
                .into(),
        ));
    }
    auth.context
        .audit(
            &mut tx,
            &caller,
            "acceso.cierre",
            Some(&path.id),
            json!({ "desde_otra_sesion": true }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
    tx.commit().await.or_unexpected("cerrando la sesión")?;
    Ok(HttpResponse::NoContent().finish())
}

/// The President acts only in their own secretariat; the operator anywhere.
fn ensure_own_secretariat(caller: &Caller, secretariat_id: &str) -> ApiResult<()> {
    if caller.has_any(&[Role::Operator]) || caller.secretariat_id.as_deref() == Some(secretariat_id)
    {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "Solo puede administrar los tokens de su propio secretariado.".into(),
        ))
    }
}

/// Creates an API token, shown once.
#[utoipa::path(
    post,
    path = "/auth/api-tokens",
    tag = "acceso",
    summary = "Crea un token de API para automatización (se muestra una sola vez)",
    request_body = NewApiToken,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Token creado", body = ApiTokenCreated),
        (status = 403, description = "Solo la Presidencia o el operador, con una sesión (no con un token) y un rol que tenga", body = rubrica_platform::Problem),
        (status = 422, description = "Datos no válidos", body = rubrica_platform::Problem),
    )
)]
async fn create_api_token(
    State(auth): State<Auth>,
    caller: Caller,
    Json(request): Json<NewApiToken>,
) -> ApiResult<(Json<ApiTokenCreated>, StatusCode)> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(ApiError::Unprocessable(
            "El nombre del token es obligatorio (hasta 120 caracteres): diga para qué se usará."
                .into(),
        ));
    }
    let service = parse_service(&request.service).ok_or_else(|| {
        ApiError::Unprocessable(format!(
            "El servicio «{}» no existe: use secretariat, documents, signing, mail o archive.",
            request.service
        ))
    })?;
    let role = parse_role(&request.role)
        .filter(|r| *r != Role::Operator)
        .ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "El rol «{}» no es válido para un token: use presidente, facilitador, titular, suplente, enlace, invitado o saliente.",
                request.role
            ))
        })?;
    ensure_own_secretariat(&caller, &request.secretariat_id)?;
    if caller.method == Some(AuthMethod::TokenApi) {
        return Err(ApiError::Forbidden(
            "Un token de API no puede crear tokens: inicie sesión con su FIEL para crearlo.".into(),
        ));
    }
    if !caller.has_any(&[Role::Operator]) && !caller.roles.contains(&role) {
        return Err(ApiError::Forbidden(format!(
            "No puede crear un token con el rol «{}»: un token solo puede tener un rol que usted tenga hoy.",
            request.role
        )));
    }
    let max_days = auth.context.settings.auth.api_token_max_days;
    if request.valid_days == 0 || u64::from(request.valid_days) > max_days {
        return Err(ApiError::Unprocessable(format!(
            "La vigencia del token («valid_days») debe ser de 1 a {max_days} días."
        )));
    }
    let mut tx = auth
        .context
        .begin()
        .await
        .or_unexpected("abriendo transacción")?;
    if !db::secretariat_exists(&mut tx, &request.secretariat_id)
        .await
        .or_unexpected("buscando el secretariado")?
    {
        return Err(ApiError::Unprocessable(format!(
            "No existe el secretariado «{}». Revise el identificador.",
            request.secretariat_id
        )));
    }
    let token = new_token("rubrica-api");
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let expires_at = now + i64::from(request.valid_days) * 86_400_000;
    let role_name = serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    db::insert_api_token(
        &mut tx,
        &id,
        &token_hash(&token),
        name,
        &request.secretariat_id,
        service.as_str(),
        &role_name,
        &caller.actor_id,
        now,
        expires_at,
    )
    .await
    .or_unexpected("guardando el token")?;
    auth.context
        .audit(
            &mut tx,
            &caller,
            "acceso.token_api_creado",
            Some(&id),
            json!({ "nombre": name, "servicio": service, "rol": role_name, "secretariado": request.secretariat_id, "vence": expires_at }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
    tx.commit().await.or_unexpected("guardando el token")?;
    Ok((
        Json(ApiTokenCreated {
            id,
            token,
            name: name.to_string(),
            secretariat_id: request.secretariat_id,
            service: service.as_str().to_string(),
            role: role_name,
            expires_at,
        }),
        StatusCode::CREATED,
    ))
}

/// Lists API tokens (never their values).
#[utoipa::path(
    get,
    path = "/auth/api-tokens",
    tag = "acceso",
    summary = "Lista los tokens de API (sin su valor)",
    params(TokenFilter),
    security(("sesion" = [])),
    responses((status = 200, description = "Tokens", body = Vec<ApiTokenInfo>))
)]
async fn list_api_tokens(
    State(auth): State<Auth>,
    caller: Caller,
    Query(filter): Query<TokenFilter>,
) -> ApiResult<Json<Vec<ApiTokenInfo>>> {
    let scope = if caller.has_any(&[Role::Operator]) {
        filter.secretariat_id
    } else {
        caller.secretariat_id.clone()
    };
    let mut conn = auth
        .context
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("abriendo conexión")?;
    let tokens = db::list_api_tokens(&mut conn, scope.as_deref())
        .await
        .or_unexpected("listando los tokens")?;
    Ok(Json(tokens))
}

/// Revokes an API token.
#[utoipa::path(
    delete,
    path = "/auth/api-tokens/{id}",
    tag = "acceso",
    summary = "Revoca un token de API",
    params(("id" = String, Path, description = "Identificador del token")),
    security(("sesion" = [])),
    responses(
        (status = 204, description = "Token revocado"),
        (status = 404, description = "No existe", body = rubrica_platform::Problem),
    )
)]
async fn revoke_api_token(
    State(auth): State<Auth>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<HttpResponse> {
    let mut tx = auth
        .context
        .begin()
        .await
        .or_unexpected("abriendo transacción")?;
    let secretariat = db::api_token_secretariat(&mut tx, &id)
        .await
        .or_unexpected("buscando el token")?
        .ok_or_else(|| ApiError::NotFound(format!("No existe el token de API «{id}».")))?;
    ensure_own_secretariat(&caller, &secretariat)?;
    db::revoke_api_token(&mut tx, &id, now_ms())
        .await
        .or_unexpected("revocando el token")?;
    auth.context
        .audit(
            &mut tx,
            &caller,
            "acceso.token_api_revocado",
            Some(&id),
            json!({}),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
    tx.commit().await.or_unexpected("revocando el token")?;
    Ok(HttpResponse::NoContent().finish())
}

/// Resolves a token for another service.
#[utoipa::path(
    post,
    path = "/internal/auth/introspect",
    tag = "interno",
    summary = "Resuelve un token de sesión o de API para otro servicio",
    request_body = IntrospectRequest,
    security(("internal_token" = [])),
    responses(
        (status = 200, description = "El titular del token y sus roles de hoy", body = Caller),
        (status = 401, description = "Token desconocido, vencido o revocado", body = rubrica_platform::Problem),
    )
)]
async fn introspect(
    State(auth): State<Auth>,
    Json(request): Json<IntrospectRequest>,
) -> ApiResult<Json<Caller>> {
    match auth.resolve(&request.token).await? {
        Some(caller) => Ok(Json(caller)),
        None => Err(ApiError::Unauthorized(
            "El token no es válido, venció o fue revocado.".into(),
        )),
    }
}
