//! Verification on arbitrary bytes: the reader, the form, the signatures'
//! CMS, the change analysis. A validator without trust anchors is enough to
//! reach all of it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rubrica_fiel::{RevocationSource, TrustStore, Validator};

thread_local! {
    static VALIDATOR: Validator =
        Validator::new(TrustStore::empty(), &RevocationSource::NotConfigured)
            .expect("a validator without anchors");
}

fuzz_target!(|data: &[u8]| {
    VALIDATOR.with(|v| {
        let _ = rubrica_pdfsign::verify(data, v);
    });
});
