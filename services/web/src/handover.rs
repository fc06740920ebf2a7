//! A member's own entrega-recepción (issue 16; 000 III.7): whoever ends (or
//! is about to end) their term opens it, writes the activity report (the
//! documents service renders it), uploads documents (the archive checks each
//! by its content and hashes it), adds archived records, submits it, and then
//! follows the signing of its acta de entrega-recepción. Every step is the
//! archive's API with the member's own token.

use actix_multipart::Multipart;

use super::*;

pub(crate) const TEMPLATES: &[(&str, &str)] = &[(
    "entrega.html",
    include_str!("../../../templates/web/entrega.html"),
)];

/// Largest document uploaded through the page (the archive applies its own
/// limits too, per file and per package).
const MAX_UPLOAD: usize = 32 * 1024 * 1024;
/// Largest text field of the upload form.
const MAX_FIELD: usize = 4 * 1024;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/entrega", web::get().to(page))
        .route("/entrega/abrir", web::post().to(open))
        .route("/entrega/{id}/informe", web::post().to(report))
        .route("/entrega/{id}/registros", web::post().to(add_record))
        .route("/entrega/{id}/entregar", web::post().to(submit))
        .route("/entrega/{id}/archivos", web::post().to(upload));
}

fn archive(inner: &Inner) -> Option<String> {
    inner
        .config
        .archive
        .as_deref()
        .map(|a| a.trim_end_matches('/').to_string())
}

async fn view(
    inner: &Inner,
    current: &Current,
    member: &Member,
    status: StatusCode,
    extra: minijinja::Value,
) -> HttpResponse {
    let Some(base) = archive(inner) else {
        return inner.error_page(
            current,
            StatusCode::NOT_FOUND,
            "El servicio de archivo no está configurado en esta instalación.",
        );
    };
    let list = match inner
        .call(
            Method::GET,
            format!("{base}/handovers"),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => return session_ended(inner, current),
        Ok(a) if a.status.is_success() => a.body,
        Ok(a) => return inner.error_page(current, a.status, &a.detail()),
        Err(message) => return inner.error_page(current, StatusCode::BAD_GATEWAY, &message),
    };
    let mine: Vec<Value> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter(|h| {
            member
                .member_id
                .as_deref()
                .is_some_and(|id| h["member_id"].as_str() == Some(id))
        })
        .cloned()
        .collect();
    let open = mine.iter().any(|h| {
        matches!(
            h["status"].as_str(),
            Some("abierta" | "entregada" | "en_firma")
        )
    });
    inner.render_status(
        status,
        "entrega.html",
        current,
        context! { page => "entrega", handovers => v(&mine), can_open => !open, ..extra },
    )
}

async fn page(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match require_member(&current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    view(inner, &current, &member, StatusCode::OK, context! {}).await
}

/// Posts to the archive and comes back to the page: with a notice, or with
/// the archive's explanation and what was typed.
async fn act(
    inner: &Inner,
    current: &Current,
    member: &Member,
    url: String,
    body: Value,
    done: &str,
    typed: Value,
) -> HttpResponse {
    match inner
        .call(Method::POST, url, Some(&member.token), Some(body))
        .await
    {
        Ok(a) if a.status.is_success() => {
            view(
                inner,
                current,
                member,
                StatusCode::OK,
                context! { notice => done },
            )
            .await
        }
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => session_ended(inner, current),
        Ok(a) => {
            let status = client_status(a.status);
            view(
                inner,
                current,
                member,
                status,
                context! { error => a.detail(), typed => v(&typed) },
            )
            .await
        }
        Err(message) => inner.error_page(current, StatusCode::BAD_GATEWAY, &message),
    }
}

/// The checks every form of the page makes; the member and the archive.
fn guard(
    inner: &Inner,
    request: &HttpRequest,
    current: &Current,
    csrf: Option<&str>,
) -> Result<(Member, String), Box<HttpResponse>> {
    if !same_origin(request) || !csrf_ok(current, csrf) {
        return Err(Box::new(csrf_refused_page(inner, current)));
    }
    let member = require_member(current)?;
    let base = archive(inner).ok_or_else(|| {
        Box::new(inner.error_page(
            current,
            StatusCode::NOT_FOUND,
            "El servicio de archivo no está configurado en esta instalación.",
        ))
    })?;
    Ok((member, base))
}

fn text_of(form: &HashMap<String, String>, key: &str) -> Option<String> {
    form.get(key)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

async fn open(
    state: web::Data<WebState>,
    request: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let form = form.into_inner();
    let (member, base) = match guard(
        inner,
        &request,
        &current,
        form.get("csrf").map(String::as_str),
    ) {
        Ok(g) => g,
        Err(r) => return *r,
    };
    act(
        inner,
        &current,
        &member,
        format!("{base}/handovers"),
        json!({ "observations": text_of(&form, "observations") }),
        "Entrega-recepción abierta: agregue su informe y sus documentos, y entréguela.",
        json!(form),
    )
    .await
}

/// `AAAA-MM-DD título` or `título`, one per line.
fn activities(text: &str) -> Vec<Value> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (date, title) = match line.split_once(' ') {
                Some((d, rest)) if d.len() == 10 && d.as_bytes()[4] == b'-' => {
                    (Some(d), rest.trim())
                }
                _ => (None, line),
            };
            json!({ "title": title, "date": date })
        })
        .collect()
}

async fn report(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let form = form.into_inner();
    let (member, base) = match guard(
        inner,
        &request,
        &current,
        form.get("csrf").map(String::as_str),
    ) {
        Ok(g) => g,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(
            &current,
            StatusCode::NOT_FOUND,
            "Esa entrega-recepción no existe.",
        );
    }
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let pending: Vec<String> = field("pending")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let body = json!({
        "period": { "from": field("from"), "to": field("to") },
        "summary": field("summary"),
        "activities": activities(&field("activities")),
        "pending": pending,
        "place": text_of(&form, "place"),
    });
    let mut typed = form.clone();
    typed.remove("csrf");
    act(
        inner,
        &current,
        &member,
        format!("{base}/handovers/{id}/report"),
        body,
        "Informe de actividades generado y agregado a su entrega.",
        json!(typed),
    )
    .await
}

async fn add_record(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let form = form.into_inner();
    let (member, base) = match guard(
        inner,
        &request,
        &current,
        form.get("csrf").map(String::as_str),
    ) {
        Ok(g) => g,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(
            &current,
            StatusCode::NOT_FOUND,
            "Esa entrega-recepción no existe.",
        );
    }
    let mut typed = form.clone();
    typed.remove("csrf");
    act(
        inner,
        &current,
        &member,
        format!("{base}/handovers/{id}/records"),
        json!({
            "sha256": form.get("sha256").map(|s| s.trim().to_lowercase()).unwrap_or_default(),
            "description": text_of(&form, "record_description"),
        }),
        "Registro archivado agregado a su entrega.",
        json!(typed),
    )
    .await
}

async fn submit(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let (member, base) = match guard(inner, &request, &current, Some(&form.csrf)) {
        Ok(g) => g,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(
            &current,
            StatusCode::NOT_FOUND,
            "Esa entrega-recepción no existe.",
        );
    }
    act(
        inner,
        &current,
        &member,
        format!("{base}/handovers/{id}/submit"),
        json!({}),
        "Entrega hecha: queda fija y la Presidencia envía su acta de entrega-recepción a firma.",
        Value::Null,
    )
    .await
}

/// What the upload form sent.
struct Upload {
    csrf: String,
    description: String,
    name: String,
    bytes: Vec<u8>,
}

/// Reads the upload form (`multipart/form-data`): the CSRF token, the
/// description and one file, within the limits; a Spanish explanation
/// otherwise.
async fn read_upload(multipart: Multipart) -> Result<Upload, (StatusCode, String)> {
    let fields = crate::upload::read(multipart, "file", MAX_UPLOAD, MAX_FIELD)
        .await
        .map_err(|refusal| match refusal {
            crate::upload::Refusal::TooLarge { file: true } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "El archivo pasa de {} MiB, el máximo por documento. Divídalo o redúzcalo y vuelva a subirlo.",
                    MAX_UPLOAD / (1024 * 1024)
                ),
            ),
            crate::upload::Refusal::TooLarge { file: false } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Un campo del formulario es demasiado largo.".to_string(),
            ),
            crate::upload::Refusal::Broken => (
                StatusCode::BAD_REQUEST,
                "El formulario llegó incompleto. Elija el archivo de nuevo y vuelva a enviarlo.".to_string(),
            ),
        })?;
    let text = |k: &str| {
        fields
            .texts
            .get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let (csrf, description) = (text("csrf"), text("description"));
    match fields.file {
        Some((name, bytes)) if !bytes.is_empty() => Ok(Upload {
            csrf,
            description,
            name,
            bytes,
        }),
        _ => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Elija un archivo para subir (PDF, imagen, hoja de cálculo o documento de texto)."
                .into(),
        )),
    }
}

async fn upload(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    multipart: Multipart,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let upload = match read_upload(multipart).await {
        Ok(u) => u,
        Err((status, message)) => {
            let Some(member) = current.member.clone() else {
                return redirect("/entrar", None);
            };
            return view(
                inner,
                &current,
                &member,
                status,
                context! { error => message },
            )
            .await;
        }
    };
    let (member, base) = match guard(inner, &request, &current, Some(&upload.csrf)) {
        Ok(g) => g,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(
            &current,
            StatusCode::NOT_FOUND,
            "Esa entrega-recepción no existe.",
        );
    }
    let mut url = match reqwest::Url::parse(&format!("{base}/handovers/{id}/files")) {
        Ok(u) => u,
        Err(_) => return inner.error_page(&current, StatusCode::BAD_GATEWAY, UNREACHABLE),
    };
    url.query_pairs_mut().append_pair("name", &upload.name);
    if !upload.description.is_empty() {
        url.query_pairs_mut()
            .append_pair("description", &upload.description);
    }
    let sent = inner
        .http
        .post(url)
        .bearer_auth(&member.token)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .timeout(Duration::from_secs(120))
        .body(upload.bytes)
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        Err(_) => return inner.error_page(&current, StatusCode::BAD_GATEWAY, UNREACHABLE),
    };
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    if status == StatusCode::UNAUTHORIZED {
        return session_ended(inner, &current);
    }
    if status.is_success() {
        return view(
            inner,
            &current,
            &member,
            StatusCode::OK,
            context! { notice => format!("«{}» agregado: el archivo revisó su tipo por su contenido y calculó su SHA-256.", upload.name) },
        )
        .await;
    }
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let detail = Answer { status, body }.detail();
    view(
        inner,
        &current,
        &member,
        client_status(status),
        context! { error => detail, typed => v(&json!({ "description": upload.description })) },
    )
    .await
}
