//! Delivery benchmark (issue: 1,000 messages with a 1 MB PDF attached, to
//! the local SMTP server, through the pooled connections): messages per
//! second, and the process's resident memory while the queue drains — it
//! must stay flat, since the attachment is shared, not held per message.
//!
//! `cargo bench -p rubrica-mail --bench delivery`
//!
//! Environment: `RUBRICA_BENCH_MESSAGES` (1000), `RUBRICA_BENCH_PDF_BYTES`
//! (1048576), `RUBRICA_BENCH_CONCURRENCY` (4), `RUBRICA_BENCH_SERVER`
//! (`aiosmtpd`, Debian's python3-aiosmtpd with a handler that accepts and
//! discards; or `interno`, a minimal SMTP sink in this process, to measure
//! the worker without the Python server's own cost). The mail service runs
//! as in production: its HTTP server, its SQLite database, its workers; one
//! `route.completed` event queues every message.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rubrica_fiel::digest::Sha256;
use rubrica_mail::settings::MailSettings;
use rubrica_platform::launch::Suite;
use rubrica_platform::{Event, ServiceName, Settings};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident and peak resident memory of this process, in MiB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(0.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

const SINK: &str = r#"
class Sink:
    @classmethod
    def from_cli(cls, parser, *args):
        return cls()

    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
"#;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// aiosmtpd accepting and discarding every message.
fn aiosmtpd(dir: &std::path::Path) -> (Child, u16) {
    let port = free_port();
    std::fs::write(dir.join("rubrica_sink.py"), SINK).unwrap();
    let child = Command::new("/usr/bin/python3")
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "rubrica_sink.Sink"])
        .env("PYTHONPATH", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3-aiosmtpd is installed");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "aiosmtpd did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}

/// A minimal SMTP server that accepts and discards (enough for lettre).
async fn internal_sink() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read);
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut line = Vec::new();
                let mut in_data = false;
                loop {
                    line.clear();
                    match lines.read_until(b'\n', &mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if in_data {
                        if line == b".\r\n" {
                            in_data = false;
                            let _ = write.write_all(b"250 2.0.0 OK\r\n").await;
                        }
                        continue;
                    }
                    let command = String::from_utf8_lossy(&line).to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") {
                        b"250-sink\r\n250-8BITMIME\r\n250 SIZE 104857600\r\n"
                    } else if command.starts_with("DATA") {
                        in_data = true;
                        b"354 End data with <CR><LF>.<CR><LF>\r\n"
                    } else if command.starts_with("QUIT") {
                        let _ = write.write_all(b"221 Bye\r\n").await;
                        return;
                    } else {
                        b"250 OK\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// Serves the PDF as the signing service would.
async fn document_server(pdf: Vec<u8>, token: String) -> String {
    use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/signing", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let pdf = pdf.clone();
        let token = token.clone();
        App::new().route(
            "/signing/internal/documents/acta.pdf",
            web::get().to(move |request: HttpRequest| {
                let pdf = pdf.clone();
                let expected = format!("Bearer {token}");
                async move {
                    let ok = request
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v == expected);
                    if ok {
                        HttpResponse::Ok().body(pdf)
                    } else {
                        HttpResponse::Unauthorized().finish()
                    }
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    url
}

#[tokio::main]
async fn main() {
    let messages = env_number("RUBRICA_BENCH_MESSAGES", 1000);
    let pdf_bytes = env_number("RUBRICA_BENCH_PDF_BYTES", 1024 * 1024);
    let concurrency = env_number("RUBRICA_BENCH_CONCURRENCY", 4) as u32;
    let server = std::env::var("RUBRICA_BENCH_SERVER").unwrap_or_else(|_| "aiosmtpd".into());
    let dir = tempfile::tempdir().unwrap();

    let mut python = None;
    let port = if server == "interno" {
        internal_sink().await
    } else {
        let (child, port) = aiosmtpd(dir.path());
        python = Some(child);
        port
    };

    // A 1 MB "PDF" of incompressible bytes.
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while pdf.len() < pdf_bytes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        pdf.extend_from_slice(&state.to_le_bytes());
    }
    pdf.truncate(pdf_bytes);
    let sha = hex::encode(Sha256::digest(&pdf));

    let token = "banco-de-pruebas".to_string();
    let mut settings = Settings {
        data_dir: dir.path().join("datos"),
        ..Settings::default()
    };
    settings.internal_token = Some(token.clone().into());
    settings.log.filter = "warn".into();
    settings.edit::<MailSettings>(|mail| {
        mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
        mail.concurrency = concurrency;
        mail.poll_interval_ms = 100;
    });
    settings.services.signing.url = Some(document_server(pdf.clone(), token.clone()).await);

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let suite = Suite::assemble(
        &[rubrica_mail::spec()],
        &[ServiceName::Mail],
        settings,
        address,
    )
    .await
    .unwrap();
    let db = suite.context(ServiceName::Mail).unwrap().db.clone();
    let stop = CancellationToken::new();
    let serving = tokio::spawn(suite.serve(listener, stop.clone()));
    let (rss_before, _) = memory();

    let members: Vec<_> = (0..messages)
        .map(|i| {
            json!({ "member_id": format!("m-{i}"), "name": format!("Integrante {i}"), "email": format!("integrante{i}@stl.example.mx") })
        })
        .collect();
    let event = Event {
        id: uuid::Uuid::now_v7().to_string(),
        event_type: "route.completed".into(),
        source: ServiceName::Signing,
        occurred_at: rubrica_platform::db::now_ms(),
        payload: json!({
            "secretariat": { "id": "stl-banco", "name": "Secretariado de prueba" },
            "route": {
                "id": "ruta-banco", "title": "Acta de la sesión ordinaria 2026-ORD-01", "record_kind": "acta",
                "sign_url": "https://rubrica.example.mx/firmar/ruta-banco", "server": "https://rubrica.example.mx/signing",
            },
            "document": {
                "filename": "acta.pdf", "sha256": sha, "size": pdf.len(),
                "service": "signing", "path": "/internal/documents/acta.pdf",
            },
            "verification_url": "https://rubrica.example.mx/verificar/ruta-banco",
            "members": members,
        }),
    };

    println!(
        "Banco de envío: {messages} mensajes con un PDF de {:.2} MiB, {concurrency} conexiones, servidor {server}",
        pdf.len() as f64 / (1024.0 * 1024.0)
    );
    let client = reqwest::Client::new();
    let queued_at = Instant::now();
    let response = client
        .post(format!("http://{address}/mail/internal/events"))
        .bearer_auth(&token)
        .json(&event)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap_or_default()
    );
    let enqueue = queued_at.elapsed();
    println!(
        "  encolado (1 evento → {messages} filas, en su transacción): {:.2} s",
        enqueue.as_secs_f64()
    );

    let started = Instant::now();
    let mut samples = Vec::new();
    let mut next_sample = 0.0;
    loop {
        let (sent,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM mail_messages WHERE status <> 'en_cola'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        let fraction = sent as f64 / messages as f64;
        if fraction >= next_sample {
            let (rss, _) = memory();
            samples.push((sent, rss));
            next_sample += 0.1;
        }
        if sent as usize >= messages {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(1800), "too slow");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    let (failed,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM mail_messages WHERE status = 'fallido'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    let (_, peak) = memory();
    println!(
        "  entregados: {messages} en {:.2} s → {:.1} mensajes/s ({failed} fallidos)",
        elapsed.as_secs_f64(),
        messages as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  memoria residente antes de encolar: {rss_before:.1} MiB; pico del proceso: {peak:.1} MiB"
    );
    print!("  memoria residente mientras se vacía la cola (enviados → MiB):");
    for (sent, rss) in &samples {
        print!(" {sent}→{rss:.1}");
    }
    println!();
    let _ = std::io::stdout().flush();

    stop.cancel();
    let _ = serving.await;
    if let Some(mut child) = python {
        let _ = child.kill();
        let _ = child.wait();
    }
}
