//! Changes after signing are caught.

use lopdf::{Object, StringFormat};
use rubrica_pdfsign::{Outcome, Verdict, verify};

use crate::helpers::{append_revision, field_id, run, signed_acta, validator, write};

#[test]
fn a_byte_flipped_inside_a_signed_range_makes_every_signature_invalid() {
    let acta = signed_acta();
    let mut pdf = acta.signed().to_vec();
    // Inside the document information of the original revision: still a
    // readable PDF, but not the one that was signed.
    let at = pdf
        .windows(15)
        .position(|w| w == b"Acta de ejemplo")
        .expect("title");
    pdf[at] = b'B';
    let report = verify(&pdf, &validator()).unwrap();
    assert_eq!(report.verdict, Verdict::Invalid);
    for s in &report.signatures {
        assert_eq!(s.verdict, Verdict::Invalid);
        assert_eq!(
            s.checks.digest.outcome,
            Outcome::Failed,
            "{}",
            s.checks.digest.explanation
        );
        assert!(
            s.reason.as_deref().unwrap().contains("alterado"),
            "{:?}",
            s.reason
        );
    }
    // pdfsig agrees (and, as documented, still exits 0).
    let path = write("flipped.pdf", &pdf);
    let (_, out) = run("pdfsig", &[path.to_str().unwrap()]);
    assert_eq!(out.matches("Digest Mismatch").count(), 9, "{out}");
}

#[test]
fn a_byte_flipped_in_the_last_signers_revision_invalidates_only_that_signature() {
    let acta = signed_acta();
    let mut pdf = acta.signed().to_vec();
    // The last revision's signature appearance: "Firmado con e.firma" text.
    let at = pdf.len()
        - pdf
            .windows(7)
            .rev()
            .position(|w| w == b"Firmado")
            .expect("appearance text")
        - 7;
    pdf[at] = b'X';
    let report = verify(&pdf, &validator()).unwrap();
    let verdicts: Vec<Verdict> = report.signatures.iter().map(|s| s.verdict).collect();
    assert_eq!(&verdicts[..8], &[Verdict::Valid; 8]);
    assert_eq!(verdicts[8], Verdict::Invalid);
}

#[test]
fn changing_an_initials_field_after_its_signers_signature_is_a_forbidden_change() {
    let acta = signed_acta();
    let pdf = acta.signed();
    let (id, mut dict) = field_id(pdf, "Rubrica_maria_p3");
    dict.set(
        "V",
        Object::String(b"XYZ 00000000000000000000".to_vec(), StringFormat::Literal),
    );
    let tampered = append_revision(pdf, &[(id, Object::Dictionary(dict))]);
    let report = verify(&tampered, &validator()).unwrap();
    assert_eq!(report.verdict, Verdict::Invalid);
    let maria = &report.signatures[0];
    assert_eq!(maria.verdict, Verdict::Invalid);
    assert_eq!(maria.checks.locked_fields.outcome, Outcome::Failed);
    assert!(
        maria
            .checks
            .locked_fields
            .explanation
            .contains("Rubrica_maria_p3"),
        "{}",
        maria.checks.locked_fields.explanation
    );
    assert_eq!(
        maria.checks.digest.outcome,
        Outcome::Passed,
        "the bytes maria signed are intact"
    );
    // Every signature before the tampering sees a forbidden change after it.
    for s in &report.signatures {
        assert_eq!(
            s.checks.later_changes.outcome,
            Outcome::Failed,
            "{}",
            s.field
        );
        assert!(
            s.checks
                .later_changes
                .explanation
                .contains("ya estaba lleno"),
            "{}",
            s.checks.later_changes.explanation
        );
    }
    // Only maria's signature locked that field.
    assert_eq!(
        report.signatures[1].checks.locked_fields.outcome,
        Outcome::Passed
    );
    // pdfsig does no analysis of later revisions: it still calls them valid.
    let path = write("initials-changed.pdf", &tampered);
    let (_, out) = run("pdfsig", &[path.to_str().unwrap()]);
    println!(
        "pdfsig on the tampered acta: {} × «Signature is Valid.»",
        out.matches("Signature is Valid.").count()
    );
}

#[test]
fn an_annotation_added_to_a_page_after_signing_is_forbidden() {
    let acta = signed_acta();
    let pdf = acta.signed();
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let first_page = *doc.get_pages().get(&1).unwrap();
    let mut page = doc.get_dictionary(first_page).unwrap().clone();
    let stamp_id = (doc.max_id + 1, 0);
    let mut stamp = lopdf::Dictionary::new();
    stamp.set("Type", Object::Name(b"Annot".to_vec()));
    stamp.set("Subtype", Object::Name(b"Stamp".to_vec()));
    stamp.set(
        "Rect",
        Object::Array(vec![100.into(), 100.into(), 300.into(), 200.into()]),
    );
    let mut annots = page.get(b"Annots").unwrap().as_array().unwrap().clone();
    annots.push(Object::Reference(stamp_id));
    page.set("Annots", Object::Array(annots));
    let tampered = append_revision(
        pdf,
        &[
            (first_page, Object::Dictionary(page)),
            (stamp_id, Object::Dictionary(stamp)),
        ],
    );
    let report = verify(&tampered, &validator()).unwrap();
    assert_eq!(report.verdict, Verdict::Invalid);
    for s in &report.signatures {
        assert_eq!(s.checks.later_changes.outcome, Outcome::Failed);
        assert!(
            s.checks.later_changes.explanation.contains("la página 1"),
            "{}",
            s.checks.later_changes.explanation
        );
        assert_eq!(s.checks.digest.outcome, Outcome::Passed);
    }
}

#[test]
fn filling_someone_elses_initials_without_their_signature_is_forbidden() {
    let acta = signed_acta();
    // After 4 signatures, fill sofia's page-1 initials without a signature.
    let pdf = &acta.stages[3];
    let (id, mut dict) = field_id(pdf, "Rubrica_sofia_p1");
    dict.set("V", Object::String(b"SRC".to_vec(), StringFormat::Literal));
    let tampered = append_revision(pdf, &[(id, Object::Dictionary(dict))]);
    let report = verify(&tampered, &validator()).unwrap();
    assert_eq!(report.verdict, Verdict::Invalid);
    let s = &report.signatures[0];
    assert!(
        s.checks.later_changes.explanation.contains("sin firmarlos"),
        "{}",
        s.checks.later_changes.explanation
    );
    // And sofia can no longer sign that document.
    let err = rubrica_pdfsign::sign(
        &tampered,
        &crate::helpers::credential("sofia"),
        &rubrica_pdfsign::PrepareOptions::now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "initials_already_filled");
}
