//! No panic on any input: garbage, truncations, corruptions.

use rubrica_pdfsign::{LayoutManifest, PrepareOptions, example, make_signable, prepare, verify};

use crate::helpers::{credential, identities, signed_acta, validator};

#[test]
fn garbage_is_an_error_not_a_panic() {
    let v = validator();
    let cert = credential("maria");
    let layout = LayoutManifest::standard(1, example::A4, identities());
    let samples: Vec<Vec<u8>> = vec![
        vec![],
        b"%PDF-1.7".to_vec(),
        b"%PDF-1.7\nstartxref\n0\n%%EOF".to_vec(),
        b"%PDF-1.7\nxref\n0 99999999999\ntrailer<<>>\nstartxref\n9\n%%EOF".to_vec(),
        b"%PDF-1.7\n1 0 obj<</Type/XRef/W[1 1 1]/Size 3>>stream\n\x01\nendstream endobj\nstartxref\n9\n%%EOF".to_vec(),
        (0..=255u8).cycle().take(5000).collect(),
    ];
    for s in samples {
        assert!(verify(&s, &v).is_err());
        assert!(prepare(&s, cert.certificate(), &PrepareOptions::now()).is_err());
        assert!(make_signable(&s, &layout).is_err());
    }
}

#[test]
fn every_truncation_of_a_signed_acta_is_handled() {
    let v = validator();
    let pdf = signed_acta().stages[1].clone();
    let cert = credential("ana");
    let step = (pdf.len() / 300).max(1);
    let mut cuts: Vec<usize> = (0..pdf.len()).step_by(step).collect();
    cuts.extend(pdf.len() - 200..pdf.len());
    for cut in cuts {
        let piece = &pdf[..cut];
        if let Ok(report) = verify(piece, &v) {
            // A prefix that ends at an earlier revision is a valid, shorter document.
            let _ = report.verdict;
        }
        let _ = prepare(piece, cert.certificate(), &PrepareOptions::now());
    }
}

#[test]
fn corrupted_bytes_anywhere_never_panic() {
    let v = validator();
    let pdf = signed_acta().stages[1].clone();
    let mut seed = 0x2545F4914F6CDD1Du64;
    for _ in 0..300 {
        let mut copy = pdf.clone();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed as usize) % copy.len();
            copy[at] = (seed >> 32) as u8;
        }
        let _ = verify(&copy, &v);
    }
}

#[test]
fn pdfs_with_cross_reference_streams_are_signed_and_verified_too() {
    let acta = example::acta_with(3, example::XrefStyle::Streams);
    assert!(
        acta.windows(5).any(|w| w == b"/XRef"),
        "the example should use an xref stream"
    );
    let layout = LayoutManifest::standard(3, example::A4, identities()[..2].to_vec());
    let signable = make_signable(&acta, &layout).unwrap();
    let one =
        rubrica_pdfsign::sign(&signable, &credential("maria"), &PrepareOptions::now()).unwrap();
    let two = rubrica_pdfsign::sign(&one, &credential("juan"), &PrepareOptions::now()).unwrap();
    let report = verify(&two, &validator()).unwrap();
    assert_eq!(
        report.verdict,
        rubrica_pdfsign::Verdict::Valid,
        "{}",
        serde_json::to_string_pretty(&report).unwrap()
    );
    assert!(report.record_complete);
    let path = crate::helpers::write("xref-streams.pdf", &two);
    let (ok, out) = crate::helpers::run("qpdf", &["--check", path.to_str().unwrap()]);
    assert!(ok, "{out}");
    let (_, out) = crate::helpers::run("pdfsig", &[path.to_str().unwrap()]);
    assert_eq!(out.matches("Signature is Valid.").count(), 2, "{out}");
}
