//! Mexican identifiers found in a FIEL certificate: RFC, CURP and the SAT
//! certificate number.
//!
//! Parse, don't validate: a string from outside (a certificate, a form, a CSV of
//! members) becomes an [`Rfc`], [`Curp`] or [`CertificateNumber`] once, at the
//! edge; inside the suite such a value is always well formed, so members can be
//! matched by comparing values, not by re-checking strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{FielError, Result};

/// Registro Federal de Contribuyentes: the tax id that identifies a member.
///
/// 13 characters for a natural person (4 letters, birth date `YYMMDD`, 3-character
/// homoclave), 12 for a legal entity (3 letters, incorporation date, homoclave).
/// Stored uppercase; `Ñ` and `&` are letters of the RFC alphabet.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rfc(String);

/// Whether an RFC belongs to a person or to a legal entity; a legal entity's
/// FIEL also names its legal representative, who is the one actually signing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RfcKind {
    /// *Persona física*: 13 characters.
    NaturalPerson,
    /// *Persona moral*: 12 characters.
    LegalEntity,
}

impl Rfc {
    /// Parses an RFC, trimming surrounding spaces and uppercasing, so what a person
    /// types ("gorm800101ab1 ") and what a certificate carries compare equal.
    pub fn parse(input: &str) -> Result<Self> {
        let value = input.trim().to_uppercase();
        let chars: Vec<char> = value.chars().collect();
        let letters = match chars.len() {
            13 => 4,
            12 => 3,
            _ => return Err(invalid_rfc(input)),
        };
        let is_rfc_letter = |c: &char| c.is_ascii_uppercase() || *c == 'Ñ' || *c == '&';
        let ok = chars[..letters].iter().all(is_rfc_letter)
            && is_yymmdd(&chars[letters..letters + 6])
            && chars[letters + 6..]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if ok {
            Ok(Self(value))
        } else {
            Err(invalid_rfc(input))
        }
    }

    /// Natural person or legal entity, from the length.
    pub fn kind(&self) -> RfcKind {
        if self.0.chars().count() == 13 {
            RfcKind::NaturalPerson
        } else {
            RfcKind::LegalEntity
        }
    }

    /// The RFC as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn invalid_rfc(input: &str) -> FielError {
    FielError::InvalidRfc {
        value: shorten(input),
    }
}

/// Clave Única de Registro de Población: 18 characters identifying a person.
///
/// A FIEL carries it in the subject's `serialNumber`; for a legal entity it is the
/// representative's. Format checked: 4 letters, birth date, sex (`H`, `M` or `X`),
/// state code, 3 letters, a homonym character and a check digit.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Curp(String);

/// The two-letter state codes of a CURP (`NE`: born abroad).
const CURP_STATES: [&str; 33] = [
    "AS", "BC", "BS", "CC", "CL", "CM", "CS", "CH", "DF", "DG", "GT", "GR", "HG", "JC", "MC", "MN",
    "MS", "NT", "NL", "OC", "PL", "QT", "QR", "SP", "SL", "SR", "TC", "TS", "TL", "VZ", "YN", "ZS",
    "NE",
];

impl Curp {
    /// Parses a CURP, trimming and uppercasing like [`Rfc::parse`].
    pub fn parse(input: &str) -> Result<Self> {
        let value = input.trim().to_uppercase();
        let b = value.as_bytes();
        let letters = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_uppercase);
        let ok = b.len() == 18
            && letters(0..4)
            && is_yymmdd_bytes(&b[4..10])
            && matches!(b[10], b'H' | b'M' | b'X')
            && CURP_STATES.iter().any(|s| s.as_bytes() == &b[11..13])
            && letters(13..16)
            && b[16].is_ascii_alphanumeric()
            && b[17].is_ascii_digit();
        if ok {
            Ok(Self(value))
        } else {
            Err(FielError::InvalidCurp {
                value: shorten(input),
            })
        }
    }

    /// The CURP as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The SAT *número de certificado*: 20 digits, printed on every signed page next to
/// the signer's initials, and how SAT and people refer to one certificate.
///
/// In the certificate it is the ASCII text of the serial number's bytes
/// (serial `0x3330…` → `"30…"`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CertificateNumber(String);

impl CertificateNumber {
    /// Parses a certificate number as a person types it.
    pub fn parse(input: &str) -> Result<Self> {
        let value = input.trim();
        if value.len() == 20 && value.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(value.to_owned()))
        } else {
            Err(FielError::InvalidCertificateNumber {
                value: shorten(input),
            })
        }
    }

    /// Reads the number from a certificate's serial bytes; `None` when the serial is
    /// not SAT-style (e.g. a random serial from a test CA), which is not an error.
    pub fn from_serial(serial: &[u8]) -> Option<Self> {
        let digits = std::str::from_utf8(serial).ok()?;
        Self::parse(digits).ok()
    }

    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `YYMMDD` with a plausible month and day (the century is unknown, so no leap check).
fn is_yymmdd(chars: &[char]) -> bool {
    let bytes: Vec<u8> = chars
        .iter()
        .map(|c| if c.is_ascii_digit() { *c as u8 } else { b'x' })
        .collect();
    is_yymmdd_bytes(&bytes)
}

fn is_yymmdd_bytes(b: &[u8]) -> bool {
    if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let month = (b[2] - b'0') * 10 + (b[3] - b'0');
    let day = (b[4] - b'0') * 10 + (b[5] - b'0');
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// Echoes rejected input in messages without letting a huge paste through.
fn shorten(input: &str) -> String {
    let trimmed = input.trim();
    if trimmed.chars().count() <= 40 {
        trimmed.to_owned()
    } else {
        let mut s: String = trimmed.chars().take(40).collect();
        s.push('…');
        s
    }
}

macro_rules! string_newtype {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($t), self.0)
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl FromStr for $t {
            type Err = FielError;
            fn from_str(s: &str) -> Result<Self> {
                Self::parse(s)
            }
        }
        impl TryFrom<String> for $t {
            type Error = FielError;
            fn try_from(s: String) -> Result<Self> {
                Self::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
    };
}

string_newtype!(Rfc);
string_newtype!(Curp);
string_newtype!(CertificateNumber);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_accepts_natural_persons_and_legal_entities_and_normalises_case() {
        let person = Rfc::parse(" vada800927dj3 ").unwrap();
        assert_eq!(person.as_str(), "VADA800927DJ3");
        assert_eq!(person.kind(), RfcKind::NaturalPerson);
        let entity = Rfc::parse("EKU9003173C9").unwrap();
        assert_eq!(entity.kind(), RfcKind::LegalEntity);
        assert!(Rfc::parse("AÑA010101AB1").is_ok());
        assert!(Rfc::parse("A&A010101AB1").is_ok());
        assert!(Rfc::parse("XAXX010101000").is_ok());
    }

    #[test]
    fn rfc_rejects_wrong_length_dates_and_characters() {
        for bad in [
            "",
            "VADA800927DJ",
            "VADA800927DJ34",
            "VADA801327DJ3",
            "VADA800900DJ3",
            "VAD1800927DJ3",
            "VADA80O927DJ3",
            "VADA800927D-3",
            "ÑÑÑÑÑÑÑÑÑÑÑÑÑ",
        ] {
            let err = Rfc::parse(bad).unwrap_err();
            assert!(matches!(err, FielError::InvalidRfc { .. }), "{bad}");
            assert!(err.to_string().contains("no es un RFC válido"));
        }
    }

    #[test]
    fn curp_is_checked_for_shape_sex_and_state() {
        assert_eq!(
            Curp::parse("vada800927hsrsrl05").unwrap().as_str(),
            "VADA800927HSRSRL05"
        );
        assert!(Curp::parse("HEGT761003MDFRNN09").is_ok());
        for bad in [
            "HEGT761003MDFRNN0",
            "HEGT761003ZDFRNN09",
            "HEGT761003MQQRNN09",
            "HEGT761303MDFRNN09",
            "HEGT761003MDFRNN0A",
            "HEGT761003MDF1NN09",
            "ÁEGT761003MDFRNN09",
        ] {
            assert!(Curp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn certificate_number_comes_from_ascii_serial_bytes_only() {
        let n = CertificateNumber::from_serial(b"30001000000500003415").unwrap();
        assert_eq!(n.as_str(), "30001000000500003415");
        assert!(CertificateNumber::from_serial(&[0x3e, 0x86, 0x54]).is_none());
        assert!(CertificateNumber::from_serial(&[0xff; 20]).is_none());
        assert!(CertificateNumber::parse("3000100000050000341").is_err());
        assert!(CertificateNumber::parse("3000100000050000341a").is_err());
    }

    #[test]
    fn identifiers_round_trip_through_serde_and_reject_bad_input() {
        let rfc: Rfc = serde_json::from_str("\"gorm800101ab1\"").unwrap();
        assert_eq!(serde_json::to_string(&rfc).unwrap(), "\"GORM800101AB1\"");
        assert!(serde_json::from_str::<Rfc>("\"nope\"").is_err());
        assert!(serde_json::from_str::<Curp>("\"nope\"").is_err());
    }

    #[test]
    fn long_rejected_input_is_shortened_in_messages() {
        let long = "X".repeat(500);
        let msg = Rfc::parse(&long).unwrap_err().to_string();
        assert!(msg.len() < 400);
    }
}
