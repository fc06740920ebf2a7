//! The main job end to end (`rubrica demo`'s flow) with every service as a
//! separate `rubrica serve --only …` process on its own port, talking over
//! HTTP and the event relay — on SQLite, and on PostgreSQL when
//! `RUBRICA_TEST_POSTGRES` names a server — and the same flow with one
//! service killed (SIGKILL) and restarted at a random step.
//!
//! The signed acta is checked by tools we did not write: poppler's `pdfsig`
//! (its output is read: it exits 0 even on a digest mismatch), `qpdf
//! --check`, and `openssl cms -verify` on every extracted signature.

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rubrica::commands::demo::handover::{HandoverOutcome, hand_over};
use rubrica::commands::demo::{DemoOutcome, DemoTarget, install_pki, walk_through};
use rubrica_platform::ServiceName;
use rubrica_platform::testing::{FreshDatabase, TestBackend};
use serde_json::Value;

const INTERNAL_TOKEN: &str = "token-interno-de-prueba-e2e-0123456789abcdef";
const OPERATOR_TOKEN: &str = "operador-de-prueba-e2e-0123456789abcdef";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The five services, each in its own process.
struct SplitSuite {
    root: PathBuf,
    ports: BTreeMap<ServiceName, u16>,
    children: Mutex<BTreeMap<ServiceName, Child>>,
    anchors: PathBuf,
    database_url: Option<String>,
}

impl SplitSuite {
    /// Starts the five processes on free ports. A port found free can be
    /// taken by another program before the service binds it (tests run in
    /// parallel): then the service exits, and the suite starts again on
    /// other ports.
    fn start(root: &Path, database_url: Option<String>) -> SplitSuite {
        let anchors = install_pki(root).unwrap();
        for attempt in 1..=5 {
            let ports = ServiceName::ALL.iter().map(|s| (*s, free_port())).collect();
            let suite = SplitSuite {
                root: root.to_path_buf(),
                ports,
                children: Mutex::new(BTreeMap::new()),
                anchors: anchors.clone(),
                database_url: database_url.clone(),
            };
            for service in ServiceName::ALL {
                suite.spawn(service);
            }
            if ServiceName::ALL.iter().all(|s| suite.ready(*s)) {
                return suite;
            }
            eprintln!(
                "un servicio no pudo escuchar en su puerto (intento {attempt}); se reinicia en otros puertos"
            );
        }
        panic!("la suite no arrancó en cinco intentos");
    }

    fn url(&self, service: ServiceName) -> String {
        format!("http://127.0.0.1:{}/{service}", self.ports[&service])
    }

    fn spawn(&self, service: ServiceName) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rubrica"));
        command
            .args(["serve", "--only", service.as_str(), "--port"])
            .arg(self.ports[&service].to_string())
            .arg("--data-dir")
            .arg(self.root.join(service.as_str()))
            .env("RUBRICA_INTERNAL_TOKEN", INTERNAL_TOKEN)
            .env("RUBRICA_AUTH__OPERATOR_TOKEN", OPERATOR_TOKEN)
            .env("RUBRICA_AUTH__TRUST_ANCHORS_DIR", &self.anchors)
            .env("RUBRICA_AUTH__DEMO_TRUST", "true")
            .env("RUBRICA_AUTH__REVOCATION_REQUIRED", "false")
            .env("RUBRICA_RELAY__POLL_INTERVAL_MS", "200")
            .env("RUBRICA_RELAY__BACKOFF_BASE_MS", "200")
            .env("RUBRICA_RELAY__BACKOFF_MAX_MS", "2000")
            .env("RUBRICA_LOG__FILTER", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for other in ServiceName::ALL {
            command.env(
                format!("RUBRICA_SERVICES__{}__URL", other.as_str().to_uppercase()),
                self.url(other),
            );
        }
        if let Some(url) = &self.database_url {
            command.env("RUBRICA_DATABASE_URL", url);
        }
        let child = command.spawn().unwrap();
        self.children.lock().unwrap().insert(service, child);
    }

    /// Blocks until `/health/ready` answers 200 (plain HTTP/1.0 over a socket:
    /// this runs inside the demo's async flow, from its step hook).
    fn wait_ready(&self, service: ServiceName) {
        assert!(self.ready(service), "{service} no quedó listo");
    }

    /// Whether the service answers ready within 60 s (false at once if its
    /// process ended, e.g. its port was taken).
    fn ready(&self, service: ServiceName) -> bool {
        let started = Instant::now();
        loop {
            let exited = self
                .children
                .lock()
                .unwrap()
                .get_mut(&service)
                .is_some_and(|child| matches!(child.try_wait(), Ok(Some(_))));
            if exited {
                return false;
            }
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.ports[&service])) {
                let request =
                    format!("GET /{service}/health/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
                let mut answer = String::new();
                if stream.write_all(request.as_bytes()).is_ok()
                    && stream.read_to_string(&mut answer).is_ok()
                    && (answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"))
                {
                    return true;
                }
            }
            if started.elapsed() > Duration::from_secs(60) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL, then the same command again on the same port and data.
    fn kill_and_restart(&self, service: ServiceName) {
        {
            let mut children = self.children.lock().unwrap();
            let child = children.get_mut(&service).unwrap();
            child.kill().unwrap();
            child.wait().unwrap();
        }
        self.spawn(service);
        self.wait_ready(service);
    }

    fn target(&self) -> DemoTarget {
        DemoTarget {
            secretariat: self.url(ServiceName::Secretariat),
            documents: self.url(ServiceName::Documents),
            signing: self.url(ServiceName::Signing),
            mail: self.url(ServiceName::Mail),
            archive: self.url(ServiceName::Archive),
            operator: OPERATOR_TOKEN.into(),
            dir: self.root.clone(),
            outbox: self.root.join("mail").join("mail").join("outbox"),
            quiet: false,
        }
    }
}

impl Drop for SplitSuite {
    fn drop(&mut self) {
        for child in self.children.lock().unwrap().values_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn run(program: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Each signature's CMS and the bytes its /ByteRange covers.
fn signatures(pdf: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = find(&pdf[at..], b"/ByteRange") {
        let start = at + offset;
        let open = start + find(&pdf[start..], b"[").unwrap();
        let close = open + find(&pdf[open..], b"]").unwrap();
        let numbers: Vec<usize> = std::str::from_utf8(&pdf[open + 1..close])
            .unwrap()
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        if let [a, b, c, d] = numbers[..] {
            let mut covered = pdf[a..a + b].to_vec();
            covered.extend_from_slice(&pdf[c..c + d]);
            // The hole is `<hex…>`: the CMS, zero-padded.
            let hex = std::str::from_utf8(&pdf[a + b + 1..c - 1]).unwrap();
            let mut cms = hex::decode(hex).unwrap();
            // DER length of the outer SEQUENCE tells where the padding starts.
            let len = match cms[1] {
                0x82 => 4 + ((cms[2] as usize) << 8 | cms[3] as usize),
                0x83 => 5 + ((cms[2] as usize) << 16 | (cms[3] as usize) << 8 | cms[4] as usize),
                n => 2 + n as usize,
            };
            cms.truncate(len);
            found.push((cms, covered));
        }
        at = close;
    }
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The checks an outside auditor would run on the signed acta.
fn independent_validators_accept(outcome: &DemoOutcome, anchors: &Path, work: &Path) {
    let pdf = std::fs::read(&outcome.signed_pdf).unwrap();
    let path = outcome.signed_pdf.to_str().unwrap();
    let (_, out) = run("pdfsig", &[path]);
    assert_eq!(
        out.matches("Signature is Valid").count(),
        7,
        "pdfsig:\n{out}"
    );
    assert!(!out.contains("Digest Mismatch"), "{out}");
    let (ok, out) = run("qpdf", &["--check", path]);
    assert!(ok, "qpdf --check:\n{out}");
    let cms = signatures(&pdf);
    assert_eq!(cms.len(), 7);
    let ca = anchors.join("demo-ca.cer");
    let ca_pem = work.join("demo-ca.pem");
    let (ok, out) = run(
        "openssl",
        &[
            "x509",
            "-inform",
            "DER",
            "-in",
            ca.to_str().unwrap(),
            "-out",
            ca_pem.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    let sat = anchors.join("fijados").join("EKU9003173C9.cer");
    let sat_pem = work.join("sat.pem");
    let (ok, out) = run(
        "openssl",
        &[
            "x509",
            "-inform",
            "DER",
            "-in",
            sat.to_str().unwrap(),
            "-out",
            sat_pem.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    // Trusted: the demo CA, and SAT's test FIEL itself (its root is not
    // available; -partial_chain accepts a trusted certificate that is not a root).
    let trusted = work.join("confianza.pem");
    let mut both = std::fs::read(&ca_pem).unwrap();
    both.extend(std::fs::read(&sat_pem).unwrap());
    std::fs::write(&trusted, both).unwrap();
    for (i, (signature, content)) in cms.iter().enumerate() {
        let p7s = work.join(format!("firma-{i}.p7s"));
        let data = work.join(format!("firma-{i}.bin"));
        std::fs::write(&p7s, signature).unwrap();
        std::fs::write(&data, content).unwrap();
        // The SAT test FIEL's root is not available: its signature is checked
        // against its own certificate (-partial_chain), the others against the demo CA.
        let (ok, out) = run(
            "openssl",
            &[
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                p7s.to_str().unwrap(),
                "-content",
                data.to_str().unwrap(),
                "-CAfile",
                trusted.to_str().unwrap(),
                "-partial_chain",
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ],
        );
        assert!(
            ok && out.contains("Verification successful"),
            "openssl cms -verify de la firma {i}:\n{out}"
        );
    }
}

fn get(url: &str) -> Value {
    tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(async {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(OPERATOR_TOKEN)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    })
}

/// Every message exactly once: one convocatoria and one signed copy per
/// member, one invitation per signer, and as many `.eml` files as sent messages.
fn mail_is_complete_and_without_duplicates(suite: &SplitSuite, outcome: &DemoOutcome) {
    let mail = suite.url(ServiceName::Mail);
    // A message whose sending a kill interrupted is sent again after its
    // retry delay (to the same `.eml` name): wait until none is queued.
    let started = std::time::Instant::now();
    let list = loop {
        let list = get(&format!(
            "{mail}/messages?secretariado={}&limite=1000",
            outcome.secretariat_id
        ));
        let queued = list
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["status"] == "en_cola");
        if !queued || started.elapsed() > std::time::Duration::from_secs(60) {
            break list;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    };
    let messages = list.as_array().unwrap();
    let count = |kind: &str| {
        let of_kind: Vec<&Value> = messages.iter().filter(|m| m["kind"] == kind).collect();
        let recipients: HashSet<String> = of_kind
            .iter()
            .map(|m| m["recipient"]["email"].to_string())
            .collect();
        assert_eq!(
            recipients.len(),
            of_kind.len(),
            "{kind} repetido: {of_kind:?}"
        );
        of_kind.len()
    };
    assert_eq!(count("convocatoria"), 11, "{list}");
    assert_eq!(count("invitacion_firma"), 7, "{list}");
    assert_eq!(count("copia_firmada"), 11, "{list}");
    let sent = messages.iter().filter(|m| m["status"] == "enviado").count();
    let files = std::fs::read_dir(&suite.target().outbox)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .count();
    assert_eq!(files, sent, "un .eml por mensaje enviado");
}

/// The archive's log: one record, its head signed, and consistent with the
/// empty log it started from.
fn log_is_consistent(suite: &SplitSuite, outcome: &DemoOutcome) {
    let archive = suite.url(ServiceName::Archive);
    let head = get(&format!("{archive}/log/head"));
    assert_eq!(head["tree_size"], 1, "{head}");
    let record = get(&format!("{archive}/records/{}", outcome.sha256));
    assert_eq!(record["inclusion"]["tree_size"], 1, "{record}");
    assert_eq!(record["record"]["signers"].as_array().unwrap().len(), 7);
}

/// The archived handover package as an outside auditor checks it: a BagIt
/// bag (Python's `bagit`, the Library of Congress's reference
/// implementation, when installed — CI installs it — and our own check),
/// holding the signed inventory (pdfsig, qpdf) and the session's signed acta
/// byte for byte; logged; its metadata in open data.
fn handover_is_a_valid_signed_bag(
    suite: &SplitSuite,
    outcome: &DemoOutcome,
    handed: &HandoverOutcome,
    work: &Path,
) {
    use rubrica_archive::bagit;
    let zip = std::fs::read(&handed.package).unwrap();
    let root = format!("entrega-{}", handed.folio);
    let bag = bagit::bag_in(bagit::unzip(&zip).unwrap(), &root);
    bagit::validate(&bag).unwrap();
    let inventory = std::fs::read(&handed.inventory_pdf).unwrap();
    assert_eq!(
        bag.files["data/acta-de-entrega-recepcion-firmada.pdf"].as_ref(),
        inventory.as_slice()
    );
    let acta = std::fs::read(&outcome.signed_pdf).unwrap();
    let record = bag
        .files
        .iter()
        .find(|(p, _)| p.starts_with("data/registros/"))
        .expect("el acta de la sesión en la bolsa");
    assert_eq!(record.1.as_ref(), acta.as_slice());
    assert!(bag.files.contains_key("data/informe-de-actividades.pdf"));
    assert!(
        bag.files
            .contains_key("data/documentos/indicadores-parlamento-abierto.csv")
    );
    let manifest = String::from_utf8(bag.files["manifest-sha256.txt"].to_vec()).unwrap();
    assert_eq!(manifest.lines().count(), 4, "{manifest}");

    // The signed inventory: three valid signatures (who delivers, who
    // receives, the President), and it lists every file with its SHA-256.
    let path = handed.inventory_pdf.to_str().unwrap();
    let (_, out) = run("pdfsig", &[path]);
    assert_eq!(
        out.matches("Signature is Valid").count(),
        3,
        "pdfsig:\n{out}"
    );
    assert!(!out.contains("Digest Mismatch"), "{out}");
    let (ok, out) = run("qpdf", &["--check", path]);
    assert!(ok, "qpdf --check:\n{out}");
    let (ok, text) = run("pdftotext", &[path, "-"]);
    assert!(ok, "{text}");
    let text: String = text.split_whitespace().collect();
    for line in manifest.lines() {
        let sha = line.split_whitespace().next().unwrap();
        if line.ends_with("acta-de-entrega-recepcion-firmada.pdf") {
            continue;
        }
        assert!(text.contains(sha), "el acta no lista {line}");
    }

    // An independent BagIt validator, on the unzipped package.
    let python = std::env::var("TEST_BAGIT_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_bagit = Command::new(&python)
        .args(["-c", "import bagit"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if has_bagit {
        let unpacked = work.join("paquete");
        let script = "import sys, zipfile, bagit\nzipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])\nbag = bagit.Bag(sys.argv[2] + '/' + sys.argv[3])\nbag.validate()\nprint('valid', len(list(bag.payload_files())))";
        let (ok, out) = run(
            &python,
            &[
                "-c",
                script,
                path_str(&handed.package),
                path_str(&unpacked),
                &root,
            ],
        );
        assert!(ok && out.contains("valid"), "bagit (Python):\n{out}");
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI debe instalar el paquete bagit de PyPI (TEST_BAGIT_PYTHON)"
        );
        eprintln!(
            "sin el paquete bagit de Python: solo se validó la bolsa con rubrica_archive::bagit"
        );
    }

    // Logged, with a proof; its metadata (not its files) in open data.
    let archive = suite.url(ServiceName::Archive);
    let proof = get(&format!(
        "{archive}/log/inclusion?sha256={}",
        handed.package_sha256
    ));
    assert_eq!(proof["entry"]["kind"], "paquete_entrega", "{proof}");
    let csv = tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(async {
            reqwest::get(format!("{archive}/open-data/entregas.csv"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        })
    });
    assert!(
        csv.contains(&handed.folio) && csv.contains(&handed.package_sha256),
        "{csv}"
    );
    assert!(csv.contains(",archivada,"), "{csv}");
    // Not public: the package is downloaded only with a session.
    let status = tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(async {
            reqwest::get(format!("{archive}/objects/{}", handed.package_sha256))
                .await
                .unwrap()
                .status()
        })
    });
    assert_eq!(status, 401);
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// An outgoing member reads the route of their own acta de
/// entrega-recepción (to sign it in the browser) and no other route of the
/// secretariat.
async fn outgoing_member_reads_only_the_routes_they_sign(
    suite: &SplitSuite,
    outcome: &rubrica::commands::demo::DemoOutcome,
    handed: &HandoverOutcome,
) {
    let signing = suite.url(ServiceName::Signing);
    let client = reqwest::Client::new();
    let get = |path: String| {
        client
            .get(format!("{signing}{path}"))
            .bearer_auth(&handed.outgoing_token)
            .send()
    };
    let list: Value = get("/routes".into()).await.unwrap().json().await.unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, [handed.route_id.as_str()], "{list}");
    let own = get(format!("/routes/{}", handed.route_id)).await.unwrap();
    assert_eq!(own.status(), 200);
    let acta = get(format!("/routes/{}", outcome.route_id)).await.unwrap();
    assert_eq!(acta.status(), 404, "an outgoing member read another route");
}

/// A submitted handover does not change; uploads are judged by content.
async fn handover_refuses_bad_uploads_and_changes(suite: &SplitSuite, handed: &HandoverOutcome) {
    let archive = suite.url(ServiceName::Archive);
    let client = reqwest::Client::new();
    let upload = |id: String, name: &'static str, body: &'static [u8]| {
        let client = client.clone();
        let url = format!("{archive}/handovers/{id}/files");
        let token = handed.outgoing_token.clone();
        async move {
            let response = client
                .post(url)
                .query(&[("name", name)])
                .bearer_auth(token)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (
                status,
                body["detail"].as_str().unwrap_or_default().to_string(),
            )
        }
    };
    let (status, detail) = upload(handed.handover_id.clone(), "tarde.txt", b"tarde").await;
    assert_eq!(status, 409, "{detail}");
    // A new handover (the earlier one is archived) to probe the checks.
    let opened: Value = client
        .post(format!("{archive}/handovers"))
        .bearer_auth(&handed.outgoing_token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = opened["id"].as_str().expect("segunda entrega").to_string();
    let (status, detail) = upload(id.clone(), "foto.pdf", b"\x89PNG\r\n\x1a\n0000").await;
    assert_eq!(status, 422, "{detail}");
    assert!(detail.contains("imagen PNG"), "{detail}");
    let (status, detail) = upload(id.clone(), "acta.pdf", b"MZ\x90\x00programa").await;
    assert_eq!(status, 422, "{detail}");
    assert!(detail.contains("programa"), "{detail}");
    let (status, _) = upload(id.clone(), "notas.txt", b"notas de entrega").await;
    assert_eq!(status, 201);
    let (status, detail) = upload(id.clone(), "notas.txt", b"otras notas").await;
    assert_eq!(status, 409, "{detail}");
    // Submitting without the activity report: refused, nothing changes.
    let response = client
        .post(format!("{archive}/handovers/{id}/submit"))
        .bearer_auth(&handed.outgoing_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    // Someone else's handover is not even visible.
    let other = client
        .get(format!("{archive}/handovers/{}", handed.handover_id))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 401);
    let pending: Value = client
        .get(format!(
            "{archive}/secretariats/{}/handovers/pending",
            opened["secretariat_id"].as_str().unwrap()
        ))
        .bearer_auth(&handed.president_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(pending.is_array(), "{pending}");
}

async fn flow(backend: &TestBackend, kill: Option<(ServiceName, u32)>) {
    let dir = tempfile::tempdir().unwrap();
    let database = match backend {
        TestBackend::Sqlite => None,
        other => Some(FreshDatabase::create(other).await.unwrap()),
    };
    let suite = SplitSuite::start(dir.path(), database.as_ref().and_then(|d| d.url.clone()));
    let hook = |step: u32| {
        if let Some((service, at)) = kill
            && step == at
        {
            eprintln!("paso {step}: kill -9 a {service} y reinicio");
            suite.kill_and_restart(service);
        }
    };
    let outcome = walk_through(&suite.target(), &hook)
        .await
        .unwrap_or_else(|e| panic!("{} {kill:?}: {e:#}", backend.label()));
    let report: Value =
        serde_json::from_slice(&std::fs::read(&outcome.report_path).unwrap()).unwrap();
    assert_eq!(report["verdict"], "valida", "{report}");
    assert_eq!(report["record_complete"], true);
    assert_eq!(report["archived"], true);
    independent_validators_accept(&outcome, &suite.anchors, dir.path());
    mail_is_complete_and_without_duplicates(&suite, &outcome);
    log_is_consistent(&suite, &outcome);
    if kill.is_none() {
        let handed = hand_over(&suite.target(), &outcome)
            .await
            .unwrap_or_else(|e| panic!("{} entrega-recepción: {e:#}", backend.label()));
        handover_is_a_valid_signed_bag(&suite, &outcome, &handed, dir.path());
        handover_refuses_bad_uploads_and_changes(&suite, &handed).await;
        outgoing_member_reads_only_the_routes_they_sign(&suite, &outcome, &handed).await;
    }
    drop(suite);
    if let Some(db) = database {
        db.drop_database().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_flow_runs_with_every_service_in_its_own_process() {
    for backend in TestBackend::all() {
        flow(&backend, None).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_any_service_at_a_random_step_and_restarting_it_still_completes_the_flow() {
    // A seed from the clock, printed so a failure can be replayed with
    // RUBRICA_TEST_SEED.
    let seed: u64 = std::env::var("RUBRICA_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("RUBRICA_TEST_SEED={seed}");
    let mut state = seed | 1;
    let mut next = || {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3 {
        let service = ServiceName::ALL[(next() % 5) as usize];
        let step = 2 + (next() % 8) as u32;
        flow(&TestBackend::Sqlite, Some((service, step))).await;
    }
}
