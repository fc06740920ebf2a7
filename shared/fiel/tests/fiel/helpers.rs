//! Test helpers: SAT fixtures, the openssl-made test PKI, PEM wrapping.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use rubrica_fiel::{Certificate, Credential};

/// The SAT test credentials' password (also in each folder's password.txt).
pub const PASSWORD: &str = "12345678a";

/// The repository's `tests/fixtures` (the crate is `shared/fiel`).
pub fn fixtures_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    assert!(
        dir.join("sat-test-certs").is_dir(),
        "SAT test fixtures not found at {}: these tests need the fixtures folder \
         (tests/fixtures/sat-test-certs and tests/fixtures/make-test-pki.sh in the repository)",
        dir.display()
    );
    dir
}

/// One of the SAT test credential folders, e.g. `FIEL_EKU9003173C9`.
pub fn sat_dir(name: &str) -> PathBuf {
    fixtures_dir().join("sat-test-certs").join(name)
}

/// The `.cer` bytes of a SAT test credential.
pub fn sat_cer(name: &str) -> Vec<u8> {
    std::fs::read(sat_dir(name).join("certificate.cer")).expect("reading certificate.cer")
}

/// The `.key` bytes of a SAT test credential.
pub fn sat_key(name: &str) -> Vec<u8> {
    std::fs::read(sat_dir(name).join("private_key.key")).expect("reading private_key.key")
}

/// The password as stored next to the credential (checks password.txt agrees).
pub fn sat_password(name: &str) -> Vec<u8> {
    let stored = std::fs::read(sat_dir(name).join("password.txt")).expect("reading password.txt");
    assert_eq!(stored, PASSWORD.as_bytes());
    stored
}

/// Parses a SAT test certificate.
pub fn sat_certificate(name: &str) -> Certificate {
    Certificate::from_der(&sat_cer(name)).expect("parsing a SAT test certificate")
}

/// Opens a SAT test credential (certificate + decrypted key).
pub fn sat_credential(name: &str) -> Credential {
    Credential::open(&sat_cer(name), &sat_key(name), sat_password(name))
        .expect("opening a SAT test credential")
}

/// The test PKI made by `make-test-pki.sh`, generated once per test run.
pub fn test_pki() -> &'static Path {
    static PKI: OnceLock<PathBuf> = OnceLock::new();
    PKI.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
        remove_stale_pkis(base);
        let dir = base.join(format!("fiel-test-pki-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let script = fixtures_dir().join("make-test-pki.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg(&dir)
            .output()
            .expect("running make-test-pki.sh (needs bash and openssl)");
        assert!(
            out.status.success(),
            "make-test-pki.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

/// PKIs from earlier runs (a static is never dropped, so each run leaves one).
fn remove_stale_pkis(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    for entry in entries.flatten() {
        let name = entry.file_name();
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < hour_ago);
        if name.to_string_lossy().starts_with("fiel-test-pki-") && stale {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A folder holding only the test CA (`ca.cer`), as an operator would configure it.
pub fn test_ca_trust_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(test_pki().join("ca.cer"), dir.path().join("ca.cer")).unwrap();
    dir
}

/// Runs a bash script in `dir` (openssl commands, mostly), with `$PKI` set to the
/// test PKI folder and `$PASS` to the password; panics with its stderr on failure.
pub fn sh(dir: &Path, script: &str) {
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(dir)
        .env("PKI", test_pki())
        .env("PASS", PASSWORD)
        .output()
        .expect("running bash");
    assert!(
        out.status.success(),
        "script failed:\n{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Wraps DER in PEM armour.
pub fn pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
