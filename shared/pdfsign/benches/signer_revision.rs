//! Benchmark: one signer's revision (prepare + RSA signature + complete,
//! in-process) on the 20-page example acta that already has 8 signatures, and
//! in-process verification of the 9-signature acta with the full change
//! analysis. Prints medians; asserts nothing.
//!
//! Run: `cargo bench -p rubrica-pdfsign`. It leaves `signed-9.pdf` and
//! `ca.pem` in `$CARGO_TARGET_TMPDIR/pdfsign-bench/` to compare
//! `rubrica verify` with `pdfsig` as whole processes, e.g.:
//! `hyperfine -N 'rubrica verify signed-9.pdf --trust ca.pem' 'pdfsig signed-9.pdf'`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rubrica_fiel::{Credential, RevocationSource, TrustStore, Validator};
use rubrica_pdfsign::{
    LayoutManifest, PrepareOptions, SignerIdentity, Verdict, complete, example, make_signable,
    prepare, sign, verify,
};

const MEMBERS: [(&str, &str, &str, &str); 9] = [
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
    (
        "luis",
        "LUIS HERNANDEZ MORA",
        "HEML820315GH4",
        "HEML820315HJCRRS07",
    ),
    (
        "sofia",
        "SOFIA RAMIREZ CASTRO",
        "RACS880720JK5",
        "RACS880720MJCMST03",
    ),
    (
        "jose",
        "JOSE ALVAREZ PENA",
        "AAPJ850412LM6",
        "AAPJ850412HJCLXS01",
    ),
    (
        "carmen",
        "CARMEN VEGA SOLIS",
        "VESC790101NP7",
        "VESC790101MJCGLR04",
    ),
    (
        "raul",
        "RAUL ORTIZ LUNA",
        "OILR860606QR8",
        "OILR860606HJCRNL06",
    ),
    (
        "lucia",
        "LUCIA MENDEZ ROJAS",
        "MERL910214ST9",
        "MERL910214MJCNJC08",
    ),
];

fn main() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pdfsign-bench");
    let _ = std::fs::remove_dir_all(&dir);
    make_pki(&dir);
    let credentials: Vec<Credential> = MEMBERS
        .iter()
        .map(|(f, ..)| {
            Credential::from_files(
                dir.join(format!("{f}.cer")),
                dir.join(format!("{f}.key")),
                "12345678a",
            )
            .expect("credential")
        })
        .collect();
    let validator = Validator::new(
        TrustStore::from_path(dir.join("ca.pem")).expect("CA"),
        &RevocationSource::NotConfigured,
    )
    .expect("validator");

    let identities = MEMBERS
        .iter()
        .map(|(id, name, rfc, _)| SignerIdentity {
            id: (*id).into(),
            name: (*name).into(),
            seat: "Asiento".into(),
            role: "Titular".into(),
            rfc: (*rfc).into(),
        })
        .collect();
    let acta = example::acta(20);
    let layout = LayoutManifest::standard(20, example::A4, identities);
    let mut pdf = make_signable(&acta, &layout).expect("signable");
    for c in &credentials[..8] {
        pdf = sign(&pdf, c, &PrepareOptions::now()).expect("sign");
    }
    let base = pdf;
    let ninth = &credentials[8];
    println!(
        "acta: {} bytes; signable + 8 signatures: {} bytes",
        acta.len(),
        base.len()
    );

    let iterations = 300;
    let options = PrepareOptions::now();
    let (mut t_prepare, mut t_rsa, mut t_complete, mut t_total) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut last = Vec::new();
    for _ in 0..iterations {
        let start = Instant::now();
        let prepared = prepare(&base, ninth.certificate(), &options).expect("prepare");
        let a = Instant::now();
        let value = ninth.sign_sha256(&prepared.to_sign).expect("rsa");
        let b = Instant::now();
        last = complete(&prepared.state, &value).expect("complete");
        let end = Instant::now();
        t_prepare.push(a - start);
        t_rsa.push(b - a);
        t_complete.push(end - b);
        t_total.push(end - start);
    }
    println!(
        "signer's revision (prepare + RSA + complete), {iterations} runs: median {} (prepare {}, RSA {}, complete {}); p90 {}; min {}",
        ms(median(&mut t_total)),
        ms(median(&mut t_prepare)),
        ms(median(&mut t_rsa)),
        ms(median(&mut t_complete)),
        ms(percentile(&mut t_total, 0.9)),
        ms(*t_total.iter().min().expect("runs")),
    );

    let report = verify(&last, &validator).expect("verify");
    assert_eq!(report.verdict, Verdict::Valid, "{}", report.summary);
    let mut t_verify = Vec::new();
    for _ in 0..100 {
        let start = Instant::now();
        let r = verify(&last, &validator).expect("verify");
        t_verify.push(start.elapsed());
        assert_eq!(r.signatures.len(), 9);
    }
    println!(
        "verify in-process, 9 signatures with change analysis ({} bytes), 100 runs: median {}",
        last.len(),
        ms(median(&mut t_verify))
    );
    std::fs::write(dir.join("signed-9.pdf"), &last).expect("write");
    println!(
        "files for the whole-process comparison: {}",
        dir.join("signed-9.pdf").display()
    );
}

fn make_pki(dir: &Path) {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/make-test-pki.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(script).arg(dir);
    for (f, n, r, c) in MEMBERS {
        cmd.arg(format!("{f}:{n}:{r}:{c}"));
    }
    let out = cmd.output().expect("make-test-pki.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn median(v: &mut [Duration]) -> Duration {
    percentile(v, 0.5)
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}
