//! The mail service's API: where every message stands (per message, and so
//! per recipient: a message has one), its attempts, and retrying dead
//! letters.
//!
//! Access: the President and the facilitator of a secretariat see its
//! messages and retry its dead letters (the facilitator collects signatures
//! and copies, 004); the installation operator sees every secretariat's
//! messages. Bodies are never shown: they may hold access tokens.

use rubrica_platform::OrUnexpected;
use std::collections::BTreeMap;
use std::sync::Arc;

use rubrica_platform::db::now_ms;
use rubrica_platform::error::{Path, Query};
use rubrica_platform::http::{self, Caching, Disposition, State, StatusCode};
use rubrica_platform::{Access, ApiError, ApiResult, Caller, Json, Problem, Role};
use rubrica_platform::{ApiRouter, routes};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::compose;
use crate::db::{self, Filter};
use crate::model::{MessageDetail, MessageKind, MessageView, Status};
use crate::queue::Mailer;

/// Who follows the mail of a secretariat.
const READERS: &[Role] = &[Role::President, Role::Facilitator, Role::Operator];

/// Who retries dead letters.
const RETRIERS: &[Role] = &[Role::Facilitator, Role::President];

/// Who may call each operation of [`router`].
pub const ACCESS: &[Access] = &[
    Access::roles(
        "GET",
        "/messages",
        READERS,
        "consultar los mensajes de correo",
    ),
    Access::roles(
        "GET",
        "/messages/{id}",
        READERS,
        "consultar un mensaje de correo y sus intentos",
    ),
    Access::roles(
        "GET",
        "/messages/{id}/calendar.ics",
        READERS,
        "descargar la invitación de calendario de un mensaje",
    ),
    Access::roles(
        "GET",
        "/sessions/{id}/invitation.ics",
        Role::MEMBERS,
        "descargar su invitación de calendario a una sesión",
    ),
    Access::roles(
        "POST",
        "/messages/{id}/retry",
        RETRIERS,
        "reintentar un mensaje de correo fallido",
    ),
    Access::roles(
        "POST",
        "/routes/{id}/reminders",
        RETRIERS,
        "enviar ahora un recordatorio a quienes faltan de firmar",
    ),
    Access::roles(
        "POST",
        "/dead-letters/retry",
        RETRIERS,
        "reintentar los mensajes de correo fallidos",
    ),
    Access::roles(
        "GET",
        "/status",
        READERS,
        "consultar el estado del envío de correo",
    ),
];

/// The API, over the service's shared state.
pub fn router(mailer: Arc<Mailer>, transport: String) -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_messages))
        .routes(routes!(get_message))
        .routes(routes!(message_calendar))
        .routes(routes!(my_invitation))
        .routes(routes!(retry_message))
        .routes(routes!(retry_dead_letters))
        .routes(routes!(remind_now))
        .routes(routes!(status))
        .with_state(Api {
            mailer,
            transport: Arc::from(transport),
        })
}

#[derive(Clone)]
struct Api {
    mailer: Arc<Mailer>,
    /// Where messages go, without secrets.
    transport: Arc<str>,
}

/// The secretariat whose mail the caller may see (`None`: every one, for
/// the operator).
fn scope(caller: &Caller) -> ApiResult<Option<String>> {
    if caller.has_any(&[Role::Operator]) {
        return Ok(None);
    }
    caller.secretariat_id.clone().map(Some).ok_or_else(|| {
        ApiError::Forbidden(
            "Su sesión no pertenece a ningún Secretariado: use una sesión o un token de API del Secretariado cuyos mensajes quiere consultar.".into(),
        )
    })
}

/// A message of the caller's secretariat, or 404 (another secretariat's
/// messages are not acknowledged to exist).
async fn visible(api: &Api, caller: &Caller, id: &str) -> ApiResult<MessageView> {
    let scope = scope(caller)?;
    let mut conn = api
        .mailer
        .context
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("abriendo una conexión")?;
    let message = db::get_message(&mut conn, id)
        .await
        .or_unexpected("leyendo el mensaje")?;
    match message {
        Some(m) if scope.is_none() || m.secretariat_id == scope => Ok(m),
        _ => Err(ApiError::NotFound(format!(
            "No existe el mensaje «{id}» en su Secretariado. Consulte la lista en GET /mail/messages."
        ))),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct MessagesQuery {
    /// `en_cola`, `enviado` o `fallido`.
    estado: Option<String>,
    /// Tipo de mensaje, p. ej. `convocatoria`, `copia_firmada`.
    tipo: Option<String>,
    /// Mensajes causados por este evento.
    evento: Option<String>,
    /// Mensajes sobre esta sesión, ruta de firma o integrante.
    asunto: Option<String>,
    /// Mensajes a esta dirección.
    destinatario: Option<String>,
    /// Solo el operador: mensajes de este Secretariado.
    secretariado: Option<String>,
    /// Página siguiente: mensajes anteriores a este id.
    antes_de: Option<String>,
    /// Cuántos, a lo más (100 si no se indica; máximo 1000).
    limite: Option<i64>,
}

/// Lists messages, newest first.
#[utoipa::path(
    get,
    path = "/messages",
    tag = "correo",
    summary = "Lista los mensajes de correo y su estado por destinatario (en cola, enviado, fallido), con filtros",
    params(MessagesQuery),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Mensajes, los más recientes primero", body = Vec<MessageView>),
        (status = 400, description = "Filtro no válido", body = Problem),
        (status = 401, description = "Sin sesión", body = Problem),
        (status = 403, description = "Sin permiso", body = Problem),
    )
)]
async fn list_messages(
    State(api): State<Api>,
    caller: Caller,
    Query(query): Query<MessagesQuery>,
) -> ApiResult<Json<Vec<MessageView>>> {
    let mut secretariat_id = scope(&caller)?;
    if secretariat_id.is_none() {
        secretariat_id = query.secretariado.clone();
    }
    let status = match query.estado.as_deref() {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "El estado «{s}» no existe: use en_cola, enviado o fallido."
            ))
        })?),
    };
    let kind = match query.tipo.as_deref() {
        None => None,
        Some(k) => Some(MessageKind::parse(k).ok_or_else(|| {
            let kinds: Vec<&str> = MessageKind::ALL.iter().map(|k| k.as_str()).collect();
            ApiError::BadRequest(format!(
                "El tipo de mensaje «{k}» no existe: use uno de {}.",
                kinds.join(", ")
            ))
        })?),
    };
    let filter = Filter {
        secretariat_id,
        status,
        kind,
        event_id: query.evento,
        subject_ref: query.asunto,
        recipient: query.destinatario,
        before: query.antes_de,
        limit: query.limite.unwrap_or(100).clamp(1, 1000),
    };
    let messages = db::list_messages(&api.mailer.context.db, &filter)
        .await
        .or_unexpected("listando los mensajes")?;
    Ok(Json(messages))
}

/// One message with every attempt.
#[utoipa::path(
    get,
    path = "/messages/{id}",
    tag = "correo",
    summary = "Consulta un mensaje de correo: estado, último error e historial de intentos",
    params(("id" = String, Path, description = "Id del mensaje")),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "El mensaje y sus intentos", body = MessageDetail),
        (status = 401, description = "Sin sesión", body = Problem),
        (status = 403, description = "Sin permiso", body = Problem),
        (status = 404, description = "No existe en su Secretariado", body = Problem),
    )
)]
async fn get_message(
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<MessageDetail>> {
    let message = visible(&api, &caller, &id).await?;
    let history = db::attempts(&api.mailer.context.db, &id)
        .await
        .or_unexpected("leyendo los intentos")?;
    Ok(Json(MessageDetail { message, history }))
}

/// The calendar invitation a message carries (the convocatoria's ICS, or
/// its cancellation), as it was sent.
#[utoipa::path(
    get,
    path = "/messages/{id}/calendar.ics",
    tag = "correo",
    summary = "Descarga la invitación de calendario (ICS) que lleva un mensaje, tal como se envió",
    params(("id" = String, Path, description = "Id del mensaje")),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "La invitación", content_type = "text/calendar"),
        (status = 401, description = "Sin sesión", body = Problem),
        (status = 403, description = "Sin permiso", body = Problem),
        (status = 404, description = "No existe en su Secretariado, o no lleva invitación", body = Problem),
    )
)]
async fn message_calendar(
    request: actix_web::HttpRequest,
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<actix_web::HttpResponse> {
    visible(&api, &caller, &id).await?;
    let stored = db::load_message(&api.mailer.context.db, &id)
        .await
        .or_unexpected("leyendo el mensaje")?;
    let Some((calendar, method)) = stored.and_then(|m| m.calendar.map(|c| (c, m.calendar_method)))
    else {
        return Err(ApiError::NotFound(format!(
            "El mensaje «{id}» no lleva invitación de calendario: solo las convocatorias y sus cambios la llevan."
        )));
    };
    Ok(ics(&request, calendar, method))
}

/// What a reminder sent on demand did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemindersQueued {
    /// Pending signers who get a reminder now.
    pub pending: u64,
}

/// Sends a reminder now to every signer still pending on an open route of
/// the caller's secretariat (the schedule sends it within a poll interval;
/// the reminder's number keeps a second copy from going out).
#[utoipa::path(
    post,
    path = "/routes/{id}/reminders",
    tag = "correo",
    summary = "Envía ahora un recordatorio a cada firmante pendiente de una ruta abierta",
    params(("id" = String, Path, description = "Id de la ruta de firma")),
    security(("sesion" = [])),
    responses(
        (status = 202, description = "Recordatorios en cola", body = RemindersQueued),
        (status = 401, description = "Sin sesión", body = Problem),
        (status = 403, description = "Sin permiso", body = Problem),
        (status = 404, description = "No existe una ruta abierta con ese id en su Secretariado", body = Problem),
        (status = 409, description = "Nadie falta de firmar", body = Problem),
    )
)]
async fn remind_now(
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<(Json<RemindersQueued>, StatusCode)> {
    let scope = scope(&caller)?;
    let context = &api.mailer.context;
    let mut tx = context
        .begin()
        .await
        .or_unexpected("abriendo la transacción")?;
    let open = db::open_route_secretariat(&mut tx, &id)
        .await
        .or_unexpected("leyendo la ruta")?;
    match open {
        Some(secretariat) if scope.is_none() || scope.as_deref() == Some(secretariat.as_str()) => {}
        _ => {
            return Err(ApiError::NotFound(format!(
                "No hay una ruta de firma abierta «{id}» en su Secretariado: ya terminó, se canceló o no existe."
            )));
        }
    }
    let due = db::pending_signers(&mut tx, &id)
        .await
        .or_unexpected("leyendo a quienes faltan de firmar")?;
    if due.is_empty() {
        return Err(ApiError::Conflict(
            "Nadie falta de firmar esta ruta: no hay a quién recordar.".into(),
        ));
    }
    crate::reminders::queue(&api.mailer, &mut tx, &due, now_ms(), true)
        .await
        .map_err(ApiError::Unexpected)?;
    let pending = due.len() as u64;
    context
        .audit(
            &mut tx,
            &caller,
            "recordatorio.enviar",
            Some(&id),
            serde_json::json!({ "pendientes": pending }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    api.mailer.wake_now();
    Ok((Json(RemindersQueued { pending }), StatusCode::ACCEPTED))
}

/// The calendar invitation to a session that was mailed to the caller (the
/// latest: a rescheduled session's replaces the convocatoria's).
#[utoipa::path(
    get,
    path = "/sessions/{id}/invitation.ics",
    tag = "correo",
    summary = "Descarga su invitación de calendario (ICS) a una sesión, la última que se le envió",
    params(("id" = String, Path, description = "Id de la sesión")),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "La invitación", content_type = "text/calendar"),
        (status = 401, description = "Sin sesión", body = Problem),
        (status = 403, description = "Sin permiso", body = Problem),
        (status = 404, description = "No se le envió invitación a esa sesión", body = Problem),
    )
)]
async fn my_invitation(
    request: actix_web::HttpRequest,
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<actix_web::HttpResponse> {
    let not_sent = || {
        ApiError::NotFound(format!(
            "No se le envió una invitación de calendario a la sesión «{id}»: llega con la convocatoria."
        ))
    };
    let (Some(member_id), Some(secretariat_id)) = (&caller.member_id, &caller.secretariat_id)
    else {
        return Err(not_sent());
    };
    let found = db::latest_invitation(&api.mailer.context.db, secretariat_id, &id, member_id)
        .await
        .or_unexpected("leyendo las invitaciones")?;
    let Some((calendar, method)) = found else {
        return Err(not_sent());
    };
    Ok(ics(&request, calendar, method))
}

/// A calendar invitation as sent (`METHOD` from the message, `REQUEST` when
/// it was not recorded): personal data, never cached.
fn ics(
    request: &actix_web::HttpRequest,
    calendar: String,
    method: Option<String>,
) -> actix_web::HttpResponse {
    let method = method.unwrap_or_else(|| "REQUEST".into());
    http::download(
        request,
        calendar,
        &format!("text/calendar; charset=utf-8; method={method}"),
        Disposition::Attachment("sesion.ics"),
        None,
        Caching::NoStore,
    )
}

/// What a retry may correct.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RetryRequest {
    /// La dirección ahora registrada en el Secretariado, si la anterior
    /// faltaba o era incorrecta.
    #[serde(default)]
    pub email: Option<String>,
}

/// Puts a failed message back in the queue.
#[utoipa::path(
    post,
    path = "/messages/{id}/retry",
    tag = "correo",
    summary = "Reintenta un mensaje fallido (opcionalmente con la dirección corregida); conserva su Message-ID",
    params(("id" = String, Path, description = "Id del mensaje")),
    request_body = RetryRequest,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "De nuevo en cola", body = MessageView),
        (status = 401, description = "Sin sesión", body = Problem),
        (status = 403, description = "Sin permiso", body = Problem),
        (status = 404, description = "No existe en su Secretariado", body = Problem),
        (status = 409, description = "El mensaje no está fallido", body = Problem),
        (status = 422, description = "La dirección no es válida o falta", body = Problem),
    )
)]
async fn retry_message(
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<RetryRequest>,
) -> ApiResult<Json<MessageView>> {
    let message = visible(&api, &caller, &id).await?;
    if message.status != Status::Failed {
        return Err(ApiError::Conflict(format!(
            "El mensaje «{id}» está {} y solo se reintentan los fallidos.",
            match message.status {
                Status::Queued => "en cola: se enviará solo",
                _ => "enviado",
            }
        )));
    }
    let email = match request
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(email) => Some(
            compose::address(Some(email))
                .map_err(|reason| ApiError::Unprocessable(capitalize(&reason)))?
                .to_string(),
        ),
        None => {
            compose::address(message.recipient.email.as_deref()).map_err(|reason| {
                ApiError::Unprocessable(format!(
                    "No se puede reintentar el mensaje a {}: {reason}.",
                    message.recipient.name
                ))
            })?;
            None
        }
    };
    let context = &api.mailer.context;
    let mut tx = context
        .begin()
        .await
        .or_unexpected("abriendo la transacción")?;
    if !db::requeue(&mut tx, &id, email.as_deref(), now_ms())
        .await
        .or_unexpected("reencolando el mensaje")?
    {
        return Err(ApiError::Conflict(format!(
            "El mensaje «{id}» cambió de estado mientras lo reintentaba: consúltelo de nuevo."
        )));
    }
    context
        .audit(
            &mut tx,
            &caller,
            "correo.reintento_manual",
            Some(&id),
            json!({ "direccion_corregida": email.is_some() }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
    let view = db::get_message(&mut tx, &id)
        .await
        .or_unexpected("leyendo el mensaje")?;
    tx.commit()
        .await
        .or_unexpected("confirmando el reintento")?;
    api.mailer.wake_now();
    view.map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("No existe el mensaje «{id}».")))
}

/// Which dead letters to retry.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct BulkRetry {
    /// Solo los causados por este evento.
    #[serde(default)]
    pub event_id: Option<String>,
    /// Solo los de este tipo.
    #[serde(default)]
    pub kind: Option<MessageKind>,
}

/// How many were put back in the queue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BulkRetried {
    pub requeued: u64,
    /// Failed messages left as they were because their recipient has no
    /// usable address (retry each with its corrected address).
    pub without_address: u64,
}

/// Retries every failed message of the caller's secretariat (that has an
/// address), e.g. after an outage longer than the retries.
#[utoipa::path(
    post,
    path = "/dead-letters/retry",
    tag = "correo",
    summary = "Reintenta todos los mensajes fallidos del Secretariado (p. ej. tras una caída larga del servidor de correo)",
    request_body = BulkRetry,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Cuántos volvieron a la cola", body = BulkRetried),
        (status = 401, description = "Sin sesión", body = Problem),
        (status = 403, description = "Sin permiso", body = Problem),
    )
)]
async fn retry_dead_letters(
    State(api): State<Api>,
    caller: Caller,
    Json(request): Json<BulkRetry>,
) -> ApiResult<Json<BulkRetried>> {
    let secretariat_id = scope(&caller)?;
    let context = &api.mailer.context;
    let failed = db::list_messages(
        &context.db,
        &Filter {
            secretariat_id,
            status: Some(Status::Failed),
            kind: request.kind,
            event_id: request.event_id,
            limit: 10_000,
            ..Filter::default()
        },
    )
    .await
    .or_unexpected("listando los mensajes fallidos")?;
    let mut tx = context
        .begin()
        .await
        .or_unexpected("abriendo la transacción")?;
    let mut retried = BulkRetried {
        requeued: 0,
        without_address: 0,
    };
    for message in failed {
        if compose::address(message.recipient.email.as_deref()).is_err() {
            retried.without_address += 1;
            continue;
        }
        if db::requeue(&mut tx, &message.id, None, now_ms())
            .await
            .or_unexpected("reencolando un mensaje")?
        {
            context
                .audit(
                    &mut tx,
                    &caller,
                    "correo.reintento_manual",
                    Some(&message.id),
                    json!({ "direccion_corregida": false, "en_bloque": true }),
                )
                .await
                .or_unexpected("registrando en la bitácora")?;
            retried.requeued += 1;
        }
    }
    tx.commit()
        .await
        .or_unexpected("confirmando los reintentos")?;
    api.mailer.wake_now();
    Ok(Json(retried))
}

/// Where mail goes and how much is in each state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MailStatus {
    /// The transport in use: an SMTP server (without credentials) or the
    /// outbox folder.
    pub transport: String,
    /// Messages per state (`en_cola`, `enviado`, `fallido`).
    pub counts: BTreeMap<String, i64>,
}

/// The delivery's state.
#[utoipa::path(
    get,
    path = "/status",
    tag = "correo",
    summary = "Estado del envío de correo: transporte configurado y mensajes en cola, enviados y fallidos",
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Transporte y conteos", body = MailStatus),
        (status = 401, description = "Sin sesión", body = Problem),
        (status = 403, description = "Sin permiso", body = Problem),
    )
)]
async fn status(State(api): State<Api>, caller: Caller) -> ApiResult<Json<MailStatus>> {
    let secretariat_id = scope(&caller)?;
    let mut counts: BTreeMap<String, i64> = [Status::Queued, Status::Sent, Status::Failed]
        .into_iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    for (status, n) in db::counts(&api.mailer.context.db, secretariat_id.as_deref())
        .await
        .or_unexpected("contando los mensajes")?
    {
        counts.insert(status, n);
    }
    Ok(Json(MailStatus {
        transport: api.transport.to_string(),
        counts,
    }))
}

/// "no tiene…" → "No tiene…".
fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
