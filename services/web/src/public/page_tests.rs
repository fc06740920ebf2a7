//! The public pages against a fake secretariat and archive (a real HTTP
//! server on a free port): a record's page checks the archive's inclusion
//! proof and signed head itself, is cached as immutable, has a JSON twin and
//! shows no RFC even when the upstream sends one; an uploaded PDF reaches the
//! archive byte for byte and its verdict is explained.

use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{App, HttpResponse, HttpServer, test, web as aweb};
use base64::Engine;
use ring::signature::KeyPair;
use rubrica_fiel::digest::Sha256;
use serde_json::{Value, json};

use super::super::{WebConfig, WebState, configure};

const RFC: &str = "XAXX010101000";
const ARCHIVED_AT: i64 = 1_796_680_800_000;

/// A record whose log entry and signed head are real (size 1: the root is
/// the leaf); `tamper` breaks the head's signature.
fn record(tamper: bool) -> (String, Value) {
    let pdf_sha: [u8; 32] = Sha256::digest(b"acta de prueba").into();
    let sha = hex::encode(pdf_sha);
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(b"rubrica-archivo-v1\n");
    h.update(pdf_sha);
    h.update(ARCHIVED_AT.to_be_bytes());
    h.update(b"acta");
    let leaf: [u8; 32] = h.finalize().into();
    let timestamp = ARCHIVED_AT as u64 + 1000;
    let mut signed = b"rubrica-registro-v1\n".to_vec();
    signed.extend_from_slice(&1u64.to_be_bytes());
    signed.extend_from_slice(&timestamp.to_be_bytes());
    signed.extend_from_slice(&leaf);
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let mut signature = pair.sign(&signed).as_ref().to_vec();
    if tamper {
        signature[0] ^= 1;
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let body = json!({
        "record": {
            "sha256": sha, "route_id": "ruta-1", "secretariat_id": "stl-1",
            "secretariat_name": "STL de Prueba", "kind": "acta", "folio": "2026-ORD-01",
            "title": "Acta de la sesión ordinaria 2026-ORD-01", "date": "2026-12-07",
            "size_bytes": 12345,
            "signers": [
                { "name": "LAURA MÉNDEZ", "seat": "Órgano garante", "role": "titular", "rfc": RFC,
                  "certificate_number": "00001000000500000001", "signing_time": "2026-12-07T12:00:00-06:00", "verdict": "valida" }
            ],
            "refusals": [], "archived_at": ARCHIVED_AT,
            "download_url": format!("http://archivo/objects/{sha}"),
        },
        "inclusion": {
            "entry": { "index": 0, "sha256": sha, "kind": "acta", "created_at": ARCHIVED_AT, "leaf_hash": hex::encode(leaf) },
            "tree_size": 1, "proof": [],
            "tree_head": {
                "tree_size": 1, "root_hash": hex::encode(leaf), "timestamp": timestamp,
                "signature": b64.encode(signature), "public_key": hex::encode(pair.public_key().as_ref()),
                "signed_bytes": b64.encode(&signed),
            },
        },
    });
    (sha, body)
}

#[derive(Default)]
struct Seen {
    uploads: Vec<Vec<u8>>,
    record_reads: usize,
}

async fn fake_upstream(record: Value) -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let shared = seen.clone();
    let server = HttpServer::new(move || {
        let record = record.clone();
        App::new()
            .app_data(aweb::Data::new(shared.clone()))
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
                "/archive/records/{sha}",
                aweb::get().to(move |seen: aweb::Data<Arc<Mutex<Seen>>>| {
                    seen.lock().unwrap().record_reads += 1;
                    let record = record.clone();
                    async move { HttpResponse::Ok().json(record) }
                }),
            )
            .route(
                "/archive/verify/pdf",
                aweb::post().to(
                    |seen: aweb::Data<Arc<Mutex<Seen>>>, body: aweb::Bytes| async move {
                        seen.lock().unwrap().uploads.push(body.to_vec());
                        HttpResponse::Ok().json(json!({
                            "sha256": hex::encode(Sha256::digest(&body)),
                            "verdict": "invalida", "record_complete": true,
                            "signatures": [{
                                "name": "LAURA MÉNDEZ", "seat": "Órgano garante", "role": "titular",
                                "rfc": RFC, "verdict": "invalida",
                                "reason": "el documento cambió después de firmarse",
                                "summary": "firma no válida",
                            }],
                            "archived": false, "record": null, "inclusion": null,
                            "report": "Informe del archivo.",
                        }))
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
            archive: Some(format!("{base}/archive")),
            max_evidence_bytes: 50 * 1024 * 1024,
        },
        reqwest::Client::new(),
    )
}

#[actix_web::test]
async fn a_record_page_checks_the_proof_itself_is_immutable_has_a_json_twin_and_no_rfc() {
    // Arrange
    let (sha, body) = record(false);
    let (base, seen) = fake_upstream(body).await;
    let app = test::init_service(App::new().configure(|cfg| configure(cfg, state(&base)))).await;

    // Act
    let page = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&format!("/stl/stl-prueba/registros/{sha}"))
            .to_request(),
    )
    .await;
    let headers = page.headers().clone();
    let status = page.status();
    let html = String::from_utf8(test::read_body(page).await.to_vec()).unwrap();
    let twin = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&format!("/stl/stl-prueba/registros/{sha}.json"))
            .to_request(),
    )
    .await;
    assert_eq!(
        twin.headers().get(header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
    let json: Value = test::read_body_json(twin).await;
    let cached = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&format!("/stl/stl-prueba/registros/{sha}"))
            .insert_header((
                header::IF_NONE_MATCH,
                headers.get(header::ETAG).unwrap().clone(),
            ))
            .to_request(),
    )
    .await;

    // Assert
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(
        headers.get(header::CACHE_CONTROL).unwrap(),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        headers
            .get(header::LAST_MODIFIED)
            .unwrap()
            .to_str()
            .unwrap(),
        header::HttpDate::from(
            std::time::UNIX_EPOCH + std::time::Duration::from_millis(ARCHIVED_AT as u64)
        )
        .to_string()
    );
    assert!(headers.get(header::SET_COOKIE).is_none());
    assert!(html.contains("Este sitio comprobó"), "{html}");
    assert!(html.contains("LAURA MÉNDEZ") && html.contains("válida"));
    assert!(!html.contains(RFC), "an RFC on a public page");
    assert_eq!(json["sha256"], sha);
    assert_eq!(json["inclusion"]["checked_by_this_site"], true);
    assert_eq!(json["signers"][0]["name"], "LAURA MÉNDEZ");
    assert!(!json.to_string().contains(RFC));
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    // The page and its twin asked the archive once each: the repeat came
    // from the web service's short-lived cache.
    assert_eq!(seen.lock().unwrap().record_reads, 2);
}

#[actix_web::test]
async fn a_head_whose_signature_does_not_verify_is_said_not_to() {
    let (sha, body) = record(true);
    let (base, _) = fake_upstream(body).await;
    let app = test::init_service(App::new().configure(|cfg| configure(cfg, state(&base)))).await;
    let page = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&format!("/stl/stl-prueba/registros/{sha}"))
            .to_request(),
    )
    .await;
    let html = String::from_utf8(test::read_body(page).await.to_vec()).unwrap();
    assert!(html.contains("NO pudo comprobar"), "{html}");
    assert!(html.contains("firma Ed25519 de la cabeza"), "{html}");
}

#[actix_web::test]
async fn an_uploaded_pdf_reaches_the_archive_byte_for_byte_and_its_verdict_is_explained() {
    let (_, body) = record(false);
    let (base, seen) = fake_upstream(body).await;
    let app = test::init_service(App::new().configure(|cfg| configure(cfg, state(&base)))).await;
    let pdf = b"%PDF-1.7\r\n%\xe2\xe3\xcf\xd3\r\ncontenido\r\n%%EOF".to_vec();
    let mut multipart = b"--FRONTERA\r\nContent-Disposition: form-data; name=\"pdf\"; filename=\"acta.pdf\"\r\nContent-Type: application/pdf\r\n\r\n".to_vec();
    multipart.extend_from_slice(&pdf);
    multipart.extend_from_slice(b"\r\n--FRONTERA\r\nContent-Disposition: form-data; name=\"sha256\"\r\n\r\n\r\n--FRONTERA--\r\n");

    let response = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/stl/stl-prueba/verificar")
            .insert_header((
                header::CONTENT_TYPE,
                "multipart/form-data; boundary=FRONTERA",
            ))
            .set_payload(multipart)
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
    let html = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();

    assert_eq!(seen.lock().unwrap().uploads, vec![pdf]);
    assert!(html.contains("No válido"), "{html}");
    assert!(html.contains("LAURA MÉNDEZ") && html.contains("Órgano garante"));
    assert!(html.contains("el documento cambió después de firmarse"));
    assert!(html.contains("openssl dgst -sha256"));
    assert!(!html.contains(RFC));

    // Something that is not a PDF is refused before it is sent anywhere.
    let not_pdf = b"--F\r\nContent-Disposition: form-data; name=\"pdf\"; filename=\"x.pdf\"\r\n\r\nhola\r\n--F--\r\n".to_vec();
    let response = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/stl/stl-prueba/verificar")
            .insert_header((header::CONTENT_TYPE, "multipart/form-data; boundary=F"))
            .set_payload(not_pdf)
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    assert!(html.contains("no es un PDF"), "{html}");
    assert_eq!(seen.lock().unwrap().uploads.len(), 1);
}
