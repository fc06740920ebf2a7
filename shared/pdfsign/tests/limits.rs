//! Hard limits of the PDF reader (issue 15): a small hostile file that claims
//! or expands to huge structures ends in the specific error for the limit it
//! crosses — an answer the services give as 422 — instead of exhausting
//! memory, the stack or the processor.

mod hostile;

use std::fmt::Write as _;

use hostile::{Pdf, Zlib, one_page, signable_error, verify_error, zeros};
use rubrica_pdfsign::PdfSignError;

/// Both entry points that read a whole document end in `code`.
fn assert_both(pdf: &[u8], code: &str) {
    assert_signable(pdf, code);
    let e = verify_error(pdf);
    assert_eq!(e.code(), code, "verify: {e:?}");
}

/// Opening `pdf` for signature ends in `code`, a fault of the input (422)
/// explained in Spanish.
fn assert_signable(pdf: &[u8], code: &str) {
    let e = signable_error(pdf);
    assert_eq!(e.code(), code, "make_signable: {e:?}");
    assert!(e.is_caused_by_input());
    let message = e.to_string();
    assert!(
        message.starts_with("El PDF excede el límite de ")
            && message.ends_with("genere el documento de nuevo."),
        "{message}"
    );
}

/// A cross-reference stream with one row per object, `W [1 4 2]`.
fn xref_rows(rows: &[(u8, u32, u16)]) -> Vec<u8> {
    let mut data = Vec::new();
    for (kind, f2, f3) in rows {
        data.push(*kind);
        data.extend_from_slice(&f2.to_be_bytes());
        data.extend_from_slice(&f3.to_be_bytes());
    }
    data
}

#[test]
fn an_xref_stream_claiming_fifty_million_objects() {
    // 50 MB of zeros in 320 KB: with `W [1 0 0]` each zero byte is a free
    // entry. The old reader stored all of them, then a copy per revision that
    // names the section (here nine).
    let mut pdf = Pdf::new();
    one_page(&mut pdf);
    let data = zeros(50_000_000);
    assert!(data.len() < 512 * 1024);
    let at = pdf.stream(
        4,
        "/Type/XRef/Size 50000000/W[1 0 0]/Root 1 0 R/Filter/FlateDecode",
        &data,
    );
    for _ in 0..9 {
        pdf.eof(at);
    }
    assert_both(&pdf.bytes, "pdf_too_many_objects");
    let e = signable_error(&pdf.bytes);
    assert!(matches!(
        e,
        PdfSignError::TooManyObjects { limit: 1_000_000 }
    ));
    assert!(e.to_string().contains("1,000,000 objetos"), "{e}");
}

#[test]
fn xref_sections_with_more_entries_than_the_limit() {
    // Two sections of 900,000 entries each (a few kilobytes compressed),
    // named by twenty revisions.
    let mut pdf = Pdf::new();
    one_page(&mut pdf);
    let first = pdf.stream(
        4,
        "/Type/XRef/Size 900000/W[1 0 0]/Root 1 0 R/Filter/FlateDecode",
        &zeros(900_000),
    );
    pdf.eof(first);
    let second = pdf.stream(
        5,
        &format!("/Type/XRef/Size 900000/W[1 0 0]/Root 1 0 R/Prev {first}/Filter/FlateDecode"),
        &zeros(900_000),
    );
    for _ in 0..20 {
        pdf.eof(second);
    }
    assert_both(&pdf.bytes, "pdf_too_many_xref_entries");
}

#[test]
fn a_large_table_seen_by_many_revisions() {
    // 900,000 objects, then six small updates: each revision sees the whole
    // table, 6.3 million entries in all.
    let mut pdf = Pdf::new();
    let objects = one_page(&mut pdf);
    let mut rows = vec![(0u8, 0u32, 0u16)];
    rows.extend(objects.iter().map(|(_, o)| (1, *o as u32, 0)));
    let mut z = Zlib::new();
    z.bytes(&xref_rows(&rows)).repeat(&[0], (900_000 - 4) * 7);
    let mut prev = pdf.stream(
        4,
        "/Type/XRef/Size 900000/W[1 4 2]/Root 1 0 R/Filter/FlateDecode",
        &z.finish(),
    );
    pdf.eof(prev);
    for i in 0..6 {
        let page = pdf.object(
            3,
            format!("<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Rev {i}>>").as_bytes(),
        );
        prev = pdf.xref_table(
            &[(3, page)],
            &format!("/Size 900000/Root 1 0 R/Prev {prev}"),
        );
    }
    assert_both(&pdf.bytes, "pdf_too_many_revision_entries");
}

#[test]
fn five_thousand_incremental_revisions() {
    // Each revision adds one object: small, but the old reader built a table
    // per revision from the whole chain before it, quadratic in time and
    // memory.
    let mut pdf = Pdf::new();
    let objects = one_page(&mut pdf);
    let mut prev = pdf.xref_table(&objects, "/Size 4/Root 1 0 R");
    for i in 0..5_000u32 {
        let id = 4 + i;
        let at = pdf.object(id, b"<</Note (revision)>>");
        prev = pdf.xref_table(
            &[(id, at)],
            &format!("/Size {}/Root 1 0 R/Prev {prev}", id + 1),
        );
    }
    assert_both(&pdf.bytes, "pdf_too_many_revisions");
}

fn deep_array(levels: usize) -> String {
    let mut s = "[".repeat(levels);
    s.push_str(&"]".repeat(levels));
    s
}

#[test]
fn an_array_nested_ten_thousand_levels() {
    let mut pdf = Pdf::new();
    let mut objects = one_page(&mut pdf);
    let catalog = format!("<</Type/Catalog/Pages 2 0 R/Deep {}>>", deep_array(10_000));
    objects[0].1 = pdf.object(1, catalog.as_bytes());
    pdf.xref_table(&objects, "/Size 4/Root 1 0 R");
    assert_both(&pdf.bytes, "pdf_nesting_too_deep");
}

#[test]
fn a_dictionary_nested_ten_thousand_levels_in_an_object_stream() {
    let mut pdf = Pdf::new();
    let objects = one_page(&mut pdf);
    let mut deep = String::new();
    for _ in 0..10_000 {
        deep.push_str("<</A ");
    }
    deep.push('1');
    for _ in 0..10_000 {
        deep.push_str(">>");
    }
    let header = "1 0 ";
    let body = format!("{header}<</Type/Catalog/Pages 2 0 R/Deep {deep}>>");
    let stm = pdf.stream(
        4,
        &format!("/Type/ObjStm/N 1/First {}", header.len()),
        body.as_bytes(),
    );
    let xref_at = pdf.offset();
    let rows = [
        (0, 0, 0),
        (2, 4, 0),
        (1, objects[1].1 as u32, 0),
        (1, objects[2].1 as u32, 0),
        (1, stm as u32, 0),
        (1, xref_at as u32, 0),
    ];
    pdf.stream(
        5,
        "/Type/XRef/Size 6/W[1 4 2]/Root 1 0 R",
        &xref_rows(&rows),
    );
    pdf.eof(xref_at);
    assert_both(&pdf.bytes, "pdf_nesting_too_deep");
}

#[test]
fn an_object_stream_claiming_ten_million_objects() {
    // `/N 10000000`, and an index of 2.5 million entries that all point at
    // the same 64 KB catalog: the old reader parsed it 2.5 million times.
    let mut pdf = Pdf::new();
    let objects = one_page(&mut pdf);
    let index_len = 2_500_000 * 4;
    let mut z = Zlib::new();
    z.repeat(b"1 0 ", index_len)
        .bytes(b"<</Type/Catalog/Pages 2 0 R/Pad (")
        .repeat(b"a", 64 * 1024)
        .bytes(b")>>");
    let stm = pdf.stream(
        4,
        &format!("/Type/ObjStm/N 10000000/First {index_len}/Filter/FlateDecode"),
        &z.finish(),
    );
    let xref_at = pdf.offset();
    let rows = [
        (0, 0, 0),
        (2, 4, 0),
        (1, objects[1].1 as u32, 0),
        (1, objects[2].1 as u32, 0),
        (1, stm as u32, 0),
        (1, xref_at as u32, 0),
    ];
    pdf.stream(
        5,
        "/Type/XRef/Size 6/W[1 4 2]/Root 1 0 R",
        &xref_rows(&rows),
    );
    pdf.eof(xref_at);
    assert_both(&pdf.bytes, "pdf_too_many_objects");
}

#[test]
fn many_object_streams_that_each_expand_to_thirty_megabytes() {
    // Ten pages, each alone in an object stream padded with 30 MB of zeros:
    // under the limit for one stream, 300 MB for the document.
    let pages = 10u32;
    let mut pdf = Pdf::new();
    let kids: String = (0..pages).map(|i| format!("{} 0 R ", 10 + 2 * i)).collect();
    let catalog = pdf.object(1, b"<</Type/Catalog/Pages 2 0 R>>");
    let tree = pdf.object(
        2,
        format!("<</Type/Pages/Kids[{kids}]/Count {pages}>>").as_bytes(),
    );
    let mut rows = vec![
        (0u8, 0u32, 0u16),
        (1, catalog as u32, 0),
        (1, tree as u32, 0),
    ];
    rows.extend((3..10).map(|_| (0, 0, 0)));
    for i in 0..pages {
        let page = 10 + 2 * i;
        let stream = page + 1;
        let header = format!("{page} 0 ");
        let mut z = Zlib::new();
        z.bytes(header.as_bytes())
            .bytes(b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>")
            .repeat(&[0], 30_000_000);
        let at = pdf.stream(
            stream,
            &format!("/Type/ObjStm/N 1/First {}/Filter/FlateDecode", header.len()),
            &z.finish(),
        );
        rows.push((2, stream, 0));
        rows.push((1, at as u32, 0));
    }
    let xref_id = rows.len() as u32;
    let xref_at = pdf.offset();
    rows.push((1, xref_at as u32, 0));
    pdf.stream(
        xref_id,
        &format!("/Type/XRef/Size {}/W[1 4 2]/Root 1 0 R", rows.len()),
        &xref_rows(&rows),
    );
    pdf.eof(xref_at);
    assert!(pdf.bytes.len() < 4 * 1024 * 1024);
    assert_signable(&pdf.bytes, "pdf_decoded_too_large");
}

#[test]
fn an_array_of_ten_million_integers() {
    // 20 MB of "0 " parse into ten million objects of a few dozen bytes each.
    let mut pdf = Pdf::new();
    let mut objects = one_page(&mut pdf);
    let mut catalog = String::from("<</Type/Catalog/Pages 2 0 R/Big [");
    for _ in 0..10_000_000 {
        catalog.push_str("0 ");
    }
    let _ = write!(catalog, "]>>");
    objects[0].1 = pdf.object(1, catalog.as_bytes());
    pdf.xref_table(&objects, "/Size 4/Root 1 0 R");
    assert_both(&pdf.bytes, "pdf_decoded_too_large");
}

#[test]
fn the_hand_made_zlib_streams_decode_to_what_they_describe() {
    let mut z = Zlib::new();
    z.bytes(b"abc\xff\x90")
        .repeat(b"1 0 ", 1_003)
        .repeat(&[0], 70_000);
    let compressed = z.finish();
    let stream = lopdf::Stream::new(
        lopdf::dictionary! { "Filter" => "FlateDecode" },
        compressed.clone(),
    );
    let decoded = stream.decompressed_content().unwrap();
    let mut expected = b"abc\xff\x90".to_vec();
    expected.extend(b"1 0 ".iter().cycle().take(1_003));
    expected.extend(std::iter::repeat_n(0, 70_000));
    assert_eq!(decoded, expected);
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &expected {
        a = (a + u32::from(*byte)) % 65521;
        b = (b + a) % 65521;
    }
    assert_eq!(
        compressed[compressed.len() - 4..],
        ((b << 16) | a).to_be_bytes()
    );
}
