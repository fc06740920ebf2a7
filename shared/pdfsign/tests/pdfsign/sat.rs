//! SAT's public test FIEL signs; without SAT's test root the chain is
//! indeterminate, and the report says so instead of calling it valid.

use rubrica_fiel::Credential;
use rubrica_pdfsign::{
    LayoutManifest, Outcome, PrepareOptions, SignerIdentity, Verdict, example, make_signable, sign,
    verify,
};

use crate::helpers::{run, sat_dir, untrusting_validator, validator, write};

fn sat(name: &str) -> Credential {
    let dir = sat_dir(name);
    let password = std::fs::read(dir.join("password.txt")).unwrap();
    Credential::from_files(
        dir.join("certificate.cer"),
        dir.join("private_key.key"),
        password,
    )
    .unwrap()
}

fn signable_for(rfc: &str) -> Vec<u8> {
    let who = SignerIdentity {
        id: "eku".into(),
        name: "ESCUELA KEMPER URGATE".into(),
        seat: "Sector empresarial".into(),
        role: "Titular".into(),
        rfc: rfc.into(),
    };
    let layout = LayoutManifest::standard(3, example::A4, vec![who]);
    make_signable(&example::acta(3), &layout).unwrap()
}

#[test]
fn the_sat_test_fiel_signs_and_verifies_with_an_indeterminate_chain() {
    let signed = sign(
        &signable_for("EKU9003173C9"),
        &sat("FIEL_EKU9003173C9"),
        &PrepareOptions::now(),
    )
    .unwrap();
    for v in [untrusting_validator(), validator()] {
        let report = verify(&signed, &v).unwrap();
        let s = &report.signatures[0];
        assert_eq!(s.verdict, Verdict::Indeterminate, "{}", s.summary);
        assert_eq!(report.verdict, Verdict::Indeterminate);
        assert_eq!(s.checks.digest.outcome, Outcome::Passed);
        assert_eq!(s.checks.signature.outcome, Outcome::Passed);
        assert_eq!(s.checks.certificate_type.outcome, Outcome::Passed);
        assert_eq!(s.checks.validity.outcome, Outcome::Passed);
        assert_eq!(s.checks.signer.outcome, Outcome::Passed);
        assert_eq!(s.checks.chain.outcome, Outcome::Indeterminate);
        assert_eq!(
            s.certificate.as_ref().unwrap().number,
            "30001000000500003415"
        );
        println!("SAT FIEL: {}", s.summary);
    }
    let path = write("sat-fiel.pdf", &signed);
    let (_, out) = run("pdfsig", &[path.to_str().unwrap()]);
    assert!(
        out.contains("Signature Validation: Signature is Valid."),
        "{out}"
    );
}

#[test]
fn the_sat_test_csd_and_the_expired_sat_fiel_are_refused() {
    let err = sign(
        &signable_for("EKU9003173C9"),
        &sat("CSD_EKU9003173C9"),
        &PrepareOptions::now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "csd_not_allowed");
    let err = sign(
        &signable_for("AAA010101AAA"),
        &sat("FIEL_AAA010101AAA"),
        &PrepareOptions::now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "certificate_expired");
}
