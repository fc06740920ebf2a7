//! Opening an approved acta for signature: the *signable revision*.
//!
//! One incremental update, before any signature exists, adds everything that
//! will ever be on a page: per signer, one signature field in their box of the
//! bottom block and one read-only text field per page in their initials slot.
//! From then on each signer's revision only *fills* fields, which validators
//! that analyse later revisions accept as form filling (PDF-SIGNING.md).

use std::collections::HashMap;

use lopdf::{Dictionary, Object, ObjectId, StringFormat};
use rubrica_fiel::digest::Sha256;

use crate::appearance::{self, Face, Line};
use crate::error::{PdfSignError, Result};
use crate::fields::{self, FieldKind, SIGNER_KEY};
use crate::layout::{LayoutManifest, PlacedRect, SignerIdentity};
use crate::reader::{Page, PdfFile};
use crate::writer::{self, Body, Ids};

/// Points a box may stick out of the page before it is refused (rounding in
/// the documents service's layout).
const PAGE_TOLERANCE: f32 = 0.5;

/// Field flag ReadOnly (ISO 32000-1 table 221): initials are never typed in.
const FF_READ_ONLY: i64 = 1;
/// Annotation flag Print: boxes appear on paper.
const F_PRINT: i64 = 4;

/// Adds the signable revision to `pdf` following `manifest`.
///
/// Refuses a PDF that already has signature fields (it was opened before) or
/// is encrypted, and a manifest for another document or page count.
pub fn make_signable(pdf: &[u8], manifest: &LayoutManifest) -> Result<Vec<u8>> {
    manifest.validate()?;
    let file = PdfFile::parse(pdf)?;
    if file.trailing_data {
        return Err(PdfSignError::malformed("data after the last %%EOF"));
    }
    if let Some(expected) = &manifest.document_sha256 {
        let actual = hex::encode(Sha256::digest(pdf));
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(PdfSignError::DocumentMismatch);
        }
    }
    let rev = file.last_index();
    let pages = file.pages(rev)?;
    let page_count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    if page_count != manifest.page_count {
        return Err(PdfSignError::PageCountMismatch {
            manifest: manifest.page_count,
            pdf: page_count,
        });
    }
    for s in &manifest.signers {
        check_on_page(&s.signature_box, &pages, &s.signer.id, "de firma")?;
        for slot in &s.initials {
            check_on_page(slot, &pages, &s.signer.id, "de rúbrica")?;
        }
    }

    let (catalog_id, catalog) = file.catalog(rev)?;
    let Object::Dictionary(catalog) = catalog.as_ref() else {
        return Err(PdfSignError::malformed("catalog"));
    };
    if catalog.has(b"Perms") {
        return Err(PdfSignError::AlreadySignable);
    }
    let existing = fields::read_form(&file, rev)?;
    if let Some(form) = &existing {
        let ours = |n: &str| n.starts_with("Firma_") || n.starts_with("Rubrica_");
        if form
            .fields
            .iter()
            .any(|f| f.kind == FieldKind::Signature || ours(&f.name))
        {
            return Err(PdfSignError::AlreadySignable);
        }
    }

    let mut ids = Ids::after(&file);
    let mut bodies: Vec<Body> = Vec::new();

    let font_regular = ids.next();
    let font_bold = ids.next();
    bodies.push(Body::object(font_regular, &standard_font("Helvetica")));
    bodies.push(Body::object(font_bold, &standard_font("Helvetica-Bold")));
    let resources = appearance::resources(font_regular, font_bold);

    // Annotations to add to each page, by page index.
    let mut annots: Vec<Vec<Object>> = vec![Vec::new(); pages.len()];
    let mut new_fields: Vec<Object> = Vec::new();

    for s in &manifest.signers {
        let who = &s.signer;
        let short = appearance::initials_of(&who.name);
        // One blank appearance per distinct slot size: every page of a signer
        // normally shares one.
        let mut blanks: HashMap<(i32, i32), ObjectId> = HashMap::new();
        let mut initials_names = Vec::with_capacity(s.initials.len());
        let mut slots = s.initials.clone();
        slots.sort_by_key(|r| r.page);
        for slot in &slots {
            let key = (
                (slot.width * 100.0).round() as i32,
                (slot.height * 100.0).round() as i32,
            );
            let blank = match blanks.get(&key) {
                Some(id) => *id,
                None => {
                    let id = ids.next();
                    let content = appearance::empty_slot(
                        slot.width,
                        slot.height,
                        &[Line::new(short.clone(), Face::Regular, 9.0)],
                    );
                    let stream = appearance::form_xobject(
                        slot.width,
                        slot.height,
                        resources.clone(),
                        content,
                    );
                    bodies.push(Body::object(id, &Object::Stream(stream)));
                    blanks.insert(key, id);
                    id
                }
            };
            let name = fields::initials_field_name(&who.id, slot.page);
            let page = pages[(slot.page - 1) as usize];
            let field = initials_field(&name, who, slot, page.id, blank);
            let id = ids.next();
            bodies.push(Body::object(id, &Object::Dictionary(field)));
            annots[(slot.page - 1) as usize].push(Object::Reference(id));
            new_fields.push(Object::Reference(id));
            initials_names.push(name);
        }

        let pending = ids.next();
        let r = &s.signature_box;
        let content = appearance::empty_slot(
            r.width,
            r.height,
            &[
                Line::new("Firma pendiente de", Face::Regular, 7.0),
                Line::new(who.name.clone(), Face::Bold, 9.0),
                Line::new(format!("{} · {}", who.seat, who.role), Face::Regular, 7.0),
            ],
        );
        let stream = appearance::form_xobject(r.width, r.height, resources.clone(), content);
        bodies.push(Body::object(pending, &Object::Stream(stream)));
        let page_index = (r.page - 1) as usize;
        let field = signature_field(who, r, pages[page_index].id, pending, &initials_names);
        let id = ids.next();
        bodies.push(Body::object(id, &Object::Dictionary(field)));
        annots[page_index].push(Object::Reference(id));
        new_fields.push(Object::Reference(id));
    }

    // The AcroForm: existing fields first, then ours; Helvetica in /DR.
    let mut acroform = existing
        .as_ref()
        .map(|f| f.acroform.clone())
        .unwrap_or_default();
    let mut all_fields = match acroform.get(b"Fields") {
        Ok(v) => match file.resolve(rev, v)?.as_ref() {
            Object::Array(a) => a.clone(),
            _ => Vec::new(),
        },
        Err(_) => Vec::new(),
    };
    all_fields.extend(new_fields);
    acroform.set("Fields", Object::Array(all_fields));
    acroform.set("SigFlags", Object::Integer(3));
    let mut dr = match acroform.get(b"DR") {
        Ok(v) => match file.resolve(rev, v)?.as_ref() {
            Object::Dictionary(d) => d.clone(),
            _ => Dictionary::new(),
        },
        Err(_) => Dictionary::new(),
    };
    let mut fonts = match dr.get(b"Font") {
        Ok(v) => match file.resolve(rev, v)?.as_ref() {
            Object::Dictionary(d) => d.clone(),
            _ => Dictionary::new(),
        },
        Err(_) => Dictionary::new(),
    };
    fonts.set(appearance::FONT_REGULAR, Object::Reference(font_regular));
    fonts.set(appearance::FONT_BOLD, Object::Reference(font_bold));
    dr.set("Font", Object::Dictionary(fonts));
    acroform.set("DR", Object::Dictionary(dr));
    if !acroform.has(b"DA") {
        acroform.set(
            "DA",
            Object::string_literal(format!("/{} 0 Tf 0 g", appearance::FONT_REGULAR)),
        );
    }
    // Appearances are supplied: viewers must not regenerate them.
    acroform.remove(b"NeedAppearances");
    let acroform_id = match existing.as_ref().and_then(|f| f.acroform_id) {
        Some(id) => id,
        None => ids.next(),
    };
    bodies.push(Body::object(acroform_id, &Object::Dictionary(acroform)));

    for (page, new) in pages.iter().zip(annots) {
        if new.is_empty() {
            continue;
        }
        add_annotations(&file, rev, page, new, &mut bodies)?;
    }

    if catalog.get(b"AcroForm").ok() != Some(&Object::Reference(acroform_id)) {
        let mut catalog = catalog.clone();
        catalog.set("AcroForm", Object::Reference(acroform_id));
        bodies.push(Body::object(catalog_id, &Object::Dictionary(catalog)));
    }

    Ok(writer::append_update(&file, &bodies)?.bytes)
}

fn check_on_page(r: &PlacedRect, pages: &[Page], signer: &str, what: &'static str) -> Result<()> {
    let Some(page) = pages.get((r.page as usize).wrapping_sub(1)) else {
        return Err(PdfSignError::RectOutsidePage {
            signer: signer.to_owned(),
            page: r.page,
            what,
        });
    };
    let [x0, y0, x1, y1] = page.media_box;
    let [a, b, c, d] = r.corners();
    if a < x0 - PAGE_TOLERANCE
        || b < y0 - PAGE_TOLERANCE
        || c > x1 + PAGE_TOLERANCE
        || d > y1 + PAGE_TOLERANCE
    {
        return Err(PdfSignError::RectOutsidePage {
            signer: signer.to_owned(),
            page: r.page,
            what,
        });
    }
    Ok(())
}

fn standard_font(base: &str) -> Object {
    let mut font = Dictionary::new();
    font.set("Type", Object::Name(b"Font".to_vec()));
    font.set("Subtype", Object::Name(b"Type1".to_vec()));
    font.set("BaseFont", Object::Name(base.as_bytes().to_vec()));
    font.set("Encoding", Object::Name(b"WinAnsiEncoding".to_vec()));
    Object::Dictionary(font)
}

fn rect_array(r: &PlacedRect) -> Object {
    Object::Array(r.corners().iter().map(|v| Object::Real(*v)).collect())
}

fn widget_base(
    name: &str,
    tooltip: &str,
    r: &PlacedRect,
    page: ObjectId,
    appearance: ObjectId,
) -> Dictionary {
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"Annot".to_vec()));
    d.set("Subtype", Object::Name(b"Widget".to_vec()));
    d.set("T", appearance::text_string(name));
    d.set("TU", appearance::text_string(tooltip));
    d.set("F", Object::Integer(F_PRINT));
    d.set("Rect", rect_array(r));
    d.set("P", Object::Reference(page));
    let mut ap = Dictionary::new();
    ap.set("N", Object::Reference(appearance));
    d.set("AP", Object::Dictionary(ap));
    d
}

fn initials_field(
    name: &str,
    who: &SignerIdentity,
    slot: &PlacedRect,
    page: ObjectId,
    blank: ObjectId,
) -> Dictionary {
    let tooltip = format!("Rúbrica de {} (página {})", who.name, slot.page);
    let mut d = widget_base(name, &tooltip, slot, page, blank);
    d.set("FT", Object::Name(b"Tx".to_vec()));
    d.set("Ff", Object::Integer(FF_READ_ONLY));
    d.set(
        "DA",
        Object::string_literal(format!("/{} 0 Tf 0 g", appearance::FONT_BOLD)),
    );
    d.set("Q", Object::Integer(1));
    d.set("V", Object::String(Vec::new(), StringFormat::Literal));
    d
}

fn signature_field(
    who: &SignerIdentity,
    r: &PlacedRect,
    page: ObjectId,
    appearance: ObjectId,
    initials: &[String],
) -> Dictionary {
    let name = fields::signature_field_name(&who.id);
    let tooltip = format!("Firma de {} ({}, {})", who.name, who.seat, who.role);
    let mut d = widget_base(&name, &tooltip, r, page, appearance);
    d.set("FT", Object::Name(b"Sig".to_vec()));
    // The lock that the signer's own FieldMDP transform will repeat: whoever
    // signs this field freezes their initials on every page.
    let mut lock = Dictionary::new();
    lock.set("Type", Object::Name(b"SigFieldLock".to_vec()));
    lock.set("Action", Object::Name(b"Include".to_vec()));
    lock.set(
        "Fields",
        Object::Array(
            initials
                .iter()
                .map(|n| appearance::text_string(n))
                .collect(),
        ),
    );
    d.set("Lock", Object::Dictionary(lock));
    let mut info = Dictionary::new();
    info.set("Id", appearance::text_string(&who.id));
    info.set("Name", appearance::text_string(&who.name));
    info.set("Seat", appearance::text_string(&who.seat));
    info.set("Role", appearance::text_string(&who.role));
    info.set(
        "RFC",
        appearance::text_string(&who.rfc.trim().to_uppercase()),
    );
    d.set(SIGNER_KEY, Object::Dictionary(info));
    d
}

/// Adds widget references to a page's `/Annots`, rewriting the array object
/// when it is indirect (so the page itself is untouched) or the page otherwise.
fn add_annotations(
    file: &PdfFile<'_>,
    rev: usize,
    page: &Page,
    new: Vec<Object>,
    bodies: &mut Vec<Body>,
) -> Result<()> {
    let object = file
        .get(rev, page.id.0)?
        .ok_or_else(|| PdfSignError::malformed("page disappeared"))?;
    let Object::Dictionary(dict) = object.as_ref() else {
        return Err(PdfSignError::malformed("page is not a dictionary"));
    };
    match dict.get(b"Annots") {
        Ok(Object::Reference(array_id)) => {
            let current = file.get(rev, array_id.0)?;
            let mut items = match current.as_deref() {
                Some(Object::Array(a)) => a.clone(),
                _ => Vec::new(),
            };
            items.extend(new);
            bodies.push(Body::object(*array_id, &Object::Array(items)));
        }
        other => {
            let mut items = match other {
                Ok(Object::Array(a)) => a.clone(),
                _ => Vec::new(),
            };
            items.extend(new);
            let mut dict = dict.clone();
            dict.set("Annots", Object::Array(items));
            bodies.push(Body::object(page.id, &Object::Dictionary(dict)));
        }
    }
    Ok(())
}
