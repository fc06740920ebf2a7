//! The PDF reader on arbitrary bytes: revisions, cross-reference sections,
//! every object of the last revisions, pages and form. It must end in `Ok` or
//! `Err`, never a panic, a stack overflow, a hang or unbounded memory.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rubrica_pdfsign::fuzzing::read_everything(data);
});
