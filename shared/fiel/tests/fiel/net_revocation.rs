//! Revocation over the network: a real `openssl ocsp` responder and a CRL
//! served over HTTP, both on loopback, both with the test CA.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rubrica_fiel::{
    Certificate, FielError, Outcome, RevocationMethod, RevocationOptions, RevocationSource,
    RevocationStatus, TrustStore, Validator, Verdict,
};
use time::OffsetDateTime;

use crate::helpers::*;

fn pki_certificate(name: &str) -> Certificate {
    Certificate::from_file(test_pki().join(format!("{name}.cer"))).unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `openssl ocsp` answering from the test CA's database on a loopback port,
/// signing with `signer`/`key`; killed on drop.
pub struct OcspResponder {
    child: Child,
    /// Kept open: openssl would die writing to a closed pipe.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
    pub url: String,
}

impl OcspResponder {
    pub fn start(signer: &Path, key: &Path) -> Self {
        let pki = test_pki();
        let port = free_port();
        let mut child = Command::new("openssl")
            .arg("ocsp")
            .arg("-index")
            .arg(pki.join("revocation/index.txt"))
            .arg("-CA")
            .arg(pki.join("ca.pem"))
            .arg("-rsigner")
            .arg(signer)
            .arg("-rkey")
            .arg(key)
            .args(["-port", &port.to_string(), "-ndays", "1", "-ignore_err"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl ocsp starts (needs openssl)");
        // It prints "ACCEPT …" once it listens. (A connection opened and
        // closed to probe the port would wedge it: it serves one at a time.)
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        assert!(
            line.starts_with("ACCEPT"),
            "openssl ocsp did not listen: {line}"
        );
        Self {
            child,
            _stdout: stdout,
            url: format!("http://127.0.0.1:{port}/"),
        }
    }

    /// The test CA's delegated responder (`revocation/ocsp.pem`).
    pub fn delegated() -> Self {
        let pki = test_pki();
        Self::start(
            &pki.join("revocation/ocsp.pem"),
            &pki.join("revocation/ocsp.key.pem"),
        )
    }
}

impl Drop for OcspResponder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ocsp_validator(url: &str, required: bool) -> Validator {
    let trust = TrustStore::from_dir(test_ca_trust_dir().path()).unwrap();
    Validator::with_options(
        trust,
        &RevocationSource::Ocsp(url.to_owned()),
        RevocationOptions {
            network_timeout: Duration::from_secs(3),
            ..RevocationOptions::default()
        },
    )
    .unwrap()
    .require_revocation_check(required)
}

#[test]
fn ocsp_good_and_revoked_from_the_cas_delegated_responder() {
    // Arrange
    let responder = OcspResponder::delegated();
    let validator = ocsp_validator(&responder.url, true);
    let now = OffsetDateTime::now_utc();

    // Act
    let good = validator.validate(&pki_certificate("maria"), now);
    let revoked = validator.validate(&pki_certificate("revoked"), now);

    // Assert
    match &good.revocation_status {
        RevocationStatus::Good { method, source, .. } => {
            assert_eq!(*method, RevocationMethod::Ocsp);
            assert_eq!(source, &responder.url);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(good.revocation.outcome, Outcome::Passed);
    assert!(good.revocation.explanation.contains("OCSP"), "{good:#?}");
    assert_eq!(good.verdict, Verdict::Valid, "{good:#?}");
    match &revoked.revocation_status {
        RevocationStatus::Revoked { revoked_at, reason } => {
            assert!(*revoked_at <= now);
            assert_eq!(reason.as_deref(), Some("llave privada comprometida"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(revoked.verdict, Verdict::Invalid);
    assert!(matches!(
        revoked.ensure_valid(),
        Err(FielError::Revoked { .. })
    ));
}

#[test]
fn ocsp_answers_signed_by_the_ca_itself_count() {
    let pki = test_pki();
    let responder = OcspResponder::start(&pki.join("ca.pem"), &pki.join("ca.key.pem"));
    let validator = ocsp_validator(&responder.url, true);

    let report = validator.validate(&pki_certificate("ana"), OffsetDateTime::now_utc());

    assert!(
        matches!(
            report.revocation_status,
            RevocationStatus::Good {
                method: RevocationMethod::Ocsp,
                ..
            }
        ),
        "{report:#?}"
    );
    assert_eq!(report.verdict, Verdict::Valid);
}

#[test]
fn ocsp_answers_signed_by_a_stranger_or_by_a_non_ocsp_certificate_are_refused() {
    // Arrange: a self-signed stranger, and a certificate the CA issued for
    // something else (no id-kp-OCSPSigning).
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    sh(
        dir,
        r#"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout stranger.key -out stranger.pem -days 30 \
          -subj "/CN=OCSP AJENO/O=Nadie/C=MX" 2>/dev/null
        openssl req -new -newkey rsa:2048 -nodes -keyout plain.key -out plain.csr \
          -subj "/CN=SIN PERMISO OCSP/x500UniqueIdentifier=SINP800101AB1" 2>/dev/null
        openssl x509 -req -in plain.csr -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key.pem" -CAcreateserial \
          -CAserial ca.srl -days 30 -extfile "$PKI/ca.cnf" -extensions v3_fiel -out plain.pem 2>/dev/null
        "#,
    );
    let now = OffsetDateTime::now_utc();
    for (signer, key) in [("stranger.pem", "stranger.key"), ("plain.pem", "plain.key")] {
        let responder = OcspResponder::start(&dir.join(signer), &dir.join(key));
        // Even with revocation not required, an answer that is not the CA's
        // settles nothing, and is never "good".
        let validator = ocsp_validator(&responder.url, false);

        // Act
        let report = validator.validate(&pki_certificate("maria"), now);

        // Assert
        match &report.revocation_status {
            RevocationStatus::Unknown { reason } => {
                assert!(reason.contains("no está firmada"), "{signer}: {reason}")
            }
            other => panic!("{signer}: {other:?}"),
        }
        assert_eq!(report.revocation.outcome, Outcome::Indeterminate);
        assert_eq!(report.verdict, Verdict::Indeterminate, "{signer}");
    }
}

#[test]
fn an_ocsp_responder_that_is_down_means_not_checked_and_a_refusal_when_required() {
    // Arrange: nobody listens on this port.
    let url = format!("http://127.0.0.1:{}/", free_port());
    let maria = pki_certificate("maria");
    let now = OffsetDateTime::now_utc();

    // Act
    let lenient = ocsp_validator(&url, false).validate(&maria, now);
    let strict = ocsp_validator(&url, true).validate(&maria, now);

    // Assert
    match &lenient.revocation_status {
        RevocationStatus::NotChecked { reason } => {
            assert!(
                reason.contains("no se pudo consultar el servicio OCSP"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(lenient.revocation.outcome, Outcome::NotChecked);
    assert_eq!(lenient.verdict, Verdict::Valid);
    assert!(lenient.summary.contains("No se verificó la revocación"));
    assert_eq!(strict.verdict, Verdict::Indeterminate);
    assert!(matches!(
        strict.ensure_valid(),
        Err(FielError::RevocationUnknown { .. })
    ));
}

/// A one-file HTTP server on loopback: answers every request with the current
/// bytes, or 503 when there are none. Stops on drop.
struct CrlServer {
    body: Arc<Mutex<Option<Vec<u8>>>>,
    hits: Arc<Mutex<u32>>,
    stop: Arc<AtomicBool>,
    url: String,
}

impl CrlServer {
    fn start(body: Vec<u8>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/ac.crl", listener.local_addr().unwrap());
        let body = Arc::new(Mutex::new(Some(body)));
        let hits = Arc::new(Mutex::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (b, h, s) = (body.clone(), hits.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        stream
                            .set_read_timeout(Some(Duration::from_secs(2)))
                            .unwrap();
                        let mut request = Vec::new();
                        let mut buf = [0u8; 1024];
                        let end = loop {
                            if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                                break at + 4;
                            }
                            match stream.read(&mut buf) {
                                Ok(0) | Err(_) => break request.len(),
                                Ok(n) => request.extend_from_slice(&buf[..n]),
                            }
                        };
                        // Read the body too (an OCSP POST), so closing does not reset.
                        let head = String::from_utf8_lossy(&request[..end]).to_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        while request.len() < end + length {
                            match stream.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => request.extend_from_slice(&buf[..n]),
                            }
                        }
                        *h.lock().unwrap() += 1;
                        let current = b.lock().unwrap().clone();
                        let _ = match current {
                            Some(bytes) => stream
                                .write_all(
                                    format!(
                                        "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                        bytes.len()
                                    )
                                    .as_bytes(),
                                )
                                .and_then(|()| stream.write_all(&bytes)),
                            None => stream.write_all(
                                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                            ),
                        };
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Self {
            body,
            hits,
            stop,
            url,
        }
    }

    fn serve(&self, body: Option<Vec<u8>>) {
        *self.body.lock().unwrap() = body;
    }

    fn hits(&self) -> u32 {
        *self.hits.lock().unwrap()
    }
}

impl Drop for CrlServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A CRL of the test CA listing `names` (keyCompromise), valid `seconds`.
fn crl_listing(dir: &Path, names: &[&str], seconds: u32) -> Vec<u8> {
    let mut index = String::new();
    for name in names {
        let serial = hex::encode_upper(pki_certificate(name).serial());
        index.push_str(&format!(
            "R\t491231235959Z\t200101000000Z,keyCompromise\t{serial}\tunknown\t/CN={name}\n"
        ));
    }
    std::fs::write(dir.join("index"), index).unwrap();
    sh(
        dir,
        &format!(
            r#"
        echo 01 > crlnumber
        printf '[ca]\ndefault_ca=c\n[c]\ndatabase=index\ndefault_md=sha256\ncrlnumber=crlnumber\n' > crl.cnf
        openssl ca -gencrl -crlsec {seconds} -config crl.cnf -keyfile "$PKI/ca.key.pem" -cert "$PKI/ca.pem" -out test.pem 2>/dev/null
        openssl crl -in test.pem -outform DER -out test.crl
        "#
        ),
    );
    std::fs::read(dir.join("test.crl")).unwrap()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn crl_urls_are_downloaded_at_start_refreshed_and_kept_when_a_download_fails() {
    // Arrange: the CA publishes a CRL listing `revoked`.
    let work = tempfile::tempdir().unwrap();
    let server = CrlServer::start(crl_listing(work.path(), &["revoked"], 30 * 24 * 3600));
    let trust = TrustStore::from_dir(test_ca_trust_dir().path()).unwrap();
    let validator = Validator::with_options(
        trust,
        &RevocationSource::CrlUrls(vec![server.url.clone()]),
        RevocationOptions {
            network_timeout: Duration::from_secs(3),
            crl_refresh: Duration::from_secs(1),
        },
    )
    .unwrap()
    .require_revocation_check(true);
    let status = |name: &str| {
        validator
            .validate(&pki_certificate(name), OffsetDateTime::now_utc())
            .revocation_status
    };

    // Act & assert: downloaded at start.
    assert!(server.hits() >= 1);
    assert!(matches!(
        status("revoked"),
        RevocationStatus::Revoked { .. }
    ));
    match status("juan") {
        RevocationStatus::Good {
            method: RevocationMethod::Crl,
            source,
            ..
        } => assert_eq!(source, server.url),
        other => panic!("{other:?}"),
    }

    // The CA revokes juan: the next refresh picks it up.
    server.serve(Some(crl_listing(work.path(), &["revoked", "juan"], 4)));
    wait_for("juan's revocation to be downloaded", || {
        matches!(status("juan"), RevocationStatus::Revoked { .. })
    });

    // The CA's server fails: the last good CRL stays in use until its
    // nextUpdate (4 s), then "not listed" proves nothing any more.
    server.serve(None);
    let failing_since = server.hits();
    wait_for("a failed download", || server.hits() > failing_since);
    assert!(matches!(
        status("revoked"),
        RevocationStatus::Revoked { .. }
    ));
    wait_for("the kept CRL to expire", || {
        matches!(status("maria"), RevocationStatus::NotChecked { .. })
    });
    match status("maria") {
        RevocationStatus::NotChecked { reason } => {
            assert!(reason.contains("venció"), "{reason}");
            assert!(reason.contains("503"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let report = validator.validate(&pki_certificate("maria"), OffsetDateTime::now_utc());
    assert_eq!(report.verdict, Verdict::Indeterminate);
    // A revocation, once published, stays.
    assert!(matches!(status("juan"), RevocationStatus::Revoked { .. }));
}

#[test]
fn an_unreachable_crl_url_at_start_is_not_checked_not_a_start_up_error() {
    let url = format!("http://127.0.0.1:{}/ac.crl", free_port());
    let trust = TrustStore::from_dir(test_ca_trust_dir().path()).unwrap();
    let validator = Validator::with_options(
        trust,
        &RevocationSource::CrlUrls(vec![url]),
        RevocationOptions {
            network_timeout: Duration::from_secs(2),
            crl_refresh: Duration::from_secs(60),
        },
    )
    .unwrap();

    let report = validator.validate(&pki_certificate("maria"), OffsetDateTime::now_utc());

    match &report.revocation_status {
        RevocationStatus::NotChecked { reason } => {
            assert!(reason.contains("no se pudo descargar la CRL"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_replayed_ocsp_answer_is_refused_by_its_nonce_and_one_without_a_nonce_is_accepted_while_current()
 {
    // Arrange: real answers of the CA's delegated responder to requests made
    // earlier with openssl, one with its own nonce and one without any.
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    sh(
        dir,
        r#"
        openssl x509 -inform DER -in "$PKI/maria.cer" -out maria.pem
        openssl ocsp -issuer "$PKI/ca.pem" -cert maria.pem -reqout with-nonce.req >/dev/null 2>&1
        openssl ocsp -issuer "$PKI/ca.pem" -cert maria.pem -no_nonce -reqout no-nonce.req >/dev/null 2>&1
        for r in with-nonce no-nonce; do
          openssl ocsp -index "$PKI/revocation/index.txt" -CA "$PKI/ca.pem" \
            -rsigner "$PKI/revocation/ocsp.pem" -rkey "$PKI/revocation/ocsp.key.pem" \
            -reqin "$r.req" -respout "$r.resp" -ndays 1 >/dev/null 2>&1
        done
        "#,
    );
    let replayed = CrlServer::start(std::fs::read(dir.join("with-nonce.resp")).unwrap());
    let without = CrlServer::start(std::fs::read(dir.join("no-nonce.resp")).unwrap());
    let maria = pki_certificate("maria");
    let now = OffsetDateTime::now_utc();

    // Act
    let replay = ocsp_validator(&replayed.url, true).validate(&maria, now);
    let no_nonce = ocsp_validator(&without.url, true).validate(&maria, now);

    // Assert
    match &replay.revocation_status {
        RevocationStatus::Unknown { reason } => assert!(reason.contains("nonce"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(replay.verdict, Verdict::Indeterminate);
    assert!(
        matches!(
            no_nonce.revocation_status,
            RevocationStatus::Good {
                method: RevocationMethod::Ocsp,
                ..
            }
        ),
        "{no_nonce:#?}"
    );
}
