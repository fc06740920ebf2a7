//! Access: FIEL challenge login, one-time mail links, API tokens, the role ×
//! endpoint table, and the audit chain.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rubrica_fiel::Credential;
use rubrica_platform::testing::TestBackend;
use rubrica_platform::{Allowed, Problem, Role, ServiceName};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestData, spawn_with};

/// The repository's test fixtures (SAT test credentials, the test-PKI script).
pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A test PKI (CA + FIEL-like maria, juan, ana, a CSD-like and an expired
/// certificate), made once per test run by `tests/fixtures/make-test-pki.sh`.
pub(crate) fn test_pki() -> &'static Path {
    static PKI: OnceLock<PathBuf> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rubrica-pki-{}", std::process::id()));
        if !dir.join("ca.cer").exists() {
            let status = std::process::Command::new("bash")
                .arg(fixtures().join("make-test-pki.sh"))
                .arg(&dir)
                .stdout(std::process::Stdio::null())
                .status()
                .expect("bash runs make-test-pki.sh");
            assert!(status.success(), "make-test-pki.sh failed");
        }
        // Trust only the CA, not the member certificates beside it.
        let anchors = dir.join("anchors");
        std::fs::create_dir_all(&anchors).unwrap();
        std::fs::copy(dir.join("ca.cer"), anchors.join("ca.cer")).unwrap();
        dir
    })
}

/// A folder holding the test CA's CRL (it lists `revoked`), for `auth.crl_dir`.
pub(crate) fn crl_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = test_pki().join("crls");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(test_pki().join("revocation/crl.der"), dir.join("ca.crl")).unwrap();
        dir
    })
}

pub(crate) fn credential(name: &str) -> Credential {
    let dir = test_pki();
    Credential::from_files(
        dir.join(format!("{name}.cer")),
        dir.join(format!("{name}.key")),
        "12345678a",
    )
    .unwrap()
}

fn sat_credential(name: &str) -> Credential {
    let dir = fixtures().join("sat-test-certs").join(name);
    Credential::from_files(
        dir.join("certificate.cer"),
        dir.join("private_key.key"),
        "12345678a",
    )
    .unwrap()
}

const MARIA: &str = "GORM800101AB1";
const JUAN: &str = "PELJ750505CD2";
const SAT_FIEL: &str = "EKU9003173C9";

/// The suite with FIEL logins trusting the test CA, and a strict rate limit.
async fn spawn(data: &TestData) -> TestApp {
    spawn_tuned(data, data.dir.path(), |_| {}).await
}

/// [`spawn`] with its data in `dir` and settings adjusted by `tune`.
async fn spawn_tuned(
    data: &TestData,
    dir: &Path,
    tune: impl FnOnce(&mut rubrica_platform::Settings),
) -> TestApp {
    let mut settings = data.settings(dir);
    settings.auth.trust_anchors_dir = Some(test_pki().join("anchors"));
    tune(&mut settings);
    spawn_with(
        &rubrica::all_specs(),
        &ServiceName::ALL,
        settings,
        "127.0.0.1:0",
    )
    .await
}

/// A secretariat from the Jalisco preset, with maria as titular of the
/// presiding seat (so President), juan as titular of academia and the SAT
/// test FIEL's holder as enlace — arranged in the secretariat's tables.
async fn arrange_secretariat(app: &TestApp) -> String {
    let db = app.context(ServiceName::Secretariat).db.pool();
    let config = serde_json::to_string(&rubrica_rules::preset("jalisco").unwrap()).unwrap();
    let id = "stl-jalisco".to_string();
    sqlx::query("INSERT INTO secretariats (id, name, preset, config, created_at, updated_at) VALUES ($1, 'STL Jalisco', 'jalisco', $2, 0, 0)")
        .bind(&id)
        .bind(config)
        .execute(db)
        .await
        .unwrap();
    for (member, name, rfc, email, role, seat, ends_on) in [
        (
            "m-maria",
            "MARÍA GONZÁLEZ RUIZ",
            MARIA,
            "maria@example.test",
            "titular",
            "organo_garante",
            None,
        ),
        (
            "m-juan",
            "JUAN PÉREZ LÓPEZ",
            JUAN,
            "juan@example.test",
            "titular",
            "academia",
            None,
        ),
        (
            "m-sat",
            "ESCUELA KEMPER URGATE",
            SAT_FIEL,
            "eku@example.test",
            "enlace",
            "empresarial",
            None,
        ),
        (
            "m-pedro",
            "PEDRO SALIENTE",
            "SAPE700101AA1",
            "pedro@example.test",
            "titular",
            "sociedad_civil",
            Some("2020-01-01"),
        ),
    ] {
        sqlx::query("INSERT INTO members (id, secretariat_id, name, rfc, email, created_at) VALUES ($1, $2, $3, $4, $5, 0)")
            .bind(member)
            .bind(&id)
            .bind(name)
            .bind(rfc)
            .bind(email)
            .execute(db)
            .await
            .unwrap();
        sqlx::query("INSERT INTO designations (id, secretariat_id, member_id, role, seat, starts_on, ends_on, created_at) VALUES ($1, $2, $3, $4, $5, '2019-01-01', $6, 0)")
            .bind(format!("d-{member}"))
            .bind(&id)
            .bind(member)
            .bind(role)
            .bind(seat)
            .bind(ends_on)
            .execute(db)
            .await
            .unwrap();
    }
    id
}

/// Runs the challenge–response with `credential`, signing `tamper(nonce)`.
async fn fiel_login_signing(
    app: &TestApp,
    credential: &Credential,
    signed: impl Fn(&str) -> String,
) -> (reqwest::StatusCode, Value, String) {
    fiel_login_from(app, credential, signed, None).await
}

/// [`fiel_login_signing`] through a proxy that names the client in
/// `X-Forwarded-For`.
async fn fiel_login_from(
    app: &TestApp,
    credential: &Credential,
    signed: impl Fn(&str) -> String,
    forwarded_for: Option<&str>,
) -> (reqwest::StatusCode, Value, String) {
    let base = app.url(ServiceName::Secretariat);
    let with_proxy = |request: reqwest::RequestBuilder| match forwarded_for {
        Some(client) => request.header("X-Forwarded-For", client),
        None => request,
    };
    let challenge: Value = with_proxy(app.client.post(format!("{base}/auth/challenge")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let nonce = challenge["nonce"].as_str().unwrap().to_string();
    let signature = credential.sign_sha256(signed(&nonce).as_bytes()).unwrap();
    let response = with_proxy(app.client.post(format!("{base}/auth/fiel")))
        .json(&json!({
            "nonce": nonce,
            "certificate": BASE64.encode(credential.certificate().der()),
            "signature": BASE64.encode(&signature),
        }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null), nonce)
}

async fn fiel_login(app: &TestApp, credential: &Credential) -> (reqwest::StatusCode, Value) {
    let (status, body, _) = fiel_login_signing(app, credential, str::to_string).await;
    (status, body)
}

#[tokio::test]
async fn a_member_logs_in_with_a_test_pki_fiel_and_gets_the_roles_of_their_designations() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn(&data).await;
        arrange_secretariat(&app).await;

        let (status, maria) = fiel_login(&app, &credential("maria")).await;
        assert_eq!(status, 200, "{maria} on {}", backend.label());
        assert_eq!(maria["caller"]["method"], "fiel");
        assert_eq!(maria["caller"]["roles"], json!(["presidente", "titular"]));
        let (status, juan) = fiel_login(&app, &credential("juan")).await;
        assert_eq!(status, 200);
        assert_eq!(juan["caller"]["roles"], json!(["titular"]));

        // The token works, here and (through introspection) in another service.
        let token = maria["token"].as_str().unwrap();
        let me: Value = app
            .client
            .get(format!("{}/auth/me", app.url(ServiceName::Secretariat)))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["rfc"], MARIA);
        let mail_audit = app
            .client
            .get(format!("{}/audit", app.url(ServiceName::Mail)))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            mail_audit.status(),
            200,
            "the President reads the mail service's audit trail"
        );
        let refused = app
            .client
            .get(format!("{}/audit", app.url(ServiceName::Mail)))
            .bearer_auth(juan["token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403, "a titular does not");

        // Logging out revokes the token.
        let out = app
            .client
            .post(format!("{}/auth/logout", app.url(ServiceName::Secretariat)))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 204);
        let after = app
            .client
            .get(format!("{}/auth/me", app.url(ServiceName::Secretariat)))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), 401);
        app.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn the_sat_test_fiel_signs_the_challenge_but_is_refused_without_sat_s_ca_among_the_anchors() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn(&data).await;
    arrange_secretariat(&app).await;

    let (status, body) = fiel_login(&app, &sat_credential("FIEL_EKU9003173C9")).await;

    assert_eq!(status, 401, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("confianza") || detail.contains("autoridad"),
        "{detail}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_member_sees_their_open_sessions_and_closes_another_one() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn(&data).await;
    arrange_secretariat(&app).await;
    let url = app.url(ServiceName::Secretariat);
    // Two browsers: the laptop and a phone.
    let (_, laptop) = fiel_login(&app, &credential("maria")).await;
    let (_, phone) = fiel_login(&app, &credential("maria")).await;
    let (_, juan) = fiel_login(&app, &credential("juan")).await;
    let token = |v: &Value| v["token"].as_str().unwrap().to_string();
    let list: Value = app
        .client
        .get(format!("{url}/auth/sessions"))
        .bearer_auth(token(&laptop))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sessions = list.as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{list}");
    assert_eq!(
        sessions.iter().filter(|s| s["current"] == true).count(),
        1,
        "{list}"
    );
    assert!(
        list.to_string().find("token").is_none(),
        "no token in the list"
    );
    let phone_id = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Juan cannot close María's session: it is not one of his.
    let refused = app
        .client
        .delete(format!("{url}/auth/sessions/{phone_id}"))
        .bearer_auth(token(&juan))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    // María closes the phone's from the laptop: its token stops working.
    let closed = app
        .client
        .delete(format!("{url}/auth/sessions/{phone_id}"))
        .bearer_auth(token(&laptop))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 204);
    let after = app
        .client
        .get(format!("{url}/auth/me"))
        .bearer_auth(token(&phone))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    let still = app
        .client
        .get(format!("{url}/auth/me"))
        .bearer_auth(token(&laptop))
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), 200);
    app.stop().await;
    data.cleanup().await;
}

#[tokio::test]
async fn logins_with_a_csd_an_expired_fiel_a_wrong_signature_or_a_replayed_nonce_are_refused() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn(&data).await;
        arrange_secretariat(&app).await;

        let (status, csd) = fiel_login(&app, &credential("csd")).await;
        assert_eq!(status, 401, "{}", backend.label());
        assert!(csd["detail"].as_str().unwrap().contains("CSD"), "{csd}");

        let (status, expired) = fiel_login(&app, &credential("expired")).await;
        assert_eq!(status, 401);
        assert!(
            expired["detail"].as_str().unwrap().contains("venci"),
            "{expired}"
        );

        let (status, wrong, _) =
            fiel_login_signing(&app, &credential("juan"), |n| format!("{n}-otro")).await;
        assert_eq!(status, 401);

        // Unknown RFC (ana is no member): the very same answer as a wrong signature.
        let (status, unknown) = fiel_login(&app, &credential("ana")).await;
        assert_eq!(status, 401);
        assert_eq!(unknown["detail"], wrong["detail"]);

        // Replay: the nonce of a successful login cannot be used again.
        let (status, _, nonce) =
            fiel_login_signing(&app, &credential("maria"), str::to_string).await;
        assert_eq!(status, 200);
        let maria = credential("maria");
        let replay = app
            .client
            .post(format!("{}/auth/fiel", app.url(ServiceName::Secretariat)))
            .json(&json!({
                "nonce": nonce,
                "certificate": BASE64.encode(maria.certificate().der()),
                "signature": BASE64.encode(maria.sign_sha256(nonce.as_bytes()).unwrap()),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(replay.status(), 401);
        let problem: Problem = replay.json().await.unwrap();
        assert!(problem.detail.contains("ya se usó"), "{}", problem.detail);

        // Garbage is a 400, not a 500.
        let garbage = app
            .client
            .post(format!("{}/auth/fiel", app.url(ServiceName::Secretariat)))
            .json(&json!({"nonce": "x", "certificate": "no es base64!", "signature": ""}))
            .send()
            .await
            .unwrap();
        assert_eq!(garbage.status(), 400);
        app.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn a_revoked_member_cannot_log_in_and_unchecked_revocation_is_refused_when_required() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let mut settings = data.settings(data.dir.path());
        settings.auth.trust_anchors_dir = Some(test_pki().join("anchors"));
        settings.auth.crl_dir = Some(crl_dir().to_path_buf());
        settings.auth.revocation_required = true;
        let app = spawn_with(
            &rubrica::all_specs(),
            &ServiceName::ALL,
            settings,
            "127.0.0.1:0",
        )
        .await;
        let secretariat = arrange_secretariat(&app).await;
        // RAQUEL is a member in office: only the CRL stands in her way.
        let db = app.context(ServiceName::Secretariat).db.pool();
        sqlx::query("INSERT INTO members (id, secretariat_id, name, rfc, email, created_at) VALUES ('m-raquel', $1, 'RAQUEL REVOCADA MORA', 'REMR820202RV4', 'raquel@example.test', 0)")
            .bind(&secretariat)
            .execute(db)
            .await
            .unwrap();
        sqlx::query("INSERT INTO designations (id, secretariat_id, member_id, role, seat, starts_on, ends_on, created_at) VALUES ('d-m-raquel', $1, 'm-raquel', 'suplente', 'academia', '2019-01-01', NULL, 0)")
            .bind(&secretariat)
            .execute(db)
            .await
            .unwrap();

        let (status, revoked) = fiel_login(&app, &credential("revoked")).await;
        assert_eq!(status, 401, "{}: {revoked}", backend.label());
        let detail = revoked["detail"].as_str().unwrap();
        assert!(detail.contains("revocado"), "{revoked}");
        assert!(detail.contains("Tramite una e.firma nueva"), "{revoked}");
        // A member the CRL does not list logs in.
        let (status, maria) = fiel_login(&app, &credential("maria")).await;
        assert_eq!(status, 200, "{maria}");
        app.stop().await;

        // Required, but no CRL configured: nobody can be shown not revoked.
        let mut settings = data.settings(&data.subdir("sin-crl"));
        settings.auth.trust_anchors_dir = Some(test_pki().join("anchors"));
        settings.auth.revocation_required = true;
        let app = spawn_with(
            &rubrica::all_specs(),
            &ServiceName::ALL,
            settings,
            "127.0.0.1:0",
        )
        .await;
        let (status, refused) = fiel_login(&app, &credential("maria")).await;
        assert_eq!(status, 401, "{refused}");
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("No se pudo comprobar si el certificado"),
            "{refused}"
        );
        app.stop().await;
        data.cleanup().await;
    }
}

/// `openssl ocsp` answering for the test CA from its database, signed by the
/// CA's delegated responder certificate, on a loopback port; killed on drop.
struct OcspResponder {
    child: std::process::Child,
    /// Kept open: openssl would die writing to a closed pipe.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
    url: String,
}

impl OcspResponder {
    fn start() -> Self {
        let pki = test_pki();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = std::process::Command::new("openssl")
            .arg("ocsp")
            .arg("-index")
            .arg(pki.join("revocation/index.txt"))
            .arg("-CA")
            .arg(pki.join("ca.pem"))
            .arg("-rsigner")
            .arg(pki.join("revocation/ocsp.pem"))
            .arg("-rkey")
            .arg(pki.join("revocation/ocsp.key.pem"))
            .args(["-port", &port.to_string(), "-ndays", "1", "-ignore_err"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("openssl ocsp starts");
        // It prints "ACCEPT …" once it listens (a probing connection would
        // wedge it: it serves one connection at a time).
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        assert!(
            line.starts_with("ACCEPT"),
            "openssl ocsp did not listen: {line}"
        );
        OcspResponder {
            child,
            _stdout: stdout,
            url: format!("http://127.0.0.1:{port}/"),
        }
    }
}

impl Drop for OcspResponder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn with_an_ocsp_responder_a_revoked_member_cannot_log_in_and_a_silent_responder_refuses_when_required()
 {
    let responder = OcspResponder::start();
    let data = TestData::new(&TestBackend::Sqlite).await;
    let mut settings = data.settings(data.dir.path());
    settings.auth.trust_anchors_dir = Some(test_pki().join("anchors"));
    settings.auth.ocsp_url = Some(responder.url.clone());
    settings.auth.revocation_timeout_seconds = 2;
    settings.auth.revocation_required = true;
    let app = spawn_with(
        &rubrica::all_specs(),
        &ServiceName::ALL,
        settings,
        "127.0.0.1:0",
    )
    .await;
    let secretariat = arrange_secretariat(&app).await;
    // RAQUEL is a member in office: only the responder stands in her way.
    let db = app.context(ServiceName::Secretariat).db.pool();
    sqlx::query("INSERT INTO members (id, secretariat_id, name, rfc, email, created_at) VALUES ('m-raquel', $1, 'RAQUEL REVOCADA MORA', 'REMR820202RV4', 'raquel@example.test', 0)")
        .bind(&secretariat)
        .execute(db)
        .await
        .unwrap();
    sqlx::query("INSERT INTO designations (id, secretariat_id, member_id, role, seat, starts_on, ends_on, created_at) VALUES ('d-m-raquel', $1, 'm-raquel', 'suplente', 'academia', '2019-01-01', NULL, 0)")
        .bind(&secretariat)
        .execute(db)
        .await
        .unwrap();

    let (status, revoked) = fiel_login(&app, &credential("revoked")).await;
    assert_eq!(status, 401, "{revoked}");
    let detail = revoked["detail"].as_str().unwrap();
    assert!(detail.contains("revocado"), "{revoked}");
    assert!(detail.contains("Tramite una e.firma nueva"), "{revoked}");
    // A member the responder answers "good" for logs in.
    let (status, maria) = fiel_login(&app, &credential("maria")).await;
    assert_eq!(status, 200, "{maria}");

    // The responder goes silent: nobody can be shown not revoked (juan has
    // no cached answer).
    drop(responder);
    let (status, refused) = fiel_login(&app, &credential("juan")).await;
    assert_eq!(status, 401, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("No se pudo comprobar si el certificado"),
        "{refused}"
    );
    app.stop().await;
    data.cleanup().await;
}

#[tokio::test]
async fn with_an_ocsp_responder_public_verification_reports_a_revoked_signer_as_revoked() {
    use rubrica_pdfsign::{LayoutManifest, PrepareOptions, SignerIdentity, example};
    let responder = OcspResponder::start();
    let data = TestData::new(&TestBackend::Sqlite).await;
    let mut settings = data.settings(data.dir.path());
    settings.auth.trust_anchors_dir = Some(test_pki().join("anchors"));
    settings.auth.ocsp_url = Some(responder.url.clone());
    settings.auth.revocation_required = true;
    let app = spawn_with(
        &rubrica::all_specs(),
        &ServiceName::ALL,
        settings,
        "127.0.0.1:0",
    )
    .await;
    // An acta signed by maria and by RAQUEL, whose certificate the CA revoked.
    let who = |id: &str, name: &str, rfc: &str| SignerIdentity {
        id: id.into(),
        name: name.into(),
        seat: "academia".into(),
        role: "titular".into(),
        rfc: rfc.into(),
    };
    let signable = rubrica_pdfsign::make_signable(
        &example::acta(2),
        &LayoutManifest::standard(
            2,
            example::A4,
            vec![
                who("maria", "MARIA GONZALEZ RUIZ", MARIA),
                who("raquel", "RAQUEL REVOCADA MORA", "REMR820202RV4"),
            ],
        ),
    )
    .unwrap();
    let one =
        rubrica_pdfsign::sign(&signable, &credential("maria"), &PrepareOptions::now()).unwrap();
    let signed =
        rubrica_pdfsign::sign(&one, &credential("revoked"), &PrepareOptions::now()).unwrap();

    for (url, request) in [
        (
            format!("{}/verify/pdf", app.url(ServiceName::Archive)),
            app.client
                .post(format!("{}/verify/pdf", app.url(ServiceName::Archive)))
                .header("content-type", "application/pdf")
                .body(signed.clone()),
        ),
        (
            format!("{}/verify", app.url(ServiceName::Signing)),
            app.client
                .post(format!("{}/verify", app.url(ServiceName::Signing)))
                .json(&json!({ "pdf_base64": BASE64.encode(&signed) })),
        ),
    ] {
        // Act
        let response = request.send().await.unwrap();

        // Assert
        assert_eq!(response.status(), 200, "{url}");
        let body: Value = response.json().await.unwrap();
        let report = if body["report"].is_object() {
            &body["report"]
        } else {
            &body
        };
        let signatures = report["signatures"].as_array().unwrap();
        let of = |name: &str| {
            signatures
                .iter()
                .find(|s| s.to_string().contains(name))
                .unwrap_or_else(|| panic!("{url}: {name} in {report}"))
        };
        // The signing service reports checks; the archive, a Spanish verdict
        // and summary per signature.
        let maria = of("MARIA GONZALEZ RUIZ");
        assert!(
            maria["verdict"] == "valid" || maria["verdict"] == "valida",
            "{url}: {maria}"
        );
        let raquel = of("RAQUEL REVOCADA MORA");
        assert!(
            raquel["verdict"] == "invalid" || raquel["verdict"] == "invalida",
            "{url}: {raquel}"
        );
        assert!(raquel.to_string().contains("revocado"), "{url}: {raquel}");
        if let Some(checks) = maria.get("checks") {
            assert_eq!(checks["revocation"]["outcome"], "passed", "{url}: {maria}");
            assert!(
                checks["revocation"]["explanation"]
                    .as_str()
                    .unwrap()
                    .contains("OCSP"),
                "{url}: {maria}"
            );
            assert_eq!(
                raquel["checks"]["revocation"]["outcome"], "failed",
                "{url}: {raquel}"
            );
        }
        assert_ne!(report["verdict"], "valid", "{url}: {report}");
    }
    app.stop().await;
    data.cleanup().await;
}

#[tokio::test]
async fn strangers_failing_with_a_members_certificate_are_limited_by_their_address_and_never_lock_the_member_out()
 {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let mut settings = data.settings(data.dir.path());
    settings.auth.trust_anchors_dir = Some(test_pki().join("anchors"));
    settings.auth.max_failed_attempts_per_address = 4;
    // The suite sits behind a reverse proxy on the same machine.
    settings.http.trusted_proxies = vec!["127.0.0.1".into()];
    let app = spawn_with(
        &rubrica::all_specs(),
        &ServiceName::ALL,
        settings,
        "127.0.0.1:0",
    )
    .await;
    arrange_secretariat(&app).await;
    let juan = credential("juan");

    // A stranger has juan's certificate (it is in every archived PDF) but
    // not his key: each try signs something else than the challenge.
    for _ in 0..4 {
        let (status, body, _) =
            fiel_login_from(&app, &juan, |n| format!("{n}!"), Some("203.0.113.7")).await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, body, _) =
        fiel_login_from(&app, &juan, |n| format!("{n}!"), Some("203.0.113.7")).await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("Espere"),
        "{body}"
    );

    // Juan, at his own address, logs in at once.
    let (status, body, _) =
        fiel_login_from(&app, &juan, str::to_string, Some("198.51.100.4")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["caller"]["rfc"], JUAN);
    app.stop().await;

    // Without trusted proxies nobody chooses the address they are counted
    // against: every try from this peer counts, whatever the header says.
    let app = spawn_tuned(&data, &data.subdir("sin-proxy"), |settings| {
        settings.auth.max_failed_attempts_per_address = 4;
    })
    .await;
    arrange_secretariat(&app).await;
    for n in 0..4 {
        let client = format!("192.0.2.{n}");
        let (status, body, _) =
            fiel_login_from(&app, &juan, |n| format!("{n}!"), Some(&client)).await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, body, _) =
        fiel_login_from(&app, &juan, |n| format!("{n}!"), Some("192.0.2.200")).await;
    assert_eq!(status, 429, "{body}");
    app.stop().await;
    data.cleanup().await;
}

#[tokio::test]
async fn mailed_link_requests_are_counted_apart_and_do_not_block_a_fiel_login() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn_tuned(&data, data.dir.path(), |settings| {
        settings.auth.max_link_requests = 2;
    })
    .await;
    arrange_secretariat(&app).await;
    let base = app.url(ServiceName::Secretariat);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = app
            .client
            .post(format!("{base}/auth/email-link"))
            .json(&json!({ "email": "juan@example.test" }))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [202, 202, 429]);
    let (status, body) = fiel_login(&app, &credential("juan")).await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
    data.cleanup().await;
}

/// Undoes quoted-printable soft line breaks, so a long token reads whole.
fn unfold(text: &str) -> String {
    text.replace("=\r\n", "").replace("=\n", "")
}

/// Waits for the access-link message for `email` in the mail outbox folder.
async fn mailed_token(data: &TestData, email: &str) -> String {
    let dir = data.dir.path().join("mail").join("outbox");
    let started = Instant::now();
    loop {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let text = unfold(&std::fs::read_to_string(entry.path()).unwrap_or_default());
                if text.contains(email)
                    && let Some(at) = text.find("--link ")
                {
                    let token: String = text[at + 7..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                        .collect();
                    return token;
                }
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no mail for {email}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_one_time_link_is_mailed_works_once_never_signs_and_expires() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn(&data).await;
        arrange_secretariat(&app).await;
        let base = app.url(ServiceName::Secretariat);

        let ask = |email: &'static str| {
            let client = app.client.clone();
            let base = base.clone();
            async move {
                let response = client
                    .post(format!("{base}/auth/email-link"))
                    .json(&json!({ "email": email }))
                    .send()
                    .await
                    .unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            }
        };
        let known = ask("juan@example.test").await;
        let unknown = ask("nadie@example.test").await;
        assert_eq!(known.0, 202, "{}", backend.label());
        assert_eq!(
            known, unknown,
            "the same answer whether or not the account exists"
        );

        let token = mailed_token(&data, "juan@example.test").await;
        // The outbox keeps the token sealed, never in clear (finding 11).
        let payloads: Vec<(String,)> = sqlx::query_as(
            "SELECT payload FROM outbox_events WHERE event_type = 'auth.link_requested'",
        )
        .fetch_all(app.context(ServiceName::Secretariat).db.pool())
        .await
        .unwrap();
        assert!(!payloads.is_empty());
        for (payload,) in &payloads {
            assert!(!payload.contains(&token), "{payload}");
            assert!(payload.contains("token_sealed"), "{payload}");
        }
        let redeem = |token: String| {
            let client = app.client.clone();
            let base = base.clone();
            async move {
                client
                    .post(format!("{base}/auth/email-link/redeem"))
                    .json(&json!({ "token": token }))
                    .send()
                    .await
                    .unwrap()
            }
        };
        let first = redeem(token.clone()).await;
        assert_eq!(first.status(), 200);
        let session: Value = first.json().await.unwrap();
        assert_eq!(session["caller"]["method"], "enlace_correo");
        assert_eq!(session["caller"]["roles"], json!(["titular"]));
        assert_eq!(redeem(token).await.status(), 401, "a link works once");

        // A link used late is refused.
        ask("juan@example.test").await;
        let db = app.context(ServiceName::Secretariat).db.pool();
        let late = loop {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM auth_email_links")
                .fetch_one(db)
                .await
                .unwrap();
            if n == 2 {
                sqlx::query("UPDATE auth_email_links SET expires_at = 1 WHERE used_at IS NULL")
                    .execute(db)
                    .await
                    .unwrap();
                break mailed_token_after(&data, "juan@example.test", 2).await;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(redeem(late).await.status(), 401);
        app.stop().await;
        data.cleanup().await;
    }
}

/// The token of the `nth` message to `email` (messages are named by event id,
/// which sorts by time).
async fn mailed_token_after(data: &TestData, email: &str, nth: usize) -> String {
    let dir = data.dir.path().join("mail").join("outbox");
    let started = Instant::now();
    loop {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|e| e.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        let matching: Vec<String> = files
            .iter()
            .map(|p| unfold(&std::fs::read_to_string(p).unwrap_or_default()))
            .filter(|t| t.contains(email))
            .collect();
        if matching.len() >= nth {
            let text = &matching[nth - 1];
            let at = text.find("--link ").unwrap();
            return text[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no mail #{nth}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An API token of `role` for `service`, created by the operator.
async fn api_token(app: &TestApp, secretariat: &str, service: ServiceName, role: Role) -> String {
    let role = serde_json::to_value(role).unwrap();
    let response = app
        .client
        .post(format!("{}/auth/api-tokens", app.url(ServiceName::Secretariat)))
        .bearer_auth(app.settings.auth.operator_token.as_ref().map(|s| s.expose()).unwrap())
        .json(&json!({ "name": "prueba", "secretariat_id": secretariat, "service": service, "role": role, "valid_days": 30 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn every_role_may_call_exactly_the_operations_the_access_table_allows() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn(&data).await;
    let secretariat = arrange_secretariat(&app).await;
    let operator = app
        .settings
        .auth
        .operator_token
        .as_ref()
        .unwrap()
        .expose()
        .to_string();
    let mut checked = 0;

    for spec in rubrica::all_specs() {
        let service = spec.name;
        let mut tokens: Vec<(Option<Role>, Option<String>)> = vec![(None, None)];
        for role in Role::ALL {
            let token = if role == Role::Operator {
                operator.clone()
            } else {
                api_token(&app, &secretariat, service, role).await
            };
            tokens.push((Some(role), Some(token)));
        }
        for access in spec.access_table() {
            let path = access
                .path
                .split('/')
                .map(|part| {
                    if part.starts_with('{') {
                        "inexistente"
                    } else {
                        part
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let url = format!("{}{path}", app.url(service));
            for (role, token) in &tokens {
                let mut request = match access.method {
                    "GET" => app.client.get(&url),
                    "POST" => app.client.post(&url).json(&json!({})),
                    "PUT" => app.client.put(&url).json(&json!({})),
                    "PATCH" => app.client.patch(&url).json(&json!({})),
                    "DELETE" => app.client.delete(&url),
                    other => panic!("unexpected method {other}"),
                };
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                let detail = body["detail"].as_str().unwrap_or("");
                let by_table = status == 403 && detail.starts_with("No tiene permiso para");
                let allowed = match (access.allowed, role) {
                    (Allowed::Public, _) => true,
                    (Allowed::Roles(_), None) => false,
                    (Allowed::Roles(roles), Some(role)) => roles.contains(role),
                };
                let what = format!("{:?} {} /{service}{}", role, access.method, access.path);
                if allowed {
                    assert!(
                        !by_table && status != 401,
                        "{what} should be allowed: {status} {detail}"
                    );
                } else if role.is_none() {
                    assert_eq!(status, 401, "{what}: {detail}");
                    assert!(detail.contains("debe iniciar sesión"), "{what}: {detail}");
                } else {
                    assert!(
                        by_table,
                        "{what} should be refused by the table: {status} {detail}"
                    );
                    assert!(detail.contains(access.action), "{what}: {detail}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 9 * 5, "walked {checked} role × operation pairs");
    app.stop().await;
}

#[tokio::test]
async fn an_api_token_works_only_on_its_own_service() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn(&data).await;
    let secretariat = arrange_secretariat(&app).await;
    let token = api_token(&app, &secretariat, ServiceName::Mail, Role::President).await;

    let on_mail = app
        .client
        .get(format!("{}/audit", app.url(ServiceName::Mail)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let on_archive = app
        .client
        .get(format!("{}/audit", app.url(ServiceName::Archive)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();

    assert_eq!(on_mail.status(), 200);
    assert_eq!(on_archive.status(), 403);
    let problem: Problem = on_archive.json().await.unwrap();
    assert!(
        problem
            .detail
            .contains("solo sirve para el servicio «mail»"),
        "{}",
        problem.detail
    );
    app.stop().await;
}

async fn chain(app: &TestApp) -> Value {
    app.client
        .get(format!(
            "{}/audit/verify",
            app.url(ServiceName::Secretariat)
        ))
        .bearer_auth(
            app.settings
                .auth
                .operator_token
                .as_ref()
                .map(|s| s.expose())
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_audit_chain_detects_a_deleted_or_modified_entry() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn(&data).await;
        let secretariat = arrange_secretariat(&app).await;
        for role in [
            Role::Titular,
            Role::Enlace,
            Role::Suplente,
            Role::Facilitator,
        ] {
            api_token(&app, &secretariat, ServiceName::Secretariat, role).await;
        }
        let (status, _) = fiel_login(&app, &credential("maria")).await;
        assert_eq!(status, 200);

        let intact = chain(&app).await;
        assert_eq!(intact["ok"], true, "{intact} on {}", backend.label());
        assert_eq!(intact["entries"], 5);
        let entries: Value = app
            .client
            .get(format!("{}/audit", app.url(ServiceName::Secretariat)))
            .bearer_auth(
                app.settings
                    .auth
                    .operator_token
                    .as_ref()
                    .map(|s| s.expose())
                    .unwrap(),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(entries[0]["action"], "acceso.token_api_creado");
        assert_eq!(entries[0]["actor_id"], "operador");
        assert_eq!(entries[4]["action"], "acceso.inicio_fiel");
        assert_eq!(entries[4]["role"], "presidente");
        assert!(entries[4]["request_id"].is_string());

        let db = app.context(ServiceName::Secretariat).db.pool();
        sqlx::query("UPDATE audit_log SET actor_name = 'otra persona' WHERE seq = 2")
            .execute(db)
            .await
            .unwrap();
        let modified = chain(&app).await;
        assert_eq!(modified["ok"], false);
        assert_eq!(modified["broken_at"], 2);
        assert!(
            modified["explanation"]
                .as_str()
                .unwrap()
                .contains("modificada")
        );

        sqlx::query("DELETE FROM audit_log WHERE seq = 2")
            .execute(db)
            .await
            .unwrap();
        let deleted = chain(&app).await;
        assert_eq!(deleted["ok"], false);
        assert_eq!(deleted["broken_at"], 2);
        assert!(
            deleted["explanation"]
                .as_str()
                .unwrap()
                .contains("eliminaron")
        );
        app.stop().await;
        data.cleanup().await;
    }
}

// The CLI runs as a child process that calls back into this test's server:
// a second worker thread keeps the server answering while this one waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_logs_in_with_a_fiel_and_verifies_an_audit_chain() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn(&data).await;
    arrange_secretariat(&app).await;
    let pki = test_pki();
    let session_file = data.dir.path().join("sesion.json");

    let login = std::process::Command::new(env!("CARGO_BIN_EXE_rubrica"))
        .args(["login", "--server", &format!("http://{}", app.address)])
        .arg("--cer")
        .arg(pki.join("maria.cer"))
        .arg("--key")
        .arg(pki.join("maria.key"))
        .arg("--password-file")
        .arg(pki.join("maria.password.txt"))
        .env("RUBRICA_SESSION_FILE", &session_file)
        .output()
        .unwrap();
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );
    let stdout = String::from_utf8_lossy(&login.stdout);
    assert!(
        stdout.contains("Sesión iniciada como MARÍA GONZÁLEZ RUIZ"),
        "{stdout}"
    );
    let stored: Value = serde_json::from_slice(&std::fs::read(&session_file).unwrap()).unwrap();
    let me = app
        .client
        .get(format!("{}/auth/me", app.url(ServiceName::Secretariat)))
        .bearer_auth(stored["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&session_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_rubrica"))
        .args(["audit", "verify", "--service", "secretariat"])
        .env("RUBRICA_DATA_DIR", data.dir.path())
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("íntegra"));

    sqlx::query("UPDATE audit_log SET details = '{}' WHERE seq = 1")
        .execute(app.context(ServiceName::Secretariat).db.pool())
        .await
        .unwrap();
    let broken = std::process::Command::new(env!("CARGO_BIN_EXE_rubrica"))
        .args(["audit", "verify", "--service", "secretariat"])
        .env("RUBRICA_DATA_DIR", data.dir.path())
        .output()
        .unwrap();
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stdout).contains("alterada"));
    app.stop().await;
}

#[test]
fn the_access_table_in_the_docs_matches_the_code() {
    let documented =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/access.md"))
            .unwrap_or_default();
    assert_eq!(
        documented,
        rubrica::commands::access::markdown(),
        "docs/access.md is stale: regenerate it with `cargo run -- access > docs/access.md`"
    );
}

#[tokio::test]
async fn api_tokens_expire_carry_only_their_creators_roles_end_with_them_and_cannot_make_tokens() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn(&data).await;
    let secretariat = arrange_secretariat(&app).await;
    let (status, session) = fiel_login(&app, &credential("maria")).await;
    assert_eq!(status, 200, "{session}");
    let president = session["token"].as_str().unwrap().to_string();
    let base = app.url(ServiceName::Secretariat);
    let create = |token: String, role: &'static str, valid_days: Value| {
        let app = &app;
        let base = base.clone();
        let secretariat = secretariat.clone();
        async move {
            let response = app
                .client
                .post(format!("{base}/auth/api-tokens"))
                .bearer_auth(token)
                .json(&json!({ "name": "portal", "secretariat_id": secretariat, "service": "secretariat", "role": role, "valid_days": valid_days }))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };

    // A role the President does not hold, no expiry, a too long one: refused.
    let (status, body) = create(president.clone(), "facilitador", json!(30)).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("rol que usted tenga"),
        "{body}"
    );
    let (status, body) = create(president.clone(), "presidente", Value::Null).await;
    assert_eq!(status, 422, "{body}");
    for days in [0, 366] {
        let (status, body) = create(president.clone(), "presidente", json!(days)).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["detail"].as_str().unwrap().contains("1 a 365"),
            "{body}"
        );
    }
    let (status, created) = create(president.clone(), "presidente", json!(30)).await;
    assert_eq!(status, 201, "{created}");
    let expires_at = created["expires_at"].as_i64().unwrap();
    let in_30_days = rubrica_platform::db::now_ms() + 30 * 86_400_000;
    assert!((in_30_days - expires_at).abs() < 60_000, "{created}");
    let token = created["token"].as_str().unwrap().to_string();
    let me = |token: String| {
        let request = app.client.get(format!("{base}/auth/me")).bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(me(token.clone()).await, 200);

    // The token cannot make tokens, not even weaker ones.
    let (status, body) = create(token.clone(), "titular", json!(1)).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("no puede crear tokens"),
        "{body}"
    );

    // It ends when its creator's designation ends…
    let db = app.context(ServiceName::Secretariat).db.pool();
    sqlx::query("UPDATE designations SET ends_on = '2020-01-01' WHERE member_id = 'm-maria'")
        .execute(db)
        .await
        .unwrap();
    assert_eq!(me(token.clone()).await, 401);
    sqlx::query("UPDATE designations SET ends_on = NULL WHERE member_id = 'm-maria'")
        .execute(db)
        .await
        .unwrap();
    assert_eq!(me(token.clone()).await, 200);

    // …and on its expiry.
    sqlx::query("UPDATE api_tokens SET expires_at = 1")
        .execute(db)
        .await
        .unwrap();
    assert_eq!(me(token).await, 401);
    app.stop().await;
    data.cleanup().await;
}

#[tokio::test]
async fn expired_challenges_old_counters_and_ended_sessions_and_links_are_pruned() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn(&data).await;
    arrange_secretariat(&app).await;
    let (status, live) = fiel_login(&app, &credential("juan")).await;
    assert_eq!(status, 200, "{live}");
    let context = app.context(ServiceName::Secretariat);
    let db = context.db.pool();
    let now = rubrica_platform::db::now_ms();
    let long_ago = now - 60 * 86_400_000;
    for sql in [
        format!(
            "INSERT INTO auth_challenges (id, nonce_hash, created_at, expires_at) VALUES ('c-old', 'h-old', {long_ago}, {long_ago})"
        ),
        format!(
            "INSERT INTO auth_challenges (id, nonce_hash, created_at, expires_at) VALUES ('c-new', 'h-new', {now}, {})",
            now + 300_000
        ),
        format!("INSERT INTO auth_failures (key, at) VALUES ('ip:203.0.113.7', {long_ago})"),
        format!("INSERT INTO auth_failures (key, at) VALUES ('ip:203.0.113.8', {now})"),
        format!(
            "INSERT INTO auth_sessions (id, token_hash, member_id, method, created_at, expires_at) VALUES ('s-old', 't-old', 'm-juan', 'fiel', {long_ago}, {long_ago})"
        ),
        format!(
            "INSERT INTO auth_email_links (id, token_hash, member_id, created_at, expires_at, used_at) VALUES ('l-old', 'e-old', 'm-juan', {long_ago}, {long_ago}, {long_ago})"
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(db)
            .await
            .unwrap();
    }

    let pruned = rubrica_secretariat::auth::prune(context).await.unwrap();

    assert_eq!(
        pruned,
        rubrica_secretariat::auth::Pruned {
            challenges: 1,
            failures: 1,
            sessions: 1,
            links: 1
        }
    );
    let left = |table: &'static str| async move {
        let (n,): (i64,) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(db)
                .await
                .unwrap();
        n
    };
    // What is still live stays: the new challenge (and the one the login
    // used, spent but not yet expired), the recent counter, juan's session.
    assert_eq!(left("auth_challenges").await, 2);
    assert_eq!(
        left("auth_failures").await,
        2,
        "recent counter and the challenge count"
    );
    assert_eq!(left("auth_sessions").await, 1);
    let token = live["token"].as_str().unwrap();
    let me = app
        .client
        .get(format!("{}/auth/me", app.url(ServiceName::Secretariat)))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    app.stop().await;
    data.cleanup().await;
}

/// Runs `rubrica login` against `server` with maria's FIEL.
fn cli_login(server: &str, session_file: &Path) -> std::process::Output {
    let pki = test_pki();
    std::process::Command::new(env!("CARGO_BIN_EXE_rubrica"))
        .args(["login", "--server", server])
        .arg("--cer")
        .arg(pki.join("maria.cer"))
        .arg("--key")
        .arg(pki.join("maria.key"))
        .arg("--password-file")
        .arg(pki.join("maria.password.txt"))
        .env("RUBRICA_SESSION_FILE", session_file)
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_cli_signs_only_a_current_login_challenge_for_the_server_it_reached_and_never_over_clear_http()
 {
    let data = TestData::new(&TestBackend::Sqlite).await;
    // This server says members reach it at another address: to the CLI it
    // is a relay passing on another server's challenge.
    let app = spawn_tuned(&data, data.dir.path(), |settings| {
        settings.http.public_url = Some("https://rubrica.itei.example.mx".into());
    })
    .await;
    arrange_secretariat(&app).await;
    let session_file = data.dir.path().join("sesion.json");

    // The challenge is a Rúbrica login text naming the server and the time.
    let challenge: Value = app
        .client
        .post(format!(
            "{}/auth/challenge",
            app.url(ServiceName::Secretariat)
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = challenge["nonce"].as_str().unwrap();
    assert!(
        text.starts_with(
            "Rúbrica: inicio de sesión con e.firma\nservidor: https://rubrica.itei.example.mx\n"
        ),
        "{text}"
    );
    assert_eq!(challenge["origin"], "https://rubrica.itei.example.mx");

    let relayed = cli_login(&format!("http://{}", app.address), &session_file);
    assert!(!relayed.status.success());
    let stderr = String::from_utf8_lossy(&relayed.stderr);
    assert!(
        stderr.contains("El reto es para el servidor «https://rubrica.itei.example.mx»"),
        "{stderr}"
    );
    assert!(stderr.contains("no se firmó nada"), "{stderr}");
    assert!(!session_file.exists());
    // Nothing reached /auth/fiel: no login was attempted, none audited.
    let (logins,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM auth_sessions")
        .fetch_one(app.context(ServiceName::Secretariat).db.pool())
        .await
        .unwrap();
    assert_eq!(logins, 0);

    // Clear http:// to another machine is refused before connecting.
    let clear = cli_login("http://rubrica.itei.example.mx", &session_file);
    assert!(!clear.status.success());
    let stderr = String::from_utf8_lossy(&clear.stderr);
    assert!(stderr.contains("no es segura: use https://"), "{stderr}");
    app.stop().await;
    data.cleanup().await;
}

#[tokio::test]
async fn a_new_rfc_or_email_takes_effect_only_when_the_member_confirms_it() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn(&data).await;
    arrange_secretariat(&app).await;
    let base = app.url(ServiceName::Secretariat);
    let db = app.context(ServiceName::Secretariat).db.pool();
    let (status, session) = fiel_login(&app, &credential("maria")).await;
    assert_eq!(status, 200, "{session}");
    let president = session["token"].as_str().unwrap().to_string();
    let patch = |body: Value| {
        let request = app
            .client
            .patch(format!("{base}/members/m-juan"))
            .bearer_auth(&president)
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let juan_row = || async {
        sqlx::query_as::<_, (String, String)>("SELECT rfc, email FROM members WHERE id = 'm-juan'")
            .fetch_one(db)
            .await
            .unwrap()
    };

    // The President points juan's RFC at another person's FIEL: it waits,
    // and that person's login does not take juan's place.
    let (status, view) = patch(json!({ "rfc": "TODA900909EF3" })).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["rfc"], JUAN, "the record keeps the confirmed RFC");
    assert_eq!(view["pending_changes"][0]["field"], "rfc");
    assert_eq!(view["pending_changes"][0]["new_value"], "TODA900909EF3");
    let (status, refused) = fiel_login(&app, &credential("ana")).await;
    assert_eq!(status, 401, "{refused}");
    assert_eq!(juan_row().await.0, JUAN);

    // A typo fixed: juan's record had a wrong RFC; the correction is
    // confirmed by juan's own FIEL login (his certificate, his name).
    sqlx::query("UPDATE members SET rfc = 'PELJ750505CD9' WHERE id = 'm-juan'")
        .execute(db)
        .await
        .unwrap();
    let (status, view) = patch(json!({ "rfc": JUAN })).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["rfc"], "PELJ750505CD9");
    let (status, granted) = fiel_login(&app, &credential("juan")).await;
    assert_eq!(status, 200, "{granted}");
    assert_eq!(granted["caller"]["member_id"], "m-juan");
    assert_eq!(juan_row().await.0, JUAN);
    let juan_session = granted["token"].as_str().unwrap().to_string();

    // A new email: unchanged until the link mailed to the new address is used.
    let (status, view) = patch(json!({ "email": "juan.nuevo@example.test" })).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["email"], "juan@example.test");
    assert_eq!(juan_row().await.1, "juan@example.test");
    let token = mailed_token(&data, "juan.nuevo@example.test").await;
    let redeemed = app
        .client
        .post(format!("{base}/auth/email-link/redeem"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(redeemed.status(), 200);
    assert_eq!(juan_row().await.1, "juan.nuevo@example.test");
    // Confirming closed juan's earlier sessions.
    let me = app
        .client
        .get(format!("{base}/auth/me"))
        .bearer_auth(&juan_session)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);

    // All of it is in the audit log.
    let (requested, confirmed): (i64, i64) = sqlx::query_as(
        "SELECT SUM(CASE WHEN action = 'integrante.cambio_solicitado' THEN 1 ELSE 0 END),
                SUM(CASE WHEN action = 'integrante.cambio_confirmado' THEN 1 ELSE 0 END)
         FROM audit_log",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!((requested, confirmed), (3, 2));
    app.stop().await;
    data.cleanup().await;
}

#[tokio::test]
async fn a_president_reads_only_their_own_secretariat_s_audit_entries() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn(&data).await;
    arrange_secretariat(&app).await;
    let context = app.context(ServiceName::Secretariat);
    // Something done in another secretariat.
    let mut tx = context.begin().await.unwrap();
    let stranger = rubrica_platform::Caller {
        actor_id: "m-otro".into(),
        name: "PRESIDENCIA DE OTRO STL".into(),
        secretariat_id: Some("stl-otro".into()),
        ..rubrica_platform::Caller::public(None)
    };
    context
        .audit(
            &mut tx,
            &stranger,
            "integrante.corregir",
            Some("m-x"),
            json!({}),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (status, session) = fiel_login(&app, &credential("maria")).await;
    assert_eq!(status, 200, "{session}");
    let read = |token: String| {
        let request = app
            .client
            .get(format!("{}/audit", app.url(ServiceName::Secretariat)))
            .bearer_auth(token);
        async move {
            request
                .send()
                .await
                .unwrap()
                .json::<Vec<Value>>()
                .await
                .unwrap()
        }
    };

    let president = read(session["token"].as_str().unwrap().to_string()).await;
    let operator = read(
        app.settings
            .auth
            .operator_token
            .as_ref()
            .unwrap()
            .expose()
            .to_string(),
    )
    .await;

    assert!(!president.is_empty());
    assert!(
        president.iter().all(|e| e["actor_id"] != "m-otro"),
        "{president:?}"
    );
    assert!(
        president
            .iter()
            .any(|e| e["action"] == "acceso.inicio_fiel")
    );
    assert!(operator.iter().any(|e| e["actor_id"] == "m-otro"));
    assert!(operator.len() > president.len());
    app.stop().await;
    data.cleanup().await;
}

/// `rubrica audit verify --service secretariat` on the suite's data.
fn cli_audit_verify(data: &TestData) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rubrica"))
        .args(["audit", "verify", "--service", "secretariat"])
        .env("RUBRICA_DATA_DIR", data.dir.path())
        .output()
        .unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[tokio::test]
async fn a_chain_rewritten_from_the_start_or_cut_short_is_caught_by_its_anchor_in_the_archive() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn(&data).await;
    arrange_secretariat(&app).await;
    for who in ["maria", "juan"] {
        let (status, body) = fiel_login(&app, &credential(who)).await;
        assert_eq!(status, 200, "{body}");
    }
    let operator = app
        .settings
        .auth
        .operator_token
        .as_ref()
        .unwrap()
        .expose()
        .to_string();
    let anchored: Value = app
        .client
        .post(format!(
            "{}/audit/anchor",
            app.url(ServiceName::Secretariat)
        ))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(anchored["seq"], 2, "{anchored}");
    assert_eq!(anchored["servicio"], "secretariat");
    let (ok, said) = cli_audit_verify(&data);
    assert!(ok, "{said}");
    assert!(said.contains("Coincide con las 1 anclas"), "{said}");

    // Rewritten consistently from the first entry: the chain alone looks
    // intact, the anchored head does not match.
    let context = app.context(ServiceName::Secretariat);
    let db = context.db.pool();
    let mut entries = rubrica_platform::audit::list(&context.db, 0, 10)
        .await
        .unwrap();
    let mut prev = rubrica_platform::audit::GENESIS.to_string();
    for entry in &mut entries {
        if entry.seq == 1 {
            entry.actor_name = "OTRA PERSONA".into();
        }
        entry.prev_hash = prev.clone();
        entry.hash = entry.compute_hash();
        sqlx::query(
            "UPDATE audit_log SET actor_name = $1, prev_hash = $2, hash = $3 WHERE seq = $4",
        )
        .bind(&entry.actor_name)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .bind(entry.seq)
        .execute(db)
        .await
        .unwrap();
        prev = entry.hash.clone();
    }
    assert_eq!(chain(&app).await["ok"], true, "the chain alone cannot tell");
    let (ok, said) = cli_audit_verify(&data);
    assert!(!ok, "{said}");
    assert!(said.contains("fue reescrita"), "{said}");

    // Cut short: the anchored entry is gone.
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(db)
        .await
        .unwrap();
    assert_eq!(chain(&app).await["ok"], true, "the chain alone cannot tell");
    let (ok, said) = cli_audit_verify(&data);
    assert!(!ok, "{said}");
    assert!(said.contains("fue truncada"), "{said}");
    app.stop().await;
    data.cleanup().await;
}
