//! A malformed-input corpus sent over HTTP to the public endpoints of a
//! running suite: truncated and garbage PDFs, a ZIP bomb, PDFs whose
//! cross-reference stream or nesting would exhaust memory, garbage and
//! truncated certificates and keys where a certificate is expected, broken
//! JSON, and path-traversal names in the paths. Every answer must be a 4xx
//! `application/problem+json` in Spanish, nothing may be stored, and memory
//! must stay flat.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rubrica_platform::ServiceName;
use rubrica_platform::testing::TestBackend;
use serde_json::{Value, json};

use crate::access::test_pki;
use crate::helpers::{TestApp, TestData, spawn_suite};

#[path = "../../shared/pdfsign/tests/hostile/mod.rs"]
mod hostile;

/// One request of the corpus.
struct Case {
    what: String,
    method: reqwest::Method,
    url: String,
    content_type: &'static str,
    body: Vec<u8>,
}

fn pdf_cases() -> Vec<(String, Vec<u8>)> {
    let acta = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acta-20-paginas/acta.pdf"),
    )
    .unwrap();
    let mut cases = vec![
        ("un PDF vacío".to_owned(), Vec::new()),
        ("basura".to_owned(), b"\x00\xffno soy un PDF\n".repeat(100)),
        ("solo la cabecera".to_owned(), b"%PDF-1.7\n".to_vec()),
        (
            "un acta truncada a la mitad".to_owned(),
            acta[..acta.len() / 2].to_vec(),
        ),
        (
            "un acta sin su final".to_owned(),
            acta[..acta.len() - 30].to_vec(),
        ),
    ];
    // A ZIP whose one member inflates to 64 MiB of zeros.
    cases.push(("una bomba ZIP".to_owned(), zip_bomb(64 * 1024 * 1024)));
    // The reader-limit PDFs: an xref stream claiming fifty million objects,
    // and an array nested ten thousand levels.
    let mut pdf = hostile::Pdf::new();
    hostile::one_page(&mut pdf);
    let at = pdf.stream(
        4,
        "/Type/XRef/Size 50000000/W[1 0 0]/Root 1 0 R/Filter/FlateDecode",
        &hostile::zeros(50_000_000),
    );
    for _ in 0..9 {
        pdf.eof(at);
    }
    cases.push(("una bomba de referencias cruzadas".to_owned(), pdf.bytes));
    let mut pdf = hostile::Pdf::new();
    let mut objects = hostile::one_page(&mut pdf);
    let deep = format!(
        "<</Type/Catalog/Pages 2 0 R/Deep {}{}>>",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    objects[0].1 = pdf.object(1, deep.as_bytes());
    pdf.xref_table(&objects, "/Size 4/Root 1 0 R");
    cases.push(("un PDF anidado diez mil niveles".to_owned(), pdf.bytes));
    cases
}

/// A one-member ZIP (deflate) that inflates to `size` zero bytes.
fn zip_bomb(size: u32) -> Vec<u8> {
    // The zlib stream minus its 2-byte header and 4-byte checksum is the raw
    // deflate data a ZIP holds.
    let zlib = hostile::zeros(size as usize);
    let deflate = &zlib[2..zlib.len() - 4];
    let crc = {
        // CRC-32 of `size` zeros, computed without holding them.
        let mut table = [0u32; 256];
        for (i, slot) in table.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        let mut crc = 0xFFFF_FFFFu32;
        for _ in 0..size {
            crc = table[(crc & 0xFF) as usize] ^ (crc >> 8);
        }
        !crc
    };
    let name = b"../../etc/ceros.pdf";
    let mut zip = Vec::new();
    let header = |zip: &mut Vec<u8>, central: bool| {
        if central {
            zip.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            zip.extend_from_slice(&20u16.to_le_bytes());
        } else {
            zip.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        }
        zip.extend_from_slice(&20u16.to_le_bytes()); // version needed
        zip.extend_from_slice(&0u16.to_le_bytes()); // flags
        zip.extend_from_slice(&8u16.to_le_bytes()); // deflate
        zip.extend_from_slice(&0u32.to_le_bytes()); // time, date
        zip.extend_from_slice(&crc.to_le_bytes());
        zip.extend_from_slice(&(deflate.len() as u32).to_le_bytes());
        zip.extend_from_slice(&size.to_le_bytes());
        zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
        zip.extend_from_slice(&0u16.to_le_bytes()); // extra
        if central {
            zip.extend_from_slice(&[0; 8]); // comment, disk, attributes
            zip.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            zip.extend_from_slice(&0u32.to_le_bytes()); // local header offset
        }
        zip.extend_from_slice(name);
    };
    header(&mut zip, false);
    zip.extend_from_slice(deflate);
    let central_at = zip.len();
    header(&mut zip, true);
    let central_len = zip.len() - central_at;
    zip.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    zip.extend_from_slice(&[0; 4]);
    zip.extend_from_slice(&1u16.to_le_bytes());
    zip.extend_from_slice(&1u16.to_le_bytes());
    zip.extend_from_slice(&(central_len as u32).to_le_bytes());
    zip.extend_from_slice(&(central_at as u32).to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip
}

fn corpus(app: &TestApp) -> Vec<Case> {
    let secretariat = app.url(ServiceName::Secretariat);
    let signing = app.url(ServiceName::Signing);
    let archive = app.url(ServiceName::Archive);
    let case = |what: String, method: reqwest::Method, url: String, ct, body: Vec<u8>| Case {
        what,
        method,
        url,
        content_type: ct,
        body,
    };
    let mut cases = Vec::new();

    // PDFs where PDFs are verified.
    for (what, pdf) in pdf_cases() {
        cases.push(case(
            format!("{what} en /archive/verify/pdf"),
            reqwest::Method::POST,
            format!("{archive}/verify/pdf"),
            "application/pdf",
            pdf.clone(),
        ));
        cases.push(case(
            format!("{what} en /signing/verify"),
            reqwest::Method::POST,
            format!("{signing}/verify"),
            "application/json",
            serde_json::to_vec(&json!({ "pdf_base64": BASE64.encode(&pdf) })).unwrap(),
        ));
    }

    // Certificates and keys where a certificate is expected.
    let pki = test_pki();
    let cer = std::fs::read(pki.join("maria.cer")).unwrap();
    let key = std::fs::read(pki.join("maria.key")).unwrap();
    let certificates: Vec<(&str, Vec<u8>)> = vec![
        ("un certificado truncado", cer[..cer.len() / 2].to_vec()),
        ("una llave privada", key.clone()),
        ("basura", b"-----BEGIN CERTIFICATE-----\nAAAA\n".to_vec()),
        ("nada", Vec::new()),
    ];
    for (what, der) in certificates {
        cases.push(case(
            format!("{what} como certificado en /auth/fiel"),
            reqwest::Method::POST,
            format!("{secretariat}/auth/fiel"),
            "application/json",
            serde_json::to_vec(&json!({
                "nonce": "no-es-un-reto",
                "certificate": BASE64.encode(&der),
                "signature": BASE64.encode(&key[..64]),
            }))
            .unwrap(),
        ));
    }

    // Broken JSON and wrong shapes.
    let bodies: Vec<(&str, &[u8])> = vec![
        ("JSON truncado", b"{\"nonce\": \"abc"),
        ("JSON de otro tipo", b"[1, 2, 3]"),
        ("campos con tipos equivocados", b"{\"nonce\": 5, \"certificate\": [], \"signature\": null, \"email\": {}, \"token\": 7, \"sha256\": false, \"pdf_base64\": 3}"),
        ("texto que no es JSON", b"hola"),
        ("base64 inválido", b"{\"nonce\":\"x\",\"certificate\":\"!!!\",\"signature\":\"***\",\"pdf_base64\":\"%%%\",\"sha256\":\"zz\",\"email\":\"no-es-correo\",\"token\":\"../../etc/passwd\"}"),
    ];
    for path in [
        format!("{secretariat}/auth/fiel"),
        format!("{secretariat}/auth/email-link"),
        format!("{secretariat}/auth/email-link/redeem"),
        format!("{signing}/verify"),
        format!("{archive}/verify/hash"),
    ] {
        for (what, body) in &bodies {
            cases.push(case(
                format!("{what} en {path}"),
                reqwest::Method::POST,
                path.clone(),
                "application/json",
                body.to_vec(),
            ));
        }
    }

    // Path traversal and garbage in the paths and queries.
    for url in [
        format!("{archive}/records/..%2F..%2Fetc%2Fpasswd"),
        format!("{archive}/records/zz"),
        format!("{archive}/objects/..%2F..%2Fetc%2Fpasswd"),
        format!("{archive}/objects/{}", "0".repeat(64)),
        format!("{archive}/open-data/..%2F..%2Fetc%2Fpasswd"),
        format!("{archive}/open-data/%2E%2E"),
        format!("{archive}/log/inclusion?index=-1&size=abc"),
        format!("{archive}/log/consistency?first=9&second=1"),
        format!("{archive}/log/entries?start=-5&limit=999999999999"),
        format!("{secretariat}/public/inquiries/..%2F..%2Fetc"),
    ] {
        cases.push(case(
            format!("GET {url}"),
            reqwest::Method::GET,
            url,
            "application/json",
            Vec::new(),
        ));
    }
    cases
}

/// Rows of every table of every service, and the files under the data
/// folder that are not databases.
async fn stored(app: &TestApp, data_dir: &Path) -> BTreeMap<String, i64> {
    let mut stored = BTreeMap::new();
    for service in ServiceName::ALL {
        let db = app.context(service).db.pool();
        let tables: Vec<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(db)
        .await
        .unwrap();
        for (table,) in tables {
            // Failed logins are counted per client address on purpose.
            if table == "auth_failures" {
                continue;
            }
            let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM \"{table}\""
            )))
            .fetch_one(db)
            .await
            .unwrap();
            stored.insert(format!("{service}.{table}"), n);
        }
    }
    let mut stack = vec![data_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = path.to_string_lossy().to_string();
            if path.is_dir() {
                stack.push(path);
            } else if !(name.contains(".db") || name.contains(".sqlite") || name.ends_with(".log"))
            {
                let len = entry.metadata().map_or(0, |m| m.len());
                stored.insert(name, len as i64);
            }
        }
    }
    stored
}

/// Whether `text` reads as Spanish (the service's own words, not a
/// framework's English).
fn spanish(text: &str) -> bool {
    let lower = text.to_lowercase();
    [
        " el ", " la ", " de ", " no ", " un ", " una ", " es ", " que ", " los ", " las ",
        "revise", "envíe", "válid",
    ]
    .iter()
    .any(|w| format!(" {lower} ").contains(w))
}

#[tokio::test]
async fn a_malformed_input_corpus_gets_only_spanish_4xx_problems_stores_nothing_and_keeps_memory_flat()
 {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn_suite(&data).await;
    let cases = corpus(&app);
    let before = stored(&app, data.dir.path()).await;
    let rss_before = hostile::peak_rss();

    let mut failures = Vec::new();
    for case in &cases {
        let response = app
            .client
            .request(case.method.clone(), &case.url)
            .header("content-type", case.content_type)
            .body(case.body.clone())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let detail = body["detail"].as_str().unwrap_or_default();
        if !status.is_client_error()
            || content_type != "application/problem+json"
            || !spanish(detail)
        {
            failures.push(format!("{}: {status} {content_type} {body}", case.what));
        }
    }

    assert!(
        failures.is_empty(),
        "{} of {} answers were not a 4xx Spanish problem:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 50, "{} cases", cases.len());
    assert_eq!(
        stored(&app, data.dir.path()).await,
        before,
        "nothing is stored"
    );
    if let (Some(before), Some(after)) = (rss_before, hostile::peak_rss()) {
        assert!(
            after < before + 256 * 1024 * 1024,
            "peak memory grew from {} MiB to {} MiB",
            before >> 20,
            after >> 20
        );
    }
    app.stop().await;
    data.cleanup().await;
}
