//! The managers' side of the public forms (issue 18), in the console: the
//! facilitator and the President list the questions, complaints and
//! suggestions received (with the contact data the person chose to give)
//! and answer them — the answer is published with the folio and mailed to
//! whoever gave an email —, and see the requests to join. Pages of the
//! members' platform: their session, their token, CSRF on every form.

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;
use serde_json::{Value, json};

use super::forms::{field, form_pairs};
use crate::console::is_manager;
use crate::{
    Answer, Current, Inner, Member, UNREACHABLE, WebState, csrf_ok, redirect, require_member,
    same_origin, session_ended, v, valid_id,
};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/consola/stl/dudas", web::get().to(inquiries))
        .route("/consola/stl/dudas/{id}/respuesta", web::post().to(answer))
        .route("/consola/stl/dudas/{id}/adjunto", web::get().to(attachment))
        .route("/consola/stl/sumate", web::get().to(join_requests));
}

/// The facilitator or the President of a secretariat, or the page to show.
fn manager(inner: &Inner, current: &Current) -> Result<Member, Box<HttpResponse>> {
    let member = require_member(current)?;
    if !is_manager(&member) || member.secretariat_id.is_none() {
        return Err(Box::new(inner.error_page(
            current,
            StatusCode::FORBIDDEN,
            "Las dudas, quejas y sugerencias las atienden la Presidencia y el facilitador del secretariado.",
        )));
    }
    Ok(member)
}

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

fn category_name(category: &str) -> &'static str {
    match category {
        "duda" => "Duda",
        "queja" => "Queja",
        "sugerencia" => "Sugerencia",
        _ => "Mensaje",
    }
}

/// The list, with the words the template shows.
async fn inquiry_list(
    inner: &Inner,
    current: &Current,
    member: &Member,
) -> Result<Vec<Value>, Box<HttpResponse>> {
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let list = fetch(
        inner,
        current,
        member,
        inner.secretariat(&format!("/secretariats/{stl}/inquiries")),
    )
    .await?;
    Ok(list
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            let mut i = i.clone();
            i["category_name"] = json!(category_name(i["category"].as_str().unwrap_or_default()));
            if let Some(size) = i["attachment"]["size_bytes"].as_i64() {
                i["attachment"]["size_text"] = json!(super::size_text(size));
            }
            i
        })
        .collect())
}

fn render_inquiries(
    inner: &Inner,
    current: &Current,
    status: StatusCode,
    list: Vec<Value>,
    notice: Option<String>,
    error: Option<(String, String, String)>,
) -> HttpResponse {
    let (error_id, error_text, typed) = error.unwrap_or_default();
    inner.render_status(
        status,
        "stl/consola_dudas.html",
        current,
        context! {
            page => "consola", inquiries => v(&list), notice => notice,
            error_id => error_id, error => error_text, typed => typed,
        },
    )
}

async fn inquiries(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let list = match inquiry_list(inner, &current, &member).await {
        Ok(l) => l,
        Err(r) => return *r,
    };
    let pairs = form_pairs(request.query_string().as_bytes());
    let answered = field(&pairs, "respondida");
    let notice = (!answered.is_empty() && answered.len() <= 40).then(|| {
        format!("Se publicó la respuesta al folio {answered}; si la persona dejó su correo, se le envió.")
    });
    render_inquiries(inner, &current, StatusCode::OK, list, notice, None)
}

async fn answer(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let body = match payload.to_bytes_limited(64 * 1024).await {
        Ok(Ok(b)) => b,
        _ => {
            return inner.error_page(
                &current,
                StatusCode::PAYLOAD_TOO_LARGE,
                "La respuesta es demasiado larga (más de 64 KB). Resúmala a 5,000 caracteres o menos.",
            );
        }
    };
    let pairs = form_pairs(&body);
    if !same_origin(&request) || !csrf_ok(&current, Some(field(&pairs, "csrf"))) {
        return inner.error_page(
            &current,
            StatusCode::FORBIDDEN,
            "El formulario venció o no vino de esta página. Vuelva a abrir la lista y responda de nuevo.",
        );
    }
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(
            &current,
            StatusCode::NOT_FOUND,
            "No existe esa duda, queja o sugerencia. Vuelva a la lista.",
        );
    }
    let typed = field(&pairs, "answer").to_string();
    let answer = inner
        .call(
            Method::POST,
            inner.secretariat(&format!("/inquiries/{id}/answer")),
            Some(&member.token),
            Some(json!({ "answer": typed })),
        )
        .await;
    let (status, message) = match answer {
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => return session_ended(inner, &current),
        Ok(a) if a.status.is_success() => {
            let folio = a.body["folio"].as_str().unwrap_or_default();
            return redirect(&format!("/consola/stl/dudas?respondida={folio}"), None);
        }
        Ok(a) => (a.status, a.detail().replace("`answer`", "«Respuesta»")),
        Err(message) => (StatusCode::BAD_GATEWAY, message),
    };
    let list = match inquiry_list(inner, &current, &member).await {
        Ok(l) => l,
        Err(r) => return *r,
    };
    render_inquiries(
        inner,
        &current,
        status,
        list,
        None,
        Some((id, message, typed)),
    )
}

/// GET `/consola/stl/dudas/{id}/adjunto`: the file a person attached,
/// fetched with the manager's token (the secretariat checks who asks and
/// audits the download) and passed on as a download, never cached, never
/// shown as a page of this site.
async fn attachment(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    if !valid_id(&id) {
        return inner.error_page(
            &current,
            StatusCode::NOT_FOUND,
            "No existe esa duda, queja o sugerencia. Vuelva a la lista.",
        );
    }
    let response = inner
        .http
        .get(inner.secretariat(&format!("/inquiries/{id}/attachment")))
        .bearer_auth(&member.token)
        .timeout(std::time::Duration::from_secs(60))
        .send()
        .await;
    let Ok(response) = response else {
        return inner.error_page(&current, StatusCode::BAD_GATEWAY, UNREACHABLE);
    };
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    if status == StatusCode::UNAUTHORIZED {
        return session_ended(inner, &current);
    }
    if !status.is_success() {
        let body: Value = response.json().await.unwrap_or(Value::Null);
        return inner.error_page(
            &current,
            crate::client_status(status),
            &Answer { status, body }.detail(),
        );
    }
    let media = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|m| matches!(*m, "application/pdf" | "image/png" | "image/jpeg"))
        .unwrap_or("application/octet-stream")
        .to_string();
    let disposition = response
        .headers()
        .get(reqwest::header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .filter(|d| d.starts_with("attachment;"))
        .unwrap_or("attachment; filename=\"adjunto\"")
        .to_string();
    match response.bytes().await {
        Ok(bytes) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, media))
            .insert_header((header::CONTENT_DISPOSITION, disposition))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox",
            ))
            .body(bytes),
        Err(_) => inner.error_page(&current, StatusCode::BAD_GATEWAY, UNREACHABLE),
    }
}

async fn join_requests(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    let member = match manager(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let stl = member.secretariat_id.clone().unwrap_or_default();
    let list = match fetch(
        inner,
        &current,
        &member,
        inner.secretariat(&format!("/secretariats/{stl}/join-requests")),
    )
    .await
    {
        Ok(l) => l,
        Err(r) => return *r,
    };
    inner.render(
        "stl/consola_sumate.html",
        &current,
        context! { page => "consola", requests => v(&list) },
    )
}
