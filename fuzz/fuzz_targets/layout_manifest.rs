//! The layout manifest parser (JSON from the documents service or a file).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rubrica_pdfsign::LayoutManifest::from_json(data);
});
