//! The communiqués and the agenda of activities against a fake secretariat
//! (a real HTTP server on a free port): the public pages, the Atom feed and
//! the sitemap show what the secretariat publishes, in Spanish, without
//! cookies; the console's forms carry CSRF, post with the member's own
//! token, and come back with what was typed when the secretariat refuses.

use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, test, web as aweb};
use serde_json::{Value, json};

use crate::{Member, WebConfig, WebState, configure};

const TOKEN: &str = "token-de-la-presidenta-0123456789";

fn communique() -> Value {
    json!({
        "id": "c-1", "number": 1, "title": "Convocatoria a la primera sesión ordinaria",
        "body": "La Presidencia convoca.\nLínea dos.\n\nSegundo párrafo & más.",
        "paragraphs": ["La Presidencia convoca.\nLínea dos.", "Segundo párrafo & más."],
        "session_folio": "2026-ORD-01",
        "published_at": 1_796_680_800_000i64, "published": "2026-12-07T16:00:00-06:00",
        "updated_at": 1_796_860_800_000i64, "updated": "2026-12-09T18:00:00-06:00",
        "corrections": 1,
    })
}

fn activities() -> Value {
    json!([
        {
            "id": "a-1", "number": 1, "title": "Taller de datos abiertos", "date": "2020-05-04",
            "time": null, "utc_offset": "-06:00", "place": "En línea", "link": "https://meet.example.mx/taller",
            "description": null, "commitment_number": null, "commitment_title": null,
            "status": "programada", "cancel_reason": null, "upcoming": false, "updated_at": 1
        },
        {
            "id": "a-2", "number": 2, "title": "Foro de cocreación", "date": "2099-03-11",
            "time": "17:30", "utc_offset": "-06:00", "place": "Sala de Pleno", "link": null,
            "description": "Mesa abierta.", "commitment_number": 1, "commitment_title": "Datos de compras",
            "status": "cancelada", "cancel_reason": "Se pospone.", "upcoming": true, "updated_at": 2
        },
        {
            "id": "a-3", "number": 3, "title": "Visita a la biblioteca", "date": "2099-01-20",
            "time": "10:00", "utc_offset": "-06:00", "place": "Biblioteca pública", "link": null,
            "description": null, "commitment_number": null, "commitment_title": null,
            "status": "programada", "cancel_reason": null, "upcoming": true, "updated_at": 3
        }
    ])
}

#[derive(Default)]
struct Seen {
    posts: Vec<(String, String, Value)>,
}

fn bearer(request: &HttpRequest) -> String {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Records a member's write; refuses a title with "mal" like the
/// secretariat refuses bad input.
async fn write(
    seen: aweb::Data<Arc<Mutex<Seen>>>,
    request: HttpRequest,
    body: aweb::Json<Value>,
) -> HttpResponse {
    let body = body.into_inner();
    seen.lock()
        .unwrap()
        .posts
        .push((request.path().to_string(), bearer(&request), body.clone()));
    if body["title"].as_str().unwrap_or_default().contains("mal") {
        return HttpResponse::UnprocessableEntity()
            .content_type("application/problem+json")
            .json(json!({ "status": 422, "detail": "`session_folio`: no hay una sesión con folio «2026-ORD-99» en este secretariado." }));
    }
    HttpResponse::Created().json(json!({ "id": "x" }))
}

async fn fake_secretariat() -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let shared = seen.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(aweb::Data::new(shared.clone()))
            .route(
                "/secretariat/public/secretariats",
                aweb::get().to(|| async {
                    HttpResponse::Ok().json(json!([{ "slug": "stl-prueba", "id": "stl-1", "name": "STL de Prueba", "preset": "jalisco" }]))
                }),
            )
            .route(
                "/secretariat/public/secretariats/stl-prueba",
                aweb::get().to(|| async {
                    HttpResponse::Ok().json(json!({
                        "slug": "stl-prueba", "id": "stl-1", "name": "STL de Prueba",
                        "preset": "jalisco", "seats": [], "inquiry_answer_days": 10,
                    }))
                }),
            )
            .route(
                "/secretariat/public/secretariats/stl-prueba/communiques",
                aweb::get().to(|| async { HttpResponse::Ok().json(json!([communique()])) }),
            )
            .route(
                "/secretariat/public/secretariats/stl-prueba/communiques/1",
                aweb::get().to(|| async { HttpResponse::Ok().json(communique()) }),
            )
            .route(
                "/secretariat/public/secretariats/stl-prueba/communiques/{n}",
                aweb::get().to(|| async {
                    HttpResponse::NotFound()
                        .content_type("application/problem+json")
                        .json(json!({ "status": 404, "detail": "No hay un comunicado número «7» en este secretariado." }))
                }),
            )
            .route(
                "/secretariat/public/secretariats/stl-prueba/activities",
                aweb::get().to(|| async { HttpResponse::Ok().json(activities()) }),
            )
            .route(
                "/secretariat/public/secretariats/stl-prueba/sessions",
                aweb::get().to(|| async { HttpResponse::Ok().json(json!([])) }),
            )
            .route(
                "/secretariat/secretariats/stl-1/communiques",
                aweb::get().to(|| async { HttpResponse::Ok().json(json!([communique()])) }),
            )
            .route(
                "/secretariat/secretariats/stl-1/activities",
                aweb::get().to(|| async { HttpResponse::Ok().json(activities()) }),
            )
            .route(
                "/secretariat/secretariats/stl-1/commitments",
                aweb::get().to(|| async {
                    HttpResponse::Ok().json(json!([{ "number": 1, "title": "Datos de compras" }]))
                }),
            )
            .route("/secretariat/secretariats/stl-1/communiques", aweb::post().to(write))
            .route("/secretariat/communiques/{id}", aweb::put().to(write))
            .route("/secretariat/secretariats/stl-1/activities", aweb::post().to(write))
            .route("/secretariat/activities/{id}", aweb::put().to(write))
            .route("/secretariat/activities/{id}/cancellation", aweb::post().to(write))
            .route(
                "/archive/records",
                aweb::get().to(|| async { HttpResponse::Ok().json(json!({ "records": [], "next_offset": null })) }),
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
            archive: Some(format!("{base}/archive")),
            max_evidence_bytes: 50 * 1024 * 1024,
        },
        reqwest::Client::new(),
    )
}

fn login(state: &WebState, roles: &[&str]) -> (String, String) {
    let member = Member {
        token: TOKEN.into(),
        name: "LAURA MÉNDEZ".into(),
        rfc: Some("MELA800101AB1".into()),
        member_id: Some("m-1".into()),
        secretariat_id: Some("stl-1".into()),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        read_only: false,
        certificate: None,
        expires_at: i64::MAX,
        utc_offset_minutes: -360,
    };
    let id = state.0.start("", member);
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

async fn body_of(response: actix_web::dev::ServiceResponse) -> String {
    String::from_utf8(test::read_body(response).await.to_vec()).unwrap()
}

#[actix_web::test]
async fn the_public_site_shows_the_communiques_their_feed_and_the_agenda() {
    let (base, _) = fake_secretariat().await;
    let app = test::init_service(App::new().configure(|cfg| configure(cfg, state(&base)))).await;
    let get = |uri: &str| test::TestRequest::get().uri(uri).to_request();

    // The list, linked to each communiqué's stable page.
    let page = test::call_service(&app, get("/stl/stl-prueba/comunicados")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers().get(header::SET_COOKIE).is_none());
    let html = body_of(page).await;
    assert!(
        html.contains("href=\"/stl/stl-prueba/comunicados/1\""),
        "{html}"
    );
    assert!(html.contains("actualizado el miércoles 9 de diciembre de 2026"));
    assert!(html.contains("type=\"application/atom+xml\" title=\"Comunicados de STL de Prueba\""));

    // One communiqué: its paragraphs, its correction, its session.
    let page = test::call_service(&app, get("/stl/stl-prueba/comunicados/1")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_of(page).await;
    assert!(
        html.contains("<p>La Presidencia convoca.<br>Línea dos.</p>"),
        "{html}"
    );
    assert!(html.contains("<p>Segundo párrafo &amp; más.</p>"), "{html}");
    assert!(html.contains("publicado") || html.contains("Publicado"));
    assert!(html.contains("corregido 1 vez"), "{html}");
    assert!(html.contains("href=\"/stl/stl-prueba/sesiones/2026-ORD-01\""));
    for missing in [
        "/stl/stl-prueba/comunicados/7",
        "/stl/stl-prueba/comunicados/uno",
    ] {
        let page = test::call_service(&app, get(missing)).await;
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{missing}");
        assert!(body_of(page).await.contains("comunicado"));
    }

    // The Atom feed.
    let feed = test::call_service(&app, get("/stl/stl-prueba/comunicados.atom")).await;
    assert_eq!(feed.status(), StatusCode::OK);
    assert_eq!(
        feed.headers().get(header::CONTENT_TYPE).unwrap(),
        "application/atom+xml; charset=utf-8"
    );
    assert!(feed.headers().get(header::LAST_MODIFIED).is_some());
    let xml = body_of(feed).await;
    assert!(
        xml.contains("<title>Comunicados de STL de Prueba</title>"),
        "{xml}"
    );
    assert!(xml.contains("/stl/stl-prueba/comunicados/1</id>"), "{xml}");
    assert!(xml.contains("Segundo párrafo &amp; más."), "{xml}");
    assert!(
        xml.contains("<published>2026-12-07T22:00:00Z</published>"),
        "{xml}"
    );

    // The agenda: upcoming first (soonest first), then past; cancelled stays.
    let page = test::call_service(&app, get("/stl/stl-prueba/agenda")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_of(page).await;
    let visit = html.find("Visita a la biblioteca").unwrap();
    let forum = html.find("Foro de cocreación").unwrap();
    let workshop = html.find("Taller de datos abiertos").unwrap();
    assert!(visit < forum && forum < workshop, "{html}");
    assert!(html.contains("cancelada: Se pospone."), "{html}");
    assert!(html.contains("17:30 h (hora local, UTC-06:00)"));
    assert!(html.contains("1. Datos de compras"));

    // The sitemap lists the new pages and each communiqué.
    let sitemap = body_of(test::call_service(&app, get("/sitemap.xml")).await).await;
    for path in [
        "/stl/stl-prueba/agenda<",
        "/stl/stl-prueba/comunicados<",
        "/stl/stl-prueba/comunicados/1<",
    ] {
        assert!(sitemap.contains(path), "{path}: {sitemap}");
    }
}

#[actix_web::test]
async fn the_president_publishes_and_corrects_and_managers_keep_the_agenda_from_the_console() {
    let (base, seen) = fake_secretariat().await;
    let state = state(&base);
    let (president, csrf) = login(&state, &["presidente"]);
    let (facilitator, facilitator_csrf) = login(&state, &["facilitador"]);
    let (titular, _) = login(&state, &["titular"]);
    let app = test::init_service(App::new().configure(|cfg| configure(cfg, state.clone()))).await;
    let get = |uri: &str, cookie: &str| {
        test::TestRequest::get()
            .uri(uri)
            .insert_header((header::COOKIE, cookie.to_string()))
            .to_request()
    };
    let post = |uri: &str, cookie: &str, form: String| {
        test::TestRequest::post()
            .uri(uri)
            .insert_header((header::COOKIE, cookie.to_string()))
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(form)
            .to_request()
    };

    // The President sees the form; the facilitator reads only; a titular is refused.
    let html =
        body_of(test::call_service(&app, get("/consola/comunicados", &president)).await).await;
    assert!(html.contains("Publicar el comunicado") && html.contains(&format!("value=\"{csrf}\"")));
    assert!(html.contains("Guardar la corrección"));
    let html =
        body_of(test::call_service(&app, get("/consola/comunicados", &facilitator)).await).await;
    assert!(
        html.contains("Solo la Presidencia publica") && !html.contains("Publicar el comunicado")
    );
    let refused = test::call_service(&app, get("/consola/comunicados", &titular)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Without CSRF nothing is sent.
    let forged = test::call_service(
        &app,
        post("/consola/comunicados", &president, "title=x&body=y".into()),
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(seen.lock().unwrap().posts.is_empty());

    // Refused: the form comes back with what was typed and the reason.
    let refused = test::call_service(
        &app,
        post(
            "/consola/comunicados",
            &president,
            format!(
                "csrf={csrf}&title=Un+t%C3%ADtulo+mal&body=Texto+escrito&session_folio=2026-ORD-99"
            ),
        ),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_of(refused).await;
    assert!(
        html.contains("2026-ORD-99") && html.contains("no hay una sesión"),
        "{html}"
    );
    assert!(html.contains(">Texto escrito</textarea>"), "{html}");

    // Published and corrected with the President's own token.
    let done = test::call_service(
        &app,
        post(
            "/consola/comunicados",
            &president,
            format!("csrf={csrf}&title=Informe&body=Avance.&session_folio="),
        ),
    )
    .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let done = test::call_service(
        &app,
        post(
            "/consola/comunicados/c-1",
            &president,
            format!("csrf={csrf}&title=Informe+corregido&body=Avance."),
        ),
    )
    .await;
    assert_eq!(
        done.headers().get(header::LOCATION).unwrap(),
        "/consola/comunicados?hecho=corregido"
    );

    // The agenda: added, edited and cancelled by the facilitator.
    let html = body_of(test::call_service(&app, get("/consola/agenda", &facilitator)).await).await;
    assert!(html.contains("Agregar la actividad") && html.contains("1. Datos de compras"));
    assert!(html.contains("/consola/agenda/a-3/cancelar"));
    assert!(
        !html.contains("/consola/agenda/a-2/cancelar"),
        "a cancelled one is not edited"
    );
    let c = &facilitator_csrf;
    let done = test::call_service(
        &app,
        post("/consola/agenda", &facilitator, format!("csrf={c}&title=Foro&date=2099-02-01&time=&place=Sala&link=&description=&commitment_number=1")),
    )
    .await;
    assert_eq!(
        done.headers().get(header::LOCATION).unwrap(),
        "/consola/agenda?hecho=agregada"
    );
    let refused = test::call_service(
        &app,
        post(
            "/consola/agenda/a-3",
            &facilitator,
            format!("csrf={c}&title=Visita+mal&date=2099-01-21&place=Biblioteca+central"),
        ),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_of(refused).await;
    assert!(html.contains("value=\"Biblioteca central\""), "{html}");
    let done = test::call_service(
        &app,
        post(
            "/consola/agenda/a-3/cancelar",
            &facilitator,
            format!("csrf={c}&reason=Lluvias"),
        ),
    )
    .await;
    assert_eq!(
        done.headers().get(header::LOCATION).unwrap(),
        "/consola/agenda?hecho=cancelada"
    );

    let posts = &seen.lock().unwrap().posts;
    let paths: Vec<&str> = posts.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/secretariat/secretariats/stl-1/communiques",
            "/secretariat/secretariats/stl-1/communiques",
            "/secretariat/communiques/c-1",
            "/secretariat/secretariats/stl-1/activities",
            "/secretariat/activities/a-3",
            "/secretariat/activities/a-3/cancellation",
        ]
    );
    assert!(
        posts
            .iter()
            .all(|(_, token, _)| token == &format!("Bearer {TOKEN}"))
    );
    assert!(posts[1].2["session_folio"].is_null());
    assert_eq!(posts[3].2["commitment_number"], 1);
    assert!(posts[3].2["time"].is_null());
    assert_eq!(posts[5].2["reason"], "Lluvias");
}
