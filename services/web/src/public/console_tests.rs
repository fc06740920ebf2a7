//! The console pages of the public forms against a fake secretariat: only
//! the President and the facilitator see them; the answer form carries
//! CSRF, comes back with what was typed on a refusal, and posts the answer
//! with the member's own token.

use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, test, web as aweb};
use serde_json::{Value, json};

use crate::{Member, WebConfig, WebState, configure};

const TOKEN: &str = "token-de-la-facilitadora-0123456789";

#[derive(Default)]
struct Seen {
    answers: Vec<(String, Value)>,
    evidence: Vec<(String, String, Vec<u8>)>,
}

fn bearer(request: &HttpRequest) -> String {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn fake_secretariat() -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let shared = seen.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(aweb::Data::new(shared.clone()))
            .route(
                "/secretariat/secretariats/stl-1/inquiries",
                aweb::get().to(|request: HttpRequest| async move {
                    if bearer(&request) != format!("Bearer {TOKEN}") {
                        return HttpResponse::Unauthorized().json(json!({ "detail": "Sin sesión." }));
                    }
                    HttpResponse::Ok().json(json!([{
                        "id": "consulta-1", "folio": "DQS-2026-ABC234", "secretariat": "stl-prueba",
                        "secretariat_name": "STL de Prueba", "category": "queja", "status": "recibida",
                        "filed_on": "2026-12-04", "due_on": "2026-12-18", "answer": null, "answered_on": null,
                        "text": "No encontré la convocatoria.", "name": "María Ejemplo",
                        "email": "maria@correo.example", "overdue": false,
                    }]))
                }),
            )
            .route(
                "/secretariat/secretariats/stl-1/join-requests",
                aweb::get().to(|| async {
                    HttpResponse::Ok().json(json!([{
                        "id": "s-1", "folio": "SUM-2026-XYZ234", "name": "Colectivo Vecinal",
                        "organisation": null, "sector": "sociedad_civil", "email": "vecinos@correo.example",
                        "reason": "Queremos participar.", "filed_on": "2026-12-04",
                    }]))
                }),
            )
            .route(
                "/archive/sessions/{id}/evidence",
                aweb::post().to(
                    |seen: aweb::Data<Arc<Mutex<Seen>>>,
                     request: HttpRequest,
                     body: aweb::Bytes| async move {
                        seen.lock().unwrap().evidence.push((
                            bearer(&request),
                            request.query_string().to_string(),
                            body.to_vec(),
                        ));
                        HttpResponse::Created().json(json!({ "id": "e-1" }))
                    },
                ),
            )
            .route(
                "/secretariat/inquiries/{id}/answer",
                aweb::post().to(
                    |seen: aweb::Data<Arc<Mutex<Seen>>>,
                     request: HttpRequest,
                     body: aweb::Json<Value>| async move {
                        let body = body.into_inner();
                        seen.lock()
                            .unwrap()
                            .answers
                            .push((bearer(&request), body.clone()));
                        if body["answer"].as_str().unwrap_or_default().contains("mal") {
                            return HttpResponse::UnprocessableEntity()
                                .content_type("application/problem+json")
                                .json(json!({ "status": 422, "detail": "El campo `answer` excede 5000 caracteres. Resúmalo." }));
                        }
                        HttpResponse::Ok().json(json!({ "id": "consulta-1", "folio": "DQS-2026-ABC234" }))
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

fn member(roles: &[&str]) -> Member {
    Member {
        token: TOKEN.into(),
        name: "ROSA ORTIZ LARA".into(),
        rfc: Some("OILR800101AB1".into()),
        member_id: Some("m-9".into()),
        secretariat_id: Some("stl-1".into()),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        read_only: false,
        certificate: None,
        expires_at: i64::MAX,
        utc_offset_minutes: -360,
    }
}

/// A logged-in browser: its cookie and CSRF token.
fn login(state: &WebState, roles: &[&str]) -> (String, String) {
    let id = state.0.start("", member(roles));
    let csrf = state
        .0
        .sessions
        .lock()
        .unwrap()
        .get(&id)
        .unwrap()
        .csrf
        .clone();
    (format!("{}={id}", crate::COOKIE), csrf)
}

fn state(base: &str) -> WebState {
    WebState::new(
        WebConfig {
            secretariat: format!("{base}/secretariat"),
            signing: format!("{base}/signing"),
            documents: None,
            mail: None,
            archive: Some(format!("{base}/archive")),
            max_evidence_bytes: 50 * 1024 * 1024,
        },
        reqwest::Client::new(),
    )
}

async fn body_of(response: actix_web::dev::ServiceResponse) -> String {
    String::from_utf8(test::read_body(response).await.to_vec()).unwrap()
}

#[actix_web::test]
async fn the_facilitator_answers_a_complaint_in_the_console_with_csrf_and_their_own_token() {
    // Arrange
    let (base, seen) = fake_secretariat().await;
    let state = state(&base);
    let (cookie, csrf) = login(&state, &["facilitador"]);
    let (member_cookie, _) = login(&state, &["titular"]);
    let app = test::init_service(App::new().configure(|cfg| configure(cfg, state.clone()))).await;
    let post = |cookie: &str, form: String| {
        test::TestRequest::post()
            .uri("/consola/stl/dudas/consulta-1/respuesta")
            .insert_header((header::COOKIE, cookie.to_string()))
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(form)
            .to_request()
    };

    // The list: who wrote and what, with a form to answer.
    let page = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/consola/stl/dudas")
            .insert_header((header::COOKIE, cookie.clone()))
            .to_request(),
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_of(page).await;
    assert!(html.contains("DQS-2026-ABC234") && html.contains("maria@correo.example"));
    assert!(html.contains(&format!("value=\"{csrf}\"")));

    // A member who does not manage: refused.
    let refused = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/consola/stl/dudas")
            .insert_header((header::COOKIE, member_cookie))
            .to_request(),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Without the CSRF token: refused, nothing sent.
    let forged = test::call_service(&app, post(&cookie, "answer=Hola".into())).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(seen.lock().unwrap().answers.is_empty());

    // Refused by the secretariat: the form comes back with what was typed.
    let refused = test::call_service(
        &app,
        post(
            &cookie,
            format!("csrf={csrf}&answer=Una+respuesta+mal+escrita"),
        ),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_of(refused).await;
    assert!(html.contains("«Respuesta»"), "{html}");
    assert!(
        html.contains(">Una respuesta mal escrita</textarea>"),
        "{html}"
    );

    // Accepted: back to the list, posted with the facilitator's token.
    let done = test::call_service(
        &app,
        post(&cookie, format!("csrf={csrf}&answer=Ya+se+public%C3%B3.")),
    )
    .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        done.headers().get(header::LOCATION).unwrap(),
        "/consola/stl/dudas?respondida=DQS-2026-ABC234"
    );
    let answers = &seen.lock().unwrap().answers;
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[1].0, format!("Bearer {TOKEN}"));
    assert_eq!(answers[1].1["answer"], "Ya se publicó.");
}

#[actix_web::test]
async fn the_president_sees_the_requests_to_join() {
    let (base, _) = fake_secretariat().await;
    let state = state(&base);
    let (cookie, _) = login(&state, &["presidente"]);
    let app = test::init_service(App::new().configure(|cfg| configure(cfg, state.clone()))).await;
    let page = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/consola/stl/sumate")
            .insert_header((header::COOKIE, cookie))
            .to_request(),
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_of(page).await;
    assert!(html.contains("SUM-2026-XYZ234") && html.contains("vecinos@correo.example"));
}

#[actix_web::test]
async fn the_facilitator_uploads_a_session_s_evidence_with_csrf_and_their_own_token() {
    use actix_multipart::test::{TestFormField, create_form_data_payload_and_headers_from_fields};
    // Arrange
    let (base, seen) = fake_secretariat().await;
    let state = state(&base);
    let (cookie, csrf) = login(&state, &["facilitador"]);
    let app = test::init_service(App::new().configure(|cfg| configure(cfg, state.clone()))).await;
    let post = |csrf: &str| {
        let (body, headers) = create_form_data_payload_and_headers_from_fields(vec![
            TestFormField::new("csrf", csrf.to_string()),
            TestFormField::new("evidence_alt", "Integrantes votando"),
            TestFormField::new("evidence_description", ""),
            TestFormField::new("file", &b"\x89PNG\r\n\x1a\nfoto"[..]).filename("votación.png"),
        ]);
        let mut request = test::TestRequest::post()
            .uri("/consola/sesiones/s-1/evidencia")
            .insert_header((header::COOKIE, cookie.clone()));
        for (name, value) in headers.iter() {
            request = request.insert_header((name.clone(), value.clone()));
        }
        request.set_payload(body).to_request()
    };

    // Without the right CSRF token: refused, nothing sent.
    let forged = test::call_service(&app, post("otro")).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(seen.lock().unwrap().evidence.is_empty());

    // Act
    let done = test::call_service(&app, post(&csrf)).await;

    // Assert: passed to the archive as the facilitator, with its name and
    // alternative text; back to the session page.
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        done.headers().get(header::LOCATION).unwrap(),
        "/consola/sesiones/s-1?hecho=evidencia#evidencia"
    );
    let evidence = &seen.lock().unwrap().evidence;
    assert_eq!(evidence.len(), 1);
    let (token, query, bytes) = &evidence[0];
    assert_eq!(token, &format!("Bearer {TOKEN}"));
    assert!(query.contains("name=votaci%C3%B3n.png"), "{query}");
    assert!(query.contains("alt=Integrantes+votando"), "{query}");
    assert!(!query.contains("description"), "{query}");
    assert_eq!(bytes, b"\x89PNG\r\n\x1a\nfoto");
}
