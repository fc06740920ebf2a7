//! The President's communiqués (section a of the public site) and the agenda
//! of activities (section b), issue 18: who may publish and maintain them,
//! what is refused and why, the audit trail, and what anyone reads without
//! an account.

use reqwest::StatusCode;
use rubrica_platform::ServiceName;
use rubrica_platform::testing::TestBackend;
use serde_json::{Value, json};
use sqlx::Row;

use crate::public::slug_of;
use crate::secretariat::Stl;

/// An anonymous GET of the secretariat service; errors are problem+json.
async fn public_get(stl: &Stl, path: &str) -> (StatusCode, Value) {
    let response = stl
        .app
        .client
        .get(format!("{}{path}", stl.base))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let problem = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v == "application/problem+json");
    let value: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        assert!(problem, "an error is problem+json: {status} {value}");
    }
    (status, value)
}

/// The audit rows of `action`: (subject, details).
async fn audit_rows(stl: &Stl, action: &str) -> Vec<(Option<String>, Value)> {
    let db = stl.app.context(ServiceName::Secretariat).db.pool();
    sqlx::query("SELECT subject, details FROM audit_log WHERE action = $1 ORDER BY seq")
        .bind(action)
        .fetch_all(db)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let details: String = r.try_get("details").unwrap();
            (
                r.try_get("subject").unwrap(),
                serde_json::from_str(&details).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_president_publishes_and_corrects_communiques_and_anyone_reads_them() {
    for backend in TestBackend::all() {
        let stl = Stl::arrange(&backend).await;
        let slug = slug_of(&stl).await;
        stl.scheduled_session("ordinaria", "2026-12-07").await;
        let folio = "2026-ORD-01".to_string();
        let list = format!("/secretariats/{}/communiques", stl.id);
        let body = json!({
            "title": "Convocatoria a la primera sesión ordinaria",
            "body": "La Presidencia convoca a la primera sesión ordinaria.\r\n\r\nLa sesión es pública y abierta.",
            "session_folio": folio,
        });

        // 401 without a session, 403 for a titular and for the facilitator:
        // the President publishes.
        let (status, _) = stl.call("POST", &list, "", body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        for token in [&stl.titular, &stl.facilitator] {
            let (status, problem) = stl.call("POST", &list, token, body.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
        }
        // 422: an empty title, a session that does not exist, an unknown field.
        for (bad, word) in [
            (json!({ "title": " ", "body": "Texto" }), "title"),
            (
                json!({ "title": "T", "body": "Texto", "session_folio": "2026-ORD-99" }),
                "2026-ORD-99",
            ),
        ] {
            let (status, problem) = stl.call("POST", &list, &stl.president, bad).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
            assert!(
                problem["detail"].as_str().unwrap().contains(word),
                "{problem}"
            );
        }

        // 201.
        let (status, first) = stl.call("POST", &list, &stl.president, body).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        assert_eq!(first["number"], 1);
        assert_eq!(first["session_folio"], folio.as_str());
        assert_eq!(first["paragraphs"].as_array().unwrap().len(), 2);
        assert_eq!(first["corrections"], 0);
        assert!(first["published"].as_str().unwrap().ends_with("-06:00"));
        let second = stl
            .ok(
                "POST",
                &list,
                &stl.president,
                json!({ "title": "Informe trimestral", "body": "Avance del Plan de Acción Local." }),
            )
            .await;
        assert_eq!(second["number"], 2);
        let published = audit_rows(&stl, "comunicado.publicar").await;
        assert_eq!(published.len(), 2);
        assert_eq!(published[0].0.as_deref(), first["id"].as_str());
        assert_eq!(published[0].1["numero"], 1);

        // Members read them, newest first.
        let read = stl.ok("GET", &list, &stl.titular, Value::Null).await;
        assert_eq!(read[0]["number"], 2);

        // A correction: 403 for the facilitator, 404 for an unknown one,
        // 422 when nothing changes; then 200, with the old text audited.
        let id = first["id"].as_str().unwrap();
        let corrected = json!({
            "title": "Convocatoria a la primera sesión ordinaria de 2026",
            "body": first["body"],
            "session_folio": folio,
        });
        let (status, _) = stl
            .call(
                "PUT",
                &format!("/communiques/{id}"),
                &stl.facilitator,
                corrected.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = stl
            .call(
                "PUT",
                "/communiques/no-existe",
                &stl.president,
                corrected.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, problem) = stl
            .call(
                "PUT",
                &format!("/communiques/{id}"),
                &stl.president,
                json!({ "title": first["title"], "body": first["body"], "session_folio": folio }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let after = stl
            .ok(
                "PUT",
                &format!("/communiques/{id}"),
                &stl.president,
                corrected,
            )
            .await;
        assert_eq!(after["corrections"], 1);
        assert_eq!(after["number"], 1);
        assert_eq!(after["published_at"], first["published_at"]);
        assert!(after["updated_at"].as_i64() >= first["updated_at"].as_i64());
        let corrections = audit_rows(&stl, "comunicado.corregir").await;
        assert_eq!(corrections.len(), 1);
        assert_eq!(
            corrections[0].1["anterior"]["titulo"],
            "Convocatoria a la primera sesión ordinaria"
        );

        // The public reads them without an account, by number.
        let (status, public) =
            public_get(&stl, &format!("/public/secretariats/{slug}/communiques")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(public.as_array().unwrap().len(), 2);
        assert!(!public.to_string().contains('@'));
        let (status, one) =
            public_get(&stl, &format!("/public/secretariats/{slug}/communiques/1")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            one["title"],
            "Convocatoria a la primera sesión ordinaria de 2026"
        );
        for missing in ["3", "uno", "-1"] {
            let (status, problem) = public_get(
                &stl,
                &format!("/public/secretariats/{slug}/communiques/{missing}"),
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{missing}: {problem}");
        }
        let (status, _) = public_get(&stl, "/public/secretariats/no-existe/communiques").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        stl.finish().await;
    }
}

#[tokio::test]
async fn managers_keep_the_agenda_of_activities_and_a_cancelled_one_stays_public() {
    for backend in TestBackend::all() {
        let stl = Stl::arrange(&backend).await;
        let slug = slug_of(&stl).await;
        stl.ok(
            "POST",
            &format!("/secretariats/{}/commitments", stl.id),
            &stl.facilitator,
            json!({
                "title": "Publicar los datos de compras municipales",
                "starts_on": "2026-01-01", "due_on": "2027-12-31",
                "milestones": [{ "title": "Catálogo de datos" }]
            }),
        )
        .await;
        let list = format!("/secretariats/{}/activities", stl.id);
        let forum = json!({
            "title": "Foro de cocreación con la sociedad civil",
            "date": "2099-03-10",
            "time": "17:30",
            "place": "Auditorio del ITEI, Guadalajara",
            "link": "https://meet.example.mx/foro",
            "description": "Mesa de trabajo abierta.",
            "commitment_number": 1,
        });

        let (status, _) = stl.call("POST", &list, "", forum.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = stl.call("POST", &list, &stl.titular, forum.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for (bad, word) in [
            (
                json!({ "title": "T", "date": "2026-02-30", "place": "Sala" }),
                "2026-02-30",
            ),
            (
                json!({ "title": "T", "date": "2026-12-10", "time": "25:00", "place": "Sala" }),
                "25:00",
            ),
            (json!({ "title": "T", "date": "2026-12-10" }), "lugar"),
            (
                json!({ "title": "T", "date": "2026-12-10", "link": "meet.example.mx" }),
                "https://",
            ),
            (
                json!({ "title": "T", "date": "2026-12-10", "place": "Sala", "commitment_number": 9 }),
                "compromiso número 9",
            ),
        ] {
            let (status, problem) = stl.call("POST", &list, &stl.facilitator, bad).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
            assert!(
                problem["detail"].as_str().unwrap().contains(word),
                "{word}: {problem}"
            );
        }

        let (status, created) = stl.call("POST", &list, &stl.facilitator, forum).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["number"], 1);
        assert_eq!(created["status"], "programada");
        assert_eq!(created["upcoming"], true);
        assert_eq!(created["utc_offset"], "-06:00");
        assert_eq!(
            created["commitment_title"],
            "Publicar los datos de compras municipales"
        );
        let past = stl
            .ok(
                "POST",
                &list,
                &stl.president,
                json!({ "title": "Taller de datos abiertos", "date": "2020-05-04", "place": "En línea", "link": "https://meet.example.mx/taller" }),
            )
            .await;
        assert_eq!(past["upcoming"], false);
        assert_eq!(audit_rows(&stl, "actividad.agregar").await.len(), 2);

        // Edited by the President.
        let id = created["id"].as_str().unwrap();
        let (status, _) = stl
            .call(
                "PUT",
                "/activities/no-existe",
                &stl.president,
                json!({ "title": "T", "date": "2099-03-11", "place": "Sala" }),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let edited = stl
            .ok(
                "PUT",
                &format!("/activities/{id}"),
                &stl.president,
                json!({ "title": "Foro de cocreación", "date": "2099-03-11", "place": "Sala de Pleno del ITEI" }),
            )
            .await;
        assert_eq!(edited["date"], "2099-03-11");
        assert!(edited["time"].is_null());
        assert!(edited["commitment_number"].is_null());
        let edits = audit_rows(&stl, "actividad.modificar").await;
        assert_eq!(edits[0].1["anterior"]["fecha"], "2099-03-10");

        // Cancelled: once, then no more edits; it stays public.
        let (status, _) = stl
            .call(
                "POST",
                &format!("/activities/{id}/cancellation"),
                &stl.titular,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let cancelled = stl
            .ok(
                "POST",
                &format!("/activities/{id}/cancellation"),
                &stl.facilitator,
                json!({ "reason": "Se pospone por el periodo electoral." }),
            )
            .await;
        assert_eq!(cancelled["status"], "cancelada");
        for (method, path, body) in [
            ("POST", format!("/activities/{id}/cancellation"), json!({})),
            (
                "PUT",
                format!("/activities/{id}"),
                json!({ "title": "T", "date": "2099-03-11", "place": "Sala" }),
            ),
        ] {
            let (status, problem) = stl.call(method, &path, &stl.president, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
            assert!(problem["detail"].as_str().unwrap().contains("cancelada"));
        }
        assert_eq!(
            audit_rows(&stl, "actividad.cancelar").await[0].1["motivo"],
            "Se pospone por el periodo electoral."
        );

        let (status, public) =
            public_get(&stl, &format!("/public/secretariats/{slug}/activities")).await;
        assert_eq!(status, StatusCode::OK);
        let public = public.as_array().unwrap();
        assert_eq!(public.len(), 2);
        assert_eq!(public[0]["date"], "2020-05-04", "by date");
        assert_eq!(public[1]["status"], "cancelada");
        assert_eq!(
            public[1]["cancel_reason"],
            "Se pospone por el periodo electoral."
        );
        let (status, _) = public_get(&stl, "/public/secretariats/no-existe/activities").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        stl.finish().await;
    }
}
