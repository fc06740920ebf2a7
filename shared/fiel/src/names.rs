//! Reading X.500 names (subject, issuer) into text.
//!
//! `x509-parser` only turns UTF8/Printable/IA5/Numeric strings into `&str`; SAT's
//! older certificates use `T61String` for names with accents, so we decode every
//! directory string type ourselves and never fail on one: a name we cannot decode
//! is shown as `#hex`, as RFC 4514 does.

use x509_parser::der_parser::asn1_rs::{Class, Tag};
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// Attribute OIDs Rúbrica reads from a FIEL subject.
pub(crate) mod oid {
    /// commonName: the holder's name as SAT prints it.
    pub const COMMON_NAME: &str = "2.5.4.3";
    /// name: SAT repeats the holder's name here.
    pub const NAME: &str = "2.5.4.41";
    /// organizationName: a legal entity's name.
    pub const ORGANIZATION: &str = "2.5.4.10";
    /// organizationalUnitName: a CSD's branch (sucursal); a FIEL has none.
    pub const ORGANIZATIONAL_UNIT: &str = "2.5.4.11";
    /// serialNumber: the CURP (`"CURP"` or `" / CURP"`).
    pub const SERIAL_NUMBER: &str = "2.5.4.5";
    /// x500UniqueIdentifier: the RFC (`"RFC"` or `"ENTITY / REPRESENTATIVE"`).
    pub const UNIQUE_IDENTIFIER: &str = "2.5.4.45";
    /// emailAddress (PKCS#9).
    pub const EMAIL: &str = "1.2.840.113549.1.9.1";
}

/// Short labels for the attributes SAT certificates use, in the spirit of RFC 4514
/// (OpenSSL's names for the non-standard ones), so a DN reads like `openssl x509`.
fn label(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.17" => "postalCode",
        "2.5.4.41" => "name",
        "2.5.4.42" => "GN",
        "2.5.4.45" => "x500UniqueIdentifier",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "1.2.840.113549.1.9.2" => "unstructuredName",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        _ => return None,
    })
}

/// Decodes a directory string by its ASN.1 tag.
///
/// `T61String` is, in practice, Latin-1 (and some issuers put UTF-8 in it): we take
/// valid UTF-8 as UTF-8 and anything else as Latin-1, which never fails. Types we
/// do not know become `#` + hex of the value.
pub(crate) fn decode_string(tag: Tag, data: &[u8]) -> String {
    match tag {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString
        | Tag::T61String
        | Tag::VideotexString
        | Tag::GeneralString
        | Tag::GraphicString => match std::str::from_utf8(data) {
            Ok(s) => s.to_owned(),
            Err(_) => latin1(data),
        },
        Tag::BmpString => {
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            if data.len().is_multiple_of(2) {
                String::from_utf16_lossy(&units)
            } else {
                format!("#{}", hex::encode(data))
            }
        }
        Tag::UniversalString if data.len().is_multiple_of(4) => data
            .chunks_exact(4)
            .map(|c| {
                char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                    .unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect(),
        _ => format!("#{}", hex::encode(data)),
    }
}

/// ISO 8859-1: every byte is the code point of the same number.
fn latin1(data: &[u8]) -> String {
    data.iter().map(|&b| char::from(b)).collect()
}

/// The decoded text of one attribute.
pub(crate) fn attribute_text(attr: &AttributeTypeAndValue<'_>) -> String {
    let value = attr.attr_value();
    if value.header.class() != Class::Universal {
        return format!("#{}", hex::encode(value.data));
    }
    decode_string(value.tag(), value.data)
}

/// Every value of an attribute type in a name, in certificate order.
pub(crate) fn values_of(name: &X509Name<'_>, oid: &str) -> Vec<String> {
    name.iter_attributes()
        .filter(|a| a.attr_type().to_id_string() == oid)
        .map(attribute_text)
        .collect()
}

/// The first value of an attribute type, trimmed, if present and non-empty.
pub(crate) fn first_of(name: &X509Name<'_>, oid: &str) -> Option<String> {
    values_of(name, oid)
        .into_iter()
        .map(|v| v.trim().to_owned())
        .find(|v| !v.is_empty())
}

/// The whole name as one line, `CN=…, O=…` in certificate order, with RFC 4514
/// escaping of the special characters, for reports and logs.
pub(crate) fn distinguished_name(name: &X509Name<'_>) -> String {
    let mut parts = Vec::new();
    for rdn in name.iter() {
        let rdn_text: Vec<String> = rdn
            .iter()
            .map(|attr| {
                let id = attr.attr_type().to_id_string();
                let key = label(&id).map(str::to_owned).unwrap_or(id);
                format!("{key}={}", escape(&attribute_text(attr)))
            })
            .collect();
        parts.push(rdn_text.join(" + "));
    }
    parts.join(", ")
}

/// A name key used to match an issuer to a CA when the DER bytes differ (a CA
/// re-encoded a string type): decoded values, whitespace collapsed, case folded.
pub(crate) fn comparable(name: &X509Name<'_>) -> String {
    let mut key = String::new();
    for attr in name.iter_attributes() {
        key.push_str(&attr.attr_type().to_id_string());
        key.push('=');
        let text = attribute_text(attr).to_lowercase();
        key.push_str(&text.split_whitespace().collect::<Vec<_>>().join(" "));
        key.push('\u{1f}');
    }
    key
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && matches!(c, '#'));
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t61_latin1_names_are_decoded_not_refused() {
        // "COYOACÁN" in Latin-1, as older SAT certificates carry it.
        let bytes = b"COYOAC\xc1N";
        assert_eq!(decode_string(Tag::T61String, bytes), "COYOACÁN");
        // Some issuers put UTF-8 in a T61String: keep it as UTF-8.
        assert_eq!(decode_string(Tag::T61String, "PEÑA".as_bytes()), "PEÑA");
    }

    #[test]
    fn bmp_universal_and_unknown_strings_never_fail() {
        assert_eq!(decode_string(Tag::BmpString, &[0, b'A', 0, 0xd1]), "AÑ");
        assert_eq!(decode_string(Tag::BmpString, &[0, b'A', 0]), "#004100");
        assert_eq!(decode_string(Tag::UniversalString, &[0, 0, 0, b'B']), "B");
        assert_eq!(
            decode_string(Tag::UniversalString, &[0xff, 0xff, 0xff, 0xff]),
            "\u{fffd}"
        );
        assert_eq!(decode_string(Tag::OctetString, &[1, 2]), "#0102");
    }

    #[test]
    fn dn_values_are_escaped() {
        assert_eq!(escape("A, B"), "A\\, B");
        assert_eq!(escape("#1"), "\\#1");
        assert_eq!(
            escape("EKU9003173C9 / VADA800927DJ3"),
            "EKU9003173C9 / VADA800927DJ3"
        );
    }
}
