//! The handover upload sniffer on arbitrary bytes and names: what the file
//! is, whether its name is acceptable, and the name it is stored under.
//! `sniff.rs` has no dependencies, so it is compiled in as it is rather than
//! building the whole archive service.

#![no_main]

#[path = "../../shared/platform/src/sniff.rs"]
#[allow(dead_code)]
mod sniff;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first line is the file name, the rest the content.
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let name = String::from_utf8_lossy(&data[..split]);
    let content = data.get(split + 1..).unwrap_or_default();
    let _ = sniff::clean_name(&name);
    if let Ok(format) = sniff::detect(content) {
        let _ = sniff::name_for(&name, format);
    }
});
