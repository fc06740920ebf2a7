//! A signer's revision, in two steps.
//!
//! [`prepare`] builds the whole revision — the signer's initials filled on
//! every page, their signature field's visible appearance, the signature
//! dictionary with a zero-filled `/Contents` — hashes the two byte ranges
//! around `/Contents`, and returns the DER of the CMS signed attributes: the
//! exact bytes the signer's key must sign (RSA PKCS#1 v1.5, SHA-256). The key
//! can be anywhere (the member's browser, the CLI); the server never sees it.
//! [`complete`] checks the signature value against the certificate, wraps it in
//! CMS SignedData and writes it into the reserved space. Both are pure
//! functions over bytes: the [`PreparedRevision`] carries everything
//! `complete` needs and can be stored between the two requests.

use lopdf::{Dictionary, Object, ObjectId, StringFormat};
use rubrica_fiel::digest::Sha256;
use rubrica_fiel::{Certificate, Credential, FielError, Validator};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::appearance::{self, Face, Line};
use crate::cms;
use crate::error::{PdfSignError, Result};
use crate::fields::{self, Field};
use crate::layout::SignerIdentity;
use crate::reader::{self, PdfFile};
use crate::syntax::{Lexer, RawEntry};
use crate::writer::{self, Body, Ids};

/// Room left in `/Contents` beyond the exact CMS size: a few bytes for a
/// signature value a little longer than expected is all a B-B signature needs.
const CONTENTS_MARGIN: usize = 512;

/// Width of each `/ByteRange` number placeholder: files up to 10 GB.
const BYTE_RANGE_DIGITS: usize = 10;

/// What to sign with, besides the certificate.
#[derive(Clone, Debug)]
pub struct PrepareOptions<'a> {
    /// The claimed signing time, written to `/M` (PAdES B-B has no signed
    /// time inside the CMS). The certificate must be valid at this time.
    pub signing_time: OffsetDateTime,
    /// CA certificates (DER, issuer first) to embed so validators can build the
    /// chain. Ignored when `validator` finds a chain, which is embedded instead.
    pub chain: Vec<Vec<u8>>,
    /// When given, the certificate must be fully valid for `validator` at the
    /// signing time (trusted chain, not revoked) or preparing fails with the
    /// reason; the chain it finds is embedded.
    pub validator: Option<&'a Validator>,
    /// `/Location`, e.g. "Guadalajara, Jalisco".
    pub location: Option<String>,
}

impl PrepareOptions<'_> {
    /// Signing now, embedding no chain, with no trust check.
    pub fn now() -> Self {
        Self {
            signing_time: OffsetDateTime::now_utc(),
            chain: Vec::new(),
            validator: None,
            location: None,
        }
    }
}

/// The first step's result.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// DER of the CMS signed attributes (a `SET`): what the signer signs with
    /// RSA PKCS#1 v1.5 and SHA-256.
    pub to_sign: Vec<u8>,
    /// Everything [`complete`] needs.
    pub state: PreparedRevision,
}

impl Prepared {
    /// SHA-256 of [`Prepared::to_sign`], for signers that take a digest (an
    /// HSM, a remote signer); a [`rubrica_fiel::PrivateKey`] signs
    /// [`Prepared::to_sign`] itself with `sign_sha256`.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(&self.to_sign).into()
    }
}

/// A signer's revision waiting for its signature value. Serialisable (JSON,
/// bytes in base64) so a service can keep it between `prepare` and `complete`.
/// Holds no secret: only the public certificate and the document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PreparedRevision {
    /// SHA-256 (hex) of the PDF this revision was built on. A service compares
    /// it with its current revision at `complete` time: if another signer
    /// completed in between, this one is stale and must be prepared again.
    pub base_sha256: String,
    /// The signer, as the signable PDF names them.
    pub signer: SignerIdentity,
    /// The signature field being signed.
    pub field: String,
    /// The time written to `/M`.
    #[serde(with = "time::serde::rfc3339")]
    pub signing_time: OffsetDateTime,
    /// The new file, `/Contents` still zero-filled.
    #[serde(with = "b64")]
    revision: Vec<u8>,
    /// Offset of `/Contents`' `<`.
    contents_start: usize,
    /// Offset just after its `>`.
    contents_end: usize,
    /// The signed attributes (same as [`Prepared::to_sign`]).
    #[serde(with = "b64")]
    signed_attributes: Vec<u8>,
    /// The signer's certificate (DER).
    #[serde(with = "b64")]
    certificate: Vec<u8>,
    /// CA certificates to embed (DER).
    #[serde(with = "b64_list")]
    chain: Vec<Vec<u8>>,
}

impl PreparedRevision {
    /// The signed attributes: the bytes to sign.
    pub fn to_sign(&self) -> &[u8] {
        &self.signed_attributes
    }

    /// The CA certificates (DER) it will embed: with the base PDF, the
    /// certificate, the signing time and the location, all a signer needs to
    /// rebuild this revision and check what they are asked to sign.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }
}

/// Builds `signer`'s revision of `pdf` (a signable PDF) up to the signature.
///
/// Refuses, in the order a person should fix them: a CSD or any non-FIEL
/// certificate, one without nonRepudiation, one not valid at the signing time
/// (and, with a validator, an untrusted or revoked one); then a certificate
/// whose RFC has no signature field, and a field already signed.
pub fn prepare(
    pdf: &[u8],
    certificate: &Certificate,
    options: &PrepareOptions<'_>,
) -> Result<Prepared> {
    certificate.ensure_fiel()?;
    if !certificate.key_usage().non_repudiation {
        return Err(FielError::MissingNonRepudiation {
            number: certificate.display_number(),
        }
        .into());
    }
    certificate.ensure_valid_at(options.signing_time)?;
    let mut chain = options.chain.clone();
    if let Some(validator) = options.validator {
        let report = validator.validate(certificate, options.signing_time);
        report.ensure_valid()?;
        if !report.chain_der().is_empty() {
            chain = report.chain_der().to_vec();
        }
    }

    let file = PdfFile::parse(pdf)?;
    if file.trailing_data {
        return Err(PdfSignError::malformed("data after the last %%EOF"));
    }
    let rev = file.last_index();
    let form = fields::read_form(&file, rev)?.ok_or(PdfSignError::NotSignable)?;
    let rfc = certificate.rfc().as_str();
    let mine = fields::signer_with_rfc(&file, rev, &form, rfc)?.ok_or_else(|| {
        PdfSignError::NoFieldForRfc {
            rfc: rfc.to_owned(),
        }
    })?;
    if mine.signature.value().is_some() {
        return Err(PdfSignError::AlreadySigned {
            name: mine.signer.name.clone(),
            rfc: mine.signer.rfc.clone(),
        });
    }
    if mine.initials.iter().any(|f| f.value().is_some()) {
        return Err(PdfSignError::InitialsAlreadyFilled {
            name: mine.signer.name.clone(),
            rfc: mine.signer.rfc.clone(),
        });
    }
    let lock_names: Vec<String> = mine.initials.iter().map(|f| f.name.clone()).collect();

    let mut ids = Ids::after(&file);
    let mut bodies = Vec::with_capacity(mine.initials.len() + 8);
    let (regular, bold) = fonts(&file, rev, &form, &mut ids, &mut bodies);
    let resources = appearance::resources(regular, bold);
    let number = certificate.display_number();
    let holder = certificate.holder_name().to_owned();
    let short = appearance::initials_of(&holder);

    // Initials: one appearance per distinct slot size, shared by the pages.
    let mut appearances: Vec<((i32, i32), ObjectId)> = Vec::new();
    let value = appearance::text_string(&format!("{short} {number}"));
    for field in &mine.initials {
        let fill = Fill::read(&file, rev, field)?;
        let [x0, y0, x1, y1] = fill.rect.unwrap_or([0.0, 0.0, 48.0, 30.0]);
        let (w, h) = (x1 - x0, y1 - y0);
        let key = ((w * 100.0).round() as i32, (h * 100.0).round() as i32);
        let ap = match appearances.iter().find(|(k, _)| *k == key) {
            Some((_, id)) => *id,
            None => {
                let id = ids.next();
                let content = appearance::filled_slot(
                    w,
                    h,
                    &[
                        Line::new(short.clone(), Face::Bold, 12.0),
                        Line::new(number.clone(), Face::Regular, 5.0),
                    ],
                    true,
                );
                let stream = appearance::form_xobject(w, h, resources.clone(), content);
                bodies.push(Body::object(id, &Object::Stream(stream)));
                appearances.push((key, id));
                id
            }
        };
        bodies.push(fill.body(&value, ap));
    }

    // The visible signature.
    let sig_field = mine.signature;
    let sig_fill = Fill::read(&file, rev, sig_field)?;
    let [x0, y0, x1, y1] = sig_fill.rect.unwrap_or([0.0, 0.0, 160.0, 64.0]);
    let (w, h) = (x1 - x0, y1 - y0);
    let seat_line = match (mine.signer.seat.is_empty(), mine.signer.role.is_empty()) {
        (false, false) => format!("{} · {}", mine.signer.seat, mine.signer.role),
        (false, true) => mine.signer.seat.clone(),
        (true, false) => mine.signer.role.clone(),
        (true, true) => String::new(),
    };
    let mut lines = vec![
        Line::new("Firmado con e.firma (FIEL) por", Face::Regular, 6.0),
        Line::new(holder.clone(), Face::Bold, 9.0),
    ];
    if !seat_line.is_empty() {
        lines.push(Line::new(seat_line, Face::Regular, 7.0));
    }
    lines.push(Line::new(
        format!("RFC {} · Certificado {number}", certificate.rfc()),
        Face::Regular,
        6.0,
    ));
    lines.push(Line::new(
        format!("Fecha: {}", fecha(&options.signing_time)),
        Face::Regular,
        6.0,
    ));
    let sig_ap = ids.next();
    let content = appearance::filled_slot(w, h, &lines, false);
    bodies.push(Body::object(
        sig_ap,
        &Object::Stream(appearance::form_xobject(w, h, resources.clone(), content)),
    ));

    let (catalog_id, _) = file.catalog(rev)?;
    let sig_dict_id = ids.next();
    let reserve = contents_reserve(certificate, &chain);
    let reason = match mine.signer.role.is_empty() {
        true => "Firma del acta".to_owned(),
        false => format!("Firma del acta como {}", mine.signer.role.to_lowercase()),
    };
    let (sig_bytes, contents_at, byte_range_at) = signature_dictionary(
        &holder,
        &reason,
        options.location.as_deref(),
        options.signing_time,
        &lock_names,
        catalog_id,
        reserve,
    );
    bodies.push(sig_fill.body(&Object::Reference(sig_dict_id), sig_ap));
    bodies.push(Body::raw(sig_dict_id, sig_bytes));
    let sig_index = bodies.len() - 1;

    let appended = writer::append_update(&file, &bodies)?;
    let mut revision = appended.bytes;
    let body_start = appended.body_offsets[sig_index];
    let contents_start = body_start + contents_at;
    let contents_end = contents_start + 2 + 2 * reserve;
    let range_at = body_start + byte_range_at;
    let byte_range = format!(
        "[0 {contents_start} {contents_end} {}",
        revision.len() - contents_end
    );
    let placeholder_len = byte_range_placeholder().len();
    if byte_range.len() + 1 > placeholder_len {
        return Err(PdfSignError::TooLarge {
            size: revision.len() as u64,
            limit: 10u64.pow(BYTE_RANGE_DIGITS as u32),
        });
    }
    let mut patched = byte_range.into_bytes();
    patched.resize(placeholder_len - 1, b' ');
    patched.push(b']');
    revision[range_at..range_at + placeholder_len].copy_from_slice(&patched);

    // The new file starts with the whole base PDF (an incremental update):
    // its SHA-256 is the signed digest's hasher part-way, so the base is read
    // once, not twice.
    let mut hasher = Sha256::new();
    let base_sha256 = if pdf.len() <= contents_start && revision.starts_with(pdf) {
        hasher.update(pdf);
        let base = hex::encode(hasher.clone().finalize());
        hasher.update(&revision[pdf.len()..contents_start]);
        base
    } else {
        hasher.update(&revision[..contents_start]);
        hex::encode(Sha256::digest(pdf))
    };
    hasher.update(&revision[contents_end..]);
    let digest: [u8; 32] = hasher.finalize().into();
    let signed_attributes = cms::signed_attributes(
        &digest,
        certificate.der(),
        certificate.issuer_der(),
        certificate.serial(),
    );
    Ok(Prepared {
        to_sign: signed_attributes.clone(),
        state: PreparedRevision {
            base_sha256,
            signer: mine.signer.clone(),
            field: sig_field.name.clone(),
            signing_time: options.signing_time,
            revision,
            contents_start,
            contents_end,
            signed_attributes,
            certificate: certificate.der().to_vec(),
            chain,
        },
    })
}

/// Embeds `signature_value` (RSA PKCS#1 v1.5 SHA-256 over
/// [`PreparedRevision::to_sign`]) and returns the signed PDF.
///
/// A value that does not verify with the prepared certificate is refused
/// ([`FielError::SignatureInvalid`]): a wrong key or corrupted upload never
/// produces a PDF.
pub fn complete(prepared: &PreparedRevision, signature_value: &[u8]) -> Result<Vec<u8>> {
    let invalid = |detail: &str| PdfSignError::InvalidPrepared {
        detail: detail.to_owned(),
    };
    let certificate = Certificate::from_der(&prepared.certificate)?;
    certificate.verify_sha256(&prepared.signed_attributes, signature_value)?;
    let (start, end) = (prepared.contents_start, prepared.contents_end);
    if start >= end || end > prepared.revision.len() || end - start < 2 {
        return Err(invalid("contents offsets"));
    }
    if prepared.revision[start] != b'<' || prepared.revision[end - 1] != b'>' {
        return Err(invalid("contents delimiters"));
    }
    let cms = cms::signed_data(
        &prepared.signed_attributes,
        signature_value,
        certificate.der(),
        certificate.issuer_der(),
        certificate.serial(),
        &prepared.chain,
    );
    let reserved = (end - start - 2) / 2;
    if cms.len() > reserved {
        return Err(PdfSignError::SignatureTooLarge {
            needed: cms.len(),
            reserved,
        });
    }
    let mut out = prepared.revision.clone();
    let hex = hex::encode(&cms);
    out[start + 1..start + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(out)
}

/// Both steps in-process with a credential at hand (the CLI, tests).
pub fn sign(pdf: &[u8], credential: &Credential, options: &PrepareOptions<'_>) -> Result<Vec<u8>> {
    let prepared = prepare(pdf, credential.certificate(), options)?;
    let signature = credential.sign_sha256(&prepared.to_sign)?;
    complete(&prepared.state, &signature)
}

/// The fonts of `/DR`, or new ones when a foreign signable PDF lacks them.
fn fonts(
    file: &PdfFile<'_>,
    rev: usize,
    form: &fields::Form,
    ids: &mut Ids,
    bodies: &mut Vec<Body>,
) -> (ObjectId, ObjectId) {
    let mut get = |name: &str, base: &str| match form.resource_font(file, rev, name) {
        Some(id) => id,
        None => {
            let id = ids.next();
            let mut font = Dictionary::new();
            font.set("Type", Object::Name(b"Font".to_vec()));
            font.set("Subtype", Object::Name(b"Type1".to_vec()));
            font.set("BaseFont", Object::Name(base.as_bytes().to_vec()));
            font.set("Encoding", Object::Name(b"WinAnsiEncoding".to_vec()));
            bodies.push(Body::object(id, &Object::Dictionary(font)));
            id
        }
    };
    let regular = get(appearance::FONT_REGULAR, "Helvetica");
    let bold = get(appearance::FONT_BOLD, "Helvetica-Bold");
    (regular, bold)
}

/// A field about to be filled: its widget rectangle and its dictionary.
struct Fill<'a> {
    id: ObjectId,
    rect: Option<[f32; 4]>,
    source: FillSource<'a>,
}

enum FillSource<'a> {
    /// The entries as written in the file, copied byte for byte.
    Written(Vec<RawEntry<'a>>),
    /// Parsed (a field in an object stream).
    Parsed(Dictionary),
}

impl<'a> Fill<'a> {
    fn read(file: &PdfFile<'a>, rev: usize, field: &Field) -> Result<Self> {
        let (rect, source) = match file.raw_dictionary(rev, field.id.0)? {
            Some(entries) => {
                let rect = match entries.iter().rfind(|e| e.key == b"Rect") {
                    Some(e) => match Lexer::new(e.value, 0).object() {
                        Ok(o) => reader::rect_of(file.resolve(rev, &o)?.as_ref()),
                        Err(_) => None,
                    },
                    None => None,
                };
                (rect, FillSource::Written(entries))
            }
            None => {
                let dict = field.full(file, rev)?;
                let rect = dict.get(b"Rect").ok().and_then(reader::rect_of);
                (rect, FillSource::Parsed(dict))
            }
        };
        Ok(Self {
            id: field.id,
            rect,
            source,
        })
    }

    /// The field with a value and a new normal appearance; nothing else
    /// changes, so a validator sees form filling. Entries as written are
    /// copied as they are, and the new `/V` and `/AP` come last, so they are
    /// the ones a reader keeps even beside an oddly spelt duplicate.
    fn body(self, value: &Object, appearance: ObjectId) -> Body {
        let mut ap = Dictionary::new();
        ap.set("N", Object::Reference(appearance));
        match self.source {
            FillSource::Written(entries) => {
                let size: usize = entries.iter().map(|e| e.entry.len()).sum();
                let mut bytes = Vec::with_capacity(size + 64);
                bytes.extend_from_slice(b"<<");
                for e in entries.iter().filter(|e| e.key != b"V" && e.key != b"AP") {
                    bytes.extend_from_slice(e.entry);
                }
                bytes.extend_from_slice(b"/V ");
                // Writing to a Vec cannot fail.
                let _ = lopdf::Writer::write_object(&mut bytes, value);
                bytes.extend_from_slice(b"/AP");
                let _ = lopdf::Writer::write_object(&mut bytes, &Object::Dictionary(ap));
                bytes.extend_from_slice(b">>");
                Body::raw(self.id, bytes)
            }
            FillSource::Parsed(mut dict) => {
                dict.set("V", value.clone());
                dict.set("AP", Object::Dictionary(ap));
                Body::object(self.id, &Object::Dictionary(dict))
            }
        }
    }
}

/// Bytes reserved for the CMS: its exact size for this certificate and chain
/// (the RSA signature is as long as the modulus) plus a margin.
fn contents_reserve(certificate: &Certificate, chain: &[Vec<u8>]) -> usize {
    let signature_len = certificate.key_bits().div_ceil(8);
    let dummy_attrs = cms::signed_attributes(
        &[0; 32],
        certificate.der(),
        certificate.issuer_der(),
        certificate.serial(),
    );
    let cms = cms::signed_data(
        &dummy_attrs,
        &vec![0; signature_len],
        certificate.der(),
        certificate.issuer_der(),
        certificate.serial(),
        chain,
    );
    cms.len() + CONTENTS_MARGIN
}

fn byte_range_placeholder() -> String {
    let n = "0".repeat(BYTE_RANGE_DIGITS);
    format!("[0 {n} {n} {n}]")
}

/// The signature dictionary, serialised by hand so `/ByteRange` and
/// `/Contents` come last at known offsets. Returns the bytes and the offsets
/// (within them) of `/Contents`' `<` and of the `/ByteRange` array's `[`.
#[allow(clippy::too_many_arguments)]
fn signature_dictionary(
    name: &str,
    reason: &str,
    location: Option<&str>,
    signing_time: OffsetDateTime,
    locked: &[String],
    catalog: ObjectId,
    reserve: usize,
) -> (Vec<u8>, usize, usize) {
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"Sig".to_vec()));
    d.set("Filter", Object::Name(b"Adobe.PPKLite".to_vec()));
    d.set("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec()));
    d.set(
        "M",
        Object::String(pdf_date(signing_time).into_bytes(), StringFormat::Literal),
    );
    d.set("Name", appearance::text_string(name));
    d.set("Reason", appearance::text_string(reason));
    if let Some(location) = location {
        d.set("Location", appearance::text_string(location));
    }
    // FieldMDP: this signature locks the signer's initials fields
    // (ISO 32000-1 §12.8.2.4); /Data is the catalog, as the spec requires.
    let mut params = Dictionary::new();
    params.set("Type", Object::Name(b"TransformParams".to_vec()));
    params.set("Action", Object::Name(b"Include".to_vec()));
    params.set(
        "Fields",
        Object::Array(locked.iter().map(|n| appearance::text_string(n)).collect()),
    );
    params.set("V", Object::Name(b"1.2".to_vec()));
    let mut reference = Dictionary::new();
    reference.set("Type", Object::Name(b"SigRef".to_vec()));
    reference.set("TransformMethod", Object::Name(b"FieldMDP".to_vec()));
    reference.set("TransformParams", Object::Dictionary(params));
    reference.set("Data", Object::Reference(catalog));
    d.set(
        "Reference",
        Object::Array(vec![Object::Dictionary(reference)]),
    );
    let mut bytes = Vec::new();
    let _ = lopdf::Writer::write_object(&mut bytes, &Object::Dictionary(d));
    // Reopen the dictionary: drop its closing ">>".
    bytes.truncate(bytes.len().saturating_sub(2));
    bytes.extend_from_slice(b"/ByteRange ");
    let byte_range_at = bytes.len();
    bytes.extend_from_slice(byte_range_placeholder().as_bytes());
    bytes.extend_from_slice(b"/Contents ");
    let contents_at = bytes.len();
    bytes.push(b'<');
    bytes.resize(bytes.len() + 2 * reserve, b'0');
    bytes.extend_from_slice(b">>>");
    (bytes, contents_at, byte_range_at)
}

/// `D:YYYYMMDDHHmmSS+00'00'` in UTC (ISO 32000-1 §7.9.4).
pub(crate) fn pdf_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}+00'00'",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses a PDF date (`D:` prefix optional; missing parts default, as the
/// spec allows). `None` when unreadable.
pub(crate) fn parse_pdf_date(text: &str) -> Option<OffsetDateTime> {
    let s = text.strip_prefix("D:").unwrap_or(text).trim();
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        return None;
    }
    let part = |from: usize, len: usize, default: u32| -> Option<u32> {
        match digits.get(from..from + len) {
            Some(p) => p.parse().ok(),
            None => Some(default),
        }
    };
    let year = i32::try_from(part(0, 4, 0)?).ok()?;
    let month = time::Month::try_from(u8::try_from(part(4, 2, 1)?).ok()?).ok()?;
    let day = u8::try_from(part(6, 2, 1)?).ok()?;
    let hour = u8::try_from(part(8, 2, 0)?).ok()?;
    let minute = u8::try_from(part(10, 2, 0)?).ok()?;
    let second = u8::try_from(part(12, 2, 0)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let clock = time::Time::from_hms(hour, minute, second.min(59)).ok()?;
    let rest = &s[digits.len()..];
    let offset = match rest.chars().next() {
        Some(sign @ ('+' | '-')) => {
            let nums: Vec<i8> = rest[1..]
                .split(|c: char| !c.is_ascii_digit())
                .filter(|p| !p.is_empty())
                .take(2)
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            let h = *nums.first().unwrap_or(&0);
            let m = *nums.get(1).unwrap_or(&0);
            let (h, m) = if sign == '-' { (-h, -m) } else { (h, m) };
            time::UtcOffset::from_hms(h, m, 0).ok()?
        }
        _ => time::UtcOffset::UTC,
    };
    Some(time::PrimitiveDateTime::new(date, clock).assume_offset(offset))
}

/// `15/05/2026 10:20:00 UTC`, as Mexican readers write dates.
pub(crate) fn fecha(t: &OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:02}/{:02}/{} {:02}:{:02}:{:02} UTC",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

mod b64_list {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(list.iter().map(|b| STANDARD.encode(b)))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts
            .into_iter()
            .map(|t| STANDARD.decode(t).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_round_trip() {
        let t = time::macros::datetime!(2026-05-15 10:20:30 UTC);
        assert_eq!(pdf_date(t), "D:20260515102030+00'00'");
        assert_eq!(parse_pdf_date(&pdf_date(t)), Some(t));
        assert_eq!(
            parse_pdf_date("D:20260515042030-06'00'"),
            Some(time::macros::datetime!(2026-05-15 10:20:30 UTC))
        );
        assert_eq!(
            parse_pdf_date("D:2026"),
            Some(time::macros::datetime!(2026-01-01 0:00 UTC))
        );
        for bad in ["", "D:", "D:20261301", "xyz", "D:2026-05"] {
            let _ = parse_pdf_date(bad);
        }
        assert!(parse_pdf_date("D:20261301").is_none());
    }
}
