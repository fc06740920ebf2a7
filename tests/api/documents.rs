//! The documents service over HTTP: rendering, the 422 that lists every
//! missing field, drafts versioned and approved (then frozen), the PDF and
//! layout the signing service fetches, and the draft acta written when a
//! session closes.

use rubrica_fiel::digest::Sha256;
use rubrica_platform::testing::TestBackend;
use rubrica_platform::{Event, ServiceName};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestData, spawn_with};

struct Fixture {
    app: TestApp,
    data: TestData,
    base: String,
    secretariat: String,
    facilitator: String,
    titular: String,
}

impl Fixture {
    async fn arrange(backend: &TestBackend) -> Fixture {
        let data = TestData::new(backend).await;
        let settings = data.settings(data.dir.path());
        let app = spawn_with(
            &rubrica::all_specs(),
            &[ServiceName::Secretariat, ServiceName::Documents],
            settings,
            "127.0.0.1:0",
        )
        .await;
        let operator = app
            .settings
            .auth
            .operator_token
            .as_ref()
            .unwrap()
            .expose()
            .to_string();
        let (status, created) = call(
            &app,
            "POST",
            &format!("{}/secretariats", app.url(ServiceName::Secretariat)),
            &operator,
            json!({ "preset": "jalisco" }),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        let secretariat = created["id"].as_str().unwrap().to_string();
        let facilitator = api_token(&app, &operator, &secretariat, "facilitador").await;
        let titular = api_token(&app, &operator, &secretariat, "titular").await;
        let base = app.url(ServiceName::Documents);
        Fixture {
            app,
            data,
            base,
            secretariat,
            facilitator,
            titular,
        }
    }

    /// An example of `templates/examples/`, as this secretariat's.
    fn example(&self, name: &str) -> Value {
        let path = format!("{}/templates/examples/{name}", env!("CARGO_MANIFEST_DIR"));
        let mut data: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        data["secretariat"]["id"] = json!(self.secretariat);
        data
    }

    async fn call(&self, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
        call(
            &self.app,
            method,
            &format!("{}{path}", self.base),
            token,
            body,
        )
        .await
    }

    async fn bytes(&self, path: &str, token: &str) -> (u16, Vec<u8>) {
        let response = self
            .app
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.bytes().await.unwrap().to_vec())
    }

    async fn finish(self) {
        self.app.stop().await;
        self.data.cleanup().await;
    }
}

async fn api_token(app: &TestApp, operator: &str, secretariat: &str, role: &str) -> String {
    let (status, body) = call(
        app,
        "POST",
        &format!("{}/auth/api-tokens", app.url(ServiceName::Secretariat)),
        operator,
        json!({ "name": format!("documentos {role}"), "secretariat_id": secretariat, "service": "documents", "role": role, "valid_days": 30 }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_string()
}

async fn call(app: &TestApp, method: &str, url: &str, token: &str, body: Value) -> (u16, Value) {
    let request = match method {
        "GET" => app.client.get(url),
        "POST" => app.client.post(url).json(&body),
        other => panic!("unexpected method {other}"),
    };
    let response = request.bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    let problem = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v == "application/problem+json");
    let value: Value = response.json().await.unwrap_or(Value::Null);
    if status >= 400 {
        assert!(problem, "an error is problem+json: {status} {value}");
        assert_eq!(value["status"], status);
    }
    (status, value)
}

#[tokio::test]
async fn missing_fields_answer_422_listing_every_one_in_spanish_and_nothing_is_stored() {
    for backend in TestBackend::all() {
        let fx = Fixture::arrange(&backend).await;
        let mut data = fx.example("acta.json");
        data["session"].as_object_mut().unwrap().remove("date");
        data["session"].as_object_mut().unwrap().remove("place");
        data.as_object_mut().unwrap().remove("signers");
        data["attendance"]["seats"][2]["sector"] = json!(7);

        let (status, problem) = fx
            .call(
                "POST",
                "/documents",
                &fx.facilitator,
                json!({ "kind": "acta", "data": data }),
            )
            .await;

        assert_eq!(status, 422, "{problem}");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "session.date",
                "session.place",
                "attendance.seats[2].sector",
                "signers"
            ]
        );
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("4 problemas"), "{detail}");
        assert!(
            detail.contains("«session.date» falta este campo"),
            "{detail}"
        );
        assert!(
            detail.contains("«attendance.seats[2].sector» debe ser un texto"),
            "{detail}"
        );
        assert!(detail.contains("no se guardó nada"), "{detail}");
        let (status, listed) = fx
            .call("GET", "/documents", &fx.facilitator, Value::Null)
            .await;
        assert_eq!(status, 200);
        assert_eq!(listed, json!([]));

        // An unknown kind is refused too, in Spanish.
        let (status, problem) = fx
            .call(
                "POST",
                "/documents",
                &fx.facilitator,
                json!({ "kind": "oficio", "data": {} }),
            )
            .await;
        assert_eq!(status, 422, "{problem}");
        fx.finish().await;
    }
}

#[tokio::test]
async fn a_draft_is_versioned_then_approved_and_frozen_and_the_signing_service_fetches_its_pdf_and_layout()
 {
    for backend in TestBackend::all() {
        let fx = Fixture::arrange(&backend).await;
        let data = fx.example("convocatoria.json");

        // Render: version 1 with its PDF and manifest.
        let (status, v1) = fx
            .call(
                "POST",
                "/documents",
                &fx.facilitator,
                json!({ "kind": "convocatoria", "data": data }),
            )
            .await;
        assert_eq!(status, 201, "{v1}");
        let id = v1["id"].as_str().unwrap().to_string();
        assert_eq!(v1["version"], 1);
        assert_eq!(v1["layout"]["page_count"], v1["page_count"]);
        assert_eq!(v1["layout"]["document_sha256"], v1["sha256"]);

        // A titular reads but does not draft.
        let (status, _) = fx
            .call(
                "POST",
                &format!("/documents/{id}/versions"),
                &fx.titular,
                json!({ "data": data }),
            )
            .await;
        assert_eq!(status, 403);

        // A correction: version 2, its own hash.
        let mut corrected = data.clone();
        corrected["session"]["place"] = json!("el Auditorio del ITEI, Guadalajara, Jalisco");
        let (status, v2) = fx
            .call(
                "POST",
                &format!("/documents/{id}/versions"),
                &fx.facilitator,
                json!({ "data": corrected }),
            )
            .await;
        assert_eq!(status, 201, "{v2}");
        assert_eq!(v2["version"], 2);
        assert_ne!(v2["sha256"], v1["sha256"]);

        // Not approved yet: the signing service's route refuses it.
        let internal = fx.app.internal_token().to_string();
        let (status, _) = fx
            .bytes(&format!("/internal/documents/{id}/pdf"), &internal)
            .await;
        assert_eq!(status, 409);
        // The internal token opens only `/internal`: on the public routes it
        // is nobody (issue 15, finding 14).
        for path in ["", "/pdf", "/layout"] {
            let (status, _) = fx.bytes(&format!("/documents/{id}{path}"), &internal).await;
            assert_eq!(status, 401, "/documents/{{id}}{path}");
        }
        let (status, view) = fx
            .bytes(&format!("/internal/documents/{id}"), &internal)
            .await;
        assert_eq!(status, 200);
        let view: Value = serde_json::from_slice(&view).unwrap();
        assert_eq!(view["id"], id.as_str());

        // Approve version 2: frozen.
        let (status, approved) = fx
            .call(
                "POST",
                &format!("/documents/{id}/approve"),
                &fx.facilitator,
                json!({ "version": 2 }),
            )
            .await;
        assert_eq!(status, 200, "{approved}");
        assert_eq!(approved["status"], "aprobado");
        assert_eq!(approved["approved_version"], 2);
        assert_eq!(approved["versions"].as_array().unwrap().len(), 2);
        let (status, problem) = fx
            .call(
                "POST",
                &format!("/documents/{id}/versions"),
                &fx.facilitator,
                json!({ "data": data }),
            )
            .await;
        assert_eq!(status, 409, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("congelado"));
        let (status, _) = fx
            .call(
                "POST",
                &format!("/documents/{id}/approve"),
                &fx.facilitator,
                json!({ "version": 1 }),
            )
            .await;
        assert_eq!(status, 409);

        // The PDF and layout, by a member and by the signing service.
        let (status, pdf) = fx.bytes(&format!("/documents/{id}/pdf"), &fx.titular).await;
        assert_eq!(status, 200);
        assert_eq!(
            hex::encode(Sha256::digest(&pdf)),
            v2["sha256"].as_str().unwrap()
        );
        let (status, internal_pdf) = fx
            .bytes(&format!("/internal/documents/{id}/pdf"), &internal)
            .await;
        assert_eq!(status, 200);
        assert!(internal_pdf == pdf);
        let (status, old) = fx
            .bytes(&format!("/documents/{id}/pdf?version=1"), &fx.titular)
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            hex::encode(Sha256::digest(&old)),
            v1["sha256"].as_str().unwrap()
        );
        let (status, layout) = fx
            .bytes(&format!("/internal/documents/{id}/layout"), &internal)
            .await;
        assert_eq!(status, 200);
        let manifest = rubrica_pdfsign::LayoutManifest::from_json(&layout).unwrap();
        assert_eq!(manifest.document_sha256.as_deref(), v2["sha256"].as_str());
        rubrica_pdfsign::make_signable(&pdf, &manifest).unwrap();
        let (status, public_layout) = fx
            .call(
                "GET",
                &format!("/documents/{id}/layout"),
                &fx.titular,
                Value::Null,
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            public_layout,
            serde_json::from_slice::<Value>(&layout).unwrap()
        );

        // Unknown record: 404 in Spanish; a malformed id: 400.
        let unknown = uuid::Uuid::now_v7();
        let (status, problem) = fx
            .call(
                "GET",
                &format!("/documents/{unknown}/pdf"),
                &fx.titular,
                Value::Null,
            )
            .await;
        assert_eq!(status, 404, "{problem}");
        let (status, problem) = fx
            .call("GET", "/documents/no-existe/pdf", &fx.titular, Value::Null)
            .await;
        assert_eq!(status, 400, "{problem}");
        fx.finish().await;
    }
}

#[tokio::test]
async fn a_closed_session_gets_its_draft_acta_once_however_often_the_event_arrives() {
    for backend in TestBackend::all() {
        let fx = Fixture::arrange(&backend).await;
        let mut payload = fx.example("acta.json");
        // Fields this service does not read are tolerated.
        payload["campo_nuevo"] = json!({ "lo": "que sea" });
        let event = Event {
            id: uuid::Uuid::now_v7().to_string(),
            event_type: "session.closed".into(),
            source: ServiceName::Secretariat,
            occurred_at: 1_795_276_800_000,
            payload,
        };
        let url = format!("{}/internal/events", fx.base);
        for expected in ["aplicado", "duplicado"] {
            let receipt: Value = fx
                .app
                .client
                .post(&url)
                .bearer_auth(fx.app.internal_token())
                .json(&event)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(receipt["status"], expected, "{receipt}");
        }

        let (status, listed) = fx
            .call(
                "GET",
                "/documents?session_id=ses-2026-ord-04",
                &fx.facilitator,
                Value::Null,
            )
            .await;
        assert_eq!(status, 200, "{listed}");
        let listed = listed.as_array().unwrap();
        assert_eq!(listed.len(), 1, "{listed:?}");
        let draft = &listed[0];
        assert_eq!(draft["kind"], "acta");
        assert_eq!(draft["folio"], "2026-ORD-04");
        assert_eq!(draft["status"], "borrador");
        assert_eq!(draft["versions"][0]["created_by"], "servicio:secretariat");

        // A work meeting's record is a minuta.
        let mut minuta = fx.example("minuta.json");
        minuta["session"]["record"] = json!("minuta");
        let event = Event {
            id: uuid::Uuid::now_v7().to_string(),
            payload: minuta,
            ..event
        };
        let response = fx
            .app
            .client
            .post(&url)
            .bearer_auth(fx.app.internal_token())
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let (_, listed) = fx
            .call(
                "GET",
                "/documents?session_id=ses-2026-rt-07",
                &fx.facilitator,
                Value::Null,
            )
            .await;
        assert_eq!(listed[0]["kind"], "minuta", "{listed}");
        fx.finish().await;
    }
}
