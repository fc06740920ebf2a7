//! Invited members' projects and their periodic progress reports (000
//! VIII.2–4; issue 18 b): the invited member files a report on their own
//! project — nobody else may, not another invited member, not a titular —,
//! each report is audited, the members read them, and the public reads
//! each project with its end date and its reports newest first, with the
//! invited member's name but never an RFC, an email or a member id; the
//! public site's Compromisos page shows them and `proyectos.csv` has them.

use reqwest::StatusCode;
use rubrica_platform::ServiceName;
use rubrica_platform::testing::TestBackend;
use serde_json::{Value, json};

use crate::evidence::session_token;
use crate::helpers::{TestData, spawn_suite_with_web};
use crate::public::{assert_no_personal_data, slug_of};
use crate::secretariat::Stl;

#[tokio::test]
async fn an_invited_member_reports_their_project_s_progress_and_the_public_reads_it() {
    for backend in TestBackend::all() {
        projects_on(&backend).await;
    }
}

async fn projects_on(backend: &TestBackend) {
    // Arrange: the suite with its web front; a second invited member with
    // a project of their own.
    let data = TestData::new(backend).await;
    let app = spawn_suite_with_web(&data).await;
    let stl = Stl::arrange_on(data, app).await;
    let slug = slug_of(&stl).await;
    let other = stl
        .ok(
            "POST",
            &format!("/secretariats/{}/members", stl.id),
            &stl.operator,
            json!({ "name": "Red Ciudadana Tapatía", "rfc": "RECT800101AB1", "email": "red@stl.example.mx" }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    stl.ok(
        "POST",
        &format!("/secretariats/{}/designations", stl.id),
        &stl.operator,
        json!({ "member_id": other, "role": "invitado", "starts_on": "2026-02-01",
                "project": "Presupuesto participativo abierto", "ends_on": "2027-03-31" }),
    )
    .await;
    let invited = session_token(&stl, stl.member("inv")).await;
    let other_invited = session_token(&stl, &other).await;
    let projects = stl
        .ok(
            "GET",
            &format!("/secretariats/{}/projects", stl.id),
            &stl.titular,
            Value::Null,
        )
        .await;
    let find = |member: &str| -> String {
        projects
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["member_id"] == member)
            .unwrap_or_else(|| panic!("no project of {member}: {projects}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let project = find(stl.member("inv"));
    let other_project = find(&other);
    assert_eq!(projects.as_array().unwrap().len(), 2, "{projects}");
    let path = format!("/projects/{project}/reports");
    let report = |period: &str, progress: Value, milestone: Value| {
        json!({
            "period_ending": period,
            "summary": "Se publicó el tablero de obra pública con los contratos de 2026.",
            "progress": progress,
            "milestone": milestone,
            "link": "https://datos.example.mx/obra-publica",
        })
    };

    // Refusals: nobody (401), a titular (403, the access table), another
    // invited member (403, not their project), a project that does not
    // exist (404), and what is wrong in a report (422) — nothing stored.
    let first = report("2026-10-31", json!(25), Value::Null);
    let anonymous = stl
        .app
        .client
        .post(format!("{}{path}", stl.base))
        .json(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let (status, problem) = stl.call("POST", &path, &stl.titular, first.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = stl.call("POST", &path, &other_invited, first.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Solo el miembro invitado a cargo"),
        "{problem}"
    );
    let (status, problem) = stl
        .call(
            "POST",
            "/projects/no-existe/reports",
            &invited,
            first.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    for (body, says) in [
        (report("2026-10-31", json!(150), Value::Null), "de 0 a 100"),
        (
            report("2026-10-31", Value::Null, Value::Null),
            "el hito alcanzado",
        ),
        (report("2099-01-31", json!(10), Value::Null), "en el futuro"),
        (
            report("2025-12-31", json!(10), Value::Null),
            "anterior al inicio",
        ),
        (
            json!({ "period_ending": "2026-10-31", "summary": "x", "progress": 5, "link": "javascript:alert(1)" }),
            "dirección web",
        ),
        (
            json!({ "period_ending": "2026-10-31", "summary": "  ", "progress": 5 }),
            "`summary`",
        ),
    ] {
        let (status, problem) = stl.call("POST", &path, &invited, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(says),
            "{says}: {problem}"
        );
    }

    // Act: two reports, the second with a milestone only.
    let (status, view) = stl.call("POST", &path, &invited, first).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let (status, view) = stl
        .call(
            "POST",
            &path,
            &invited,
            report("2026-11-30", Value::Null, json!("Tablero publicado")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");

    // Assert: newest period first; the latest percentage is the project's.
    assert_eq!(view["reports"].as_array().unwrap().len(), 2, "{view}");
    assert_eq!(view["reports"][0]["period_ending"], "2026-11-30");
    assert_eq!(view["reports"][0]["milestone"], "Tablero publicado");
    assert_eq!(view["reports"][1]["progress"], 25);
    assert_eq!(view["progress"], 25);
    assert_eq!(view["ends_on"], "2027-06-30");
    assert_eq!(view["status"], "en_curso");
    // The other project has none.
    let (status, _) = stl
        .call(
            "POST",
            &format!("/projects/{other_project}/reports"),
            &other_invited,
            report("2026-11-30", json!(5), Value::Null),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Each report is audited as the invited member.
    let db = stl.app.context(ServiceName::Secretariat).db.pool();
    let audited: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor_id, details FROM audit_log WHERE action = 'proyecto.informe' ORDER BY seq",
    )
    .fetch_all(db)
    .await
    .unwrap();
    assert_eq!(audited.len(), 3, "{audited:?}");
    assert_eq!(audited[0].0, stl.member("inv"));
    assert!(audited[0].1.contains(&project), "{audited:?}");

    // The public: both projects, end dates, reports, the invited member's
    // name — no member id, RFC or email.
    let public: Value = reqwest::get(format!("{}/public/secretariats/{slug}/projects", stl.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_no_personal_data(&public);
    assert!(!public.to_string().contains("member_id"), "{public}");
    let mine = public
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == project.as_str())
        .unwrap();
    assert_eq!(mine["member_name"], "Colectivo Datos GDL");
    assert_eq!(mine["project"], "Datos abiertos de obra pública");
    assert_eq!(mine["reports"][0]["period_ending"], "2026-11-30");
    let missing = reqwest::get(format!(
        "{}/public/secretariats/no-existe/projects",
        stl.base
    ))
    .await
    .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // Another secretariat's member may not read them.
    let (status, _) = stl
        .call(
            "GET",
            "/secretariats/otro-secretariado/projects",
            &stl.titular,
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The public site: section b shows them, proyectos.csv has them.
    let site = format!("http://{}", stl.app.address);
    let html = reqwest::get(format!("{site}/stl/{slug}/compromisos"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Proyectos de los miembros invitados"),
        "{html}"
    );
    assert!(
        html.contains("Datos abiertos de obra pública") && html.contains("Colectivo Datos GDL")
    );
    assert!(html.contains("Tablero publicado") && html.contains("2027-06-30"));
    assert!(!html.contains("CODA800101AB1") && !html.contains("inv@stl.example.mx"));
    let csv = reqwest::get(format!("{site}/stl/{slug}/datos/proyectos.csv"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("proyecto_id,proyecto,miembro_invitado,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(!csv.contains('@'), "{csv}");
    stl.finish().await;
}
