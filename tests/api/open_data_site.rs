//! Section d presented (issue 18): the archive's open data with each file's
//! row count and last update (`/open-data/stats.json`, computed at most once
//! a minute), and each site's own Data Package — the Local Action Plan, the
//! invited members' projects and the public forms' figures — whose
//! descriptor names every column of every CSV it describes, in order.

use reqwest::StatusCode;
use rubrica_platform::ServiceName;
use rubrica_platform::testing::TestBackend;
use serde_json::{Value, json};

use crate::helpers::{TestData, spawn_suite_with_web};
use crate::public::slug_of;
use crate::secretariat::Stl;

#[tokio::test]
async fn the_open_data_page_presents_row_counts_and_the_site_s_own_data_package() {
    for backend in TestBackend::all() {
        open_data_on(&backend).await;
    }
}

async fn open_data_on(backend: &TestBackend) {
    // Arrange: a commitment with two milestones and a complaint.
    let data = TestData::new(backend).await;
    let app = spawn_suite_with_web(&data).await;
    let stl = Stl::arrange_on(data, app).await;
    let slug = slug_of(&stl).await;
    stl.ok(
        "POST",
        &format!("/secretariats/{}/commitments", stl.id),
        &stl.facilitator,
        json!({ "title": "Publicar las compras municipales", "starts_on": "2026-01-01", "due_on": "2026-12-31",
                "milestones": [{ "title": "Diagnóstico" }, { "title": "Tablero", "weight": 3 }] }),
    )
    .await;
    let asked = stl
        .app
        .client
        .post(format!("{}/public/secretariats/{slug}/inquiries", stl.base))
        .json(&json!({ "category": "duda", "text": "¿Cuándo es la próxima sesión?" }))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::CREATED);
    let site = format!("http://{}", stl.app.address);
    let get = |url: String| async move {
        let response = reqwest::get(&url).await.unwrap();
        let status = response.status();
        (status, response.text().await.unwrap())
    };

    // The archive's figures: every resource of its package, in order.
    let archive = stl.app.url(ServiceName::Archive);
    let (status, stats) = get(format!("{archive}/open-data/stats.json")).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    let stats: Value = serde_json::from_str(&stats).unwrap();
    let (_, package) = get(format!("{archive}/open-data/datapackage.json")).await;
    let package: Value = serde_json::from_str(&package).unwrap();
    let names = |v: &Value| -> Vec<String> {
        v["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&stats), names(&package));
    for r in stats["resources"].as_array().unwrap() {
        assert_eq!(r["rows"], 0, "{stats}");
        assert!(r["last_updated_at"].is_null(), "{stats}");
    }

    // The site's own descriptor: every CSV's header is its schema.
    let (status, descriptor) = get(format!("{site}/stl/{slug}/datos/datapackage.json")).await;
    assert_eq!(status, StatusCode::OK, "{descriptor}");
    let descriptor: Value = serde_json::from_str(&descriptor).unwrap();
    assert_eq!(descriptor["profile"], "tabular-data-package");
    assert_eq!(
        names(&descriptor),
        ["compromisos", "proyectos", "dudas", "sumate"]
    );
    for r in descriptor["resources"].as_array().unwrap() {
        let (status, csv) = get(format!(
            "{site}/stl/{slug}/datos/{}",
            r["path"].as_str().unwrap()
        ))
        .await;
        assert_eq!(status, StatusCode::OK, "{csv}");
        let fields: Vec<&str> = r["schema"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            csv.lines().next().unwrap(),
            fields.join(","),
            "{}",
            r["name"]
        );
        assert!(!csv.contains('@'), "{csv}");
    }
    let (_, csv) = get(format!("{site}/stl/{slug}/datos/compromisos.csv")).await;
    assert_eq!(csv.lines().count(), 3, "{csv}");

    // The page presents both, with row counts.
    let (status, html) = get(format!("{site}/stl/{slug}/datos")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<strong>0</strong> filas"), "{html}");
    assert!(html.contains("/stl/") && html.contains("/datos/datapackage.json"));
    assert!(html.contains("Compromisos del Plan de Acción Local y sus hitos"));
    assert!(
        html.contains("<strong>2</strong> filas"),
        "two milestones: {html}"
    );
    assert!(!html.contains('@'), "{html}");
    stl.finish().await;
}
