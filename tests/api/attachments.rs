//! A complaint's optional attachment (issue 18 f): checked by its content
//! (PDF, PNG or JPEG), at most 5 MiB, hashed, kept with the complaint and
//! never public — not in the folio's status, not in the open data —; only
//! the President and the facilitator of its secretariat download it, and
//! each download is audited. Through the API and through the public form
//! (multipart, no JavaScript), which comes back as typed on a refusal.

use base64::Engine;
use reqwest::StatusCode;
use rubrica_archive::digest::Sha256;
use rubrica_platform::ServiceName;
use rubrica_platform::testing::TestBackend;
use serde_json::{Value, json};

use crate::helpers::{TestData, spawn_suite_with_web};
use crate::public::slug_of;
use crate::secretariat::Stl;

const BOUNDARY: &str = "----limite-de-prueba-7MA4YWxkTrZu0gW";

/// A `multipart/form-data` body as a browser sends the form: text fields,
/// the file field `adjunto` (empty, as with no file chosen, when `None`),
/// then more text fields.
fn multipart(
    before: &[(&str, &str)],
    file: Option<(&str, Vec<u8>)>,
    after: &[(&str, &str)],
) -> Vec<u8> {
    let mut body = Vec::new();
    let text = |body: &mut Vec<u8>, name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    for (name, value) in before {
        text(&mut body, name, value);
    }
    let (filename, bytes, media) = match file {
        Some((name, bytes)) => (name.to_string(), bytes, "application/octet-stream"),
        None => (String::new(), Vec::new(), "application/octet-stream"),
    };
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"adjunto\"; filename=\"{filename}\"\r\nContent-Type: {media}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&bytes);
    body.extend_from_slice(b"\r\n");
    for (name, value) in after {
        text(&mut body, name, value);
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

#[tokio::test]
async fn a_complaint_s_attachment_is_checked_kept_private_and_downloaded_by_the_facilitator() {
    for backend in TestBackend::all() {
        attachments_on(&backend).await;
    }
}

async fn attachments_on(backend: &TestBackend) {
    // Arrange
    let data = TestData::new(backend).await;
    let app = spawn_suite_with_web(&data).await;
    let stl = Stl::arrange_on(data, app).await;
    let slug = slug_of(&stl).await;
    let client = &stl.app.client;
    let form_url = format!("{}/public/secretariats/{slug}/inquiries", stl.base);
    let b64 = base64::engine::general_purpose::STANDARD;
    let send = |attachment: Value| {
        let request = client.post(&form_url).json(&json!({
            "category": "queja",
            "text": "Adjunto el oficio que no me respondieron.",
            "attachment": attachment,
        }));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let count = |table: &'static str| {
        let db = stl.app.context(ServiceName::Secretariat).db.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table}"
            )))
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };

    // Refusals: not a PDF/PNG/JPEG by content, a name that lies, a
    // program, broken base64, too large — nothing stored.
    for (attachment, status, says) in [
        (
            json!({ "name": "datos.zip", "content_base64": b64.encode(b"PK\x05\x06\0\0\0\0") }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "solo se aceptan documentos PDF e imágenes PNG o JPEG",
        ),
        (
            json!({ "name": "foto.png", "content_base64": b64.encode(PDF) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "dice ser .png",
        ),
        (
            json!({ "name": "oficio.pdf", "content_base64": b64.encode(b"MZ\x90\0\x03") }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no se aceptan programas",
        ),
        (
            json!({ "name": "oficio.pdf", "content_base64": "%%%" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "base64",
        ),
        (
            json!({ "name": "grande.pdf", "content_base64": b64.encode(vec![b'%'; 5 * 1024 * 1024 + 1]) }),
            StatusCode::PAYLOAD_TOO_LARGE,
            "el máximo es 5 MB",
        ),
    ] {
        let (got, problem) = send(attachment).await;
        assert_eq!(got, status, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(says),
            "{says}: {problem}"
        );
    }
    assert_eq!(count("inquiries").await, 0);
    assert_eq!(count("inquiry_attachments").await, 0);

    // Act: a PDF attached.
    let (status, receipt) =
        send(json!({ "name": "oficio.pdf", "content_base64": b64.encode(PDF) })).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    let folio = receipt["folio"].as_str().unwrap().to_string();

    // Assert: the public status says nothing of it.
    let status_json = client
        .get(format!("{}/public/inquiries/{folio}", stl.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!status_json.contains("oficio") && !status_json.contains("attachment"));
    // The managers see it listed, with its checked type and hash.
    let list = stl
        .ok(
            "GET",
            &format!("/secretariats/{}/inquiries", stl.id),
            &stl.facilitator,
            Value::Null,
        )
        .await;
    let inquiry = &list[0];
    let sha = Sha256::digest(PDF).to_hex();
    assert_eq!(inquiry["attachment"]["name"], "oficio.pdf");
    assert_eq!(inquiry["attachment"]["media_type"], "application/pdf");
    assert_eq!(inquiry["attachment"]["sha256"], sha.as_str());
    assert_eq!(inquiry["attachment"]["size_bytes"], PDF.len());
    let id = inquiry["id"].as_str().unwrap();
    let download = |token: &str, id: &str| {
        let request = client
            .get(format!("{}/inquiries/{id}/attachment", stl.base))
            .bearer_auth(token);
        async move { request.send().await.unwrap() }
    };
    // Downloaded byte for byte by the facilitator, as a download.
    let file = download(&stl.facilitator, id).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"oficio.pdf\"")
    );
    assert_eq!(file.headers()["x-content-type-options"], "nosniff");
    assert_eq!(file.bytes().await.unwrap().as_ref(), PDF);
    // Nobody, a titular, an unknown inquiry: refused.
    assert_eq!(
        client
            .get(format!("{}/inquiries/{id}/attachment", stl.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        download(&stl.titular, id).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        download(&stl.facilitator, "no-existe").await.status(),
        StatusCode::NOT_FOUND
    );
    // The download is audited; so is the attachment's arrival.
    let db = stl.app.context(ServiceName::Secretariat).db.pool();
    let downloads: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'consulta.adjunto_descargar'",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(downloads, 1);
    let received: String = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = 'consulta.recibir' ORDER BY seq DESC",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert!(received.contains(&sha), "{received}");

    // The public form: multipart with a file, no JavaScript needed.
    let site = format!("http://{}/stl/{slug}/dudas", stl.app.address);
    let post = |file: Option<(&'static str, Vec<u8>)>| {
        let texts = [
            ("category", "queja"),
            ("text", "El oficio que adjunto no tuvo respuesta."),
            ("name", "Persona de Prueba"),
            ("email", ""),
        ];
        let after = [("website", "")];
        let request = client
            .post(&site)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart(&texts, file, &after));
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let (status, html) = post(Some(("datos.zip", b"PK\x05\x06\0\0\0\0".to_vec()))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("solo se aceptan documentos PDF"), "{html}");
    assert!(html.contains("vuelva a elegirlo"), "{html}");
    assert!(html.contains(">El oficio que adjunto no tuvo respuesta.</textarea>"));
    assert!(html.contains("value=\"Persona de Prueba\""));
    let (status, html) = post(Some(("grande.pdf", vec![b'%'; 5 * 1024 * 1024 + 10]))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{html}");
    assert!(html.contains("pesa más de 5 MB"), "{html}");
    assert!(html.contains(">El oficio que adjunto no tuvo respuesta.</textarea>"));
    let (status, html) = post(Some(("oficio.pdf", PDF.to_vec()))).await;
    assert_eq!(status, StatusCode::CREATED, "{html}");
    assert!(html.contains("DQS-"), "{html}");
    assert!(
        !html.contains("oficio.pdf"),
        "the receipt does not echo the file"
    );
    // Without a file the multipart form works as before.
    let (status, _) = post(None).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(count("inquiries").await, 3);
    assert_eq!(count("inquiry_attachments").await, 2);

    // The open data has counts only.
    let csv = reqwest::get(format!(
        "http://{}/stl/{slug}/datos/dudas.csv",
        stl.app.address
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(!csv.contains("oficio") && !csv.contains(&sha), "{csv}");
    stl.finish().await;
}
