//! «Mi proyecto» and the console's projects page against a fake
//! secretariat: only invited members file reports, with CSRF and their own
//! token; a refused report comes back as typed with the form's labels; the
//! President and the facilitator read every project's reports; and a
//! complaint's attachment is passed to them as a download.

use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, test, web as aweb};
use serde_json::{Value, json};

use crate::{Member, WebConfig, WebState, configure};

const TOKEN: &str = "token-del-invitado-0123456789abcdef";

fn bearer(request: &HttpRequest) -> String {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

type Reports = Arc<Mutex<Vec<(String, Value)>>>;

async fn fake_secretariat() -> (String, Reports) {
    let seen: Reports = Arc::default();
    let shared = seen.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(aweb::Data::new(shared.clone()))
            .route(
                "/secretariat/secretariats/stl-1/projects",
                aweb::get().to(|| async {
                    HttpResponse::Ok().json(json!([{
                        "id": "d-inv", "member_id": "m-inv", "member_name": "Colectivo Datos GDL",
                        "project": "Datos abiertos de obra pública", "starts_on": "2026-01-01",
                        "ends_on": "2027-06-30", "status": "en_curso", "progress": 40,
                        "reports": [{
                            "id": "r-1", "period_ending": "2026-11-30", "summary": "Tablero publicado.",
                            "progress": 40, "milestone": "Tablero", "link": "https://datos.example.mx/obra",
                            "filed_on": "2026-12-01",
                        }],
                    }, {
                        "id": "d-otro", "member_id": "m-otro", "member_name": "Otra Persona",
                        "project": "Otro proyecto", "starts_on": "2026-01-01", "ends_on": "2026-06-30",
                        "status": "concluido", "progress": null, "reports": [],
                    }]))
                }),
            )
            .route(
                "/secretariat/projects/{id}/reports",
                aweb::post().to(
                    |seen: aweb::Data<Reports>,
                     request: HttpRequest,
                     path: aweb::Path<String>,
                     body: aweb::Json<Value>| async move {
                        let body = body.into_inner();
                        seen.lock()
                            .unwrap()
                            .push((format!("{} {}", bearer(&request), path.into_inner()), body.clone()));
                        if body["summary"].as_str().unwrap_or_default().contains("futuro") {
                            return HttpResponse::UnprocessableEntity()
                                .content_type("application/problem+json")
                                .json(json!({ "status": 422, "detail": "`period_ending` (2030-01-01) está en el futuro." }));
                        }
                        HttpResponse::Created().json(json!({ "id": "d-inv" }))
                    },
                ),
            )
            .route(
                "/secretariat/inquiries/{id}/attachment",
                aweb::get().to(|request: HttpRequest, path: aweb::Path<String>| async move {
                    if bearer(&request) != format!("Bearer {TOKEN}") {
                        return HttpResponse::Unauthorized().json(json!({ "detail": "Sin sesión." }));
                    }
                    if path.into_inner() != "consulta-1" {
                        return HttpResponse::NotFound()
                            .json(json!({ "status": 404, "detail": "No trae archivo adjunto." }));
                    }
                    HttpResponse::Ok()
                        .insert_header((header::CONTENT_TYPE, "application/pdf"))
                        .insert_header((
                            header::CONTENT_DISPOSITION,
                            "attachment; filename=\"oficio.pdf\"",
                        ))
                        .body(&b"%PDF-1.7 adjunto"[..])
                }),
            )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    (format!("http://{address}"), seen)
}

fn member(roles: &[&str], member_id: &str) -> Member {
    Member {
        token: TOKEN.into(),
        name: "COLECTIVO DATOS GDL".into(),
        rfc: Some("CODA800101AB1".into()),
        member_id: Some(member_id.into()),
        secretariat_id: Some("stl-1".into()),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        read_only: false,
        certificate: None,
        expires_at: i64::MAX,
        utc_offset_minutes: -360,
    }
}

fn login(state: &WebState, roles: &[&str], member_id: &str) -> (String, String) {
    let id = state.0.start("", member(roles, member_id));
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
async fn an_invited_member_files_a_progress_report_on_their_own_project() {
    // Arrange
    let (base, seen) = fake_secretariat().await;
    let state = state(&base);
    let (cookie, csrf) = login(&state, &["invitado"], "m-inv");
    let (titular, _) = login(&state, &["titular"], "m-9");
    let app = test::init_service(App::new().configure(|cfg| configure(cfg, state.clone()))).await;
    let get = |cookie: &str| {
        test::TestRequest::get()
            .uri("/proyecto")
            .insert_header((header::COOKIE, cookie.to_string()))
            .to_request()
    };
    let post = |form: String| {
        test::TestRequest::post()
            .uri("/proyecto/informes")
            .insert_header((header::COOKIE, cookie.clone()))
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(form)
            .to_request()
    };

    // Their project, its report and the form (with CSRF); the menu links it.
    let page = test::call_service(&app, get(&cookie)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_of(page).await;
    assert!(html.contains("Datos abiertos de obra pública"), "{html}");
    assert!(html.contains("Tablero publicado.") && html.contains("40 %"));
    assert!(!html.contains("Otro proyecto"), "only their own project");
    assert!(html.contains(&format!("value=\"{csrf}\"")));
    assert!(html.contains("href=\"/proyecto\" aria-current=\"page\""));

    // A member who is not invited: refused, in Spanish.
    let refused = test::call_service(&app, get(&titular)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(body_of(refused).await.contains("miembros invitados"));

    // Without CSRF: refused, nothing sent.
    let forged = test::call_service(&app, post("project=d-inv&summary=Hola".into())).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(seen.lock().unwrap().is_empty());

    // A percentage that is not a number: back as typed, nothing sent.
    let typo = test::call_service(
        &app,
        post(format!(
            "csrf={csrf}&project=d-inv&period_ending=2026-11-30&summary=Avance+de+noviembre&progress=cuarenta"
        )),
    )
    .await;
    assert_eq!(typo.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_of(typo).await;
    assert!(html.contains("número entero de 0 a 100"), "{html}");
    assert!(html.contains(">Avance de noviembre</textarea>"), "{html}");
    assert!(seen.lock().unwrap().is_empty());

    // Refused by the secretariat: back as typed, its field named as the form does.
    let refused = test::call_service(
        &app,
        post(format!(
            "csrf={csrf}&project=d-inv&period_ending=2030-01-01&summary=Un+informe+del+futuro&progress=50&milestone=&link="
        )),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_of(refused).await;
    assert!(
        html.contains("«Periodo que informa (hasta el día)»"),
        "{html}"
    );
    assert!(html.contains(">Un informe del futuro</textarea>"), "{html}");
    assert!(html.contains("value=\"2030-01-01\""), "{html}");

    // Accepted: sent with the member's own token; back to the page.
    let done = test::call_service(
        &app,
        post(format!(
            "csrf={csrf}&project=d-inv&period_ending=2026-11-30&summary=Se+public%C3%B3+el+tablero.&progress=45&milestone=Tablero&link=https%3A%2F%2Fdatos.example.mx"
        )),
    )
    .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        done.headers().get(header::LOCATION).unwrap(),
        "/proyecto?informado=1"
    );
    let sent = seen.lock().unwrap();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].0, format!("Bearer {TOKEN} d-inv"));
    assert_eq!(sent[1].1["progress"], 45);
    assert_eq!(sent[1].1["summary"], "Se publicó el tablero.");
}

#[actix_web::test]
async fn the_facilitator_reads_the_projects_and_downloads_a_complaint_s_attachment() {
    let (base, _) = fake_secretariat().await;
    let state = state(&base);
    let (facilitator, _) = login(&state, &["facilitador"], "m-fac");
    let (invited, _) = login(&state, &["invitado"], "m-inv");
    let app = test::init_service(App::new().configure(|cfg| configure(cfg, state.clone()))).await;
    let get = |uri: &str, cookie: &str| {
        test::TestRequest::get()
            .uri(uri)
            .insert_header((header::COOKIE, cookie.to_string()))
            .to_request()
    };

    let page = test::call_service(&app, get("/consola/stl/proyectos", &facilitator)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_of(page).await;
    assert!(html.contains("Datos abiertos de obra pública") && html.contains("Otro proyecto"));
    assert!(html.contains("Tablero publicado."));
    let refused = test::call_service(&app, get("/consola/stl/proyectos", &invited)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let file = test::call_service(
        &app,
        get("/consola/stl/dudas/consulta-1/adjunto", &facilitator),
    )
    .await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(
        file.headers().get(header::CONTENT_TYPE).unwrap(),
        "application/pdf"
    );
    assert_eq!(
        file.headers().get(header::CONTENT_DISPOSITION).unwrap(),
        "attachment; filename=\"oficio.pdf\""
    );
    assert_eq!(
        file.headers().get(header::CACHE_CONTROL).unwrap(),
        "private, no-store"
    );
    assert_eq!(test::read_body(file).await.as_ref(), b"%PDF-1.7 adjunto");
    let missing = test::call_service(
        &app,
        get("/consola/stl/dudas/consulta-2/adjunto", &facilitator),
    )
    .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let refused =
        test::call_service(&app, get("/consola/stl/dudas/consulta-1/adjunto", &invited)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}
