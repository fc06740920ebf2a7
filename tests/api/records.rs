//! Signed records in the archive: `route.completed` → fetched, verified
//! again, archived and published (or refused with its reason); public
//! search, public verification of an uploaded PDF, and open data checked
//! against its own Data Package descriptor.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use rubrica_fiel::Credential;
use rubrica_pdfsign::{LayoutManifest, PrepareOptions, SignerIdentity, make_signable, sign};
use rubrica_platform::testing::TestBackend;
use rubrica_platform::{Event, ServiceName};
use serde_json::{Value, json};

use crate::access::{credential, test_pki};
use crate::helpers::{TestApp, TestData, spawn_with};

/// What the stand-in signing service serves: path → bytes.
type Served = Arc<Mutex<HashMap<String, Vec<u8>>>>;

/// A stand-in for the signing service's final-PDF download, on port 0.
async fn signing_stand_in() -> (String, Served) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    async fn pdf(served: web::Data<Served>, id: web::Path<String>) -> HttpResponse {
        match served.lock().unwrap().get(id.as_str()).cloned() {
            Some(bytes) => HttpResponse::Ok().body(bytes),
            None => HttpResponse::NotFound().finish(),
        }
    }
    let served: Served = Arc::default();
    let data = web::Data::new(served.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/signing/routes/{id}/final.pdf", web::get().to(pdf))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (format!("http://{address}/signing"), served)
}

async fn spawn(data: &TestData, signing_url: &str) -> TestApp {
    let mut settings = data.settings(data.dir.path());
    settings.auth.trust_anchors_dir = Some(test_pki().join("anchors"));
    settings.auth.operator_token = Some("operador-de-prueba-0123456789abcdef".into());
    settings.services.signing.url = Some(signing_url.to_string());
    settings.relay.poll_interval_ms = 100;
    spawn_with(
        &rubrica::all_specs(),
        &ServiceName::ALL,
        settings,
        "127.0.0.1:0",
    )
    .await
}

fn identity(id: &str, name: &str, seat: &str, rfc: &str) -> SignerIdentity {
    SignerIdentity {
        id: id.into(),
        name: name.into(),
        seat: seat.into(),
        role: "Titular".into(),
        rfc: rfc.into(),
    }
}

/// The example acta, signable for maria and juan, signed by `signers`.
fn acta(pages: u32, signers: &[&str]) -> Vec<u8> {
    let layout = LayoutManifest::standard(
        pages,
        (595.0, 842.0),
        vec![
            identity(
                "maria",
                "MARÍA GONZÁLEZ RUIZ",
                "Órgano garante",
                "GORM800101AB1",
            ),
            identity("juan", "JUAN PÉREZ LÓPEZ", "Academia", "PELJ750505CD2"),
        ],
    );
    let mut pdf = make_signable(&rubrica_pdfsign::example::acta(pages), &layout).unwrap();
    for who in signers {
        let me: Credential = credential(who);
        pdf = sign(&pdf, &me, &PrepareOptions::now()).unwrap();
    }
    pdf
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(rubrica_fiel::digest::Sha256::digest(bytes))
}

/// Serves `pdf` as route `route`'s final PDF and delivers `route.completed`
/// to the archive (twice, as an at-least-once relay may).
async fn complete_route(app: &TestApp, served: &Served, route: &str, title: &str, pdf: &[u8]) {
    served
        .lock()
        .unwrap()
        .insert(route.to_string(), pdf.to_vec());
    let event = Event {
        id: uuid::Uuid::now_v7().to_string(),
        event_type: "route.completed".into(),
        source: ServiceName::Signing,
        occurred_at: 0,
        payload: json!({
            "secretariat": { "id": "stl-jalisco", "name": "Secretariado Técnico Local de Jalisco" },
            "route": {
                "id": route, "title": title, "record_kind": "acta", "folio": format!("STL-JAL-{route}"),
                "sign_url": "http://ejemplo/firmar", "server": "http://ejemplo"
            },
            "document": {
                "filename": "acta.pdf", "media_type": "application/pdf", "size": pdf.len(),
                "sha256": sha256_hex(pdf), "service": "signing",
                "path": format!("/routes/{route}/final.pdf")
            },
            "verification_url": "http://ejemplo/verificar",
            "members": [], "facilitators": []
        }),
    };
    for _ in 0..2 {
        let response = app
            .client
            .post(format!("{}/internal/events", app.url(ServiceName::Archive)))
            .bearer_auth(app.internal_token())
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
}

async fn get_json(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = app
        .client
        .get(format!("{}{path}", app.url(ServiceName::Archive)));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Waits until the archive has dealt with `route` (archived or refused).
async fn settled(app: &TestApp, route: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, records) = get_json(app, "/records?limit=100", None).await;
        if let Some(found) = records["records"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["route_id"] == route)
        {
            return found.clone();
        }
        let (_, refusals) = get_json(
            app,
            "/refusals",
            Some("operador-de-prueba-0123456789abcdef"),
        )
        .await;
        if let Some(found) = refusals
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["route_id"] == route)
        {
            return found.clone();
        }
        assert!(
            Instant::now() < deadline,
            "el archivo no procesó la ruta {route}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn upload(app: &TestApp, pdf: &[u8]) -> (StatusCode, Value) {
    let response = app
        .client
        .post(format!("{}/verify/pdf", app.url(ServiceName::Archive)))
        .header("content-type", "application/pdf")
        .body(pdf.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_completed_route_is_verified_again_archived_and_published_and_a_bad_one_is_refused() {
    let complete = acta(3, &["maria", "juan"]);
    let incomplete = acta(3, &["maria"]);
    let mut tampered = complete.clone();
    // Inside the original revision's document information: still a readable
    // PDF, but not the one that was signed.
    let at = tampered
        .windows(15)
        .position(|w| w == b"Acta de ejemplo")
        .unwrap();
    tampered[at] = b'B';
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let (signing_url, served) = signing_stand_in().await;
        let app = spawn(&data, &signing_url).await;

        complete_route(
            &app,
            &served,
            "r1",
            "Acta de la Primera Sesión Ordinaria",
            &complete,
        )
        .await;
        complete_route(&app, &served, "r2", "Acta incompleta", &incomplete).await;
        complete_route(&app, &served, "r3", "Acta alterada", &tampered).await;

        let record = settled(&app, "r1").await;
        assert_eq!(
            record["sha256"],
            sha256_hex(&complete),
            "{}",
            backend.label()
        );
        assert_eq!(record["kind"], "acta");
        assert_eq!(record["folio"], "STL-JAL-r1");
        let signers = record["signers"].as_array().unwrap();
        let names: Vec<&str> = signers
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["MARIA GONZALEZ RUIZ", "JUAN PEREZ LOPEZ"]);
        for signer in signers {
            assert_eq!(signer["verdict"], "valida");
            assert!(!signer["certificate_number"].as_str().unwrap().is_empty());
        }
        // Published about signers: name, seat, role, certificate — no RFC or CURP.
        let published = record.to_string();
        assert!(!published.contains("GORM800101"), "{published}");

        // The exact bytes download, and the record is in the log.
        let bytes = app
            .client
            .get(record["download_url"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(bytes.as_ref(), complete.as_slice());
        let (status, detail) =
            get_json(&app, &format!("/records/{}", sha256_hex(&complete)), None).await;
        assert_eq!(status, 200);
        assert_eq!(
            detail["inclusion"]["entry"]["sha256"],
            sha256_hex(&complete)
        );

        // The incomplete and the tampered ones are refused, with reasons, never archived.
        let refused = settled(&app, "r2").await;
        assert!(
            refused["reason"].as_str().unwrap().contains("incompleto"),
            "{refused}"
        );
        let refused = settled(&app, "r3").await;
        assert!(
            refused["reason"]
                .as_str()
                .unwrap()
                .contains("no dio válido"),
            "{refused}"
        );
        let (_, all) = get_json(&app, "/records", None).await;
        assert_eq!(all["records"].as_array().unwrap().len(), 1, "{all}");
        let (status, _) =
            get_json(&app, &format!("/records/{}", sha256_hex(&tampered)), None).await;
        assert_eq!(status, 404);
        // Refusals are not public.
        let (status, problem) = get_json(&app, "/refusals", None).await;
        assert!(status == 401 || status == 403, "{status} {problem}");

        // Search: by year, kind, words of the title without accents; filters that match nothing.
        let year = &record["date"].as_str().unwrap()[..4];
        for query in [
            format!("/records?year={year}&kind=acta"),
            "/records?q=primera%20sesion".to_string(),
            "/records?secretariat_id=stl-jalisco&folio=STL-JAL-r1".to_string(),
        ] {
            let (status, page) = get_json(&app, &query, None).await;
            assert_eq!(status, 200, "{query}");
            assert_eq!(
                page["records"].as_array().unwrap().len(),
                1,
                "{query}: {page}"
            );
        }
        let (_, none) = get_json(&app, "/records?q=extraordinaria", None).await;
        assert!(none["records"].as_array().unwrap().is_empty());
        let (status, problem) = get_json(&app, "/records?limit=1000", None).await;
        assert_eq!(status, 422);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("limit debe estar entre 1 y 100")
        );

        // Public verification of uploads.
        let (status, report) = upload(&app, &complete).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["verdict"], "valida");
        assert_eq!(report["archived"], true);
        assert!(
            report["report"]
                .as_str()
                .unwrap()
                .contains("exactamente el registro archivado")
        );
        let (_, report) = upload(&app, &tampered).await;
        assert_eq!(report["verdict"], "invalida", "{report}");
        assert_eq!(report["archived"], false);
        let (_, report) = upload(&app, &incomplete).await;
        assert_eq!(report["record_complete"], false);
        assert_eq!(report["archived"], false);
        let (status, problem) = upload(&app, b"esto no es un PDF").await;
        assert_eq!(status, 422);
        assert!(problem["detail"].as_str().unwrap().contains("no es un PDF"));

        app.stop().await;
        data.cleanup().await;
    }
}

/// An acta whose layout names maria's RFC as «PRESIDENTA FALSA», signed
/// with maria's own FIEL: every signature checks, the name is forged.
fn forged_acta() -> Vec<u8> {
    let layout = LayoutManifest::standard(
        1,
        (595.0, 842.0),
        vec![identity(
            "maria",
            "PRESIDENTA FALSA",
            "Presidencia",
            "GORM800101AB1",
        )],
    );
    let pdf = make_signable(&rubrica_pdfsign::example::acta(1), &layout).unwrap();
    sign(&pdf, &credential("maria"), &PrepareOptions::now()).unwrap()
}

#[tokio::test]
async fn a_name_in_the_layout_that_is_not_the_certificate_holder_is_refused_and_never_published() {
    let forged = forged_acta();
    let data = TestData::new(&TestBackend::Sqlite).await;
    let (signing_url, served) = signing_stand_in().await;
    let app = spawn(&data, &signing_url).await;

    complete_route(&app, &served, "f1", "Acta de la sesión", &forged).await;

    let refused = settled(&app, "f1").await;
    let reason = refused["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("PRESIDENTA FALSA"), "{refused}");
    assert!(reason.contains("MARIA GONZALEZ RUIZ"), "{refused}");
    let (_, all) = get_json(&app, "/records", None).await;
    assert!(all["records"].as_array().unwrap().is_empty(), "{all}");
    // Public verification names the certificate holder, never the PDF's text.
    let (status, report) = upload(&app, &forged).await;
    assert_eq!(status, 200, "{report}");
    assert!(!report.to_string().contains("PRESIDENTA FALSA"), "{report}");
    assert_eq!(
        report["signatures"][0]["name"], "MARIA GONZALEZ RUIZ",
        "{report}"
    );
    app.stop().await;
    data.cleanup().await;
}

/// A `session.closed` payload as the secretariat sends it (the fields the
/// archive reads, plus some it ignores).
fn closed_session() -> Value {
    json!({
        "secretariat": { "id": "stl-jalisco", "name": "Secretariado Técnico Local de Jalisco", "preset": "jalisco" },
        "session": {
            "id": "ses-1", "kind": "ordinaria", "title": "Primera sesión ordinaria, \"con comillas\", y comas",
            "record": "acta", "number": 1, "folio": "STL-JAL-2026-ORD-01", "date": "2026-12-07",
            "scheduled_time": "10:00", "place": "Guadalajara, Jalisco", "closed_at": "2026-12-07T12:00:00-06:00"
        },
        "convocatoria": null,
        "attendance": {
            "seats": [
                { "seat": "organo_garante", "seat_name": "Órgano garante", "sector": "organo_garante", "group": "organo_garante",
                  "active": true, "represented_by": "titular", "suplente_acted": false,
                  "attendees": [{ "member_id": "m1", "name": "MARÍA GONZÁLEZ RUIZ", "rfc": "GORM800101AB1", "capacity": "titular", "stays": [] }] },
                { "seat": "academia", "seat_name": "Academia", "sector": "academia", "group": "sociedad_civil",
                  "active": true, "represented_by": "suplente", "suplente_acted": true,
                  "attendees": [{ "member_id": "m2", "name": "JUAN PÉREZ LÓPEZ", "rfc": "PELJ750505CD2", "capacity": "suplente", "stays": [] }] },
                { "seat": "judicial", "seat_name": "Poder Judicial", "sector": "judicial", "group": "gobierno",
                  "active": true, "represented_by": "ninguno", "suplente_acted": false, "attendees": [] }
            ],
            "others": []
        },
        "quorum": { "at_opening": { "ok": true, "represented": 2, "active": 3, "civil_society_represented": true,
                                    "explanation": "Quórum: 2 de 3 asientos, incluye sociedad civil." } },
        "agenda": { "items": [], "approval": null },
        "motions": [{ "id": "mo1", "number": 1, "text": "Aprobar el plan", "voted_at": "", "time": "10:30",
                      "quorum": {}, "decision": {},
                      "votes": [
                          { "seat": "organo_garante", "seat_name": "Órgano garante", "vote": "favor", "name": "MARÍA GONZÁLEZ RUIZ", "capacity": "titular" },
                          { "seat": "academia", "seat_name": "Academia", "vote": "favor", "name": "JUAN PÉREZ LÓPEZ", "capacity": "suplente" }
                      ] }],
        "agreements": [{ "id": "a1", "number": 1, "folio": "STL-JAL-2026-ORD-01/A1", "text": "Se aprueba el plan",
                         "responsible_seat": "academia", "responsible_seat_name": "Academia", "due_on": "2027-01-15",
                         "status": "pendiente", "motion": 1, "outcome": "aprobado", "decided_by": "consenso",
                         "favor": 2, "contra": 0, "abstencion": 0, "explanation": "Consenso: los 2 asientos votaron a favor." }],
        "signers": [],
        "rules": {}
    })
}

/// Splits one CSV line (RFC 4180 quoting) into cells.
fn csv_cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            (c, _) => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

/// Checks a CSV export against its resource in the descriptor: the header
/// is the schema's field names, and every cell has its declared type.
fn check_against_schema(csv: &str, resource: &Value) -> usize {
    let fields = resource["schema"]["fields"].as_array().unwrap();
    let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
    let header = csv_cells(lines.next().unwrap());
    let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(header, names, "{}", resource["name"]);
    let mut rows = 0;
    for line in lines {
        let cells = csv_cells(line);
        assert_eq!(cells.len(), fields.len(), "{line}");
        for (cell, field) in cells.iter().zip(fields) {
            if cell.is_empty() {
                continue;
            }
            match field["type"].as_str().unwrap() {
                "integer" => assert!(cell.parse::<i64>().is_ok(), "{cell} no es entero"),
                "boolean" => assert!(cell == "true" || cell == "false", "{cell} no es booleano"),
                "date" => assert!(
                    cell.len() == 10 && cell.as_bytes()[4] == b'-' && cell.as_bytes()[7] == b'-',
                    "{cell} no es fecha"
                ),
                _ => {}
            }
        }
        rows += 1;
    }
    rows
}

#[tokio::test]
async fn open_data_of_closed_sessions_and_archived_records_validates_against_its_data_package() {
    let complete = acta(1, &["maria", "juan"]);
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let (signing_url, served) = signing_stand_in().await;
        let app = spawn(&data, &signing_url).await;
        let event = Event {
            id: uuid::Uuid::now_v7().to_string(),
            event_type: "session.closed".into(),
            source: ServiceName::Secretariat,
            occurred_at: 0,
            payload: closed_session(),
        };
        let response = app
            .client
            .post(format!("{}/internal/events", app.url(ServiceName::Archive)))
            .bearer_auth(app.internal_token())
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        complete_route(&app, &served, "r1", "Acta de la primera sesión", &complete).await;
        settled(&app, "r1").await;

        let (status, package) = get_json(&app, "/open-data/datapackage.json", None).await;
        assert_eq!(status, 200);
        assert_eq!(package["profile"], "tabular-data-package");
        let expected_rows = HashMap::from([
            ("sesiones", 1),
            ("asistencia", 3),
            ("votos", 2),
            ("acuerdos", 1),
            ("registros", 1),
            // Handovers are covered end to end in tests/demo.rs.
            ("entregas", 0),
        ]);
        for resource in package["resources"].as_array().unwrap() {
            let name = resource["name"].as_str().unwrap();
            let response = app
                .client
                .get(format!(
                    "{}/open-data/{}",
                    app.url(ServiceName::Archive),
                    resource["path"].as_str().unwrap()
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{name}");
            assert!(
                response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/csv")
            );
            let csv = response.text().await.unwrap();
            let rows = check_against_schema(&csv, resource);
            assert_eq!(
                rows,
                expected_rows[name],
                "{name} on {}: {csv}",
                backend.label()
            );
            assert!(!csv.contains("GORM800101"), "{name} publica un RFC: {csv}");

            let (status, json) = get_json(&app, &format!("/open-data/{name}.json"), None).await;
            assert_eq!(status, 200);
            assert_eq!(json.as_array().unwrap().len(), rows, "{name}");
        }
        let (_, sessions) = get_json(&app, "/open-data/sesiones.json", None).await;
        assert_eq!(
            sessions[0]["titulo"],
            "Primera sesión ordinaria, \"con comillas\", y comas"
        );
        assert_eq!(sessions[0]["quorum"], true);
        let (_, records) = get_json(&app, "/open-data/registros.json", None).await;
        assert_eq!(records[0]["sha256"], sha256_hex(&complete));
        assert!(
            records[0]["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/objects/{}", sha256_hex(&complete)))
        );

        let (status, problem) = get_json(&app, "/open-data/contrasenas.csv", None).await;
        assert_eq!(status, 404);
        assert!(problem["detail"].as_str().unwrap().contains("sesiones.csv"));

        app.stop().await;
        data.cleanup().await;
    }
}
