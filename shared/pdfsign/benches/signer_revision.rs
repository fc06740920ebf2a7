//! Benchmark: one signer's revision (prepare + RSA signature + complete,
//! in-process) on the real 20-page example acta
//! (`tests/fixtures/acta-20-paginas/`, rendered by `rubrica render` from
//! `templates/examples/acta-20-paginas.json`; `scripts/make-bench-acta`
//! renders it again) opened to its 9 attendees and already signed by 8 of
//! them, and in-process verification of the 9-signature acta with the full
//! change analysis. Prints median and p95; asserts nothing about time.
//!
//! The 9 signers' credentials come from the project's test PKI
//! (`tests/fixtures/make-test-pki.sh`, made afresh so they are always within
//! their dates), with the names and RFCs of the acta's layout manifest.
//!
//! Run: `cargo bench -p rubrica-pdfsign` (`scripts/bench` runs it beside the
//! whole-process benches). It leaves in `$CARGO_TARGET_TMPDIR/pdfsign-bench/`
//! the test PKI (`ca.pem`, `<id>.cer`, `<id>.key`, `<id>.key.pem`),
//! `signed-8.pdf` (the acta with 8 signatures) and `signed-9.pdf` (with 9),
//! for the whole-process comparisons (`rubrica verify` against `pdfsig`,
//! `rubrica sign` against pyHanko), and one line per measure starting with
//! `BENCH` for `scripts/bench` to read.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rubrica_fiel::{Credential, RevocationSource, TrustStore, Validator};
use rubrica_pdfsign::{
    LayoutManifest, PrepareOptions, Verdict, complete, make_signable, prepare, sign, verify,
};

/// The anchor of the issue: a signer's revision in ≤ 2 ms (median).
const TARGET_MS: f64 = 2.0;

fn main() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let acta = std::fs::read(fixtures.join("acta-20-paginas/acta.pdf")).expect("acta fixture");
    let layout = LayoutManifest::from_json(
        &std::fs::read(fixtures.join("acta-20-paginas/layout.json")).expect("layout fixture"),
    )
    .expect("layout");
    assert_eq!(layout.signers.len(), 9, "the example acta has 9 attendees");

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pdfsign-bench");
    let _ = std::fs::remove_dir_all(&dir);
    make_pki(&fixtures, &dir, &layout);
    let credentials: Vec<Credential> = layout
        .signers
        .iter()
        .map(|s| {
            Credential::from_files(
                dir.join(format!("{}.cer", s.signer.id)),
                dir.join(format!("{}.key", s.signer.id)),
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

    let mut pdf = make_signable(&acta, &layout).expect("signable");
    for c in &credentials[..8] {
        pdf = sign(&pdf, c, &PrepareOptions::now()).expect("sign");
    }
    let base = pdf;
    std::fs::write(dir.join("signed-8.pdf"), &base).expect("write");
    let ninth = &credentials[8];
    println!(
        "acta: {} pages, {} bytes; signable + 8 signatures: {} bytes",
        layout.page_count,
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
    let median_total = median(&mut t_total);
    println!(
        "signer's revision (prepare + RSA + complete), {iterations} runs: median {} (prepare {}, RSA {}, complete {}); p95 {}; min {}",
        ms(median_total),
        ms(median(&mut t_prepare)),
        ms(median(&mut t_rsa)),
        ms(median(&mut t_complete)),
        ms(percentile(&mut t_total, 0.95)),
        ms(*t_total.iter().min().expect("runs")),
    );
    println!(
        "BENCH signer_revision median_ms={:.3} p95_ms={:.3} anchor_ms={TARGET_MS} ratio={:.2}",
        median_total.as_secs_f64() * 1000.0,
        percentile(&mut t_total, 0.95).as_secs_f64() * 1000.0,
        median_total.as_secs_f64() * 1000.0 / TARGET_MS,
    );

    let report = verify(&last, &validator).expect("verify");
    assert_eq!(report.verdict, Verdict::Valid, "{}", report.summary);
    assert_eq!(report.signatures.len(), 9);
    let mut t_verify = Vec::new();
    for _ in 0..100 {
        let start = Instant::now();
        let r = verify(&last, &validator).expect("verify");
        t_verify.push(start.elapsed());
        assert_eq!(r.signatures.len(), 9);
    }
    println!(
        "verify in-process, 9 signatures with change analysis ({} bytes), 100 runs: median {}; p95 {}",
        last.len(),
        ms(median(&mut t_verify)),
        ms(percentile(&mut t_verify, 0.95)),
    );
    println!(
        "BENCH verify_in_process median_ms={:.3} p95_ms={:.3}",
        median(&mut t_verify).as_secs_f64() * 1000.0,
        percentile(&mut t_verify, 0.95).as_secs_f64() * 1000.0,
    );
    std::fs::write(dir.join("signed-9.pdf"), &last).expect("write");
    println!("BENCH files dir={}", dir.display());
}

/// The test PKI with one FIEL-like credential per attendee of the layout
/// (file stem = the signer's id; name and RFC from the manifest).
fn make_pki(fixtures: &Path, dir: &Path, layout: &LayoutManifest) {
    let mut cmd = Command::new("bash");
    cmd.arg(fixtures.join("make-test-pki.sh")).arg(dir);
    for s in &layout.signers {
        let rfc = &s.signer.rfc;
        // A CURP-shaped serial number: the RFC's first 10 characters and a
        // fixed tail (the signature code only reads the RFC).
        let curp: String = rfc.chars().take(10).chain("HJCXXX01".chars()).collect();
        cmd.arg(format!("{}:{}:{rfc}:{curp}", s.signer.id, s.signer.name));
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
