//! The secretariat's public API (issue 18) as anyone without an account sees
//! it: secretariats by slug, the calendar, a closed session with its
//! attendance, votes, decisions and agreements — never an RFC or an email —,
//! and the forms of sections f and g answered with a folio.

use reqwest::StatusCode;
use rubrica_platform::ServiceName;
use rubrica_platform::testing::TestBackend;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestData, spawn_with};
use crate::secretariat::{PEOPLE, Stl, wait_written};

/// An anonymous request; errors must be Spanish problem details.
async fn anonymous(app: &TestApp, method: &str, url: &str, body: Value) -> (StatusCode, Value) {
    let request = match method {
        "GET" => app.client.get(url),
        "POST" => app.client.post(url).json(&body),
        other => panic!("unexpected method {other}"),
    };
    let response = request.send().await.unwrap();
    let status = response.status();
    let problem = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v == "application/problem+json");
    let value: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        assert!(problem, "an error is problem+json: {status} {value}");
        assert_eq!(value["status"], status.as_u16());
    }
    (status, value)
}

/// Asserts that no RFC or email of the arranged members appears in `value`.
pub(crate) fn assert_no_personal_data(value: &Value) {
    let text = value.to_string();
    for (key, _, rfc, _, _) in PEOPLE {
        assert!(!text.contains(rfc), "RFC {rfc} in public JSON: {text}");
        let email = format!("{key}@stl.example.mx");
        assert!(!text.contains(&email), "email {email} in public JSON");
    }
    assert!(!text.contains('@'), "an email in public JSON: {text}");
    assert!(!text.contains("\"rfc\""), "an rfc field in public JSON");
}

pub(crate) async fn slug_of(stl: &Stl) -> String {
    let (status, list) = anonymous(
        &stl.app,
        "GET",
        &format!("{}/public/secretariats", stl.base),
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    list[0]["slug"].as_str().unwrap().to_string()
}

/// A closed 2026-ORD-01 with a majority vote (legislative against) and an
/// agreement; judicial represented by its suplente, business absent. Its id.
pub(crate) async fn close_a_session(stl: &Stl) -> String {
    let session = stl
        .session_under_way(&["og", "ej", "jud_s", "leg", "aca", "osc", "fac", "inv"])
        .await;
    stl.ok(
        "PUT",
        &format!("/sessions/{session}/agenda/2/deliberation"),
        &stl.facilitator,
        json!({ "text": "Cada sector informó el avance de sus compromisos." }),
    )
    .await;
    let (status, motion) = stl
        .motion(
            &session,
            &[
                ("organo_garante", "favor"),
                ("ejecutivo", "favor"),
                ("judicial", "favor"),
                ("legislativo", "contra"),
                ("academia", "favor"),
                ("sociedad_civil", "favor"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{motion}");
    stl.ok(
        "POST",
        &format!("/sessions/{session}/agreements"),
        &stl.facilitator,
        json!({ "motion": 1, "responsible_seat": "organo_garante", "due_on": "2027-01-31" }),
    )
    .await;
    stl.ok(
        "POST",
        &format!("/sessions/{session}/close"),
        &stl.president,
        json!({}),
    )
    .await;
    session
}

#[tokio::test]
async fn anyone_reads_the_calendar_and_a_closed_session_with_votes_and_agreements_but_no_rfc_or_email()
 {
    for backend in TestBackend::all() {
        // Arrange: a closed session with a vote and an agreement, and an
        // upcoming work meeting.
        let stl = Stl::arrange(&backend).await;
        close_a_session(&stl).await;
        stl.scheduled_session("reunion_de_trabajo", "2027-01-15")
            .await;

        // Act
        let slug = slug_of(&stl).await;
        let public = format!("{}/public/secretariats/{slug}", stl.base);
        let (status, secretariat) = anonymous(&stl.app, "GET", &public, Value::Null).await;
        let (calendar_status, calendar) =
            anonymous(&stl.app, "GET", &format!("{public}/sessions"), Value::Null).await;
        let (closed_status, closed) = anonymous(
            &stl.app,
            "GET",
            &format!("{public}/sessions/2026-ORD-01"),
            Value::Null,
        )
        .await;
        let (upcoming_status, upcoming) = anonymous(
            &stl.app,
            "GET",
            &format!("{public}/sessions/2027-RT-01"),
            Value::Null,
        )
        .await;

        // Assert: the secretariat with who holds each seat.
        assert_eq!(status, StatusCode::OK, "{} {secretariat}", backend.label());
        assert!(
            slug.starts_with("secretariado") || slug.contains("jalisco"),
            "{slug}"
        );
        assert_eq!(secretariat["id"], stl.id);
        let og = secretariat["seats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "organo_garante")
            .unwrap();
        assert_eq!(og["titular"], "Cynthia Cantero Pacheco");
        assert_eq!(og["presides"], true);
        assert_eq!(secretariat["inquiry_answer_days"], 10);
        assert_no_personal_data(&secretariat);

        // The calendar: both sessions, agenda titles and the convocatoria date.
        assert_eq!(calendar_status, StatusCode::OK, "{calendar}");
        let sessions = calendar.as_array().unwrap();
        assert_eq!(sessions.len(), 2, "{calendar}");
        assert_eq!(sessions[0]["folio"], "2026-ORD-01");
        assert_eq!(sessions[0]["status"], "cerrada");
        assert_eq!(sessions[0]["convocatoria_issued_on"], "2026-11-27");
        assert_eq!(
            sessions[0]["agenda"][1],
            "Avance de los compromisos del Plan de Acción Local"
        );
        assert_eq!(sessions[1]["folio"], "2027-RT-01");
        assert_eq!(sessions[1]["status"], "programada");
        assert_no_personal_data(&calendar);

        // The closed session: attendance by seat, votes per seat with the
        // decision and its rule, agreements.
        assert_eq!(closed_status, StatusCode::OK, "{closed}");
        let seats = closed["attendance"].as_array().unwrap();
        let judicial = seats.iter().find(|s| s["seat"] == "judicial").unwrap();
        assert_eq!(judicial["represented_by"], "suplente");
        assert_eq!(judicial["attendees"][0]["name"], "Laura Méndez Ortiz");
        assert_eq!(judicial["attendees"][0]["capacity"], "suplente");
        let business = seats.iter().find(|s| s["seat"] == "empresarial").unwrap();
        assert_eq!(business["represented_by"], "ausente");
        assert!(
            closed["others"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["capacity"] == "facilitador" && a["name"] == "Rosa Ortiz Lara"),
            "{closed}"
        );
        let motion = &closed["motions"][0];
        assert_eq!(motion["outcome"], "aprobado");
        assert_eq!(motion["decided_by"], "mayoria");
        assert_eq!(
            (motion["favor"].clone(), motion["contra"].clone()),
            (json!(5), json!(1))
        );
        assert!(!motion["explanation"].as_str().unwrap().is_empty());
        let legislative = motion["votes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["seat"] == "legislativo")
            .unwrap();
        assert_eq!(legislative["vote"], "contra");
        assert_eq!(legislative["name"], "Ana Torres Vega");
        assert_eq!(closed["agreements"][0]["folio"], "2026-ORD-01/ACU-01");
        assert_eq!(closed["agreements"][0]["decided_by"], "mayoria");
        assert_eq!(
            closed["agenda_items"][1]["deliberation"],
            "Cada sector informó el avance de sus compromisos."
        );
        assert!(
            closed["quorum"].as_str().unwrap().contains("quórum"),
            "{closed}"
        );
        assert_no_personal_data(&closed);

        // An upcoming session shows its agenda and nothing of attendance.
        assert_eq!(upcoming_status, StatusCode::OK, "{upcoming}");
        assert_eq!(upcoming["status"], "programada");
        assert_eq!(upcoming["agenda_items"].as_array().unwrap().len(), 2);
        assert!(upcoming["attendance"].as_array().unwrap().is_empty());

        // Unknown slugs and folios: Spanish 404s that say where to look.
        let (missing, problem) = anonymous(
            &stl.app,
            "GET",
            &format!("{}/public/secretariats/no-existe/sessions", stl.base),
            Value::Null,
        )
        .await;
        assert_eq!(missing, StatusCode::NOT_FOUND);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("GET /public/secretariats")
        );
        let (missing, problem) = anonymous(
            &stl.app,
            "GET",
            &format!("{public}/sessions/2026-ORD-99"),
            Value::Null,
        )
        .await;
        assert_eq!(missing, StatusCode::NOT_FOUND);
        assert!(problem["detail"].as_str().unwrap().contains("2026-ORD-99"));

        // The slug stays when the name changes; a second secretariat with
        // the same name gets another.
        stl.ok(
            "PATCH",
            &format!("/secretariats/{}", stl.id),
            &stl.operator.clone(),
            json!({ "name": "STL renombrado" }),
        )
        .await;
        let (_, renamed) = anonymous(&stl.app, "GET", &public, Value::Null).await;
        assert_eq!(renamed["name"], "STL renombrado");
        // The President sets the days to answer; out of range is refused.
        stl.ok(
            "PATCH",
            &format!("/secretariats/{}", stl.id),
            &stl.president,
            json!({ "inquiry_answer_days": 15 }),
        )
        .await;
        let (_, changed) = anonymous(&stl.app, "GET", &public, Value::Null).await;
        assert_eq!(changed["inquiry_answer_days"], 15);
        let (status, problem) = stl
            .call(
                "PATCH",
                &format!("/secretariats/{}", stl.id),
                &stl.president,
                json!({ "inquiry_answer_days": 0 }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("inquiry_answer_days")
        );
        // Sections c and e: the President publishes the office's contact data
        // and links of interest; a link that is not a web address is refused
        // and nothing changes.
        assert!(changed["contact"].is_null());
        assert_eq!(changed["links"], json!([]));
        stl.ok(
            "PATCH",
            &format!("/secretariats/{}", stl.id),
            &stl.president,
            json!({
                "contact": { "address": "Av. Vallarta 1312, Guadalajara", "email": "stl@itei.org.mx", "hours": "lunes a viernes, 9 a 15 h" },
                "links": [{ "title": "Plan de Acción Local", "url": "https://www.itei.org.mx/gobierno-abierto" }]
            }),
        )
        .await;
        let (status, problem) = stl
            .call(
                "PATCH",
                &format!("/secretariats/{}", stl.id),
                &stl.president,
                json!({ "links": [{ "title": "Malo", "url": "javascript:alert(1)" }] }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            problem["detail"].as_str().unwrap().contains("https://"),
            "{problem}"
        );
        let (_, published) = anonymous(&stl.app, "GET", &public, Value::Null).await;
        assert_eq!(published["contact"]["email"], "stl@itei.org.mx");
        assert_eq!(
            published["links"][0]["url"],
            "https://www.itei.org.mx/gobierno-abierto"
        );
        let other = stl
            .ok(
                "POST",
                "/secretariats",
                &stl.operator.clone(),
                json!({ "preset": "jalisco", "name": "STL renombrado" }),
            )
            .await;
        assert!(other["id"].is_string());
        let (_, list) = anonymous(
            &stl.app,
            "GET",
            &format!("{}/public/secretariats", stl.base),
            Value::Null,
        )
        .await;
        let slugs: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["slug"].as_str().unwrap())
            .collect();
        assert!(slugs.contains(&slug.as_str()), "{list}");
        assert!(slugs.contains(&"stl-renombrado"), "{list}");
        stl.finish().await;
    }
}

#[tokio::test]
async fn a_question_gets_a_folio_whose_public_status_has_no_personal_data_and_shows_the_answer() {
    for backend in TestBackend::all() {
        // Arrange
        let stl = Stl::arrange(&backend).await;
        let slug = slug_of(&stl).await;
        let form = format!("{}/public/secretariats/{slug}/inquiries", stl.base);

        // Act: a complaint with a name and an email.
        let (status, receipt) = anonymous(
            &stl.app,
            "POST",
            &form,
            json!({
                "category": "queja",
                "text": "La sesión de noviembre empezó sin aviso en la página.",
                "name": "María Pública Ejemplo",
                "email": "maria@correo.example",
                "website": "",
            }),
        )
        .await;

        // Assert: a folio, a due date, and a status without personal data.
        assert_eq!(status, StatusCode::CREATED, "{} {receipt}", backend.label());
        let folio = receipt["folio"].as_str().unwrap().to_string();
        assert!(folio.starts_with("DQS-"), "{folio}");
        assert_eq!(receipt["status"], "recibida");
        assert!(receipt["due_on"].as_str().unwrap() > receipt["filed_on"].as_str().unwrap());
        let status_url = format!("{}/public/inquiries/{folio}", stl.base);
        let (status, public) = anonymous(&stl.app, "GET", &status_url, Value::Null).await;
        assert_eq!(status, StatusCode::OK, "{public}");
        assert_eq!(public["category"], "queja");
        let text = public.to_string();
        assert!(!text.contains("María"), "{text}");
        assert!(!text.contains("maria@"), "{text}");
        assert!(
            !text.contains("noviembre empezó"),
            "the text itself is not public: {text}"
        );

        // The person is mailed the folio.
        let mails = wait_written(&stl.data, "the acknowledgement", |m| {
            m.iter().any(|m| m.to == "maria@correo.example")
        })
        .await;
        let ack = mails
            .iter()
            .find(|m| m.to == "maria@correo.example")
            .unwrap();
        assert!(ack.subject.contains(&folio), "{}", ack.subject);
        assert!(ack.text.contains("María Pública Ejemplo"), "{}", ack.text);
        assert!(
            ack.text
                .contains(&format!("/stl/{slug}/dudas/folio?folio={folio}")),
            "{}",
            ack.text
        );

        // The public cannot list them; the facilitator sees who wrote.
        let list_url = format!("/secretariats/{}/inquiries", stl.id);
        let (status, _) = anonymous(
            &stl.app,
            "GET",
            &format!("{}{list_url}", stl.base),
            Value::Null,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = stl.call("GET", &list_url, &stl.titular, Value::Null).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let list = stl
            .ok("GET", &list_url, &stl.facilitator, Value::Null)
            .await;
        assert_eq!(list[0]["folio"], folio);
        assert_eq!(list[0]["email"], "maria@correo.example");
        assert_eq!(list[0]["name"], "María Pública Ejemplo");
        assert_eq!(list[0]["overdue"], false);

        // The answer is published with the folio; a second answer is refused.
        let id = list[0]["id"].as_str().unwrap();
        let answer = "La convocatoria se publicó el 27 de noviembre; revisaremos el aviso.";
        stl.ok(
            "POST",
            &format!("/inquiries/{id}/answer"),
            &stl.facilitator,
            json!({ "answer": answer }),
        )
        .await;
        let (_, public) = anonymous(&stl.app, "GET", &status_url, Value::Null).await;
        assert_eq!(public["status"], "respondida");
        assert_eq!(public["answer"], answer);
        assert!(public["answered_on"].is_string());
        let mails = wait_written(&stl.data, "the answer", |m| {
            m.iter()
                .any(|m| m.to == "maria@correo.example" && m.subject.starts_with("Respuesta"))
        })
        .await;
        let mailed = mails
            .iter()
            .find(|m| m.subject.starts_with("Respuesta"))
            .unwrap();
        assert!(mailed.text.contains(answer), "{}", mailed.text);
        let (again, problem) = stl
            .call(
                "POST",
                &format!("/inquiries/{id}/answer"),
                &stl.president,
                json!({ "answer": "otra" }),
            )
            .await;
        assert_eq!(again, StatusCode::CONFLICT);
        assert!(problem["detail"].as_str().unwrap().contains(&folio));
        assert!(
            stl.audit_actions()
                .await
                .contains(&"consulta.responder".to_string())
        );

        // Mistakes are Spanish 422s that name the field.
        for (body, field) in [
            (json!({ "category": "reclamo", "text": "x" }), "category"),
            (json!({ "category": "duda", "text": "   " }), "text"),
            (
                json!({ "category": "duda", "text": "x", "email": "sin-arroba" }),
                "email",
            ),
            (
                json!({ "category": "duda", "text": "x", "website": "http://spam.example" }),
                "website",
            ),
        ] {
            let (status, problem) = anonymous(&stl.app, "POST", &form, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
            assert!(
                problem["detail"].as_str().unwrap().contains(field),
                "{problem}"
            );
        }
        let (status, problem) = anonymous(
            &stl.app,
            "POST",
            &form,
            json!({ "category": "duda", "text": "x".repeat(5_001) }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let (status, _) = anonymous(
            &stl.app,
            "GET",
            &format!("{}/public/inquiries/DQS-2026-ZZZZZZ", stl.base),
            Value::Null,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Súmate: a folio for the public, the request for the President.
        let (status, joined) = anonymous(
            &stl.app,
            "POST",
            &format!("{}/public/secretariats/{slug}/join-requests", stl.base),
            json!({
                "name": "Colectivo Vecinal Ejemplo",
                "organisation": "Vecinos de la Colonia Centro",
                "sector": "sociedad_civil",
                "email": "vecinos@correo.example",
                "reason": "Queremos proponer un compromiso sobre obra pública.",
            }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{joined}");
        assert!(joined["folio"].as_str().unwrap().starts_with("SUM-"));
        assert!(!joined.to_string().contains("vecinos@"));
        let joined_folio = joined["folio"].as_str().unwrap().to_string();
        wait_written(&stl.data, "the join acknowledgement", |m| {
            m.iter()
                .any(|m| m.to == "vecinos@correo.example" && m.subject.contains(&joined_folio))
        })
        .await;
        let requests = stl
            .ok(
                "GET",
                &format!("/secretariats/{}/join-requests", stl.id),
                &stl.president,
                Value::Null,
            )
            .await;
        assert_eq!(requests[0]["folio"], joined["folio"]);
        assert_eq!(requests[0]["email"], "vecinos@correo.example");
        let (status, problem) = anonymous(
            &stl.app,
            "POST",
            &format!("{}/public/secretariats/{slug}/join-requests", stl.base),
            json!({ "name": "A", "sector": "sociedad_civil", "reason": "r", "email": "" }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("email"));

        // Their figures are open data: counts only.
        let (status, figures) = anonymous(
            &stl.app,
            "GET",
            &format!("{}/public/secretariats/{slug}/figures", stl.base),
            Value::Null,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{figures}");
        let complaints = figures["inquiries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["category"] == "queja")
            .unwrap();
        assert_eq!(
            (
                complaints["received"].clone(),
                complaints["answered"].clone(),
                complaints["answered_on_time"].clone(),
                complaints["overdue"].clone()
            ),
            (json!(1), json!(1), json!(1), json!(0))
        );
        assert_eq!(figures["inquiries"].as_array().unwrap().len(), 3);
        let civil = figures["join_requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["sector"] == "sociedad_civil")
            .unwrap();
        assert_eq!(civil["requests"], 1);
        let text = figures.to_string();
        assert!(!text.contains('@') && !text.contains("María") && !text.contains("Colectivo"));
        stl.finish().await;
    }
}

#[tokio::test]
async fn forms_are_limited_per_address() {
    let backend = TestBackend::Sqlite;
    let data = TestData::new(&backend).await;
    let mut settings = data.settings(data.dir.path());
    settings.auth.max_public_forms_per_address = 2;
    let app = spawn_with(
        &rubrica::all_specs(),
        &ServiceName::ALL,
        settings,
        "127.0.0.1:0",
    )
    .await;
    let base = app.url(ServiceName::Secretariat);
    let operator = app
        .settings
        .auth
        .operator_token
        .as_ref()
        .unwrap()
        .expose()
        .to_string();
    let created = app
        .client
        .post(format!("{base}/secretariats"))
        .bearer_auth(&operator)
        .json(&json!({ "preset": "jalisco", "name": "STL de Prueba" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let form = format!("{base}/public/secretariats/stl-de-prueba/inquiries");
    let body = json!({ "category": "sugerencia", "text": "Publiquen las actas en CSV." });
    for _ in 0..2 {
        let (status, receipt) = anonymous(&app, "POST", &form, body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
    }
    let (status, problem) = anonymous(&app, "POST", &form, body).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("Espere"));
    app.stop().await;
    data.cleanup().await;
}

#[tokio::test]
async fn the_local_action_plan_s_progress_rolls_up_from_its_milestones_and_is_public() {
    for backend in TestBackend::all() {
        let stl = Stl::arrange(&backend).await;
        let slug = slug_of(&stl).await;
        let commitments = format!("/secretariats/{}/commitments", stl.id);
        // A titular reads but does not maintain the plan.
        let (status, _) = stl
            .call(
                "POST",
                &commitments,
                &stl.titular,
                json!({ "title": "x", "starts_on": "2026-01-01", "due_on": "2026-12-31", "milestones": [{ "title": "h" }] }),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // A seat that does not exist is refused, and nothing is stored.
        let (status, problem) = stl
            .call(
                "POST",
                &commitments,
                &stl.facilitator,
                json!({ "title": "x", "responsible_seat": "no_existe", "starts_on": "2026-01-01", "due_on": "2026-12-31", "milestones": [{ "title": "h" }] }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let created = stl
            .ok(
                "POST",
                &commitments,
                &stl.facilitator,
                json!({
                    "title": "Publicar los datos de compras municipales",
                    "responsible_seat": "ayuntamiento",
                    "starts_on": "2026-01-01",
                    "due_on": "2027-12-31",
                    "milestones": [
                        { "title": "Catálogo de datos", "weight": 3 },
                        { "title": "Publicación semanal", "weight": 1 }
                    ]
                }),
            )
            .await;
        assert_eq!(created["number"], 1);
        assert_eq!(created["progress"], 0);
        let first = created["milestones"][0]["id"].as_str().unwrap().to_string();
        let (status, _) = stl
            .call(
                "PATCH",
                &format!("/milestones/{first}"),
                &stl.facilitator,
                json!({ "progress": 150 }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let updated = stl
            .ok(
                "PATCH",
                &format!("/milestones/{first}"),
                &stl.president,
                json!({ "progress": 100, "note": "Catálogo publicado" }),
            )
            .await;
        assert_eq!(updated["progress"], 75, "{updated}");
        assert!(
            updated["explanation"]
                .as_str()
                .unwrap()
                .contains("000 IV.1–3")
        );
        // The public site reads it without logging in.
        let (status, public) = anonymous(
            &stl.app,
            "GET",
            &format!("{}/public/secretariats/{slug}/commitments", stl.base),
            Value::Null,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(public[0]["progress"], 75);
        assert_eq!(public[0]["milestones"][0]["note"], "Catálogo publicado");
        assert!(public[0]["responsible_seat_name"].is_string());
        assert!(
            stl.audit_actions()
                .await
                .contains(&"compromiso.avance".to_string())
        );
        stl.finish().await;
    }
}
