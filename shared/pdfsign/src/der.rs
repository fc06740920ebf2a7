//! The few DER building blocks CMS needs, written and read by hand.
//!
//! Signing must hand the signer the *exact* bytes of the signed attributes,
//! and verification must hash them exactly as they appear in a signature made
//! by any tool, so both directions work on raw TLVs rather than on a typed
//! model that might re-encode. Tested against `openssl cms -verify`.

/// Tags used by CMS.
pub(crate) mod tag {
    pub(crate) const INTEGER: u8 = 0x02;
    pub(crate) const OCTET_STRING: u8 = 0x04;
    pub(crate) const NULL: u8 = 0x05;
    pub(crate) const OID: u8 = 0x06;
    pub(crate) const SEQUENCE: u8 = 0x30;
    pub(crate) const SET: u8 = 0x31;
    /// `[0]` constructed (EXPLICIT content, IMPLICIT SET OF).
    pub(crate) const CONTEXT_0: u8 = 0xA0;
    /// `[1]` constructed.
    pub(crate) const CONTEXT_1: u8 = 0xA1;
    /// `[4]` constructed: GeneralName directoryName.
    pub(crate) const CONTEXT_4: u8 = 0xA4;
    /// `[0]` primitive: SignerIdentifier subjectKeyIdentifier.
    pub(crate) const CONTEXT_0_PRIMITIVE: u8 = 0x80;
}

/// Object identifiers, DER-encoded content (without tag and length).
pub(crate) mod oid {
    /// 1.2.840.113549.1.7.1 id-data.
    pub(crate) const DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01];
    /// 1.2.840.113549.1.7.2 id-signedData.
    pub(crate) const SIGNED_DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];
    /// 1.2.840.113549.1.9.3 contentType.
    pub(crate) const CONTENT_TYPE: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03];
    /// 1.2.840.113549.1.9.4 messageDigest.
    pub(crate) const MESSAGE_DIGEST: &[u8] =
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04];
    /// 1.2.840.113549.1.9.5 signingTime (PAdES puts the time in /M instead).
    pub(crate) const SIGNING_TIME: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05];
    /// 1.2.840.113549.1.9.16.2.47 id-aa-signingCertificateV2.
    pub(crate) const SIGNING_CERTIFICATE_V2: &[u8] = &[
        0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x2F,
    ];
    /// 1.2.840.113549.1.9.16.2.12 id-aa-signingCertificate (v1, SHA-1).
    pub(crate) const SIGNING_CERTIFICATE: &[u8] = &[
        0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x0C,
    ];
    /// 2.16.840.1.101.3.4.2.1 id-sha256.
    pub(crate) const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    /// 1.2.840.113549.1.1.1 rsaEncryption.
    pub(crate) const RSA_ENCRYPTION: &[u8] =
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
    /// 1.2.840.113549.1.1.11 sha256WithRSAEncryption.
    pub(crate) const SHA256_WITH_RSA: &[u8] =
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B];
}

/// Appends a DER length.
fn push_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Tag, length, content.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    push_length(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// A constructed value from already-encoded parts.
pub(crate) fn constructed(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

/// A SET OF in DER order: elements sorted by their encodings (X.690 §11.6).
pub(crate) fn set_of(tag: u8, mut elements: Vec<Vec<u8>>) -> Vec<u8> {
    elements.sort();
    tlv(tag, &elements.concat())
}

pub(crate) fn oid(content: &[u8]) -> Vec<u8> {
    tlv(tag::OID, content)
}

pub(crate) fn integer_small(value: u8) -> Vec<u8> {
    tlv(tag::INTEGER, &[value])
}

/// AlgorithmIdentifier with absent parameters (RFC 5754 for SHA-2).
pub(crate) fn algorithm(oid_content: &[u8]) -> Vec<u8> {
    constructed(tag::SEQUENCE, &[&oid(oid_content)])
}

/// AlgorithmIdentifier with NULL parameters (RFC 3370 for rsaEncryption).
pub(crate) fn algorithm_null(oid_content: &[u8]) -> Vec<u8> {
    constructed(tag::SEQUENCE, &[&oid(oid_content), &[tag::NULL, 0]])
}

/// One TLV read from DER.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: u8,
    /// Content bytes.
    pub(crate) content: &'a [u8],
    /// Tag, length and content.
    pub(crate) raw: &'a [u8],
}

/// Reads consecutive TLVs.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The next TLV; `None` at the end or on malformed input.
    pub(crate) fn next_tlv(&mut self) -> Option<Tlv<'a>> {
        let buf = self.buf;
        let (&tag, rest) = buf.split_first()?;
        // High tag numbers (0x1F) never occur in CMS.
        if tag & 0x1F == 0x1F {
            return None;
        }
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7F);
            // Indefinite length (BER) or absurd sizes are refused.
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, &rest[n..])
        };
        if rest.len() < len {
            return None;
        }
        let header = buf.len() - rest.len();
        let tlv = Tlv {
            tag,
            content: &rest[..len],
            raw: &buf[..header + len],
        };
        self.buf = &rest[len..];
        Some(tlv)
    }

    /// The next TLV if it has `tag`.
    pub(crate) fn expect(&mut self, tag: u8) -> Option<Tlv<'a>> {
        let mut probe = Reader { buf: self.buf };
        let tlv = probe.next_tlv()?;
        if tlv.tag != tag {
            return None;
        }
        self.buf = probe.buf;
        Some(tlv)
    }

    /// The next TLV if it has `tag`; otherwise nothing is consumed.
    pub(crate) fn optional(&mut self, tag: u8) -> Option<Tlv<'a>> {
        self.expect(tag)
    }
}

/// The OID content of an AlgorithmIdentifier.
pub(crate) fn algorithm_oid<'a>(alg: &Tlv<'a>) -> Option<&'a [u8]> {
    let mut r = Reader::new(alg.content);
    r.expect(tag::OID).map(|t| t.content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip() {
        for len in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let content = vec![7u8; len];
            let encoded = tlv(tag::OCTET_STRING, &content);
            let mut r = Reader::new(&encoded);
            let t = r.next_tlv().unwrap();
            assert_eq!(t.content.len(), len);
            assert!(r.is_empty());
        }
    }

    #[test]
    fn truncated_der_is_refused() {
        for bad in [
            &[0x30u8][..],
            &[0x30, 0x05, 1],
            &[0x30, 0x80],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
        ] {
            assert!(Reader::new(bad).next_tlv().is_none());
        }
    }

    #[test]
    fn set_of_is_sorted() {
        let s = set_of(tag::SET, vec![vec![0x30, 2, 9, 9], vec![0x30, 1, 1]]);
        assert_eq!(s, vec![0x31, 7, 0x30, 1, 1, 0x30, 2, 9, 9]);
    }
}
