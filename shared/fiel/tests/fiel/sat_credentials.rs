//! SAT's test FIELs and CSDs: parsing, decrypting, signing, classifying, expiry.

use rubrica_fiel::{
    Certificate, CertificateKind, Credential, FielError, Outcome, PrivateKey, RevocationSource,
    RevocationStatus, TrustStore, Validator, Verdict,
};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::helpers::*;

const FIELS: [&str; 2] = ["FIEL_EKU9003173C9", "FIEL_AAA010101AAA"];
const CSDS: [&str; 2] = ["CSD_EKU9003173C9", "CSD01_AAA010101AAA"];

#[test]
fn both_sat_fiels_parse_decrypt_sign_and_verify() {
    for name in FIELS {
        // Arrange
        let credential = sat_credential(name);
        let certificate = credential.certificate();
        let data = format!("acta de la sesión firmada con {name}");

        // Act
        let signature = credential.sign_sha256(data.as_bytes()).unwrap();

        // Assert
        assert_eq!(certificate.kind(), CertificateKind::Fiel, "{name}");
        certificate.ensure_fiel().unwrap();
        assert_eq!(signature.len(), 256, "RSA-2048 signature");
        certificate
            .verify_sha256(data.as_bytes(), &signature)
            .unwrap();
        let tampered = certificate
            .verify_sha256(b"otra cosa", &signature)
            .unwrap_err();
        assert!(matches!(tampered, FielError::SignatureInvalid));
        assert_eq!(credential.private_key().bits(), 2048);
    }
}

#[test]
fn signing_is_deterministic_and_bound_to_the_data() {
    let credential = sat_credential("FIEL_EKU9003173C9");
    let data = b"DER de los atributos firmados";

    let first = credential.sign_sha256(data).unwrap();
    let second = credential.private_key().sign_sha256(data).unwrap();

    // PKCS#1 v1.5 is deterministic: the same data gives the same bytes.
    assert_eq!(first, second);
    credential
        .certificate()
        .verify_sha256(data, &first)
        .unwrap();
    let mut flipped = first.clone();
    flipped[100] ^= 1;
    for bad in [
        &flipped[..],
        &first[..255],
        &[][..],
        &[0; 256][..],
        &[0xff; 257][..],
    ] {
        assert!(matches!(
            credential.certificate().verify_sha256(data, bad),
            Err(FielError::SignatureInvalid)
        ));
    }
}

#[test]
fn identities_match_the_fixture_readme() {
    // dir, kind, RFC, representative RFC, representative CURP, number, valid until
    let table = [
        (
            "FIEL_EKU9003173C9",
            CertificateKind::Fiel,
            "EKU9003173C9",
            "VADA800927DJ3",
            "VADA800927HSRSRL05",
            "30001000000500003415",
            datetime!(2027-05-17 04:37:14 UTC),
        ),
        (
            "FIEL_AAA010101AAA",
            CertificateKind::Fiel,
            "AAA010101AAA",
            "HEGT7610034S2",
            "HEGT761003MDFRNN09",
            "30001000000300023685",
            datetime!(2021-05-15 23:29:17 UTC),
        ),
        (
            "CSD_EKU9003173C9",
            CertificateKind::Csd,
            "EKU9003173C9",
            "VADA800927DJ3",
            "VADA800927HSRSRL05",
            "30001000000500003416",
            datetime!(2027-05-18 11:43:51 UTC),
        ),
        (
            "CSD01_AAA010101AAA",
            CertificateKind::Csd,
            "AAA010101AAA",
            "HEGT7610034S2",
            "HEGT761003MDFRNN09",
            "30001000000300023708",
            datetime!(2021-05-18 03:54:56 UTC),
        ),
    ];
    for (name, kind, rfc, rep_rfc, rep_curp, number, not_after) in table {
        let c = sat_certificate(name);
        assert_eq!(c.kind(), kind, "{name}");
        assert_eq!(c.rfc().as_str(), rfc, "{name}");
        assert_eq!(c.representative_rfc().unwrap().as_str(), rep_rfc, "{name}");
        assert_eq!(
            c.representative_curp().unwrap().as_str(),
            rep_curp,
            "{name}"
        );
        assert!(
            c.curp().is_none(),
            "a legal entity has no CURP of its own: {name}"
        );
        assert_eq!(c.certificate_number().unwrap().as_str(), number, "{name}");
        assert_eq!(c.display_number(), number);
        assert_eq!(c.not_after(), not_after, "{name}");
        assert!(c.not_before() < c.not_after());
        assert_eq!(c.key_bits(), 2048);
        assert!(
            c.subject()
                .contains(&format!("x500UniqueIdentifier={rfc} / {rep_rfc}")),
            "{}",
            c.subject()
        );
    }
    let eku = sat_certificate("FIEL_EKU9003173C9");
    assert_eq!(eku.holder_name(), "ESCUELA KEMPER URGATE SA DE CV");
    assert_eq!(eku.issuer_name(), "AC UAT");
    assert_eq!(eku.email(), Some("SATpruebas@pruebas.gob.mx"));
    assert!(eku.organizational_units().is_empty());
    let aaa = sat_certificate("FIEL_AAA010101AAA");
    assert_eq!(aaa.holder_name(), "ACCEM SERVICIOS EMPRESARIALES SC");
    assert_eq!(aaa.issuer_name(), "A.C. 2 de pruebas(4096)");
    assert!(aaa.issuer().contains("L=Coyoacán"), "{}", aaa.issuer());
    let csd = sat_certificate("CSD_EKU9003173C9");
    assert_eq!(csd.organizational_units(), ["Sucursal 1"]);
    assert!(csd.extended_key_usage().is_none());
}

#[test]
fn der_accessors_serve_cms() {
    let der = sat_cer("FIEL_EKU9003173C9");
    let c = Certificate::from_der(&der).unwrap();
    assert_eq!(c.der(), &der[..]);
    assert_eq!(c.serial(), b"30001000000500003415");
    assert_eq!(c.issuer_der()[0], 0x30, "issuer Name is a DER SEQUENCE");
    let fp = rubrica_fiel::digest::Sha256::digest(&der);
    assert_eq!(c.fingerprint_sha256(), *fp.as_bytes());
    // The same as openssl's fingerprint ("sha256 Fingerprint=AB:CD:…").
    let out = std::process::Command::new("openssl")
        .args([
            "x509",
            "-inform",
            "DER",
            "-noout",
            "-fingerprint",
            "-sha256",
            "-in",
        ])
        .arg(sat_dir("FIEL_EKU9003173C9").join("certificate.cer"))
        .output()
        .expect("running openssl");
    let openssl = String::from_utf8(out.stdout).unwrap();
    let openssl = openssl.trim().rsplit('=').next().unwrap().replace(':', "");
    assert_eq!(openssl.to_lowercase(), fp.to_hex());
}

#[test]
fn both_csds_are_recognised_and_refused() {
    let validator = Validator::new(TrustStore::empty(), &RevocationSource::NotConfigured).unwrap();
    for name in CSDS {
        // The CSD's own key opens fine: the refusal is about what it is for.
        let credential = sat_credential(name);
        let certificate = credential.certificate();

        let refused = certificate.ensure_fiel().unwrap_err();
        let report = validator.validate(
            certificate,
            certificate.not_before() + time::Duration::days(1),
        );

        assert_eq!(certificate.kind(), CertificateKind::Csd, "{name}");
        assert!(matches!(refused, FielError::CsdNotAllowed { .. }), "{name}");
        assert!(refused.to_string().contains("Sello Digital"), "{refused}");
        assert!(refused.to_string().contains("e.firma"), "{refused}");
        assert_eq!(report.certificate_type.outcome, Outcome::Failed);
        assert_eq!(report.verdict, Verdict::Invalid);
        assert!(matches!(
            report.ensure_valid(),
            Err(FielError::CsdNotAllowed { .. })
        ));
    }
}

#[test]
fn the_expired_fiel_is_refused_for_a_signature_dated_today() {
    let certificate = sat_certificate("FIEL_AAA010101AAA");
    let validator = Validator::new(TrustStore::empty(), &RevocationSource::NotConfigured).unwrap();
    let today = OffsetDateTime::now_utc();

    let direct = certificate.ensure_valid_at(today).unwrap_err();
    let report = validator.validate(&certificate, today);

    assert!(matches!(direct, FielError::CertificateExpired { .. }));
    assert!(
        direct.to_string().contains("venció el 15/05/2021"),
        "{direct}"
    );
    assert_eq!(report.validity.outcome, Outcome::Failed);
    assert_eq!(report.verdict, Verdict::Invalid);
    let err = report.ensure_valid().unwrap_err();
    assert!(matches!(err, FielError::CertificateExpired { .. }), "{err}");
    // The same certificate was fine while it was valid.
    certificate
        .ensure_valid_at(datetime!(2019-01-01 0:00 UTC))
        .unwrap();
    let before_issue = certificate
        .ensure_valid_at(datetime!(2016-01-01 0:00 UTC))
        .unwrap_err();
    assert!(matches!(
        before_issue,
        FielError::CertificateNotYetValid { .. }
    ));
}

#[test]
fn a_wrong_password_is_refused_with_a_typed_spanish_error() {
    for name in FIELS.iter().chain(CSDS.iter()) {
        for wrong in ["12345678b", "", "12345678a\n", "12345678A"] {
            let err = PrivateKey::from_bytes(&sat_key(name), wrong).unwrap_err();
            assert!(
                matches!(err, FielError::WrongPassword),
                "{name} {wrong:?}: {err:?}"
            );
            assert!(
                err.to_string()
                    .starts_with("La contraseña de la llave privada es incorrecta"),
                "{err}"
            );
            assert_eq!(err.code(), "wrong_password");
            assert!(err.is_caused_by_input());
        }
    }
}

#[test]
fn a_fiel_key_with_a_csd_certificate_is_a_mismatch() {
    let pairs = [
        ("CSD_EKU9003173C9", "FIEL_EKU9003173C9"),
        ("CSD01_AAA010101AAA", "FIEL_AAA010101AAA"),
        ("FIEL_AAA010101AAA", "FIEL_EKU9003173C9"),
    ];
    for (cer, key) in pairs {
        let err = Credential::open(&sat_cer(cer), &sat_key(key), PASSWORD).unwrap_err();
        assert!(
            matches!(err, FielError::KeyCertificateMismatch),
            "{cer} + {key}: {err:?}"
        );
        assert!(err.to_string().contains("no corresponde al certificado"));
    }
}

#[test]
fn files_open_through_the_path_api() {
    let dir = sat_dir("FIEL_EKU9003173C9");
    let password = rubrica_fiel::read_password_file(dir.join("password.txt")).unwrap();
    let credential = Credential::from_files(
        dir.join("certificate.cer"),
        dir.join("private_key.key"),
        &*password,
    )
    .unwrap();
    assert_eq!(credential.certificate().rfc().as_str(), "EKU9003173C9");

    let missing = Certificate::from_file(dir.join("no-existe.cer")).unwrap_err();
    assert!(matches!(missing, FielError::Io { .. }));
    assert!(missing.to_string().contains("no-existe.cer"), "{missing}");
}

#[test]
fn a_password_file_loses_only_its_trailing_line_break() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pw.txt");
    std::fs::write(&path, "12345678a\r\n").unwrap();
    assert_eq!(
        &**rubrica_fiel::read_password_file(&path).unwrap(),
        b"12345678a"
    );
    std::fs::write(&path, " 12345678a ").unwrap();
    assert_eq!(
        &**rubrica_fiel::read_password_file(&path).unwrap(),
        b" 12345678a "
    );
}

#[test]
fn pem_forms_of_the_sat_files_are_accepted() {
    let name = "FIEL_EKU9003173C9";
    let cer_pem = pem("CERTIFICATE", &sat_cer(name));
    let key_pem = pem("ENCRYPTED PRIVATE KEY", &sat_key(name));

    let credential = Credential::open(cer_pem.as_bytes(), key_pem.as_bytes(), PASSWORD).unwrap();

    assert_eq!(credential.certificate(), &sat_certificate(name));
    let wrong = PrivateKey::from_bytes(key_pem.as_bytes(), "x").unwrap_err();
    assert!(matches!(wrong, FielError::WrongPassword));
    let with_bom = format!("\u{feff}{cer_pem}");
    assert_eq!(
        Certificate::from_bytes(with_bom.as_bytes()).unwrap(),
        sat_certificate(name)
    );
    let crlf = cer_pem.replace('\n', "\r\n");
    assert_eq!(
        Certificate::from_bytes(crlf.as_bytes()).unwrap(),
        sat_certificate(name)
    );
}

#[test]
fn an_unanchored_sat_fiel_is_indeterminate_never_valid() {
    // SAT's test CA certificates are not available offline: the chain cannot be
    // established, and the report must say so rather than call it valid.
    let certificate = sat_certificate("FIEL_EKU9003173C9");
    let validator = Validator::new(TrustStore::empty(), &RevocationSource::NotConfigured).unwrap();

    let report = validator.validate(&certificate, datetime!(2025-06-01 12:00 UTC));

    assert_eq!(report.certificate_type.outcome, Outcome::Passed);
    assert_eq!(report.validity.outcome, Outcome::Passed);
    assert_eq!(report.key_usage.outcome, Outcome::Passed);
    assert_eq!(report.chain.outcome, Outcome::Indeterminate);
    assert_eq!(report.revocation.outcome, Outcome::NotChecked);
    assert!(matches!(
        report.revocation_status,
        RevocationStatus::NotChecked { .. }
    ));
    assert_eq!(report.verdict, Verdict::Indeterminate);
    assert!(!report.is_valid());
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["verdict"], "indeterminate");
    assert_eq!(json["revocation"]["outcome"], "not_checked");
    assert_eq!(json["revocation_status"]["status"], "not_checked");
    assert_eq!(json["rfc"], "EKU9003173C9");
    assert_eq!(json["signing_time"], "2025-06-01T12:00:00Z");
    assert!(matches!(
        report.ensure_valid(),
        Err(FielError::Untrusted { .. })
    ));
}

#[test]
fn private_key_material_is_never_debug_printed() {
    let credential = sat_credential("FIEL_EKU9003173C9");
    let key_debug = format!("{:?}", credential.private_key());
    let credential_debug = format!("{credential:?}");

    assert_eq!(
        key_debug,
        r#"PrivateKey { bits: 2048, material: "[redactado]" }"#
    );
    assert!(credential_debug.contains("[redactado]"));
    // No long runs of digits (a decimal or hex big number) anywhere.
    for text in [&key_debug, &credential_debug] {
        let longest_digits = text
            .split(|c: char| !c.is_ascii_hexdigit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(longest_digits <= 20, "{text}");
    }
}

#[test]
fn the_summary_serialises_the_public_facts() {
    let summary = sat_certificate("FIEL_EKU9003173C9").summary();
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["number"], "30001000000500003415");
    assert_eq!(json["rfc"], "EKU9003173C9");
    assert_eq!(json["representative_rfc"], "VADA800927DJ3");
    assert_eq!(json["representative_curp"], "VADA800927HSRSRL05");
    assert_eq!(json["curp"], serde_json::Value::Null);
    assert_eq!(json["kind"], "fiel");
    assert_eq!(json["issuer"], "AC UAT");
    assert_eq!(json["not_after"], "2027-05-17T04:37:14Z");
    assert_eq!(json["fingerprint_sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn a_sat_fiel_pinned_in_the_trust_folder_is_valid_and_only_that_certificate_is() {
    // SAT's test root is not available, so a deployment that must accept its
    // test FIEL (the demo) trusts that one certificate, in `fijados/`.
    let dir = tempfile::tempdir().unwrap();
    let pinned = dir.path().join(rubrica_fiel::trust::PINNED_SUBFOLDER);
    std::fs::create_dir_all(&pinned).unwrap();
    std::fs::write(
        pinned.join("EKU9003173C9.cer"),
        sat_cer("FIEL_EKU9003173C9"),
    )
    .unwrap();
    let store = TrustStore::from_dir(dir.path()).unwrap();
    let validator = Validator::new(store, &RevocationSource::NotConfigured).unwrap();

    let report = validator.validate(
        &sat_certificate("FIEL_EKU9003173C9"),
        datetime!(2025-06-01 12:00 UTC),
    );
    assert_eq!(report.chain.outcome, Outcome::Passed, "{:?}", report.chain);
    assert!(
        report.chain.explanation.contains("fijado"),
        "{:?}",
        report.chain
    );
    assert_eq!(report.verdict, Verdict::Valid);

    // Another certificate of the same issuer is not trusted by that pin.
    let other = validator.validate(
        &sat_certificate("FIEL_AAA010101AAA"),
        datetime!(2020-06-01 12:00 UTC),
    );
    assert_eq!(other.chain.outcome, Outcome::Indeterminate);
    assert_ne!(other.verdict, Verdict::Valid);
}
