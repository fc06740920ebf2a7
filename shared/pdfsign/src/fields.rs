//! The interactive form as Rúbrica lays it out, read back from a revision.
//!
//! A signable PDF carries, per signer, a signature field `Firma_<id>` whose
//! `/Lock` lists that signer's initials fields `Rubrica_<id>_p<N>`, and a
//! private `/RubricaSigner` dictionary with who they are (id, name, seat,
//! role, RFC). That makes the PDF self-describing: signing finds a signer's
//! fields from the RFC in their certificate, and verification knows whom each
//! signature field expects, without the layout manifest.

use std::rc::Rc;

use lopdf::{Dictionary, Object, ObjectId};

use crate::appearance::decode_text_string;
use crate::error::Result;
use crate::layout::SignerIdentity;
use crate::reader::PdfFile;

/// Key of the private signer dictionary in a Rúbrica signature field.
pub(crate) const SIGNER_KEY: &str = "RubricaSigner";

/// `Firma_<id>`.
pub(crate) fn signature_field_name(id: &str) -> String {
    format!("Firma_{id}")
}

/// `Rubrica_<id>_p<page>`.
pub(crate) fn initials_field_name(id: &str, page: u32) -> String {
    format!("Rubrica_{id}_p{page}")
}

/// The field types we distinguish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldKind {
    Signature,
    Text,
    Other,
}

/// The entries of a field dictionary this module and its callers read.
/// Reading a form lexes every field but builds only these: a 20-page acta
/// with 9 signers has 189 fields, and their tooltips, appearance and border
/// dictionaries are most of their bytes. [`Field::full`] reads the rest.
static FIELD_KEYS: &[&[u8]] = &[b"T", b"FT", b"Kids", b"V", b"Lock", SIGNER_KEY.as_bytes()];

/// A terminal form field (for Rúbrica's, merged with its one widget).
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// The field's object.
    pub(crate) id: ObjectId,
    /// Fully qualified name.
    pub(crate) name: String,
    pub(crate) kind: FieldKind,
    /// The field dictionary: at least its [`FIELD_KEYS`] entries.
    dict: Rc<Object>,
}

impl Field {
    /// The field dictionary's [`FIELD_KEYS`] entries (all of them when the
    /// object had been read whole before).
    pub(crate) fn dict(&self) -> &Dictionary {
        match self.dict.as_ref() {
            Object::Dictionary(d) => d,
            _ => unreachable_dict(),
        }
    }

    /// The whole field dictionary, every entry (to write a new version of it).
    pub(crate) fn full(&self, file: &PdfFile<'_>, rev: usize) -> Result<Dictionary> {
        match file.get(rev, self.id.0)?.as_deref() {
            Some(Object::Dictionary(d)) => Ok(d.clone()),
            _ => Ok(self.dict().clone()),
        }
    }

    /// `/V` when present and not an empty string.
    pub(crate) fn value(&self) -> Option<&Object> {
        match self.dict().get(b"V") {
            Ok(Object::String(s, _)) if s.is_empty() => None,
            Ok(Object::Null) | Err(_) => None,
            Ok(v) => Some(v),
        }
    }

    /// Names in `/Lock /Fields` (signature fields).
    pub(crate) fn lock_names(&self, file: &PdfFile<'_>, rev: usize) -> Result<Vec<String>> {
        let Some(lock) = file.get_key(rev, self.dict(), b"Lock")? else {
            return Ok(Vec::new());
        };
        let Object::Dictionary(lock) = lock.as_ref() else {
            return Ok(Vec::new());
        };
        names_in(file, rev, lock)
    }

    /// The signer this Rúbrica signature field expects.
    pub(crate) fn signer(&self, file: &PdfFile<'_>, rev: usize) -> Result<Option<SignerIdentity>> {
        let Some(info) = file.get_key(rev, self.dict(), SIGNER_KEY.as_bytes())? else {
            return Ok(None);
        };
        let Object::Dictionary(info) = info.as_ref() else {
            return Ok(None);
        };
        let text = |key: &[u8]| match info.get(key) {
            Ok(Object::String(s, _)) => decode_text_string(s),
            _ => String::new(),
        };
        let identity = SignerIdentity {
            id: text(b"Id"),
            name: text(b"Name"),
            seat: text(b"Seat"),
            role: text(b"Role"),
            rfc: text(b"RFC"),
        };
        Ok((!identity.rfc.is_empty()).then_some(identity))
    }
}

// A `Field` is only built from a dictionary (see `collect`).
fn unreachable_dict() -> &'static Dictionary {
    static EMPTY: std::sync::OnceLock<Dictionary> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Dictionary::new)
}

/// The `/Fields` strings of a lock or FieldMDP transform dictionary.
pub(crate) fn names_in(file: &PdfFile<'_>, rev: usize, dict: &Dictionary) -> Result<Vec<String>> {
    let Some(fields) = file.get_key(rev, dict, b"Fields")? else {
        return Ok(Vec::new());
    };
    let Object::Array(items) = fields.as_ref() else {
        return Ok(Vec::new());
    };
    Ok(items
        .iter()
        .filter_map(|o| match o {
            Object::String(s, _) => Some(decode_text_string(s)),
            _ => None,
        })
        .collect())
}

/// The AcroForm of a revision.
pub(crate) struct Form {
    /// The AcroForm dictionary's object, when indirect.
    pub(crate) acroform_id: Option<ObjectId>,
    pub(crate) acroform: Dictionary,
    /// Terminal fields, in `/Fields` order.
    pub(crate) fields: Vec<Field>,
}

impl Form {
    pub(crate) fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub(crate) fn signature_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields
            .iter()
            .filter(|f| f.kind == FieldKind::Signature)
    }

    /// A font of `/DR /Font` by resource name, when it is an indirect object.
    pub(crate) fn resource_font(
        &self,
        file: &PdfFile<'_>,
        rev: usize,
        name: &str,
    ) -> Option<ObjectId> {
        let dr = file.get_key(rev, &self.acroform, b"DR").ok()??;
        let Object::Dictionary(dr) = dr.as_ref() else {
            return None;
        };
        let fonts = file.get_key(rev, dr, b"Font").ok()??;
        let Object::Dictionary(fonts) = fonts.as_ref() else {
            return None;
        };
        match fonts.get(name.as_bytes()) {
            Ok(Object::Reference(r)) => Some(*r),
            _ => None,
        }
    }
}

/// Reads the AcroForm of revision `rev`; `None` when the document has none.
pub(crate) fn read_form(file: &PdfFile<'_>, rev: usize) -> Result<Option<Form>> {
    let (_, catalog) = file.catalog(rev)?;
    let Object::Dictionary(catalog) = catalog.as_ref() else {
        return Ok(None);
    };
    let acroform_id = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(r)) => Some(*r),
        _ => None,
    };
    let Some(acroform) = file.get_key(rev, catalog, b"AcroForm")? else {
        return Ok(None);
    };
    let Object::Dictionary(acroform) = acroform.as_ref() else {
        return Ok(None);
    };
    let mut fields = Vec::new();
    if let Some(list) = file.get_key(rev, acroform, b"Fields")?
        && let Object::Array(items) = list.as_ref()
    {
        let mut seen = std::collections::HashSet::new();
        for item in items {
            if let Object::Reference(r) = item {
                collect(file, rev, *r, "", None, &mut fields, &mut seen, 0)?;
            }
        }
    }
    Ok(Some(Form {
        acroform_id,
        acroform: acroform.clone(),
        fields,
    }))
}

#[allow(clippy::too_many_arguments)]
fn collect(
    file: &PdfFile<'_>,
    rev: usize,
    id: ObjectId,
    parent_name: &str,
    inherited_kind: Option<FieldKind>,
    out: &mut Vec<Field>,
    seen: &mut std::collections::HashSet<u32>,
    depth: usize,
) -> Result<()> {
    if depth > 32 || !seen.insert(id.0) || out.len() > 100_000 {
        return Ok(());
    }
    let Some(object) = file.peek(rev, id.0, FIELD_KEYS)? else {
        return Ok(());
    };
    let Object::Dictionary(dict) = object.as_ref() else {
        return Ok(());
    };
    let partial = match dict.get(b"T") {
        Ok(Object::String(s, _)) => Some(decode_text_string(s)),
        _ => None,
    };
    let name = match (&partial, parent_name.is_empty()) {
        (Some(p), true) => p.clone(),
        (Some(p), false) => format!("{parent_name}.{p}"),
        (None, _) => parent_name.to_owned(),
    };
    let kind = match dict.get(b"FT") {
        Ok(Object::Name(n)) if n == b"Sig" => Some(FieldKind::Signature),
        Ok(Object::Name(n)) if n == b"Tx" => Some(FieldKind::Text),
        Ok(Object::Name(_)) => Some(FieldKind::Other),
        _ => inherited_kind,
    };
    // Kids with their own /T are fields; kids without are widgets.
    let kids: Vec<ObjectId> = match file.get_key(rev, dict, b"Kids")? {
        Some(k) => match k.as_ref() {
            Object::Array(items) => items
                .iter()
                .filter_map(|o| match o {
                    Object::Reference(r) => Some(*r),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    let mut child_fields = Vec::new();
    for kid in &kids {
        if let Some(k) = file.peek(rev, kid.0, FIELD_KEYS)?
            && let Object::Dictionary(kd) = k.as_ref()
            && kd.has(b"T")
        {
            child_fields.push(*kid);
        }
    }
    if child_fields.is_empty() {
        out.push(Field {
            id,
            name,
            kind: kind.unwrap_or(FieldKind::Other),
            dict: object.clone(),
        });
    } else {
        for kid in child_fields {
            collect(file, rev, kid, &name, kind, out, seen, depth + 1)?;
        }
    }
    Ok(())
}

/// A signer's fields in a Rúbrica signable PDF.
pub(crate) struct SignerFields<'f> {
    pub(crate) signer: SignerIdentity,
    pub(crate) signature: &'f Field,
    /// In `/Lock` order (page order).
    pub(crate) initials: Vec<&'f Field>,
}

/// The Rúbrica signer of the form whose RFC is `rfc` (ASCII case ignored),
/// with their fields; `Ok(None)` when the form has Rúbrica signers but none
/// with that RFC, and `Err(NotSignable)` when it has none at all.
pub(crate) fn signer_with_rfc<'f>(
    file: &PdfFile<'_>,
    rev: usize,
    form: &'f Form,
    rfc: &str,
) -> Result<Option<SignerFields<'f>>> {
    let mut any = false;
    for field in form.signature_fields() {
        let Some(signer) = field.signer(file, rev)? else {
            continue;
        };
        any = true;
        if !signer.rfc.eq_ignore_ascii_case(rfc) {
            continue;
        }
        let initials = field
            .lock_names(file, rev)?
            .iter()
            .filter_map(|n| form.field(n))
            .collect();
        return Ok(Some(SignerFields {
            signer,
            signature: field,
            initials,
        }));
    }
    if any {
        Ok(None)
    } else {
        Err(crate::error::PdfSignError::NotSignable)
    }
}
