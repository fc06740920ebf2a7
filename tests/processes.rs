//! The `rubrica` binary as an operator runs it: the whole suite in one
//! process, and services split into separate processes that talk over HTTP.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `rubrica serve` and the base URL it printed.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts `rubrica serve ARGS` on a free port with `envs`, and waits for
    /// its "escuchando en" line.
    fn start(args: &[&str], data: &Path, envs: &[(&str, String)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rubrica"));
        command
            .arg("serve")
            .args(args)
            .args(["--port", "0", "--data-dir"])
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
        // Warnings may come first (they are logged on stdout too).
        let base = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                line.split("escuchando en ")
                    .nth(1)
                    .map(|rest| rest.trim().to_string())
            })
            .expect("the server printed its address");
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, base }
    }

    /// Sends SIGTERM and returns the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Blocking GET and POST over the async client, for these process-level tests.
mod http {
    pub fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    pub fn get(url: &str) -> (u16, serde_json::Value) {
        runtime().block_on(async {
            let r = reqwest::get(url).await.unwrap();
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(serde_json::Value::Null))
        })
    }

    pub fn post(url: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        runtime().block_on(async {
            let r = reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(serde_json::Value::Null))
        })
    }
}

#[test]
fn the_embedded_suite_serves_every_service_and_stops_cleanly_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(&[], data.path(), &[]);

    for service in ["secretariat", "documents", "signing", "mail", "archive"] {
        let (status, body) = http::get(&format!("{}/{service}/health/ready", server.base));
        assert_eq!(status, 200, "{service}: {body}");
        let (status, doc) = http::get(&format!("{}/{service}/openapi.json", server.base));
        assert_eq!(status, 200);
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(data.path().join(format!("{service}.db")).exists());
    }

    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn split_services_in_separate_processes_deliver_events_to_each_other() {
    let data = tempfile::tempdir().unwrap();
    let token = (
        "RUBRICA_INTERNAL_TOKEN",
        "token-de-prueba-entre-procesos-0123456789abcdef".to_string(),
    );
    let operator = (
        "RUBRICA_AUTH__OPERATOR_TOKEN",
        "operador-de-prueba-0123456789abcdef".to_string(),
    );

    let mail = Server::start(
        &["--only", "mail"],
        &data.path().join("mail"),
        std::slice::from_ref(&token),
    );
    let secretariat = Server::start(
        &["--only", "secretariat"],
        &data.path().join("secretariat"),
        &[
            token.clone(),
            operator,
            ("RUBRICA_SERVICES__MAIL__URL", format!("{}/mail", mail.base)),
        ],
    );
    // A split process refuses to start without the shared internal token.
    let refused = Command::new(env!("CARGO_BIN_EXE_rubrica"))
        .args(["serve", "--only", "archive", "--port", "0", "--data-dir"])
        .arg(data.path().join("archive"))
        .env_remove("RUBRICA_INTERNAL_TOKEN")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("falta el token interno"));

    // Arrange a member directly in the secretariat's database (the
    // secretariat's own API is tested elsewhere).
    let db = data.path().join("secretariat").join("secretariat.db");
    let sql = "INSERT INTO secretariats (id, name, preset, config, created_at, updated_at) VALUES ('s1', 'STL', 'jalisco', '{\"president\":\"organo_garante\"}', 0, 0);
               INSERT INTO members (id, secretariat_id, name, rfc, email, created_at) VALUES ('m1', 's1', 'LUCÍA PRUEBA', 'PRUL800101AB1', 'lucia@example.test', 0);
               INSERT INTO designations (id, secretariat_id, member_id, role, seat, starts_on, created_at) VALUES ('d1', 's1', 'm1', 'titular', 'academia', '2020-01-01', 0);";
    http::runtime().block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
    });

    // Act: the secretariat process records an event; its relay delivers it
    // over HTTP to the mail process, which writes the message.
    let (status, _) = http::post(
        &format!("{}/secretariat/auth/email-link", secretariat.base),
        serde_json::json!({ "email": "lucia@example.test" }),
    );
    assert_eq!(status, 202);

    let outbox = data.path().join("mail").join("mail").join("outbox");
    let started = Instant::now();
    let message = loop {
        let found = std::fs::read_dir(&outbox)
            .ok()
            .and_then(|mut entries| entries.find_map(|e| e.ok()))
            .map(|e| std::fs::read_to_string(e.path()).unwrap());
        if let Some(text) = found {
            break text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no message in {}",
            outbox.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(message.contains("lucia@example.test"), "{message}");

    assert!(secretariat.terminate().success());
    assert!(mail.terminate().success());
}

#[test]
fn serve_refuses_a_trust_folder_with_pinned_certificates_unless_it_is_a_demonstration() {
    let data = tempfile::tempdir().unwrap();
    let anchors = data.path().join("anclas");
    let pinned = anchors.join("fijados");
    std::fs::create_dir_all(&pinned).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/sat-test-certs/FIEL_EKU9003173C9/certificate.cer"
        ),
        pinned.join("EKU9003173C9.cer"),
    )
    .unwrap();

    // Without the demo setting: refused at once, saying why and what to do.
    let refused = Command::new(env!("CARGO_BIN_EXE_rubrica"))
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(data.path().join("datos"))
        .env("RUBRICA_AUTH__TRUST_ANCHORS_DIR", &anchors)
        .env_remove("RUBRICA_AUTH__DEMO_TRUST")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("fijado") && stderr.contains("RUBRICA_AUTH__DEMO_TRUST=true"),
        "{stderr}"
    );

    // With it: serves, and warns.
    let server = Server::start(
        &[],
        &data.path().join("datos"),
        &[
            (
                "RUBRICA_AUTH__TRUST_ANCHORS_DIR",
                anchors.display().to_string(),
            ),
            ("RUBRICA_AUTH__DEMO_TRUST", "true".to_string()),
        ],
    );
    let (status, _) = http::get(&format!("{}/secretariat/health/ready", server.base));
    assert_eq!(status, 200);
    assert!(server.terminate().success());
}
