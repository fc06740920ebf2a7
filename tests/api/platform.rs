//! The platform as a client sees it: health, OpenAPI, errors, limits.

use rubrica_platform::testing::TestBackend;
use rubrica_platform::{Backend, Problem, ServiceName};
use serde_json::Value;

use crate::helpers::{TestData, spawn_suite};

#[tokio::test]
async fn every_service_of_the_embedded_suite_is_live_and_ready() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn_suite(&data).await;
        for service in ServiceName::ALL {
            for check in ["live", "ready"] {
                let response = app
                    .client
                    .get(format!("{}/health/{check}", app.url(service)))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    response.status(),
                    200,
                    "{service} {check} on {}",
                    backend.label()
                );
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["service"], service.as_str());
            }
        }
        let overall = app
            .client
            .get(format!("http://{}/health/ready", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(overall.status(), 200);
        app.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn ready_answers_503_when_a_migration_is_missing() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn_suite(&data).await;
        let signing = app.context(ServiceName::Signing);
        // Someone rolled the schema back under a running replica.
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 1")
            .execute(signing.db.pool())
            .await
            .unwrap();

        let response = app
            .client
            .get(format!("{}/health/ready", app.url(ServiceName::Signing)))
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 503, "{}", backend.label());
        let problem: Problem = response.json().await.unwrap();
        assert!(problem.detail.contains("migraciones"), "{}", problem.detail);
        // The other services are unaffected.
        let mail = app
            .client
            .get(format!("{}/health/ready", app.url(ServiceName::Mail)))
            .send()
            .await
            .unwrap();
        assert_eq!(mail.status(), 200);
        app.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn each_service_keeps_its_own_database() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn_suite(&data).await;
        let secretariat = app.context(ServiceName::Secretariat);
        sqlx::query("INSERT INTO inbox_events (event_id, event_type, source, received_at) VALUES ('solo-secretariado', 'x', 'mail', 0)")
            .execute(secretariat.db.pool())
            .await
            .unwrap();
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM inbox_events")
            .fetch_one(app.context(ServiceName::Archive).db.pool())
            .await
            .unwrap();
        assert_eq!(count, 0, "the archive must not see the secretariat's rows");
        match secretariat.db.backend() {
            Backend::Sqlite => {
                let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
                    .fetch_one(secretariat.db.pool())
                    .await
                    .unwrap();
                assert_eq!(mode, "wal");
                assert!(data.dir.path().join("secretariat.db").exists());
            }
            Backend::Postgres => {
                let (schema,): (String,) = sqlx::query_as("SELECT current_schema()::text")
                    .fetch_one(secretariat.db.pool())
                    .await
                    .unwrap();
                assert_eq!(schema, "secretariat");
            }
        }
        app.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn every_documented_operation_exists_and_every_service_documents_the_platform_routes() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn_suite(&data).await;
    for service in ServiceName::ALL {
        let doc: Value = app
            .client
            .get(format!("{}/openapi.json", app.url(service)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["servers"][0]["url"], format!("/{service}"));
        let paths = doc["paths"].as_object().unwrap();
        for expected in [
            "/health/live",
            "/health/ready",
            "/internal/events",
            "/internal/outbox",
        ] {
            assert!(paths.contains_key(expected), "{service} lacks {expected}");
        }
        for (path, operations) in paths {
            for method in operations.as_object().unwrap().keys() {
                let url = format!("{}{path}", app.url(service));
                let request = match method.as_str() {
                    "get" => app.client.get(&url),
                    "post" => app.client.post(&url).json(&serde_json::json!({})),
                    "put" => app.client.put(&url).json(&serde_json::json!({})),
                    "patch" => app.client.patch(&url).json(&serde_json::json!({})),
                    "delete" => app.client.delete(&url),
                    other => panic!("unexpected method {other}"),
                };
                let response = request
                    .bearer_auth(app.internal_token())
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                // A handler may answer 404 for the placeholder id it was
                // given; only the platform's "no such route" counts.
                let detail = response.text().await.unwrap_or_default();
                let no_route = status == 404 && detail.contains("No existe la ruta");
                assert!(
                    !no_route && status != 405,
                    "{service}: {method} {path} is documented but answers {status}: {detail}"
                );
            }
        }
    }
    app.stop().await;
}

async fn problem_of(response: reqwest::Response, status: u16) -> Problem {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert!(response.headers().contains_key("x-request-id"));
    response.json().await.unwrap()
}

#[tokio::test]
async fn client_mistakes_get_spanish_problem_details() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn_suite(&data).await;
    let mail = app.url(ServiceName::Mail);

    let p = problem_of(
        app.client
            .get(format!("{mail}/no-existe"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert!(p.detail.contains("No existe la ruta"), "{}", p.detail);

    // A 405 names the methods the path admits (RFC 9110 requires `Allow`).
    let response = app
        .client
        .delete(format!("{mail}/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    let p = problem_of(response, 405).await;
    assert!(
        p.detail.contains("no admite el método DELETE"),
        "{}",
        p.detail
    );

    let p = problem_of(
        app.client
            .post(format!("{mail}/internal/events"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    assert!(p.detail.contains("token interno"), "{}", p.detail);

    let p = problem_of(
        app.client
            .post(format!("{mail}/internal/events"))
            .bearer_auth("otro-token")
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    assert!(p.detail.contains("token interno"));

    let p = problem_of(
        app.client
            .post(format!("{mail}/internal/events"))
            .bearer_auth(app.internal_token())
            .header("content-type", "application/json")
            .body("{no es json")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(p.detail.contains("no es JSON válido"), "{}", p.detail);

    let p = problem_of(
        app.client
            .post(format!("{mail}/internal/events"))
            .bearer_auth(app.internal_token())
            .json(&serde_json::json!({"id": 7}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert!(
        p.detail.contains("no tiene la forma esperada"),
        "{}",
        p.detail
    );

    // serde builds a struct from an array of its fields in order; the API
    // takes objects only.
    let p = problem_of(
        app.client
            .post(format!("{mail}/internal/events"))
            .bearer_auth(app.internal_token())
            .json(&serde_json::json!([
                "01a24161-54ca-712f-a772-553a9c031e1a",
                "nada.paso",
                "secretariat",
                1,
                {}
            ]))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert!(p.detail.contains("objeto JSON"), "{}", p.detail);

    let p = problem_of(
        app.client
            .post(format!("{mail}/internal/events"))
            .bearer_auth(app.internal_token())
            .body("x")
            .send()
            .await
            .unwrap(),
        415,
    )
    .await;
    assert!(p.detail.contains("Content-Type"), "{}", p.detail);

    let huge = format!(
        "\"{}\"",
        "a".repeat(app.settings.http.body_limit_bytes + 10)
    );
    let p = problem_of(
        app.client
            .post(format!("{mail}/internal/events"))
            .bearer_auth(app.internal_token())
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .unwrap(),
        413,
    )
    .await;
    assert!(p.detail.contains("excede el tamaño"), "{}", p.detail);

    let p = problem_of(
        app.client
            .get(format!("{mail}/internal/outbox?limit=muchos"))
            .bearer_auth(app.internal_token())
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(p.detail.contains("consulta no es válido"), "{}", p.detail);
    app.stop().await;
}

#[tokio::test]
async fn a_caller_request_id_is_kept_and_echoed() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn_suite(&data).await;
    let response = app
        .client
        .get(format!("{}/no-existe", app.url(ServiceName::Archive)))
        .header("x-request-id", "solicitud-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "solicitud-123");
    let problem: Problem = response.json().await.unwrap();
    assert_eq!(problem.request_id.as_deref(), Some("solicitud-123"));
    app.stop().await;
}

#[tokio::test]
async fn every_answer_carries_security_headers_and_authenticated_json_is_not_stored() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn_suite(&data).await;

    // Public JSON: nosniff, no referrer, a CSP that loads nothing.
    let public = app
        .client
        .get(format!("{}/health/live", app.url(ServiceName::Archive)))
        .send()
        .await
        .unwrap();
    assert_eq!(public.headers()["x-content-type-options"], "nosniff");
    assert_eq!(public.headers()["referrer-policy"], "no-referrer");
    assert_eq!(
        public.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    // A 404 problem too.
    let missing = app
        .client
        .get(format!("{}/no-existe", app.url(ServiceName::Signing)))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.headers()["x-content-type-options"], "nosniff");

    // JSON answered to a caller with credentials is never cached.
    let operator = app
        .settings
        .auth
        .operator_token
        .as_ref()
        .unwrap()
        .expose()
        .to_string();
    let authenticated = app
        .client
        .get(format!("{}/audit", app.url(ServiceName::Secretariat)))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(authenticated.status(), 200);
    assert_eq!(authenticated.headers()["cache-control"], "no-store");
    assert_eq!(authenticated.headers()["x-content-type-options"], "nosniff");
    app.stop().await;
    data.cleanup().await;
}

#[tokio::test]
async fn a_stranger_cannot_make_the_server_read_a_large_body_but_a_member_can_upload_one() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn_suite(&data).await;
    let verify = format!("{}/verify/pdf", app.url(ServiceName::Archive));
    let limit = app.settings.http.public_body_limit_bytes;
    let body = vec![b'%'; limit + 1];

    // Anonymous: refused at the public limit (8 MiB), in Spanish.
    let p = problem_of(
        app.client
            .post(&verify)
            .header("content-type", "application/pdf")
            .body(body.clone())
            .send()
            .await
            .unwrap(),
        413,
    )
    .await;
    assert!(
        p.detail.contains("excede el tamaño permitido"),
        "{}",
        p.detail
    );

    // With credentials the route's own, larger limit applies: the same bytes
    // are read and refused for what they are (not a PDF), not for their size.
    let operator = app
        .settings
        .auth
        .operator_token
        .as_ref()
        .unwrap()
        .expose()
        .to_string();
    let response = app
        .client
        .post(&verify)
        .bearer_auth(&operator)
        .header("content-type", "application/pdf")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_ne!(response.status(), 413);
    assert!(response.status().is_client_error(), "{}", response.status());
    app.stop().await;
    data.cleanup().await;
}

#[tokio::test]
async fn a_get_route_answers_head_without_a_body() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn_suite(&data).await;
    let response = app
        .client
        .head(format!("{}/health/live", app.url(ServiceName::Mail)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().len(), 0);
    app.stop().await;
    data.cleanup().await;
}

#[tokio::test]
async fn a_short_or_empty_internal_or_operator_token_is_refused_at_start_up() {
    for (internal, operator) in [
        (Some(""), None),
        (Some("corto"), None),
        (None, Some("operador")),
        (None, Some("")),
    ] {
        let data = TestData::new(&TestBackend::Sqlite).await;
        let mut settings = data.settings(data.dir.path());
        if let Some(token) = internal {
            settings.internal_token = Some(token.to_string().into());
        }
        if let Some(token) = operator {
            settings.auth.operator_token = Some(token.to_string().into());
        }
        let refused = rubrica_platform::Suite::assemble(
            &rubrica::all_specs(),
            &ServiceName::ALL,
            settings,
            "127.0.0.1:0".parse().unwrap(),
        )
        .await;
        let Err(error) = refused else {
            panic!("started with internal {internal:?} and operator {operator:?}");
        };
        let message = error.to_string();
        assert!(
            message.contains("demasiado corto") && message.contains("openssl rand -hex 32"),
            "{message}"
        );
        data.cleanup().await;
    }
}

/// A raw body (PDF, ZIP, any file) is documented as bytes of its media
/// type, never as the JSON array of integers a `Vec<u8>` renders to.
#[tokio::test]
async fn raw_bodies_are_documented_as_bytes_of_their_media_type() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn_suite(&data).await;
    let mut raw = 0;
    for service in ServiceName::ALL {
        let document: Value = app
            .client
            .get(format!("{}/openapi.json", app.url(service)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let mut contents = vec![&operation["requestBody"]["content"]];
                for response in operation["responses"].as_object().unwrap().values() {
                    contents.push(&response["content"]);
                }
                for content in contents.into_iter().filter_map(Value::as_object) {
                    for (media, body) in content {
                        if media.contains("json") || body["schema"].is_null() {
                            continue;
                        }
                        raw += 1;
                        assert_eq!(
                            body["schema"]["type"], "string",
                            "{service} {method} {path} {media}"
                        );
                        assert_eq!(
                            body["schema"]["contentMediaType"], *media,
                            "{service} {method} {path}"
                        );
                    }
                }
            }
        }
    }
    assert!(raw >= 4, "solo {raw} cuerpos binarios documentados");
    app.stop().await;
    data.cleanup().await;
}

/// Each parameter is documented where the handler reads it: the path's
/// `{placeholders}` as required path parameters, everything else (filters,
/// limits, versions) as query parameters, required only when the handler
/// cannot do without it. A query parameter documented `in: path` is never
/// sent by a client that follows the document.
#[tokio::test]
async fn every_parameter_is_documented_where_it_is_read() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn_suite(&data).await;
    for service in ServiceName::ALL {
        let document: Value = app
            .client
            .get(format!("{}/openapi.json", app.url(service)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for (path, item) in document["paths"].as_object().unwrap() {
            let placeholders: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            for (method, operation) in item.as_object().unwrap() {
                let parameters = operation["parameters"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for placeholder in &placeholders {
                    assert!(
                        parameters
                            .iter()
                            .any(|p| p["name"] == *placeholder && p["in"] == "path"),
                        "{service} {method} {path}: falta el parámetro de ruta {placeholder}"
                    );
                }
                for parameter in &parameters {
                    let name = parameter["name"].as_str().unwrap();
                    let location = parameter["in"].as_str().unwrap();
                    assert_eq!(
                        location == "path",
                        placeholders.contains(&name),
                        "{service} {method} {path}: el parámetro {name} está documentado en {location}"
                    );
                    let nullable = parameter["schema"]["type"]
                        .as_array()
                        .is_some_and(|types| types.iter().any(|t| t == "null"));
                    if location == "query" && nullable {
                        assert_ne!(
                            parameter["required"], true,
                            "{service} {method} {path}: {name} es opcional pero figura como requerido"
                        );
                    }
                }
            }
        }
    }
    app.stop().await;
    data.cleanup().await;
}

#[tokio::test]
async fn every_error_response_is_documented_as_problem_json() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn_suite(&data).await;
    for service in ServiceName::ALL {
        let document: Value = app
            .client
            .get(format!("{}/openapi.json", app.url(service)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let responses = operation["responses"].as_object().unwrap();
                assert!(
                    responses.contains_key("500"),
                    "{service} {method} {path}: 500 sin documentar"
                );
                if path.contains('{') {
                    assert!(responses.contains_key("404"), "{service} {method} {path}");
                }
                for (status, response) in responses {
                    if status.starts_with('4') || status.starts_with('5') {
                        let content = response["content"].as_object().unwrap();
                        assert_eq!(
                            content.keys().collect::<Vec<_>>(),
                            vec!["application/problem+json"],
                            "{service} {method} {path} {status}"
                        );
                    }
                }
            }
        }
    }
    app.stop().await;
    data.cleanup().await;
}
