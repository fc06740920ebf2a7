//! Appending one incremental update (ISO 32000-1 §7.5.6).
//!
//! The earlier bytes are copied unchanged, so every earlier signature keeps
//! covering exactly what it covered. The new section uses the same kind of
//! cross-reference as the one before it (table or stream), which is what
//! strict readers expect of an update.

use std::io::Write as _;

use lopdf::{Object, ObjectId, Writer};

use crate::error::{PdfSignError, Result};
use crate::reader::{PdfFile, XrefKind};

/// An object to write in the update: a new one or a new version of an old one.
pub(crate) struct Body {
    pub(crate) id: ObjectId,
    /// The serialised object, without `N G obj` / `endobj`.
    pub(crate) bytes: Vec<u8>,
}

impl Body {
    /// Serialises an lopdf object.
    pub(crate) fn object(id: ObjectId, object: &Object) -> Self {
        let mut bytes = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = Writer::write_object(&mut bytes, object);
        Self { id, bytes }
    }

    /// Already serialised bytes (the signature dictionary, whose layout the
    /// caller controls to find its `/Contents` and `/ByteRange` later).
    pub(crate) fn raw(id: ObjectId, bytes: Vec<u8>) -> Self {
        Self { id, bytes }
    }
}

/// The file with the update appended, and where each body landed.
pub(crate) struct Appended {
    pub(crate) bytes: Vec<u8>,
    /// Absolute offset of each body's first byte, in the order given.
    pub(crate) body_offsets: Vec<usize>,
}

/// Hands out object numbers after the file's highest.
pub(crate) struct Ids {
    next: u32,
}

impl Ids {
    pub(crate) fn after(file: &PdfFile<'_>) -> Self {
        Self {
            next: file.last().size().max(1),
        }
    }

    pub(crate) fn next(&mut self) -> ObjectId {
        let id = (self.next, 0);
        self.next += 1;
        id
    }
}

/// Appends `bodies` as one incremental update of `file`'s last revision.
pub(crate) fn append_update(file: &PdfFile<'_>, bodies: &[Body]) -> Result<Appended> {
    let last = file.last();
    let base = &file.bytes[..last.end.min(file.bytes.len())];
    let extra: usize = bodies.iter().map(|b| b.bytes.len() + 32).sum();
    let mut out = Vec::with_capacity(base.len() + extra + 1024);
    out.extend_from_slice(base);
    if !matches!(out.last(), Some(b'\n' | b'\r')) {
        out.push(b'\n');
    }
    let mut entries: Vec<(ObjectId, usize)> = Vec::with_capacity(bodies.len() + 1);
    let mut body_offsets = Vec::with_capacity(bodies.len());
    for body in bodies {
        let offset = out.len();
        // `N G obj` then a newline: every value (including one that starts with
        // a digit) is separated from the header.
        let _ = writeln!(out, "{} {} obj", body.id.0, body.id.1);
        body_offsets.push(out.len());
        out.extend_from_slice(&body.bytes);
        out.extend_from_slice(b"\nendobj\n");
        entries.push((body.id, offset));
    }

    let size = entries
        .iter()
        .map(|(id, _)| id.0.saturating_add(1))
        .max()
        .unwrap_or(0)
        .max(last.size());
    let mut trailer = lopdf::Dictionary::new();
    for key in [&b"Root"[..], b"Info", b"ID"] {
        if let Ok(v) = last.trailer.get(key) {
            trailer.set(key.to_vec(), v.clone());
        }
    }
    if !trailer.has(b"Root") {
        return Err(PdfSignError::malformed("trailer without /Root"));
    }
    trailer.set("Prev", Object::Integer(last.startxref as i64));

    let xref_offset = out.len();
    match last.kind {
        XrefKind::Table => {
            trailer.set("Size", Object::Integer(i64::from(size)));
            out.extend_from_slice(b"xref\n");
            entries.sort_by_key(|(id, _)| id.0);
            for run in runs(&entries) {
                let _ = writeln!(out, "{} {}", run[0].0.0, run.len());
                for (id, offset) in run {
                    // Each entry is exactly 20 bytes (§7.5.4).
                    let _ = write!(out, "{:010} {:05} n\r\n", offset, id.1);
                }
            }
            out.extend_from_slice(b"trailer\n");
            let _ = Writer::write_object(&mut out, &Object::Dictionary(trailer));
            out.push(b'\n');
        }
        XrefKind::Stream => {
            // The stream describes itself too.
            let own_id = size;
            let size = size + 1;
            entries.push(((own_id, 0), xref_offset));
            entries.sort_by_key(|(id, _)| id.0);
            let mut index = Vec::new();
            let mut data = Vec::with_capacity(entries.len() * 7);
            for run in runs(&entries) {
                index.push(Object::Integer(i64::from(run[0].0.0)));
                index.push(Object::Integer(run.len() as i64));
                for (id, offset) in run {
                    let offset = u32::try_from(*offset).map_err(|_| PdfSignError::TooLarge {
                        size: *offset as u64,
                        limit: u64::from(u32::MAX),
                    })?;
                    data.push(1);
                    data.extend_from_slice(&offset.to_be_bytes());
                    data.extend_from_slice(&id.1.to_be_bytes());
                }
            }
            trailer.set("Type", Object::Name(b"XRef".to_vec()));
            trailer.set("Size", Object::Integer(i64::from(size)));
            trailer.set(
                "W",
                Object::Array(vec![
                    Object::Integer(1),
                    Object::Integer(4),
                    Object::Integer(2),
                ]),
            );
            trailer.set("Index", Object::Array(index));
            let stream = lopdf::Stream::new(trailer, data);
            let _ = writeln!(out, "{own_id} 0 obj");
            let _ = Writer::write_object(&mut out, &Object::Stream(stream));
            out.extend_from_slice(b"\nendobj\n");
        }
    }
    let _ = write!(out, "startxref\n{xref_offset}\n%%EOF\n");
    Ok(Appended {
        bytes: out,
        body_offsets,
    })
}

/// Consecutive object numbers, for cross-reference subsections.
fn runs(entries: &[(ObjectId, usize)]) -> Vec<&[(ObjectId, usize)]> {
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..=entries.len() {
        if i == entries.len() || entries[i].0.0 != entries[i - 1].0.0 + 1 {
            runs.push(&entries[start..i]);
            start = i;
        }
    }
    runs
}
