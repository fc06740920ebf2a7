//! Independent validators on the 20-page acta signed by 9 members.

use crate::helpers::{self, available, extract_signatures, run, signed_acta};

#[test]
fn pdfsig_says_every_one_of_the_nine_signatures_is_valid() {
    let acta = signed_acta();
    let path = acta.signed_path();
    let (ok, out) = run("pdfsig", &[path.to_str().unwrap()]);
    assert!(ok, "pdfsig failed:\n{out}");
    // pdfsig exits 0 even on a digest mismatch: read what it says.
    let valid = out
        .matches("Signature Validation: Signature is Valid.")
        .count();
    println!("pdfsig: {valid} × «Signature Validation: Signature is Valid.»");
    assert_eq!(valid, 9, "pdfsig output:\n{out}");
    assert!(!out.contains("Digest Mismatch"), "{out}");
    assert!(
        !out.contains("not signed"),
        "unsigned fields reported:\n{out}"
    );
    for (_, name, ..) in helpers::MEMBERS {
        let plain: String = name
            .chars()
            .map(|c| match c {
                'Á' => 'A',
                'É' => 'E',
                'Í' => 'I',
                'Ó' => 'O',
                'Ú' => 'U',
                'Ñ' => 'N',
                o => o,
            })
            .collect();
        assert!(
            out.contains(&format!("Signer Certificate Common Name: {plain}")),
            "{plain} missing:\n{out}"
        );
    }
    assert!(out.contains("Signature Type: ETSI.CAdES.detached"), "{out}");
    assert!(out.contains("Signed Ranges:"), "{out}");
}

#[test]
fn pdfsig_trusts_the_certificates_with_the_test_ca_in_an_nss_database() {
    if !available("certutil") {
        eprintln!(
            "certutil (libnss3-tools) not installed: trust not checked with pdfsig, validity is checked by the other test"
        );
        return;
    }
    let acta = signed_acta();
    let db = acta.dir.join("nssdb");
    let _ = std::fs::remove_dir_all(&db);
    std::fs::create_dir_all(&db).unwrap();
    let sql = format!("sql:{}", db.display());
    let (ok, out) = run("certutil", &["-N", "-d", &sql, "--empty-password"]);
    assert!(ok, "{out}");
    let ca = helpers::pki().join("ca.pem");
    let (ok, out) = run(
        "certutil",
        &[
            "-A",
            "-d",
            &sql,
            "-n",
            "rubrica-test-ca",
            "-t",
            "CT,C,C",
            "-i",
            ca.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = run(
        "pdfsig",
        &["-nssdir", &sql, acta.signed_path().to_str().unwrap()],
    );
    assert!(ok, "{out}");
    let valid = out
        .matches("Signature Validation: Signature is Valid.")
        .count();
    let trusted = out
        .matches("Certificate Validation: Certificate is Trusted.")
        .count();
    println!(
        "pdfsig -nssdir: {valid} × «Signature is Valid.», {trusted} × «Certificate is Trusted.»"
    );
    assert_eq!(valid, 9, "{out}");
    assert_eq!(trusted, 9, "{out}");
}

#[test]
fn qpdf_check_passes_on_the_acta_at_every_stage() {
    let acta = signed_acta();
    let mut stages = vec![("signable.pdf", acta.signable.clone())];
    stages.push(("after-1.pdf", acta.stages[0].clone()));
    stages.push(("signed.pdf", acta.signed().to_vec()));
    for (name, bytes) in stages {
        let path = helpers::write(&format!("qpdf-{name}"), &bytes);
        let (ok, out) = run("qpdf", &["--check", path.to_str().unwrap()]);
        assert!(ok, "qpdf --check {name}:\n{out}");
        assert!(
            out.contains("No syntax or stream encoding errors found"),
            "{name}:\n{out}"
        );
        println!(
            "qpdf --check {name}: {}",
            out.lines().last().unwrap_or_default()
        );
    }
}

#[test]
fn openssl_cms_verifies_each_extracted_signature_against_the_test_ca() {
    let acta = signed_acta();
    let pdf = acta.signed();
    let signatures = extract_signatures(pdf);
    assert_eq!(signatures.len(), 9);
    let ca = helpers::pki().join("ca.pem");
    for (i, (br, der)) in signatures.iter().enumerate() {
        let mut content = pdf[br[0]..br[0] + br[1]].to_vec();
        content.extend_from_slice(&pdf[br[2]..br[2] + br[3]]);
        let sig = helpers::write(&format!("sig-{i}.der"), der);
        let data = helpers::write(&format!("sig-{i}.bin"), &content);
        let (ok, out) = run(
            "openssl",
            &[
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                sig.to_str().unwrap(),
                "-content",
                data.to_str().unwrap(),
                "-CAfile",
                ca.to_str().unwrap(),
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ],
        );
        assert!(
            ok && out.contains("Verification successful"),
            "signature {i}:\n{out}"
        );
        println!("openssl cms -verify signature {}: {}", i + 1, out.trim());
        // The signed attributes: content-type, message-digest, signing-certificate-v2, no signing-time.
        let (ok, dump) = run(
            "openssl",
            &[
                "cms",
                "-cmsout",
                "-print",
                "-inform",
                "DER",
                "-in",
                sig.to_str().unwrap(),
            ],
        );
        assert!(ok, "{dump}");
        assert!(
            dump.contains("contentType") && dump.contains("messageDigest"),
            "{dump}"
        );
        assert!(
            dump.contains("id-smime-aa-signingCertificateV2")
                || dump.contains("signingCertificateV2"),
            "{dump}"
        );
        assert!(!dump.contains("signingTime"), "{dump}");
        assert!(dump.contains("eContent: <ABSENT>"), "not detached:\n{dump}");
    }
}
