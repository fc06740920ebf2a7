//! The secretariats' public site (issue 18) through the whole suite with its
//! web front: every page anonymous, cacheable, without cookies and without
//! an RFC or an email; a closed session's page; the complaint form coming
//! back with what was typed, then a folio; Súmate; Verificar by hash.

use reqwest::StatusCode;
use rubrica_platform::testing::TestBackend;

use crate::helpers::{TestApp, TestData, spawn_suite_with_web};
use crate::public::{close_a_session, slug_of};
use crate::secretariat::{PEOPLE, Stl};

/// `application/x-www-form-urlencoded`, as a browser sends a form.
fn urlencoded(pairs: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A request to the web front (`path` from `/`); the body as text.
async fn page(
    app: &TestApp,
    method: &str,
    path: &str,
    form: Option<&[(&str, &str)]>,
    headers: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let url = format!("http://{}{path}", app.address);
    let mut request = match method {
        "GET" => app.client.get(&url),
        "POST" => app
            .client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(urlencoded(form.unwrap_or_default())),
        other => panic!("unexpected method {other}"),
    };
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

fn assert_no_personal_data_in_html(path: &str, html: &str) {
    for (key, _, rfc, _, _) in PEOPLE {
        assert!(!html.contains(rfc), "{path}: RFC {rfc}");
        assert!(
            !html.contains(&format!("{key}@stl.example.mx")),
            "{path}: email"
        );
    }
    assert!(!html.contains('@'), "{path}: an email address: {html}");
}

#[tokio::test]
async fn the_public_site_shows_a_closed_session_takes_a_complaint_and_never_sets_a_cookie() {
    // Arrange: the whole suite with its web front, a closed session.
    let backend = TestBackend::Sqlite;
    let data = TestData::new(&backend).await;
    let app = spawn_suite_with_web(&data).await;
    let stl = Stl::arrange_on(data, app).await;
    close_a_session(&stl).await;
    let slug = slug_of(&stl).await;
    let app = &stl.app;

    // Every page answers 200 (a missing section 404), sets no cookie,
    // carries caching headers and shows no RFC or email.
    for path in [
        "/stl".to_string(),
        format!("/stl/{slug}"),
        format!("/stl/{slug}/sesiones"),
        format!("/stl/{slug}/sesiones/2026-ORD-01"),
        format!("/stl/{slug}/datos"),
        format!("/stl/{slug}/verificar"),
        format!("/stl/{slug}/dudas"),
        format!("/stl/{slug}/sumate"),
        format!("/stl/{slug}/compromisos"),
        format!("/stl/{slug}/contacto"),
        format!("/stl/{slug}/ligas"),
        format!("/stl/{slug}/registros.atom"),
        "/sitemap.xml".to_string(),
    ] {
        let (status, headers, body) = page(app, "GET", &path, None, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert!(headers.get("set-cookie").is_none(), "{path} sets a cookie");
        assert!(headers.get("etag").is_some(), "{path}: no ETag");
        assert!(
            headers.get("last-modified").is_some(),
            "{path}: no Last-Modified"
        );
        assert!(
            headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("public"),
            "{path}"
        );
        assert_no_personal_data_in_html(&path, &body);
        // A second request with its ETag: nothing to send again.
        let etag = headers["etag"].to_str().unwrap().to_string();
        let (again, _, _) = page(app, "GET", &path, None, &[("if-none-match", &etag)]).await;
        assert_eq!(again, StatusCode::NOT_MODIFIED, "{path}");
    }

    // The session page: attendance, votes with decision and rule, agreements.
    let (_, _, session) = page(
        app,
        "GET",
        &format!("/stl/{slug}/sesiones/2026-ORD-01"),
        None,
        &[],
    )
    .await;
    for expected in [
        "Laura Méndez Ortiz",
        "Ana Torres Vega",
        "en contra",
        "regla aplicada: mayoría",
        "ACU-01",
        "Cada sector informó el avance de sus compromisos.",
        "lunes 7 de diciembre de 2026",
    ] {
        assert!(
            session.contains(expected),
            "missing «{expected}»: {session}"
        );
    }
    let (_, _, home) = page(app, "GET", &format!("/stl/{slug}"), None, &[]).await;
    assert_eq!(home.matches("en preparación").count(), 0, "{home}");
    assert!(home.contains("Cynthia Cantero Pacheco"));
    let (_, _, data) = page(app, "GET", &format!("/stl/{slug}/datos"), None, &[]).await;
    assert!(
        data.contains("sesiones.csv") && data.contains("votos.json"),
        "{data}"
    );
    let (_, _, sitemap) = page(app, "GET", "/sitemap.xml", None, &[]).await;
    assert!(sitemap.contains(&format!("/stl/{slug}/sesiones/2026-ORD-01</loc>")));

    // A complaint with a mistake comes back with what was typed.
    let form = format!("/stl/{slug}/dudas");
    let typed = "La sesión empezó sin aviso <b>en la página</b>.";
    let (status, headers, body) = page(
        app,
        "POST",
        &form,
        Some(&[
            ("category", "queja"),
            ("text", typed),
            ("name", "Persona Ejemplo"),
            ("email", "sin-arroba"),
            ("website", ""),
        ]),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(headers.get("set-cookie").is_none());
    assert_eq!(headers["cache-control"], "no-store");
    assert!(body.contains("«Correo electrónico»"), "{body}");
    assert!(
        body.contains("La sesión empezó sin aviso &lt;b&gt;en la página&lt;"),
        "the text comes back, escaped: {body}"
    );
    assert!(!body.contains("<b>en la página"));
    assert!(body.contains("value=\"Persona Ejemplo\""));
    assert!(body.contains("value=\"queja\" checked"));

    // Corrected, it gets a folio whose status page shows no personal data.
    let (status, _, body) = page(
        app,
        "POST",
        &form,
        Some(&[
            ("category", "queja"),
            ("text", typed),
            ("name", "Persona Ejemplo"),
        ]),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let folio = body
        .split("id=\"folio-recibido\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_string();
    assert!(folio.starts_with("DQS-"), "{folio}");
    let (status, headers, body) = page(
        app,
        "GET",
        &format!("/stl/{slug}/dudas/folio?folio={}", folio.to_lowercase()),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(&folio) && body.contains("recibida"));
    assert_eq!(
        headers["cache-control"], "public, no-cache",
        "a folio's status is asked again on every visit"
    );
    assert!(!body.contains("Persona Ejemplo"));
    let (status, _, body) = page(
        app,
        "GET",
        &format!("/stl/{slug}/dudas/folio?folio=DQS-2026-ZZZZZZ"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("No hay una duda, queja o sugerencia con el folio"));

    // Súmate: a folio.
    let (status, _, body) = page(
        app,
        "POST",
        &format!("/stl/{slug}/sumate"),
        Some(&[
            ("name", "Colectivo Ejemplo"),
            ("sector", "academia"),
            ("email", "colectivo@correo.example"),
            ("reason", "Queremos participar."),
        ]),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.contains("SUM-"));
    assert!(!body.contains("colectivo@correo.example"));

    // The forms' figures: on the open-data page and as CSV, counts only.
    let (status, headers, csv) = page(
        app,
        "GET",
        &format!("/stl/{slug}/datos/dudas.csv"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.starts_with("fecha_de_corte,categoria,recibidas"),
        "{csv}"
    );
    assert!(csv.contains(",queja,1,0,0,0\r\n"), "{csv}");
    let (_, _, csv) = page(
        app,
        "GET",
        &format!("/stl/{slug}/datos/sumate.csv"),
        None,
        &[],
    )
    .await;
    assert!(csv.contains(",academia,1\r\n"), "{csv}");
    assert!(!csv.contains("Colectivo"));
    let (status, _, _) = page(
        app,
        "GET",
        &format!("/stl/{slug}/datos/otro.csv"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Verificar: a hash nobody archived, and a mistyped one.
    let (status, _, body) = page(
        app,
        "POST",
        &format!("/stl/{slug}/verificar"),
        Some(&[("sha256", &"ab".repeat(32))]),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Ningún documento del archivo público tiene esta huella"));
    let (status, _, body) = page(
        app,
        "POST",
        &format!("/stl/{slug}/verificar"),
        Some(&[("sha256", "no-es-huella")]),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("64 caracteres hexadecimales") && body.contains("no-es-huella"));

    // Unknown secretariats, sessions and sections: Spanish 404 pages.
    for path in [
        "/stl/no-existe".to_string(),
        format!("/stl/{slug}/sesiones/2026-ORD-99"),
        format!("/stl/{slug}/inventada"),
        format!("/stl/{slug}/registros/{}", "cd".repeat(32)),
    ] {
        let (status, headers, body) = page(app, "GET", &path, None, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(body.contains("lang=\"es-MX\""));
        assert!(headers.get("set-cookie").is_none());
    }
    stl.finish().await;
}
