//! A session's evidence (issue 18 a): the facilitator uploads photographs,
//! video, audio and documents of a held session to the archive; each is
//! checked by its content, limited in size, hashed, logged as a public
//! object and listed on the session's public page; programs, names that lie
//! about the content, images without alternative text, other people and
//! sessions not yet held are refused, and a refusal stores nothing.

use reqwest::StatusCode;
use rubrica_archive::digest::Sha256;
use rubrica_platform::ServiceName;
use rubrica_platform::testing::TestBackend;
use serde_json::Value;

use crate::helpers::{TestData, spawn_suite_with_web_and};
use crate::public::{close_a_session, slug_of};
use crate::secretariat::Stl;

/// A session token of `member` (as if they had logged in with their
/// FIEL): the archive asks the secretariat about the session as them.
pub(crate) async fn session_token(stl: &Stl, member: &str) -> String {
    let token = rubrica_platform::auth::new_token("sesion");
    let now = rubrica_platform::db::now_ms();
    sqlx::query(
        "INSERT INTO auth_sessions (id, token_hash, member_id, method, created_at, expires_at)
         VALUES ($1, $2, $3, 'fiel', $4, $5)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(rubrica_platform::auth::token_hash(&token))
    .bind(member)
    .bind(now)
    .bind(now + 3_600_000)
    .execute(stl.app.context(ServiceName::Secretariat).db.pool())
    .await
    .unwrap();
    token
}

/// The smallest PNG: one transparent pixel.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82";

#[tokio::test]
async fn the_facilitator_adds_checked_hashed_public_evidence_to_a_held_session() {
    for backend in TestBackend::all() {
        evidence_on(&backend).await;
    }
}

async fn evidence_on(backend: &TestBackend) {
    // Arrange: the suite with its web front, a 4 KiB limit per file, a
    // closed session and an upcoming one.
    let data = TestData::new(backend).await;
    let app = spawn_suite_with_web_and(&data, |s| {
        s.edit::<rubrica_archive::settings::ArchiveSettings>(|a| a.max_evidence_bytes = 4_096)
    })
    .await;
    let stl = Stl::arrange_on(data, app).await;
    let session = close_a_session(&stl).await;
    let upcoming = stl.scheduled_session("ordinaria", "2027-02-01").await;
    let slug = slug_of(&stl).await;
    let facilitator_token = session_token(&stl, stl.member("fac")).await;
    let titular_token = session_token(&stl, stl.member("ej")).await;
    let (facilitator, titular) = (facilitator_token.as_str(), titular_token.as_str());
    let archive = stl.app.url(ServiceName::Archive);
    let client = &stl.app.client;
    let upload = |session: &str, token: Option<&str>, query: &str, body: Vec<u8>| {
        let mut request = client
            .post(format!("{archive}/sessions/{session}/evidence?{query}"))
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let head = |archive: String| async move {
        let head: Value = reqwest::get(format!("{archive}/log/head"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        head["tree_size"].as_u64().unwrap()
    };
    let before = head(archive.clone()).await;

    // Refusals: nobody, a titular, a program, a lying name, an image
    // without alternative text, too large, a session not yet held.
    let alt = "alt=Integrantes+votando+el+orden+del+d%C3%ADa";
    let refusals = [
        (
            upload(&session, None, "name=foto.png", PNG.to_vec()).await,
            StatusCode::UNAUTHORIZED,
            "",
        ),
        (
            upload(
                &session,
                Some(titular),
                &format!("name=foto.png&{alt}"),
                PNG.to_vec(),
            )
            .await,
            StatusCode::FORBIDDEN,
            "solo pueden hacerlo: presidente, facilitador",
        ),
        (
            upload(
                &session,
                Some(facilitator),
                "name=acta.pdf",
                b"\x7fELF\x02\x01\x01".to_vec(),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "es un programa de Linux",
        ),
        (
            upload(
                &session,
                Some(facilitator),
                &format!("name=foto.pdf&{alt}"),
                PNG.to_vec(),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "dice ser .pdf pero su contenido es una imagen PNG",
        ),
        (
            upload(&session, Some(facilitator), "name=foto.png", PNG.to_vec()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "texto alternativo",
        ),
        (
            upload(
                &session,
                Some(facilitator),
                "name=informe.pdf",
                [b"%PDF-1.7\n".as_slice(), &[b' '; 5_000]].concat(),
            )
            .await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "archive.max_evidence_bytes",
        ),
        (
            upload(
                &upcoming,
                Some(facilitator),
                &format!("name=foto.png&{alt}"),
                PNG.to_vec(),
            )
            .await,
            StatusCode::CONFLICT,
            "se celebra",
        ),
    ];
    for ((status, body), expected, says) in refusals {
        assert_eq!(status, expected, "{body}");
        assert!(
            body["detail"].as_str().unwrap_or_default().contains(says),
            "«{says}» in {body}"
        );
    }
    assert_eq!(
        head(archive.clone()).await,
        before,
        "a refusal logs nothing"
    );

    // Act: a photograph and an audio recording.
    let (status, photo) = upload(
        &session,
        Some(facilitator),
        &format!("name=votacion.png&{alt}&description=Votaci%C3%B3n+del+punto+2"),
        PNG.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{photo}");
    let audio = b"ID3\x04\0\0\0\0\0\x00\xff\xfb\x90\x64".to_vec();
    let (status, recording) =
        upload(&session, Some(facilitator), "name=audio", audio.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{recording}");
    let (again, repeated) = upload(&session, Some(facilitator), "name=otra.mp3", audio).await;

    // Assert: hashed, typed by content, logged and public.
    assert_eq!(photo["sha256"], Sha256::digest(PNG).to_hex());
    assert_eq!(photo["media_type"], "image/png");
    assert_eq!(photo["size_bytes"], PNG.len());
    assert_eq!(photo["alt_text"], "Integrantes votando el orden del día");
    assert_eq!(recording["name"], "audio.mp3");
    assert_eq!(recording["media_type"], "audio/mpeg");
    assert_eq!(again, StatusCode::CONFLICT, "{repeated}");
    assert_eq!(head(archive.clone()).await, before + 2);
    let sha256 = photo["sha256"].as_str().unwrap();
    assert!(
        photo["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/objects/{sha256}"))
    );
    let download = reqwest::get(format!("{archive}/objects/{sha256}"))
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "image/png");
    assert_eq!(download.bytes().await.unwrap().as_ref(), PNG);
    // The public site serves it as it streams from the archive, immutable.
    let relayed = reqwest::get(format!(
        "http://{}/stl/{slug}/evidencia/{sha256}",
        stl.app.address
    ))
    .await
    .unwrap();
    assert_eq!(relayed.status(), 200);
    assert_eq!(relayed.headers()["content-type"], "image/png");
    assert!(
        relayed.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(relayed.headers().get("set-cookie").is_none());
    assert_eq!(relayed.bytes().await.unwrap().as_ref(), PNG);
    let listed: Value = reqwest::get(format!(
        "{archive}/secretariats/{}/sessions/2026-ORD-01/evidence",
        stl.id
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed[0]["name"], "votacion.png");
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'evidencia.agregar' AND actor_id = $1",
    )
    .bind(stl.member("fac"))
    .fetch_one(stl.app.context(ServiceName::Archive).db.pool())
    .await
    .unwrap();
    assert_eq!(audited, 2);

    // The public session page lists it with its SHA-256 and the image with
    // its alternative text.
    let page = reqwest::get(format!(
        "http://{}/stl/{slug}/sesiones/2026-ORD-01",
        stl.app.address
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    for expected in [
        "Evidencia",
        "votacion.png",
        "audio.mp3",
        "alt=\"Integrantes votando el orden del día\"",
        photo["sha256"].as_str().unwrap(),
        "un audio MP3",
    ] {
        assert!(page.contains(expected), "missing «{expected}»: {page}");
    }
    stl.finish().await;
}
