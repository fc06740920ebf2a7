//! Rúbrica's own verification on the signed acta.

use rubrica_pdfsign::{Outcome, Verdict, verify};

use crate::helpers::{MEMBERS, signed_acta, untrusting_validator, validator};

#[test]
fn nine_signatures_are_valid_and_the_record_is_complete() {
    let acta = signed_acta();
    let report = verify(acta.signed(), &validator()).unwrap();
    assert_eq!(
        report.verdict,
        Verdict::Valid,
        "{}",
        serde_json::to_string_pretty(&report).unwrap()
    );
    assert_eq!(report.signatures.len(), 9);
    assert_eq!(report.revisions, 11);
    assert!(report.record_complete);
    assert!(report.pending_signers.is_empty());
    for (i, (s, (_, name, rfc, ..))) in report.signatures.iter().zip(MEMBERS).enumerate() {
        assert_eq!(s.verdict, Verdict::Valid, "{}", s.summary);
        assert_eq!(s.revision, Some(i + 3));
        assert_eq!(s.covers_whole_document, i == 8);
        assert_eq!(s.expected_signer.as_ref().unwrap().rfc, rfc);
        assert_eq!(s.expected_signer.as_ref().unwrap().name, name);
        assert_eq!(s.locked_fields.len(), 20);
        assert_eq!(
            s.checks.initials.outcome,
            Outcome::Passed,
            "{}",
            s.checks.initials.explanation
        );
        assert_eq!(
            s.checks.later_changes.outcome,
            Outcome::Passed,
            "{}",
            s.checks.later_changes.explanation
        );
        assert_eq!(s.checks.locked_fields.outcome, Outcome::Passed);
    }
    assert!(report.summary.contains("completa"), "{}", report.summary);
    println!("{}", report.summary);
}

#[test]
fn a_partly_signed_acta_is_valid_but_not_complete() {
    let acta = signed_acta();
    let report = verify(&acta.stages[3], &validator()).unwrap();
    assert_eq!(report.verdict, Verdict::Valid);
    assert_eq!(report.signatures.len(), 4);
    assert!(!report.record_complete);
    assert_eq!(report.pending_signers.len(), 5);
    assert_eq!(report.pending_signers[0].rfc, MEMBERS[4].2);
    // The quick list (no signature checked) is the same.
    let quick = rubrica_pdfsign::pending_signers(&acta.stages[3]).unwrap();
    let rfcs =
        |l: &[rubrica_pdfsign::SignerIdentity]| l.iter().map(|p| p.rfc.clone()).collect::<Vec<_>>();
    assert_eq!(rfcs(&quick), rfcs(&report.pending_signers));
    assert!(
        rubrica_pdfsign::pending_signers(signed_acta().signed())
            .unwrap()
            .is_empty()
    );
    assert!(
        report.summary.contains("no está completa"),
        "{}",
        report.summary
    );
}

#[test]
fn without_trust_anchors_every_signature_is_indeterminate_never_valid() {
    let report = verify(signed_acta().signed(), &untrusting_validator()).unwrap();
    assert_eq!(report.verdict, Verdict::Indeterminate);
    for s in &report.signatures {
        assert_eq!(s.verdict, Verdict::Indeterminate);
        assert_eq!(s.checks.chain.outcome, Outcome::Indeterminate);
        assert_eq!(s.checks.digest.outcome, Outcome::Passed);
        assert_eq!(s.checks.signature.outcome, Outcome::Passed);
    }
}

#[test]
fn the_unsigned_acta_and_the_signable_one_have_no_valid_signature() {
    let acta = signed_acta();
    let plain = verify(&acta.acta, &validator()).unwrap();
    assert_eq!(plain.verdict, Verdict::Indeterminate);
    assert_eq!(plain.signature_fields, 0);
    let signable = verify(&acta.signable, &validator()).unwrap();
    assert_eq!(signable.signature_fields, 9);
    assert_eq!(signable.pending_signers.len(), 9);
    assert_eq!(
        rubrica_pdfsign::pending_signers(&acta.signable)
            .unwrap()
            .len(),
        9
    );
    assert!(
        rubrica_pdfsign::pending_signers(&acta.acta)
            .unwrap()
            .is_empty()
    );
    assert!(!signable.record_complete);
}

#[test]
fn the_report_serialises_with_spanish_explanations() {
    let report = verify(signed_acta().signed(), &validator()).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["verdict"], "valid");
    assert_eq!(
        json["signatures"][0]["checks"]["digest"]["outcome"],
        "passed"
    );
    let text = json["signatures"][0]["checks"]["digest"]["explanation"]
        .as_str()
        .unwrap();
    assert!(text.contains("resumen SHA-256"), "{text}");
}
