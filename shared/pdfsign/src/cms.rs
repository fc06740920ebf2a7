//! CMS SignedData for PAdES baseline B-B (RFC 5652, ETSI EN 319 142-1).
//!
//! Built: detached (no eContent), SHA-256, RSA PKCS#1 v1.5; signed attributes
//! content-type, message-digest and signing-certificate-v2, and no
//! signing-time (PAdES takes the time from the signature dictionary's `/M`).
//! Parsed: the parts verification needs, from a signature made by any tool,
//! keeping the signed attributes' raw bytes because their DER is what was
//! signed.

use rubrica_fiel::digest::Sha256;

use crate::der::{self, Reader, Tlv, oid, tag};

/// The signed attributes as a DER `SET`: exactly the bytes an RSA signer signs.
pub(crate) fn signed_attributes(
    message_digest: &[u8; 32],
    certificate_der: &[u8],
    issuer_der: &[u8],
    serial: &[u8],
) -> Vec<u8> {
    let content_type = der::constructed(
        tag::SEQUENCE,
        &[
            &der::oid(oid::CONTENT_TYPE),
            &der::constructed(tag::SET, &[&der::oid(oid::DATA)]),
        ],
    );
    let digest = der::constructed(
        tag::SEQUENCE,
        &[
            &der::oid(oid::MESSAGE_DIGEST),
            &der::constructed(tag::SET, &[&der::tlv(tag::OCTET_STRING, message_digest)]),
        ],
    );
    // ESSCertIDv2 with the DEFAULT hash algorithm (SHA-256) omitted, as DER
    // requires, and the issuer and serial so the certificate is bound by name
    // too (ETSI EN 319 122-1 §5.2.2.3).
    let cert_hash: [u8; 32] = Sha256::digest(certificate_der).into();
    let issuer_serial = der::constructed(
        tag::SEQUENCE,
        &[
            &der::constructed(tag::SEQUENCE, &[&der::tlv(tag::CONTEXT_4, issuer_der)]),
            &der::tlv(tag::INTEGER, serial),
        ],
    );
    let ess_cert_id = der::constructed(
        tag::SEQUENCE,
        &[&der::tlv(tag::OCTET_STRING, &cert_hash), &issuer_serial],
    );
    let signing_certificate = der::constructed(
        tag::SEQUENCE,
        &[&der::constructed(tag::SEQUENCE, &[&ess_cert_id])],
    );
    let signing_certificate_attr = der::constructed(
        tag::SEQUENCE,
        &[
            &der::oid(oid::SIGNING_CERTIFICATE_V2),
            &der::constructed(tag::SET, &[&signing_certificate]),
        ],
    );
    der::set_of(
        tag::SET,
        vec![content_type, digest, signing_certificate_attr],
    )
}

/// The whole `ContentInfo` around a SignedData with one SignerInfo.
pub(crate) fn signed_data(
    signed_attributes_set: &[u8],
    signature: &[u8],
    certificate_der: &[u8],
    issuer_der: &[u8],
    serial: &[u8],
    chain_der: &[Vec<u8>],
) -> Vec<u8> {
    // In the SignerInfo the attributes are `[0] IMPLICIT`: same content, other tag.
    let mut signed_attrs_implicit = signed_attributes_set.to_vec();
    if let Some(first) = signed_attrs_implicit.first_mut() {
        *first = tag::CONTEXT_0;
    }
    let issuer_and_serial = der::constructed(
        tag::SEQUENCE,
        &[issuer_der, &der::tlv(tag::INTEGER, serial)],
    );
    let signer_info = der::constructed(
        tag::SEQUENCE,
        &[
            &der::integer_small(1),
            &issuer_and_serial,
            &der::algorithm(oid::SHA256),
            &signed_attrs_implicit,
            &der::algorithm_null(oid::RSA_ENCRYPTION),
            &der::tlv(tag::OCTET_STRING, signature),
        ],
    );
    let mut certificates = vec![certificate_der.to_vec()];
    for ca in chain_der {
        if ca.as_slice() != certificate_der && !certificates.contains(ca) {
            certificates.push(ca.clone());
        }
    }
    let signed_data = der::constructed(
        tag::SEQUENCE,
        &[
            &der::integer_small(1),
            &der::constructed(tag::SET, &[&der::algorithm(oid::SHA256)]),
            // Detached: id-data with no eContent.
            &der::constructed(tag::SEQUENCE, &[&der::oid(oid::DATA)]),
            &der::set_of(tag::CONTEXT_0, certificates),
            &der::constructed(tag::SET, &[&signer_info]),
        ],
    );
    der::constructed(
        tag::SEQUENCE,
        &[
            &der::oid(oid::SIGNED_DATA),
            &der::constructed(tag::CONTEXT_0, &[&signed_data]),
        ],
    )
}

/// How a SignerInfo names its certificate.
#[derive(Debug, Clone)]
pub(crate) enum SignerId<'a> {
    /// Issuer Name DER and serial INTEGER content.
    IssuerSerial { issuer: &'a [u8], serial: &'a [u8] },
    /// subjectKeyIdentifier (matched by trying the embedded certificates).
    KeyId,
}

/// What verification needs from a CMS signature.
#[derive(Debug)]
pub(crate) struct ParsedSignature<'a> {
    /// Every certificate in the `certificates` set (DER).
    pub(crate) certificates: Vec<&'a [u8]>,
    /// Whether eContent is absent (a detached signature, as PAdES requires).
    pub(crate) detached: bool,
    /// encapContentInfo's content type is id-data.
    pub(crate) content_is_data: bool,
    /// Number of SignerInfos (PAdES: exactly one).
    pub(crate) signer_count: usize,
    pub(crate) signer_id: SignerId<'a>,
    /// digestAlgorithm OID content.
    pub(crate) digest_algorithm: &'a [u8],
    /// signatureAlgorithm OID content.
    pub(crate) signature_algorithm: &'a [u8],
    /// The signed attributes re-tagged as a SET: the bytes that were signed.
    pub(crate) signed_attributes_set: Option<Vec<u8>>,
    /// Attribute OID → first value's TLV.
    pub(crate) attributes: Vec<(&'a [u8], Tlv<'a>)>,
    pub(crate) signature: &'a [u8],
}

impl<'a> ParsedSignature<'a> {
    /// The first value of the signed attribute `oid`.
    pub(crate) fn attribute(&self, oid: &[u8]) -> Option<Tlv<'a>> {
        self.attributes
            .iter()
            .find(|(o, _)| *o == oid)
            .map(|(_, v)| *v)
    }

    /// The message-digest attribute's value.
    pub(crate) fn message_digest(&self) -> Option<&'a [u8]> {
        self.attribute(oid::MESSAGE_DIGEST)
            .filter(|t| t.tag == tag::OCTET_STRING)
            .map(|t| t.content)
    }

    /// The content-type attribute is id-data.
    pub(crate) fn content_type_is_data(&self) -> bool {
        self.attribute(oid::CONTENT_TYPE)
            .is_some_and(|t| t.tag == tag::OID && t.content == oid::DATA)
    }

    /// The SHA-256 certHash of signing-certificate-v2's first ESSCertIDv2,
    /// `None` when absent or using another hash.
    pub(crate) fn signing_certificate_v2_hash(&self) -> Option<&'a [u8]> {
        let value = self.attribute(oid::SIGNING_CERTIFICATE_V2)?;
        // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, … }
        let certs = Reader::new(value.content).expect(tag::SEQUENCE)?;
        let first = Reader::new(certs.content).expect(tag::SEQUENCE)?;
        let mut r = Reader::new(first.content);
        if let Some(alg) = r.optional(tag::SEQUENCE)
            && der::algorithm_oid(&alg)? != oid::SHA256
        {
            return None;
        }
        r.expect(tag::OCTET_STRING).map(|t| t.content)
    }
}

/// Parses a DER ContentInfo holding SignedData. Trailing zero padding (the
/// unused part of `/Contents`) is ignored. `None` when it is not one.
pub(crate) fn parse_signed_data(bytes: &[u8]) -> Option<ParsedSignature<'_>> {
    let content_info = Reader::new(bytes).expect(tag::SEQUENCE)?;
    let mut r = Reader::new(content_info.content);
    if r.expect(tag::OID)?.content != oid::SIGNED_DATA {
        return None;
    }
    let explicit = r.expect(tag::CONTEXT_0)?;
    let signed_data = Reader::new(explicit.content).expect(tag::SEQUENCE)?;
    let mut r = Reader::new(signed_data.content);
    r.expect(tag::INTEGER)?;
    r.expect(tag::SET)?; // digestAlgorithms
    let encap = r.expect(tag::SEQUENCE)?;
    let mut e = Reader::new(encap.content);
    let content_is_data = e.expect(tag::OID)?.content == oid::DATA;
    let detached = e.is_empty();
    let mut certificates = Vec::new();
    if let Some(certs) = r.optional(tag::CONTEXT_0) {
        let mut c = Reader::new(certs.content);
        while let Some(cert) = c.next_tlv() {
            if cert.tag == tag::SEQUENCE {
                certificates.push(cert.raw);
            }
        }
    }
    r.optional(tag::CONTEXT_1); // crls
    let signer_infos = r.expect(tag::SET)?;
    let mut infos = Reader::new(signer_infos.content);
    let first = infos.expect(tag::SEQUENCE)?;
    let mut signer_count = 1;
    while infos.next_tlv().is_some() {
        signer_count += 1;
    }

    let mut s = Reader::new(first.content);
    s.expect(tag::INTEGER)?;
    let signer_id = match s.next_tlv()? {
        t if t.tag == tag::SEQUENCE => {
            let mut ias = Reader::new(t.content);
            let issuer = ias.expect(tag::SEQUENCE)?.raw;
            let serial = ias.expect(tag::INTEGER)?.content;
            SignerId::IssuerSerial { issuer, serial }
        }
        t if t.tag == tag::CONTEXT_0_PRIMITIVE => SignerId::KeyId,
        _ => return None,
    };
    let digest_algorithm = der::algorithm_oid(&s.expect(tag::SEQUENCE)?)?;
    let mut attributes = Vec::new();
    let signed_attributes_set = match s.optional(tag::CONTEXT_0) {
        Some(attrs) => {
            let mut a = Reader::new(attrs.content);
            while let Some(attr) = a.next_tlv() {
                let mut parts = Reader::new(attr.content);
                let (Some(attr_oid), Some(values)) =
                    (parts.expect(tag::OID), parts.expect(tag::SET))
                else {
                    return None;
                };
                if let Some(v) = Reader::new(values.content).next_tlv() {
                    attributes.push((attr_oid.content, v));
                }
            }
            let mut set = attrs.raw.to_vec();
            set[0] = tag::SET;
            Some(set)
        }
        None => None,
    };
    let signature_algorithm = der::algorithm_oid(&s.expect(tag::SEQUENCE)?)?;
    let signature = s.expect(tag::OCTET_STRING)?.content;
    Some(ParsedSignature {
        certificates,
        detached,
        content_is_data,
        signer_count,
        signer_id,
        digest_algorithm,
        signature_algorithm,
        signed_attributes_set,
        attributes,
        signature,
    })
}

/// The length of the DER value at the start of `bytes` (tag + length +
/// content), to strip `/Contents`' zero padding; `None` if unreadable.
pub(crate) fn der_length(bytes: &[u8]) -> Option<usize> {
    Reader::new(bytes).next_tlv().map(|t| t.raw.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_signature_parses_back() {
        let issuer = der::constructed(tag::SEQUENCE, &[]);
        let cert = der::constructed(tag::SEQUENCE, &[&[0x02, 0x01, 0x05]]);
        let attrs = signed_attributes(&[7; 32], &cert, &issuer, &[0x01, 0x02]);
        assert_eq!(attrs[0], tag::SET);
        let cms = signed_data(&attrs, &[9; 256], &cert, &issuer, &[0x01, 0x02], &[]);
        let mut padded = cms.clone();
        padded.extend([0u8; 100]);
        assert_eq!(der_length(&padded), Some(cms.len()));
        let parsed = parse_signed_data(&padded[..cms.len()]).unwrap();
        assert!(parsed.detached && parsed.content_is_data);
        assert_eq!(parsed.signer_count, 1);
        assert_eq!(parsed.signed_attributes_set.as_deref(), Some(&attrs[..]));
        assert_eq!(parsed.message_digest(), Some(&[7u8; 32][..]));
        assert!(parsed.content_type_is_data());
        let expected: [u8; 32] = Sha256::digest(&cert).into();
        assert_eq!(parsed.signing_certificate_v2_hash(), Some(&expected[..]));
        assert_eq!(parsed.signature, &[9u8; 256][..]);
        assert!(parsed.attribute(oid::SIGNING_TIME).is_none());
    }

    #[test]
    fn garbage_is_not_a_signature() {
        for bad in [&b""[..], b"\x30\x03\x06\x01\x00", &[0xff; 64]] {
            assert!(parse_signed_data(bad).is_none());
        }
    }
}
