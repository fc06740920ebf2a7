//! Hostile or broken input returns errors, never panics.

use rubrica_fiel::{Certificate, FielError, PrivateKey, RevocationSource, TrustStore, Validator};

use crate::helpers::*;

#[test]
fn every_truncation_of_a_certificate_is_an_error() {
    let der = sat_cer("FIEL_EKU9003173C9");
    for len in 0..der.len() {
        assert!(
            Certificate::from_bytes(&der[..len]).is_err(),
            "prefix of {len} bytes"
        );
    }
}

#[test]
fn every_truncation_of_a_key_is_an_error() {
    let der = sat_key("FIEL_EKU9003173C9");
    for len in 0..der.len() {
        let err = PrivateKey::from_bytes(&der[..len], PASSWORD).unwrap_err();
        assert!(
            matches!(
                err,
                FielError::MalformedKey { .. } | FielError::WrongPassword
            ),
            "prefix of {len} bytes: {err:?}"
        );
    }
}

#[test]
fn flipped_bytes_in_certificate_and_key_never_panic() {
    let cer = sat_cer("FIEL_AAA010101AAA");
    let key = sat_key("FIEL_AAA010101AAA");
    // Every 7th byte of the certificate, a sample of the key (each decryption
    // runs PBKDF2, so not all of them).
    for i in (0..cer.len()).step_by(7) {
        let mut bad = cer.clone();
        bad[i] ^= 0x5a;
        let _ = Certificate::from_bytes(&bad);
    }
    for i in (0..key.len()).step_by(41) {
        let mut bad = key.clone();
        bad[i] ^= 0x5a;
        if let Ok(k) = PrivateKey::from_bytes(&bad, PASSWORD) {
            // Only a flip in a place that does not matter can still decrypt.
            let _ = k.bits();
        }
    }
    // A flip in the ciphertext's last block breaks the padding: wrong password.
    let mut bad = key.clone();
    let last = bad.len() - 3;
    bad[last] ^= 0xff;
    assert!(PrivateKey::from_bytes(&bad, PASSWORD).is_err());
}

#[test]
fn garbage_is_refused_with_the_right_kind_of_error() {
    let garbage: &[&[u8]] = &[
        b"",
        b"hola",
        b"\x30\x80\x00\x00",
        b"%PDF-1.7\n",
        b"-----BEGIN PRIVATE KEY-----\n@@@@\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
    ];
    for g in garbage {
        assert!(Certificate::from_bytes(g).is_err());
        let err = PrivateKey::from_bytes(g, PASSWORD).unwrap_err();
        assert!(
            matches!(
                err,
                FielError::MalformedKey { .. } | FielError::UnsupportedKeyEncryption { .. }
            ),
            "{err:?}"
        );
    }
    // A certificate offered as a key, and a key offered as a certificate.
    assert!(matches!(
        PrivateKey::from_bytes(&sat_cer("FIEL_EKU9003173C9"), PASSWORD),
        Err(FielError::MalformedKey { .. })
    ));
    assert!(matches!(
        Certificate::from_bytes(&sat_key("FIEL_EKU9003173C9")),
        Err(FielError::MalformedCertificate { .. })
    ));
}

#[test]
fn a_huge_file_is_refused_before_parsing() {
    let big = vec![0x30u8; 2 * 1024 * 1024];
    assert!(matches!(
        Certificate::from_bytes(&big),
        Err(FielError::TooLarge { .. })
    ));
    assert!(matches!(
        PrivateKey::from_bytes(&big, PASSWORD),
        Err(FielError::TooLarge { .. })
    ));
}

#[test]
fn a_broken_trust_folder_is_a_clear_configuration_error() {
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("LEEME.txt"), "autoridades").unwrap();
    let err = TrustStore::from_dir(empty.path()).unwrap_err();
    assert!(matches!(err, FielError::EmptyTrustStore { .. }), "{err:?}");
    assert!(!err.is_caused_by_input());

    let broken = tempfile::tempdir().unwrap();
    std::fs::write(broken.path().join("raiz.cer"), b"no soy un certificado").unwrap();
    let err = TrustStore::from_dir(broken.path()).unwrap_err();
    assert!(
        matches!(err, FielError::MalformedTrustAnchor { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("raiz.cer"));

    // A member's certificate is not a CA: skipped, so the folder is empty.
    let leaf_only = tempfile::tempdir().unwrap();
    std::fs::write(
        leaf_only.path().join("fiel.cer"),
        sat_cer("FIEL_EKU9003173C9"),
    )
    .unwrap();
    assert!(matches!(
        TrustStore::from_dir(leaf_only.path()),
        Err(FielError::EmptyTrustStore { .. })
    ));

    let missing = TrustStore::from_dir("/no/existe").unwrap_err();
    assert!(matches!(missing, FielError::Io { .. }));
}

#[test]
fn a_missing_crl_file_fails_at_start_up() {
    let source = RevocationSource::CrlFiles(vec!["/no/existe.crl".into()]);
    let err = Validator::new(TrustStore::empty(), &source).unwrap_err();
    assert!(matches!(err, FielError::Io { .. }), "{err:?}");
}

#[test]
fn a_key_asking_for_unbounded_derivation_work_is_refused_before_any_work() {
    // Arrange: the same key with four million PBKDF2 iterations, and with scrypt.
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    sh(
        dir,
        r#"
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out k.pem 2>/dev/null
        openssl pkcs8 -topk8 -in k.pem -v2 des3 -v2prf hmacWithSHA1 -iter 4000000 \
          -outform DER -passout "pass:$PASS" -out many.key
        openssl pkcs8 -topk8 -in k.pem -scrypt \
          -outform DER -passout "pass:$PASS" -out scrypt.key 2>/dev/null
        "#,
    );
    for name in ["many.key", "scrypt.key"] {
        let started = std::time::Instant::now();

        // Act
        let result = PrivateKey::from_bytes(&std::fs::read(dir.join(name)).unwrap(), PASSWORD);

        // Assert
        assert!(
            matches!(result, Err(FielError::UnsupportedKeyEncryption { .. })),
            "{name}: {result:?}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "{name}"
        );
    }
}
