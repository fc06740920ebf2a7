//! What a member does (issue 16): log in with e.firma or a mailed link,
//! see pending actas, read and sign or refuse one, see their account.

use super::*;

/// The member's pages.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/entrar", web::get().to(login_page))
        .route("/entrar", web::post().to(login_without_js))
        .route("/entrar/reto", web::post().to(login_challenge))
        .route("/entrar/fiel", web::post().to(login_fiel))
        .route("/entrar/correo", web::post().to(request_link))
        .route("/entrar/enlace", web::get().to(link_page))
        .route("/entrar/enlace", web::post().to(redeem_link))
        .route("/salir", web::post().to(logout))
        .route("/pendientes", web::get().to(pending))
        .route("/cuenta", web::get().to(account))
        .route("/documentos", web::get().to(my_documents))
        .route(
            "/cuenta/sesiones/{id}/cerrar",
            web::post().to(close_other_session),
        )
        .route(
            "/sesiones/{id}/invitacion.ics",
            web::get().to(my_invitation),
        )
        .route("/firmar/{id}", web::get().to(sign_page))
        .route("/firmar/{id}/acta.pdf", web::get().to(route_pdf))
        .route("/firmar/{id}/firmada.pdf", web::get().to(signed_pdf))
        .route("/firmar/{id}/preparar", web::post().to(prepare))
        .route("/firmar/{id}/completar", web::post().to(complete))
        .route("/firmar/{id}/rechazar", web::post().to(refuse));
}

pub(crate) async fn home(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let current = state.0.current(&request);
    let cookie = current.fresh.then(|| set_cookie(Some(&current.id)));
    if current.member.is_some() {
        redirect("/pendientes", cookie)
    } else {
        redirect("/entrar", cookie)
    }
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    pub(crate) salio: Option<String>,
    pub(crate) vencida: Option<String>,
}

pub(crate) async fn login_page(
    state: web::Data<WebState>,
    request: HttpRequest,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let current = state.0.current(&request);
    if current.member.is_some() {
        return redirect("/pendientes", None);
    }
    let notice = if query.salio.is_some() {
        Some("Su sesión se cerró.")
    } else if query.vencida.is_some() {
        Some("Su sesión terminó (venció o se cerró en otro lugar). Entre de nuevo.")
    } else {
        None
    };
    state
        .0
        .render("entrar.html", &current, context! { notice => notice })
}

pub(crate) async fn login_without_js(
    state: web::Data<WebState>,
    request: HttpRequest,
) -> HttpResponse {
    let current = state.0.current(&request);
    state.0.render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "entrar.html",
        &current,
        context! { error => "Para entrar con su e.firma la página necesita JavaScript: su llave se usa solo en este navegador y nunca se envía. Active JavaScript, o pida un enlace de acceso por correo (solo lectura)." },
    )
}

/// `POST /entrar/reto`: a fresh login challenge (JSON, CSRF header).
pub(crate) async fn login_challenge(
    state: web::Data<WebState>,
    request: HttpRequest,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, header_str(&request, CSRF_HEADER)) {
        return csrf_refused_json();
    }
    match inner
        .call_for(
            Some(&request),
            Method::POST,
            inner.secretariat("/auth/challenge"),
            None,
            None,
        )
        .await
    {
        Ok(answer) if answer.status.is_success() => json_response(
            StatusCode::OK,
            json!({ "nonce": answer.body["nonce"], "expires_at": answer.body["expires_at"] }),
            None,
        ),
        Ok(answer) => problem(answer.status, &answer.detail()),
        Err(message) => problem(StatusCode::BAD_GATEWAY, &message),
    }
}

pub(crate) fn header_str<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

pub(crate) fn csrf_refused_json() -> HttpResponse {
    problem(
        StatusCode::FORBIDDEN,
        "La página venció o no viene de Rúbrica (falta el código de seguridad del formulario). Recargue la página e intente de nuevo.",
    )
}

#[derive(Deserialize)]
pub(crate) struct FielLogin {
    pub(crate) nonce: String,
    pub(crate) certificate: String,
    pub(crate) signature: String,
}

/// `POST /entrar/fiel`: the signed challenge; starts the browser session.
pub(crate) async fn login_fiel(
    state: web::Data<WebState>,
    request: HttpRequest,
    body: web::Json<FielLogin>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, header_str(&request, CSRF_HEADER)) {
        return csrf_refused_json();
    }
    let answer = match inner
        .call_for(
            Some(&request),
            Method::POST,
            inner.secretariat("/auth/fiel"),
            None,
            Some(json!({
                "nonce": body.nonce,
                "certificate": body.certificate,
                "signature": body.signature,
            })),
        )
        .await
    {
        Ok(answer) => answer,
        Err(message) => return problem(StatusCode::BAD_GATEWAY, &message),
    };
    if !answer.status.is_success() {
        return problem(answer.status, &answer.detail());
    }
    let Some(mut member) = member_from(&answer.body, false, None) else {
        return problem(
            StatusCode::BAD_GATEWAY,
            "El secretariado no devolvió una sesión válida. Intente de nuevo.",
        );
    };
    member.utc_offset_minutes = inner.secretariat_offset(&member).await;
    let minutes = member.utc_offset_minutes;
    member.certificate = BASE64
        .decode(body.certificate.trim())
        .ok()
        .and_then(|der| rubrica_fiel::Certificate::from_bytes(&der).ok())
        .map(|c| CertificateInfo {
            number: c.display_number(),
            not_before: fecha_time(c.not_before(), minutes),
            not_after: fecha_time(c.not_after(), minutes),
            issuer: c.issuer_name().to_string(),
        });
    let id = inner.start(&current.id, member);
    json_response(
        StatusCode::OK,
        json!({ "redirect": "/pendientes" }),
        Some(set_cookie(Some(&id))),
    )
}

pub(crate) fn member_from(
    granted: &Value,
    read_only: bool,
    certificate: Option<CertificateInfo>,
) -> Option<Member> {
    let caller = &granted["caller"];
    Some(Member {
        token: granted["token"].as_str()?.to_string(),
        name: caller["name"].as_str()?.to_string(),
        rfc: caller["rfc"].as_str().map(str::to_string),
        member_id: caller["member_id"].as_str().map(str::to_string),
        secretariat_id: caller["secretariat_id"].as_str().map(str::to_string),
        roles: caller["roles"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        read_only,
        certificate,
        expires_at: granted["expires_at"].as_i64().unwrap_or_default(),
        utc_offset_minutes: rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES,
    })
}

impl Inner {
    /// The member's secretariat's UTC offset, asked once at login with the
    /// member's own token (central Mexico if it cannot be read: the pages
    /// still work and say which zone they show).
    pub(crate) async fn secretariat_offset(&self, member: &Member) -> i64 {
        let default = rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES;
        let Some(stl) = member.secretariat_id.as_deref().filter(|s| valid_id(s)) else {
            return default;
        };
        match self
            .call(
                Method::GET,
                self.secretariat(&format!("/secretariats/{stl}")),
                Some(&member.token),
                None,
            )
            .await
        {
            Ok(answer) if answer.status.is_success() => answer.body["utc_offset_minutes"]
                .as_i64()
                .unwrap_or(default),
            _ => default,
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct LinkRequest {
    pub(crate) csrf: String,
    pub(crate) email: String,
}

/// `POST /entrar/correo`: mails a one-time link.
pub(crate) async fn request_link(
    state: web::Data<WebState>,
    request: HttpRequest,
    form: web::Form<LinkRequest>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, Some(&form.csrf)) {
        return csrf_refused_page(inner, &current);
    }
    match inner
        .call_for(
            Some(&request),
            Method::POST,
            inner.secretariat("/auth/email-link"),
            None,
            Some(json!({ "email": form.email })),
        )
        .await
    {
        Ok(answer) if answer.status.is_success() => inner.render(
            "entrar.html",
            &current,
            context! { notice => answer.body["mensaje"].as_str().unwrap_or("Solicitud recibida.").to_string() },
        ),
        Ok(answer) => inner.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "entrar.html",
            &current,
            context! { link_error => answer.detail(), email => form.email.clone() },
        ),
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

pub(crate) fn csrf_refused_page(inner: &Inner, current: &Current) -> HttpResponse {
    inner.error_page(
        current,
        StatusCode::FORBIDDEN,
        "El formulario venció o no viene de Rúbrica (falta su código de seguridad). Vuelva a la página anterior, recárguela e intente de nuevo.",
    )
}

#[derive(Deserialize)]
pub(crate) struct LinkQuery {
    pub(crate) token: Option<String>,
}

/// `GET /entrar/enlace?token=…`: asks for a click before spending the link
/// (mail scanners open links; only a POST spends it).
pub(crate) async fn link_page(
    state: web::Data<WebState>,
    request: HttpRequest,
    query: web::Query<LinkQuery>,
) -> HttpResponse {
    let current = state.0.current(&request);
    state.0.render(
        "enlace.html",
        &current,
        context! { token => query.token.clone().unwrap_or_default() },
    )
}

#[derive(Deserialize)]
pub(crate) struct Redeem {
    pub(crate) csrf: String,
    pub(crate) token: String,
}

pub(crate) async fn redeem_link(
    state: web::Data<WebState>,
    request: HttpRequest,
    form: web::Form<Redeem>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, Some(&form.csrf)) {
        return csrf_refused_page(inner, &current);
    }
    let answer = match inner
        .call_for(
            Some(&request),
            Method::POST,
            inner.secretariat("/auth/email-link/redeem"),
            None,
            Some(json!({ "token": form.token })),
        )
        .await
    {
        Ok(answer) => answer,
        Err(message) => return inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    };
    if !answer.status.is_success() {
        return inner.render_status(
            StatusCode::UNAUTHORIZED,
            "enlace.html",
            &current,
            context! { error => answer.detail() },
        );
    }
    match member_from(&answer.body, true, None) {
        Some(mut member) => {
            member.utc_offset_minutes = inner.secretariat_offset(&member).await;
            let id = inner.start(&current.id, member);
            redirect("/pendientes", Some(set_cookie(Some(&id))))
        }
        None => inner.error_page(&current, StatusCode::BAD_GATEWAY, UNREACHABLE),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    pub(crate) csrf: String,
}

pub(crate) async fn logout(
    state: web::Data<WebState>,
    request: HttpRequest,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, Some(&form.csrf)) {
        return csrf_refused_page(inner, &current);
    }
    if let Some(member) = &current.member {
        // Revoked at the secretariat too: the token stops working everywhere.
        let _ = inner
            .call(
                Method::POST,
                inner.secretariat("/auth/logout"),
                Some(&member.token),
                None,
            )
            .await;
    }
    inner.end(&current.id);
    redirect("/entrar?salio=1", Some(set_cookie(None)))
}

pub(crate) async fn pending(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let answer = match inner
        .call(
            Method::GET,
            inner.signing("/routes?limit=100"),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) => a,
        Err(message) => return inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    };
    if answer.status == StatusCode::UNAUTHORIZED {
        return session_ended(inner, &current);
    }
    if !answer.status.is_success() {
        return inner.error_page(&current, answer.status, &answer.detail());
    }
    let routes = answer.body.as_array().cloned().unwrap_or_default();
    let mut to_sign = Vec::new();
    let mut others = Vec::new();
    for route in routes {
        let view = route_summary(&route, &member);
        if view["mine_pending"] == true {
            to_sign.push(view);
        } else {
            others.push(view);
        }
    }
    let upcoming = upcoming_sessions(inner, &member).await;
    let outgoing = member.roles.iter().any(|r| r == "saliente");
    inner.render(
        "pendientes.html",
        &current,
        context! {
            to_sign => v(&to_sign),
            others => v(&others),
            upcoming => v(&upcoming),
            outgoing => outgoing,
            page => "pendientes",
        },
    )
}

/// The member's secretariat's convened sessions from today on, soonest
/// first, each with its agenda (the convocatoria goes with it, 000 V.6).
async fn upcoming_sessions(inner: &Inner, member: &Member) -> Vec<Value> {
    let Some(stl) = member.secretariat_id.as_deref().filter(|s| valid_id(s)) else {
        return Vec::new();
    };
    let Ok(list) = inner
        .call(
            Method::GET,
            inner.secretariat(&format!("/secretariats/{stl}/sessions")),
            Some(&member.token),
            None,
        )
        .await
    else {
        return Vec::new();
    };
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::UtcOffset::from_hms(-12, 0, 0).unwrap_or(time::UtcOffset::UTC))
        .date()
        .to_string();
    let mut sessions: Vec<Value> = list
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| {
            matches!(s["status"].as_str(), Some("convocada" | "abierta"))
                && s["date"].as_str().is_some_and(|d| d >= today.as_str())
        })
        .cloned()
        .collect();
    sessions.sort_by(|a, b| a["date"].as_str().cmp(&b["date"].as_str()));
    sessions.truncate(5);
    for session in &mut sessions {
        let id = session["id"].as_str().unwrap_or_default().to_string();
        if !valid_id(&id) {
            continue;
        }
        if let Ok(detail) = inner
            .call(
                Method::GET,
                inner.secretariat(&format!("/sessions/{id}")),
                Some(&member.token),
                None,
            )
            .await
            && detail.status.is_success()
        {
            session["agenda"] = detail.body["agenda"]["items"].clone();
            session["convocatoria"] = detail.body["convocatoria"].clone();
            session["title"] = detail.body["session"]["title"].clone();
        }
    }
    sessions
}

/// `GET /sesiones/{id}/invitacion.ics`: the calendar invitation the member
/// was mailed with the convocatoria (the latest, if the session changed).
pub(crate) async fn my_invitation(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    let Some(mail) = inner.config.mail.as_deref().filter(|_| valid_id(&id)) else {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Esa sesión no existe.");
    };
    relay_file(
        inner,
        &current,
        &member,
        format!(
            "{}/sessions/{id}/invitation.ics",
            mail.trim_end_matches('/')
        ),
        "text/calendar; charset=utf-8",
        |_| "attachment; filename=\"sesion.ics\"".into(),
    )
    .await
}

pub(crate) const STATUS_NAMES: &[(&str, &str)] = &[
    ("pendiente", "pendiente"),
    ("firmado", "firmó"),
    ("firmada", "firmó"),
    ("rechazado", "rechazó"),
    ("rechazada", "rechazó"),
];

pub(crate) fn status_name(status: &str) -> String {
    STATUS_NAMES
        .iter()
        .find(|(k, _)| *k == status)
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| status.replace('_', " "))
}

/// What the pages show of a route, and where the member stands in it.
pub(crate) fn route_summary(route: &Value, member: &Member) -> Value {
    let signers: Vec<Value> = route["signers"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|signer| {
                    let mine = is_me(signer, member);
                    json!({
                        "name": signer["name"],
                        "seat": signer["seat"].as_str().unwrap_or_default().replace('_', " "),
                        "role": signer["role"],
                        "status": signer["status"],
                        "status_name": status_name(signer["status"].as_str().unwrap_or_default()),
                        "signed_at": signer["signed_at"],
                        "refused_at": signer["refused_at"],
                        "refusal_reason": signer["refusal_reason"],
                        "mine": mine,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mine = signers.iter().find(|s| s["mine"] == true);
    let open = route["status"].as_str() == Some("abierta");
    let mine_pending = open && mine.is_some_and(|s| s["status"] == "pendiente");
    let signed = signers
        .iter()
        .filter(|s| s["status"] == "firmado" || s["status"] == "firmada")
        .count();
    json!({
        "id": route["id"],
        "title": route["title"],
        "folio": route["folio"],
        "record_kind": route["record_kind"],
        "status": route["status"],
        "status_name": route["status"].as_str().unwrap_or_default().replace('_', " "),
        "open": open,
        "due_on": route["due_on"],
        "created_at": route["created_at"],
        "current_sha256": route["current_sha256"],
        "final_sha256": route["final_sha256"],
        "document_id": route["document_id"],
        "signers": signers,
        "signed_count": signed,
        "signer_count": signers.len(),
        "mine_pending": mine_pending,
        "my_status": mine.map(|s| s["status"].clone()).unwrap_or(Value::Null),
        "is_signer": mine.is_some(),
    })
}

pub(crate) fn is_me(signer: &Value, member: &Member) -> bool {
    let by_rfc = member.rfc.as_deref().is_some_and(|rfc| {
        signer["rfc"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(rfc))
    });
    let by_id = member.member_id.as_deref().is_some_and(|id| {
        signer["member_id"].as_str() == Some(id) || signer["id"].as_str() == Some(id)
    });
    by_rfc || by_id
}

#[derive(Deserialize)]
pub(crate) struct SignQuery {
    pub(crate) firmado: Option<String>,
}

pub(crate) async fn sign_page(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<SignQuery>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(
            &current,
            StatusCode::NOT_FOUND,
            "Esa acta no existe. Vuelva a sus pendientes.",
        );
    }
    let answer = match inner
        .call(
            Method::GET,
            inner.signing(&format!("/routes/{id}")),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) => a,
        Err(message) => return inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    };
    if answer.status == StatusCode::UNAUTHORIZED {
        return session_ended(inner, &current);
    }
    if !answer.status.is_success() {
        return inner.error_page(&current, answer.status, &answer.detail());
    }
    let route = route_summary(&answer.body, &member);
    // The page count of the approved version, from the documents service.
    let mut pages = Value::Null;
    let mut session_id: Option<String> = None;
    if let (Some(documents), Some(document_id)) =
        (&inner.config.documents, route["document_id"].as_str())
        && valid_id(document_id)
    {
        let url = format!(
            "{}/documents/{document_id}",
            documents.trim_end_matches('/')
        );
        if let Ok(doc) = inner
            .call(Method::GET, url, Some(&member.token), None)
            .await
            && doc.status.is_success()
        {
            let version = doc.body["approved_version"]
                .as_i64()
                .or(doc.body["latest_version"].as_i64());
            pages = doc.body["versions"]
                .as_array()
                .and_then(|v| v.iter().find(|v| v["version"].as_i64() == version))
                .map(|v| v["page_count"].clone())
                .unwrap_or(Value::Null);
            session_id = doc.body["session_id"].as_str().map(str::to_string);
        }
    }
    // The session the record was drafted from, as HTML for small screens
    // (what is signed is the PDF; the page says so).
    let mut on_screen = None;
    if let Some(session) = session_id.as_deref().filter(|s| valid_id(s))
        && let Ok(detail) = inner
            .call(
                Method::GET,
                inner.secretariat(&format!("/sessions/{session}")),
                Some(&member.token),
                None,
            )
            .await
        && detail.status.is_success()
    {
        on_screen = crate::console::session_fragment(inner, session, detail.body);
    }
    // Where the member's initials and signature go, from the layout
    // manifest the route signs with (issue 16: shown before signing).
    let mut placement = Value::Null;
    if route["mine_pending"] == true
        && let (Some(documents), Some(document_id)) =
            (&inner.config.documents, route["document_id"].as_str())
        && valid_id(document_id)
    {
        let url = format!(
            "{}/documents/{document_id}/layout",
            documents.trim_end_matches('/')
        );
        if let Ok(layout) = inner
            .call(Method::GET, url, Some(&member.token), None)
            .await
            && layout.status.is_success()
        {
            placement = placement_of(&layout.body, &member);
        }
    }
    // After signing: the verification report of the current revision.
    let signed = route["my_status"] == "firmado" || route["my_status"] == "firmada";
    let mut verification = Value::Null;
    if signed
        && let Ok(report) = inner
            .call(
                Method::GET,
                inner.signing(&format!("/routes/{id}/verification")),
                Some(&member.token),
                None,
            )
            .await
        && report.status.is_success()
    {
        verification = verification_summary(&report.body, &member);
    }
    inner.render(
        "firmar.html",
        &current,
        context! {
            route => v(&route),
            pages => v(&pages),
            placement => v(&placement),
            on_screen => on_screen.map(minijinja::Value::from_safe_string),
            verification => v(&verification),
            just_signed => query.firmado.is_some() && signed,
        },
    )
}

/// US Letter, the records' page size, in points (the manifest has no page
/// size; it only places boxes).
const PAGE: (f64, f64) = (612.0, 792.0);

/// Where a position falls on the page, in words.
fn where_on_page(x: f64, y: f64, width: f64, height: f64) -> String {
    let (cx, cy) = ((x + width / 2.0) / PAGE.0, (y + height / 2.0) / PAGE.1);
    let horizontal = if cx < 0.34 {
        "izquierdo"
    } else if cx > 0.66 {
        "derecho"
    } else {
        "central"
    };
    let vertical = if cy < 0.34 {
        "inferior"
    } else if cy > 0.66 {
        "superior"
    } else {
        "medio"
    };
    format!("tercio {vertical}, lado {horizontal}")
}

/// The member's boxes in a layout manifest (matched by RFC): each page's
/// initials and the signature box, with a small map of the page (SVG
/// coordinates: y grows downwards) that shows the others' boxes too.
fn placement_of(layout: &Value, member: &Member) -> Value {
    let Some(rfc) = member.rfc.as_deref() else {
        return Value::Null;
    };
    let signers = layout["signers"].as_array().cloned().unwrap_or_default();
    let Some(mine) = signers.iter().find(|s| {
        s["rfc"]
            .as_str()
            .is_some_and(|r| r.eq_ignore_ascii_case(rfc))
    }) else {
        return Value::Null;
    };
    let rect = |r: &Value| {
        let (x, y, w, h) = (
            r["x"].as_f64().unwrap_or_default(),
            r["y"].as_f64().unwrap_or_default(),
            r["width"].as_f64().unwrap_or_default(),
            r["height"].as_f64().unwrap_or_default(),
        );
        json!({
            "page": r["page"],
            "x": (x * 10.0).round() / 10.0,
            "y": ((PAGE.1 - y - h) * 10.0).round() / 10.0,
            "width": (w * 10.0).round() / 10.0,
            "height": (h * 10.0).round() / 10.0,
            "where": where_on_page(x, y, w, h),
        })
    };
    let initials: Vec<Value> = mine["initials"]
        .as_array()
        .into_iter()
        .flatten()
        .map(rect)
        .collect();
    let signature = rect(&mine["signature_box"]);
    let page_of_signature = signature["page"].as_u64().unwrap_or(1);
    // The others' boxes on the signature page, for the map.
    let others: Vec<Value> = signers
        .iter()
        .filter(|s| s["rfc"] != mine["rfc"])
        .flat_map(|s| {
            let mut boxes: Vec<Value> = s["initials"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["page"].as_u64() == Some(page_of_signature))
                .map(rect)
                .collect();
            if s["signature_box"]["page"].as_u64() == Some(page_of_signature) {
                boxes.push(rect(&s["signature_box"]));
            }
            boxes
        })
        .collect();
    let same_place = initials
        .windows(2)
        .all(|w| w[0]["x"] == w[1]["x"] && w[0]["y"] == w[1]["y"]);
    json!({
        "page_width": PAGE.0,
        "page_height": PAGE.1,
        "initials": initials,
        "initials_same_place": same_place,
        "signature": signature,
        "others": others,
        "mine_on_signature_page": initials.iter().find(|r| r["page"].as_u64() == Some(page_of_signature)),
    })
}

/// The member's own signature in a verification report, and the verdict.
pub(crate) fn verification_summary(report: &Value, member: &Member) -> Value {
    let signatures = report["signatures"].as_array().cloned().unwrap_or_default();
    let mine = signatures.iter().rev().find(|s| {
        let rfc = s["certificate"]["rfc"].as_str();
        member
            .rfc
            .as_deref()
            .is_some_and(|m| rfc.is_some_and(|r| r.eq_ignore_ascii_case(m)))
    });
    json!({
        "verdict": report["verdict"],
        "summary": report["summary"],
        "document_sha256": report["document_sha256"],
        "signatures": signatures.len(),
        "mine": mine.map(|s| json!({
            "verdict": s["verdict"],
            "summary": s["summary"],
            "reason": s["reason"],
            "signing_time": s["signing_time"],
            "certificate_number": s["certificate"]["certificate_number"].as_str()
                .or(s["certificate"]["number"].as_str()),
        })),
    })
}

pub(crate) async fn route_pdf(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    proxy_pdf(&state.0, &request, &path.into_inner(), "pdf").await
}

pub(crate) async fn signed_pdf(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    proxy_pdf(&state.0, &request, &path.into_inner(), "signed.pdf").await
}

/// The route's PDF, fetched with the member's token and passed on.
pub(crate) async fn proxy_pdf(
    inner: &Inner,
    request: &HttpRequest,
    id: &str,
    which: &str,
) -> HttpResponse {
    let current = inner.current(request);
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    if !valid_id(id) {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Esa acta no existe.");
    }
    let url = inner.signing(&format!("/routes/{id}/{which}"));
    pass_pdf(inner, &current, &member, url, "acta").await
}

/// A PDF of another service, fetched with the member's token and passed on
/// (named `<stem>-<first hex digits of its SHA-256>.pdf` when the service
/// gives its hash as `ETag`).
pub(crate) async fn pass_pdf(
    inner: &Inner,
    current: &Current,
    member: &Member,
    url: String,
    stem: &str,
) -> HttpResponse {
    relay_file(inner, current, member, url, "application/pdf", |headers| {
        let sha = headers
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim_matches('"').chars().take(12).collect::<String>())
            .unwrap_or_default();
        if sha.is_empty() {
            format!("inline; filename=\"{stem}.pdf\"")
        } else {
            format!("inline; filename=\"{stem}-{sha}.pdf\"")
        }
    })
    .await
}

/// A file of another service (a PDF, a calendar invitation, a package),
/// fetched with the member's token and passed on as `media` with the
/// `Content-Disposition` that `disposition` makes from the service's
/// headers; never cached, never run as a page. A 401 ends the browser
/// session; any other refusal is the service's explanation on a page.
pub(crate) async fn relay_file(
    inner: &Inner,
    current: &Current,
    member: &Member,
    url: String,
    media: &str,
    disposition: impl FnOnce(&reqwest::header::HeaderMap) -> String,
) -> HttpResponse {
    let response = inner
        .http
        .get(url)
        .bearer_auth(&member.token)
        .timeout(Duration::from_secs(120))
        .send()
        .await;
    let Ok(response) = response else {
        return inner.error_page(current, StatusCode::BAD_GATEWAY, UNREACHABLE);
    };
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    if status == StatusCode::UNAUTHORIZED {
        return session_ended(inner, current);
    }
    if !status.is_success() {
        let body: Value = response.json().await.unwrap_or(Value::Null);
        return inner.error_page(current, status, &Answer { status, body }.detail());
    }
    let disposition = disposition(response.headers());
    match response.bytes().await {
        Ok(bytes) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, media))
            .insert_header((header::CONTENT_DISPOSITION, disposition))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; object-src 'self'; plugin-types application/pdf",
            ))
            .body(bytes),
        Err(_) => inner.error_page(current, StatusCode::BAD_GATEWAY, UNREACHABLE),
    }
}

/// `POST /firmar/{id}/preparar` and `/completar`: the two steps of a remote
/// signature, passed to the signing service with the member's token (JSON,
/// CSRF header). Only the certificate, the bytes to sign and the signature
/// value cross: the key stays in the page.
pub(crate) async fn prepare(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    let certificate = body["certificate"].as_str().unwrap_or_default().to_string();
    sign_step(
        &state.0,
        &request,
        &path.into_inner(),
        "prepare",
        json!({ "certificate": certificate }),
    )
    .await
}

pub(crate) async fn complete(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    let forwarded = json!({
        "prepare_id": body["prepare_id"].as_str().unwrap_or_default(),
        "signature": body["signature"].as_str().unwrap_or_default(),
    });
    sign_step(
        &state.0,
        &request,
        &path.into_inner(),
        "complete",
        forwarded,
    )
    .await
}

pub(crate) async fn sign_step(
    inner: &Inner,
    request: &HttpRequest,
    id: &str,
    step: &str,
    body: Value,
) -> HttpResponse {
    let current = inner.current(request);
    if !same_origin(request) || !csrf_ok(&current, header_str(request, CSRF_HEADER)) {
        return csrf_refused_json();
    }
    let Some(member) = &current.member else {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Su sesión terminó. Entre de nuevo con su e.firma y vuelva a esta acta.",
        );
    };
    if member.read_only {
        return problem(
            StatusCode::FORBIDDEN,
            "Entró con un enlace por correo, que permite consultar pero no firmar. Para firmar, salga y entre con su e.firma.",
        );
    }
    if !valid_id(id) {
        return problem(StatusCode::NOT_FOUND, "Esa acta no existe.");
    }
    match inner
        .call(
            Method::POST,
            inner.signing(&format!("/routes/{id}/{step}")),
            Some(&member.token),
            Some(body),
        )
        .await
    {
        Ok(answer) if answer.status.is_success() => {
            let out = if step == "prepare" {
                json!({ "prepare_id": answer.body["prepare_id"], "to_sign": answer.body["to_sign"] })
            } else {
                json!({
                    "completed": answer.body["completed"],
                    "revision_sha256": answer.body["revision_sha256"],
                    "redirect": format!("/firmar/{id}?firmado=1"),
                })
            };
            json_response(StatusCode::OK, out, None)
        }
        Ok(answer) => problem(answer.status, &answer.detail()),
        Err(message) => problem(StatusCode::BAD_GATEWAY, &message),
    }
}

#[derive(Deserialize)]
pub(crate) struct RefuseForm {
    pub(crate) csrf: String,
    pub(crate) reason: String,
}

pub(crate) async fn refuse(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<RefuseForm>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, Some(&form.csrf)) {
        return csrf_refused_page(inner, &current);
    }
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Esa acta no existe.");
    }
    match inner
        .call(
            Method::POST,
            inner.signing(&format!("/routes/{id}/refuse")),
            Some(&member.token),
            Some(json!({ "reason": form.reason })),
        )
        .await
    {
        Ok(answer) if answer.status.is_success() => redirect(&format!("/firmar/{id}"), None),
        Ok(answer) if answer.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(answer) => inner.error_page(&current, answer.status, &answer.detail()),
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

pub(crate) async fn account(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let me = match inner
        .call(
            Method::GET,
            inner.secretariat("/auth/me"),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => return session_ended(inner, &current),
        Ok(a) if a.status.is_success() => a.body,
        Ok(a) => return inner.error_page(&current, a.status, &a.detail()),
        Err(message) => return inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    };
    // The member's seat, from the secretariat's member record (if allowed).
    let mut seat = Value::Null;
    if let (Some(stl), Some(member_id)) = (&member.secretariat_id, &member.member_id)
        && valid_id(stl)
        && valid_id(member_id)
        && let Ok(a) = inner
            .call(
                Method::GET,
                inner.secretariat(&format!("/secretariats/{stl}/members/{member_id}")),
                Some(&member.token),
                None,
            )
            .await
        && a.status.is_success()
    {
        seat = seat_of(&a.body);
    }
    // Their open sessions (this browser's and any other), to close the others.
    let mut sessions = Value::Null;
    if let Ok(a) = inner
        .call(
            Method::GET,
            inner.secretariat("/auth/sessions"),
            Some(&member.token),
            None,
        )
        .await
        && a.status.is_success()
    {
        sessions = a.body;
    }
    inner.render(
        "cuenta.html",
        &current,
        context! {
            me => v(&me),
            seat => v(&seat),
            sessions => v(&sessions),
            page => "cuenta",
            expires => fecha_ms(member.expires_at, member.utc_offset_minutes),
        },
    )
}

/// The seats a member record mentions (tolerant of the record's shape).
pub(crate) fn seat_of(record: &Value) -> Value {
    let mut seats = Vec::new();
    for key in ["seat", "seat_name", "asiento"] {
        if let Some(s) = record[key].as_str() {
            seats.push(s.replace('_', " "));
        }
    }
    for key in ["assignments", "seats", "terms"] {
        if let Some(list) = record[key].as_array() {
            for a in list {
                let seat = a["seat_name"].as_str().or(a["seat"].as_str());
                let role = a["role"].as_str();
                if let Some(seat) = seat {
                    seats.push(match role {
                        Some(role) => format!("{} ({role})", seat.replace('_', " ")),
                        None => seat.replace('_', " "),
                    });
                }
            }
        }
    }
    seats.dedup();
    if seats.is_empty() {
        Value::Null
    } else {
        Value::String(seats.join(", "))
    }
}

/// `GET /documentos`: the member's signed copies (routes they signed that
/// completed) and the archived records of their secretariat, each with the
/// verdict of every signature as the archive verified it.
pub(crate) async fn my_documents(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let routes = match inner
        .call(
            Method::GET,
            inner.signing("/routes?limit=100"),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => return session_ended(inner, &current),
        Ok(a) if a.status.is_success() => a.body,
        Ok(a) => return inner.error_page(&current, a.status, &a.detail()),
        Err(message) => return inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    };
    let signed: Vec<Value> = routes
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| route_summary(r, &member))
        .filter(|r| r["status"] == "completada" && r["is_signer"] == true)
        .collect();
    let mut records = Value::Null;
    if let (Some(archive), Some(stl)) = (
        inner.config.archive.as_deref(),
        member.secretariat_id.as_deref().filter(|s| valid_id(s)),
    ) && let Ok(a) = inner
        .call(
            Method::GET,
            format!(
                "{}/records?secretariat_id={stl}&limit=100",
                archive.trim_end_matches('/')
            ),
            None,
            None,
        )
        .await
        && a.status.is_success()
    {
        records = a.body["records"].clone();
    }
    inner.render(
        "documentos.html",
        &current,
        context! { signed => v(&signed), records => v(&records), page => "documentos" },
    )
}

/// `POST /cuenta/sesiones/{id}/cerrar`: closes another of the member's
/// sessions (a browser left open elsewhere, a lost phone).
pub(crate) async fn close_other_session(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, Some(&form.csrf)) {
        return csrf_refused_page(inner, &current);
    }
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(&current, StatusCode::NOT_FOUND, "Esa sesión no existe.");
    }
    match inner
        .call(
            Method::DELETE,
            inner.secretariat(&format!("/auth/sessions/{id}")),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) if a.status.is_success() => redirect("/cuenta", None),
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, &current),
        Ok(a) => inner.error_page(&current, a.status, &a.detail()),
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

#[cfg(test)]
mod placement_tests {
    use super::*;

    #[test]
    fn the_member_s_boxes_are_found_by_rfc_and_placed_in_words_and_on_the_map() {
        let member = Member {
            token: String::new(),
            name: "ANA".into(),
            rfc: Some("aaaa800101aa1".into()),
            member_id: None,
            secretariat_id: None,
            roles: vec![],
            read_only: false,
            certificate: None,
            expires_at: 0,
            utc_offset_minutes: -360,
        };
        let slot = |page: u32, x: f64, y: f64| json!({ "page": page, "x": x, "y": y, "width": 60.0, "height": 30.0 });
        let layout = json!({
            "version": 1, "page_count": 2,
            "signers": [
                { "id": "b", "name": "BETO", "seat": "x", "role": "Titular", "rfc": "BBBB800101BB1",
                  "signature_box": slot(2, 320.0, 100.0), "initials": [slot(1, 540.0, 700.0), slot(2, 540.0, 660.0)] },
                { "id": "a", "name": "ANA", "seat": "x", "role": "Titular", "rfc": "AAAA800101AA1",
                  "signature_box": slot(2, 60.0, 100.0), "initials": [slot(1, 540.0, 740.0), slot(2, 540.0, 740.0)] }
            ]
        });
        let p = placement_of(&layout, &member);
        assert_eq!(p["initials"].as_array().unwrap().len(), 2);
        assert_eq!(p["initials_same_place"], true);
        assert_eq!(p["initials"][0]["where"], "tercio superior, lado derecho");
        assert_eq!(p["signature"]["where"], "tercio inferior, lado izquierdo");
        // SVG coordinates: from the top.
        assert_eq!(p["signature"]["y"], 792.0 - 100.0 - 30.0);
        // On the signature page, the other signer's initials and signature.
        assert_eq!(p["others"].as_array().unwrap().len(), 2);
        let stranger = Member {
            rfc: Some("CCCC800101CC1".into()),
            ..member
        };
        assert!(placement_of(&layout, &stranger).is_null());
    }
}
