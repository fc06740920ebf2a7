//! The CMS SignedData parser used by verification, on arbitrary bytes (what
//! a PDF's `/Contents` holds).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rubrica_pdfsign::fuzzing::parse_cms(data);
});
