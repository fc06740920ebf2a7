//! The certificate parser on arbitrary bytes (DER or PEM, as a `.cer` or a
//! CA of the trust folder), and the validation of whatever parses.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rubrica_fiel::{CaCertificate, Certificate, RevocationSource, TrustStore, Validator};

thread_local! {
    static VALIDATOR: Validator =
        Validator::new(TrustStore::empty(), &RevocationSource::NotConfigured)
            .expect("a validator without anchors");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(certificate) = Certificate::from_bytes(data) {
        let _ = certificate.summary();
        VALIDATOR.with(|v| {
            let _ = v.validate(&certificate, certificate.not_before());
        });
    }
    let _ = CaCertificate::from_bytes(data);
});
