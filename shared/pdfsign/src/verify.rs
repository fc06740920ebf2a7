//! Verifying every signature of a PDF, and whether the record is complete.
//!
//! For each signature: its `/ByteRange` covers the file exactly up to the end
//! of its revision, minus its own `/Contents`; the SHA-256 of those bytes is
//! the signed message-digest; the RSA signature over the signed attributes
//! verifies with the embedded certificate; that certificate is a FIEL, was
//! valid at `/M`, and chains to the configured anchors (rubrica-fiel's
//! [`Validator`]: untrusted is *indeterminate*, never valid); it belongs to the
//! signer the field expects (RFC); the signer's initials were filled; and
//! every later revision followed the permitted pattern without touching the
//! fields this signature locked. The report is serialisable and every
//! sentence in it is Spanish.

use std::ops::Range;

use lopdf::{Object, ObjectId};
use rubrica_fiel::digest::Sha256;
use rubrica_fiel::{
    CaCertificate, Certificate, CertificateSummary, Check, Outcome, ValidationReport, Validator,
    Verdict,
};
use serde::Serialize;
use time::OffsetDateTime;

use crate::appearance::decode_text_string;
use crate::changes::{self, LockSpec, RevisionChanges};
use crate::cms::{self, SignerId};
use crate::der::oid;
use crate::error::Result;
use crate::fields::{self, Field, FieldKind};
use crate::layout::SignerIdentity;
use crate::reader::{Entry, PdfFile};
use crate::sign::{fecha, parse_pdf_date};

/// Everything established about a PDF's signatures.
#[derive(Clone, Debug, Serialize)]
pub struct VerificationReport {
    /// `valid` only when there is at least one signature and every one is valid.
    pub verdict: Verdict,
    /// One Spanish paragraph summing it up.
    pub summary: String,
    /// SHA-256 of the file, hex.
    pub document_sha256: String,
    /// Revisions found (the original, the signable one, one per signature…).
    pub revisions: usize,
    /// One entry per signed signature field, in the order they were signed.
    pub signatures: Vec<SignatureReport>,
    /// Signature fields in the document.
    pub signature_fields: usize,
    /// Of those, how many hold a signature.
    pub signed_fields: usize,
    /// Every signature field is signed: the record is complete.
    pub record_complete: bool,
    /// Who has not signed yet (from Rúbrica's signature fields).
    pub pending_signers: Vec<SignerIdentity>,
    /// Observations that are not about one signature, in Spanish.
    pub notes: Vec<String>,
}

/// One signature's verdict and the checks behind it.
#[derive(Clone, Debug, Serialize)]
pub struct SignatureReport {
    /// The signature field's name (`Firma_<id>`).
    pub field: String,
    /// Whom the field expects, when it is a Rúbrica field.
    pub expected_signer: Option<SignerIdentity>,
    /// The certificate that signed.
    pub certificate: Option<CertificateSummary>,
    /// `/M`, the claimed signing time.
    #[serde(with = "time::serde::rfc3339::option")]
    pub signing_time: Option<OffsetDateTime>,
    /// 1-based revision the signature closes.
    pub revision: Option<usize>,
    /// Whether it covers the whole file (it is the last revision).
    pub covers_whole_document: bool,
    /// Fields its FieldMDP transform locks.
    pub locked_fields: Vec<String>,
    /// `valid`, `invalid` or `indeterminate`.
    pub verdict: Verdict,
    /// For `invalid` / `indeterminate`: the first reason, in Spanish.
    pub reason: Option<String>,
    /// One Spanish sentence.
    pub summary: String,
    /// Each check with its outcome and explanation.
    pub checks: SignatureChecks,
    /// The certificate validation in full (chain, validity, revocation…).
    pub certificate_validation: Option<ValidationReport>,
}

/// The checks of one signature, in the order they are made.
#[derive(Clone, Debug, Serialize)]
pub struct SignatureChecks {
    /// `/ByteRange` covers the file up to the end of the signature's revision.
    pub byte_range: Check,
    /// SHA-256 of the covered bytes equals the signed message-digest.
    pub digest: Check,
    /// The RSA signature over the signed attributes verifies.
    pub signature: Check,
    /// FIEL, not CSD.
    pub certificate_type: Check,
    /// Valid at `/M`.
    pub validity: Check,
    /// Chains to a configured trust anchor.
    pub chain: Check,
    /// Not revoked (or not checked, said so).
    pub revocation: Check,
    /// The certificate's RFC is the one the field expects.
    pub signer: Check,
    /// The signer's initials fields were filled.
    pub initials: Check,
    /// The fields this signature locked are unchanged since.
    pub locked_fields: Check,
    /// Nothing outside the permitted pattern happened after it.
    pub later_changes: Check,
}

fn check(outcome: Outcome, explanation: impl Into<String>) -> Check {
    Check {
        outcome,
        explanation: explanation.into(),
    }
}

fn not_checked(why: &str) -> Check {
    check(Outcome::NotChecked, why)
}

/// Verifies every signature of `pdf` against `validator`'s anchors.
///
/// `Err` only when the file cannot be read as a PDF at all; a broken, forged
/// or untrusted signature is a report with `invalid` / `indeterminate`.
pub fn verify(pdf: &[u8], validator: &Validator) -> Result<VerificationReport> {
    let file = PdfFile::parse(pdf)?;
    let last = file.last_index();
    let mut notes = Vec::new();
    if file.trailing_data {
        notes.push(
            "Después del final del archivo hay datos que no forman una revisión válida; ninguna firma los cubre."
                .to_owned(),
        );
    }
    let form = fields::read_form(&file, last)?;
    let mut found: Vec<(Field, ObjectId)> = Vec::new();
    let mut signature_fields = 0;
    let mut pending = Vec::new();
    if let Some(form) = &form {
        for field in form.signature_fields() {
            signature_fields += 1;
            match field.dict().get(b"V") {
                Ok(Object::Reference(r)) => found.push((field.clone(), *r)),
                _ => {
                    if let Some(who) = field.signer(&file, last)? {
                        pending.push(who);
                    }
                }
            }
        }
    }

    // Signatures in the order they were written, so each one's signed bytes
    // continue the hash of the one before (see `RangeHasher`); the reports
    // are sorted by revision below.
    found.sort_by_key(|(_, sig)| file.offset_of(last, sig.0).unwrap_or(usize::MAX));
    let mut hasher = RangeHasher::new(pdf);
    let mut reports: Vec<(SignatureReport, Option<usize>, LockSpec)> = Vec::new();
    for (field, sig_id) in &found {
        reports.push(verify_one(&file, validator, field, *sig_id, &mut hasher)?);
    }

    // Change analysis from the earliest signed revision on.
    let first = reports.iter().filter_map(|(_, r, _)| *r).min();
    let history: Vec<RevisionChanges> = match first {
        Some(first) => changes::analyse(&file, first)?,
        None => Vec::new(),
    };
    for (report, rev, lock) in &mut reports {
        judge_later_revisions(report, *rev, lock, &history, file.revisions.len());
        finish(report);
    }
    reports.sort_by_key(|(_, rev, _)| rev.unwrap_or(usize::MAX));
    let signatures: Vec<SignatureReport> = reports.into_iter().map(|(r, _, _)| r).collect();

    let signed_fields = signatures.len();
    let record_complete = signature_fields > 0 && signed_fields == signature_fields;
    let verdict = if signatures.is_empty() {
        Verdict::Indeterminate
    } else if signatures.iter().any(|s| s.verdict == Verdict::Invalid) {
        Verdict::Invalid
    } else if signatures
        .iter()
        .any(|s| s.verdict == Verdict::Indeterminate)
    {
        Verdict::Indeterminate
    } else {
        Verdict::Valid
    };
    let summary = overall_summary(verdict, &signatures, signature_fields, &pending);
    Ok(VerificationReport {
        verdict,
        summary,
        document_sha256: hex::encode(hasher.whole()),
        revisions: file.revisions.len(),
        signatures,
        signature_fields,
        signed_fields,
        record_complete,
        pending_signers: pending,
        notes,
    })
}

/// Who is still to sign, in the form's order: the signers of the signature
/// fields with no value in the last revision. The same list as
/// [`VerificationReport::pending_signers`] without checking any signature or
/// analysing changes (`rubrica sign` tells who is missing after signing).
pub fn pending_signers(pdf: &[u8]) -> Result<Vec<SignerIdentity>> {
    let file = PdfFile::parse(pdf)?;
    let last = file.last_index();
    let mut pending = Vec::new();
    if let Some(form) = fields::read_form(&file, last)? {
        for field in form.signature_fields() {
            if !matches!(field.dict().get(b"V"), Ok(Object::Reference(_)))
                && let Some(who) = field.signer(&file, last)?
            {
                pending.push(who);
            }
        }
    }
    Ok(pending)
}

/// The first (cryptographic and certificate) half of a signature's checks.
fn verify_one(
    file: &PdfFile<'_>,
    validator: &Validator,
    field: &Field,
    sig_id: ObjectId,
    hasher: &mut RangeHasher<'_>,
) -> Result<(SignatureReport, Option<usize>, LockSpec)> {
    let last = file.last_index();
    let expected_signer = field.signer(file, last)?;
    let skipped = "No se comprobó porque la firma no se pudo leer.";
    let mut report = SignatureReport {
        field: field.name.clone(),
        expected_signer: expected_signer.clone(),
        certificate: None,
        signing_time: None,
        revision: None,
        covers_whole_document: false,
        locked_fields: Vec::new(),
        verdict: Verdict::Indeterminate,
        reason: None,
        summary: String::new(),
        checks: SignatureChecks {
            byte_range: not_checked(skipped),
            digest: not_checked(skipped),
            signature: not_checked(skipped),
            certificate_type: not_checked(skipped),
            validity: not_checked(skipped),
            chain: not_checked(skipped),
            revocation: not_checked(skipped),
            signer: not_checked(skipped),
            initials: not_checked(skipped),
            locked_fields: not_checked(skipped),
            later_changes: not_checked(skipped),
        },
        certificate_validation: None,
    };
    let sig = file.get(last, sig_id.0)?;
    let Some(Object::Dictionary(sig)) = sig.as_deref() else {
        report.checks.byte_range = check(
            Outcome::Failed,
            "El campo apunta a una firma que no existe o no es un diccionario de firma.",
        );
        return Ok((report, None, LockSpec::None));
    };
    report.signing_time = match sig.get(b"M") {
        Ok(Object::String(s, _)) => parse_pdf_date(&decode_text_string(s)),
        _ => None,
    };
    let lock = match changes::field_mdp(file, last, sig)? {
        Some(spec) => spec,
        None => match file.get_key(last, field.dict(), b"Lock")? {
            Some(l) => match l.as_ref() {
                Object::Dictionary(l) => LockSpec::from_dict(file, last, l)?,
                _ => LockSpec::None,
            },
            None => LockSpec::None,
        },
    };
    report.locked_fields = lock.names().to_vec();

    // 1. Byte range and its revision.
    let ranges: Vec<i64> = match sig.get(b"ByteRange") {
        Ok(Object::Array(items)) => items
            .iter()
            .filter_map(|o| match o {
                Object::Integer(i) => Some(*i),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let contents = match sig.get(b"Contents") {
        Ok(Object::String(s, _)) => s.clone(),
        _ => Vec::new(),
    };
    let located = locate(file, sig_id, &ranges, &contents);
    let (rev, signed_ranges) = match located {
        Ok((rev, r1, r2)) => {
            report.revision = Some(rev + 1);
            report.covers_whole_document = rev == last && !file.trailing_data;
            report.checks.byte_range = check(
                Outcome::Passed,
                format!(
                    "Cubre el archivo completo hasta el final de la revisión {} de {}, salvo el espacio de la propia firma.",
                    rev + 1,
                    file.revisions.len()
                ),
            );
            (rev, (r1, r2))
        }
        Err(why) => {
            report.checks.byte_range = check(Outcome::Failed, why);
            return Ok((report, None, lock));
        }
    };

    // 2. The CMS.
    let cms_len = cms::der_length(&contents).unwrap_or(0);
    let Some(parsed) = cms::parse_signed_data(&contents[..cms_len]) else {
        report.checks.signature = check(
            Outcome::Failed,
            "El contenido de la firma no es una firma CMS (PKCS#7) legible.",
        );
        return Ok((report, Some(rev), lock));
    };
    let digest = hasher.digest(signed_ranges.0, signed_ranges.1);

    let mut certificates: Vec<Certificate> = Vec::new();
    let mut intermediates: Vec<CaCertificate> = Vec::new();
    for der in &parsed.certificates {
        if let Ok(c) = Certificate::from_der(der) {
            certificates.push(c);
        } else if let Ok(ca) = CaCertificate::from_bytes(der) {
            intermediates.push(ca);
        }
    }
    let signer_cert = match &parsed.signer_id {
        SignerId::IssuerSerial { issuer, serial } => certificates
            .iter()
            .find(|c| c.issuer_der() == *issuer && strip_zeros(c.serial()) == strip_zeros(serial)),
        SignerId::KeyId => certificates.iter().find(|c| {
            parsed
                .signed_attributes_set
                .as_ref()
                .is_some_and(|a| c.verify_sha256(a, parsed.signature).is_ok())
        }),
    };

    report.checks.digest = if parsed.digest_algorithm != oid::SHA256 {
        check(
            Outcome::Indeterminate,
            "La firma usa un algoritmo de resumen distinto de SHA-256, que Rúbrica no verifica.",
        )
    } else {
        match parsed.message_digest() {
            Some(d) if d == digest => check(
                Outcome::Passed,
                "El contenido firmado no ha cambiado: su resumen SHA-256 coincide con el firmado.",
            ),
            Some(_) => check(
                Outcome::Failed,
                "El contenido firmado fue alterado: su resumen SHA-256 no coincide con el que se firmó.",
            ),
            None => check(
                Outcome::Failed,
                "La firma no contiene el resumen del documento (atributo message-digest).",
            ),
        }
    };

    let Some(cert) = signer_cert else {
        report.checks.signature = check(
            Outcome::Failed,
            "La firma no incluye el certificado de quien firmó, o no es un certificado de e.firma legible.",
        );
        return Ok((report, Some(rev), lock));
    };
    report.certificate = Some(cert.summary());

    report.checks.signature = signature_check(&parsed, cert);

    // 3. The certificate at /M.
    let at = report.signing_time;
    let validation = validator.validate_with_intermediates(
        cert,
        &intermediates,
        at.unwrap_or_else(OffsetDateTime::now_utc),
    );
    report.checks.certificate_type = validation.certificate_type.clone();
    report.checks.validity = match at {
        Some(_) => validation.validity.clone(),
        None => check(
            Outcome::Indeterminate,
            "La firma no declara su fecha (/M), así que no se puede comprobar la vigencia del certificado al firmar.",
        ),
    };
    report.checks.chain = validation.chain.clone();
    report.checks.revocation = if validation.verdict == Verdict::Indeterminate
        && validation.revocation.outcome == Outcome::NotChecked
        && validation.chain.outcome != Outcome::Indeterminate
    {
        // The validator requires revocation and it was not checked.
        check(
            Outcome::Indeterminate,
            validation.revocation.explanation.clone(),
        )
    } else {
        validation.revocation.clone()
    };
    if validation.key_usage.outcome == Outcome::Failed {
        report.checks.certificate_type = validation.key_usage.clone();
    }
    report.certificate_validation = Some(validation);

    // 4. Who signed.
    report.checks.signer = match &expected_signer {
        Some(who) if who.rfc.eq_ignore_ascii_case(cert.rfc().as_str()) => check(
            Outcome::Passed,
            format!(
                "Firmó {} (RFC {}), a quien corresponde el campo «{}».",
                cert.holder_name(),
                cert.rfc(),
                field.name
            ),
        ),
        Some(who) => check(
            Outcome::Failed,
            format!(
                "El campo «{}» es de {} (RFC {}), pero lo firmó {} (RFC {}).",
                field.name,
                who.name,
                who.rfc,
                cert.holder_name(),
                cert.rfc()
            ),
        ),
        None => check(
            Outcome::NotChecked,
            format!(
                "El campo «{}» no indica a qué firmante corresponde; firmó {} (RFC {}).",
                field.name,
                cert.holder_name(),
                cert.rfc()
            ),
        ),
    };

    // 5. The signer's initials, as of the signature's revision.
    report.checks.initials = initials_check(file, rev, &lock)?;
    Ok((report, Some(rev), lock))
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&x| x == 0).count();
    &b[n..]
}

fn signature_check(parsed: &cms::ParsedSignature<'_>, cert: &Certificate) -> Check {
    if !parsed.detached || !parsed.content_is_data {
        return check(
            Outcome::Failed,
            "La firma no es separada (detached) sobre datos, como exige PAdES.",
        );
    }
    if parsed.signer_count != 1 {
        return check(
            Outcome::Failed,
            "La firma contiene más de un firmante; PAdES admite exactamente uno.",
        );
    }
    if parsed.signature_algorithm != oid::RSA_ENCRYPTION
        && parsed.signature_algorithm != oid::SHA256_WITH_RSA
    {
        return check(
            Outcome::Indeterminate,
            "La firma usa un algoritmo distinto de RSA con SHA-256, que Rúbrica no verifica.",
        );
    }
    let Some(attrs) = &parsed.signed_attributes_set else {
        return check(
            Outcome::Failed,
            "La firma no tiene atributos firmados, que PAdES exige.",
        );
    };
    if !parsed.content_type_is_data() {
        return check(
            Outcome::Failed,
            "El atributo content-type de la firma no es id-data.",
        );
    }
    if cert.verify_sha256(attrs, parsed.signature).is_err() {
        return check(
            Outcome::Failed,
            "La firma RSA no corresponde al certificado incluido: la firma fue alterada o se hizo con otra llave.",
        );
    }
    let cert_hash: [u8; 32] = Sha256::digest(cert.der()).into();
    let mut notes = Vec::new();
    match parsed.signing_certificate_v2_hash() {
        Some(h) if h == cert_hash => {}
        Some(_) => {
            return check(
                Outcome::Failed,
                "El certificado referido dentro de la firma (signing-certificate-v2) no es el incluido.",
            );
        }
        None if parsed.attribute(oid::SIGNING_CERTIFICATE).is_some() => notes.push(
            " Identifica su certificado con signing-certificate (SHA-1), no con signing-certificate-v2.",
        ),
        None => notes.push(
            " No identifica su certificado con signing-certificate-v2, como pide PAdES.",
        ),
    }
    if parsed.attribute(oid::SIGNING_TIME).is_some() {
        notes.push(
            " Incluye un atributo signing-time, que PAdES reemplaza por la fecha /M del PDF.",
        );
    }
    check(
        Outcome::Passed,
        format!(
            "La firma RSA con SHA-256 es correcta y la hizo la llave del certificado {} de {}.{}",
            cert.display_number(),
            cert.holder_name(),
            notes.concat()
        ),
    )
}

/// Finds the revision a `/ByteRange` closes and checks it excludes exactly the
/// signature's own `/Contents`. Returns the revision and the two ranges.
#[allow(clippy::type_complexity)]
/// SHA-256 of each signature's two byte ranges, and of the whole file, in
/// about one pass over it. A signature covers `[0, a)` and `[b, c)`, and
/// the next one written covers a longer `[0, a')`: one running hash of the
/// file is copied at each `a`, and only each signature's `[b, c)` is hashed
/// on its own. Ranges asked for out of order are hashed from scratch.
struct RangeHasher<'a> {
    bytes: &'a [u8],
    /// How far `running` has hashed.
    at: usize,
    running: Sha256,
}

impl<'a> RangeHasher<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            at: 0,
            running: Sha256::new(),
        }
    }

    /// SHA-256 of `first` then `second` (ranges inside the file).
    fn digest(&mut self, first: Range<usize>, second: Range<usize>) -> [u8; 32] {
        let mut hasher = if first.start == 0 && first.end >= self.at {
            self.running.update(&self.bytes[self.at..first.end]);
            self.at = first.end;
            self.running.clone()
        } else {
            let mut fresh = Sha256::new();
            fresh.update(&self.bytes[first]);
            fresh
        };
        hasher.update(&self.bytes[second]);
        hasher.finalize().into()
    }

    /// SHA-256 of the whole file.
    fn whole(mut self) -> [u8; 32] {
        self.running.update(&self.bytes[self.at..]);
        self.running.finalize().into()
    }
}

fn locate(
    file: &PdfFile<'_>,
    sig_id: ObjectId,
    ranges: &[i64],
    contents: &[u8],
) -> std::result::Result<(usize, std::ops::Range<usize>, std::ops::Range<usize>), String> {
    let bytes = file.bytes;
    let [start1, len1, start2, len2] = ranges else {
        return Err(format!(
            "El rango de bytes firmado (/ByteRange) debe tener exactamente dos tramos y tiene {} números.",
            ranges.len()
        ));
    };
    let as_usize = |v: i64| usize::try_from(v).ok();
    let (Some(s1), Some(l1), Some(s2), Some(l2)) = (
        as_usize(*start1),
        as_usize(*len1),
        as_usize(*start2),
        as_usize(*len2),
    ) else {
        return Err("El rango de bytes firmado (/ByteRange) tiene valores negativos.".to_owned());
    };
    let end = s2.saturating_add(l2);
    if s1 != 0 || l1 == 0 || s2 <= l1 || end > bytes.len() {
        return Err(
            "El rango de bytes firmado (/ByteRange) no empieza al inicio del archivo o sale de él."
                .to_owned(),
        );
    }
    // The gap is exactly `<hex>`, the /Contents of this signature.
    let gap = &bytes[l1..s2];
    let hex_ok = gap.len() >= 2
        && gap[0] == b'<'
        && gap[gap.len() - 1] == b'>'
        && gap[1..gap.len() - 1].iter().all(u8::is_ascii_hexdigit);
    let decoded = hex_ok
        .then(|| hex::decode(&gap[1..gap.len() - 1]).ok())
        .flatten();
    if decoded.as_deref() != Some(contents) {
        return Err(
            "Lo que el rango de bytes deja fuera no es exactamente el contenido de esta firma: podría haberse excluido otra parte del documento."
                .to_owned(),
        );
    }
    let Some(rev) = file
        .revisions
        .iter()
        .position(|r| r.end == end || r.eof_end == end)
    else {
        return Err(
            "El rango de bytes firmado no termina al final de una revisión del documento."
                .to_owned(),
        );
    };
    // The signature dictionary itself belongs to that revision and holds the gap.
    let revision = &file.revisions[rev];
    let in_revision = revision.own_ids.binary_search(&sig_id.0).is_ok();
    let before_gap =
        matches!(revision.entry(sig_id.0), Some(Entry::InFile { offset, .. }) if offset < l1);
    if !in_revision || !before_gap {
        return Err("La firma no pertenece a la revisión que dice cubrir.".to_owned());
    }
    Ok((rev, 0..l1, s2..end))
}

/// Whether the fields this signature locks (the signer's initials) had been
/// filled as of its revision.
fn initials_check(file: &PdfFile<'_>, rev: usize, lock: &LockSpec) -> Result<Check> {
    let LockSpec::Include(names) = lock else {
        return Ok(check(
            Outcome::NotChecked,
            "La firma no bloquea campos de rúbrica, así que no hay rúbricas que comprobar.",
        ));
    };
    let Some(form) = fields::read_form(file, rev)? else {
        return Ok(not_checked("El documento no tiene formulario."));
    };
    let mut missing = Vec::new();
    let mut filled = 0;
    for name in names {
        match form.field(name) {
            Some(f) if f.kind == FieldKind::Text && f.value().is_some() => filled += 1,
            Some(f) if f.kind == FieldKind::Text => missing.push(page_of(name)),
            _ => {}
        }
    }
    Ok(if missing.is_empty() {
        check(
            Outcome::Passed,
            format!("Rubricó las {filled} páginas que le corresponden."),
        )
    } else {
        check(
            Outcome::Failed,
            format!(
                "Firmó sin rubricar {} de sus páginas ({}).",
                missing.len(),
                missing.join(", ")
            ),
        )
    })
}

fn page_of(field_name: &str) -> String {
    match field_name.rsplit_once("_p") {
        Some((_, n)) if n.bytes().all(|b| b.is_ascii_digit()) => format!("página {n}"),
        _ => format!("«{field_name}»"),
    }
}

fn judge_later_revisions(
    report: &mut SignatureReport,
    rev: Option<usize>,
    lock: &LockSpec,
    history: &[RevisionChanges],
    revisions: usize,
) {
    let Some(rev) = rev else { return };
    let later = rev + 1..revisions;
    let mut touched_locked = Vec::new();
    let mut forbidden = Vec::new();
    for j in later.clone() {
        let Some(changes) = history.get(j) else {
            continue;
        };
        for name in &changes.touched_fields {
            if lock.locks(name) && !touched_locked.contains(name) {
                touched_locked.push(name.clone());
            }
        }
        for what in &changes.forbidden {
            forbidden.push(format!("{what} (revisión {})", j + 1));
        }
    }
    let after = later.len();
    report.checks.locked_fields = if lock == &LockSpec::None {
        check(Outcome::NotChecked, "La firma no bloquea campos.")
    } else if touched_locked.is_empty() {
        check(
            Outcome::Passed,
            if after == 0 {
                "Es la última revisión: nada cambió después.".to_owned()
            } else {
                format!(
                    "Los {} campos que bloquea siguen sin cambios en {}.",
                    lock.names().len(),
                    later_revisions(after)
                )
            },
        )
    } else {
        let list = touched_locked
            .iter()
            .map(|n| format!("«{n}»"))
            .collect::<Vec<_>>()
            .join(", ");
        check(
            Outcome::Failed,
            format!("Después de esta firma se modificaron campos que ella bloquea: {list}."),
        )
    };
    report.checks.later_changes = if forbidden.is_empty() {
        check(
            Outcome::Passed,
            if after == 0 {
                "Es la última revisión del documento.".to_owned()
            } else {
                if after == 1 {
                    "La revisión posterior solo llenó campos previstos y agregó una firma."
                        .to_owned()
                } else {
                    format!(
                        "Las {after} revisiones posteriores solo llenaron campos previstos y agregaron firmas."
                    )
                }
            },
        )
    } else {
        check(
            Outcome::Failed,
            format!(
                "Después de esta firma hubo cambios no permitidos: {}.",
                forbidden.join("; ")
            ),
        )
    };
}

fn finish(report: &mut SignatureReport) {
    let c = &report.checks;
    let all = [
        &c.byte_range,
        &c.digest,
        &c.signature,
        &c.certificate_type,
        &c.validity,
        &c.chain,
        &c.revocation,
        &c.signer,
        &c.initials,
        &c.locked_fields,
        &c.later_changes,
    ];
    let failed = all.iter().find(|c| c.outcome == Outcome::Failed);
    let indeterminate = all.iter().find(|c| c.outcome == Outcome::Indeterminate);
    // A check skipped because the signature could not be read leaves the
    // verdict open; "not checked" revocation or signer does not.
    let unread = c.signature.outcome == Outcome::NotChecked;
    report.verdict = if failed.is_some() {
        Verdict::Invalid
    } else if indeterminate.is_some() || unread {
        Verdict::Indeterminate
    } else {
        Verdict::Valid
    };
    report.reason = failed
        .or(indeterminate)
        .map(|c| c.explanation.clone())
        .or_else(|| unread.then(|| c.signature.explanation.clone()));
    let who = match (&report.certificate, &report.expected_signer) {
        (Some(c), _) => format!("{} (RFC {})", c.holder_name, c.rfc),
        (None, Some(e)) => format!("{} (RFC {})", e.name, e.rfc),
        (None, None) => format!("el campo «{}»", report.field),
    };
    let when = report
        .signing_time
        .map(|t| format!(" el {}", fecha(&t)))
        .unwrap_or_default();
    report.summary = match report.verdict {
        Verdict::Valid => format!("La firma de {who}{when} es válida."),
        Verdict::Invalid => format!(
            "La firma de {who}{when} no es válida: {}",
            report.reason.as_deref().unwrap_or_default()
        ),
        Verdict::Indeterminate => format!(
            "No se pudo confirmar la firma de {who}{when}: {}",
            report.reason.as_deref().unwrap_or_default()
        ),
    };
}

fn overall_summary(
    verdict: Verdict,
    signatures: &[SignatureReport],
    fields: usize,
    pending: &[SignerIdentity],
) -> String {
    if signatures.is_empty() {
        return if fields == 0 {
            "El documento no tiene firmas ni campos de firma.".to_owned()
        } else {
            format!("El documento no tiene firmas todavía: {}.", missing(fields))
        };
    }
    let valid = signatures
        .iter()
        .filter(|s| s.verdict == Verdict::Valid)
        .count();
    let mut text = match verdict {
        Verdict::Valid => format!("Las {} firmas son válidas.", signatures.len()),
        Verdict::Invalid => format!(
            "Hay firmas que no son válidas: {valid} de {} son válidas. Revise el detalle de cada firma.",
            signatures.len()
        ),
        Verdict::Indeterminate => format!(
            "No se pudo confirmar todas las firmas: {valid} de {} son válidas y ninguna es inválida. Revise el detalle (por ejemplo, configure con --trust las autoridades certificadoras).",
            signatures.len()
        ),
    };
    if fields > 0 && pending.is_empty() && signatures.len() >= fields {
        text.push_str(" El acta está completa: todos los campos de firma están firmados.");
    } else if !pending.is_empty() {
        let names = pending
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        text.push_str(&format!(
            " El acta no está completa: {} ({names}).",
            missing(pending.len())
        ));
    } else if fields > signatures.len() {
        text.push_str(&format!(
            " El acta no está completa: {}.",
            missing(fields - signatures.len())
        ));
    }
    text
}

/// "falta 1 firma" / "faltan 3 firmas".
pub(crate) fn missing(n: usize) -> String {
    if n == 1 {
        "falta 1 firma".to_owned()
    } else {
        format!("faltan {n} firmas")
    }
}

/// "la revisión posterior" / "las 3 revisiones posteriores".
fn later_revisions(n: usize) -> String {
    if n == 1 {
        "la revisión posterior".to_owned()
    } else {
        format!("las {n} revisiones posteriores")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct(bytes: &[u8], a: Range<usize>, b: Range<usize>) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(&bytes[a]);
        h.update(&bytes[b]);
        h.finalize().into()
    }

    #[test]
    fn shared_pass_digests_equal_digests_made_alone_in_any_order() {
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let ranges = [
            (0..1_000, 1_100..3_000),
            (0..4_000, 4_200..6_000),
            (0..2_000, 2_050..9_000),
        ];
        let mut hasher = RangeHasher::new(&bytes);
        // In order, then one that starts before where the shared pass is.
        for (a, b) in &ranges {
            assert_eq!(
                hasher.digest(a.clone(), b.clone()),
                direct(&bytes, a.clone(), b.clone())
            );
        }
        // Not from the start of the file.
        assert_eq!(
            hasher.digest(5..6_000, 6_000..7_000),
            direct(&bytes, 5..6_000, 6_000..7_000)
        );
        let whole: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(hasher.whole(), whole);
    }
}
