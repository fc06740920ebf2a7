//! A decompression bomb is stopped while it is decoded, not after: its own
//! test binary, so the peak memory it measures is its own.

mod hostile;

use hostile::{Pdf, one_page, peak_rss, signable_error, zeros};

#[test]
fn a_cross_reference_stream_that_expands_to_a_hundred_megabytes() {
    // 100 MiB of zeros in 650 KB, for a table of ten objects.
    let mut pdf = Pdf::new();
    one_page(&mut pdf);
    let data = zeros(100 * 1024 * 1024);
    assert!(data.len() < 1024 * 1024);
    let at = pdf.stream(
        4,
        "/Type/XRef/Size 10/W[1 2 1]/Root 1 0 R/Filter/FlateDecode",
        &data,
    );
    pdf.eof(at);
    drop(data);

    let before = peak_rss();
    let e = signable_error(&pdf.bytes);
    let after = peak_rss();
    assert_eq!(e.code(), "pdf_stream_too_large", "{e:?}");
    if let (Some(before), Some(after)) = (before, after) {
        let grown = after.saturating_sub(before);
        eprintln!("peak resident memory grew by {} KiB", grown / 1024);
        // The limit for one stream is 32 MiB; decoding must stop there.
        assert!(
            grown < 64 * 1024 * 1024,
            "decoding took {} MiB",
            grown / (1024 * 1024)
        );
    }
}
