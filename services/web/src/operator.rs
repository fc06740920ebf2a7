//! The operator's console (issue 17): the person who runs the installation
//! creates a secretariat from a preset (Jalisco and the guide's STLs), then
//! registers its President and designates them in the presiding seat, so the
//! President can log in with their e.firma and do the rest.
//!
//! The operator has no e.firma in the system: they enter with the operator
//! token from the installation's settings (`auth.operator_token`), typed in a
//! password field and checked by the secretariat (`/auth/me` must answer the
//! `operador` role). Like a member's token, it stays on the server, mapped to
//! the browser session; it is never put in a page.

use super::*;

pub(crate) const TEMPLATES: &[(&str, &str)] = &[(
    "operador.html",
    include_str!("../../../templates/web/operador.html"),
)];

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/operador", web::get().to(page))
        .route("/operador/entrar", web::post().to(login))
        .route("/operador/secretariados", web::post().to(create))
        .route("/operador/presidencia", web::post().to(president));
}

fn is_operator(member: &Member) -> bool {
    member.roles.iter().any(|r| r == "operador")
}

/// The presets, for the creation form.
async fn presets(inner: &Inner, member: &Member) -> Value {
    match inner
        .call(
            Method::GET,
            inner.secretariat("/presets"),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) if a.status.is_success() => {
            let rows: Vec<Value> = a
                .body
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| json!({ "name": p["name"], "title": p["config"]["name"], "seats": p["config"]["seats"].as_array().map(Vec::len) }))
                .collect();
            json!(rows)
        }
        _ => json!([]),
    }
}

async fn view(
    inner: &Inner,
    current: &Current,
    status: StatusCode,
    extra: minijinja::Value,
) -> HttpResponse {
    let operator = current.member.as_ref().filter(|m| is_operator(m));
    let presets = match operator {
        Some(member) => presets(inner, member).await,
        None => Value::Null,
    };
    inner.render_status(
        status,
        "operador.html",
        current,
        context! { page => "operador", operator => operator.is_some(), presets => v(&presets), ..extra },
    )
}

async fn page(state: web::Data<WebState>, request: HttpRequest) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    view(inner, &current, StatusCode::OK, context! {}).await
}

#[derive(Deserialize)]
struct TokenLogin {
    csrf: String,
    token: String,
}

async fn login(
    state: web::Data<WebState>,
    request: HttpRequest,
    form: web::Form<TokenLogin>,
) -> HttpResponse {
    let inner = &state.0;
    let current = inner.current(&request);
    if !same_origin(&request) || !csrf_ok(&current, Some(&form.csrf)) {
        return csrf_refused_page(inner, &current);
    }
    let token = form.token.trim();
    let refused = "Ese no es el token de operador de esta instalación. Cópielo de la configuración del servidor (auth.operator_token) e intente de nuevo.";
    if token.is_empty() || token.len() > 512 {
        return view(
            inner,
            &current,
            StatusCode::UNAUTHORIZED,
            context! { error => refused },
        )
        .await;
    }
    let me = inner
        .call_for(
            Some(&request),
            Method::GET,
            inner.secretariat("/auth/me"),
            Some(token),
            None,
        )
        .await;
    let caller = match me {
        Ok(a) if a.status.is_success() => a.body,
        Ok(_) => {
            return view(
                inner,
                &current,
                StatusCode::UNAUTHORIZED,
                context! { error => refused },
            )
            .await;
        }
        Err(message) => return inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    };
    let operator = caller["roles"]
        .as_array()
        .is_some_and(|r| r.iter().any(|r| r == "operador"));
    if !operator {
        return view(
            inner,
            &current,
            StatusCode::FORBIDDEN,
            context! { error => "Ese token es válido pero no es el del operador: la Presidencia y los integrantes entran con su e.firma." },
        )
        .await;
    }
    let member = Member {
        token: token.to_string(),
        name: "Operación de la instalación".into(),
        rfc: None,
        member_id: None,
        secretariat_id: None,
        roles: vec!["operador".into()],
        read_only: false,
        certificate: None,
        expires_at: 0,
        utc_offset_minutes: rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES,
    };
    let id = inner.start(&current.id, member);
    redirect("/operador", Some(set_cookie(Some(&id))))
}

fn operator_of(inner: &Inner, current: &Current) -> Result<Member, Box<HttpResponse>> {
    match &current.member {
        Some(m) if is_operator(m) => Ok(m.clone()),
        _ => Err(Box::new(inner.error_page(
            current,
            StatusCode::FORBIDDEN,
            "Esta página es para el operador de la instalación: entre en /operador con su token.",
        ))),
    }
}

async fn create(
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
    let member = match operator_of(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut body = json!({ "preset": field("preset") });
    if !field("name").is_empty() {
        body["name"] = json!(field("name"));
    }
    let offset = field("utc_offset_minutes");
    if !offset.is_empty() {
        match offset.parse::<i64>() {
            Ok(minutes) => body["utc_offset_minutes"] = json!(minutes),
            Err(_) => {
                return view(
                    inner,
                    &current,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    context! { error => format!("La diferencia con UTC debe ser un número de minutos, por ejemplo -360; se escribió «{offset}»."), typed => v(&form) },
                )
                .await;
            }
        }
    }
    match inner
        .call(
            Method::POST,
            inner.secretariat("/secretariats"),
            Some(&member.token),
            Some(body),
        )
        .await
    {
        Ok(a) if a.status.is_success() => {
            view(
                inner,
                &current,
                StatusCode::CREATED,
                context! { created => v(&a.body) },
            )
            .await
        }
        Ok(a) => {
            view(
                inner,
                &current,
                client_status(a.status),
                context! { error => a.detail(), typed => v(&form) },
            )
            .await
        }
        Err(message) => inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    }
}

/// Registers the new secretariat's President and designates them titular
/// of the presiding seat.
async fn president(
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
    let member = match operator_of(inner, &current) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let stl = field("secretariat_id");
    let again = |status: StatusCode, message: String, created: Value| {
        let mut typed = form.clone();
        typed.remove("csrf");
        (status, message, created, typed)
    };
    let secretariat = match inner
        .call(
            Method::GET,
            inner.secretariat(&format!("/secretariats/{stl}")),
            Some(&member.token),
            None,
        )
        .await
    {
        Ok(a) if a.status.is_success() && valid_id(&stl) => a.body,
        Ok(a) => {
            return inner.error_page(&current, StatusCode::NOT_FOUND, &a.detail());
        }
        Err(message) => return inner.error_page(&current, StatusCode::BAD_GATEWAY, &message),
    };
    let outcome = async {
        let registered = inner
            .call(
                Method::POST,
                inner.secretariat(&format!("/secretariats/{stl}/members")),
                Some(&member.token),
                Some(json!({
                    "name": field("name"),
                    "rfc": field("rfc").to_uppercase(),
                    "email": field("email"),
                })),
            )
            .await
            .map_err(|m| again(StatusCode::BAD_GATEWAY, m, secretariat.clone()))?;
        if !registered.status.is_success() {
            return Err(again(
                registered.status,
                registered.detail(),
                secretariat.clone(),
            ));
        }
        let designated = inner
            .call(
                Method::POST,
                inner.secretariat(&format!("/secretariats/{stl}/designations")),
                Some(&member.token),
                Some(json!({
                    "member_id": registered.body["id"],
                    "role": "titular",
                    "seat": secretariat["config"]["president"],
                    "starts_on": field("starts_on"),
                })),
            )
            .await
            .map_err(|m| again(StatusCode::BAD_GATEWAY, m, secretariat.clone()))?;
        if !designated.status.is_success() {
            return Err(again(
                designated.status,
                format!(
                    "Se registró a {}, pero no se pudo designar: {} Corrija la fecha y designe desde la consola de la Presidencia o con la API.",
                    field("name"),
                    designated.detail()
                ),
                secretariat.clone(),
            ));
        }
        Ok(registered.body)
    }
    .await;
    match outcome {
        Ok(registered) => {
            view(
                inner,
                &current,
                StatusCode::CREATED,
                context! { created => v(&secretariat), president => v(&registered) },
            )
            .await
        }
        Err((status, message, created, typed)) => {
            view(
                inner,
                &current,
                client_status(status),
                context! { created => v(&created), president_error => message, typed => v(&typed) },
            )
            .await
        }
    }
}
