//! A PDF read as a sequence of revisions.
//!
//! Every signature covers the file up to the end of *its* revision, and
//! verification compares each object version with the one before it, so the
//! reader keeps the revisions apart instead of merging them the way a viewer
//! (or lopdf's `Document`) does. A revision is an `startxref N %%EOF` marker
//! whose N is a readable cross-reference section; its object table is that
//! section's chain (`/Prev`, `/XRefStm`). Objects are parsed on demand and
//! cached, so preparing a signature reads only the form fields, not the pages.
//!
//! The file comes from anyone who can call the verification service, so
//! nothing it claims is trusted: every size it states is checked against
//! [`Limits`] and against the bytes that are really there before anything is
//! allocated for it, streams are decoded with the limit applied while they
//! are decoded, and revisions that share cross-reference sections share
//! their object tables instead of copying them.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use lopdf::{DecompressError, Dictionary, Object, ObjectId, Stream};

use crate::error::{PdfSignError, Result};
use crate::syntax::{
    self, EndstreamHorizon, Lexer, RawEntry, SyntaxError, SyntaxErrorKind, is_whitespace,
};

/// Largest PDF accepted: actas are a few megabytes; this bounds memory.
pub const MAX_PDF_BYTES: u64 = 256 * 1024 * 1024;

/// What one PDF may make the reader hold or do. A file beyond any of them is
/// refused with an error of its own ([`PdfSignError::StreamTooLarge`],
/// [`PdfSignError::DecodedTooLarge`], [`PdfSignError::TooManyXrefEntries`],
/// [`PdfSignError::TooManyRevisionEntries`], [`PdfSignError::TooManyObjects`],
/// [`PdfSignError::TooManyRevisions`], [`PdfSignError::NestingTooDeep`]),
/// which services answer as 422 like any other unreadable PDF.
///
/// [`Limits::DEFAULT`] leaves real actas far behind: one of twenty pages
/// signed by nine members has a few hundred objects in eleven revisions and
/// a few megabytes in all, and no acta has more than 64 signers (66
/// revisions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Decoded bytes of one cross-reference or object stream. Decoding stops
    /// one byte past it.
    pub max_stream_bytes: usize,
    /// Bytes the reader may materialise for one document in all: streams it
    /// decodes, stream data it copies out of the file and the objects it
    /// parses (counted at their in-memory size, roughly).
    pub max_document_bytes: usize,
    /// Entries of all cross-reference sections together.
    pub max_xref_entries: usize,
    /// Entries of all the revisions' object tables together: every revision
    /// sees every object before it, so this bounds objects × revisions.
    pub max_revision_entries: usize,
    /// Object numbers (`/Size`) and objects in one object stream (`/N`).
    pub max_objects: u32,
    /// Revisions (`startxref … %%EOF` markers), and sections in one `/Prev`
    /// chain.
    pub max_revisions: usize,
    /// Nesting of arrays and dictionaries.
    pub max_depth: usize,
}

impl Limits {
    /// The limits every entry point of this crate applies.
    pub const DEFAULT: Limits = Limits {
        max_stream_bytes: 32 * 1024 * 1024,
        max_document_bytes: 256 * 1024 * 1024,
        max_xref_entries: 1_000_000,
        max_revision_entries: 4_000_000,
        max_objects: 1_000_000,
        max_revisions: 1_000,
        max_depth: 64,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

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
    trailer: Rc<Dictionary>,
    prev: Option<usize>,
    /// Hybrid files: a classic table plus a stream with the compressed objects.
    xref_stm: Option<usize>,
}

/// One object of a revision's table: where it is, and which section (by
/// offset) says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Row {
    id: u32,
    source: u32,
    entry: Entry,
}

/// An object table, sorted by object number; revisions with the same
/// cross-reference chain share one.
type Table = Rc<[Row]>;

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
    pub(crate) trailer: Rc<Dictionary>,
    /// Object number → location, newest section first.
    table: Table,
    /// Objects this revision's own sections define (not inherited), in order.
    pub(crate) own_ids: Vec<u32>,
    /// Objects this revision's own sections mark free.
    pub(crate) freed_ids: Vec<u32>,
}

fn lookup(table: &[Row], id: u32) -> Option<&Row> {
    table
        .binary_search_by_key(&id, |r| r.id)
        .ok()
        .map(|i| &table[i])
}

impl Revision {
    /// The location of object `id` in this revision.
    pub(crate) fn entry(&self, id: u32) -> Option<Entry> {
        lookup(&self.table, id)
            .map(|r| r.entry)
            .filter(|e| *e != Entry::Free)
    }

    /// Every live object number.
    pub(crate) fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.table
            .iter()
            .filter(|r| r.entry != Entry::Free)
            .map(|r| r.id)
    }

    /// `/Size`: one more than the highest object number.
    pub(crate) fn size(&self) -> u32 {
        let declared = match self.trailer.get(b"Size") {
            Ok(Object::Integer(n)) => u32::try_from(*n).unwrap_or(0),
            _ => 0,
        };
        let highest = self.table.last().map_or(0, |r| r.id.saturating_add(1));
        declared.max(highest)
    }
}

/// What reading one document has used of its [`Limits`] so far.
struct Budget {
    limits: Limits,
    /// Bytes materialised (see [`Limits::max_document_bytes`]).
    bytes: Cell<usize>,
    xref_entries: Cell<usize>,
    revision_entries: Cell<usize>,
    /// No `endstream` keyword at or after this offset of the file.
    horizon: EndstreamHorizon,
}

impl Budget {
    fn new(limits: Limits) -> Self {
        Self {
            limits,
            bytes: Cell::new(0),
            xref_entries: Cell::new(0),
            revision_entries: Cell::new(0),
            horizon: EndstreamHorizon::new(),
        }
    }

    fn remaining(&self) -> usize {
        self.limits
            .max_document_bytes
            .saturating_sub(self.bytes.get())
    }

    fn document_too_large(&self) -> PdfSignError {
        PdfSignError::DecodedTooLarge {
            limit: self.limits.max_document_bytes,
        }
    }

    /// Counts `n` materialised bytes.
    fn charge(&self, n: usize) -> Result<()> {
        let total = self.bytes.get().saturating_add(n);
        self.bytes.set(total);
        if total > self.limits.max_document_bytes {
            return Err(self.document_too_large());
        }
        Ok(())
    }

    /// A lexer at `pos` with the nesting limit and what is left of the budget.
    fn lexer<'b>(&self, buf: &'b [u8], pos: usize) -> Lexer<'b> {
        Lexer::limited(buf, pos, self.limits.max_depth, self.remaining())
    }

    /// Charges what `lx` materialised, then turns its outcome into ours:
    /// limits into their errors, syntax errors into `Malformed` with `what`.
    fn settle<T>(
        &self,
        lx: &Lexer<'_>,
        outcome: std::result::Result<T, SyntaxError>,
        what: impl FnOnce() -> String,
    ) -> Result<T> {
        self.charge(lx.used)?;
        outcome.map_err(|e| self.syntax_error(e, what))
    }

    fn syntax_error(&self, e: SyntaxError, what: impl FnOnce() -> String) -> PdfSignError {
        match e.kind {
            SyntaxErrorKind::TooDeep => PdfSignError::NestingTooDeep {
                limit: self.limits.max_depth,
            },
            SyntaxErrorKind::OverBudget => self.document_too_large(),
            SyntaxErrorKind::Malformed => malformed(format!("{}: {e}", what())),
        }
    }

    /// The stream's decoded data, decoding no further than the limit for one
    /// stream or what is left for the document, whichever is smaller.
    fn decode(&self, stream: &Stream, what: impl FnOnce() -> String) -> Result<Vec<u8>> {
        let per_stream = self.limits.max_stream_bytes;
        let cap = per_stream.min(self.remaining());
        let data = match stream.decompressed_content_with_limit(cap) {
            Ok(data) => data,
            Err(lopdf::Error::Decompress(DecompressError::MemoryLimitExceeded { .. })) => {
                return Err(if cap < per_stream {
                    self.document_too_large()
                } else {
                    PdfSignError::StreamTooLarge { limit: per_stream }
                });
            }
            Err(e) => return Err(malformed(format!("{}: cannot decode: {e}", what()))),
        };
        self.charge(data.len())?;
        Ok(data)
    }

    /// Counts `n` cross-reference entries about to be read.
    fn xref_entries(&self, n: usize) -> Result<()> {
        let total = self.xref_entries.get().saturating_add(n);
        self.xref_entries.set(total);
        if total > self.limits.max_xref_entries {
            return Err(PdfSignError::TooManyXrefEntries {
                limit: self.limits.max_xref_entries,
            });
        }
        Ok(())
    }

    /// Counts `n` entries of revision tables (built or examined).
    fn revision_entries(&self, n: usize) -> Result<()> {
        let total = self.revision_entries.get().saturating_add(n);
        self.revision_entries.set(total);
        if total > self.limits.max_revision_entries {
            return Err(PdfSignError::TooManyRevisionEntries {
                limit: self.limits.max_revision_entries,
            });
        }
        Ok(())
    }

    fn too_many_objects(&self) -> PdfSignError {
        PdfSignError::TooManyObjects {
            limit: self.limits.max_objects,
        }
    }

    fn too_many_revisions(&self) -> PdfSignError {
        PdfSignError::TooManyRevisions {
            limit: self.limits.max_revisions,
        }
    }

    /// `/Size` of a trailer, if it is within the object limit.
    fn check_size(&self, trailer: &Dictionary) -> Result<()> {
        match trailer.get(b"Size") {
            Ok(Object::Integer(n)) if *n > i64::from(self.limits.max_objects) => {
                Err(self.too_many_objects())
            }
            _ => Ok(()),
        }
    }
}

/// The objects of one object stream, in the order of its index; `None` for
/// one that cannot be parsed (it reads as `null`).
type ObjectStreamObjects = Rc<Vec<(u32, Option<Rc<Object>>)>>;

/// An object read in part: the dictionary entries `keep` (see [`PdfFile::peek`]).
struct Peeked {
    keep: &'static [&'static [u8]],
    object: Rc<Object>,
}

/// A PDF file with its revisions and a cache of parsed objects.
pub(crate) struct PdfFile<'a> {
    pub(crate) bytes: &'a [u8],
    /// Oldest first.
    pub(crate) revisions: Vec<Revision>,
    /// Non-blank bytes after the last revision's `%%EOF`.
    pub(crate) trailing_data: bool,
    budget: Budget,
    objects: RefCell<HashMap<Entry, Rc<Object>>>,
    /// Objects read in part by [`PdfFile::peek`], with the keys kept.
    peeked: RefCell<HashMap<Entry, Peeked>>,
    object_streams: RefCell<HashMap<Entry, ObjectStreamObjects>>,
}

fn malformed(detail: impl Into<String>) -> PdfSignError {
    PdfSignError::malformed(detail)
}

/// Cross-reference sections by offset, read once each; a section that cannot
/// be read is remembered as such, with why.
type Sections = HashMap<usize, std::result::Result<Rc<Section>, String>>;

/// What [`PdfFile::parse`] keeps while it reads the revisions.
struct Structure<'a> {
    bytes: &'a [u8],
    budget: &'a Budget,
    sections: Sections,
    /// Each section's own rows (its entries after its hybrid stream's, in
    /// the order that decides which wins), sorted by object number.
    rows: HashMap<usize, Rc<[Row]>>,
    /// The table a chain starting at a section gives, by section.
    tables: HashMap<usize, Table>,
}

impl<'a> PdfFile<'a> {
    /// Reads the revision structure (not the objects). Refuses encrypted files.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self> {
        Self::parse_with(bytes, Limits::DEFAULT)
    }

    /// [`Self::parse`] within `limits`.
    pub(crate) fn parse_with(bytes: &'a [u8], limits: Limits) -> Result<Self> {
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
        let budget = Budget::new(limits);
        // Every marker may be a revision: more markers than revisions allowed
        // is refused before any of them is read.
        let markers = eof_markers(bytes, limits.max_revisions + 1);
        if markers.len() > limits.max_revisions {
            return Err(budget.too_many_revisions());
        }
        let mut structure = Structure {
            bytes,
            budget: &budget,
            sections: HashMap::new(),
            rows: HashMap::new(),
            tables: HashMap::new(),
        };
        let mut revisions: Vec<Revision> = Vec::new();
        let mut previous_chain: HashSet<usize> = HashSet::new();
        let mut last_error = None;
        for marker in &markers {
            match structure.revision(marker, &previous_chain) {
                Ok((revision, chain)) => {
                    previous_chain = chain;
                    revisions.push(revision);
                }
                // A limit ends the reading: trying other markers would only
                // spend more.
                Err(e) if e.is_limit() => return Err(e),
                // A marker whose section cannot be read (inside binary data, or a
                // linearisation hint) is not a revision; remember why in case
                // none is left.
                Err(e) => last_error = Some(e),
            }
        }
        drop(structure);
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
            budget,
            objects: RefCell::new(HashMap::new()),
            peeked: RefCell::new(HashMap::new()),
            object_streams: RefCell::new(HashMap::new()),
        })
    }

    pub(crate) fn last_index(&self) -> usize {
        self.revisions.len() - 1
    }

    pub(crate) fn last(&self) -> &Revision {
        &self.revisions[self.last_index()]
    }

    /// Where object `id` of revision `rev` starts in the file, when it is
    /// in the file body (not free, not in an object stream).
    pub(crate) fn offset_of(&self, rev: usize, id: u32) -> Option<usize> {
        match self.revisions.get(rev)?.entry(id)? {
            Entry::InFile { offset, .. } => Some(offset),
            _ => None,
        }
    }

    /// Object `id` as revision `rev` sees it; `None` when absent or free.
    pub(crate) fn get(&self, rev: usize, id: u32) -> Result<Option<Rc<Object>>> {
        let Some(entry) = self.revisions.get(rev).and_then(|r| r.entry(id)) else {
            return Ok(None);
        };
        self.load(rev, id, entry, 0).map(Some)
    }

    /// Object `id` of revision `rev` when only the entries `keep` of its
    /// dictionary are wanted: an object already read whole is answered from
    /// that cache; one in the file body is lexed without building the other
    /// entries, and kept apart for the next call with the same keys (a
    /// version of a field that several revisions share is read once). A
    /// stream answers with its dictionary's kept entries; an object that is
    /// not a dictionary, or sits in an object stream, is read whole.
    pub(crate) fn peek(
        &self,
        rev: usize,
        id: u32,
        keep: &'static [&'static [u8]],
    ) -> Result<Option<Rc<Object>>> {
        let Some(entry) = self.revisions.get(rev).and_then(|r| r.entry(id)) else {
            return Ok(None);
        };
        if let Some(o) = self.objects.borrow().get(&entry) {
            return Ok(Some(o.clone()));
        }
        if let Some(p) = self.peeked.borrow().get(&entry)
            && (std::ptr::eq(p.keep, keep) || p.keep == keep)
        {
            return Ok(Some(p.object.clone()));
        }
        let object = self.peek_uncached(rev, id, entry, keep)?;
        self.peeked.borrow_mut().insert(
            entry,
            Peeked {
                keep,
                object: object.clone(),
            },
        );
        Ok(Some(object))
    }

    fn peek_uncached(
        &self,
        rev: usize,
        id: u32,
        entry: Entry,
        keep: &[&[u8]],
    ) -> Result<Rc<Object>> {
        let Entry::InFile { offset, .. } = entry else {
            return self.load(rev, id, entry, 0);
        };
        let mut lx = self.after_header(id, offset)?;
        if !lx
            .buf
            .get(lx.pos..)
            .is_some_and(|rest| rest.starts_with(b"<<"))
        {
            return self.load(rev, id, entry, 0);
        }
        let dict = lx.dictionary_keeping(keep);
        let dict = self.budget.settle(&lx, dict, || format!("object {id}"))?;
        Ok(Rc::new(Object::Dictionary(dict)))
    }

    /// The entries of object `id` of revision `rev` as written, when it is
    /// a dictionary (not a stream) in the file body; `None` otherwise (an
    /// object in an object stream has no bytes of its own to copy).
    pub(crate) fn raw_dictionary(&self, rev: usize, id: u32) -> Result<Option<Vec<RawEntry<'a>>>> {
        let Some(Entry::InFile { offset, .. }) = self.revisions.get(rev).and_then(|r| r.entry(id))
        else {
            return Ok(None);
        };
        let mut lx = self.after_header(id, offset)?;
        if !lx
            .buf
            .get(lx.pos..)
            .is_some_and(|rest| rest.starts_with(b"<<"))
        {
            return Ok(None);
        }
        let read = lx.dictionary_entries().map(|entries| {
            lx.skip_whitespace();
            (!lx.at_keyword(b"stream")).then_some(entries)
        });
        self.budget.settle(&lx, read, || format!("object {id}"))
    }

    /// A lexer just after the `N G obj` header (and white space) of object
    /// `id` at `offset`, once the header is checked to name that object.
    fn after_header(&self, id: u32, offset: usize) -> Result<Lexer<'a>> {
        let mut lx = self.budget.lexer(self.bytes, offset);
        let header = (|| {
            let found = lx.unsigned()?;
            lx.unsigned()?;
            lx.expect_keyword(b"obj", "'obj'")?;
            lx.skip_whitespace();
            Ok(found)
        })();
        let found = self.budget.settle(&lx, header, || format!("object {id}"))?;
        if found != u64::from(id) {
            return Err(malformed(format!(
                "xref says object {id} is at {offset}, found {found}"
            )));
        }
        Ok(lx)
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
                let mut lx = self.budget.lexer(self.bytes, offset);
                let found = syntax::indirect_object_at(&mut lx, &mut resolve, &self.budget.horizon);
                let found = self.budget.settle(&lx, found, || format!("object {id}"))?;
                if found.id.0 != id {
                    return Err(malformed(format!(
                        "xref says object {id} is at {offset}, found {}",
                        found.id.0
                    )));
                }
                Rc::new(found.object)
            }
            Entry::Compressed { stream, index } => {
                let objects = self.object_stream(rev, stream, depth)?;
                // The index the cross-reference names, if it holds this
                // object; otherwise the last entry for it, as lopdf reads them.
                let at = usize::try_from(index)
                    .ok()
                    .filter(|&i| objects.get(i).is_some_and(|(n, _)| *n == id))
                    .or_else(|| objects.iter().rposition(|(n, _)| *n == id));
                match at.and_then(|i| objects[i].1.clone()) {
                    Some(o) => o,
                    None => Rc::new(Object::Null),
                }
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
    ) -> Result<ObjectStreamObjects> {
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
        let objects = Rc::new(self.read_object_stream(stream, stream_id)?);
        self.object_streams
            .borrow_mut()
            .insert(entry, objects.clone());
        Ok(objects)
    }

    /// Parses every object of an object stream (ISO 32000-1 §7.5.7): `/N`
    /// is checked against the object limit before anything is decoded, and
    /// the index is read from the decoded data as far as it goes.
    fn read_object_stream(
        &self,
        stream: &Stream,
        stream_id: u32,
    ) -> Result<Vec<(u32, Option<Rc<Object>>)>> {
        let bad = |what: &str| malformed(format!("object stream {stream_id}: {what}"));
        let count = match stream.dict.get(b"N") {
            Ok(Object::Integer(n)) if *n >= 0 => *n,
            _ => return Err(bad("/N")),
        };
        if count > i64::from(self.budget.limits.max_objects) {
            return Err(self.budget.too_many_objects());
        }
        let first = match stream.dict.get(b"First") {
            Ok(Object::Integer(n)) => usize::try_from(*n).map_err(|_| bad("/First"))?,
            _ => return Err(bad("/First")),
        };
        let data = self
            .budget
            .decode(stream, || format!("object stream {stream_id}"))?;
        if data.is_empty() {
            return Ok(Vec::new());
        }
        let index_block = data.get(..first).ok_or_else(|| bad("/First"))?;
        // At most `/N` pairs, and no more than the index block holds (each
        // takes four bytes at least), whatever `/N` says.
        let mut index = Vec::new();
        let mut lx = Lexer::new(index_block, 0);
        for _ in 0..count {
            let (Ok(id), Ok(offset)) = (lx.unsigned(), lx.unsigned()) else {
                break;
            };
            index.push((id, offset));
        }
        self.budget
            .charge(index.len() * std::mem::size_of::<(u32, Option<Rc<Object>>)>())?;
        let mut objects = Vec::with_capacity(index.len());
        for (id, offset) in index {
            let Ok(id) = u32::try_from(id) else {
                continue;
            };
            let at = usize::try_from(offset)
                .ok()
                .and_then(|o| first.checked_add(o))
                .filter(|&at| at < data.len());
            let object = match at {
                Some(at) => {
                    let mut lx = self.budget.lexer(&data, at);
                    let parsed = lx.object();
                    match self.budget.settle(&lx, parsed, || {
                        format!("object {id} in object stream {stream_id}")
                    }) {
                        Ok(o) => Some(Rc::new(o)),
                        Err(e) if e.is_limit() => return Err(e),
                        // Unreadable objects read as null, as lopdf reads them.
                        Err(_) => None,
                    }
                }
                None => None,
            };
            objects.push((id, object));
        }
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

/// The first `at_most` `startxref N %%EOF` markers, in file order.
fn eof_markers(bytes: &[u8], at_most: usize) -> Vec<Marker> {
    let mut markers = Vec::new();
    let mut from = 0;
    while markers.len() < at_most
        && let Some(at) = syntax::find(&bytes[from..], b"startxref")
    {
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

impl Structure<'_> {
    /// The revision `marker` ends, and the sections of its chain.
    fn revision(
        &mut self,
        marker: &Marker,
        previous_chain: &HashSet<usize>,
    ) -> Result<(Revision, HashSet<usize>)> {
        let chain = self.chain_from(marker.startxref)?;
        let table = self.table(&chain)?;
        // The sections that are not the previous revision's are this one's
        // own: a prefix of the chain, since chains only join, never split.
        let mut own_ids = Vec::new();
        let mut freed_ids = Vec::new();
        for offset in chain.iter().take_while(|o| !previous_chain.contains(o)) {
            let rows = self.rows(*offset)?;
            self.budget.revision_entries(rows.len())?;
            for row in rows.iter() {
                // Only the entries that won: an object a newer section of this
                // revision redefines counts once.
                if lookup(&table, row.id) != Some(row) {
                    continue;
                }
                if row.entry == Entry::Free {
                    freed_ids.push(row.id);
                } else {
                    own_ids.push(row.id);
                }
            }
        }
        own_ids.sort_unstable();
        own_ids.dedup();
        freed_ids.sort_unstable();
        freed_ids.dedup();
        let newest = self.section(chain[0])?;
        let revision = Revision {
            startxref: marker.startxref,
            eof_end: marker.eof_end,
            end: marker.end,
            kind: newest.kind,
            trailer: newest.trailer.clone(),
            table,
            own_ids,
            freed_ids,
        };
        Ok((revision, chain.into_iter().collect()))
    }

    /// The section at `offset`, read once.
    fn section(&mut self, offset: usize) -> Result<Rc<Section>> {
        if let Some(known) = self.sections.get(&offset) {
            return known.clone().map_err(malformed);
        }
        match read_section(self.bytes, offset, self.budget) {
            Ok(s) => {
                let s = Rc::new(s);
                self.sections.insert(offset, Ok(s.clone()));
                Ok(s)
            }
            Err(e) if e.is_limit() => Err(e),
            Err(e) => {
                let detail = match &e {
                    PdfSignError::Malformed { detail } => detail.clone(),
                    other => other.to_string(),
                };
                self.sections.insert(offset, Err(detail));
                Err(e)
            }
        }
    }

    /// The chain of sections from `start` (newest first), reading each.
    fn chain_from(&mut self, start: usize) -> Result<Vec<usize>> {
        let mut chain = Vec::new();
        let mut next = Some(start);
        let mut seen = HashSet::new();
        while let Some(offset) = next {
            if !seen.insert(offset) {
                return Err(malformed("xref /Prev chain loops"));
            }
            if chain.len() >= self.budget.limits.max_revisions {
                return Err(self.budget.too_many_revisions());
            }
            let section = self.section(offset)?;
            chain.push(offset);
            if let Some(stm) = section.xref_stm {
                self.section(stm)?;
            }
            next = section.prev;
        }
        Ok(chain)
    }

    /// The rows of the section at `offset` alone, sorted by object number.
    /// Within one section the table's in-use entries come first, then its
    /// hybrid stream, then its free entries (ISO 32000-1 §7.5.8.4); within
    /// each, later duplicates win.
    fn rows(&mut self, offset: usize) -> Result<Rc<[Row]>> {
        if let Some(rows) = self.rows.get(&offset) {
            return Ok(rows.clone());
        }
        let section = self.section(offset)?;
        let hybrid = match section.xref_stm {
            Some(stm) => Some(self.section(stm)?),
            None => None,
        };
        let source = u32::try_from(offset).map_err(|_| malformed("section offset"))?;
        let row = |&(id, entry): &(u32, Entry)| Row { id, source, entry };
        let mut rows: Vec<Row> = Vec::new();
        rows.extend(
            section
                .entries
                .iter()
                .rev()
                .filter(|(_, e)| *e != Entry::Free)
                .map(row),
        );
        if let Some(h) = &hybrid {
            rows.extend(h.entries.iter().rev().map(row));
        }
        rows.extend(
            section
                .entries
                .iter()
                .rev()
                .filter(|(_, e)| *e == Entry::Free)
                .map(row),
        );
        rows.retain(|r| r.id != 0);
        // Stable: the first row of each object number is the one that wins.
        rows.sort_by_key(|r| r.id);
        rows.dedup_by_key(|r| r.id);
        let rows: Rc<[Row]> = rows.into();
        self.rows.insert(offset, rows.clone());
        Ok(rows)
    }

    /// The object table of `chain`: each section's rows over the table of
    /// the chain after it. Tables are kept by section, so revisions that
    /// continue a chain build only what they add, and revisions with the
    /// same chain share one table.
    fn table(&mut self, chain: &[usize]) -> Result<Table> {
        let known = chain
            .iter()
            .position(|o| self.tables.contains_key(o))
            .unwrap_or(chain.len());
        let mut below: Table = match chain.get(known) {
            Some(o) => self.tables[o].clone(),
            None => Rc::from(Vec::new()),
        };
        for offset in chain[..known].iter().rev() {
            let rows = self.rows(*offset)?;
            self.budget
                .revision_entries(rows.len().saturating_add(below.len()))?;
            let merged: Table = overlay(&rows, &below).into();
            self.tables.insert(*offset, merged.clone());
            below = merged;
        }
        Ok(below)
    }
}

/// `over` laid over `under` (both sorted by object number): `over` wins.
fn overlay(over: &[Row], under: &[Row]) -> Vec<Row> {
    let mut out = Vec::with_capacity(over.len() + under.len());
    let (mut i, mut j) = (0, 0);
    while i < over.len() && j < under.len() {
        match over[i].id.cmp(&under[j].id) {
            std::cmp::Ordering::Less => {
                out.push(over[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(under[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(over[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&over[i..]);
    out.extend_from_slice(&under[j..]);
    out
}

fn read_section(bytes: &[u8], offset: usize, budget: &Budget) -> Result<Section> {
    if offset >= bytes.len() {
        return Err(malformed(format!("startxref {offset} beyond the end")));
    }
    let mut lx = budget.lexer(bytes, offset);
    lx.skip_whitespace();
    if lx.at_keyword(b"xref") {
        lx.pos += 4;
        let section = read_table(&mut lx, budget);
        budget.charge(lx.used)?;
        section
    } else {
        read_xref_stream(bytes, offset, budget)
    }
}

fn read_table(lx: &mut Lexer<'_>, budget: &Budget) -> Result<Section> {
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
        // Each entry takes 20 bytes: a count beyond what is left is a lie.
        if count > ((lx.buf.len() - lx.pos) / 18) as u64 {
            return Err(bad("subsection count too large"));
        }
        if first.saturating_add(count) > u64::from(budget.limits.max_objects) {
            return Err(budget.too_many_objects());
        }
        budget.xref_entries(count as usize)?;
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
    let trailer = lx.dictionary(0);
    let trailer = trailer.map_err(|e| budget.syntax_error(e, || "xref table: trailer".into()))?;
    budget.check_size(&trailer)?;
    Ok(Section {
        kind: XrefKind::Table,
        entries,
        prev: offset_of(&trailer, b"Prev"),
        xref_stm: offset_of(&trailer, b"XRefStm"),
        trailer: Rc::new(trailer),
    })
}

fn offset_of(dict: &Dictionary, key: &[u8]) -> Option<usize> {
    match dict.get(key) {
        Ok(Object::Integer(n)) => usize::try_from(*n).ok(),
        _ => None,
    }
}

fn read_xref_stream(bytes: &[u8], offset: usize, budget: &Budget) -> Result<Section> {
    let bad = |what: String| malformed(format!("xref stream at {offset}: {what}"));
    // An xref stream's /Length is direct (§7.5.8.2).
    let mut lx = budget.lexer(bytes, offset);
    let found = syntax::indirect_object_at(&mut lx, &mut |_| None, &budget.horizon);
    let found = budget.settle(&lx, found, || format!("xref stream at {offset}"))?;
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
    let row = widths.iter().sum::<usize>();
    if row == 0 {
        return Err(bad("/W all zero".into()));
    }
    let size = match stream.dict.get(b"Size") {
        Ok(Object::Integer(n)) if *n >= 0 => *n as u64,
        _ => return Err(bad("/Size".into())),
    };
    let max_objects = u64::from(budget.limits.max_objects);
    if size > max_objects {
        return Err(budget.too_many_objects());
    }
    // (first object number, count) pairs; their numbers must stay under the
    // object limit and their total under the entry limit, before any data is
    // decoded for them.
    let index: Vec<(u64, u64)> = match stream.dict.get(b"Index") {
        Ok(Object::Array(items)) => {
            if !items.len().is_multiple_of(2) {
                return Err(bad("/Index".into()));
            }
            items
                .chunks_exact(2)
                .map(|pair| match pair {
                    [Object::Integer(a), Object::Integer(b)] if *a >= 0 && *b >= 0 => {
                        Ok((*a as u64, *b as u64))
                    }
                    _ => Err(bad("/Index".into())),
                })
                .collect::<Result<_>>()?
        }
        _ => vec![(0, size)],
    };
    let mut total: u64 = 0;
    for &(first, count) in &index {
        if first.saturating_add(count) > max_objects {
            return Err(budget.too_many_objects());
        }
        total = total.saturating_add(count);
    }
    let total = usize::try_from(total).unwrap_or(usize::MAX);
    budget.xref_entries(total)?;
    let data = budget.decode(&stream, || format!("xref stream at {offset}"))?;
    if total.saturating_mul(row) > data.len() {
        return Err(bad("fewer entries than /Index".into()));
    }
    let field = |chunk: &[u8]| chunk.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let mut entries = Vec::with_capacity(total);
    let mut rows = data.chunks_exact(row);
    for (first, count) in index {
        for i in 0..count {
            let Some(r) = rows.next() else {
                return Err(bad("fewer entries than /Index".into()));
            };
            let (t, rest) = r.split_at(widths[0]);
            let (f2, f3) = rest.split_at(widths[1]);
            let kind = if widths[0] == 0 { 1 } else { field(t) };
            let (f2, f3) = (field(f2), field(f3));
            let id = u32::try_from(first + i).map_err(|_| bad("object number".into()))?;
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
    Ok(Section {
        kind: XrefKind::Stream,
        entries,
        prev: offset_of(&stream.dict, b"Prev"),
        xref_stm: None,
        trailer: Rc::new(stream.dict),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::example::{self, XrefStyle};

    fn code(pdf: &[u8], limits: Limits) -> &'static str {
        match PdfFile::parse_with(pdf, limits) {
            Ok(file) => match file.pages(file.last_index()) {
                Ok(_) => "ok",
                Err(e) => e.code(),
            },
            Err(e) => e.code(),
        }
    }

    #[test]
    fn each_limit_has_its_own_error() {
        let table = example::acta_with(2, XrefStyle::Table);
        let streams = example::acta_with(2, XrefStyle::Streams);
        let with = |change: fn(&mut Limits)| {
            let mut limits = Limits::DEFAULT;
            change(&mut limits);
            limits
        };
        for pdf in [&table, &streams] {
            assert_eq!(code(pdf, Limits::DEFAULT), "ok");
            type Tweak = fn(&mut Limits);
            let cases: [(Tweak, &str); 6] = [
                (|l| l.max_revisions = 0, "pdf_too_many_revisions"),
                (|l| l.max_xref_entries = 2, "pdf_too_many_xref_entries"),
                (|l| l.max_objects = 3, "pdf_too_many_objects"),
                (
                    |l| l.max_revision_entries = 2,
                    "pdf_too_many_revision_entries",
                ),
                (|l| l.max_document_bytes = 100, "pdf_decoded_too_large"),
                (|l| l.max_depth = 0, "pdf_nesting_too_deep"),
            ];
            for (change, expected) in cases {
                assert_eq!(code(pdf, with(change)), expected);
            }
        }
        assert_eq!(
            code(&streams, with(|l| l.max_stream_bytes = 10)),
            "pdf_stream_too_large"
        );
    }

    #[test]
    fn revisions_that_name_the_same_section_share_its_table() {
        let mut pdf = example::acta(1);
        let tail = pdf[pdf.len() - 40..].to_vec();
        let at = syntax::find(&tail, b"startxref").unwrap();
        let marker = tail[at..].to_vec();
        pdf.extend_from_slice(&marker);
        pdf.extend_from_slice(&marker);
        let file = PdfFile::parse(&pdf).unwrap();
        assert_eq!(file.revisions.len(), 3);
        assert!(Rc::ptr_eq(
            &file.revisions[0].table,
            &file.revisions[2].table
        ));
        assert!(file.revisions[2].own_ids.is_empty());
    }

    #[test]
    fn an_update_owns_what_it_adds_and_inherits_the_rest() {
        let acta = example::acta(1);
        let first = PdfFile::parse(&acta).unwrap();
        let before: Vec<u32> = first.last().ids().collect();
        // A revision that rewrites object 1 and adds a new one.
        let mut pdf = acta.clone();
        let one = pdf.len();
        pdf.extend_from_slice(b"1 0 obj\n(rewritten)\nendobj\n");
        let new_id = first.last().size();
        let added = pdf.len();
        pdf.extend_from_slice(format!("{new_id} 0 obj\n(new)\nendobj\n").as_bytes());
        let xref = pdf.len();
        pdf.extend_from_slice(
            format!(
                "xref\n1 1\n{one:010} 00000 n \n{new_id} 1\n{added:010} 00000 n \ntrailer\n<</Size {}/Root {}/Prev {}>>\nstartxref\n{xref}\n%%EOF\n",
                new_id + 1,
                match first.last().trailer.get(b"Root") {
                    Ok(Object::Reference((n, g))) => format!("{n} {g} R"),
                    _ => unreachable!(),
                },
                first.last().startxref,
            )
            .as_bytes(),
        );
        let file = PdfFile::parse(&pdf).unwrap();
        assert_eq!(file.revisions.len(), 2);
        assert_eq!(file.revisions[1].own_ids, vec![1, new_id]);
        assert_eq!(file.revisions[1].size(), new_id + 1);
        let mut after: Vec<u32> = file.revisions[1].ids().collect();
        after.sort_unstable();
        let mut expected = before.clone();
        expected.push(new_id);
        expected.sort_unstable();
        assert_eq!(after, expected);
        assert_eq!(
            file.get(1, 1).unwrap().as_deref(),
            Some(&Object::String(
                b"rewritten".to_vec(),
                lopdf::StringFormat::Literal
            ))
        );
        assert_ne!(file.get(0, 1).unwrap(), file.get(1, 1).unwrap());
    }

    #[test]
    fn overlay_keeps_the_newer_row() {
        let row = |id, source| Row {
            id,
            source,
            entry: Entry::Free,
        };
        let merged = overlay(&[row(2, 9), row(5, 9)], &[row(1, 1), row(2, 1), row(7, 1)]);
        let ids: Vec<(u32, u32)> = merged.iter().map(|r| (r.id, r.source)).collect();
        assert_eq!(ids, vec![(1, 1), (2, 9), (5, 9), (7, 1)]);
    }
}
