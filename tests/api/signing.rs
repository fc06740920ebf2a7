//! The signing service as members and other services see it: opening a
//! route, remote two-step signing by several members (and nine at once),
//! refusals of every kind with nothing stored, refusing and cancelling,
//! sequential order, expiry, the events' contracts with the mail service,
//! independent validators on the final PDF, and `rubrica sign --server`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rubrica_fiel::{Credential, RevocationSource, TrustStore, Validator};
use rubrica_pdfsign::{LayoutManifest, PrepareOptions, SignerIdentity, Verdict, example};
use rubrica_platform::testing::TestBackend;
use rubrica_platform::{ServiceName, Settings};
use rubrica_signing::settings::SigningSettings;
use serde_json::{Value, json};
use sqlx::Row;

use crate::helpers::{TestApp, TestData, spawn_with};

/// The repository's test fixtures (SAT test credentials, the test-PKI script).
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Nine members of a Jalisco STL: (member id, name, RFC, CURP, seat, role).
const MEMBERS: [(&str, &str, &str, &str, &str, &str); 9] = [
    (
        "maria",
        "MARIA GONZALEZ RUIZ",
        "GORM800101AB1",
        "GORM800101MDFNZR09",
        "organo_garante",
        "titular",
    ),
    (
        "juan",
        "JUAN PEREZ LOPEZ",
        "PELJ750505CD2",
        "PELJ750505HDFRPN02",
        "academia",
        "titular",
    ),
    (
        "ana",
        "ANA TORRES DIAZ",
        "TODA900909EF3",
        "TODA900909MDFRZN05",
        "sociedad_civil",
        "titular",
    ),
    (
        "luis",
        "LUIS LOPEZ ARCE",
        "LOAL810203AA1",
        "LOAL810203HDFPRS01",
        "ejecutivo",
        "titular",
    ),
    (
        "rosa",
        "ROSA RAMOS BAEZ",
        "RABR820304BB2",
        "RABR820304MDFMZS02",
        "judicial",
        "titular",
    ),
    (
        "carlos",
        "CARLOS SALAS CANO",
        "SACC830405CC3",
        "SACC830405HDFLNR03",
        "legislativo",
        "titular",
    ),
    (
        "diana",
        "DIANA VEGA DIAZ",
        "VEDD840506DD4",
        "VEDD840506MDFGZN04",
        "municipio",
        "titular",
    ),
    (
        "elena",
        "ELENA HERRERA ESPINO",
        "HEEE850607EE5",
        "HEEE850607MDFRSL05",
        "empresarial",
        "titular",
    ),
    (
        "fabian",
        "FABIAN MORA FLORES",
        "MOFF860708FF6",
        "MOFF860708HDFRLB06",
        "tecnologia",
        "titular",
    ),
];

const SAT_FIEL_RFC: &str = "EKU9003173C9";

/// A test PKI: CA, the nine members' FIELs, a CSD-like and an expired
/// certificate (made once per run by the hand-out's script).
fn test_pki() -> &'static Path {
    static PKI: OnceLock<PathBuf> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rubrica-signing-pki-{}", std::process::id()));
        if !dir.join("ca.cer").exists() {
            let specs: Vec<String> = MEMBERS
                .iter()
                .map(|(id, name, rfc, curp, ..)| format!("{id}:{name}:{rfc}:{curp}"))
                .collect();
            let status = std::process::Command::new("bash")
                .arg(fixtures().join("make-test-pki.sh"))
                .arg(&dir)
                .args(&specs)
                .stdout(std::process::Stdio::null())
                .status()
                .expect("bash runs make-test-pki.sh");
            assert!(status.success(), "make-test-pki.sh failed");
        }
        let anchors = dir.join("anchors");
        std::fs::create_dir_all(&anchors).unwrap();
        std::fs::copy(dir.join("ca.cer"), anchors.join("ca.cer")).unwrap();
        dir
    })
}

fn credential(name: &str) -> Credential {
    let dir = test_pki();
    Credential::from_files(
        dir.join(format!("{name}.cer")),
        dir.join(format!("{name}.key")),
        "12345678a",
    )
    .unwrap()
}

fn sat(name: &str) -> Credential {
    let dir = fixtures().join("sat-test-certs").join(name);
    Credential::from_files(
        dir.join("certificate.cer"),
        dir.join("private_key.key"),
        "12345678a",
    )
    .unwrap()
}

fn test_validator() -> Validator {
    Validator::new(
        TrustStore::from_dir(test_pki().join("anchors")).unwrap(),
        &RevocationSource::NotConfigured,
    )
    .unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(rubrica_fiel::digest::Sha256::digest(bytes))
}

struct Fixture {
    data: TestData,
    app: TestApp,
    secretariat: String,
    /// An API token of the facilitator (opens and cancels routes).
    facilitator: String,
}

/// Secretariat, signing and mail in one process, trusting the test CA, with
/// the nine members (the first is the President) in the secretariat.
async fn arrange(backend: &TestBackend, tweak: impl FnOnce(&mut Settings)) -> Fixture {
    arrange_with(
        backend,
        &[
            ServiceName::Secretariat,
            ServiceName::Signing,
            ServiceName::Mail,
        ],
        tweak,
    )
    .await
}

async fn arrange_with(
    backend: &TestBackend,
    services: &[ServiceName],
    tweak: impl FnOnce(&mut Settings),
) -> Fixture {
    let data = TestData::new(backend).await;
    let mut settings = data.settings(data.dir.path());
    settings.auth.trust_anchors_dir = Some(test_pki().join("anchors"));
    settings.auth.max_failed_attempts_per_address = 1000;
    tweak(&mut settings);
    let app = spawn_with(&rubrica::all_specs(), services, settings, "127.0.0.1:0").await;
    let db = app.context(ServiceName::Secretariat).db.pool();
    let config = serde_json::to_string(&rubrica_rules::preset("jalisco").unwrap()).unwrap();
    let secretariat = "stl-jalisco".to_string();
    sqlx::query("INSERT INTO secretariats (id, name, preset, config, created_at, updated_at) VALUES ($1, 'STL Jalisco', 'jalisco', $2, 0, 0)")
        .bind(&secretariat)
        .bind(config)
        .execute(db)
        .await
        .unwrap();
    let sat_member = (
        "sat",
        "ESCUELA KEMPER URGATE",
        SAT_FIEL_RFC,
        "",
        "empresarial",
        "suplente",
    );
    for (id, name, rfc, _, seat, role) in MEMBERS.iter().chain(std::iter::once(&sat_member)) {
        sqlx::query("INSERT INTO members (id, secretariat_id, name, rfc, email, created_at) VALUES ($1, $2, $3, $4, $5, 0)")
            .bind(*id)
            .bind(&secretariat)
            .bind(*name)
            .bind(*rfc)
            .bind(format!("{id}@example.test"))
            .execute(db)
            .await
            .unwrap();
        sqlx::query("INSERT INTO designations (id, secretariat_id, member_id, role, seat, starts_on, ends_on, created_at) VALUES ($1, $2, $3, $4, $5, '2019-01-01', NULL, 0)")
            .bind(format!("d-{id}"))
            .bind(&secretariat)
            .bind(*id)
            .bind(*role)
            .bind(*seat)
            .execute(db)
            .await
            .unwrap();
    }
    let operator = app
        .settings
        .auth
        .operator_token
        .as_ref()
        .unwrap()
        .expose()
        .to_string();
    let (status, token) = call(
        &app,
        "POST",
        &format!("{}/auth/api-tokens", app.url(ServiceName::Secretariat)),
        &operator,
        json!({ "name": "facilitación de firmas", "secretariat_id": secretariat, "service": "signing", "role": "facilitador", "valid_days": 30 }),
    )
    .await;
    assert_eq!(status, 201, "{token}");
    Fixture {
        facilitator: token["token"].as_str().unwrap().to_string(),
        data,
        app,
        secretariat,
    }
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
        assert!(
            status < 500,
            "no client mistake is a server error: {status} {value}"
        );
    }
    (status, value)
}

impl Fixture {
    fn signing(&self) -> String {
        self.app.url(ServiceName::Signing)
    }

    async fn signing_call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Value,
    ) -> (u16, Value) {
        call(
            &self.app,
            method,
            &format!("{}{path}", self.signing()),
            token,
            body,
        )
        .await
    }

    /// A FIEL session (challenge signed with the member's key).
    async fn login(&self, credential: &Credential) -> String {
        let base = self.app.url(ServiceName::Secretariat);
        let challenge: Value = self
            .app
            .client
            .post(format!("{base}/auth/challenge"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let nonce = challenge["nonce"].as_str().unwrap().to_string();
        let signature = credential.sign_sha256(nonce.as_bytes()).unwrap();
        let (status, body) = call(
            &self.app,
            "POST",
            &format!("{base}/auth/fiel"),
            "",
            json!({
                "nonce": nonce,
                "certificate": BASE64.encode(credential.certificate().der()),
                "signature": BASE64.encode(&signature),
            }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// Opens a route for `signers` (member ids) on a `pages`-page acta.
    async fn open(&self, signers: &[&str], pages: u32, order: &str) -> Value {
        let (status, route) = self
            .signing_call(
                "POST",
                "/routes",
                &self.facilitator.clone(),
                self.open_body(signers, pages, order),
            )
            .await;
        assert_eq!(status, 201, "{route}");
        route
    }

    fn open_body(&self, signers: &[&str], pages: u32, order: &str) -> Value {
        let identities = signers
            .iter()
            .map(|id| {
                let (id, name, rfc, _, seat, role) =
                    MEMBERS.iter().find(|m| m.0 == *id).copied().unwrap();
                SignerIdentity {
                    id: id.into(),
                    name: name.into(),
                    seat: seat.into(),
                    role: role.into(),
                    rfc: rfc.into(),
                }
            })
            .collect();
        let acta = example::acta(pages);
        let layout = LayoutManifest::standard(pages, example::A4, identities);
        json!({
            "secretariat": { "id": self.secretariat, "name": "Secretariado Técnico Local de Gobierno Abierto de Jalisco" },
            "title": "Acta de la sesión ordinaria 2026-ORD-01",
            "record_kind": "informe",
            "folio": "2026-ORD-01",
            "due_on": "2026-12-15",
            "order": order,
            "pdf_base64": BASE64.encode(&acta),
            "layout": layout,
            "members": MEMBERS.iter().map(|m| json!({ "member_id": m.0, "name": m.1, "email": format!("{}@example.test", m.0) })).collect::<Vec<_>>(),
            "facilitators": [{ "name": "FACILITACIÓN STL", "email": "facilitacion@example.test" }],
        })
    }

    async fn prepare(&self, token: &str, route: &str, certificate: &Credential) -> (u16, Value) {
        self.signing_call(
            "POST",
            &format!("/routes/{route}/prepare"),
            token,
            json!({ "certificate": BASE64.encode(certificate.certificate().der()) }),
        )
        .await
    }

    async fn complete(
        &self,
        token: &str,
        route: &str,
        prepared: &Value,
        key: &Credential,
    ) -> (u16, Value) {
        let to_sign = BASE64
            .decode(prepared["to_sign"].as_str().unwrap())
            .unwrap();
        let value = key.sign_sha256(&to_sign).unwrap();
        self.signing_call(
            "POST",
            &format!("/routes/{route}/complete"),
            token,
            json!({ "prepare_id": prepared["prepare_id"], "signature": BASE64.encode(value) }),
        )
        .await
    }

    /// Prepares and completes until it is not stale; the number of tries.
    async fn sign_until_done(&self, token: &str, route: &str, who: &Credential) -> usize {
        for attempt in 1..=60 {
            let (status, prepared) = self.prepare(token, route, who).await;
            assert_eq!(status, 200, "{prepared}");
            let (status, done) = self.complete(token, route, &prepared, who).await;
            match status {
                200 => return attempt,
                409 => {
                    assert!(
                        done["detail"]
                            .as_str()
                            .unwrap()
                            .contains("Prepare la firma de nuevo"),
                        "{done}"
                    );
                }
                other => panic!("complete answered {other}: {done}"),
            }
        }
        panic!("never completed");
    }

    async fn pdf(&self, route: &str, which: &str) -> Vec<u8> {
        let response = self
            .app
            .client
            .get(format!("{}/routes/{route}/{which}", self.signing()))
            .bearer_auth(&self.facilitator)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap().to_vec()
    }

    /// Events the signing service recorded, oldest first.
    async fn events(&self, event_type: &str) -> Vec<Value> {
        let rows = sqlx::query(
            "SELECT payload FROM outbox_events WHERE event_type = $1 ORDER BY created_at, id",
        )
        .bind(event_type)
        .fetch_all(self.app.context(ServiceName::Signing).db.pool())
        .await
        .unwrap();
        rows.iter()
            .map(|r| serde_json::from_str(&r.get::<String, _>(0)).unwrap())
            .collect()
    }

    /// Rows of a signing table (to prove nothing was stored).
    async fn count(&self, table: &str) -> i64 {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(self.app.context(ServiceName::Signing).db.pool())
            .await
            .unwrap()
            .get(0)
    }

    async fn finish(self) {
        self.app.stop().await;
        self.data.cleanup().await;
    }
}

fn detail(body: &Value) -> &str {
    body["detail"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_route_opens_on_an_approved_acta_and_two_members_sign_it_remotely() {
    for backend in TestBackend::all() {
        let fx = arrange_with(
            &backend,
            &[
                ServiceName::Secretariat,
                ServiceName::Signing,
                ServiceName::Mail,
                ServiceName::Archive,
            ],
            |_| {},
        )
        .await;
        let route = fx.open(&["maria", "juan"], 3, "any").await;
        let id = route["id"].as_str().unwrap().to_string();

        assert_eq!(route["status"], "abierta", "{}", backend.label());
        assert_eq!(route["pending"], json!(["maria", "juan"]));
        assert_eq!(route["revisions"].as_array().unwrap().len(), 2);
        let opened = fx.events("route.opened").await;
        assert_eq!(opened.len(), 1);
        let contract: rubrica_mail::contracts::RouteOpened =
            serde_json::from_value(opened[0].clone()).expect("the mail service reads route.opened");
        assert_eq!(contract.signers.len(), 2);
        assert_eq!(contract.signers[1].member_id.as_deref(), Some("juan"));
        assert_eq!(
            contract.signers[1].email.as_deref(),
            Some("juan@example.test")
        );
        assert_eq!(contract.route.id, id);
        assert!(
            contract.route.server.ends_with("/signing"),
            "{}",
            contract.route.server
        );

        let maria = credential("maria");
        let juan = credential("juan");
        let maria_token = fx.login(&maria).await;
        let juan_token = fx.login(&juan).await;
        let (status, prepared) = fx.prepare(&maria_token, &id, &maria).await;
        assert_eq!(status, 200, "{prepared}");
        assert_eq!(prepared["signer_id"], "maria");
        let (status, done) = fx.complete(&maria_token, &id, &prepared, &maria).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["completed"], false);
        assert_eq!(done["route"]["pending"], json!(["juan"]));
        let signed: rubrica_mail::contracts::RouteSigned =
            serde_json::from_value(fx.events("route.signed").await[0].clone()).unwrap();
        assert_eq!(signed.member_id, "maria");
        assert_eq!(signed.pending, vec!["juan".to_string()]);

        assert_eq!(fx.sign_until_done(&juan_token, &id, &juan).await, 1);
        let (status, view) = fx
            .signing_call("GET", &format!("/routes/{id}"), &juan_token, json!({}))
            .await;
        assert_eq!(status, 200);
        assert_eq!(view["status"], "completada");
        let final_sha = view["final_sha256"].as_str().unwrap().to_string();
        let history: Vec<&str> = view["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            history,
            [
                "abierta",
                "preparada",
                "firmada",
                "preparada",
                "firmada",
                "completada"
            ]
        );
        let firmada = &view["history"][2];
        assert_eq!(
            firmada["certificate_number"],
            maria.certificate().display_number()
        );
        assert_eq!(firmada["address"], "127.0.0.1");

        let signed_pdf = fx.pdf(&id, "signed.pdf").await;
        assert_eq!(sha256(&signed_pdf), final_sha);
        let report = rubrica_pdfsign::verify(&signed_pdf, &test_validator()).unwrap();
        assert_eq!(report.verdict, Verdict::Valid, "{}", report.summary);
        assert_eq!(report.signatures.len(), 2);
        assert!(report.record_complete);
        let (status, remote_report) = fx
            .signing_call(
                "GET",
                &format!("/routes/{id}/verification"),
                &maria_token,
                json!({}),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(remote_report["verdict"], "valid");

        let completed = fx.events("route.completed").await;
        assert_eq!(completed.len(), 1);
        let completed: rubrica_mail::contracts::RouteCompleted =
            serde_json::from_value(completed[0].clone())
                .expect("the mail service reads route.completed");
        assert_eq!(completed.document.sha256, final_sha);
        assert_eq!(completed.document.size, signed_pdf.len() as u64);
        assert_eq!(completed.members.len(), 9, "every member gets the copy");
        // What the mail and archive services fetch, with the internal token.
        let fetched = fx
            .app
            .client
            .get(format!("{}{}", fx.signing(), completed.document.path))
            .bearer_auth(fx.app.internal_token())
            .send()
            .await
            .unwrap();
        assert_eq!(fetched.status(), 200);
        assert_eq!(fetched.bytes().await.unwrap().to_vec(), signed_pdf);
        let without_token = fx
            .app
            .client
            .get(format!("{}{}", fx.signing(), completed.document.path))
            .send()
            .await
            .unwrap();
        assert_eq!(without_token.status(), 401);

        // The mail service accepted every event (a contract mismatch would be a dead letter).
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (_, deliveries) = call(
                &fx.app,
                "GET",
                &format!("{}/internal/outbox", fx.signing()),
                fx.app.internal_token(),
                json!({}),
            )
            .await;
            let list: Vec<Value> = deliveries.as_array().unwrap().to_vec();
            assert!(
                list.iter().all(|d| d["status"] != "dead"),
                "a dead letter: {list:?}"
            );
            // Four events to the mail service, route.completed to the archive too.
            if list.len() >= 5 && list.iter().all(|d| d["status"] == "delivered") {
                break;
            }
            assert!(Instant::now() < deadline, "not delivered: {list:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The archive fetched the final PDF from this service, verified it and archived it.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, record) = call(
                &fx.app,
                "GET",
                &format!("{}/records/{final_sha}", fx.app.url(ServiceName::Archive)),
                "",
                json!({}),
            )
            .await;
            if status == 200 {
                assert!(record.to_string().contains(&final_sha), "{record}");
                break;
            }
            assert_eq!(status, 404, "{record}");
            assert!(
                Instant::now() < deadline,
                "the archive never archived the record"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        fx.finish().await;
    }
}

#[tokio::test]
async fn nine_members_signing_at_the_same_moment_all_end_up_in_one_valid_pdf() {
    for backend in TestBackend::all() {
        let fx = arrange(&backend, |_| {}).await;
        let ids: Vec<&str> = MEMBERS.iter().map(|m| m.0).collect();
        let route = fx.open(&ids, 20, "any").await;
        let route_id = route["id"].as_str().unwrap().to_string();
        let mut sessions = Vec::new();
        for id in &ids {
            let c = credential(id);
            sessions.push((fx.login(&c).await, c));
        }

        let fx = std::sync::Arc::new(fx);
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(ids.len()));
        let tasks: Vec<_> = sessions
            .into_iter()
            .map(|(token, who)| {
                let (fx, barrier, route_id) = (fx.clone(), barrier.clone(), route_id.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    fx.sign_until_done(&token, &route_id, &who).await
                })
            })
            .collect();
        let mut attempts = 0;
        for task in tasks {
            attempts += task.await.unwrap();
        }
        let fx = std::sync::Arc::into_inner(fx).unwrap();
        assert!(attempts >= 9, "{attempts}");
        eprintln!("{}: 9 firmas en {attempts} intentos", backend.label());

        let (_, view) = fx
            .signing_call(
                "GET",
                &format!("/routes/{route_id}"),
                &fx.facilitator.clone(),
                json!({}),
            )
            .await;
        assert_eq!(view["status"], "completada", "{view}");
        assert!(
            view["signers"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["status"] == "firmado")
        );
        // Every stored revision contains the one before it, byte for byte:
        // no signature was lost or overwritten.
        let revisions = view["revisions"].as_array().unwrap();
        assert_eq!(revisions.len(), 2 + 9);
        let mut previous: Option<Vec<u8>> = None;
        for revision in &revisions[1..] {
            let sha = revision["sha256"].as_str().unwrap();
            let bytes: Vec<u8> =
                sqlx::query("SELECT content FROM signing_revisions WHERE sha256 = $1")
                    .bind(sha)
                    .fetch_one(fx.app.context(ServiceName::Signing).db.pool())
                    .await
                    .unwrap()
                    .get(0);
            assert_eq!(sha256(&bytes), sha);
            if let Some(previous) = &previous {
                assert!(
                    bytes.starts_with(previous),
                    "revision {} rewrote an earlier one",
                    revision["seq"]
                );
            }
            previous = Some(bytes);
        }
        assert_eq!(fx.events("route.signed").await.len(), 9);
        assert_eq!(fx.events("route.completed").await.len(), 1);

        let signed = fx.pdf(&route_id, "signed.pdf").await;
        let report = rubrica_pdfsign::verify(&signed, &test_validator()).unwrap();
        assert_eq!(report.verdict, Verdict::Valid, "{}", report.summary);
        assert_eq!(report.signatures.len(), 9);
        assert!(report.record_complete);
        independent_validators_accept(&signed, fx.data.dir.path(), 9);
        fx.finish().await;
    }
}

/// `pdfsig` (poppler) and `qpdf`, where installed (they are in CI): every
/// signature "Signature is Valid" — read from the output, since pdfsig exits
/// 0 even on a mismatch — and, with an NSS database holding the test CA,
/// "Certificate is Trusted".
fn independent_validators_accept(pdf: &[u8], dir: &Path, signatures: usize) {
    let file = dir.join("firmada.pdf");
    std::fs::write(&file, pdf).unwrap();
    let installed = |tool: &str| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok()
    };
    if installed("qpdf") {
        let out = std::process::Command::new("qpdf")
            .arg("--check")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "qpdf --check: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    } else {
        eprintln!("OMITIDO: qpdf no está instalado");
    }
    if !installed("pdfsig") {
        eprintln!("OMITIDO: pdfsig no está instalado");
        return;
    }
    let mut command = std::process::Command::new("pdfsig");
    let nss = dir.join("nss");
    let trusted = installed("certutil") && {
        std::fs::create_dir_all(&nss).unwrap();
        let db = format!("sql:{}", nss.display());
        let created = std::process::Command::new("certutil")
            .args(["-N", "--empty-password", "-d", &db])
            .status()
            .is_ok_and(|s| s.success());
        created
            && std::process::Command::new("certutil")
                .args(["-A", "-n", "AC de pruebas", "-t", "CT,C,C", "-d", &db, "-i"])
                .arg(test_pki().join("ca.pem"))
                .status()
                .is_ok_and(|s| s.success())
    };
    if trusted {
        command.arg("-nssdir").arg(format!("sql:{}", nss.display()));
    }
    let out = command.arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.matches("Signature is Valid").count(),
        signatures,
        "pdfsig:\n{text}"
    );
    if trusted {
        assert_eq!(
            text.matches("Certificate is Trusted").count(),
            signatures,
            "pdfsig:\n{text}"
        );
    } else {
        eprintln!("OMITIDO: certutil no está instalado; no se comprueba «Certificate is Trusted»");
    }
}

#[tokio::test]
async fn csd_expired_untrusted_foreign_and_malformed_certificates_stale_and_repeated_signatures_are_refused_and_store_nothing()
 {
    for backend in TestBackend::all() {
        let fx = arrange(&backend, |_| {}).await;
        let route = fx.open(&["maria", "juan"], 2, "any").await;
        let id = route["id"].as_str().unwrap().to_string();
        let maria = credential("maria");
        let juan = credential("juan");
        let maria_token = fx.login(&maria).await;
        let juan_token = fx.login(&juan).await;
        let ana_token = fx.login(&credential("ana")).await;
        let before = (
            fx.count("signing_prepares").await,
            fx.count("signing_revisions").await,
        );

        let (status, body) = fx
            .prepare(&maria_token, &id, &sat("CSD_EKU9003173C9"))
            .await;
        assert_eq!(status, 422, "{}: {body}", backend.label());
        assert!(detail(&body).contains("CSD"), "{body}");
        let (status, body) = fx.prepare(&maria_token, &id, &credential("csd")).await;
        assert_eq!(status, 422, "{body}");
        assert!(detail(&body).contains("CSD"), "{body}");
        let (status, body) = fx.prepare(&maria_token, &id, &credential("expired")).await;
        assert_eq!(status, 422, "{body}");
        assert!(detail(&body).contains("venci"), "{body}");
        let (status, body) = fx
            .prepare(&maria_token, &id, &sat("FIEL_EKU9003173C9"))
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(detail(&body).contains("confianza"), "{body}");
        // Someone else's certificate: juan signs, maria's session.
        let (status, body) = fx.prepare(&maria_token, &id, &juan).await;
        assert_eq!(status, 403, "{body}");
        assert!(detail(&body).contains("propia e.firma"), "{body}");
        // A member who is not a signer of this acta.
        let (status, body) = fx.prepare(&ana_token, &id, &credential("ana")).await;
        assert_eq!(status, 403, "{body}");
        assert!(
            detail(&body).contains("no está entre los firmantes"),
            "{body}"
        );
        // A token is not the FIEL.
        let (status, body) = fx.prepare(&fx.facilitator.clone(), &id, &maria).await;
        assert_eq!(status, 403, "{body}");
        assert!(detail(&body).contains("FIEL"), "{body}");
        // Not a certificate; not base64.
        let (status, body) = fx
            .signing_call(
                "POST",
                &format!("/routes/{id}/prepare"),
                &maria_token,
                json!({ "certificate": BASE64.encode(b"no soy un certificado") }),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        let (status, _) = fx
            .signing_call(
                "POST",
                &format!("/routes/{id}/prepare"),
                &maria_token,
                json!({ "certificate": "%%%" }),
            )
            .await;
        assert_eq!(status, 400);
        assert_eq!(
            (
                fx.count("signing_prepares").await,
                fx.count("signing_revisions").await
            ),
            before,
            "a refused prepare stores nothing"
        );

        // Stale: both prepare on the same revision, juan completes first.
        let (_, maria_prepared) = fx.prepare(&maria_token, &id, &maria).await;
        let (_, juan_prepared) = fx.prepare(&juan_token, &id, &juan).await;
        // A signature value that is not over the prepared bytes.
        let wrong = BASE64.encode(juan.sign_sha256(b"otra cosa").unwrap());
        let (status, body) = fx
            .signing_call(
                "POST",
                &format!("/routes/{id}/complete"),
                &juan_token,
                json!({ "prepare_id": juan_prepared["prepare_id"], "signature": wrong }),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        // Someone else's prepare.
        let (status, _) = fx.complete(&maria_token, &id, &juan_prepared, &maria).await;
        assert_eq!(status, 404);
        let revisions_before = fx.count("signing_revisions").await;
        let (status, body) = fx.complete(&juan_token, &id, &juan_prepared, &juan).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(fx.count("signing_revisions").await, revisions_before + 1);
        let (status, body) = fx
            .complete(&maria_token, &id, &maria_prepared, &maria)
            .await;
        assert_eq!(status, 409, "{body}");
        assert!(
            detail(&body).contains("Prepare la firma de nuevo"),
            "{body}"
        );
        assert_eq!(
            fx.count("signing_revisions").await,
            revisions_before + 1,
            "a stale complete stores nothing"
        );
        // A used prepare cannot be completed twice.
        let (status, body) = fx.complete(&juan_token, &id, &juan_prepared, &juan).await;
        assert_eq!(status, 409, "{body}");
        // Signing twice.
        let (status, body) = fx.prepare(&juan_token, &id, &juan).await;
        assert_eq!(status, 409, "{body}");
        assert!(detail(&body).contains("ya firmó"), "{body}");

        // Maria prepares again and her signature lands after juan's.
        assert_eq!(fx.sign_until_done(&maria_token, &id, &maria).await, 1);
        let report =
            rubrica_pdfsign::verify(&fx.pdf(&id, "signed.pdf").await, &test_validator()).unwrap();
        assert_eq!(report.verdict, Verdict::Valid, "{}", report.summary);
        assert_eq!(report.signatures.len(), 2);
        fx.finish().await;
    }
}

#[tokio::test]
async fn a_member_refuses_with_a_reason_and_the_facilitator_cancels_keeping_everything() {
    for backend in TestBackend::all() {
        let fx = arrange(&backend, |_| {}).await;
        let route = fx.open(&["maria", "juan"], 2, "any").await;
        let id = route["id"].as_str().unwrap().to_string();
        let juan_token = fx.login(&credential("juan")).await;
        let ana_token = fx.login(&credential("ana")).await;

        let (status, body) = fx
            .signing_call(
                "POST",
                &format!("/routes/{id}/refuse"),
                &juan_token,
                json!({ "reason": "   " }),
            )
            .await;
        assert_eq!(status, 422, "{}: {body}", backend.label());
        let (status, body) = fx
            .signing_call(
                "POST",
                &format!("/routes/{id}/refuse"),
                &ana_token,
                json!({ "reason": "no asistí" }),
            )
            .await;
        assert_eq!(status, 403, "{body}");
        let (status, view) = fx
            .signing_call(
                "POST",
                &format!("/routes/{id}/refuse"),
                &juan_token,
                json!({ "reason": "El acuerdo 3 no refleja la votación." }),
            )
            .await;
        assert_eq!(status, 200, "{view}");
        let juan = view["signers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "juan")
            .unwrap()
            .clone();
        assert_eq!(juan["status"], "rechazado");
        assert_eq!(
            juan["refusal_reason"],
            "El acuerdo 3 no refleja la votación."
        );
        let refused: rubrica_mail::contracts::RouteRefused =
            serde_json::from_value(fx.events("route.refused").await[0].clone()).unwrap();
        assert_eq!(refused.member.member_id.as_deref(), Some("juan"));
        assert_eq!(refused.reason, "El acuerdo 3 no refleja la votación.");
        assert_eq!(refused.facilitators.len(), 1);
        let (status, _) = fx
            .signing_call(
                "POST",
                &format!("/routes/{id}/refuse"),
                &juan_token,
                json!({ "reason": "otra vez" }),
            )
            .await;
        assert_eq!(status, 409);

        // A titular may not cancel; the facilitator may.
        let (status, _) = fx
            .signing_call(
                "POST",
                &format!("/routes/{id}/cancel"),
                &juan_token,
                json!({}),
            )
            .await;
        assert_eq!(status, 403);
        let (status, view) = fx
            .signing_call(
                "POST",
                &format!("/routes/{id}/cancel"),
                &fx.facilitator.clone(),
                json!({ "reason": "Se corregirá el acta." }),
            )
            .await;
        assert_eq!(status, 200, "{view}");
        assert_eq!(view["status"], "cancelada");
        assert_eq!(view["cancel_reason"], "Se corregirá el acta.");
        let cancelled: rubrica_mail::contracts::RouteCancelled =
            serde_json::from_value(fx.events("route.cancelled").await[0].clone()).unwrap();
        assert_eq!(cancelled.route_id, id);
        // Nothing deleted: the PDF and the history are still there; no more signing.
        assert!(fx.pdf(&id, "pdf").await.starts_with(b"%PDF-"));
        let actions: Vec<String> = view["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["action"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(actions, ["abierta", "rechazada", "cancelada"]);
        let maria = credential("maria");
        let maria_token = fx.login(&maria).await;
        let (status, body) = fx.prepare(&maria_token, &id, &maria).await;
        assert_eq!(status, 409, "{body}");
        assert!(detail(&body).contains("cancelada"), "{body}");
        let (status, _) = fx
            .signing_call(
                "POST",
                &format!("/routes/{id}/cancel"),
                &fx.facilitator.clone(),
                json!({}),
            )
            .await;
        assert_eq!(status, 409);
        // The audit trail has every change.
        let rows = sqlx::query("SELECT action FROM audit_log ORDER BY seq")
            .fetch_all(fx.app.context(ServiceName::Signing).db.pool())
            .await
            .unwrap();
        let actions: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        for expected in ["ruta.abierta", "ruta.rechazada", "ruta.cancelada"] {
            assert!(actions.iter().any(|a| a == expected), "{actions:?}");
        }
        fx.finish().await;
    }
}

/// A session opened with a mailed link (not the FIEL), for `member`.
async fn link_session(fx: &Fixture, member: &str) -> String {
    let token = format!("rubrica-sesion-enlace-{member}");
    let now = rubrica_platform::db::now_ms();
    sqlx::query("INSERT INTO auth_sessions (id, token_hash, member_id, method, certificate_number, created_at, expires_at, address) VALUES ($1, $2, $3, 'enlace_correo', NULL, $4, $5, NULL)")
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(rubrica_platform::auth::token_hash(&token))
        .bind(member)
        .bind(now)
        .bind(now + 3_600_000)
        .execute(fx.app.context(ServiceName::Secretariat).db.pool())
        .await
        .unwrap();
    token
}

#[tokio::test]
async fn refusing_to_sign_needs_a_fiel_session_like_signing() {
    let fx = arrange(&TestBackend::Sqlite, |_| {}).await;
    let route = fx.open(&["maria", "juan"], 1, "any").await;
    let id = route["id"].as_str().unwrap().to_string();
    let juan_link = link_session(&fx, "juan").await;

    let (status, body) = fx
        .signing_call(
            "POST",
            &format!("/routes/{id}/refuse"),
            &juan_link,
            json!({ "reason": "No estoy de acuerdo." }),
        )
        .await;

    assert_eq!(status, 403, "{body}");
    assert!(detail(&body).contains("e.firma"), "{body}");
    let (_, view) = fx
        .signing_call(
            "GET",
            &format!("/routes/{id}"),
            &fx.facilitator.clone(),
            json!({}),
        )
        .await;
    assert!(
        view["signers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "pendiente"),
        "nothing stored: {view}"
    );
    assert!(fx.events("route.refused").await.is_empty());
    fx.finish().await;
}

#[tokio::test]
async fn in_a_sequential_route_each_signer_waits_for_the_ones_before() {
    for backend in TestBackend::all() {
        let fx = arrange(&backend, |_| {}).await;
        let route = fx.open(&["juan", "maria"], 2, "sequential").await;
        let id = route["id"].as_str().unwrap().to_string();
        let maria = credential("maria");
        let juan = credential("juan");
        let maria_token = fx.login(&maria).await;
        let juan_token = fx.login(&juan).await;

        let (status, body) = fx.prepare(&maria_token, &id, &maria).await;
        assert_eq!(status, 409, "{}: {body}", backend.label());
        assert!(detail(&body).contains("JUAN PEREZ LOPEZ"), "{body}");
        fx.sign_until_done(&juan_token, &id, &juan).await;
        fx.sign_until_done(&maria_token, &id, &maria).await;
        let (_, view) = fx
            .signing_call("GET", &format!("/routes/{id}"), &maria_token, json!({}))
            .await;
        assert_eq!(view["status"], "completada");
        fx.finish().await;
    }
}

#[tokio::test]
async fn a_prepared_signature_expires_and_must_be_prepared_again() {
    let backend = TestBackend::Sqlite;
    let fx = arrange(&backend, |s| {
        s.edit::<SigningSettings>(|s| s.prepare_ttl_seconds = 0)
    })
    .await;
    let route = fx.open(&["maria"], 1, "any").await;
    let id = route["id"].as_str().unwrap().to_string();
    let maria = credential("maria");
    let token = fx.login(&maria).await;
    let (_, prepared) = fx.prepare(&token, &id, &maria).await;
    tokio::time::sleep(Duration::from_millis(20)).await;

    let (status, body) = fx.complete(&token, &id, &prepared, &maria).await;

    assert_eq!(status, 409, "{body}");
    assert!(detail(&body).contains("venció"), "{body}");
    assert_eq!(fx.count("signing_route_revisions").await, 2);
    fx.finish().await;
}

#[tokio::test]
async fn opening_a_route_refuses_bad_input_and_other_secretariats() {
    let fx = arrange(&TestBackend::Sqlite, |_| {}).await;
    let mut body = fx.open_body(&["maria"], 2, "any");
    body["pdf_base64"] = json!(BASE64.encode(b"%PDF-1.7 roto"));
    let (status, problem) = fx
        .signing_call("POST", "/routes", &fx.facilitator.clone(), body)
        .await;
    assert_eq!(status, 422, "{problem}");
    let mut body = fx.open_body(&["maria"], 2, "any");
    body["layout"]["page_count"] = json!(5);
    let (status, problem) = fx
        .signing_call("POST", "/routes", &fx.facilitator.clone(), body)
        .await;
    assert_eq!(status, 422, "{problem}");
    let mut body = fx.open_body(&["maria"], 2, "any");
    body["secretariat"]["id"] = json!("otro");
    let (status, _) = fx
        .signing_call("POST", "/routes", &fx.facilitator.clone(), body)
        .await;
    assert_eq!(status, 403);
    let mut body = fx.open_body(&["maria"], 2, "any");
    body["document_id"] = json!("doc-1");
    let (status, problem) = fx
        .signing_call("POST", "/routes", &fx.facilitator.clone(), body)
        .await;
    assert_eq!(status, 422, "{problem}");
    let maria_token = fx.login(&credential("maria")).await;
    let (status, _) = fx
        .signing_call(
            "POST",
            "/routes",
            &fx.login(&credential("juan")).await,
            fx.open_body(&["maria"], 2, "any"),
        )
        .await;
    assert_eq!(status, 403, "a titular does not open routes");
    let (status, _) = fx
        .signing_call("GET", "/routes/no-existe", &maria_token, json!({}))
        .await;
    assert_eq!(status, 400);
    let (status, _) = fx
        .signing_call(
            "GET",
            &format!("/routes/{}", uuid::Uuid::now_v7()),
            &maria_token,
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(fx.count("signing_routes").await, 0);
    assert_eq!(fx.count("signing_revisions").await, 0);
    fx.finish().await;
}

#[tokio::test]
async fn the_sat_test_fiel_signs_and_the_report_says_its_chain_is_indeterminate_not_valid() {
    let fx = arrange(&TestBackend::Sqlite, |_| {}).await;
    let fiel = sat("FIEL_EKU9003173C9");
    let identity = SignerIdentity {
        id: "sat".into(),
        name: "ESCUELA KEMPER URGATE".into(),
        seat: "empresarial".into(),
        role: "suplente".into(),
        rfc: SAT_FIEL_RFC.into(),
    };
    let signable = rubrica_pdfsign::make_signable(
        &example::acta(2),
        &LayoutManifest::standard(2, example::A4, vec![identity]),
    )
    .unwrap();
    // Signed with the same library the CLI and the service use; SAT's test
    // root is not public, so no validator here.
    let signed = rubrica_pdfsign::sign(&signable, &fiel, &PrepareOptions::now()).unwrap();

    let (status, report) = fx
        .signing_call(
            "POST",
            "/verify",
            "",
            json!({ "pdf_base64": BASE64.encode(&signed) }),
        )
        .await;

    assert_eq!(status, 200, "{report}");
    assert_eq!(report["verdict"], "indeterminate", "{report}");
    let signature = &report["signatures"][0];
    assert_eq!(signature["verdict"], "indeterminate");
    assert_eq!(signature["checks"]["digest"]["outcome"], "passed");
    assert_eq!(signature["checks"]["signature"]["outcome"], "passed");
    assert_eq!(signature["checks"]["certificate_type"]["outcome"], "passed");
    assert_ne!(signature["checks"]["chain"]["outcome"], "passed");
    assert!(report["summary"].as_str().unwrap().len() > 10);
    // And through a route the service refuses it: its chain is not trusted.
    let route = fx.open(&["maria"], 1, "any").await;
    let token = fx.login(&credential("maria")).await;
    let (status, body) = fx
        .prepare(&token, route["id"].as_str().unwrap(), &fiel)
        .await;
    assert_eq!(status, 422, "{body}");
    fx.finish().await;
}

#[tokio::test]
async fn rubrica_sign_with_server_signs_a_route_locally_and_saves_the_signed_copy() {
    let fx = arrange(&TestBackend::Sqlite, |_| {}).await;
    let route = fx.open(&["maria", "juan"], 2, "any").await;
    let id = route["id"].as_str().unwrap().to_string();
    let pki = test_pki();
    let out = fx.data.dir.path().join("copia.pdf");
    let server = format!("http://{}", fx.app.address);
    let run = |name: &str, out: Option<&Path>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rubrica"));
        command
            .args(["sign", "--server", &server, "--route", &id])
            .arg("--cer")
            .arg(pki.join(format!("{name}.cer")))
            .arg("--key")
            .arg(pki.join(format!("{name}.key")))
            .arg("--password-file")
            .arg(pki.join(format!("{name}.password.txt")));
        if let Some(out) = out {
            command.arg("--out").arg(out);
        }
        command
    };

    let maria = tokio::task::spawn_blocking({
        let mut c = run("maria", Some(&out));
        move || c.output().unwrap()
    })
    .await
    .unwrap();
    let ana = tokio::task::spawn_blocking({
        let mut c = run("ana", None);
        move || c.output().unwrap()
    })
    .await
    .unwrap();

    assert!(
        maria.status.success(),
        "{}",
        String::from_utf8_lossy(&maria.stderr)
    );
    let said = String::from_utf8_lossy(&maria.stdout);
    assert!(said.contains("1 de 2 firmas"), "{said}");
    let copy = std::fs::read(&out).unwrap();
    let report = rubrica_pdfsign::verify(&copy, &test_validator()).unwrap();
    assert_eq!(report.signatures.len(), 1);
    assert_eq!(report.signatures[0].verdict, Verdict::Valid);
    assert_eq!(ana.status.code(), Some(2), "a member who is not a signer");
    assert!(String::from_utf8_lossy(&ana.stderr).contains("no está entre los firmantes"));
    fx.finish().await;
}

/// A server that passes on another document's bytes to sign: it shows route
/// A (its PDF, title, folio) but asks to sign what route B prepared.
async fn lying_server(
    shown_route: Value,
    shown_pdf: Vec<u8>,
    prepared_elsewhere: Value,
    completed: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (String, actix_web::dev::ServerHandle) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let challenge = {
        let origin = origin.clone();
        move || {
            let now = rubrica_platform::db::now_ms();
            let text = rubrica_contracts::login::LoginChallenge {
                origin: origin.clone(),
                issued_at: now,
                expires_at: now + 60_000,
                nonce: "reto-falso".into(),
            }
            .to_text();
            HttpResponse::Ok().json(json!({ "nonce": text, "expires_at": now + 60_000 }))
        }
    };
    let server = HttpServer::new(move || {
        let challenge = challenge.clone();
        let shown_route = shown_route.clone();
        let shown_pdf = shown_pdf.clone();
        let prepared = prepared_elsewhere.clone();
        let completed = completed.clone();
        App::new()
            .route(
                "/secretariat/auth/challenge",
                web::post().to(move || {
                    let challenge = challenge.clone();
                    async move { challenge() }
                }),
            )
            .route(
                "/secretariat/auth/fiel",
                web::post().to(|| async {
                    HttpResponse::Ok()
                        .json(json!({ "token": "sesion-falsa", "expires_at": 0, "caller": {} }))
                }),
            )
            .route(
                "/signing/routes/{id}",
                web::get().to(move || {
                    let route = shown_route.clone();
                    async move { HttpResponse::Ok().json(route) }
                }),
            )
            .route(
                "/signing/routes/{id}/pdf",
                web::get().to(move || {
                    let pdf = shown_pdf.clone();
                    async move { HttpResponse::Ok().content_type("application/pdf").body(pdf) }
                }),
            )
            .route(
                "/signing/routes/{id}/prepare",
                web::post().to(move || {
                    let prepared = prepared.clone();
                    async move { HttpResponse::Ok().json(prepared) }
                }),
            )
            .route(
                "/signing/routes/{id}/complete",
                web::post().to(move || {
                    completed.store(true, std::sync::atomic::Ordering::SeqCst);
                    async { HttpResponse::InternalServerError().finish() }
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    (origin, handle)
}

#[tokio::test]
async fn rubrica_sign_with_server_signs_nothing_when_the_bytes_to_sign_are_not_the_document_shown()
{
    let fx = arrange(&TestBackend::Sqlite, |_| {}).await;
    let shown = fx.open(&["maria"], 2, "any").await;
    let other = fx.open(&["maria"], 3, "any").await;
    let maria = credential("maria");
    let token = fx.login(&maria).await;
    let signing = fx.app.url(ServiceName::Signing);
    let shown_id = shown["id"].as_str().unwrap();
    let shown_pdf = fx
        .app
        .client
        .get(format!("{signing}/routes/{shown_id}/pdf"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let (status, mut prepared) = fx
        .signing_call(
            "POST",
            &format!("/routes/{}/prepare", other["id"].as_str().unwrap()),
            &token,
            json!({ "certificate": BASE64.encode(maria.certificate().der()) }),
        )
        .await;
    assert_eq!(status, 200, "{prepared}");
    // The lie is consistent everywhere but in the bytes to sign.
    prepared["base_sha256"] = json!(hex::encode(rubrica_fiel::digest::Sha256::digest(
        &shown_pdf
    )));
    prepared["route_id"] = json!(shown_id);
    let completed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (origin, server) =
        lying_server(shown.clone(), shown_pdf, prepared, completed.clone()).await;

    let pki = test_pki();
    let output = tokio::task::spawn_blocking({
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rubrica"));
        command
            .args(["sign", "--server", &origin, "--route", shown_id])
            .arg("--cer")
            .arg(pki.join("maria.cer"))
            .arg("--key")
            .arg(pki.join("maria.key"))
            .arg("--password-file")
            .arg(pki.join("maria.password.txt"));
        move || command.output().unwrap()
    })
    .await
    .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no corresponden al acta descargada"),
        "{stderr}"
    );
    assert!(stderr.contains("no se firmó nada"), "{stderr}");
    assert!(
        !completed.load(std::sync::atomic::Ordering::SeqCst),
        "nothing was sent to complete"
    );
    server.stop(false).await;
    fx.finish().await;
}

#[tokio::test]
async fn a_route_opens_by_reference_on_the_approved_version_of_a_document() {
    let fx = arrange_with(
        &TestBackend::Sqlite,
        &[
            ServiceName::Secretariat,
            ServiceName::Documents,
            ServiceName::Signing,
        ],
        |_| {},
    )
    .await;
    let operator = fx
        .app
        .settings
        .auth
        .operator_token
        .as_ref()
        .unwrap()
        .expose()
        .to_string();
    let (_, token) = call(
        &fx.app,
        "POST",
        &format!("{}/auth/api-tokens", fx.app.url(ServiceName::Secretariat)),
        &operator,
        json!({ "name": "redacción", "secretariat_id": fx.secretariat, "service": "documents", "role": "facilitador", "valid_days": 30 }),
    )
    .await;
    let drafter = token["token"].as_str().unwrap().to_string();
    let example = format!(
        "{}/templates/examples/acta.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut data: Value = serde_json::from_slice(&std::fs::read(example).unwrap()).unwrap();
    data["secretariat"]["id"] = json!(fx.secretariat);
    let documents = fx.app.url(ServiceName::Documents);
    let (status, draft) = call(
        &fx.app,
        "POST",
        &format!("{documents}/documents"),
        &drafter,
        json!({ "kind": "acta", "data": data.clone() }),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    let document_id = draft["id"].as_str().unwrap().to_string();
    let by_reference = |document_id: &str| {
        let mut body = fx.open_body(&["maria"], 1, "any");
        let object = body.as_object_mut().unwrap();
        object.remove("pdf_base64");
        object.remove("layout");
        object.insert("document_id".into(), json!(document_id));
        object.insert("record_kind".into(), json!("acta"));
        body
    };
    // An acta is opened only for the signers its session closed with: until
    // the secretariat has that session closed, nobody (issue 15, finding 1).
    let (status, approved) = call(
        &fx.app,
        "POST",
        &format!("{documents}/documents/{document_id}/approve"),
        &drafter,
        json!({ "version": 1 }),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    let (status, problem) = fx
        .signing_call(
            "POST",
            "/routes",
            &fx.facilitator.clone(),
            by_reference(&document_id),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert!(detail(&problem).contains("no se ha cerrado"), "{problem}");
    // The session closes (as the secretariat records it) with one signer
    // fewer than the acta names: still refused, naming who does not belong.
    let layout_signers = draft["layout"]["signers"].as_array().unwrap().clone();
    let signer = |s: &Value| {
        json!({
            "member_id": s["id"], "name": s["name"], "rfc": s["rfc"],
            "email": "x@example.test", "capacity": "titular", "seat": null, "seat_name": null,
        })
    };
    let secretariat_db = fx.app.context(ServiceName::Secretariat).db.pool();
    let secretariat_id = fx.secretariat.clone();
    let close = |signers: Vec<Value>| {
        let secretariat_id = secretariat_id.clone();
        async move {
            sqlx::query("DELETE FROM sessions WHERE id = 'ses-2026-ord-04'")
                .execute(secretariat_db)
                .await
                .unwrap();
            let event = uuid::Uuid::now_v7().to_string();
            sqlx::query("INSERT INTO outbox_events (id, event_type, source, payload, created_at) VALUES ($1, 'session.closed', 'secretariat', $2, 0)")
            .bind(&event)
            .bind(json!({ "signers": signers }).to_string())
            .execute(secretariat_db)
            .await
            .unwrap();
            sqlx::query("INSERT INTO sessions (id, secretariat_id, kind, number, folio, held_on, scheduled_time, place, status, closed_at, closed_event_id, created_at, updated_at) VALUES ('ses-2026-ord-04', $1, 'ordinaria', 4, '2026-ORD-04', '2026-11-20', '10:00', 'ITEI', 'cerrada', 1, $2, 0, 0)")
            .bind(&secretariat_id)
            .bind(&event)
            .execute(secretariat_db)
            .await
            .unwrap();
        }
    };
    close(layout_signers.iter().skip(1).map(signer).collect()).await;
    let (status, problem) = fx
        .signing_call(
            "POST",
            "/routes",
            &fx.facilitator.clone(),
            by_reference(&document_id),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let first = layout_signers[0]["name"].as_str().unwrap();
    assert!(detail(&problem).contains(first), "{problem}");
    assert!(
        detail(&problem).contains("no asistió como firmante"),
        "{problem}"
    );
    close(layout_signers.iter().map(signer).collect()).await;

    // The draft made next is not opened for signature.
    let (status, second) = call(
        &fx.app,
        "POST",
        &format!("{documents}/documents"),
        &drafter,
        json!({ "kind": "acta", "data": data.clone() }),
    )
    .await;
    assert_eq!(status, 201, "{second}");
    let draft = second;
    let document_id = draft["id"].as_str().unwrap().to_string();

    // An acta is never opened on a PDF and layout the caller sends.
    let mut inline = fx.open_body(&["maria"], 1, "any");
    inline["record_kind"] = json!("acta");
    let (status, problem) = fx
        .signing_call("POST", "/routes", &fx.facilitator.clone(), inline)
        .await;
    assert_eq!(status, 422, "{problem}");
    assert!(detail(&problem).contains("document_id"), "{problem}");

    // A draft is not opened for signature.
    let (status, problem) = fx
        .signing_call(
            "POST",
            "/routes",
            &fx.facilitator.clone(),
            by_reference(&document_id),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert!(detail(&problem).contains("aprobada"), "{problem}");
    let (status, approved) = call(
        &fx.app,
        "POST",
        &format!("{documents}/documents/{document_id}/approve"),
        &drafter,
        json!({ "version": 1 }),
    )
    .await;
    assert_eq!(status, 200, "{approved}");

    let (status, route) = fx
        .signing_call(
            "POST",
            "/routes",
            &fx.facilitator.clone(),
            by_reference(&document_id),
        )
        .await;

    assert_eq!(status, 201, "{route}");
    assert_eq!(route["document_id"], json!(document_id));
    assert_eq!(route["revisions"][0]["kind"], "aprobada");
    assert_eq!(route["revisions"][0]["sha256"], draft["sha256"]);
    assert_eq!(
        route["signers"].as_array().unwrap().len(),
        draft["layout"]["signers"].as_array().unwrap().len()
    );

    // Another secretariat's approved document is not opened here.
    let db = fx.app.context(ServiceName::Secretariat).db.pool();
    let config = serde_json::to_string(&rubrica_rules::preset("jalisco").unwrap()).unwrap();
    sqlx::query("INSERT INTO secretariats (id, name, preset, config, created_at, updated_at) VALUES ('stl-otro', 'STL Otro', 'jalisco', $1, 0, 0)")
        .bind(config)
        .execute(db)
        .await
        .unwrap();
    let (_, token) = call(
        &fx.app,
        "POST",
        &format!("{}/auth/api-tokens", fx.app.url(ServiceName::Secretariat)),
        &operator,
        json!({ "name": "redacción ajena", "secretariat_id": "stl-otro", "service": "documents", "role": "facilitador", "valid_days": 30 }),
    )
    .await;
    let other_drafter = token["token"].as_str().unwrap().to_string();
    data["secretariat"]["id"] = json!("stl-otro");
    let (status, foreign) = call(
        &fx.app,
        "POST",
        &format!("{documents}/documents"),
        &other_drafter,
        json!({ "kind": "acta", "data": data }),
    )
    .await;
    assert_eq!(status, 201, "{foreign}");
    let foreign_id = foreign["id"].as_str().unwrap().to_string();
    let (status, approved) = call(
        &fx.app,
        "POST",
        &format!("{documents}/documents/{foreign_id}/approve"),
        &other_drafter,
        json!({ "version": 1 }),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    let routes_before = fx.count("signing_routes").await;
    let (status, problem) = fx
        .signing_call(
            "POST",
            "/routes",
            &fx.facilitator.clone(),
            by_reference(&foreign_id),
        )
        .await;
    assert_eq!(status, 403, "{problem}");
    assert!(detail(&problem).contains("stl-otro"), "{problem}");
    assert_eq!(fx.count("signing_routes").await, routes_before);
    fx.finish().await;
}
