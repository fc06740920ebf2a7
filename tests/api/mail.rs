//! The mail service against a real SMTP server (Debian's `python3-aiosmtpd`,
//! started by each test on a free loopback port): convocatorias with their
//! calendar invitations, invitations to sign, reminders, refusals, signed
//! copies; and the failures mail systems quietly lose messages to — a server
//! that is down, one that refuses for now (4xx) or for good (5xx), an event
//! delivered twice, a process killed between sending and recording.
//!
//! Events are emitted from the secretariat's outbox (the real relay carries
//! them); documents are served by a stand-in for the signing service.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, MimeHeaders};
use rubrica_fiel::digest::Sha256;
use rubrica_mail::settings::MailSettings;
use rubrica_platform::testing::TestBackend;
use rubrica_platform::{Event, ServiceName, Settings};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestData, spawn_with};

// ---------------------------------------------------------------------------
// A real SMTP server.

/// Handlers beside aiosmtpd's own `Mailbox`: a server that refuses for good,
/// one that stores and then takes its time to answer (the window between
/// "sent" and "recorded"), and one that greylists every message once.
const HANDLERS: &str = r#"
import asyncio, os
from aiosmtpd.handlers import Mailbox

class Reject:
    @classmethod
    def from_cli(cls, parser, *args):
        return cls()

    async def handle_DATA(self, server, session, envelope):
        return "550 5.1.1 Buzon inexistente"

class Slow(Mailbox):
    async def handle_DATA(self, server, session, envelope):
        self.handle_message(self.prepare_message(session, envelope))
        await asyncio.sleep(float(os.environ.get("RUBRICA_SMTP_DELAY", "2")))
        return "250 OK"

class Greylist(Mailbox):
    seen = set()

    async def handle_DATA(self, server, session, envelope):
        message = self.prepare_message(session, envelope)
        key = message.get("Message-ID")
        if key not in Greylist.seen:
            Greylist.seen.add(key)
            return "451 4.7.1 Lista gris: intente mas tarde"
        self.handle_message(message)
        return "250 OK"
"#;

#[derive(Debug, Clone, Copy)]
enum Handler {
    Mailbox,
    Reject,
    Slow,
    Greylist,
}

/// An aiosmtpd process and its Maildir.
struct Smtp {
    port: u16,
    maildir: PathBuf,
    child: Option<Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Smtp {
    /// A port for a server not started yet (the outage test).
    fn reserve(dir: &Path) -> Smtp {
        Smtp {
            port: free_port(),
            maildir: dir.join("maildir"),
            child: None,
        }
    }

    fn start(dir: &Path, handler: Handler) -> Smtp {
        let mut smtp = Smtp::reserve(dir);
        smtp.run(handler);
        smtp
    }

    /// Starts (or restarts) the server on its port with `handler`.
    fn run(&mut self, handler: Handler) {
        self.stop();
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(self.maildir.join(sub)).unwrap();
        }
        let modules = self.maildir.with_file_name("python");
        std::fs::create_dir_all(&modules).unwrap();
        std::fs::write(modules.join("rubrica_smtp.py"), HANDLERS).unwrap();
        let (class, takes_dir) = match handler {
            Handler::Mailbox => ("aiosmtpd.handlers.Mailbox", true),
            Handler::Reject => ("rubrica_smtp.Reject", false),
            Handler::Slow => ("rubrica_smtp.Slow", true),
            Handler::Greylist => ("rubrica_smtp.Greylist", true),
        };
        let mut command = Command::new("/usr/bin/python3");
        command
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", class])
            .env("PYTHONPATH", &modules)
            .env("RUBRICA_SMTP_DELAY", "2")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if takes_dir {
            command.arg(&self.maildir);
        }
        self.child = Some(
            command
                .spawn()
                .expect("start aiosmtpd (apt-get install -y python3-aiosmtpd)"),
        );
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message in the Maildir.
    fn received(&self) -> Vec<Mail> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) {
                files.extend(entries.flatten().map(|e| e.path()));
            }
        }
        files.sort();
        files
            .iter()
            .filter_map(|path| std::fs::read(path).ok())
            .map(|raw| Mail::parse(&raw))
            .collect()
    }

    /// Waits until at least `n` messages arrived (30 s at most).
    async fn wait_for(&self, n: usize) -> Vec<Mail> {
        let started = Instant::now();
        loop {
            let mails = self.received();
            if mails.len() >= n {
                return mails;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "expected {n} messages, got {}: {:?}",
                mails.len(),
                mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A received message, parsed.
#[derive(Debug, Clone)]
struct Mail {
    message_id: String,
    subject: String,
    to: String,
    from: String,
    auto_submitted: Option<String>,
    text: String,
    html: String,
    /// The inline `text/calendar` part: (method, content).
    calendar: Option<(String, String)>,
    /// (file name, media type, bytes).
    attachments: Vec<(String, String, Vec<u8>)>,
}

impl Mail {
    fn parse(raw: &[u8]) -> Mail {
        let message = MessageParser::default().parse(raw).expect("a MIME message");
        let mut mail = Mail {
            message_id: format!("<{}>", message.message_id().unwrap_or_default()),
            subject: message.subject().unwrap_or_default().to_string(),
            to: message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_string(),
            from: message
                .from()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_string(),
            auto_submitted: message
                .header_raw("Auto-Submitted")
                .map(|v| v.trim().to_string()),
            text: String::new(),
            html: String::new(),
            calendar: None,
            attachments: Vec::new(),
        };
        for part in &message.parts {
            let Some(kind) = part.content_type() else {
                continue;
            };
            let subtype = kind.subtype().unwrap_or_default();
            if let Some(name) = part.attachment_name() {
                mail.attachments.push((
                    name.to_string(),
                    format!("{}/{subtype}", kind.ctype()),
                    part.contents().to_vec(),
                ));
            } else if kind.ctype() == "text" && subtype == "plain" {
                mail.text = part.text_contents().unwrap_or_default().to_string();
            } else if kind.ctype() == "text" && subtype == "html" {
                mail.html = part.text_contents().unwrap_or_default().to_string();
            } else if kind.ctype() == "text" && subtype == "calendar" {
                mail.calendar = Some((
                    kind.attribute("method").unwrap_or_default().to_string(),
                    part.text_contents().unwrap_or_default().to_string(),
                ));
            }
        }
        mail
    }

    fn attachment(&self, name: &str) -> &[u8] {
        &self
            .attachments
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("no attachment {name} in «{}»", self.subject))
            .2
    }

    fn ics(&self) -> &str {
        &self
            .calendar
            .as_ref()
            .unwrap_or_else(|| panic!("no calendar part in «{}»", self.subject))
            .1
    }
}

fn to(mails: &[Mail], address: &str) -> Vec<Mail> {
    mails.iter().filter(|m| m.to == address).cloned().collect()
}

/// Checks an iCalendar text's structure and returns its unfolded lines.
fn valid_ics(ics: &str) -> Vec<String> {
    assert!(ics.contains("\r\n"), "iCalendar lines end with CRLF");
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "line over 75 octets: {line}");
    }
    let lines: Vec<String> = ics
        .replace("\r\n ", "")
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    for required in [
        "VERSION:2.0",
        "PRODID:",
        "METHOD:",
        "BEGIN:VEVENT",
        "UID:",
        "SEQUENCE:",
        "DTSTAMP:",
        "DTSTART:",
        "DTEND:",
        "ORGANIZER;",
        "ATTENDEE;",
        "END:VEVENT",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(required)),
            "missing {required} in {ics}"
        );
    }
    lines
}

fn ics_value(lines: &[String], name: &str) -> String {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name}"))
        .to_string()
}

// ---------------------------------------------------------------------------
// A stand-in for the service that holds documents (the signing service).

struct Documents {
    url: String,
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
    handle: actix_web::dev::ServerHandle,
}

impl Documents {
    async fn start(token: String) -> Documents {
        use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

        type Shared = (
            Arc<Mutex<HashMap<String, Vec<u8>>>>,
            Arc<AtomicUsize>,
            String,
        );
        async fn serve(
            shared: web::Data<Shared>,
            name: web::Path<String>,
            request: HttpRequest,
        ) -> HttpResponse {
            let (files, hits, token) = shared.get_ref();
            let presented = request
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if presented != format!("Bearer {token}") {
                return HttpResponse::Unauthorized().finish();
            }
            hits.fetch_add(1, Ordering::SeqCst);
            match files.lock().unwrap().get(name.as_str()).cloned() {
                Some(bytes) => HttpResponse::Ok().body(bytes),
                None => HttpResponse::NotFound().finish(),
            }
        }

        let files = Arc::new(Mutex::new(HashMap::new()));
        let hits = Arc::new(AtomicUsize::new(0));
        let shared = web::Data::new((files.clone(), hits.clone(), token));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/signing", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .route("/signing/internal/documents/{name}", web::get().to(serve))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        let task = tokio::spawn(async move {
            let _ = server.await;
        });
        Documents {
            url,
            files,
            hits,
            task,
            handle,
        }
    }

    /// Serves a PDF of `size` bytes; returns its `DocumentRef`.
    fn add_pdf(&self, name: &str, size: usize) -> (Value, Vec<u8>) {
        let mut bytes = b"%PDF-1.7\n% Rubrica prueba\n".to_vec();
        let mut state: u32 = 2463534242;
        while bytes.len() < size {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            bytes.push(state as u8);
        }
        self.files
            .lock()
            .unwrap()
            .insert(name.to_string(), bytes.clone());
        let reference = json!({
            "filename": name,
            "sha256": sha256(&bytes),
            "size": bytes.len(),
            "service": "signing",
            "path": format!("/internal/documents/{name}"),
        });
        (reference, bytes)
    }
}

impl Drop for Documents {
    fn drop(&mut self) {
        // Stops the workers (without waiting for requests) and the task.
        drop(self.handle.stop(false));
        self.task.abort();
    }
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------
// The suite (secretariat + mail) on a fresh database.

struct Fixture {
    data: TestData,
    app: TestApp,
    documents: Documents,
    secretariat: String,
    facilitator: String,
    titular: String,
    operator: String,
}

/// Settings that retry fast and leave reminders for an hour.
fn fast(settings: &mut Settings, smtp: &str) {
    settings.edit::<MailSettings>(|mail| fast_mail(mail, smtp));
}

fn fast_mail(mail: &mut MailSettings, smtp: &str) {
    mail.from = "Rúbrica STL Jalisco <rubrica@stl-jalisco.example.mx>".into();
    mail.smtp_url = Some(smtp.to_string().into());
    mail.poll_interval_ms = 50;
    mail.backoff_base_ms = 50;
    mail.backoff_max_ms = 400;
    mail.max_attempts = 1000;
    mail.lease_ms = 5_000;
    mail.smtp_timeout_ms = 4_000;
    mail.reminder_delay_seconds = 3_600;
}

async fn arrange(backend: &TestBackend, smtp: &str, tweak: impl FnOnce(&mut Settings)) -> Fixture {
    let data = TestData::new(backend).await;
    let mut settings = data.settings(data.dir.path());
    fast(&mut settings, smtp);
    let documents = Documents::start(
        settings
            .internal_token
            .as_ref()
            .unwrap()
            .expose()
            .to_string(),
    )
    .await;
    settings.services.signing.url = Some(documents.url.clone());
    tweak(&mut settings);
    let app = spawn_with(
        &rubrica::all_specs(),
        &[ServiceName::Secretariat, ServiceName::Mail],
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
    Fixture {
        data,
        app,
        documents,
        secretariat,
        facilitator,
        titular,
        operator,
    }
}

async fn api_token(app: &TestApp, operator: &str, secretariat: &str, role: &str) -> String {
    let (status, body) = call(
        app,
        "POST",
        &format!("{}/auth/api-tokens", app.url(ServiceName::Secretariat)),
        operator,
        json!({ "name": format!("correo {role}"), "secretariat_id": secretariat, "service": "mail", "role": role, "valid_days": 30 }),
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
    }
    (status, value)
}

impl Fixture {
    async fn mail(&self, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
        call(
            &self.app,
            method,
            &format!("{}{path}", self.app.url(ServiceName::Mail)),
            token,
            body,
        )
        .await
    }

    /// The messages the API lists for `query`, as the facilitator sees them.
    async fn messages(&self, query: &str) -> Vec<Value> {
        let (status, list) = self
            .mail(
                "GET",
                &format!("/messages?{query}"),
                &self.facilitator,
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{list}");
        list.as_array().unwrap().clone()
    }

    /// Waits until every message of `query` (at least `n`) satisfies `done`.
    async fn wait_messages(
        &self,
        query: &str,
        n: usize,
        done: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let list = self.messages(query).await;
            if list.len() >= n && list.iter().all(&done) {
                return list;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "timed out on {query}: {list:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Records an event in the secretariat's outbox; its relay delivers it.
    async fn emit(&self, event_type: &str, payload: Value) -> Event {
        let context = self.app.context(ServiceName::Secretariat);
        let mut tx = context.begin().await.unwrap();
        let event = context
            .outbox
            .record(&mut tx, event_type, &payload)
            .await
            .unwrap();
        context.outbox.commit(tx).await.unwrap();
        event
    }

    /// Waits until the mail service applied `event`.
    async fn applied(&self, event: &Event) {
        let db = self.app.context(ServiceName::Mail).db.pool();
        let started = Instant::now();
        loop {
            let row: Option<(String,)> =
                sqlx::query_as("SELECT event_id FROM inbox_events WHERE event_id = $1")
                    .bind(&event.id)
                    .fetch_optional(db)
                    .await
                    .unwrap();
            if row.is_some() {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "event not applied"
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    async fn audit_actions(&self) -> Vec<String> {
        let (status, entries) = self
            .mail("GET", "/audit?limit=1000", &self.operator, json!({}))
            .await;
        assert_eq!(status, 200, "{entries}");
        let list = entries
            .as_array()
            .or_else(|| entries["entries"].as_array())
            .cloned()
            .unwrap_or_default();
        list.iter()
            .filter_map(|e| e["action"].as_str().map(str::to_string))
            .collect()
    }

    async fn finish(self) {
        self.app.stop().await;
        self.data.cleanup().await;
    }
}

fn secretariat_ref(id: &str) -> Value {
    json!({ "id": id, "name": "Secretariado Técnico Local de Gobierno Abierto de Jalisco" })
}

fn person(key: &str, name: &str) -> Value {
    json!({ "member_id": format!("m-{key}"), "name": name, "email": format!("{key}@stl.example.mx") })
}

fn members() -> Vec<Value> {
    vec![
        person("pres", "María González Ruiz"),
        person("aca", "Juan Pérez López"),
        person("tec", "Luis Meza Rojas"),
        json!({ "member_id": "m-emp", "name": "Ana Cruz Núñez", "email": null }),
    ]
}

fn facilitators() -> Value {
    json!([person("fac", "Rosa Ortiz Lara")])
}

fn session_notice(
    secretariat: &str,
    session_id: &str,
    revision: u32,
    time: &str,
    recipients: &[Value],
    document: Option<Value>,
) -> Value {
    json!({
        "secretariat": secretariat_ref(secretariat),
        "session": {
            "id": session_id,
            "kind": "ordinaria",
            "title": "Sesión ordinaria",
            "folio": "2026-ORD-01",
            "date": "2026-12-07",
            "time": time,
            "place": "Sala de juntas del ITEI, Av. Vallarta 1312, Guadalajara",
            "utc_offset_minutes": -360,
            "duration_minutes": 120,
        },
        "agenda": [
            { "number": 1, "title": "Lista de asistencia y verificación del quórum" },
            { "number": 2, "title": "Aprobación del orden del día" },
            { "number": 3, "title": "Avance de los compromisos del Plan de Acción Local", "description": "Informe de la mesa de datos abiertos" },
        ],
        "notice": {
            "business_days": 5,
            "required": 5,
            "explanation": "Se cumple la anticipación: 5 días hábiles entre el 27 de noviembre y el 7 de diciembre de 2026 (se requieren 5).",
        },
        "issued_on": "2026-11-27",
        "revision": revision,
        "changes": if revision > 0 { json!(["Nueva hora: 11:00"]) } else { json!([]) },
        "document": document,
        "recipients": recipients,
        "facilitators": facilitators(),
    })
}

fn route(route_id: &str) -> Value {
    json!({
        "id": route_id,
        "title": "Acta de la sesión ordinaria 2026-ORD-01",
        "record_kind": "acta",
        "folio": "2026-ORD-01",
        "sign_url": format!("https://rubrica.stl-jalisco.example.mx/firmar/{route_id}"),
        "server": "https://rubrica.stl-jalisco.example.mx/signing",
        "due_on": "2026-12-18",
    })
}

// ---------------------------------------------------------------------------
// Tests.

#[tokio::test]
async fn a_convocatoria_reaches_every_member_with_agenda_pdf_and_invitation_and_changes_replace_it()
{
    for backend in TestBackend::all() {
        let dir = tempfile::tempdir().unwrap();
        let smtp = Smtp::start(dir.path(), Handler::Mailbox);
        let fx = arrange(&backend, &smtp.url(), |_| {}).await;
        let (document, pdf) = fx
            .documents
            .add_pdf("convocatoria-2026-ORD-01.pdf", 150_000);

        // Act: the convocatoria is issued.
        let issued = fx
            .emit(
                "convocatoria.issued",
                session_notice(
                    &fx.secretariat,
                    "ses-1",
                    0,
                    "10:00",
                    &members(),
                    Some(document),
                ),
            )
            .await;

        // Three members with an address, and the facilitator told about the
        // one without.
        let mails = smtp.wait_for(4).await;
        let listed = fx
            .wait_messages(&format!("evento={}", issued.id), 5, |m| {
                m["status"] != "en_cola"
            })
            .await;
        for (key, name) in [("pres", "María"), ("aca", "Juan"), ("tec", "Luis")] {
            let address = format!("{key}@stl.example.mx");
            let got = to(&mails, &address);
            assert_eq!(got.len(), 1, "{address} ({})", backend.label());
            let mail = &got[0];
            assert_eq!(
                mail.subject,
                "Convocatoria: Sesión ordinaria 2026-ORD-01 — lunes 7 de diciembre de 2026"
            );
            assert_eq!(mail.from, "rubrica@stl-jalisco.example.mx");
            assert_eq!(mail.auto_submitted.as_deref(), Some("auto-generated"));
            assert!(
                mail.text.contains(&format!("Estimada/o {name}")),
                "{}",
                mail.text
            );
            for needle in [
                "ORDEN DEL DÍA",
                "1. Lista de asistencia y verificación del quórum",
                "3. Avance de los compromisos del Plan de Acción Local",
                "Fecha: lunes 7 de diciembre de 2026",
                "Hora:  10:00 h",
                "con 5 días hábiles de anticipación",
                "numeral V.6",
            ] {
                assert!(
                    mail.text.contains(needle),
                    "missing «{needle}» in {}",
                    mail.text
                );
            }
            assert!(
                mail.html
                    .contains("<li value=\"2\">Aprobación del orden del día</li>")
            );
            assert_eq!(
                sha256(mail.attachment("convocatoria-2026-ORD-01.pdf")),
                sha256(&pdf),
                "the PDF arrives byte for byte"
            );
            let (method, ics) = mail.calendar.clone().unwrap();
            assert_eq!(method, "REQUEST");
            assert_eq!(mail.attachment("invitacion.ics"), ics.as_bytes());
            let lines = valid_ics(&ics);
            assert_eq!(ics_value(&lines, "METHOD"), "REQUEST");
            assert_eq!(
                ics_value(&lines, "UID"),
                "sesion-ses-1@stl-jalisco.example.mx"
            );
            assert_eq!(ics_value(&lines, "SEQUENCE"), "0");
            assert_eq!(ics_value(&lines, "DTSTART"), "20261207T160000Z");
            assert_eq!(ics_value(&lines, "DTEND"), "20261207T180000Z");
            assert!(
                lines
                    .iter()
                    .any(|l| l.ends_with(&format!(":mailto:{address}")))
            );
            // The identity the API shows is the one that arrived.
            let row = listed
                .iter()
                .find(|m| m["recipient"]["email"] == address.as_str())
                .unwrap();
            assert_eq!(row["status"], "enviado");
            assert_eq!(row["attempts"], 1);
            assert_eq!(row["message_id"].as_str().unwrap(), mail.message_id);
            // The console downloads the invitation exactly as it was sent.
            let url = format!(
                "{}/messages/{}/calendar.ics",
                fx.app.url(ServiceName::Mail),
                row["id"].as_str().unwrap()
            );
            let response = fx
                .app
                .client
                .get(&url)
                .bearer_auth(&fx.facilitator)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            assert!(
                response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/calendar; charset=utf-8; method=REQUEST")
            );
            assert_eq!(response.text().await.unwrap(), ics);
            let stranger = fx.app.client.get(&url).send().await.unwrap();
            assert_eq!(stranger.status(), 401);
        }
        // The member without an address: failed, and reported.
        let missing = listed
            .iter()
            .find(|m| m["recipient"]["member_id"] == "m-emp")
            .unwrap();
        assert_eq!(missing["status"], "fallido");
        assert!(
            missing["last_error"]
                .as_str()
                .unwrap()
                .contains("no tiene correo registrado"),
            "{missing}"
        );
        let notice = &to(&mails, "fac@stl.example.mx")[0];
        assert!(
            notice.subject.starts_with("Integrantes sin correo"),
            "{}",
            notice.subject
        );
        assert!(notice.text.contains("Ana Cruz Núñez"));
        assert!(notice.text.contains("Reintente los mensajes fallidos"));
        assert_eq!(
            fx.documents.hits.load(Ordering::SeqCst),
            1,
            "the PDF is fetched once for every member"
        );

        // The facilitator retries the unreachable member with the address now registered.
        let id = missing["id"].as_str().unwrap();
        let (status, retried) = fx
            .mail(
                "POST",
                &format!("/messages/{id}/retry"),
                &fx.facilitator,
                json!({ "email": "ana.cruz@stl.example.mx" }),
            )
            .await;
        assert_eq!(status, 200, "{retried}");
        assert_eq!(retried["status"], "en_cola");
        let mails = smtp.wait_for(5).await;
        let ana = to(&mails, "ana.cruz@stl.example.mx");
        assert_eq!(ana.len(), 1);
        assert_eq!(ana[0].message_id, missing["message_id"].as_str().unwrap());

        // The session moves to 11:00: an update replaces the invitation.
        let updated = fx
            .emit(
                "session.updated",
                session_notice(&fx.secretariat, "ses-1", 1, "11:00", &members()[..3], None),
            )
            .await;
        let mails = smtp.wait_for(8).await;
        let update = to(&mails, "aca@stl.example.mx")
            .into_iter()
            .find(|m| m.subject.starts_with("Cambio en la convocatoria"))
            .expect("an update");
        assert!(update.text.contains("Nueva hora: 11:00"), "{}", update.text);
        let lines = valid_ics(update.ics());
        assert_eq!(
            ics_value(&lines, "UID"),
            "sesion-ses-1@stl-jalisco.example.mx"
        );
        assert_eq!(ics_value(&lines, "SEQUENCE"), "1");
        assert_eq!(ics_value(&lines, "METHOD"), "REQUEST");
        assert_eq!(ics_value(&lines, "DTSTART"), "20261207T170000Z");

        // A late copy of an older change sends nothing.
        let stale = fx
            .emit(
                "session.updated",
                session_notice(&fx.secretariat, "ses-1", 1, "12:00", &members()[..3], None),
            )
            .await;
        fx.applied(&stale).await;
        assert!(
            fx.messages(&format!("evento={}", stale.id))
                .await
                .is_empty()
        );

        // Cancelled: METHOD:CANCEL, same UID, higher SEQUENCE.
        let mut cancelled =
            session_notice(&fx.secretariat, "ses-1", 2, "11:00", &members()[..3], None);
        cancelled["reason"] = json!("Coincide con el periodo vacacional del Poder Judicial.");
        fx.emit("session.cancelled", cancelled).await;
        let mails = smtp.wait_for(11).await;
        let cancel = to(&mails, "tec@stl.example.mx")
            .into_iter()
            .find(|m| m.subject.starts_with("Sesión cancelada"))
            .expect("a cancellation");
        assert_eq!(cancel.calendar.as_ref().unwrap().0, "CANCEL");
        let lines = valid_ics(cancel.ics());
        assert_eq!(ics_value(&lines, "METHOD"), "CANCEL");
        assert_eq!(ics_value(&lines, "STATUS"), "CANCELLED");
        assert_eq!(
            ics_value(&lines, "UID"),
            "sesion-ses-1@stl-jalisco.example.mx"
        );
        assert_eq!(ics_value(&lines, "SEQUENCE"), "2");
        assert!(cancel.text.contains("periodo vacacional"));

        fx.wait_messages(&format!("evento={}", updated.id), 3, |m| {
            m["status"] == "enviado"
        })
        .await;
        let actions = fx.audit_actions().await;
        for action in [
            "correo.encolado",
            "correo.sin_direccion",
            "correo.enviado",
            "correo.reintento_manual",
        ] {
            assert!(
                actions.iter().any(|a| a == action),
                "no {action} in {actions:?}"
            );
        }
        fx.finish().await;
    }
}

#[tokio::test]
async fn an_event_delivered_twice_queues_each_message_once() {
    for backend in TestBackend::all() {
        let dir = tempfile::tempdir().unwrap();
        let smtp = Smtp::start(dir.path(), Handler::Mailbox);
        let fx = arrange(&backend, &smtp.url(), |_| {}).await;
        let event = fx
            .emit(
                "convocatoria.issued",
                session_notice(&fx.secretariat, "ses-2", 0, "10:00", &members()[..3], None),
            )
            .await;
        smtp.wait_for(3).await;
        fx.wait_messages(&format!("evento={}", event.id), 3, |m| {
            m["status"] == "enviado"
        })
        .await;

        // The relay repeats it: acknowledged and ignored by the inbox.
        let url = format!("{}/internal/events", fx.app.url(ServiceName::Mail));
        for _ in 0..2 {
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
            assert_eq!(receipt["status"], "duplicado");
        }
        // Even if the inbox forgot it, the idempotency keys hold.
        sqlx::query("DELETE FROM inbox_events WHERE event_id = $1")
            .bind(&event.id)
            .execute(fx.app.context(ServiceName::Mail).db.pool())
            .await
            .unwrap();
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
        assert_eq!(receipt["status"], "aplicado");

        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(smtp.received().len(), 3, "{}", backend.label());
        assert_eq!(fx.messages(&format!("evento={}", event.id)).await.len(), 3);
        fx.finish().await;
    }
}

#[tokio::test]
async fn fifty_messages_queued_while_the_smtp_server_is_down_arrive_exactly_once_when_it_returns() {
    for backend in TestBackend::all() {
        let dir = tempfile::tempdir().unwrap();
        let mut smtp = Smtp::reserve(dir.path());
        let fx = arrange(&backend, &smtp.url(), |_| {}).await;
        let fifty: Vec<Value> = (1..=50)
            .map(|i| person(&format!("integrante{i:02}"), &format!("Integrante {i:02}")))
            .collect();
        let event = fx
            .emit(
                "convocatoria.issued",
                session_notice(&fx.secretariat, "ses-3", 0, "10:00", &fifty, None),
            )
            .await;

        // Nobody answers: every message is retried, none is given up.
        let failing = fx
            .wait_messages(&format!("evento={}&limite=100", event.id), 50, |m| {
                m["attempts"].as_i64().unwrap() >= 2
            })
            .await;
        for message in &failing {
            assert_eq!(message["status"], "en_cola");
            assert!(
                message["last_error"]
                    .as_str()
                    .unwrap()
                    .contains("no se pudo hablar con el servidor SMTP"),
                "{message}"
            );
        }

        // The server returns on the same port.
        smtp.run(Handler::Mailbox);
        let sent = fx
            .wait_messages(&format!("evento={}&limite=100", event.id), 50, |m| {
                m["status"] == "enviado"
            })
            .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mails = smtp.received();
        assert_eq!(
            mails.len(),
            50,
            "every message exactly once ({})",
            backend.label()
        );
        let arrived: BTreeSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
        let expected: BTreeSet<&str> = sent
            .iter()
            .map(|m| m["message_id"].as_str().unwrap())
            .collect();
        assert_eq!(arrived, expected);
        let recipients: BTreeSet<&str> = mails.iter().map(|m| m.to.as_str()).collect();
        assert_eq!(recipients.len(), 50);

        // The history keeps every failed attempt before the one that worked.
        let id = sent[0]["id"].as_str().unwrap();
        let (_, detail) = fx
            .mail(
                "GET",
                &format!("/messages/{id}"),
                &fx.facilitator,
                json!({}),
            )
            .await;
        let history = detail["history"].as_array().unwrap();
        assert!(history.len() >= 3, "{detail}");
        assert!(
            history[..history.len() - 1]
                .iter()
                .all(|a| a["outcome"] == "reintento")
        );
        assert_eq!(history.last().unwrap()["outcome"], "enviado");
        assert_eq!(history.last().unwrap()["smtp_code"], 250);
        fx.finish().await;
    }
}

#[tokio::test]
async fn a_temporary_refusal_is_retried_and_the_message_arrives_once() {
    for backend in TestBackend::all() {
        let dir = tempfile::tempdir().unwrap();
        let smtp = Smtp::start(dir.path(), Handler::Greylist);
        let fx = arrange(&backend, &smtp.url(), |_| {}).await;
        let event = fx
            .emit(
                "term.ending",
                json!({
                    "secretariat": secretariat_ref(&fx.secretariat),
                    "member": person("aca", "Juan Pérez López"),
                    "position": "titular del asiento de academia",
                    "term_ends_on": "2026-12-31",
                    "deadline": "2027-01-15",
                    "rule": "Academia: periodo de 5 años (numeral II.3)",
                    "facilitators": facilitators(),
                }),
            )
            .await;
        let sent = fx
            .wait_messages(&format!("evento={}", event.id), 1, |m| {
                m["status"] == "enviado"
            })
            .await;
        let mails = smtp.wait_for(1).await;
        assert_eq!(mails.len(), 1, "{}", backend.label());
        let mail = &mails[0];
        assert_eq!(
            mail.subject,
            "Su periodo termina el jueves 31 de diciembre de 2026: entregue su informe de actividades"
        );
        assert!(mail.text.contains("informe de actividades"));
        assert!(
            mail.text
                .contains("Fecha límite: viernes 15 de enero de 2027.")
        );
        assert!(mail.text.contains("numeral III.7"));
        let (_, detail) = fx
            .mail(
                "GET",
                &format!("/messages/{}", sent[0]["id"].as_str().unwrap()),
                &fx.facilitator,
                json!({}),
            )
            .await;
        let history = detail["history"].as_array().unwrap();
        assert_eq!(history.len(), 2, "{detail}");
        assert_eq!(history[0]["outcome"], "reintento");
        assert_eq!(history[0]["smtp_code"], 451);
        assert_eq!(history[1]["outcome"], "enviado");

        // The same term end announced again: one reminder per term.
        let again = fx
            .emit(
                "term.ending",
                json!({
                    "secretariat": secretariat_ref(&fx.secretariat),
                    "member": person("aca", "Juan Pérez López"),
                    "position": "titular del asiento de academia",
                    "term_ends_on": "2026-12-31",
                    "deadline": "2027-01-15",
                }),
            )
            .await;
        fx.applied(&again).await;
        assert!(
            fx.messages(&format!("evento={}", again.id))
                .await
                .is_empty()
        );
        fx.finish().await;
    }
}

#[tokio::test]
async fn a_permanent_refusal_fails_at_once_and_only_a_manager_retries_it() {
    for backend in TestBackend::all() {
        let dir = tempfile::tempdir().unwrap();
        let mut smtp = Smtp::start(dir.path(), Handler::Reject);
        let fx = arrange(&backend, &smtp.url(), |_| {}).await;
        let event = fx
            .emit(
                "route.refused",
                json!({
                    "secretariat": secretariat_ref(&fx.secretariat),
                    "route": route("ruta-9"),
                    "member": person("tec", "Luis Meza Rojas"),
                    "reason": "El acuerdo 3 no refleja la votación de la comunidad tecnológica.",
                    "facilitators": facilitators(),
                }),
            )
            .await;
        let failed = fx
            .wait_messages(&format!("evento={}", event.id), 1, |m| {
                m["status"] == "fallido"
            })
            .await;
        let message = &failed[0];
        assert_eq!(
            message["attempts"],
            1,
            "a 5xx is not retried ({})",
            backend.label()
        );
        let error = message["last_error"].as_str().unwrap();
        assert!(
            error.contains("550") && error.contains("de forma definitiva"),
            "{error}"
        );
        let id = message["id"].as_str().unwrap();

        // Members do not manage mail; the API says so in Spanish.
        let (status, problem) = fx
            .mail(
                "POST",
                &format!("/messages/{id}/retry"),
                &fx.titular,
                json!({}),
            )
            .await;
        assert_eq!(status, 403);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("reintentar un mensaje de correo fallido")
        );
        let (status, _) = fx.mail("GET", "/messages", &fx.titular, json!({})).await;
        assert_eq!(status, 403);
        let (status, problem) = fx
            .mail(
                "GET",
                "/messages?estado=perdido",
                &fx.facilitator,
                json!({}),
            )
            .await;
        assert_eq!(status, 400);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("en_cola, enviado o fallido")
        );
        let (status, _) = fx
            .mail("GET", "/messages/no-existe", &fx.facilitator, json!({}))
            .await;
        assert_eq!(status, 404);
        let (status, state) = fx.mail("GET", "/status", &fx.facilitator, json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(state["counts"]["fallido"], 1);
        assert!(
            state["transport"]
                .as_str()
                .unwrap()
                .starts_with("smtp://127.0.0.1:")
        );

        // The mailbox exists now: the facilitator retries it.
        smtp.run(Handler::Mailbox);
        let (status, queued) = fx
            .mail(
                "POST",
                &format!("/messages/{id}/retry"),
                &fx.facilitator,
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{queued}");
        let mails = smtp.wait_for(1).await;
        assert_eq!(mails[0].message_id, message["message_id"].as_str().unwrap());
        assert!(
            mails[0]
                .subject
                .starts_with("Firma rechazada: Luis Meza Rojas")
        );
        assert!(mails[0].text.contains("no refleja la votación"));
        let sent = fx
            .wait_messages(&format!("evento={}", event.id), 1, |m| {
                m["status"] == "enviado"
            })
            .await;
        assert_eq!(sent[0]["attempts"], 1);
        let (_, detail) = fx
            .mail(
                "GET",
                &format!("/messages/{id}"),
                &fx.facilitator,
                json!({}),
            )
            .await;
        let outcomes: Vec<&str> = detail["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(outcomes, ["rechazo_permanente", "enviado"]);
        assert_eq!(detail["history"][0]["smtp_code"], 550);

        // A sent message is not retried.
        let (status, problem) = fx
            .mail(
                "POST",
                &format!("/messages/{id}/retry"),
                &fx.facilitator,
                json!({}),
            )
            .await;
        assert_eq!(status, 409);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("solo se reintentan los fallidos")
        );
        let actions = fx.audit_actions().await;
        assert!(actions.iter().any(|a| a == "correo.fallido"), "{actions:?}");
        assert!(actions.iter().any(|a| a == "correo.reintento_manual"));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(smtp.received().len(), 1);
        fx.finish().await;
    }
}

#[tokio::test]
async fn signers_are_invited_reminded_while_pending_and_every_member_gets_the_signed_copy() {
    for backend in TestBackend::all() {
        let dir = tempfile::tempdir().unwrap();
        let smtp = Smtp::start(dir.path(), Handler::Mailbox);
        let fx = arrange(&backend, &smtp.url(), |settings| {
            settings.edit::<MailSettings>(|mail| {
                mail.reminder_delay_seconds = 2;
                mail.reminder_interval_seconds = 1;
                mail.max_reminders = 2;
            });
        })
        .await;
        let signers = [
            person("pres", "María González Ruiz"),
            person("aca", "Juan Pérez López"),
            person("tec", "Luis Meza Rojas"),
        ];

        // Opened: one invitation per signer.
        let opened = fx
            .emit(
                "route.opened",
                json!({
                    "secretariat": secretariat_ref(&fx.secretariat),
                    "route": route("ruta-1"),
                    "signers": signers,
                    "facilitators": facilitators(),
                }),
            )
            .await;
        fx.applied(&opened).await;
        // María signs at once: she is not reminded.
        let signed = fx
            .emit(
                "route.signed",
                json!({ "route_id": "ruta-1", "member_id": "m-pres", "pending": ["m-aca", "m-tec"] }),
            )
            .await;
        fx.applied(&signed).await;
        let mails = smtp.wait_for(3).await;
        for signer in ["pres", "aca", "tec"] {
            let invitation = &to(&mails, &format!("{signer}@stl.example.mx"))[0];
            assert_eq!(
                invitation.subject,
                "Firma pendiente: Acta de la sesión ordinaria 2026-ORD-01"
            );
            for needle in [
                "rubricar cada página y firmar al calce con su FIEL",
                "https://rubrica.stl-jalisco.example.mx/firmar/ruta-1",
                "rubrica sign --server https://rubrica.stl-jalisco.example.mx/signing --route ruta-1",
                "viernes 18 de diciembre de 2026",
            ] {
                assert!(
                    invitation.text.contains(needle),
                    "missing «{needle}»: {}",
                    invitation.text
                );
            }
        }

        // Juan and Luis are reminded twice (the configured maximum), María never.
        let reminders = fx
            .wait_messages("tipo=recordatorio_firma", 4, |m| m["status"] == "enviado")
            .await;
        let mut per_member: BTreeMap<String, usize> = BTreeMap::new();
        for reminder in &reminders {
            *per_member
                .entry(
                    reminder["recipient"]["member_id"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
                .or_default() += 1;
        }
        assert_eq!(
            per_member,
            BTreeMap::from([("m-aca".to_string(), 2), ("m-tec".to_string(), 2)]),
            "{}",
            backend.label()
        );
        let mails = smtp.wait_for(7).await;
        let juan = to(&mails, "aca@stl.example.mx");
        let reminder = juan
            .iter()
            .find(|m| m.subject.starts_with("Recordatorio"))
            .unwrap();
        assert!(reminder.text.contains("sigue pendiente desde el"));
        assert!(
            reminder.text.contains("Recordatorio 1 de 2")
                || reminder.text.contains("Recordatorio 2 de 2")
        );

        // The facilitator asks for one more now (the console's button): each
        // pending signer gets a third, past the automatic maximum; a titular
        // may not ask; an unknown route is not found.
        let (status, queued) = fx
            .mail(
                "POST",
                "/routes/ruta-1/reminders",
                &fx.facilitator,
                json!({}),
            )
            .await;
        assert_eq!(status, 202, "{queued}");
        assert_eq!(queued["pending"], 2);
        fx.wait_messages("tipo=recordatorio_firma", 6, |m| m["status"] == "enviado")
            .await;
        let mails = smtp.wait_for(9).await;
        assert!(
            to(&mails, "aca@stl.example.mx").iter().any(|m| m
                .text
                .contains("Recordatorio adicional, enviado a petición del facilitador")),
            "sin el recordatorio adicional"
        );
        let (status, _) = fx
            .mail("POST", "/routes/ruta-1/reminders", &fx.titular, json!({}))
            .await;
        assert_eq!(status, 403);
        let (status, _) = fx
            .mail(
                "POST",
                "/routes/no-existe/reminders",
                &fx.facilitator,
                json!({}),
            )
            .await;
        assert_eq!(status, 404);

        // Luis refuses: the facilitator learns who and why.
        fx.emit(
            "route.refused",
            json!({
                "secretariat": secretariat_ref(&fx.secretariat),
                "route": route("ruta-1"),
                "member": person("tec", "Luis Meza Rojas"),
                "reason": "Falta el voto particular que entregué por escrito.",
                "facilitators": facilitators(),
            }),
        )
        .await;
        let mails = smtp.wait_for(10).await;
        let refusal = &to(&mails, "fac@stl.example.mx")[0];
        assert!(
            refusal
                .subject
                .starts_with("Firma rechazada: Luis Meza Rojas")
        );
        assert!(refusal.text.contains("Falta el voto particular"));

        // Completed: every member of the secretariat, not only the signers
        // (000 V.8), gets the signed PDF with its hash and the verification link.
        let (document, pdf) = fx
            .documents
            .add_pdf("acta-2026-ORD-01-firmada.pdf", 300_000);
        let everyone: Vec<Value> = members()[..3]
            .iter()
            .cloned()
            .chain([
                person("jud", "Pedro Ramos Díaz"),
                person("enl", "Laura Soto Vega"),
            ])
            .collect();
        let completed = fx
            .emit(
                "route.completed",
                json!({
                    "secretariat": secretariat_ref(&fx.secretariat),
                    "route": route("ruta-1"),
                    "document": document,
                    "verification_url": "https://rubrica.stl-jalisco.example.mx/verificar/ruta-1",
                    "members": everyone,
                    "facilitators": facilitators(),
                }),
            )
            .await;
        fx.wait_messages(&format!("evento={}", completed.id), 5, |m| {
            m["status"] == "enviado"
        })
        .await;
        let mails = smtp.wait_for(15).await;
        for key in ["pres", "aca", "tec", "jud", "enl"] {
            let copies: Vec<Mail> = to(&mails, &format!("{key}@stl.example.mx"))
                .into_iter()
                .filter(|m| m.subject.starts_with("Copia firmada"))
                .collect();
            assert_eq!(copies.len(), 1, "{key}");
            let copy = &copies[0];
            assert_eq!(
                copy.subject,
                "Copia firmada: Acta de la sesión ordinaria 2026-ORD-01"
            );
            let attached = copy.attachment("acta-2026-ORD-01-firmada.pdf");
            assert_eq!(
                sha256(attached),
                sha256(&pdf),
                "byte-identical signed record"
            );
            assert!(copy.text.contains(&sha256(&pdf)), "the hash is in the body");
            assert!(
                copy.text
                    .contains("https://rubrica.stl-jalisco.example.mx/verificar/ruta-1")
            );
            assert!(copy.text.contains("numeral V.8"));
            assert!(
                copy.attachments
                    .iter()
                    .any(|(_, kind, _)| kind == "application/pdf")
            );
        }

        // No reminder follows a completed route.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert_eq!(fx.messages("tipo=recordatorio_firma").await.len(), 6);
        fx.finish().await;
    }
}

/// A `rubrica serve --only mail` process.
struct MailProcess {
    child: Child,
}

impl MailProcess {
    fn start(port: u16, data: &Path, envs: &[(&str, String)]) -> MailProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rubrica"));
        command
            .args(["serve", "--only", "mail", "--port"])
            .arg(port.to_string())
            .arg("--data-dir")
            .arg(data)
            .env("RUBRICA_LOG__FILTER", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in envs {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().unwrap().unwrap();
        assert!(
            first.contains("escuchando en"),
            "unexpected first line: {first}"
        );
        std::thread::spawn(move || for _ in lines {});
        MailProcess { child }
    }

    /// SIGKILL: no chance to record anything.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for MailProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_worker_killed_between_sending_and_recording_sends_again_with_the_same_message_id() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        // The server stores each message, then takes 2 s to say so: the
        // window between "sent" and "recorded".
        let mut smtp = Smtp::reserve(data.dir.path());
        let port = free_port();
        let mail_url = format!("http://127.0.0.1:{port}/mail");

        // The emitter: the secretariat, in this process.
        let mut settings = data.settings(&data.subdir("secretariat"));
        settings.services.mail.url = Some(mail_url.clone());
        let app = spawn_with(
            &rubrica::all_specs(),
            &[ServiceName::Secretariat],
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
        let (_, created) = call(
            &app,
            "POST",
            &format!("{}/secretariats", app.url(ServiceName::Secretariat)),
            &operator,
            json!({ "preset": "jalisco" }),
        )
        .await;
        let secretariat = created["id"].as_str().unwrap().to_string();
        let facilitator = api_token(&app, &operator, &secretariat, "facilitador").await;

        // The mail service, in a process of its own.
        let mut envs = vec![
            ("RUBRICA_INTERNAL_TOKEN", app.internal_token().to_string()),
            (
                "RUBRICA_SERVICES__SECRETARIAT__URL",
                app.url(ServiceName::Secretariat),
            ),
            ("RUBRICA_MAIL__SMTP_URL", smtp.url()),
            ("RUBRICA_MAIL__CONCURRENCY", "1".into()),
            ("RUBRICA_MAIL__POLL_INTERVAL_MS", "50".into()),
            ("RUBRICA_MAIL__LEASE_MS", "5000".into()),
            ("RUBRICA_MAIL__SMTP_TIMEOUT_MS", "4000".into()),
            ("RUBRICA_MAIL__BACKOFF_BASE_MS", "50".into()),
            ("RUBRICA_MAIL__BACKOFF_MAX_MS", "400".into()),
        ];
        if let Some(url) = &data.database.as_ref().unwrap().url {
            envs.push(("RUBRICA_DATABASE_URL", url.clone()));
        }
        let mail_data = data.subdir("mail");
        smtp.run(Handler::Slow);
        let process = MailProcess::start(port, &mail_data, &envs);

        let context = app.context(ServiceName::Secretariat);
        let mut tx = context.begin().await.unwrap();
        context
            .outbox
            .record(
                &mut tx,
                "term.ending",
                &json!({
                    "secretariat": secretariat_ref(&secretariat),
                    "member": person("aca", "Juan Pérez López"),
                    "position": "titular del asiento de academia",
                    "term_ends_on": "2026-12-31",
                    "deadline": "2027-01-15",
                }),
            )
            .await
            .unwrap();
        context.outbox.commit(tx).await.unwrap();

        // The server has the message and has not answered yet: kill the worker.
        let first = smtp.wait_for(1).await;
        process.kill();

        // It comes back; once the dead worker's lease ends, the message goes
        // again — with the same identity — and is recorded as sent.
        let process = MailProcess::start(port, &mail_data, &envs);
        let both = smtp.wait_for(2).await;
        assert_eq!(both.len(), 2, "{}", backend.label());
        assert_eq!(both[0].message_id, first[0].message_id);
        assert_eq!(
            both[1].message_id, first[0].message_id,
            "a repeat carries the same Message-ID"
        );
        assert_eq!(both[0].subject, both[1].subject);

        let started = Instant::now();
        let detail = loop {
            let (status, list) = call(
                &app,
                "GET",
                &format!("{mail_url}/messages?tipo=fin_de_periodo"),
                &facilitator,
                json!({}),
            )
            .await;
            assert_eq!(status, 200, "{list}");
            if let Some(message) = list.as_array().unwrap().first()
                && message["status"] == "enviado"
            {
                let (_, detail) = call(
                    &app,
                    "GET",
                    &format!("{mail_url}/messages/{}", message["id"].as_str().unwrap()),
                    &facilitator,
                    json!({}),
                )
                .await;
                break detail;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "not recorded: {list}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(
            detail["message"]["message_id"].as_str().unwrap(),
            first[0].message_id
        );
        let outcomes: Vec<&str> = detail["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(outcomes, ["interrumpido", "enviado"], "{detail}");
        assert!(
            detail["history"][0]["detail"]
                .as_str()
                .unwrap()
                .contains("mismo Message-ID")
        );

        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(smtp.received().len(), 2, "nothing more is sent");
        drop(process);
        app.stop().await;
        data.cleanup().await;
    }
}
