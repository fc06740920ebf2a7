//! `rubrica signable`, `rubrica sign` and `rubrica verify` as a facilitator
//! and members run them offline: the built binary on the example acta and a
//! test PKI made with openssl.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use rubrica_pdfsign::{LayoutManifest, SignerIdentity, example};
use serde_json::Value;

/// Members of the test PKI: file, name, RFC, CURP.
const MEMBERS: [(&str, &str, &str, &str); 4] = [
    (
        "maria",
        "MARIA GONZALEZ RUIZ",
        "GORM800101AB1",
        "GORM800101MDFNZR09",
    ),
    (
        "juan",
        "JUAN PEREZ LOPEZ",
        "PELJ750505CD2",
        "PELJ750505HDFRPN02",
    ),
    (
        "ana",
        "ANA TORRES DIAZ",
        "TODA900909EF3",
        "TODA900909MDFRZN05",
    ),
    // Has a FIEL but is not a signer of the acta.
    (
        "lucia",
        "LUCIA MENDEZ ROJAS",
        "MERL910214ST9",
        "MERL910214MJCNJC08",
    ),
];

/// A folder with the test PKI, the example acta and its layout (maria, juan
/// and ana sign), made once per run.
fn workdir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-pdf-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/make-test-pki.sh");
        let mut cmd = Command::new("bash");
        cmd.arg(&script).arg(&dir);
        for (f, n, r, c) in MEMBERS {
            cmd.arg(format!("{f}:{n}:{r}:{c}"));
        }
        let out = cmd.output().expect("make-test-pki.sh runs (bash, openssl)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let signers = MEMBERS[..3]
            .iter()
            .map(|(id, name, rfc, _)| SignerIdentity {
                id: (*id).into(),
                name: (*name).into(),
                seat: "Sociedad civil".into(),
                role: "Titular".into(),
                rfc: (*rfc).into(),
            })
            .collect();
        let layout = LayoutManifest::standard(4, example::A4, signers);
        std::fs::write(dir.join("acta.pdf"), example::acta(4)).unwrap();
        std::fs::write(
            dir.join("layout.json"),
            serde_json::to_vec_pretty(&layout).unwrap(),
        )
        .unwrap();
        dir
    })
}

fn rubrica(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rubrica"))
        .current_dir(workdir())
        .args(args)
        .output()
        .expect("the rubrica binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn sign_as(member: &str, input: &str, output: &str) -> Output {
    rubrica(&[
        "sign",
        "--in",
        input,
        "--out",
        output,
        "--cer",
        &format!("{member}.cer"),
        "--key",
        &format!("{member}.key"),
        "--password-file",
        &format!("{member}.password.txt"),
    ])
}

/// signable.pdf, then maria and juan sign: `two.pdf`.
fn two_signatures() -> &'static Path {
    static DONE: OnceLock<PathBuf> = OnceLock::new();
    DONE.get_or_init(|| {
        let o = rubrica(&[
            "signable",
            "--in",
            "acta.pdf",
            "--layout",
            "layout.json",
            "--out",
            "signable.pdf",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let o = sign_as("maria", "signable.pdf", "one.pdf");
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(text(&o).contains("Faltan 2 firmas"), "{}", text(&o));
        let o = sign_as("juan", "one.pdf", "two.pdf");
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(
            text(&o).contains("Falta 1 firma: ANA TORRES DIAZ."),
            "{}",
            text(&o)
        );
        workdir().join("two.pdf")
    })
}

#[test]
fn signable_then_sign_then_verify_with_the_trusted_ca_exits_0() {
    // Arrange
    two_signatures();

    // Act
    let o = rubrica(&["verify", "two.pdf", "--trust", "ca.pem"]);

    // Assert
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("Las 2 firmas son válidas"), "{out}");
    assert!(out.contains("falta 1 firma (ANA TORRES DIAZ)"), "{out}");
}

#[test]
fn verify_json_is_the_report_and_without_trust_it_is_indeterminate_exit_1() {
    two_signatures();
    let o = rubrica(&["verify", "two.pdf", "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let report: Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(report["verdict"], "indeterminate");
    assert_eq!(report["signatures"].as_array().unwrap().len(), 2);
    assert_eq!(
        report["signatures"][0]["checks"]["chain"]["outcome"],
        "indeterminate"
    );
    assert_eq!(report["record_complete"], false);
}

#[test]
fn a_flipped_byte_makes_verify_exit_1_and_garbage_exit_2() {
    let mut pdf = std::fs::read(two_signatures()).unwrap();
    let at = pdf
        .windows(15)
        .position(|w| w == b"Acta de ejemplo")
        .unwrap();
    pdf[at] = b'Z';
    std::fs::write(workdir().join("flipped.pdf"), &pdf).unwrap();
    let o = rubrica(&["verify", "flipped.pdf", "--trust", "ca.pem"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("alterado"), "{}", text(&o));

    std::fs::write(workdir().join("garbage.pdf"), b"no soy un PDF").unwrap();
    let o = rubrica(&["verify", "garbage.pdf"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no es un PDF válido"), "{}", text(&o));
    let o = rubrica(&["verify", "no-existe.pdf"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn sign_refuses_with_exit_2_and_a_spanish_message() {
    two_signatures();
    let cases = [
        ("csd", "signable.pdf", "Sello Digital"),
        ("expired", "signable.pdf", "venció"),
        ("lucia", "signable.pdf", "no corresponde a ningún firmante"),
        ("maria", "two.pdf", "ya firmó"),
    ];
    for (member, input, expected) in cases {
        let o = sign_as(member, input, "refused.pdf");
        assert_eq!(o.status.code(), Some(2), "{member}: {}", text(&o));
        assert!(text(&o).contains(expected), "{member}: {}", text(&o));
    }
    std::fs::write(workdir().join("wrong.txt"), "otra-contraseña").unwrap();
    let o = rubrica(&[
        "sign",
        "--in",
        "signable.pdf",
        "--out",
        "refused.pdf",
        "--cer",
        "ana.cer",
        "--key",
        "ana.key",
        "--password-file",
        "wrong.txt",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("contraseña"), "{}", text(&o));
    assert!(
        !workdir().join("refused.pdf").exists(),
        "nothing is written on a refusal"
    );
}

/// maria's signature in a `verify --json` report.
fn marias_signature(report: &Value) -> Value {
    report["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s.to_string().contains("MARIA GONZALEZ RUIZ"))
        .expect("maria's signature")
        .clone()
}

#[test]
fn verify_with_ocsp_asks_the_cas_responder_and_says_when_it_does_not_answer() {
    two_signatures();
    let dir = workdir();
    // The test CA's delegated responder, answering from its database, on a
    // loopback port ("ACCEPT …" on stdout once it listens).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut responder = Command::new("openssl")
        .current_dir(dir)
        .args([
            "ocsp",
            "-index",
            "revocation/index.txt",
            "-CA",
            "ca.pem",
            "-rsigner",
            "revocation/ocsp.pem",
            "-rkey",
            "revocation/ocsp.key.pem",
            "-port",
            &port.to_string(),
            "-ndays",
            "1",
            "-ignore_err",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl ocsp starts");
    let mut stdout = std::io::BufReader::new(responder.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert!(line.starts_with("ACCEPT"), "{line}");
    let url = format!("http://127.0.0.1:{port}/");

    // Act: maria was never revoked (juan may be, by another test).
    let answered = rubrica(&[
        "verify", "two.pdf", "--trust", "ca.pem", "--ocsp", &url, "--json",
    ]);
    let _ = responder.kill();
    let _ = responder.wait();
    let silent = rubrica(&[
        "verify", "two.pdf", "--trust", "ca.pem", "--ocsp", &url, "--json",
    ]);

    // Assert
    let report: Value = serde_json::from_slice(&answered.stdout).expect("JSON on stdout");
    let maria = marias_signature(&report);
    assert_eq!(
        maria["checks"]["revocation"]["outcome"], "passed",
        "{maria}"
    );
    assert!(
        maria["checks"]["revocation"]["explanation"]
            .as_str()
            .unwrap()
            .contains("OCSP"),
        "{maria}"
    );
    assert_eq!(maria["verdict"], "valid", "{maria}");
    let report: Value = serde_json::from_slice(&silent.stdout).expect("JSON on stdout");
    let maria = marias_signature(&report);
    assert_eq!(
        maria["checks"]["revocation"]["outcome"], "not_checked",
        "{maria}"
    );
    assert!(
        maria["checks"]["revocation"]["explanation"]
            .as_str()
            .unwrap()
            .contains("no se pudo consultar el servicio OCSP"),
        "{maria}"
    );
}

#[test]
fn verify_with_crl_checks_revocation_and_a_signer_revoked_after_an_unproven_time_is_indeterminate()
{
    two_signatures();

    // Without --crl the report says revocation was not checked.
    let o = rubrica(&["verify", "two.pdf", "--trust", "ca.pem", "--json"]);
    let report: Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(
        report["signatures"][0]["checks"]["revocation"]["outcome"], "not_checked",
        "{report}"
    );

    // The test CA's CRL lists only `revoked`: both signatures stay valid,
    // and now revocation was checked.
    let o = rubrica(&[
        "verify",
        "two.pdf",
        "--trust",
        "ca.pem",
        "--crl",
        "revocation/crl.pem",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    for signature in report["signatures"].as_array().unwrap() {
        assert_eq!(signature["checks"]["revocation"]["outcome"], "passed");
    }

    // juan's certificate is revoked after he signed. The signing time is only
    // declared (no timestamp), so the signature cannot be shown valid.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let dir = workdir();
    let openssl = |args: &[&str]| {
        let o = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .expect("openssl runs");
        assert!(o.status.success(), "{}", text(&o));
    };
    openssl(&[
        "x509", "-inform", "DER", "-in", "juan.cer", "-out", "juan.pem",
    ]);
    openssl(&[
        "ca",
        "-config",
        "revocation/ca.cnf",
        "-revoke",
        "juan.pem",
        "-crl_reason",
        "keyCompromise",
    ]);
    openssl(&[
        "ca",
        "-config",
        "revocation/ca.cnf",
        "-gencrl",
        "-out",
        "juan-revoked.crl",
    ]);
    let o = rubrica(&[
        "verify",
        "two.pdf",
        "--trust",
        "ca.pem",
        "--crl",
        "juan-revoked.crl",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("campo Firma_juan · INDETERMINADA"),
        "{}",
        text(&o)
    );
    let o = rubrica(&[
        "verify",
        "two.pdf",
        "--trust",
        "ca.pem",
        "--crl",
        "juan-revoked.crl",
        "--json",
    ]);
    let report: Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_ne!(report["verdict"], "valid", "{report}");
    let juan = report["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s.to_string().contains("JUAN PEREZ LOPEZ"))
        .expect("juan's signature");
    assert_eq!(juan["verdict"], "indeterminate", "{juan}");
    assert_eq!(
        juan["checks"]["revocation"]["outcome"], "indeterminate",
        "{juan}"
    );
    assert!(
        juan["checks"]["revocation"]["explanation"]
            .as_str()
            .unwrap()
            .contains("sin sello de tiempo"),
        "{juan}"
    );
}
