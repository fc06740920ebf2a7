//! What signing refuses, with Spanish messages that say what to do.

use rubrica_fiel::{Credential, FielError};
use rubrica_pdfsign::{LayoutManifest, PdfSignError, PrepareOptions, example, make_signable, sign};

use crate::helpers::{PASSWORD, acta_and_layout, credential, identities, pki, signed_acta};

fn open(file: &str) -> Credential {
    let dir = pki();
    Credential::from_files(
        dir.join(format!("{file}.cer")),
        dir.join(format!("{file}.key")),
        PASSWORD,
    )
    .unwrap()
}

#[test]
fn a_csd_is_refused() {
    let err = sign(
        &signed_acta().signable,
        &open("csd"),
        &PrepareOptions::now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "csd_not_allowed");
    assert!(err.to_string().contains("e.firma (FIEL)"), "{err}");
}

#[test]
fn an_expired_certificate_is_refused() {
    let err = sign(
        &signed_acta().signable,
        &open("expired"),
        &PrepareOptions::now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "certificate_expired");
    assert!(err.to_string().contains("Renueve"), "{err}");
}

#[test]
fn a_wrong_password_is_refused_before_anything_is_signed() {
    let dir = pki();
    let err =
        Credential::from_files(dir.join("maria.cer"), dir.join("maria.key"), "otra").unwrap_err();
    assert!(matches!(err, FielError::WrongPassword));
}

#[test]
fn a_certificate_whose_rfc_has_no_field_is_refused() {
    let (acta, layout) = acta_and_layout();
    let mut layout = layout;
    layout.signers.retain(|s| s.signer.id != "lucia");
    let signable = make_signable(&acta, &layout).unwrap();
    let err = sign(&signable, &credential("lucia"), &PrepareOptions::now()).unwrap_err();
    assert!(matches!(err, PdfSignError::NoFieldForRfc { .. }), "{err:?}");
    assert!(err.to_string().contains("MERL910214ST9"), "{err}");
}

#[test]
fn a_field_already_signed_is_refused() {
    let err = sign(
        &signed_acta().stages[0],
        &credential("maria"),
        &PrepareOptions::now(),
    )
    .unwrap_err();
    assert!(matches!(err, PdfSignError::AlreadySigned { .. }), "{err:?}");
    assert!(err.to_string().contains("ya firmó"), "{err}");
}

#[test]
fn a_pdf_without_signature_fields_cannot_be_signed() {
    let err = sign(
        &example::acta(2),
        &credential("maria"),
        &PrepareOptions::now(),
    )
    .unwrap_err();
    assert!(matches!(err, PdfSignError::NotSignable), "{err:?}");
}

#[test]
fn a_pdf_cannot_be_opened_for_signature_twice() {
    let acta = signed_acta();
    let (_, layout) = acta_and_layout();
    let err = make_signable(&acta.signable, &layout).unwrap_err();
    assert!(matches!(err, PdfSignError::AlreadySignable), "{err:?}");
}

#[test]
fn a_layout_for_another_page_count_or_document_is_refused() {
    let acta = example::acta(3);
    let layout = LayoutManifest::standard(4, example::A4, identities());
    assert!(matches!(
        make_signable(&acta, &layout),
        Err(PdfSignError::PageCountMismatch {
            manifest: 4,
            pdf: 3
        })
    ));
    let mut layout = LayoutManifest::standard(3, example::A4, identities());
    layout.document_sha256 = Some("00".repeat(32));
    assert!(matches!(
        make_signable(&acta, &layout),
        Err(PdfSignError::DocumentMismatch)
    ));
    let mut layout = LayoutManifest::standard(3, example::A4, identities());
    layout.signers[0].signature_box.x = 590.0;
    assert!(matches!(
        make_signable(&acta, &layout),
        Err(PdfSignError::RectOutsidePage { .. })
    ));
}

#[test]
fn an_untrusted_certificate_is_refused_when_a_validator_is_given() {
    let empty = crate::helpers::untrusting_validator();
    let options = PrepareOptions {
        validator: Some(&empty),
        ..PrepareOptions::now()
    };
    let err = sign(&signed_acta().signable, &credential("maria"), &options).unwrap_err();
    assert_eq!(err.code(), "untrusted");
}
