//! Builders of hostile PDFs for the reader-limit tests: a PDF writer that
//! lays out objects and cross-reference sections by hand, and a zlib encoder
//! that describes hundreds of megabytes of repeated bytes in a few kilobytes
//! without ever holding them.

#![allow(dead_code)] // Each test binary uses part of it.

use std::fmt::Write as _;

use rubrica_fiel::{RevocationSource, TrustStore, Validator};
use rubrica_pdfsign::{LayoutManifest, PdfSignError, SignerIdentity, example};

/// A zlib stream with fixed Huffman codes (RFC 1951 §3.2.6), written bit by
/// bit: literals, and 258-byte back-references for long repetitions.
pub struct Zlib {
    out: Vec<u8>,
    acc: u64,
    bits: u32,
    a: u32,
    b: u32,
    pending: u32,
}

impl Default for Zlib {
    fn default() -> Self {
        Self::new()
    }
}

impl Zlib {
    pub fn new() -> Self {
        let mut z = Self {
            out: vec![0x78, 0x01],
            acc: 0,
            bits: 0,
            a: 1,
            b: 0,
            pending: 0,
        };
        // One final block with fixed codes: BFINAL = 1, BTYPE = 01.
        z.put(1, 1);
        z.put(1, 2);
        z
    }

    /// `n` bits of `value`, least significant first (header fields).
    fn put(&mut self, value: u32, n: u32) {
        self.acc |= u64::from(value) << self.bits;
        self.bits += n;
        while self.bits >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.bits -= 8;
        }
    }

    /// A Huffman code: most significant bit first.
    fn code(&mut self, code: u32, n: u32) {
        let reversed = code.reverse_bits() >> (32 - n);
        self.put(reversed, n);
    }

    fn checksum(&mut self, byte: u8) {
        self.a += u32::from(byte);
        self.b += self.a;
        self.pending += 1;
        // Reduce before the sums can overflow (5552 is zlib's NMAX).
        if self.pending == 5552 {
            self.a %= 65521;
            self.b %= 65521;
            self.pending = 0;
        }
    }

    fn literal(&mut self, byte: u8) {
        if byte < 144 {
            self.code(0x30 + u32::from(byte), 8);
        } else {
            self.code(0x190 + u32::from(byte) - 144, 9);
        }
        self.checksum(byte);
    }

    /// `data` as it is.
    pub fn bytes(&mut self, data: &[u8]) -> &mut Self {
        for &b in data {
            self.literal(b);
        }
        self
    }

    /// `pattern` (1 to 4 bytes) repeated until `total` bytes.
    pub fn repeat(&mut self, pattern: &[u8], total: usize) -> &mut Self {
        assert!((1..=4).contains(&pattern.len()));
        let period = pattern.len();
        let mut written = 0;
        while written < total.min(period) {
            self.literal(pattern[written]);
            written += 1;
        }
        while total - written >= 258 {
            // Length 258 is symbol 285; distances 1 to 4 are codes 0 to 3.
            self.code(0xC5, 8);
            self.code(period as u32 - 1, 5);
            for k in 0..258 {
                self.checksum(pattern[(written + k) % period]);
            }
            written += 258;
        }
        while written < total {
            self.literal(pattern[written % period]);
            written += 1;
        }
        self
    }

    pub fn finish(&mut self) -> Vec<u8> {
        self.code(0, 7); // end of block
        if self.bits > 0 {
            let pad = 8 - self.bits;
            self.put(0, pad);
        }
        let adler = ((self.b % 65521) << 16) | (self.a % 65521);
        let mut out = std::mem::take(&mut self.out);
        out.extend_from_slice(&adler.to_be_bytes());
        out
    }
}

/// `total` zero bytes, compressed.
pub fn zeros(total: usize) -> Vec<u8> {
    Zlib::new().repeat(&[0], total).finish()
}

/// A PDF written piece by piece; offsets are remembered for the
/// cross-reference sections.
pub struct Pdf {
    pub bytes: Vec<u8>,
}

impl Default for Pdf {
    fn default() -> Self {
        Self::new()
    }
}

impl Pdf {
    pub fn new() -> Self {
        Self {
            bytes: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec(),
        }
    }

    pub fn offset(&self) -> usize {
        self.bytes.len()
    }

    /// `id 0 obj body endobj`; returns its offset.
    pub fn object(&mut self, id: u32, body: &[u8]) -> usize {
        let at = self.offset();
        self.bytes
            .extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        self.bytes.extend_from_slice(body);
        self.bytes.extend_from_slice(b"\nendobj\n");
        at
    }

    /// A stream object whose dictionary has `dict` (without `<<`, `>>`) and
    /// `/Length`; returns its offset.
    pub fn stream(&mut self, id: u32, dict: &str, data: &[u8]) -> usize {
        let at = self.offset();
        self.bytes.extend_from_slice(
            format!("{id} 0 obj\n<<{dict}/Length {}>>\nstream\n", data.len()).as_bytes(),
        );
        self.bytes.extend_from_slice(data);
        self.bytes.extend_from_slice(b"\nendstream\nendobj\n");
        at
    }

    /// A classic section for `entries` (object number, offset) and its
    /// trailer, then `startxref` and `%%EOF`; returns the section's offset.
    pub fn xref_table(&mut self, entries: &[(u32, usize)], trailer: &str) -> usize {
        let at = self.offset();
        let mut s = String::from("xref\n0 1\n0000000000 65535 f \n");
        for (id, offset) in entries {
            let _ = write!(s, "{id} 1\n{offset:010} 00000 n \n");
        }
        let _ = write!(s, "trailer\n<<{trailer}>>\n");
        self.bytes.extend_from_slice(s.as_bytes());
        self.eof(at);
        at
    }

    /// `startxref at %%EOF`.
    pub fn eof(&mut self, at: usize) {
        self.bytes
            .extend_from_slice(format!("startxref\n{at}\n%%EOF\n").as_bytes());
    }
}

/// Catalog 1, page tree 2 and one A4 page 3; returns their offsets.
pub fn one_page(pdf: &mut Pdf) -> Vec<(u32, usize)> {
    vec![
        (1, pdf.object(1, b"<</Type/Catalog/Pages 2 0 R>>")),
        (2, pdf.object(2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>")),
        (
            3,
            pdf.object(3, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>"),
        ),
    ]
}

/// A one-signer layout for a one-page acta.
pub fn layout() -> LayoutManifest {
    LayoutManifest::standard(
        1,
        example::A4,
        vec![SignerIdentity {
            id: "ana".into(),
            name: "Ana Pérez".into(),
            seat: "Sociedad civil organizada".into(),
            role: "Titular".into(),
            rfc: "GORM800101AB1".into(),
        }],
    )
}

/// A validator that trusts nobody (verification then reads the document
/// without any anchor).
pub fn validator() -> Validator {
    Validator::new(TrustStore::empty(), &RevocationSource::NotConfigured)
        .expect("validator without anchors")
}

/// The error that opening `pdf` for signature ends in.
pub fn signable_error(pdf: &[u8]) -> PdfSignError {
    match rubrica_pdfsign::make_signable(pdf, &layout()) {
        Ok(_) => panic!("a hostile PDF was opened for signature"),
        Err(e) => e,
    }
}

/// The error that verifying `pdf` ends in.
pub fn verify_error(pdf: &[u8]) -> PdfSignError {
    match rubrica_pdfsign::verify(pdf, &validator()) {
        Ok(report) => panic!("a hostile PDF was verified: {}", report.summary),
        Err(e) => e,
    }
}

/// Peak resident memory of this process so far (`VmHWM`), in bytes.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
