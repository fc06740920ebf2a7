//! Remote two-step signing: prepare → sign elsewhere → complete.

use rubrica_fiel::digest::Sha256;
use rubrica_pdfsign::{PrepareOptions, PreparedRevision, Verdict, complete, prepare, verify};

use crate::helpers::{credential, signed_acta, validator};

#[test]
fn prepare_returns_the_signed_attributes_and_complete_embeds_a_remote_signature() {
    let acta = signed_acta();
    let me = credential("maria");
    let prepared = prepare(&acta.signable, me.certificate(), &PrepareOptions::now()).unwrap();
    // A DER SET with no signing-time attribute (1.2.840.113549.1.9.5).
    assert_eq!(prepared.to_sign[0], 0x31);
    let signing_time_oid = [
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05,
    ];
    assert!(!prepared.to_sign.windows(11).any(|w| w == signing_time_oid));
    assert_eq!(
        prepared.state.base_sha256,
        hex::encode(Sha256::digest(&acta.signable))
    );
    assert_eq!(prepared.state.signer.id, "maria");
    assert_eq!(prepared.state.field, "Firma_maria");

    // The state survives a round trip through storage.
    let stored = serde_json::to_string(&prepared.state).unwrap();
    let restored: PreparedRevision = serde_json::from_str(&stored).unwrap();

    // The "remote" signer signs the bytes with the key it holds.
    let value = me.sign_sha256(&prepared.to_sign).unwrap();
    let signed = complete(&restored, &value).unwrap();
    let report = verify(&signed, &validator()).unwrap();
    assert_eq!(report.verdict, Verdict::Valid, "{}", report.summary);
}

#[test]
fn complete_refuses_a_signature_value_that_does_not_match() {
    let acta = signed_acta();
    let prepared = prepare(
        &acta.signable,
        credential("maria").certificate(),
        &PrepareOptions::now(),
    )
    .unwrap();
    let wrong_key = credential("juan").sign_sha256(&prepared.to_sign).unwrap();
    let err = complete(&prepared.state, &wrong_key).unwrap_err();
    assert_eq!(err.code(), "signature_invalid");
    assert!(complete(&prepared.state, b"basura").is_err());
    let mut tampered = prepared.state.clone();
    tampered.signer.name.push('x');
    // The signer info is descriptive; the signature still binds the bytes.
    let good = credential("maria").sign_sha256(&prepared.to_sign).unwrap();
    assert!(complete(&tampered, &good).is_ok());
}

#[test]
fn two_members_preparing_on_the_same_revision_make_the_second_stale() {
    let acta = signed_acta();
    let maria = credential("maria");
    let juan = credential("juan");
    let a = prepare(&acta.signable, maria.certificate(), &PrepareOptions::now()).unwrap();
    let b = prepare(&acta.signable, juan.certificate(), &PrepareOptions::now()).unwrap();
    let after_a = complete(&a.state, &maria.sign_sha256(&a.to_sign).unwrap()).unwrap();
    // A service compares the prepared base with its current revision.
    assert_ne!(b.state.base_sha256, hex::encode(Sha256::digest(&after_a)));
    // Prepared again on the current revision, juan's signature joins maria's.
    let b = prepare(&after_a, juan.certificate(), &PrepareOptions::now()).unwrap();
    let both = complete(&b.state, &juan.sign_sha256(&b.to_sign).unwrap()).unwrap();
    let report = verify(&both, &validator()).unwrap();
    assert_eq!(report.verdict, Verdict::Valid);
    assert_eq!(report.signatures.len(), 2);
}
