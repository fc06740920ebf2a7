//! The routes of access: thin handlers over [`super::db`] and the FIEL
//! library.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rubrica_fiel::Certificate;
use rubrica_platform::State;
use rubrica_platform::actix_web::HttpResponse;
use rubrica_platform::auth::{AuthMethod, IntrospectRequest, new_token, token_hash};
use rubrica_platform::db::now_ms;
use rubrica_platform::error::{Json, Path, Query};
use rubrica_platform::http::StatusCode;
use rubrica_platform::routes;
use rubrica_platform::{
    Access, Allowed, ApiError, ApiResult, ApiRouter, Caller, Role, ServiceName,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::db::{self, ApiTokenInfo};
use super::{Auth, parse_role, parse_service, unexpected};

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
    /// RSA PKCS#1 v1.5 with SHA-256.
    pub nonce: String,
    /// Until when it may be used (epoch ms).
    pub expires_at: i64,
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
    /// The role it acts as (titular, facilitador, …; never operador).
    pub role: String,
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
}

/// Filter of the token listing.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TokenFilter {
    /// Only tokens of this secretariat (the President always sees only theirs).
    pub secretariat_id: Option<String>,
}

fn generic_login_refusal() -> ApiError {
    ApiError::Unauthorized(
        "No fue posible iniciar sesión: la firma no corresponde al reto o el RFC del certificado no pertenece a un integrante del secretariado. Verifique que usa su propia FIEL y pida un reto nuevo.".into(),
    )
}

/// Refuses with 429 when the account or the address failed too often.
async fn check_rate(auth: &Auth, keys: &[String]) -> ApiResult<()> {
    let settings = &auth.context.settings.auth;
    let since = now_ms() - (settings.attempt_window_minutes as i64) * 60_000;
    let mut conn = auth
        .context
        .db
        .pool()
        .acquire()
        .await
        .map_err(unexpected("abriendo conexión"))?;
    for key in keys {
        let failures = db::failures_since(&mut conn, key, since)
            .await
            .map_err(unexpected("contando intentos fallidos"))?;
        let limit = if key.starts_with("ip:") {
            settings.max_failed_attempts_per_address
        } else {
            settings.max_failed_attempts
        };
        if failures >= limit as i64 {
            return Err(ApiError::TooManyRequests(format!(
                "Hubo demasiados intentos fallidos de inicio de sesión. Espere {} minutos e intente de nuevo.",
                settings.attempt_window_minutes
            )));
        }
    }
    Ok(())
}

/// Counts a failed attempt against each key (in its own transaction: the
/// failure must be remembered although the request fails).
async fn record_failure(auth: &Auth, keys: &[String]) {
    let now = now_ms();
    let result = async {
        let mut tx = auth.context.begin().await?;
        for key in keys {
            db::record_failure(&mut tx, key, now).await?;
        }
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "no se pudo registrar el intento fallido");
    }
}

fn address_key(caller: &Caller) -> String {
    format!("ip:{}", caller.address.as_deref().unwrap_or("desconocida"))
}

/// Issues a one-time nonce to sign with the FIEL.
#[utoipa::path(
    post,
    path = "/auth/challenge",
    tag = "acceso",
    summary = "Emite un reto de un solo uso para firmar con la FIEL",
    responses((status = 200, description = "Reto emitido", body = Challenge))
)]
async fn challenge(State(auth): State<Auth>, caller: Caller) -> ApiResult<Json<Challenge>> {
    let nonce = new_token("rubrica-reto");
    let now = now_ms();
    let expires_at = now + auth.context.settings.auth.challenge_ttl_seconds as i64 * 1000;
    let mut tx = auth
        .context
        .begin()
        .await
        .map_err(unexpected("abriendo transacción"))?;
    db::insert_challenge(
        &mut tx,
        &uuid::Uuid::now_v7().to_string(),
        &token_hash(&nonce),
        now,
        expires_at,
    )
    .await
    .map_err(unexpected("guardando el reto"))?;
    tx.commit().await.map_err(unexpected("guardando el reto"))?;
    let _ = caller;
    Ok(Json(Challenge {
        nonce,
        expires_at,
        instrucciones: "Firme el texto de «nonce» (sus bytes UTF-8) con la llave privada de su FIEL (RSA PKCS#1 v1.5, SHA-256) y envíe su certificado y la firma, en base64, a /auth/fiel. O use: rubrica login --server URL --cer su.cer --key su.key --password-file contraseña.txt".into(),
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
    let ip = address_key(&caller);
    check_rate(&auth, std::slice::from_ref(&ip)).await?;

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
    let account = format!("cuenta:{}", certificate.rfc());
    let keys = [ip, account];
    check_rate(&auth, &keys).await?;

    // The nonce is spent whatever happens next: a replay never gets a second try.
    let now = now_ms();
    {
        let mut tx = auth
            .context
            .begin()
            .await
            .map_err(unexpected("abriendo transacción"))?;
        let fresh = db::consume_challenge(&mut tx, &token_hash(&login.nonce), now)
            .await
            .map_err(unexpected("consumiendo el reto"))?;
        tx.commit()
            .await
            .map_err(unexpected("consumiendo el reto"))?;
        if !fresh {
            record_failure(&auth, &keys).await;
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
        record_failure(&auth, &keys).await;
        return Err(ApiError::Unauthorized(e.to_string()));
    }
    if certificate
        .verify_sha256(login.nonce.as_bytes(), &signature)
        .is_err()
    {
        record_failure(&auth, &keys).await;
        return Err(generic_login_refusal());
    }
    let rfc = certificate.rfc();

    let mut tx = auth
        .context
        .begin()
        .await
        .map_err(unexpected("abriendo transacción"))?;
    let candidates = db::members_by_rfc(&mut tx, rfc.as_ref())
        .await
        .map_err(unexpected("buscando el integrante"))?;
    let member = match (candidates.len(), &login.secretariat_id) {
        (0, _) => None,
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
        record_failure(&auth, &keys).await;
        return Err(generic_login_refusal());
    };
    let roles = db::roles_on(&mut tx, &member.id, time::OffsetDateTime::now_utc())
        .await
        .map_err(unexpected("calculando los roles"))?;
    if roles.is_empty() {
        drop(tx);
        record_failure(&auth, &keys).await;
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
    tx.commit()
        .await
        .map_err(unexpected("guardando la sesión"))?;
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
    .map_err(unexpected("guardando la sesión"))?;
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
        .map_err(unexpected("registrando en la bitácora"))?;
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
    let keys = [address_key(&caller), format!("cuenta:{email}")];
    check_rate(&auth, &keys).await?;
    // Every request counts toward the limit: links are cheap to ask for and
    // each one sends mail.
    record_failure(&auth, &keys).await;

    let ttl = auth.context.settings.auth.link_ttl_minutes;
    let mut tx = auth
        .context
        .begin()
        .await
        .map_err(unexpected("abriendo transacción"))?;
    let members = db::members_by_email(&mut tx, &email)
        .await
        .map_err(unexpected("buscando el integrante"))?;
    for member in members {
        let roles = db::roles_on(&mut tx, &member.id, time::OffsetDateTime::now_utc())
            .await
            .map_err(unexpected("calculando los roles"))?;
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
        .map_err(unexpected("guardando el enlace"))?;
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
                    "token": token,
                    "server": server,
                    "expires_at": expires_at,
                    "ttl_minutes": ttl,
                }),
            )
            .await
            .map_err(unexpected("encolando el correo"))?;
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
            .map_err(unexpected("registrando en la bitácora"))?;
    }
    auth.context
        .outbox
        .commit(tx)
        .await
        .map_err(unexpected("guardando el enlace"))?;
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
    )
)]
async fn redeem_email_link(
    State(auth): State<Auth>,
    caller: Caller,
    Json(request): Json<RedeemLink>,
) -> ApiResult<Json<SessionGranted>> {
    let keys = [address_key(&caller)];
    check_rate(&auth, &keys).await?;
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
        .map_err(unexpected("abriendo transacción"))?;
    let member_id = db::consume_link(&mut tx, &token_hash(request.token.trim()), now_ms())
        .await
        .map_err(unexpected("consumiendo el enlace"))?;
    let Some(member_id) = member_id else {
        drop(tx);
        record_failure(&auth, &keys).await;
        return Err(refused());
    };
    let member = db::member(&mut tx, &member_id)
        .await
        .map_err(unexpected("leyendo el integrante"))?
        .ok_or_else(refused)?;
    let roles = db::roles_on(&mut tx, &member.id, time::OffsetDateTime::now_utc())
        .await
        .map_err(unexpected("calculando los roles"))?;
    if roles.is_empty() {
        return Err(refused());
    }
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
    tx.commit()
        .await
        .map_err(unexpected("guardando la sesión"))?;
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
        .map_err(unexpected("abriendo transacción"))?;
    db::revoke_session(&mut tx, &id, now_ms())
        .await
        .map_err(unexpected("revocando la sesión"))?;
    auth.context
        .audit(&mut tx, &caller, "acceso.cierre", Some(&id), json!({}))
        .await
        .map_err(unexpected("registrando en la bitácora"))?;
    tx.commit()
        .await
        .map_err(unexpected("revocando la sesión"))?;
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
        (status = 403, description = "Solo la Presidencia o el operador", body = rubrica_platform::Problem),
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
    let mut tx = auth
        .context
        .begin()
        .await
        .map_err(unexpected("abriendo transacción"))?;
    if !db::secretariat_exists(&mut tx, &request.secretariat_id)
        .await
        .map_err(unexpected("buscando el secretariado"))?
    {
        return Err(ApiError::Unprocessable(format!(
            "No existe el secretariado «{}». Revise el identificador.",
            request.secretariat_id
        )));
    }
    let token = new_token("rubrica-api");
    let id = uuid::Uuid::now_v7().to_string();
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
        now_ms(),
    )
    .await
    .map_err(unexpected("guardando el token"))?;
    auth.context
        .audit(
            &mut tx,
            &caller,
            "acceso.token_api_creado",
            Some(&id),
            json!({ "nombre": name, "servicio": service, "rol": role_name, "secretariado": request.secretariat_id }),
        )
        .await
        .map_err(unexpected("registrando en la bitácora"))?;
    tx.commit()
        .await
        .map_err(unexpected("guardando el token"))?;
    Ok((
        Json(ApiTokenCreated {
            id,
            token,
            name: name.to_string(),
            secretariat_id: request.secretariat_id,
            service: service.as_str().to_string(),
            role: role_name,
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
        .map_err(unexpected("abriendo conexión"))?;
    let tokens = db::list_api_tokens(&mut conn, scope.as_deref())
        .await
        .map_err(unexpected("listando los tokens"))?;
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
        .map_err(unexpected("abriendo transacción"))?;
    let secretariat = db::api_token_secretariat(&mut tx, &id)
        .await
        .map_err(unexpected("buscando el token"))?
        .ok_or_else(|| ApiError::NotFound(format!("No existe el token de API «{id}».")))?;
    ensure_own_secretariat(&caller, &secretariat)?;
    db::revoke_api_token(&mut tx, &id, now_ms())
        .await
        .map_err(unexpected("revocando el token"))?;
    auth.context
        .audit(
            &mut tx,
            &caller,
            "acceso.token_api_revocado",
            Some(&id),
            json!({}),
        )
        .await
        .map_err(unexpected("registrando en la bitácora"))?;
    tx.commit()
        .await
        .map_err(unexpected("revocando el token"))?;
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
