//! The documents service over HTTP when a template is broken: the caller
//! gets a 500 that leaks nothing, the log names the template file and line,
//! and nothing is stored (no document, no version, no event, no audit entry).
//!
//! The service runs for real (platform suite, fresh database, HTTP on port
//! 0) with one change: its acta template is replaced by a broken copy of the
//! real one (`Templates::replacing`), and bearer tokens resolve to a fixed
//! facilitator instead of asking the secretariat service.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use rubrica_documents::engine::Templates;
use rubrica_documents::{DocumentKind, Documents};
use rubrica_platform::auth::{AuthMethod, Authenticator};
use rubrica_platform::launch::Suite;
use rubrica_platform::testing::{self, FreshDatabase, TestBackend};
use rubrica_platform::{ApiError, Caller, Role, ServiceName, ServiceParts};
use serde_json::{Value, json};
use sqlx::Row;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "token-de-la-facilitadora";
const SECRETARIAT: &str = "stl-jalisco";

/// Resolves [`TOKEN`] to the facilitator of [`SECRETARIAT`].
struct Facilitator;

impl Authenticator for Facilitator {
    fn authenticate<'a>(
        &'a self,
        token: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Caller>, ApiError>> + Send + 'a>> {
        let caller = (token == TOKEN).then(|| Caller {
            actor_id: "facilitadora".into(),
            name: "Facilitadora de prueba".into(),
            member_id: Some("facilitadora".into()),
            secretariat_id: Some(SECRETARIAT.into()),
            roles: vec![Role::Facilitator],
            method: Some(AuthMethod::TokenApi),
            scope_service: Some(ServiceName::Documents),
            credential_id: Some("token-de-prueba".into()),
            ..Caller::public(None)
        });
        Box::pin(async move { Ok(caller) })
    }
}

/// One log event: its level and its fields, `name=value`.
#[derive(Debug, Clone)]
struct LogLine {
    level: tracing::Level,
    fields: Vec<(String, String)>,
}

impl LogLine {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The process-wide captured log.
fn captured_log() -> CapturedLog {
    static LOG: std::sync::OnceLock<CapturedLog> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let log = CapturedLog::default();
        tracing::subscriber::set_global_default(log.clone())
            .expect("only this test installs a subscriber");
        log
    })
    .clone()
}

/// A subscriber that keeps every event (spans are accepted and ignored).
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<LogLine>>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push((field.name().to_string(), value.to_string()));
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0
            .push((field.name().to_string(), format!("{value:?}")));
    }
}

impl tracing::Subscriber for CapturedLog {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        if let Ok(mut lines) = self.0.lock() {
            lines.push(LogLine {
                level: *event.metadata().level(),
                fields,
            });
        }
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

/// The real acta template with line `line` (1-based) replaced by `broken`.
fn acta_with(line: usize, broken: &str) -> String {
    let mut lines: Vec<&str> = DocumentKind::Acta.template().lines().collect();
    lines[line - 1] = broken;
    lines.join("\n") + "\n"
}

async fn count(context: &rubrica_platform::ServiceContext, table: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(context.db.pool())
        .await
        .unwrap()
        .get::<i64, _>(0)
}

#[tokio::test]
async fn a_broken_template_answers_500_logs_its_file_and_line_and_stores_nothing() {
    for backend in TestBackend::all() {
        // Arrange: the acta template breaks in its body, at the line of the
        // quorum section's heading, where a real edit could go wrong.
        let template = DocumentKind::Acta.template();
        let line = template
            .lines()
            .position(|l| l == "= Verificación del quórum")
            .expect("the acta template has a quorum section")
            + 1;
        let broken = acta_with(line, "#d.session.at(\"campo_inexistente\")");
        let templates = Templates::compiled_in().replacing(DocumentKind::Acta, broken);
        let spec = rubrica_documents::spec().with_build(move |context| {
            let documents = Documents::with_templates(context.clone(), templates.clone());
            ServiceParts {
                authenticator: Some(Arc::new(Facilitator)),
                ..ServiceParts::new(rubrica_documents::api::router(documents))
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let database = FreshDatabase::create(&backend).await.unwrap();
        let settings = testing::settings(dir.path(), database.url.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let suite = Suite::assemble(&[spec], &[ServiceName::Documents], settings, address)
            .await
            .unwrap();
        let context = suite.context(ServiceName::Documents).unwrap().clone();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(suite.serve(listener, shutdown.clone()));
        let data: Value = serde_json::from_slice(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../templates/examples/acta.json"
            ))
            .unwrap(),
        )
        .unwrap();
        assert_eq!(data["secretariat"]["id"], SECRETARIAT);
        // The server's workers are threads of their own: the log is captured
        // process-wide (installed once, emptied for each backend).
        let log = captured_log();
        log.0.lock().unwrap().clear();

        // Act
        let response = context
            .http
            .post(format!("http://{address}/documents/documents"))
            .bearer_auth(TOKEN)
            .json(&json!({ "kind": "acta", "data": data }))
            .send()
            .await
            .unwrap();

        // Assert: a 500 problem that says nothing about the template…
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let problem: Value = response.json().await.unwrap();
        assert_eq!(status, 500, "{}: {problem}", backend.label());
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(problem["status"], 500);
        let shown = problem.to_string();
        assert!(
            !shown.contains("acta.typ") && !shown.contains("campo_inexistente"),
            "the client is told nothing about the template: {shown}"
        );

        // …the log names the template file and the broken line…
        let lines = log.0.lock().unwrap().clone();
        let named = lines
            .iter()
            .find(|l| l.field("template").is_some())
            .unwrap_or_else(|| panic!("no log line names the template: {lines:?}"));
        assert_eq!(named.level, tracing::Level::ERROR);
        assert_eq!(
            named.field("template"),
            Some("templates/documents/acta.typ")
        );
        assert_eq!(named.field("line"), Some(line.to_string().as_str()));
        assert!(
            named
                .field("error")
                .is_some_and(|e| e.contains("campo_inexistente")),
            "{named:?}"
        );

        // …and nothing was stored.
        for table in [
            "documents",
            "document_versions",
            "outbox_events",
            "audit_log",
        ] {
            assert_eq!(
                count(&context, table).await,
                0,
                "{}: {table}",
                backend.label()
            );
        }
        let listed = context
            .http
            .get(format!("http://{address}/documents/documents"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.status().as_u16(), 200);
        assert_eq!(listed.json::<Value>().await.unwrap(), json!([]));

        shutdown.cancel();
        server.await.unwrap().unwrap();
        database.drop_database().await.unwrap();
    }
}
