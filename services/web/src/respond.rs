//! HTML, redirect and JSON responses with the pages' security headers, and
//! template rendering.

use super::*;

pub(crate) fn html(status: StatusCode, body: String, cookie: Option<HeaderValue>) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(cookie) = cookie {
        response.insert_header((header::SET_COOKIE, cookie));
    }
    response.body(body)
}

pub(crate) fn redirect(to: &str, cookie: Option<HeaderValue>) -> HttpResponse {
    let mut response = HttpResponse::SeeOther();
    response
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(cookie) = cookie {
        response.insert_header((header::SET_COOKIE, cookie));
    }
    response.finish()
}

pub(crate) fn json_response(
    status: StatusCode,
    body: Value,
    cookie: Option<HeaderValue>,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'"));
    if let Some(cookie) = cookie {
        response.insert_header((header::SET_COOKIE, cookie));
    }
    response.json(body)
}

pub(crate) fn problem(status: StatusCode, detail: &str) -> HttpResponse {
    json_response(
        status,
        json!({ "status": status.as_u16(), "detail": detail }),
        None,
    )
}

impl Inner {
    pub(crate) fn render(
        &self,
        name: &str,
        current: &Current,
        ctx: minijinja::Value,
    ) -> HttpResponse {
        self.render_status(StatusCode::OK, name, current, ctx)
    }

    pub(crate) fn render_status(
        &self,
        status: StatusCode,
        name: &str,
        current: &Current,
        ctx: minijinja::Value,
    ) -> HttpResponse {
        let page = context! {
            csrf => current.csrf.clone(),
            member => v(&current.member),
            ..ctx
        };
        let body = self.env.get_template(name).and_then(|t| t.render(page));
        let cookie = current.fresh.then(|| set_cookie(Some(&current.id)));
        match body {
            Ok(body) => html(status, body, cookie),
            Err(e) => {
                tracing::error!("no se pudo mostrar {name}: {e:#}");
                html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<!doctype html><html lang=\"es-MX\"><title>Error</title><p>No se pudo mostrar la página. Intente de nuevo; si se repite, avise al facilitador.</p></html>".into(),
                    cookie,
                )
            }
        }
    }

    pub(crate) fn error_page(
        &self,
        current: &Current,
        status: StatusCode,
        message: &str,
    ) -> HttpResponse {
        self.render_status(
            status,
            "error.html",
            current,
            context! { title => "No se pudo completar", message => message },
        )
    }
}
