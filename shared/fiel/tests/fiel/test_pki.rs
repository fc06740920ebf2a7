//! Chains, trust and revocation on the openssl-made test PKI.

use std::path::Path;

use rubrica_fiel::{
    CaCertificate, Certificate, CertificateKind, Credential, FielError, Outcome, PrivateKey,
    RevocationSource, RevocationStatus, TrustStore, Validator, Verdict,
};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::helpers::*;

fn pki_certificate(name: &str) -> Certificate {
    Certificate::from_file(test_pki().join(format!("{name}.cer"))).unwrap()
}

fn test_ca_validator() -> Validator {
    let trust = TrustStore::from_dir(test_ca_trust_dir().path()).unwrap();
    Validator::new(trust, &RevocationSource::NotConfigured).unwrap()
}

#[test]
fn the_fiel_like_test_certificate_chains_to_the_test_ca() {
    // Arrange
    let pki = test_pki();
    let credential =
        Credential::from_files(pki.join("maria.cer"), pki.join("maria.key"), PASSWORD).unwrap();
    let validator = test_ca_validator();

    // Act
    let report = validator.validate(credential.certificate(), OffsetDateTime::now_utc());

    // Assert
    assert_eq!(credential.certificate().kind(), CertificateKind::Fiel);
    assert_eq!(credential.certificate().rfc().as_str(), "GORM800101AB1");
    assert_eq!(
        credential.certificate().curp().unwrap().as_str(),
        "GORM800101MDFNZR09"
    );
    assert!(credential.certificate().representative_rfc().is_none());
    assert!(
        credential.certificate().certificate_number().is_none(),
        "random serial"
    );
    assert_eq!(report.chain.outcome, Outcome::Passed, "{report:#?}");
    assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
    assert!(report.is_valid());
    report.ensure_valid().unwrap();
    assert_eq!(report.chain_path.len(), 1);
    assert!(report.chain_path[0].contains("CN=AC DE PRUEBAS RUBRICA"));
    assert_eq!(
        report.chain_der(),
        [std::fs::read(pki.join("ca.cer")).unwrap()]
    );
    // Valid, but the report does not pretend revocation was checked.
    assert_eq!(report.revocation.outcome, Outcome::NotChecked);
    assert!(
        report.summary.contains("No se verificó la revocación"),
        "{}",
        report.summary
    );
    let signature = credential.sign_sha256(b"reto de inicio de sesion").unwrap();
    credential
        .certificate()
        .verify_sha256(b"reto de inicio de sesion", &signature)
        .unwrap();
}

#[test]
fn the_sat_test_fiel_is_untrusted_by_the_test_ca() {
    let validator = test_ca_validator();
    let certificate = sat_certificate("FIEL_EKU9003173C9");

    let report = validator.validate(&certificate, datetime!(2025-06-01 12:00 UTC));

    assert_eq!(report.chain.outcome, Outcome::Indeterminate);
    assert_eq!(report.verdict, Verdict::Indeterminate);
    let err = report.ensure_valid().unwrap_err();
    assert!(matches!(err, FielError::Untrusted { .. }), "{err:?}");
    assert!(err.to_string().contains("«AC UAT»"), "{err}");
}

#[test]
fn the_csd_like_test_certificate_is_refused_as_csd() {
    let certificate = pki_certificate("csd");
    let validator = test_ca_validator();

    let report = validator.validate(&certificate, OffsetDateTime::now_utc());

    assert_eq!(certificate.kind(), CertificateKind::Csd);
    assert_eq!(certificate.rfc().as_str(), "EPR010101AAA");
    assert_eq!(
        certificate.representative_rfc().unwrap().as_str(),
        "GORM800101AB1"
    );
    assert_eq!(
        certificate.representative_curp().unwrap().as_str(),
        "GORM800101MDFNZR09"
    );
    assert_eq!(
        report.chain.outcome,
        Outcome::Passed,
        "trusted, but still not a FIEL"
    );
    assert_eq!(report.verdict, Verdict::Invalid);
    assert!(matches!(
        report.ensure_valid(),
        Err(FielError::CsdNotAllowed { .. })
    ));
}

#[test]
fn the_expired_test_certificate_is_refused_by_time() {
    let certificate = pki_certificate("expired");
    let validator = test_ca_validator();

    let report = validator.validate(&certificate, OffsetDateTime::now_utc());

    assert_eq!(report.chain.outcome, Outcome::Passed);
    assert_eq!(report.validity.outcome, Outcome::Failed);
    assert_eq!(report.verdict, Verdict::Invalid);
    let err = report.ensure_valid().unwrap_err();
    assert!(
        matches!(err, FielError::CertificateExpired { .. }),
        "{err:?}"
    );
    // Serial 0x1000 is not SAT-style: messages fall back to the hex serial.
    assert_eq!(certificate.display_number(), "1000");
    assert!(
        err.to_string().contains("El certificado 1000 venció"),
        "{err}"
    );
    // Two days ago it was within its validity (the test CA itself was only made
    // today, so the chain check then fails on the CA's validity instead).
    let then = OffsetDateTime::now_utc() - time::Duration::days(2);
    let earlier = validator.validate(&certificate, then);
    assert_eq!(earlier.validity.outcome, Outcome::Passed);
    assert_eq!(earlier.chain.outcome, Outcome::Failed);
    assert!(
        earlier.chain.explanation.contains("no estaba vigente"),
        "{}",
        earlier.chain.explanation
    );
}

#[test]
fn the_trust_folder_may_be_the_whole_pki_folder() {
    // Member certificates, keys and the CA's PEM key sit beside ca.cer/ca.pem:
    // only the CA is an anchor, loaded once.
    let store = TrustStore::from_dir(test_pki()).unwrap();
    assert_eq!(store.len(), 1);
    assert_eq!(store.anchors()[0].name(), "AC DE PRUEBAS RUBRICA");
    let single = TrustStore::from_path(test_pki().join("ca.pem")).unwrap();
    assert_eq!(single.anchors()[0].der(), store.anchors()[0].der());
}

#[test]
fn test_pki_keys_in_every_accepted_form_match_their_certificates() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    sh(
        dir,
        r#"
        openssl pkcs8 -inform DER -in "$PKI/juan.key" -passin "pass:$PASS" -out plain.pem
        openssl pkcs8 -inform DER -in "$PKI/juan.key" -passin "pass:$PASS" -outform DER -out plain.der
        openssl rsa -in plain.pem -traditional -out pkcs1.pem
        openssl rsa -in plain.pem -traditional -outform DER -out pkcs1.der
        openssl pkcs8 -topk8 -in plain.pem -v2 des3 -passout "pass:$PASS" -out encrypted.pem
        "#,
    );
    let certificate = pki_certificate("juan");

    for file in [
        "plain.pem",
        "plain.der",
        "pkcs1.pem",
        "pkcs1.der",
        "encrypted.pem",
    ] {
        let key = PrivateKey::from_file(dir.join(file), PASSWORD)
            .unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert!(key.matches(&certificate), "{file}");
    }
    // The encrypted PEM still needs the right password.
    assert!(matches!(
        PrivateKey::from_file(dir.join("encrypted.pem"), "otra"),
        Err(FielError::WrongPassword)
    ));
}

#[test]
fn a_ca_with_the_right_name_but_another_key_is_detected_as_forgery() {
    // Arrange: a second CA with the test CA's exact name issues a FIEL-like cert.
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    sh(
        dir,
        r#"
        openssl req -x509 -new -newkey rsa:2048 -nodes -keyout other-ca.key -config "$PKI/ca.cnf" \
          -extensions v3_ca -days 30 -out other-ca.pem 2>/dev/null
        openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr 2>/dev/null \
          -subj "/CN=IMPOSTOR/x500UniqueIdentifier=IMPO800101AB1/serialNumber=IMPO800101HDFMPS01"
        openssl x509 -req -in leaf.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial -days 30 \
          -extfile "$PKI/ca.cnf" -extensions v3_fiel -outform DER -out impostor.cer 2>/dev/null
        "#,
    );

    // Act
    let report =
        test_ca_validator().validate(&load(dir, "impostor.cer"), OffsetDateTime::now_utc());

    // Assert: a name match without a key match is a definite failure.
    assert_eq!(report.chain.outcome, Outcome::Failed, "{report:#?}");
    assert_eq!(report.verdict, Verdict::Invalid);
    let err = report.ensure_valid().unwrap_err();
    assert!(
        err.to_string()
            .contains("fue alterado o no lo emitió esa autoridad"),
        "{err}"
    );
}

fn load(dir: &Path, file: &str) -> Certificate {
    Certificate::from_file(dir.join(file)).unwrap()
}

#[test]
fn an_intermediate_supplied_with_the_signature_completes_the_chain() {
    // Arrange: test CA → intermediate CA → FIEL-like member certificate.
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    sh(
        dir,
        r#"
        openssl req -new -newkey rsa:2048 -nodes -keyout inter.key -out inter.csr 2>/dev/null \
          -subj "/CN=AC INTERMEDIA DE PRUEBAS/O=Pruebas/C=MX"
        openssl x509 -req -in inter.csr -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key.pem" -CAcreateserial \
          -CAserial ca.srl -days 30 -extfile "$PKI/ca.cnf" -extensions v3_ca -out inter.pem 2>/dev/null
        openssl x509 -in inter.pem -outform DER -out inter.cer
        openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr 2>/dev/null \
          -subj "/CN=LUIS RAMOS/x500UniqueIdentifier=RALU800101AB1/serialNumber=RALU800101HDFMSS01"
        openssl x509 -req -in leaf.csr -CA inter.pem -CAkey inter.key -CAcreateserial -days 30 \
          -extfile "$PKI/ca.cnf" -extensions v3_fiel -outform DER -out leaf.cer 2>/dev/null
        "#,
    );
    let leaf = load(dir, "leaf.cer");
    let intermediate =
        CaCertificate::from_bytes(&std::fs::read(dir.join("inter.cer")).unwrap()).unwrap();
    let validator = test_ca_validator();
    let now = OffsetDateTime::now_utc();

    // Act
    let without = validator.validate(&leaf, now);
    let with =
        validator.validate_with_intermediates(&leaf, std::slice::from_ref(&intermediate), now);

    // Assert
    assert_eq!(without.verdict, Verdict::Indeterminate);
    assert_eq!(with.verdict, Verdict::Valid, "{with:#?}");
    assert_eq!(with.chain_path.len(), 2);
    assert!(with.chain_path[0].contains("AC INTERMEDIA DE PRUEBAS"));
    assert!(with.chain_path[1].contains("AC DE PRUEBAS RUBRICA"));
    // A member certificate is not accepted as an intermediate.
    assert!(matches!(
        CaCertificate::from_bytes(&std::fs::read(dir.join("leaf.cer")).unwrap()),
        Err(FielError::NotCertificateAuthority { .. })
    ));
}

#[test]
fn a_crl_from_the_test_ca_revokes_one_member_and_clears_another() {
    // Arrange: a CRL signed by the test CA listing juan's certificate.
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let juan = pki_certificate("juan");
    let serial = hex::encode_upper(juan.serial());
    std::fs::write(
        dir.join("index"),
        format!(
            "R\t491231235959Z\t200101000000Z,keyCompromise\t{serial}\tunknown\t/CN=JUAN PEREZ LOPEZ\n"
        ),
    )
    .unwrap();
    sh(
        dir,
        r#"
        echo 01 > crlnumber
        printf '[ca]\ndefault_ca=c\n[c]\ndatabase=index\ndefault_md=sha256\ndefault_crl_days=30\ncrlnumber=crlnumber\n' > crl.cnf
        openssl ca -gencrl -config crl.cnf -keyfile "$PKI/ca.key.pem" -cert "$PKI/ca.pem" -out test.crl 2>/dev/null
        "#,
    );
    let trust = TrustStore::from_dir(test_ca_trust_dir().path()).unwrap();
    let source = RevocationSource::CrlFiles(vec![dir.join("test.crl")]);
    let validator = Validator::new(trust, &source).unwrap();
    let now = OffsetDateTime::now_utc();

    // Act
    let revoked = validator.validate(&juan, now);
    let cleared = validator.validate(&pki_certificate("maria"), now);

    // Assert
    assert!(
        matches!(revoked.revocation_status, RevocationStatus::Revoked { .. }),
        "{revoked:#?}"
    );
    assert_eq!(revoked.revocation.outcome, Outcome::Failed);
    assert!(
        revoked
            .revocation
            .explanation
            .contains("llave privada comprometida")
    );
    assert_eq!(revoked.verdict, Verdict::Invalid);
    assert!(matches!(
        revoked.ensure_valid(),
        Err(FielError::Revoked { .. })
    ));
    assert!(
        matches!(cleared.revocation_status, RevocationStatus::Good { .. }),
        "{cleared:#?}"
    );
    assert_eq!(cleared.revocation.outcome, Outcome::Passed);
    assert_eq!(cleared.verdict, Verdict::Valid);
    // The CRL is not current a year from now: "not listed" no longer proves anything.
    let later = validator.validate(&pki_certificate("maria"), now + time::Duration::days(365));
    assert!(matches!(
        later.revocation_status,
        RevocationStatus::Unknown { .. }
    ));
    // A CRL nobody in the trust folder signed is refused at start-up.
    let foreign = Validator::new(TrustStore::empty(), &source).unwrap_err();
    assert!(
        matches!(foreign, FielError::UntrustedCrl { .. }),
        "{foreign:?}"
    );
}

#[test]
fn requiring_revocation_makes_not_checked_indeterminate() {
    let trust = TrustStore::from_dir(test_ca_trust_dir().path()).unwrap();
    let validator = Validator::new(trust, &RevocationSource::Ocsp("http://ocsp.example".into()))
        .unwrap()
        .require_revocation_check(true);

    let report = validator.validate(&pki_certificate("ana"), OffsetDateTime::now_utc());

    assert_eq!(report.revocation.outcome, Outcome::NotChecked);
    assert!(report.revocation.explanation.contains("OCSP"));
    assert_eq!(report.verdict, Verdict::Indeterminate);
    assert!(matches!(
        report.ensure_valid(),
        Err(FielError::RevocationUnknown { .. })
    ));
}

#[test]
fn t61_latin1_names_are_decoded() {
    // string_mask=nombstr makes openssl write non-ASCII names as T61String (Latin-1),
    // as SAT's older certificates do.
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    sh(
        dir,
        r#"
        printf '[req]\ndistinguished_name=dn\nstring_mask=nombstr\n[dn]\n' > t61.cnf
        openssl req -new -newkey rsa:2048 -nodes -keyout t61.key -config t61.cnf -utf8 -out t61.csr \
          -subj "/CN=JOSÉ PEÑA NÚÑEZ/x500UniqueIdentifier=PENJ800101AB1/serialNumber=PENJ800101HJCXXS09/L=Coyoacán" 2>/dev/null
        openssl x509 -req -in t61.csr -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key.pem" -CAcreateserial \
          -CAserial ca.srl -days 30 -extfile "$PKI/ca.cnf" -extensions v3_fiel -outform DER -out t61.cer 2>/dev/null
        "#,
    );
    let der = std::fs::read(dir.join("t61.cer")).unwrap();
    assert!(
        der.windows(4).any(|w| w == b"JOS\xc9"),
        "the name is Latin-1 in the DER"
    );

    let certificate = Certificate::from_der(&der).unwrap();

    assert_eq!(certificate.holder_name(), "JOSÉ PEÑA NÚÑEZ");
    assert!(
        certificate.subject().contains("L=Coyoacán"),
        "{}",
        certificate.subject()
    );
    assert_eq!(certificate.kind(), CertificateKind::Fiel);
    assert!(
        test_ca_validator()
            .validate(&certificate, OffsetDateTime::now_utc())
            .is_valid()
    );
}

#[test]
fn certificates_signed_with_sha1_sha384_and_sha512_also_chain() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    sh(
        dir,
        r#"
        openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr 2>/dev/null \
          -subj "/CN=ALGORITMOS/x500UniqueIdentifier=ALGO800101AB1"
        for digest in sha1 sha384 sha512; do
          openssl x509 -req -"$digest" -in leaf.csr -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key.pem" -CAcreateserial \
            -CAserial ca.srl -days 30 -extfile "$PKI/ca.cnf" -extensions v3_fiel -outform DER -out "leaf-$digest.cer" 2>/dev/null
        done
        "#,
    );
    let validator = test_ca_validator();
    for digest in ["sha1", "sha384", "sha512"] {
        let report = validator.validate(
            &load(dir, &format!("leaf-{digest}.cer")),
            OffsetDateTime::now_utc(),
        );

        assert_eq!(
            report.chain.outcome,
            Outcome::Passed,
            "{digest}: {report:#?}"
        );
    }
}

#[test]
fn a_crl_dropped_into_the_folder_while_running_is_used_by_every_clone() {
    // Arrange: an empty CRL folder, then the CA's CRL (listing `revoked`) arrives.
    let dir = tempfile::tempdir().unwrap();
    let trust = TrustStore::from_dir(test_ca_trust_dir().path()).unwrap();
    let source = RevocationSource::CrlFiles(vec![dir.path().to_owned()]);
    let validator = Validator::new(trust, &source).unwrap();
    let running = validator.clone();
    let revoked = pki_certificate("revoked");
    let now = OffsetDateTime::now_utc();
    let before = running.validate(&revoked, now);
    assert!(
        matches!(before.revocation_status, RevocationStatus::Unknown { .. }),
        "{before:#?}"
    );
    assert_ne!(before.verdict, Verdict::Valid);

    // Act
    std::fs::copy(
        test_pki().join("revocation/crl.der"),
        dir.path().join("ac.crl"),
    )
    .unwrap();
    let after = running.validate(&revoked, now);

    // Assert
    assert!(
        matches!(after.revocation_status, RevocationStatus::Revoked { .. }),
        "{after:#?}"
    );
    assert_eq!(after.verdict, Verdict::Invalid);
    assert_eq!(
        validator.validate(&pki_certificate("maria"), now).verdict,
        Verdict::Valid
    );
}
