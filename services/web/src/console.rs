//! The console (issue 17): the facilitator and the President prepare and run
//! a session from the browser — schedule it, edit its agenda, check the
//! notice before issuing the convocatoria (000 V.6), record attendance by
//! seat, open it with quorum (000 V.2–3), approve the agenda (000 V.1), put
//! motions to the vote (000 VI), record agreements, close it, then approve
//! the acta drafted from it and open its signing route. Members follow the
//! session read-only at `/sesiones/{id}`, updated live by server-sent events
//! (a reload does the same without JavaScript).
//!
//! Every rule is the secretariat's: this module only turns forms into the
//! API's JSON and the API's findings (quorum, decision, notice, each with its
//! Spanish explanation) into pages. A refused form comes back with what was
//! typed and the API's explanation.

use std::time::Duration;

use actix_web::web::Bytes;

use super::*;

pub(crate) const TEMPLATES: &[(&str, &str)] = &[
    (
        "consola/menu.html",
        include_str!("../../../templates/web/consola/menu.html"),
    ),
    (
        "consola/sesiones.html",
        include_str!("../../../templates/web/consola/sesiones.html"),
    ),
    (
        "consola/sesion.html",
        include_str!("../../../templates/web/consola/sesion.html"),
    ),
    (
        "sesion.html",
        include_str!("../../../templates/web/sesion.html"),
    ),
    (
        "sesion-vivo.html",
        include_str!("../../../templates/web/sesion-vivo.html"),
    ),
];

/// The console's pages and the members' live session page.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/consola", web::get().to(console_home))
        .route("/consola/sesiones", web::get().to(sessions_page))
        .route("/consola/sesiones", web::post().to(schedule))
        .route("/consola/sesiones/{id}", web::get().to(session_page))
        .route(
            "/consola/sesiones/{id}/evidencia",
            web::post().to(evidence_upload),
        )
        .route(
            "/consola/sesiones/{id}/{action}",
            web::post().to(session_action),
        )
        .route("/consola/documentos/{id}/pdf", web::get().to(document_pdf))
        .route("/sesiones", web::get().to(member_sessions))
        .route("/sesiones/{id}", web::get().to(live_page))
        .route("/sesiones/{id}/propuestas", web::post().to(propose))
        .route("/sesiones/{id}/vivo", web::get().to(live_fragment))
        .route("/sesiones/{id}/eventos", web::get().to(live_events));
}

/// Whether the member runs sessions (the secretariat checks it again).
pub(crate) fn is_manager(member: &Member) -> bool {
    member
        .roles
        .iter()
        .any(|r| r == "presidente" || r == "facilitador")
}

/// A GET of another service with the member's token: the JSON, or the page
/// to answer instead (the session ended, or the service's explanation).
async fn fetch(
    inner: &Inner,
    current: &Current,
    member: &Member,
    url: String,
) -> Result<Value, Box<HttpResponse>> {
    match inner
        .call(Method::GET, url, Some(&member.token), None)
        .await
    {
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => {
            Err(Box::new(session_ended(inner, current)))
        }
        Ok(a) if a.status.is_success() => Ok(a.body),
        Ok(a) => Err(Box::new(inner.error_page(current, a.status, &a.detail()))),
        Err(message) => Err(Box::new(inner.error_page(
            current,
            StatusCode::BAD_GATEWAY,
            &message,
        ))),
    }
}

/// The member of a console page: logged in, of a secretariat, running its
/// sessions.
pub(crate) fn require_manager(
    inner: &Inner,
    current: &Current,
) -> Result<Member, Box<HttpResponse>> {
    let member = require_member(current)?;
    if !is_manager(&member) || member.secretariat_id.is_none() {
        return Err(Box::new(inner.error_page(
            current,
            StatusCode::FORBIDDEN,
            "La consola es para la Presidencia y el facilitador del secretariado. Sus pendientes están en «Pendientes».",
        )));
    }
    Ok(member)
}

async fn console_home() -> HttpResponse {
    redirect("/consola/sesiones", None)
}

const KINDS: &[(&str, &str)] = &[
    ("ordinaria", "Sesión ordinaria"),
    ("extraordinaria", "Sesión extraordinaria"),
    ("reunion_de_trabajo", "Reunión de trabajo"),
];

const STATUSES: &[(&str, &str)] = &[
    ("programada", "Programada"),
    ("convocada", "Convocada"),
    ("abierta", "En curso"),
    ("cerrada", "Cerrada"),
    ("cancelada", "Cancelada"),
];

fn name_of(table: &[(&str, &str)], key: &str) -> String {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| key.replace('_', " "))
}

/// The sessions of the member's secretariat, newest first, with names.
async fn session_list(
    inner: &Inner,
    current: &Current,
    member: &Member,
) -> Result<Vec<Value>, Box<HttpResponse>> {
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let list = fetch(
        inner,
        current,
        member,
        inner.secretariat(&format!("/secretariats/{stl}/sessions")),
    )
    .await?;
    let mut sessions: Vec<Value> = list
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|mut s| {
            s["kind_name"] = json!(name_of(KINDS, s["kind"].as_str().unwrap_or_default()));
            s["status_name"] = json!(name_of(STATUSES, s["status"].as_str().unwrap_or_default()));
            s
        })
        .collect();
    sessions.sort_by(|a, b| {
        (b["date"].as_str(), b["time"].as_str()).cmp(&(a["date"].as_str(), a["time"].as_str()))
    });
    Ok(sessions)
}

#[derive(Deserialize, Default)]
struct SessionsQuery {
    hecho: Option<String>,
}

async fn sessions_page(
    state: web::Data<WebState>,
    request: HttpRequest,
    query: web::Query<SessionsQuery>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = or_return!(require_manager(inner, &current));
    let sessions = or_return!(session_list(inner, &current, &member).await);
    inner.render(
        "consola/sesiones.html",
        &current,
        context! {
            page => "consola",
            sessions => v(&sessions),
            kinds => v(&KINDS),
            typed => v(&json!({ "kind": "ordinaria", "time": "10:00" })),
            notice => done_message(query.hecho.as_deref()),
        },
    )
}

/// One agenda item per line (blank lines ignored).
fn agenda_items(text: &str) -> Vec<Value> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| json!({ "title": l }))
        .collect()
}

/// `POST /consola/sesiones`: schedules a session.
async fn schedule(
    state: web::Data<WebState>,
    request: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let form = form.into_inner();
    if !same_origin(&request) || !csrf_ok(&current, form.get("csrf").map(String::as_str)) {
        return csrf_refused_page(inner, &current);
    }
    let member = or_return!(require_manager(inner, &current));
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let body = json!({
        "kind": field("kind"),
        "date": field("date"),
        "time": field("time"),
        "place": field("place"),
        "agenda": agenda_items(&field("agenda")),
    });
    let answer = inner
        .call(
            Method::POST,
            inner.secretariat(&format!("/secretariats/{stl}/sessions")),
            Some(&member.token),
            Some(body),
        )
        .await;
    match answer {
        Ok(a) if a.status.is_success() => {
            let id = a.body["session"]["id"].as_str().unwrap_or_default();
            redirect(&format!("/consola/sesiones/{id}?hecho=programada"), None)
        }
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(a) => {
            let sessions = or_return!(session_list(inner, &current, &member).await);
            inner.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "consola/sesiones.html",
                &current,
                context! {
                    page => "consola",
                    sessions => v(&sessions),
                    kinds => v(&KINDS),
                    typed => v(&form),
                    error => a.detail(),
                },
            )
        }
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

const DONE: &[(&str, &str)] = &[
    (
        "evidencia",
        "Evidencia agregada: el archivo revisó su tipo por su contenido, calculó su SHA-256, la anotó en el registro de transparencia y la publicó en la página de la sesión.",
    ),
    ("programada", "Sesión programada."),
    ("orden", "Orden del día guardado."),
    (
        "reprogramada",
        "Sesión reprogramada; se avisó a los integrantes si ya estaba convocada.",
    ),
    (
        "cancelada",
        "Sesión cancelada; se avisó a los integrantes si ya estaba convocada.",
    ),
    (
        "convocatoria",
        "Convocatoria emitida: se envía a cada integrante con su invitación de calendario.",
    ),
    ("asistencia", "Asistencia registrada."),
    ("abierta", "Sesión abierta con quórum."),
    ("orden-aprobado", "Votación del orden del día registrada."),
    ("deliberacion", "Deliberación guardada."),
    ("votacion", "Votación registrada."),
    ("acuerdo", "Acuerdo registrado."),
    (
        "cerrada",
        "Sesión cerrada: el acta (o minuta) se redacta a partir de lo registrado.",
    ),
    (
        "acta-aprobada",
        "Versión aprobada: el acta queda congelada y lista para firma.",
    ),
    (
        "acta-corregida",
        "Nueva versión del borrador generada con las correcciones; revísela antes de aprobarla.",
    ),
    ("ruta", "Ruta de firma abierta: se invitó a cada firmante."),
    (
        "recordatorio",
        "Recordatorio enviado a quienes faltan de firmar.",
    ),
    (
        "ruta-cancelada",
        "Ruta de firma cancelada; se avisó a los firmantes. Puede corregir el acta y abrir otra.",
    ),
];

fn done_message(key: Option<&str>) -> Option<String> {
    let key = key?;
    DONE.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, m)| m.to_string())
}

#[derive(Deserialize, Default)]
struct SessionQuery {
    hecho: Option<String>,
    emision: Option<String>,
}

/// Everything a session page shows.
async fn session_view(
    inner: &Inner,
    current: &Current,
    member: &Member,
    id: &str,
    issued_on: Option<&str>,
) -> Result<Value, Box<HttpResponse>> {
    let detail = fetch(
        inner,
        current,
        member,
        inner.secretariat(&format!("/sessions/{id}")),
    )
    .await?;
    let stl = detail["secretariat"]["id"].as_str().unwrap_or_default();
    let status = detail["status"].as_str().unwrap_or_default().to_string();
    let date = detail["session"]["date"].as_str().unwrap_or_default();
    let mut view = json!({
        "id": id,
        "status": status,
        "status_name": name_of(STATUSES, &status),
        "kind_name": name_of(KINDS, detail["session"]["kind"].as_str().unwrap_or_default()),
        "detail": detail,
    });
    if !valid_id(stl) {
        return Ok(view);
    }
    // Who can attend, seat by seat, on the session's day.
    if matches!(status.as_str(), "convocada" | "abierta" | "programada") {
        let seats = fetch(
            inner,
            current,
            member,
            inner.secretariat(&format!("/secretariats/{stl}/seats?on={date}")),
        )
        .await?;
        view["seats"] = attendance_rows(&detail, &seats);
        let members = fetch(
            inner,
            current,
            member,
            inner.secretariat(&format!("/secretariats/{stl}/members")),
        )
        .await
        .unwrap_or(Value::Null);
        view["others"] = other_rows(&detail, &members, date);
        view["voting_seats"] = json!(present_seats(&detail));
        let approved: Vec<Value> = detail["motions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["decision"]["outcome"] == "aprobado")
            .cloned()
            .collect();
        view["approved_motions"] = json!(approved);
    }
    if matches!(status.as_str(), "programada" | "convocada") {
        view["proposals"] = proposals(inner, member, id).await;
    }
    if status == "programada" {
        let mut url = format!("/sessions/{id}/notice");
        if let Some(day) = issued_on.filter(|d| is_iso_date(d)) {
            url.push_str(&format!("?issued_on={day}"));
        }
        if let Ok(a) = inner
            .call(
                Method::GET,
                inner.secretariat(&url),
                Some(&member.token),
                None,
            )
            .await
            && a.status.is_success()
        {
            view["notice_check"] = a.body;
        }
    }
    if status == "cerrada" {
        view["record"] = record_state(inner, member, id).await;
    }
    if status != "programada" {
        view["deliveries"] = deliveries(inner, member, id).await;
    }
    if matches!(status.as_str(), "abierta" | "cerrada") {
        view["evidence"] = evidence_of(inner, stl, detail_folio(&view)).await;
        view["evidence_max_mib"] = json!(inner.config.max_evidence_bytes / (1024 * 1024));
    }
    Ok(view)
}

fn detail_folio(view: &Value) -> &str {
    view["detail"]["session"]["folio"]
        .as_str()
        .unwrap_or_default()
}

/// A session's evidence as the archive lists it publicly, each file with
/// its size in words (empty when the archive does not answer).
pub(crate) async fn evidence_of(inner: &Inner, secretariat_id: &str, folio: &str) -> Value {
    let Some(archive) = inner.config.archive.as_deref() else {
        return Value::Null;
    };
    let url = format!(
        "{}/secretariats/{}/sessions/{}/evidence",
        archive.trim_end_matches('/'),
        crate::public::urlencode(secretariat_id),
        crate::public::urlencode(folio)
    );
    match inner.call(Method::GET, url, None, None).await {
        Ok(a) if a.status.is_success() => crate::public::evidence_words(a.body, None),
        _ => Value::Null,
    }
}

/// `POST /consola/sesiones/{id}/evidencia` (multipart): one file of the
/// session's evidence, passed to the archive with the member's token; the
/// archive checks it, hashes it, logs it and publishes it.
async fn evidence_upload(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    multipart: actix_multipart::Multipart,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = or_return!(require_manager(inner, &current));
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Esa sesión no existe.");
    }
    let max = inner.config.max_evidence_bytes;
    let fields = match crate::upload::read(multipart, "file", max, 4 * 1024).await {
        Ok(f) => f,
        Err(refusal) => {
            let (status, message) = match refusal {
                crate::upload::Refusal::TooLarge { file: true } => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "El archivo pasa de {} MiB, el máximo por archivo de evidencia. Redúzcalo (por ejemplo, exporte el video en menor resolución) o divídalo y vuelva a subirlo.",
                        max / (1024 * 1024)
                    ),
                ),
                crate::upload::Refusal::TooLarge { file: false } => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Un campo del formulario es demasiado largo: abrévielo.".to_string(),
                ),
                crate::upload::Refusal::Broken => (
                    StatusCode::BAD_REQUEST,
                    "El formulario llegó incompleto. Elija el archivo de nuevo y vuelva a enviarlo.".to_string(),
                ),
            };
            return refused(
                inner,
                &current,
                &member,
                &id,
                &HashMap::new(),
                status,
                message,
            )
            .await;
        }
    };
    if !same_origin(&request) || !csrf_ok(&current, fields.texts.get("csrf").map(String::as_str)) {
        return csrf_refused_page(inner, &current);
    }
    let mut typed = fields.texts.clone();
    typed.retain(|k, _| k == "evidence_alt" || k == "evidence_description");
    let Some((name, bytes)) = fields.file.filter(|(_, b)| !b.is_empty()) else {
        return refused(
            inner,
            &current,
            &member,
            &id,
            &typed,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Elija el archivo de la evidencia (una fotografía, un video, un audio o un documento)."
                .into(),
        )
        .await;
    };
    let Some(archive) = inner.config.archive.as_deref() else {
        return inner.error_page(
            &current,
            StatusCode::NOT_FOUND,
            "El servicio de archivo no está configurado en esta instalación.",
        );
    };
    let Ok(mut url) = reqwest::Url::parse(&format!(
        "{}/sessions/{id}/evidence",
        archive.trim_end_matches('/')
    )) else {
        return inner.error_page(&current, StatusCode::BAD_GATEWAY, UNREACHABLE);
    };
    url.query_pairs_mut().append_pair("name", &name);
    for (field, param) in [
        ("evidence_alt", "alt"),
        ("evidence_description", "description"),
    ] {
        if let Some(text) = typed.get(field).map(|t| t.trim()).filter(|t| !t.is_empty()) {
            url.query_pairs_mut().append_pair(param, text);
        }
    }
    let sent = inner
        .http
        .post(url)
        .bearer_auth(&member.token)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .timeout(Duration::from_secs(300))
        .body(bytes)
        .send()
        .await;
    let Ok(response) = sent else {
        return inner.error_page(&current, StatusCode::BAD_GATEWAY, UNREACHABLE);
    };
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    if status == StatusCode::UNAUTHORIZED {
        return session_ended(inner, &current);
    }
    if status.is_success() {
        return redirect(
            &format!("/consola/sesiones/{id}?hecho=evidencia#evidencia"),
            None,
        );
    }
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let detail = Answer { status, body }.detail();
    refused(
        inner,
        &current,
        &member,
        &id,
        &typed,
        client_status(status),
        detail,
    )
    .await
}

fn is_iso_date(s: &str) -> bool {
    s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

/// Whether an attendee is in the room now (arrived, not departed).
fn in_room(attendee: &Value) -> bool {
    attendee["stays"]
        .as_array()
        .and_then(|s| s.last())
        .is_some_and(|s| s["departed_at"].is_null())
}

/// The attendance form's rows: each seat with its titular, suplente and
/// enlace on that day, and whether each is in the room.
fn attendance_rows(detail: &Value, seats: &Value) -> Value {
    let attendees: Vec<Value> = detail["attendance"]["seats"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["attendees"].as_array().cloned().unwrap_or_default())
        .collect();
    let here = |member_id: &str, capacity: &str| {
        attendees.iter().any(|a| {
            a["member_id"].as_str() == Some(member_id)
                && a["capacity"].as_str() == Some(capacity)
                && in_room(a)
        })
    };
    let came = |member_id: &str, capacity: &str| {
        attendees.iter().any(|a| {
            a["member_id"].as_str() == Some(member_id) && a["capacity"].as_str() == Some(capacity)
        })
    };
    let rows: Vec<Value> = seats
        .as_array()
        .into_iter()
        .flatten()
        .map(|seat| {
            let people: Vec<Value> = [
                ("titular", "Titular"),
                ("suplente", "Suplente"),
                ("enlace", "Enlace"),
            ]
            .iter()
            .filter_map(|(key, label)| {
                let holder = &seat[*key];
                let member_id = holder["member_id"].as_str()?;
                Some(json!({
                    "member_id": member_id,
                    "name": holder["name"],
                    "capacity": label,
                    "voice_only": *key == "enlace",
                    "here": here(member_id, key),
                    "came": came(member_id, key),
                }))
            })
            .collect();
            let represented = people
                .iter()
                .any(|p| p["here"] == true && p["voice_only"] == false);
            json!({
                "id": seat["id"],
                "name": seat["name"],
                "group": seat["group"],
                "civil_society": seat["group"] == "sociedad_civil",
                "active": seat["active"],
                "presides": seat["presides"],
                "people": people,
                "represented": represented,
            })
        })
        .collect();
    json!(rows)
}

/// The facilitator and invited members (voice only), with their presence.
fn other_rows(detail: &Value, members: &Value, date: &str) -> Value {
    let others: Vec<Value> = detail["attendance"]["others"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let rows: Vec<Value> = members
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let designation = m["designations"].as_array()?.iter().find(|d| {
                matches!(d["role"].as_str(), Some("facilitador" | "invitado"))
                    && d["starts_on"].as_str().is_some_and(|s| s <= date)
                    && d["ends_on"].as_str().is_none_or(|e| e >= date)
            })?;
            let id = m["id"].as_str()?;
            let mine: Vec<&Value> = others
                .iter()
                .filter(|a| a["member_id"].as_str() == Some(id))
                .collect();
            Some(json!({
                "member_id": id,
                "name": m["name"],
                "capacity": if designation["role"] == "facilitador" { "Facilitador" } else { "Integrante invitado" },
                "project": designation["project"],
                "here": mine.iter().any(|a| in_room(a)),
                "came": !mine.is_empty(),
            }))
        })
        .collect();
    json!(rows)
}

/// Seats represented in the room now, for the vote forms.
fn present_seats(detail: &Value) -> Vec<Value> {
    detail["attendance"]["seats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| {
            s["attendees"]
                .as_array()
                .is_some_and(|a| a.iter().any(|a| in_room(a) && a["capacity"] != "enlace"))
        })
        .map(|s| {
            json!({
                "seat": s["seat"],
                "seat_name": s["seat_name"],
                "civil_society": s["group"] == "sociedad_civil",
            })
        })
        .collect()
}

/// The mail the session caused (convocatoria, changes, cancellation): each
/// member's delivery status, newest first.
async fn deliveries(inner: &Inner, member: &Member, session_id: &str) -> Value {
    let Some(base) = inner.config.mail.as_deref() else {
        return Value::Null;
    };
    let url = format!(
        "{}/messages?asunto={session_id}&limite=500",
        base.trim_end_matches('/')
    );
    match inner
        .call(Method::GET, url, Some(&member.token), None)
        .await
    {
        Ok(a) if a.status.is_success() => {
            let rows: Vec<Value> = a
                .body
                .as_array()
                .into_iter()
                .flatten()
                .filter(|m| m["kind"] != "aviso_sin_correo")
                .map(|m| {
                    json!({
                        "id": m["id"],
                        "kind": m["kind"].as_str().unwrap_or_default().replace('_', " "),
                        "name": m["recipient"]["name"],
                        "has_address": m["recipient"]["email"].is_string(),
                        "status": m["status"],
                        "last_error": m["last_error"],
                        "calendar": m["kind"] == "convocatoria" || m["kind"] == "sesion_actualizada" || m["kind"] == "sesion_cancelada",
                    })
                })
                .collect();
            json!(rows)
        }
        Ok(a) => json!({ "said": a.detail() }),
        Err(message) => json!({ "said": message }),
    }
}

/// The members' proposals for the session's agenda (000 VII.3).
async fn proposals(inner: &Inner, member: &Member, session_id: &str) -> Value {
    match inner
        .call(
            Method::GET,
            inner.secretariat(&format!("/sessions/{session_id}/proposals")),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) if a.status.is_success() => a.body,
        _ => Value::Null,
    }
}

/// After the close: the drafted record and its signing route.
async fn record_state(inner: &Inner, member: &Member, session_id: &str) -> Value {
    let Some(documents) = &inner.config.documents else {
        return Value::Null;
    };
    let url = format!(
        "{}/documents?session_id={session_id}",
        documents.trim_end_matches('/')
    );
    let Ok(list) = inner
        .call(Method::GET, url, Some(&member.token), None)
        .await
    else {
        return Value::Null;
    };
    let document = list
        .body
        .as_array()
        .or_else(|| list.body["documents"].as_array())
        .and_then(|l| l.first())
        .cloned();
    let Some(document) = document else {
        return json!({ "drafting": true });
    };
    let document_id = document["id"].as_str().unwrap_or_default().to_string();
    let mut route = Value::Null;
    if let Ok(routes) = inner
        .call(
            Method::GET,
            inner.signing("/routes?limit=100"),
            Some(&member.token),
            None,
        )
        .await
        && let Some(found) = routes.body.as_array().and_then(|r| {
            r.iter()
                .filter(|r| r["document_id"].as_str() == Some(&document_id))
                .find(|r| r["status"] != "cancelada")
        })
    {
        route = route_summary(found, member);
    }
    let pages = document["versions"]
        .as_array()
        .and_then(|v| v.last())
        .map(|v| v["page_count"].clone())
        .unwrap_or(Value::Null);
    json!({ "document": document, "route": route, "pages": pages })
}

async fn session_page(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<SessionQuery>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = or_return!(require_manager(inner, &current));
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Esa sesión no existe.");
    }
    let view =
        or_return!(session_view(inner, &current, &member, &id, query.emision.as_deref()).await);
    inner.render(
        "consola/sesion.html",
        &current,
        context! {
            page => "consola",
            s => v(&view),
            notice => done_message(query.hecho.as_deref()),
            typed => v(&json!({ "issued_on": query.emision })),
            kinds => v(&KINDS),
        },
    )
}

/// The votes of a vote form: `voto_<seat>` = `favor` | `contra` |
/// `abstencion` (empty: no vote, which counts as an abstention).
fn votes_of(form: &HashMap<String, String>) -> Vec<Value> {
    let mut votes: Vec<(String, String)> = form
        .iter()
        .filter_map(|(k, v)| {
            let seat = k.strip_prefix("voto_")?;
            (!v.is_empty()).then(|| (seat.to_string(), v.clone()))
        })
        .collect();
    votes.sort();
    votes
        .into_iter()
        .map(|(seat, vote)| json!({ "seat": seat, "vote": vote }))
        .collect()
}

/// What a console form asks of the other services.
fn action_call(
    inner: &Inner,
    id: &str,
    action: &str,
    form: &HashMap<String, String>,
) -> Option<(Method, String, Value, &'static str)> {
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let optional = |k: &str| {
        let value = field(k);
        if value.is_empty() {
            Value::Null
        } else {
            json!(value)
        }
    };
    let secretariat = |p: String| inner.secretariat(&p);
    Some(match action {
        "orden" => {
            // Members' proposals checked to incorporate (000 VII.3): their
            // text joins the agenda if it is not there already.
            let mut items = agenda_items(&field("agenda"));
            let mut checked: Vec<(String, String)> = form
                .iter()
                .filter_map(|(k, title)| {
                    Some((
                        k.strip_prefix("incorporar_")?.to_string(),
                        title.trim().to_string(),
                    ))
                })
                .collect();
            checked.sort();
            let mut ids = Vec::new();
            for (proposal, title) in checked {
                if !title.is_empty() && !items.iter().any(|i| i["title"] == title.as_str()) {
                    items.push(json!({ "title": title }));
                }
                ids.push(proposal);
            }
            (
                Method::PUT,
                secretariat(format!("/sessions/{id}/agenda")),
                json!({ "items": items, "incorporated": ids }),
                "orden",
            )
        }
        "reprogramar" => (
            Method::PATCH,
            secretariat(format!("/sessions/{id}")),
            json!({ "date": optional("date"), "time": optional("time"), "place": optional("place") }),
            "reprogramada",
        ),
        "cancelar" => (
            Method::POST,
            secretariat(format!("/sessions/{id}/cancellation")),
            json!({ "reason": optional("reason") }),
            "cancelada",
        ),
        "convocatoria" => (
            Method::POST,
            secretariat(format!("/sessions/{id}/convocatoria")),
            json!({ "issued_on": optional("issued_on") }),
            "convocatoria",
        ),
        "asistencia" => (
            Method::POST,
            secretariat(format!("/sessions/{id}/attendance")),
            json!({ "member_id": field("member_id"), "event": field("event") }),
            "asistencia",
        ),
        "abrir" => (
            Method::POST,
            secretariat(format!("/sessions/{id}/open")),
            json!({}),
            "abierta",
        ),
        "aprobar-orden" => (
            Method::POST,
            secretariat(format!("/sessions/{id}/agenda-approval")),
            json!({ "votes": votes_of(form) }),
            "orden-aprobado",
        ),
        "deliberacion" => {
            let position = field("position");
            if !position.bytes().all(|b| b.is_ascii_digit()) || position.is_empty() {
                return None;
            }
            (
                Method::PUT,
                secretariat(format!("/sessions/{id}/agenda/{position}/deliberation")),
                json!({ "text": field("text") }),
                "deliberacion",
            )
        }
        "votacion" => (
            Method::POST,
            secretariat(format!("/sessions/{id}/motions")),
            json!({
                "text": field("text"),
                "agenda_item": field("agenda_item").parse::<i64>().ok(),
                "votes": votes_of(form),
            }),
            "votacion",
        ),
        "acuerdo" => (
            Method::POST,
            secretariat(format!("/sessions/{id}/agreements")),
            json!({
                "motion": field("motion").parse::<i64>().unwrap_or(0),
                "text": optional("text"),
                "responsible_seat": optional("responsible_seat"),
                "due_on": optional("due_on"),
            }),
            "acuerdo",
        ),
        "cerrar" => (
            Method::POST,
            secretariat(format!("/sessions/{id}/close")),
            json!({}),
            "cerrada",
        ),
        _ => return None,
    })
}

/// `POST /consola/sesiones/{id}/{action}`: one step of preparing or running
/// a session. Success goes back to the page (a reload does not repeat it);
/// a refusal shows the page again with the explanation and what was typed.
async fn session_action(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let form = form.into_inner();
    if !same_origin(&request) || !csrf_ok(&current, form.get("csrf").map(String::as_str)) {
        return csrf_refused_page(inner, &current);
    }
    let member = or_return!(require_manager(inner, &current));
    let (id, action) = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Esa sesión no existe.");
    }
    let call = match action.as_str() {
        "recordatorio" | "cancelar-ruta" => route_call(inner, &action, &form),
        "corregir-acta" => correct_record(inner, &current, &member, &id, &form).await,
        "aprobar-acta" => approve_record(inner, &member, &form),
        "abrir-ruta" => open_route(inner, &current, &member, &id).await,
        _ => action_call(inner, &id, &action, &form).ok_or_else(|| {
            "Esa acción no existe en la consola. Vuelva a la sesión y use sus botones.".to_string()
        }),
    };
    let (method, url, body, done) = match call {
        Ok(call) => call,
        Err(message) => {
            return refused(
                inner,
                &current,
                &member,
                &id,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
                message,
            )
            .await;
        }
    };
    match inner
        .call(method, url, Some(&member.token), Some(body))
        .await
    {
        Ok(a) if a.status.is_success() => {
            let anchor = match done {
                "asistencia" | "abierta" => "#asistencia",
                "orden-aprobado" | "deliberacion" | "votacion" | "acuerdo" => "#votaciones",
                "acta-aprobada" | "acta-corregida" | "ruta" | "cerrada" | "recordatorio"
                | "ruta-cancelada" => "#acta",
                _ => "",
            };
            redirect(
                &format!("/consola/sesiones/{id}?hecho={done}{anchor}"),
                None,
            )
        }
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(a) => {
            let status = client_status(a.status);
            refused(inner, &current, &member, &id, &form, status, a.detail()).await
        }
        Err(message) => {
            refused(
                inner,
                &current,
                &member,
                &id,
                &form,
                StatusCode::BAD_GATEWAY,
                message,
            )
            .await
        }
    }
}

/// The session page again, with the refusal and what was typed.
async fn refused(
    inner: &Inner,
    current: &Current,
    member: &Member,
    id: &str,
    form: &HashMap<String, String>,
    status: StatusCode,
    message: String,
) -> HttpResponse {
    let view = or_return!(
        session_view(
            inner,
            current,
            member,
            id,
            form.get("issued_on").map(String::as_str)
        )
        .await
    );
    let mut typed = form.clone();
    typed.remove("csrf");
    inner.render_status(
        status,
        "consola/sesion.html",
        current,
        context! {
            page => "consola",
            s => v(&view),
            error => message,
            typed => v(&typed),
            kinds => v(&KINDS),
        },
    )
}

type Call = (Method, String, Value, &'static str);

/// A reminder to the signers still pending (sent now by the mail service),
/// or cancelling the route (its signers are told).
fn route_call(inner: &Inner, action: &str, form: &HashMap<String, String>) -> Result<Call, String> {
    let route = form.get("route_id").cloned().unwrap_or_default();
    if !valid_id(&route) {
        return Err("Esa ruta de firma no existe. Recargue la página.".into());
    }
    if action == "recordatorio" {
        let mail = inner.config.mail.as_deref().ok_or_else(|| {
            "El servicio de correo no está configurado en esta instalación.".to_string()
        })?;
        return Ok((
            Method::POST,
            format!("{}/routes/{route}/reminders", mail.trim_end_matches('/')),
            json!({}),
            "recordatorio",
        ));
    }
    let reason = form.get("reason").map(|r| r.trim()).unwrap_or_default();
    if reason.is_empty() {
        return Err(
            "Escriba por qué se cancela la ruta: se avisa a cada firmante con ese motivo.".into(),
        );
    }
    Ok((
        Method::POST,
        inner.signing(&format!("/routes/{route}/cancel")),
        json!({ "reason": reason }),
        "ruta-cancelada",
    ))
}

/// A new version of the drafted record with the deliberations corrected
/// (`deliberacion_<position>`): the data is the session's record as it
/// closed, so attendance, votes, decisions and signers cannot change here.
async fn correct_record(
    inner: &Inner,
    current: &Current,
    member: &Member,
    session_id: &str,
    form: &HashMap<String, String>,
) -> Result<Call, String> {
    let documents = inner.config.documents.as_deref().ok_or_else(|| {
        "El servicio de documentos no está configurado en esta instalación.".to_string()
    })?;
    let document_id = form.get("document_id").cloned().unwrap_or_default();
    if !valid_id(&document_id) {
        return Err("Ese documento no existe. Recargue la página.".into());
    }
    let mut data = fetch(
        inner,
        current,
        member,
        inner.secretariat(&format!("/sessions/{session_id}")),
    )
    .await
    .map_err(|_| "No se pudo leer la sesión. Recargue la página e intente de nuevo.".to_string())?;
    if let Some(record) = data.as_object_mut() {
        record.remove("status");
        record.remove("quorum_now");
    }
    if let Some(items) = data["agenda"]["items"].as_array_mut() {
        for item in items {
            let position = item["position"].as_i64().unwrap_or_default();
            if let Some(text) = form.get(&format!("deliberacion_{position}")) {
                let text = text.trim();
                item["deliberation"] = if text.is_empty() {
                    Value::Null
                } else {
                    json!(text)
                };
            }
        }
    }
    Ok((
        Method::POST,
        format!(
            "{}/documents/{document_id}/versions",
            documents.trim_end_matches('/')
        ),
        json!({ "data": data }),
        "acta-corregida",
    ))
}

/// Approving the drafted record freezes that version.
fn approve_record(
    inner: &Inner,
    _member: &Member,
    form: &HashMap<String, String>,
) -> Result<Call, String> {
    let documents = inner.config.documents.as_deref().ok_or_else(|| {
        "El servicio de documentos no está configurado en esta instalación.".to_string()
    })?;
    let document_id = form.get("document_id").cloned().unwrap_or_default();
    let version = form
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(|| {
            "Falta la versión que se aprueba. Recargue la página e intente de nuevo.".to_string()
        })?;
    if !valid_id(&document_id) {
        return Err("Ese documento no existe. Recargue la página.".into());
    }
    Ok((
        Method::POST,
        format!(
            "{}/documents/{document_id}/approve",
            documents.trim_end_matches('/')
        ),
        json!({ "version": version }),
        "acta-aprobada",
    ))
}

/// Opening the signing route of the approved record: the signing service
/// derives the signers from the session's attendance; every member of the
/// secretariat receives the signed copy (000 V.8).
async fn open_route(
    inner: &Inner,
    current: &Current,
    member: &Member,
    session_id: &str,
) -> Result<Call, String> {
    let detail = fetch(
        inner,
        current,
        member,
        inner.secretariat(&format!("/sessions/{session_id}")),
    )
    .await
    .map_err(|_| "No se pudo leer la sesión. Recargue la página e intente de nuevo.".to_string())?;
    let record = record_state(inner, member, session_id).await;
    let document = &record["document"];
    let document_id = document["id"].as_str().ok_or_else(|| {
        "El acta aún no se redacta. Espere unos segundos y recargue la página.".to_string()
    })?;
    if document["approved_version"].is_null() {
        return Err(
            "Primero apruebe una versión del acta: solo una versión aprobada (congelada) se firma."
                .into(),
        );
    }
    let stl = detail["secretariat"]["id"].as_str().unwrap_or_default();
    let members = fetch(
        inner,
        current,
        member,
        inner.secretariat(&format!("/secretariats/{stl}/members")),
    )
    .await
    .map_err(|_| "No se pudo leer el padrón de integrantes. Intente de nuevo.".to_string())?;
    let all: Vec<&Value> = members.as_array().into_iter().flatten().collect();
    let recipient =
        |m: &Value| json!({ "member_id": m["id"], "name": m["name"], "email": m["email"] });
    let recipients: Vec<Value> = all.iter().map(|m| recipient(m)).collect();
    let facilitators: Vec<Value> = all
        .iter()
        .filter(|m| {
            m["designations"].as_array().is_some_and(|d| {
                d.iter()
                    .any(|d| d["role"] == "facilitador" && d["current"] == true)
            })
        })
        .map(|m| recipient(m))
        .collect();
    Ok((
        Method::POST,
        inner.signing("/routes"),
        json!({
            "secretariat": { "id": stl, "name": detail["secretariat"]["name"] },
            "title": document["title"],
            "record_kind": detail["session"]["record"],
            "folio": document["folio"],
            "document_id": document_id,
            "members": recipients,
            "facilitators": facilitators,
        }),
        "ruta",
    ))
}

/// `GET /consola/documentos/{id}/pdf`: the drafted record's latest version,
/// for preview before approving it.
async fn document_pdf(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = or_return!(require_member(&current));
    let id = path.into_inner();
    let Some(documents) = inner.config.documents.as_deref().filter(|_| valid_id(&id)) else {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Ese documento no existe.");
    };
    let url = format!("{}/documents/{id}/pdf", documents.trim_end_matches('/'));
    pass_pdf(inner, &current, &member, url, "borrador").await
}

// ------------------------------------------------------------------ members

async fn member_sessions(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = or_return!(require_member(&current));
    if member.secretariat_id.is_none() {
        return redirect("/pendientes", None);
    }
    let sessions = or_return!(session_list(inner, &current, &member).await);
    inner.render(
        "consola/sesiones.html",
        &current,
        context! { page => "sesiones", sessions => v(&sessions), read_only => true },
    )
}

/// What a member's live view shows of a session.
async fn live_view(
    inner: &Inner,
    current: &Current,
    member: &Member,
    id: &str,
) -> Result<Value, Box<HttpResponse>> {
    if !valid_id(id) {
        return Err(Box::new(inner.error_page(
            current,
            StatusCode::NOT_FOUND,
            "Esa sesión no existe.",
        )));
    }
    let detail = fetch(
        inner,
        current,
        member,
        inner.secretariat(&format!("/sessions/{id}")),
    )
    .await?;
    Ok(live_json(id, detail))
}

/// The live view of a session's JSON.
fn live_json(id: &str, detail: Value) -> Value {
    let status = detail["status"].as_str().unwrap_or_default().to_string();
    json!({
        "id": id,
        "status": status,
        "status_name": name_of(STATUSES, &status),
        "kind_name": name_of(KINDS, detail["session"]["kind"].as_str().unwrap_or_default()),
        "present": present_seats(&detail),
        "detail": detail,
    })
}

async fn live_page(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<SessionsQuery>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = or_return!(require_member(&current));
    let id = path.into_inner();
    let mut view = or_return!(live_view(inner, &current, &member, &id).await);
    if view["status"] == "programada" {
        view["proposals"] = proposals(inner, &member, &id).await;
    }
    inner.render(
        "sesion.html",
        &current,
        context! {
            page => "sesiones",
            s => v(&view),
            manager => is_manager(&member),
            notice => query.hecho.is_some().then_some("Su propuesta quedó registrada: la Presidencia la verá al preparar el orden del día."),
        },
    )
}

/// `POST /sesiones/{id}/propuestas`: a member proposes an agenda item.
async fn propose(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let form = form.into_inner();
    if !same_origin(&request) || !csrf_ok(&current, form.get("csrf").map(String::as_str)) {
        return csrf_refused_page(inner, &current);
    }
    let member = or_return!(require_member(&current));
    let id = path.into_inner();
    let mut view = or_return!(live_view(inner, &current, &member, &id).await);
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let description = field("description");
    let answer = inner
        .call(
            Method::POST,
            inner.secretariat(&format!("/sessions/{id}/proposals")),
            Some(&member.token),
            Some(json!({
                "title": field("title"),
                "description": (!description.is_empty()).then_some(description),
            })),
        )
        .await;
    match answer {
        Ok(a) if a.status.is_success() => {
            redirect(&format!("/sesiones/{id}?hecho=propuesta"), None)
        }
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(a) => {
            view["proposals"] = proposals(inner, &member, &id).await;
            let mut typed = form.clone();
            typed.remove("csrf");
            inner.render_status(
                client_status(a.status),
                "sesion.html",
                &current,
                context! {
                    page => "sesiones",
                    s => v(&view),
                    manager => is_manager(&member),
                    error => a.detail(),
                    typed => v(&typed),
                },
            )
        }
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

/// `GET /sesiones/{id}/vivo`: the live part of the page alone (what the
/// events carry), for a client that lost the stream.
async fn live_fragment(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = or_return!(require_member(&current));
    let view = or_return!(live_view(inner, &current, &member, &path.into_inner()).await);
    match render_fragment(inner, &view) {
        Some(body) => html(StatusCode::OK, body, None),
        None => inner.error_page(&current, StatusCode::INTERNAL_SERVER_ERROR, UNREACHABLE),
    }
}

/// A session's record as the live fragment renders it (escaped HTML of our
/// own template), for a page that shows it read-only.
pub(crate) fn session_fragment(inner: &Inner, id: &str, detail: Value) -> Option<String> {
    render_fragment(inner, &live_json(id, detail))
}

fn render_fragment(inner: &Inner, view: &Value) -> Option<String> {
    inner
        .env
        .get_template("sesion-vivo.html")
        .and_then(|t| t.render(context! { s => v(view) }))
        .map_err(|e| tracing::error!("no se pudo mostrar la sesión en vivo: {e:#}"))
        .ok()
}

/// How often the live stream looks at the session.
const LIVE_POLL: Duration = Duration::from_millis(400);
/// How long one stream lasts before the browser reconnects (it does so by
/// itself; a session that ended stops the stream earlier).
const LIVE_MAX: Duration = Duration::from_secs(15 * 60);

/// `GET /sesiones/{id}/eventos`: server-sent events, one `sesion` event with
/// the live part of the page each time it changes. The session is read with
/// the member's own token, so the stream shows exactly what they may read.
async fn live_events(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let inner = state.0.clone();
    let current = inner.current(&request);
    let Some(member) = current.member else {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Su sesión terminó. Entre de nuevo para seguir la sesión en vivo.",
        );
    };
    let id = path.into_inner();
    if !valid_id(&id) {
        return problem(StatusCode::NOT_FOUND, "Esa sesión no existe.");
    }
    let live = Live {
        inner,
        token: member.token,
        id,
        last: String::new(),
        started: std::time::Instant::now(),
        state: LiveState::Start,
    };
    let stream = futures_util::stream::unfold(live, |mut live| async move {
        let chunk = live.next().await?;
        Some((Ok::<Bytes, actix_web::Error>(chunk), live))
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(stream)
}

enum LiveState {
    Start,
    Watching,
    Ended,
}

/// One member's live stream of one session.
struct Live {
    inner: Arc<Inner>,
    token: String,
    id: String,
    last: String,
    started: std::time::Instant,
    state: LiveState,
}

impl Live {
    /// The next chunk of the stream (`None`: it ends).
    async fn next(&mut self) -> Option<Bytes> {
        match self.state {
            LiveState::Start => {
                self.state = LiveState::Watching;
                return Some(Bytes::from_static(b"retry: 2000\n\n"));
            }
            LiveState::Ended => return None,
            LiveState::Watching => {}
        }
        if self.started.elapsed() >= LIVE_MAX {
            return None;
        }
        if !self.last.is_empty() {
            tokio::time::sleep(LIVE_POLL).await;
        }
        let inner = &self.inner;
        let answer = inner
            .call(
                Method::GET,
                inner.secretariat(&format!("/sessions/{}", self.id)),
                Some(&self.token),
                None,
            )
            .await;
        let detail = match answer {
            Ok(a) if a.status.is_success() => a.body,
            Ok(a) if a.status.is_client_error() => {
                self.state = LiveState::Ended;
                return Some(Bytes::from_static(b"event: fin\ndata: \n\n"));
            }
            _ => {
                tokio::time::sleep(LIVE_POLL * 5).await;
                return Some(Bytes::from_static(b": reintento\n\n"));
            }
        };
        let view = live_json(&self.id, detail);
        let ended = matches!(view["status"].as_str(), Some("cerrada" | "cancelada"));
        let mut out = String::new();
        if let Some(body) = render_fragment(inner, &view)
            && body != self.last
        {
            out.push_str("event: sesion\n");
            for line in body.lines() {
                out.push_str("data: ");
                out.push_str(line);
                out.push('\n');
            }
            out.push('\n');
            self.last = body;
        } else {
            // A comment keeps proxies from closing an idle stream.
            out.push_str(": sigue\n\n");
        }
        if ended {
            out.push_str("event: fin\ndata: \n\n");
            self.state = LiveState::Ended;
        }
        Some(Bytes::from(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(status: &str) -> Value {
        let here = json!([{ "arrived_at": "2026-12-14T10:00:00-06:00", "departed_at": null, "arrived": "10:00", "departed": null }]);
        let gone = json!([{ "arrived_at": "2026-12-14T10:00:00-06:00", "departed_at": "2026-12-14T10:30:00-06:00", "arrived": "10:00", "departed": "10:30" }]);
        json!({
            "status": status,
            "quorum_now": { "ok": true, "represented": 2, "active": 3, "civil_society_represented": true, "explanation": "quórum: 2 de 3 asientos, incluye sociedad civil" },
            "secretariat": { "id": "stl", "name": "STL de prueba", "preset": "jalisco" },
            "session": { "id": "s1", "kind": "ordinaria", "title": "Sesión ordinaria", "record": "acta", "number": 1, "folio": "2026-ORD-01", "date": "2026-12-14", "scheduled_time": "10:00", "place": "Sala <b>1</b>", "utc_offset_minutes": -360 },
            "convocatoria": null,
            "attendance": {
                "seats": [
                    { "seat": "ejecutivo", "seat_name": "Poder Ejecutivo", "sector": "gobierno", "group": "gobierno", "active": true, "represented_by": "suplente", "suplente_acted": false,
                      "attendees": [
                        { "member_id": "t1", "name": "TITULAR", "rfc": "XAXX010101000", "capacity": "titular", "seat": "ejecutivo", "stays": gone },
                        { "member_id": "s1", "name": "SUPLENTE", "rfc": "XAXX010101000", "capacity": "suplente", "seat": "ejecutivo", "stays": here }
                      ] },
                    { "seat": "academia", "seat_name": "Academia", "sector": "academia", "group": "sociedad_civil", "active": true, "represented_by": "titular", "suplente_acted": false,
                      "attendees": [ { "member_id": "a1", "name": "ACADÉMICA", "rfc": "XAXX010101000", "capacity": "titular", "seat": "academia", "stays": here } ] },
                    { "seat": "judicial", "seat_name": "Poder Judicial", "sector": "gobierno", "group": "gobierno", "active": true, "represented_by": "none", "suplente_acted": false,
                      "attendees": [ { "member_id": "e1", "name": "ENLACE", "rfc": "XAXX010101000", "capacity": "enlace", "seat": "judicial", "stays": here } ] }
                ],
                "others": []
            },
            "quorum": { "at_opening": null },
            "agenda": { "items": [ { "position": 1, "title": "Lista de asistencia", "description": null, "deliberation": null, "motions": [1] } ], "approval": null },
            "motions": [ {
                "id": "m1", "number": 1, "agenda_item": 1, "text": "Aprobar el calendario", "voted_at": "2026-12-14T10:10:00-06:00", "time": "10:10",
                "quorum": { "ok": true, "represented": 2, "active": 3, "civil_society_represented": true, "explanation": "q" },
                "decision": { "outcome": "aprobado", "by": "consenso", "favor": 2, "contra": 0, "abstencion": 0, "civil_society_in_favor": true, "explanation": "aprobado por consenso" },
                "votes": [ { "seat": "ejecutivo", "seat_name": "Poder Ejecutivo", "vote": "favor", "capacity": "suplente" }, { "seat": "academia", "seat_name": "Academia", "vote": "favor", "capacity": "titular" } ]
            } ],
            "agreements": [],
            "signers": [],
        })
    }

    fn seats() -> Value {
        json!([
            { "id": "ejecutivo", "name": "Poder Ejecutivo", "group": "gobierno", "active": true, "presides": false,
              "titular": { "member_id": "t1", "name": "TITULAR" }, "suplente": { "member_id": "s1", "name": "SUPLENTE" } },
            { "id": "academia", "name": "Academia", "group": "sociedad_civil", "active": true, "presides": true,
              "titular": { "member_id": "a1", "name": "ACADÉMICA" } },
            { "id": "judicial", "name": "Poder Judicial", "group": "gobierno", "active": true, "presides": false,
              "titular": { "member_id": "j1", "name": "JUEZA" }, "enlace": { "member_id": "e1", "name": "ENLACE" } }
        ])
    }

    #[test]
    fn a_seat_is_represented_by_whoever_is_in_the_room_and_an_enlace_never_counts() {
        let rows = attendance_rows(&detail("abierta"), &seats());
        let rows = rows.as_array().unwrap();
        assert_eq!(
            rows[0]["represented"], true,
            "el suplente representa al Ejecutivo"
        );
        assert_eq!(rows[0]["people"][0]["here"], false, "el titular salió");
        assert_eq!(rows[0]["people"][0]["came"], true);
        assert_eq!(rows[0]["people"][1]["here"], true);
        assert_eq!(rows[1]["civil_society"], true);
        assert_eq!(
            rows[2]["represented"], false,
            "el enlace tiene voz, no representa"
        );
        let present = present_seats(&detail("abierta"));
        let seats: Vec<&str> = present
            .iter()
            .map(|p| p["seat"].as_str().unwrap())
            .collect();
        assert_eq!(seats, ["ejecutivo", "academia"]);
    }

    #[test]
    fn vote_forms_send_one_vote_per_chosen_seat_and_blank_means_no_vote() {
        let form: HashMap<String, String> = [
            ("csrf", "x"),
            ("voto_ejecutivo", "contra"),
            ("voto_academia", "favor"),
            ("voto_judicial", ""),
            ("text", "Moción"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            votes_of(&form),
            vec![
                json!({ "seat": "academia", "vote": "favor" }),
                json!({ "seat": "ejecutivo", "vote": "contra" }),
            ]
        );
        assert_eq!(
            agenda_items("  Uno \n\n Dos\n"),
            vec![json!({ "title": "Uno" }), json!({ "title": "Dos" })]
        );
        let state = WebState::new(
            WebConfig {
                secretariat: "http://127.0.0.1:9/secretariat".into(),
                signing: "http://127.0.0.1:9/signing".into(),
                documents: None,
                mail: None,
                archive: None,
                max_evidence_bytes: 50 * 1024 * 1024,
            },
            reqwest::Client::new(),
        );
        // A path the form cannot steer elsewhere.
        let mut bad = form.clone();
        bad.insert("position".into(), "1/../../x".into());
        assert!(action_call(&state.0, "s1", "deliberacion", &bad).is_none());
        assert!(action_call(&state.0, "s1", "no-existe", &form).is_none());
        let (method, url, body, _) = action_call(&state.0, "s1", "votacion", &form).unwrap();
        assert_eq!(method, Method::POST);
        assert_eq!(url, "http://127.0.0.1:9/secretariat/sessions/s1/motions");
        assert_eq!(body["votes"].as_array().unwrap().len(), 2);
    }

    /// Every console template renders for every status, escapes what the
    /// services return, and shows the live findings with their explanation.
    #[test]
    fn the_session_pages_render_in_every_status() {
        let state = WebState::new(
            WebConfig {
                secretariat: "http://127.0.0.1:9/secretariat".into(),
                signing: "http://127.0.0.1:9/signing".into(),
                documents: None,
                mail: None,
                archive: None,
                max_evidence_bytes: 50 * 1024 * 1024,
            },
            reqwest::Client::new(),
        );
        let env = &state.0.env;
        for status in ["programada", "convocada", "abierta", "cerrada", "cancelada"] {
            let d = detail(status);
            let mut view = live_json("s1", d.clone());
            view["seats"] = attendance_rows(&d, &seats());
            view["voting_seats"] = json!(present_seats(&d));
            view["approved_motions"] = d["motions"].clone();
            view["notice_check"] = json!({
                "issued_on": "2026-12-10", "session_date": "2026-12-14", "earliest_session_date": "2026-12-18",
                "notice": { "ok": false, "business_days": 1, "required": 5, "latest_issue_date": "2026-12-04", "explanation": "convocatoria insuficiente" }
            });
            view["record"] = json!({ "drafting": true });
            let member = json!({ "name": "FACILITADORA", "roles": ["facilitador"], "secretariat_id": "stl", "read_only": false });
            for template in ["consola/sesion.html", "sesion.html"] {
                let html = env
                    .get_template(template)
                    .and_then(|t| {
                        t.render(context! {
                            s => v(&view), csrf => "c", member => v(&member), typed => v(&json!({})), kinds => v(&KINDS), manager => true
                        })
                    })
                    .unwrap_or_else(|e| panic!("{template} ({status}): {e:#}"));
                assert!(
                    html.contains("Sala &lt;b&gt;1") && !html.contains("<b>1"),
                    "{template} ({status}) no escapa"
                );
                assert!(
                    !html.contains("XAXX010101000"),
                    "{template} ({status}) muestra un RFC"
                );
                assert!(
                    html.contains("aprobado por consenso"),
                    "{template} ({status})"
                );
                if matches!(status, "convocada" | "abierta") {
                    assert!(
                        html.contains("uórum: 2 de 3 asientos"),
                        "{template} ({status})"
                    );
                }
            }
            let console = env
                .get_template("consola/sesion.html")
                .and_then(|t| t.render(context! { s => v(&view), csrf => "c", member => v(&member), typed => v(&json!({})), kinds => v(&KINDS) }))
                .unwrap();
            match status {
                "programada" => {
                    assert!(console.contains("la fecha más próxima válida para la sesión es el <strong>2026-12-18</strong>"));
                }
                "abierta" => {
                    assert!(console.contains("name=\"voto_ejecutivo\""));
                    assert!(
                        !console.contains("name=\"voto_judicial\""),
                        "un asiento sin representar no vota"
                    );
                }
                _ => {}
            }
        }
        let list = env
            .get_template("consola/sesiones.html")
            .and_then(|t| t.render(context! { sessions => v(&json!([{ "id": "s1", "kind_name": "Sesión ordinaria", "folio": "F", "date": "2026-12-14", "time": "10:00", "place": "X", "status": "abierta", "status_name": "En curso" }])), kinds => v(&KINDS), typed => v(&json!({})), csrf => "c" }))
            .unwrap();
        assert!(list.contains("/consola/sesiones/s1"));
    }
}
