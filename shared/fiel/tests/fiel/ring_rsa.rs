//! RSA on ring: signatures interoperate with OpenSSL byte for byte, and keys ring
//! cannot use are refused with a Spanish error that says why.

use std::path::Path;
use std::time::{Duration, Instant};

use rubrica_fiel::{
    Certificate, Credential, FielError, Outcome, PrivateKey, RevocationSource, TrustStore,
    Validator,
};
use time::OffsetDateTime;

use crate::helpers::*;

/// Plain PKCS#8 PEM of a SAT test key, made by openssl, in `dir/plain.pem`.
fn sat_key_to_plain_pem(dir: &Path, name: &str) {
    let key = sat_dir(name).join("private_key.key");
    sh(
        dir,
        &format!(
            r#"openssl pkcs8 -inform DER -in "{}" -passin "pass:$PASS" -out plain.pem"#,
            key.display()
        ),
    );
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn ring_signs_exactly_what_openssl_signs_and_each_verifies_the_other() {
    // Arrange
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let credential = sat_credential("FIEL_EKU9003173C9");
    let data = "Acta de la 3.ª sesión ordinaria: se aprueba el plan de acción.".as_bytes();
    std::fs::write(dir.join("data.bin"), data).unwrap();
    sat_key_to_plain_pem(dir, "FIEL_EKU9003173C9");
    std::fs::write(
        dir.join("cert.pem"),
        pem("CERTIFICATE", credential.certificate().der()),
    )
    .unwrap();

    // Act
    let ours = credential.sign_sha256(data).unwrap();
    std::fs::write(dir.join("ours.bin"), &ours).unwrap();
    sh(
        dir,
        r#"
        openssl dgst -sha256 -sign plain.pem -out openssl.bin data.bin
        openssl x509 -in cert.pem -pubkey -noout > pub.pem
        openssl dgst -sha256 -verify pub.pem -signature ours.bin data.bin
        "#,
    );
    let theirs = read(dir, "openssl.bin");

    // Assert: PKCS#1 v1.5 is deterministic, so the bytes are identical; ring
    // verifies OpenSSL's signature, and OpenSSL ring's (the script above).
    assert_eq!(ours.len(), 256);
    assert_eq!(ours, theirs);
    credential
        .certificate()
        .verify_sha256(data, &theirs)
        .unwrap();
}

#[test]
fn a_key_from_another_e_firma_is_a_mismatch_and_its_signatures_do_not_verify() {
    // Arrange: two members of the test PKI.
    let maria = Certificate::from_file(test_pki().join("maria.cer")).unwrap();
    let juan_key = PrivateKey::from_file(test_pki().join("juan.key"), PASSWORD).unwrap();

    // Act
    let err = Credential::from_files(
        test_pki().join("maria.cer"),
        test_pki().join("juan.key"),
        PASSWORD,
    )
    .unwrap_err();
    let signature = juan_key.sign_sha256(b"reto").unwrap();

    // Assert
    assert!(!juan_key.matches(&maria));
    assert!(matches!(err, FielError::KeyCertificateMismatch), "{err:?}");
    assert_eq!(err.code(), "key_certificate_mismatch");
    assert!(
        err.to_string()
            .contains("La llave privada no corresponde al certificado"),
        "{err}"
    );
    assert!(matches!(
        maria.verify_sha256(b"reto", &signature),
        Err(FielError::SignatureInvalid)
    ));
}

#[test]
fn a_1024_bit_key_is_too_short_in_every_form() {
    // Arrange: a 1024-bit key as SAT would ship it (encrypted DER PKCS#8), plain,
    // and PKCS#1; and a certificate for it.
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    sh(
        dir,
        r#"
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out short.pem 2>/dev/null
        openssl pkcs8 -topk8 -in short.pem -v2 des3 -v2prf hmacWithSHA1 -passout "pass:$PASS" \
          -outform DER -out short.key
        openssl rsa -in short.pem -traditional -outform DER -out short-pkcs1.der 2>/dev/null
        openssl req -x509 -new -key short.pem -days 30 -outform DER -out short.cer \
          -subj "/CN=LLAVE CORTA/x500UniqueIdentifier=CORT800101AB1" 2>/dev/null
        "#,
    );

    for file in ["short.key", "short.pem", "short-pkcs1.der"] {
        // Act
        let err = PrivateKey::from_file(dir.join(file), PASSWORD).unwrap_err();

        // Assert
        assert!(
            matches!(err, FielError::KeyTooSmall { bits: 1024 }),
            "{file}: {err:?}"
        );
        assert_eq!(err.code(), "key_too_small");
        assert_eq!(
            err.to_string(),
            "La llave es de 1024 bits y se requieren al menos 2048. Tramite una e.firma vigente en el SAT."
        );
    }
    let err = Certificate::from_file(dir.join("short.cer")).unwrap_err();
    assert!(
        matches!(err, FielError::KeyTooSmall { bits: 1024 }),
        "{err:?}"
    );
}

#[test]
fn key_sizes_ring_cannot_sign_with_are_named_and_3072_bits_works() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    sh(
        dir,
        r#"
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2560 -out odd.pem 2>/dev/null
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out big.pem 2>/dev/null
        openssl rsa -in big.pem -pubout -out big.pub.pem 2>/dev/null
        "#,
    );

    // 2560 bits: primes of 1280 bits, which ring does not sign with.
    let err = PrivateKey::from_file(dir.join("odd.pem"), "").unwrap_err();
    assert!(
        matches!(err, FielError::UnsupportedKeySize { bits: 2560 }),
        "{err:?}"
    );
    assert_eq!(err.code(), "unsupported_key_size");
    assert!(err.is_caused_by_input());
    assert!(
        err.to_string().starts_with(
            "La llave es de 2560 bits y Rúbrica solo admite llaves RSA de 2048, 3072 o 4096 bits."
        ),
        "{err}"
    );

    // 3072 bits signs, and OpenSSL agrees.
    let key = PrivateKey::from_file(dir.join("big.pem"), "").unwrap();
    assert_eq!(key.bits(), 3072);
    let signature = key.sign_sha256(b"datos").unwrap();
    assert_eq!(signature.len(), 384);
    std::fs::write(dir.join("data.bin"), b"datos").unwrap();
    std::fs::write(dir.join("sig.bin"), &signature).unwrap();
    sh(
        dir,
        "openssl dgst -sha256 -verify big.pub.pem -signature sig.bin data.bin",
    );
}

#[test]
fn damaged_or_malformed_keys_are_refused_as_malformed() {
    // Arrange: a valid plain PKCS#8 key, then copies with one byte changed in the
    // modulus and in the CRT coefficient, a truncated one, and a public exponent
    // of 3 (valid RSA, but not for signing with ring).
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    sh(
        dir,
        r#"
        openssl pkcs8 -inform DER -in "$PKI/ana.key" -passin "pass:$PASS" -outform DER -out plain.der
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 \
          -outform DER -out e3.der 2>/dev/null
        "#,
    );
    let plain = read(dir, "plain.der");
    PrivateKey::from_bytes(&plain, "").expect("the undamaged key opens");
    let mut modulus = plain.clone();
    modulus[100] ^= 0x10;
    let mut coefficient = plain.clone();
    let last = coefficient.len() - 5;
    coefficient[last] ^= 0x10;
    let truncated = plain[..plain.len() - 40].to_vec();
    let mut not_der = plain.clone();
    not_der[1] = 0x85;
    // (what, DER, who refused it: ring, or our PKCS#1 reading before ring)
    let samples = [
        ("modulus", modulus, "ring: "),
        ("coefficient", coefficient, "ring: "),
        ("truncated", truncated, "PKCS#1: "),
        ("length", not_der, "PKCS#1: "),
        ("exponent 3", read(dir, "e3.der"), "ring: "),
        ("zeros", vec![0; 1200], "PKCS#1: "),
        ("empty sequence", vec![0x30, 0x00], "PKCS#1: "),
    ];

    for (what, der, refused_by) in samples {
        // Act
        let err = PrivateKey::from_bytes(&der, PASSWORD).unwrap_err();

        // Assert
        assert!(
            matches!(&err, FielError::MalformedKey { detail } if detail.starts_with(refused_by)),
            "{what}: {err:?}"
        );
        assert_eq!(err.code(), "malformed_key");
        assert!(
            err.to_string()
                .starts_with("El archivo no es una llave privada válida (.key)."),
            "{what}: {err}"
        );
    }
}

#[test]
fn a_1024_bit_ca_chains_with_sha1_but_its_sha256_signatures_are_not_checked() {
    // Arrange: an old-style CA with a 1024-bit key signs one member certificate
    // with SHA-1 and one with SHA-256.
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    sh(
        dir,
        r#"
        openssl req -x509 -new -newkey rsa:1024 -nodes -keyout old-ca.key -config "$PKI/ca.cnf" \
          -extensions v3_ca -days 30 -subj "/CN=AC ANTIGUA/O=Pruebas/C=MX" -out old-ca.pem 2>/dev/null
        openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr 2>/dev/null \
          -subj "/CN=MIEMBRO/x500UniqueIdentifier=MIEM800101AB1"
        for digest in sha1 sha256; do
          openssl x509 -req -"$digest" -in leaf.csr -CA old-ca.pem -CAkey old-ca.key -CAcreateserial \
            -CAserial old-ca.srl -days 30 -extfile "$PKI/ca.cnf" -extensions v3_fiel -outform DER \
            -out "leaf-$digest.cer" 2>/dev/null
        done
        "#,
    );
    let validator = Validator::new(
        TrustStore::from_path(dir.join("old-ca.pem")).unwrap(),
        &RevocationSource::NotConfigured,
    )
    .unwrap();
    let now = OffsetDateTime::now_utc();

    // Act
    let sha1 = validator.validate(
        &Certificate::from_file(dir.join("leaf-sha1.cer")).unwrap(),
        now,
    );
    let sha256 = validator.validate(
        &Certificate::from_file(dir.join("leaf-sha256.cer")).unwrap(),
        now,
    );

    // Assert: ring checks SHA-1 with keys from 1024 bits (legacy CAs), SHA-2 only
    // from 2048; a short CA key is "cannot tell", never "forged".
    assert_eq!(sha1.chain.outcome, Outcome::Passed, "{sha1:#?}");
    assert_eq!(sha256.chain.outcome, Outcome::Indeterminate, "{sha256:#?}");
    assert!(
        sha256.chain.explanation.contains("llave RSA de 1024 bits"),
        "{}",
        sha256.chain.explanation
    );
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Time per RSA-2048 signature and verification with a SAT test FIEL.
/// `cargo test -p rubrica-fiel --release --test fiel -- --ignored --nocapture timing`
#[test]
#[ignore = "timing, run on demand in release"]
fn timing_rsa_2048_sign_and_verify() {
    let credential = sat_credential("FIEL_EKU9003173C9");
    let data = vec![0x5a; 1200]; // about the size of a CMS SignedAttributes DER
    let rounds = 300;
    let (mut sign, mut verify) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = Instant::now();
        let signature = credential.sign_sha256(&data).unwrap();
        let signed = Instant::now();
        credential
            .certificate()
            .verify_sha256(&data, &signature)
            .unwrap();
        verify.push(signed.elapsed());
        sign.push(signed - start);
    }
    println!(
        "RSA-2048 PKCS#1 v1.5 SHA-256, {rounds} rounds: sign median {:?} (min {:?}), verify median {:?} (min {:?})",
        median(&mut sign),
        sign[0],
        median(&mut verify),
        verify[0],
    );
}
