//! A PDF read as a sequence of revisions.
//!
//! Every signature covers the file up to the end of *its* revision, and
//! verification compares each object version with the one before it, so the
//! reader keeps the revisions apart instead of merging them the way a viewer
//! (or lopdf's `Document`) does. A revision is an `startxref N %%EOF` marker
//! whose N is a readable cross-reference section; its object table is that
//! section's chain (`/Prev`, `/XRefStm`). Objects are parsed on demand and
//! cached, so preparing a signature reads only the form fields, not the pages.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use lopdf::{Dictionary, Object, ObjectId, ObjectStream};

use crate::error::{PdfSignError, Result};
use crate::syntax::{self, Lexer, is_whitespace};

/// Largest PDF accepted: actas are a few megabytes; this bounds memory.
pub const MAX_PDF_BYTES: u64 = 256 * 1024 * 1024;

/// Largest decoded cross-reference or object stream.
const MAX_DECODED_STREAM: usize = 64 * 1024 * 1024;

/// Longest `/Prev` chain followed (a revision per signature; 9 signers make 11).
const MAX_SECTIONS: usize = 4096;

/// Where a cross-reference entry says an object lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Entry {
    /// Deleted (or never used).
    Free,
    /// At a byte offset, with its generation.
    InFile { offset: usize, generation: u16 },
    /// Inside an object stream.
    Compressed { stream: u32, index: u32 },
}

/// Cross-reference table (`xref` keyword) or stream (`/Type /XRef`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XrefKind {
    Table,
    Stream,
}

/// One cross-reference section as written.
#[derive(Debug)]
struct Section {
    kind: XrefKind,
    /// In the order written; later duplicates win within a section.
    entries: Vec<(u32, Entry)>,
    trailer: Dictionary,
    prev: Option<usize>,
    /// Hybrid files: a classic table plus a stream with the compressed objects.
    xref_stm: Option<usize>,
}

/// One revision: the file up to an `%%EOF`, with its object table.
#[derive(Debug)]
pub(crate) struct Revision {
    /// Offset of its newest cross-reference section (the `startxref` value).
    pub(crate) startxref: usize,
    /// Just after `%%EOF`.
    pub(crate) eof_end: usize,
    /// Just after `%%EOF` and the end-of-line that follows it, if any.
    pub(crate) end: usize,
    /// Kind of the newest section, which an update appended to it should match.
    pub(crate) kind: XrefKind,
    /// The newest section's trailer (for a stream, its dictionary).
    pub(crate) trailer: Dictionary,
    /// Object number → location, newest section first.
    table: HashMap<u32, Entry>,
    /// Objects this revision's own sections define (not inherited), in order.
    pub(crate) own_ids: Vec<u32>,
    /// Objects this revision's own sections mark free.
    pub(crate) freed_ids: Vec<u32>,
}

impl Revision {
    /// The location of object `id` in this revision.
    pub(crate) fn entry(&self, id: u32) -> Option<Entry> {
        self.table.get(&id).copied().filter(|e| *e != Entry::Free)
    }

    /// Every live object number.
    pub(crate) fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.table
            .iter()
            .filter(|(_, e)| **e != Entry::Free)
            .map(|(id, _)| *id)
    }

    /// `/Size`: one more than the highest object number.
    pub(crate) fn size(&self) -> u32 {
        let declared = match self.trailer.get(b"Size") {
            Ok(Object::Integer(n)) => u32::try_from(*n).unwrap_or(0),
            _ => 0,
        };
        let highest = self.table.keys().max().map_or(0, |m| m.saturating_add(1));
        declared.max(highest)
    }
}

/// A PDF file with its revisions and a cache of parsed objects.
pub(crate) struct PdfFile<'a> {
    pub(crate) bytes: &'a [u8],
    /// Oldest first.
    pub(crate) revisions: Vec<Revision>,
    /// Non-blank bytes after the last revision's `%%EOF`.
    pub(crate) trailing_data: bool,
    objects: RefCell<HashMap<Entry, Rc<Object>>>,
    object_streams: RefCell<HashMap<Entry, Rc<BTreeMap<ObjectId, Object>>>>,
}

fn malformed(detail: impl Into<String>) -> PdfSignError {
    PdfSignError::malformed(detail)
}

impl<'a> PdfFile<'a> {
    /// Reads the revision structure (not the objects). Refuses encrypted files.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() as u64 > MAX_PDF_BYTES {
            return Err(PdfSignError::TooLarge {
                size: bytes.len() as u64,
                limit: MAX_PDF_BYTES,
            });
        }
        let head = &bytes[..bytes.len().min(1024)];
        if syntax::find(head, b"%PDF-").is_none() {
            return Err(malformed("no %PDF- header"));
        }
        let mut sections: HashMap<usize, Rc<Section>> = HashMap::new();
        let mut revisions: Vec<Revision> = Vec::new();
        let mut previous_chain: HashSet<usize> = HashSet::new();
        let mut last_error = None;
        for marker in eof_markers(bytes) {
            match chain_from(bytes, marker.startxref, &mut sections) {
                Ok(chain) => {
                    let revision = build_revision(&marker, &chain, &sections, &previous_chain);
                    previous_chain = chain.into_iter().collect();
                    revisions.push(revision);
                }
                // A marker whose section cannot be read (inside binary data, or a
                // linearisation hint) is not a revision; remember why in case
                // none is left.
                Err(e) => last_error = Some(e),
            }
        }
        let Some(last) = revisions.last() else {
            return Err(last_error.unwrap_or_else(|| malformed("no startxref/%%EOF")));
        };
        // Bytes after the last revision that are not white space are a
        // revision nobody can read: signing refuses it, verification says that
        // no signature covers the whole file.
        let trailing_data = bytes[last.end..].iter().any(|&b| !is_whitespace(b));
        if revisions.iter().any(|r| r.trailer.has(b"Encrypt")) {
            return Err(PdfSignError::Encrypted);
        }
        Ok(Self {
            bytes,
            revisions,
            trailing_data,
            objects: RefCell::new(HashMap::new()),
            object_streams: RefCell::new(HashMap::new()),
        })
    }

    pub(crate) fn last_index(&self) -> usize {
        self.revisions.len() - 1
    }

    pub(crate) fn last(&self) -> &Revision {
        &self.revisions[self.last_index()]
    }

    /// Object `id` as revision `rev` sees it; `None` when absent or free.
    pub(crate) fn get(&self, rev: usize, id: u32) -> Result<Option<Rc<Object>>> {
        let Some(entry) = self.revisions.get(rev).and_then(|r| r.entry(id)) else {
            return Ok(None);
        };
        self.load(rev, id, entry, 0).map(Some)
    }

    fn load(&self, rev: usize, id: u32, entry: Entry, depth: usize) -> Result<Rc<Object>> {
        if depth > 8 {
            return Err(malformed("stream length references nest too deep"));
        }
        if let Some(o) = self.objects.borrow().get(&entry) {
            return Ok(o.clone());
        }
        let object = match entry {
            Entry::Free => Rc::new(Object::Null),
            Entry::InFile { offset, .. } => {
                let mut resolve = |r: ObjectId| -> Option<i64> {
                    let e = self.revisions.get(rev)?.entry(r.0)?;
                    match self.load(rev, r.0, e, depth + 1).ok()?.as_ref() {
                        Object::Integer(n) => Some(*n),
                        _ => None,
                    }
                };
                let found = syntax::indirect_object_at(self.bytes, offset, &mut resolve)
                    .map_err(|e| malformed(format!("object {id}: {e}")))?;
                if found.id.0 != id {
                    return Err(malformed(format!(
                        "xref says object {id} is at {offset}, found {}",
                        found.id.0
                    )));
                }
                Rc::new(found.object)
            }
            Entry::Compressed { stream, .. } => {
                let objects = self.object_stream(rev, stream, depth)?;
                Rc::new(objects.get(&(id, 0)).cloned().unwrap_or(Object::Null))
            }
        };
        self.objects.borrow_mut().insert(entry, object.clone());
        Ok(object)
    }

    fn object_stream(
        &self,
        rev: usize,
        stream_id: u32,
        depth: usize,
    ) -> Result<Rc<BTreeMap<ObjectId, Object>>> {
        let entry = self
            .revisions
            .get(rev)
            .and_then(|r| r.entry(stream_id))
            .ok_or_else(|| malformed(format!("object stream {stream_id} missing")))?;
        if !matches!(entry, Entry::InFile { .. }) {
            return Err(malformed("object stream inside an object stream"));
        }
        if let Some(o) = self.object_streams.borrow().get(&entry) {
            return Ok(o.clone());
        }
        let container = self.load(rev, stream_id, entry, depth + 1)?;
        let Object::Stream(stream) = container.as_ref() else {
            return Err(malformed(format!("object {stream_id} is not a stream")));
        };
        let decoded = ObjectStream::new_with_limit(stream, Some(MAX_DECODED_STREAM))
            .map_err(|e| malformed(format!("object stream {stream_id}: {e}")))?;
        let objects = Rc::new(decoded.objects);
        self.object_streams
            .borrow_mut()
            .insert(entry, objects.clone());
        Ok(objects)
    }

    /// Follows `obj` if it is a reference (up to a few hops); a dangling
    /// reference reads as `null`, as ISO 32000 §7.3.10 says.
    pub(crate) fn resolve(&self, rev: usize, obj: &Object) -> Result<Rc<Object>> {
        let mut current = match obj {
            Object::Reference(r) => r.0,
            other => return Ok(Rc::new(other.clone())),
        };
        for _ in 0..8 {
            let Some(found) = self.get(rev, current)? else {
                return Ok(Rc::new(Object::Null));
            };
            match found.as_ref() {
                Object::Reference(r) => current = r.0,
                _ => return Ok(found),
            }
        }
        Err(malformed("reference chain too long"))
    }

    /// The value of `key` in `dict`, resolved; `None` when absent or null.
    pub(crate) fn get_key(
        &self,
        rev: usize,
        dict: &Dictionary,
        key: &[u8],
    ) -> Result<Option<Rc<Object>>> {
        match dict.get(key) {
            Ok(v) => {
                let v = self.resolve(rev, v)?;
                Ok((!matches!(v.as_ref(), Object::Null)).then_some(v))
            }
            Err(_) => Ok(None),
        }
    }

    /// The document catalog of revision `rev`.
    pub(crate) fn catalog(&self, rev: usize) -> Result<(ObjectId, Rc<Object>)> {
        let root = match self.revisions[rev].trailer.get(b"Root") {
            Ok(Object::Reference(r)) => *r,
            _ => return Err(malformed("trailer without /Root")),
        };
        let catalog = self
            .get(rev, root.0)?
            .filter(|o| matches!(o.as_ref(), Object::Dictionary(_)))
            .ok_or_else(|| malformed("catalog is not a dictionary"))?;
        Ok((root, catalog))
    }

    /// The pages of revision `rev` in order, with their (inherited) MediaBox.
    pub(crate) fn pages(&self, rev: usize) -> Result<Vec<Page>> {
        let (_, catalog) = self.catalog(rev)?;
        let Object::Dictionary(catalog) = catalog.as_ref() else {
            return Err(malformed("catalog"));
        };
        let root = match catalog.get(b"Pages") {
            Ok(Object::Reference(r)) => *r,
            _ => return Err(malformed("catalog without /Pages reference")),
        };
        let mut pages = Vec::new();
        let mut seen = HashSet::new();
        self.walk_pages(rev, root, None, &mut pages, &mut seen, 0)?;
        if pages.is_empty() {
            return Err(malformed("document without pages"));
        }
        Ok(pages)
    }

    fn walk_pages(
        &self,
        rev: usize,
        node: ObjectId,
        inherited_box: Option<[f32; 4]>,
        pages: &mut Vec<Page>,
        seen: &mut HashSet<u32>,
        depth: usize,
    ) -> Result<()> {
        if depth > 64 || !seen.insert(node.0) || pages.len() > 100_000 {
            return Err(malformed("page tree loops or is too deep"));
        }
        let object = self
            .get(rev, node.0)?
            .ok_or_else(|| malformed("missing page tree node"))?;
        let Object::Dictionary(dict) = object.as_ref() else {
            return Err(malformed("page tree node is not a dictionary"));
        };
        let media_box = match self.get_key(rev, dict, b"MediaBox")? {
            Some(b) => rect_of(&b).or(inherited_box),
            None => inherited_box,
        };
        match dict.get(b"Kids") {
            Ok(kids) => {
                let kids = self.resolve(rev, kids)?;
                let Object::Array(kids) = kids.as_ref() else {
                    return Err(malformed("/Kids is not an array"));
                };
                for kid in kids {
                    let Object::Reference(kid) = kid else {
                        return Err(malformed("page tree kid is not a reference"));
                    };
                    self.walk_pages(rev, *kid, media_box, pages, seen, depth + 1)?;
                }
            }
            Err(_) => pages.push(Page {
                id: node,
                // US Letter is the default a viewer would assume.
                media_box: media_box.unwrap_or([0.0, 0.0, 612.0, 792.0]),
            }),
        }
        Ok(())
    }
}

/// A page: its object and its MediaBox.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub(crate) id: ObjectId,
    pub(crate) media_box: [f32; 4],
}

/// `[llx lly urx ury]` from a PDF array, normalised.
pub(crate) fn rect_of(obj: &Object) -> Option<[f32; 4]> {
    let Object::Array(items) = obj else {
        return None;
    };
    if items.len() != 4 {
        return None;
    }
    let mut v = [0f32; 4];
    for (slot, item) in v.iter_mut().zip(items) {
        *slot = match item {
            Object::Integer(i) => *i as f32,
            Object::Real(r) => *r,
            _ => return None,
        };
    }
    Some([
        v[0].min(v[2]),
        v[1].min(v[3]),
        v[0].max(v[2]),
        v[1].max(v[3]),
    ])
}

/// A `startxref N %%EOF` marker.
struct Marker {
    startxref: usize,
    eof_end: usize,
    end: usize,
}

/// Every `startxref N %%EOF` in file order.
fn eof_markers(bytes: &[u8]) -> Vec<Marker> {
    let mut markers = Vec::new();
    let mut from = 0;
    while let Some(at) = syntax::find(&bytes[from..], b"startxref") {
        let start = from + at;
        from = start + 9;
        let mut lx = Lexer::new(bytes, from);
        let Ok(n) = lx.unsigned() else { continue };
        let mut pos = lx.pos;
        while bytes.get(pos).is_some_and(|&b| is_whitespace(b)) {
            pos += 1;
        }
        if !bytes[pos..].starts_with(b"%%EOF") {
            continue;
        }
        let eof_end = pos + 5;
        let end = match bytes.get(eof_end..) {
            Some([b'\r', b'\n', ..]) => eof_end + 2,
            Some([b'\n' | b'\r', ..]) => eof_end + 1,
            _ => eof_end,
        };
        let Ok(startxref) = usize::try_from(n) else {
            continue;
        };
        markers.push(Marker {
            startxref,
            eof_end,
            end,
        });
    }
    markers
}

/// The chain of sections from `start` (newest first), reading and caching each.
fn chain_from(
    bytes: &[u8],
    start: usize,
    sections: &mut HashMap<usize, Rc<Section>>,
) -> Result<Vec<usize>> {
    let mut chain = Vec::new();
    let mut next = Some(start);
    let mut seen = HashSet::new();
    while let Some(offset) = next {
        if !seen.insert(offset) || chain.len() > MAX_SECTIONS {
            return Err(malformed("xref /Prev chain loops"));
        }
        let section = match sections.get(&offset) {
            Some(s) => s.clone(),
            None => {
                let s = Rc::new(read_section(bytes, offset)?);
                sections.insert(offset, s.clone());
                s
            }
        };
        chain.push(offset);
        if let Some(stm) = section.xref_stm
            && let std::collections::hash_map::Entry::Vacant(e) = sections.entry(stm)
        {
            let s = read_section(bytes, stm)?;
            e.insert(Rc::new(s));
        }
        next = section.prev;
    }
    Ok(chain)
}

fn build_revision(
    marker: &Marker,
    chain: &[usize],
    sections: &HashMap<usize, Rc<Section>>,
    previous_chain: &HashSet<usize>,
) -> Revision {
    let mut table: HashMap<u32, Entry> = HashMap::new();
    let mut own_ids = Vec::new();
    let mut freed_ids = Vec::new();
    for offset in chain {
        let section = &sections[offset];
        let own = !previous_chain.contains(offset);
        // Within one section the table's in-use entries come first, then its
        // hybrid stream, then its free entries (ISO 32000-1 §7.5.8.4).
        let hybrid = section.xref_stm.and_then(|o| sections.get(&o));
        let mut ordered: Vec<(u32, Entry)> = Vec::new();
        ordered.extend(
            section
                .entries
                .iter()
                .rev()
                .filter(|(_, e)| *e != Entry::Free),
        );
        if let Some(h) = hybrid {
            ordered.extend(h.entries.iter().rev());
        }
        ordered.extend(
            section
                .entries
                .iter()
                .rev()
                .filter(|(_, e)| *e == Entry::Free),
        );
        for (id, entry) in ordered {
            if id == 0 {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(v) = table.entry(id) {
                v.insert(entry);
                if own {
                    if entry == Entry::Free {
                        freed_ids.push(id);
                    } else {
                        own_ids.push(id);
                    }
                }
            }
        }
    }
    let newest = &sections[&chain[0]];
    own_ids.sort_unstable();
    freed_ids.sort_unstable();
    Revision {
        startxref: marker.startxref,
        eof_end: marker.eof_end,
        end: marker.end,
        kind: newest.kind,
        trailer: newest.trailer.clone(),
        table,
        own_ids,
        freed_ids,
    }
}

fn read_section(bytes: &[u8], offset: usize) -> Result<Section> {
    if offset >= bytes.len() {
        return Err(malformed(format!("startxref {offset} beyond the end")));
    }
    let mut lx = Lexer::new(bytes, offset);
    lx.skip_whitespace();
    if lx.at_keyword(b"xref") {
        lx.pos += 4;
        read_table(&mut lx)
    } else {
        read_xref_stream(bytes, offset)
    }
}

fn read_table(lx: &mut Lexer<'_>) -> Result<Section> {
    let bad = |what: &str| malformed(format!("xref table: {what}"));
    let mut entries = Vec::new();
    loop {
        lx.skip_whitespace();
        if lx.at_keyword(b"trailer") {
            lx.pos += 7;
            break;
        }
        let first = lx.unsigned().map_err(|e| bad(&e.to_string()))?;
        let count = lx.unsigned().map_err(|e| bad(&e.to_string()))?;
        // Each entry takes 20 bytes: a count beyond that is a lie.
        if count > (lx.buf.len() / 18) as u64 {
            return Err(bad("subsection count too large"));
        }
        for i in 0..count {
            let offset = lx.unsigned().map_err(|e| bad(&e.to_string()))?;
            let generation = lx.unsigned().map_err(|e| bad(&e.to_string()))?;
            lx.skip_whitespace();
            let kind = lx.peek();
            lx.pos += 1;
            let id = u32::try_from(first + i).map_err(|_| bad("object number"))?;
            let entry = match kind {
                Some(b'n') => Entry::InFile {
                    offset: usize::try_from(offset).map_err(|_| bad("offset"))?,
                    generation: u16::try_from(generation).unwrap_or(u16::MAX),
                },
                Some(b'f') => Entry::Free,
                _ => return Err(bad("entry type")),
            };
            entries.push((id, entry));
        }
    }
    lx.skip_whitespace();
    if !lx.buf[lx.pos..].starts_with(b"<<") {
        return Err(bad("trailer dictionary"));
    }
    let trailer = lx
        .dictionary(0)
        .map_err(|e| bad(&format!("trailer: {e}")))?;
    Ok(Section {
        kind: XrefKind::Table,
        entries,
        prev: offset_of(&trailer, b"Prev"),
        xref_stm: offset_of(&trailer, b"XRefStm"),
        trailer,
    })
}

fn offset_of(dict: &Dictionary, key: &[u8]) -> Option<usize> {
    match dict.get(key) {
        Ok(Object::Integer(n)) => usize::try_from(*n).ok(),
        _ => None,
    }
}

fn read_xref_stream(bytes: &[u8], offset: usize) -> Result<Section> {
    let bad = |what: String| malformed(format!("xref stream at {offset}: {what}"));
    // An xref stream's /Length is direct (§7.5.8.2).
    let found =
        syntax::indirect_object_at(bytes, offset, &mut |_| None).map_err(|e| bad(e.to_string()))?;
    let Object::Stream(stream) = found.object else {
        return Err(bad("not a stream".into()));
    };
    if stream.dict.get(b"Type").ok() != Some(&Object::Name(b"XRef".to_vec())) {
        return Err(bad("not /Type /XRef".into()));
    }
    let widths: Vec<usize> = match stream.dict.get(b"W") {
        Ok(Object::Array(w)) if w.len() == 3 => w
            .iter()
            .map(|v| match v {
                Object::Integer(n) if (0..=8).contains(n) => Ok(*n as usize),
                _ => Err(bad("/W".into())),
            })
            .collect::<Result<_>>()?,
        _ => return Err(bad("/W".into())),
    };
    let size = match stream.dict.get(b"Size") {
        Ok(Object::Integer(n)) if *n >= 0 => *n,
        _ => return Err(bad("/Size".into())),
    };
    let index: Vec<i64> = match stream.dict.get(b"Index") {
        Ok(Object::Array(items)) => items
            .iter()
            .map(|v| match v {
                Object::Integer(n) if *n >= 0 => Ok(*n),
                _ => Err(bad("/Index".into())),
            })
            .collect::<Result<_>>()?,
        _ => vec![0, size],
    };
    if !index.len().is_multiple_of(2) {
        return Err(bad("/Index".into()));
    }
    let data = stream
        .decompressed_content_with_limit(MAX_DECODED_STREAM)
        .or_else(|_| {
            if stream.dict.has(b"Filter") {
                Err(())
            } else {
                Ok(stream.content.clone())
            }
        })
        .map_err(|_| bad("cannot decode".into()))?;
    let row = widths.iter().sum::<usize>();
    if row == 0 {
        return Err(bad("/W all zero".into()));
    }
    let field = |chunk: &[u8]| chunk.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let mut entries = Vec::new();
    let mut rows = data.chunks_exact(row);
    for pair in index.chunks_exact(2) {
        for i in 0..pair[1] {
            let Some(r) = rows.next() else {
                return Err(bad("fewer entries than /Index".into()));
            };
            let (t, rest) = r.split_at(widths[0]);
            let (f2, f3) = rest.split_at(widths[1]);
            let kind = if widths[0] == 0 { 1 } else { field(t) };
            let (f2, f3) = (field(f2), field(f3));
            let id = u32::try_from(pair[0] + i).map_err(|_| bad("object number".into()))?;
            let entry = match kind {
                0 => Entry::Free,
                1 => Entry::InFile {
                    offset: usize::try_from(f2).map_err(|_| bad("offset".into()))?,
                    generation: u16::try_from(f3).unwrap_or(u16::MAX),
                },
                2 => Entry::Compressed {
                    stream: u32::try_from(f2).map_err(|_| bad("stream number".into()))?,
                    index: u32::try_from(f3).map_err(|_| bad("index".into()))?,
                },
                // §7.5.8.3: unknown types are references to the null object.
                _ => Entry::Free,
            };
            entries.push((id, entry));
        }
    }
    let trailer = stream.dict.clone();
    Ok(Section {
        kind: XrefKind::Stream,
        entries,
        prev: offset_of(&trailer, b"Prev"),
        xref_stm: None,
        trailer,
    })
}
