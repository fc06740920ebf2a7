//! The web service against a fake secretariat and signing service (a real
//! HTTP server on a free port): cookie flags, CSP, CSRF refusals, the login
//! redirect, session rotation at login, the member's token used upstream and
//! never shown.

use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, test, web as aweb};
use serde_json::{Value, json};

use super::*;

const TOKEN: &str = "token-del-integrante-0123456789abcdef";

/// What the fake upstream saw.
#[derive(Default)]
struct Seen {
    authorizations: Vec<String>,
    logins: Vec<Value>,
}

fn route_json() -> Value {
    json!([{
        "id": "ruta-1",
        "secretariat_id": "stl",
        "title": "Acta de la sesión ordinaria 3",
        "record_kind": "acta",
        "folio": "STL-2026-003",
        "status": "abierta",
        "current_sha256": "ab".repeat(32),
        "final_sha256": null,
        "document_id": null,
        "created_at": 1_790_000_000_000i64,
        "signers": [
            { "id": "m1", "name": "LAURA MÉNDEZ", "rfc": "MERL800101AB1", "seat": "organo_garante", "role": "titular", "status": "pendiente" },
            { "id": "m2", "name": "CARLOS RUIZ", "rfc": "RUPC800101AB1", "seat": "ejecutivo", "role": "titular", "status": "firmado", "signed_at": 1_790_000_100_000i64 }
        ],
        "pending": ["m1"]
    }])
}

async fn fake_upstream() -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let shared = seen.clone();
    let server = HttpServer::new(move || {
        let seen = shared.clone();
        App::new()
            .app_data(aweb::Data::new(seen))
            .route(
                "/secretariat/auth/challenge",
                aweb::post().to(|| async {
                    HttpResponse::Ok().json(json!({ "nonce": "rubrica-reto-1", "expires_at": 1 }))
                }),
            )
            .route(
                "/secretariat/auth/fiel",
                aweb::post().to(
                    |seen: aweb::Data<Arc<Mutex<Seen>>>, body: aweb::Json<Value>| async move {
                        seen.lock().unwrap().logins.push(body.into_inner());
                        HttpResponse::Ok().json(json!({
                            "token": TOKEN,
                            "expires_at": 1_790_000_000_000i64,
                            "caller": {
                                "actor_id": "m1", "name": "LAURA MÉNDEZ", "rfc": "MERL800101AB1",
                                "member_id": "m1", "secretariat_id": "stl", "roles": ["presidente"],
                                "method": "fiel"
                            }
                        }))
                    },
                ),
            )
            .route(
                "/signing/routes",
                aweb::get().to(
                    |seen: aweb::Data<Arc<Mutex<Seen>>>, request: HttpRequest| async move {
                        let auth = request
                            .headers()
                            .get(header::AUTHORIZATION)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string();
                        seen.lock().unwrap().authorizations.push(auth.clone());
                        if auth != format!("Bearer {TOKEN}") {
                            return HttpResponse::Unauthorized()
                                .json(json!({ "detail": "Sin sesión." }));
                        }
                        HttpResponse::Ok().json(route_json())
                    },
                ),
            )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    (format!("http://{address}"), seen)
}

fn state(base: &str) -> WebState {
    WebState::new(
        WebConfig {
            secretariat: format!("{base}/secretariat"),
            signing: format!("{base}/signing"),
            documents: None,
            mail: None,
            archive: None,
            max_evidence_bytes: 50 * 1024 * 1024,
        },
        reqwest::Client::new(),
    )
}

fn set_cookie_of(response: &actix_web::dev::ServiceResponse) -> String {
    response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn session_id(set_cookie: &str) -> String {
    set_cookie
        .strip_prefix(&format!("{COOKIE}="))
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_default()
        .to_string()
}

fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("formulario sin csrf") + marker.len();
    html[start..start + 64].to_string()
}

macro_rules! app {
    ($state:expr) => {
        test::init_service(App::new().configure(|cfg| configure(cfg, $state.clone()))).await
    };
}

#[actix_web::test]
async fn pages_need_a_session_and_the_cookie_is_strict() {
    let state = state("http://127.0.0.1:9");
    let app = app!(state);
    for path in [
        "/pendientes",
        "/cuenta",
        "/firmar/ruta-1",
        "/firmar/ruta-1/acta.pdf",
    ] {
        let response =
            test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            response.headers().get(header::LOCATION).unwrap(),
            "/entrar",
            "{path}"
        );
        let cookie = set_cookie_of(&response);
        for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            assert!(cookie.contains(flag), "{path}: falta {flag} en «{cookie}»");
        }
        assert_eq!(session_id(&cookie).len(), 64);
    }
}

#[actix_web::test]
async fn login_page_has_a_strict_csp_csrf_and_hashed_assets() {
    let state = state("http://127.0.0.1:9");
    let app = app!(state);
    let response =
        test::call_service(&app, test::TestRequest::get().uri("/entrar").to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'self'"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval") && !csp.contains("http")
    );
    let html = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    assert_eq!(csrf_in(&html).len(), 64);
    assert!(html.contains("lang=\"es-MX\""));
    assert!(!html.contains("<style") && !html.contains(" style=") && !html.contains("<script>"));
    // The key and password inputs have no name: a form posted without
    // JavaScript cannot carry them.
    for id in ["cer", "key", "password"] {
        let at = html.find(&format!("id=\"{id}\"")).unwrap();
        let tag_end = at + html[at..].find('>').unwrap();
        let tag_start = html[..at].rfind('<').unwrap();
        assert!(
            !html[tag_start..tag_end].contains("name="),
            "#{id} tiene name"
        );
    }
    let js = state.asset_url("entrar.js").unwrap().to_string();
    assert!(html.contains(&js));
    assert!(js.starts_with("/static/entrar.") && js.len() > "/static/entrar..js".len() + 8);
    let asset = test::call_service(&app, test::TestRequest::get().uri(&js).to_request()).await;
    assert_eq!(asset.status(), StatusCode::OK);
    assert!(
        asset
            .headers()
            .get(header::CACHE_CONTROL)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        asset
            .headers()
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let unknown = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/static/entrar.js")
            .to_request(),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn forms_and_json_calls_without_the_csrf_token_are_refused() {
    let state = state("http://127.0.0.1:9");
    let app = app!(state);
    let page = test::call_service(&app, test::TestRequest::get().uri("/entrar").to_request()).await;
    let cookie = session_id(&set_cookie_of(&page));
    let html = String::from_utf8(test::read_body(page).await.to_vec()).unwrap();
    let csrf = csrf_in(&html);
    let with_cookie =
        |r: test::TestRequest| r.insert_header((header::COOKIE, format!("{COOKIE}={cookie}")));

    // No token, a wrong one, a right one from another origin.
    let cases = [
        with_cookie(test::TestRequest::post().uri("/salir")).set_form([("csrf", "0".repeat(64))]),
        with_cookie(test::TestRequest::post().uri("/entrar/correo"))
            .set_form([("csrf", "x"), ("email", "a@b.mx")]),
        with_cookie(test::TestRequest::post().uri("/firmar/ruta-1/rechazar"))
            .set_form([("csrf", ""), ("reason", "no")]),
        with_cookie(test::TestRequest::post().uri("/entrar/reto")),
        with_cookie(test::TestRequest::post().uri("/entrar/reto"))
            .insert_header((CSRF_HEADER, "mal")),
        with_cookie(test::TestRequest::post().uri("/entrar/reto"))
            .insert_header((CSRF_HEADER, csrf.clone()))
            .insert_header((header::HOST, "127.0.0.1:8080"))
            .insert_header((header::ORIGIN, "https://otro.example")),
        with_cookie(test::TestRequest::post().uri("/firmar/ruta-1/preparar"))
            .set_json(json!({ "certificate": "" })),
        // The token of another browser session does not count.
        test::TestRequest::post()
            .uri("/entrar/reto")
            .insert_header((CSRF_HEADER, csrf.clone())),
    ];
    for (i, request) in cases.into_iter().enumerate() {
        let response = test::call_service(&app, request.to_request()).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "caso {i}");
        let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
        assert!(body.contains("código de seguridad"), "caso {i}: {body}");
    }
}

#[actix_web::test]
async fn login_rotates_the_session_and_uses_the_members_token_upstream() {
    let (base, seen) = fake_upstream().await;
    let state = state(&base);
    let app = app!(state);
    let page = test::call_service(&app, test::TestRequest::get().uri("/entrar").to_request()).await;
    let anonymous = session_id(&set_cookie_of(&page));
    let html = String::from_utf8(test::read_body(page).await.to_vec()).unwrap();
    let csrf = csrf_in(&html);
    let cookie = |id: &str| (header::COOKIE, format!("{COOKIE}={id}"));

    let challenge = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/entrar/reto")
            .insert_header(cookie(&anonymous))
            .insert_header((CSRF_HEADER, csrf.clone()))
            .to_request(),
    )
    .await;
    assert_eq!(challenge.status(), StatusCode::OK);
    let challenge: Value = test::read_body_json(challenge).await;
    assert_eq!(challenge["nonce"], "rubrica-reto-1");

    let login = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/entrar/fiel")
            .insert_header(cookie(&anonymous))
            .insert_header((CSRF_HEADER, csrf.clone()))
            .set_json(
                json!({ "nonce": "rubrica-reto-1", "certificate": "AAAA", "signature": "BBBB" }),
            )
            .to_request(),
    )
    .await;
    assert_eq!(login.status(), StatusCode::OK);
    let set = set_cookie_of(&login);
    assert!(set.contains("HttpOnly") && set.contains("Secure") && set.contains("SameSite=Strict"));
    let member = session_id(&set);
    assert_ne!(member, anonymous, "la sesión debe cambiar de id al entrar");
    let body: Value = test::read_body_json(login).await;
    assert_eq!(body["redirect"], "/pendientes");
    assert!(
        !body.to_string().contains(TOKEN),
        "el token del integrante llegó al navegador"
    );
    assert_eq!(
        seen.lock().unwrap().logins,
        vec![json!({ "nonce": "rubrica-reto-1", "certificate": "AAAA", "signature": "BBBB" })]
    );

    let pending = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/pendientes")
            .insert_header(cookie(&member))
            .to_request(),
    )
    .await;
    assert_eq!(pending.status(), StatusCode::OK);
    assert!(pending.headers().get(header::SET_COOKIE).is_none());
    let html = String::from_utf8(test::read_body(pending).await.to_vec()).unwrap();
    assert!(html.contains("Acta de la sesión ordinaria 3"));
    assert!(html.contains("Firmaron 1 de 2"));
    assert!(html.contains("href=\"/firmar/ruta-1\""));
    assert!(!html.contains(TOKEN));
    assert_eq!(
        seen.lock().unwrap().authorizations,
        vec![format!("Bearer {TOKEN}")]
    );

    // The anonymous id no longer opens anything.
    let old = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/pendientes")
            .insert_header(cookie(&anonymous))
            .to_request(),
    )
    .await;
    assert_eq!(old.status(), StatusCode::SEE_OTHER);
}
