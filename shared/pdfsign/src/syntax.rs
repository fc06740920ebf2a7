//! PDF object syntax (ISO 32000-1 §7.2–7.3) into lopdf's object model.
//!
//! lopdf's own parser is private and only reachable through whole-document
//! loading, which merges every revision into one object table. Verification
//! must read *each version* of an object at the byte offset a given revision's
//! cross-reference section names, so this module parses one object at a time.
//! It never panics and never recurses without bound: hostile input ends in a
//! [`SyntaxError`]. A [`Lexer`] also counts what it materialises (values,
//! strings, stream data) against a byte budget, so one object cannot make it
//! allocate more than the reader allows.

use std::cell::Cell;

use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};

use crate::reader::Limits;

/// What one parsed value costs against the budget: its slot in the enclosing
/// array or dictionary (strings and names add their bytes).
const VALUE_COST: usize = std::mem::size_of::<Object>();

/// What a dictionary entry costs beyond its value: the key's vector and the
/// map's hash and index.
const ENTRY_COST: usize = std::mem::size_of::<Vec<u8>>() + 2 * std::mem::size_of::<usize>();

/// Why reading stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyntaxErrorKind {
    /// The bytes are not what the syntax allows there.
    Malformed,
    /// Arrays and dictionaries nest deeper than the lexer's `max_depth`.
    TooDeep,
    /// The object would take more memory than the lexer's budget.
    OverBudget,
}

/// Why bytes could not be read as a PDF object (for logs only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// Where it happened.
    pub(crate) offset: usize,
    /// What was expected.
    pub(crate) what: &'static str,
    /// A syntax error or a limit.
    pub(crate) kind: SyntaxErrorKind,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.what, self.offset)
    }
}

pub(crate) type SyntaxResult<T> = Result<T, SyntaxError>;

pub(crate) fn is_whitespace(b: u8) -> bool {
    matches!(b, 0 | 9 | 10 | 12 | 13 | 32)
}

pub(crate) fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_whitespace(b) && !is_delimiter(b)
}

/// A cursor over the file's bytes.
pub(crate) struct Lexer<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
    /// Deepest nesting of arrays and dictionaries accepted.
    max_depth: usize,
    /// Bytes this lexer may materialise.
    budget: usize,
    /// Bytes it has materialised (approximately: see [`VALUE_COST`]).
    pub(crate) used: usize,
}

impl<'a> Lexer<'a> {
    /// A lexer with the default nesting limit and no budget (for tokens
    /// only; the reader gives object parsing a budget with [`Self::limited`]).
    pub(crate) fn new(buf: &'a [u8], pos: usize) -> Self {
        Self {
            buf,
            pos,
            max_depth: Limits::DEFAULT.max_depth,
            budget: usize::MAX,
            used: 0,
        }
    }

    /// A lexer that refuses nesting deeper than `max_depth` and stops once it
    /// has materialised `budget` bytes.
    pub(crate) fn limited(buf: &'a [u8], pos: usize, max_depth: usize, budget: usize) -> Self {
        Self {
            max_depth,
            budget,
            ..Self::new(buf, pos)
        }
    }

    fn err<T>(&self, what: &'static str) -> SyntaxResult<T> {
        self.fail(what, SyntaxErrorKind::Malformed)
    }

    fn fail<T>(&self, what: &'static str, kind: SyntaxErrorKind) -> SyntaxResult<T> {
        Err(SyntaxError {
            offset: self.pos,
            what,
            kind,
        })
    }

    /// Counts `n` bytes against the budget.
    fn charge(&mut self, n: usize) -> SyntaxResult<()> {
        self.used = self.used.saturating_add(n);
        self.affordable(0)
    }

    /// Whether `more` bytes on top of what is charged still fit (for
    /// vectors that grow before their size is known).
    fn affordable(&self, more: usize) -> SyntaxResult<()> {
        if self.used.saturating_add(more) > self.budget {
            return self.fail("budget", SyntaxErrorKind::OverBudget);
        }
        Ok(())
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// Skips white space and comments.
    pub(crate) fn skip_whitespace(&mut self) {
        while let Some(b) = self.peek() {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Whether the next bytes are `keyword` followed by a non-regular byte.
    pub(crate) fn at_keyword(&self, keyword: &[u8]) -> bool {
        self.buf
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(keyword))
            && self
                .buf
                .get(self.pos + keyword.len())
                .is_none_or(|&b| !is_regular(b))
    }

    /// Consumes `keyword` (after white space) or fails.
    pub(crate) fn expect_keyword(
        &mut self,
        keyword: &[u8],
        what: &'static str,
    ) -> SyntaxResult<()> {
        self.skip_whitespace();
        if self.at_keyword(keyword) {
            self.pos += keyword.len();
            Ok(())
        } else {
            self.err(what)
        }
    }

    /// Reads an unsigned integer token (used for object headers and xref data).
    pub(crate) fn unsigned(&mut self) -> SyntaxResult<u64> {
        self.skip_whitespace();
        let start = self.pos;
        let mut value: u64 = 0;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            value = match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
            {
                Some(v) => v,
                None => return self.err("integer too large"),
            };
            self.pos += 1;
        }
        if self.pos == start || self.peek().is_some_and(is_regular) {
            self.pos = start;
            return self.err("unsigned integer");
        }
        Ok(value)
    }

    /// Reads any direct object. `N G R` becomes a reference.
    pub(crate) fn object(&mut self) -> SyntaxResult<Object> {
        self.object_at_depth(0)
    }

    fn object_at_depth(&mut self, depth: usize) -> SyntaxResult<Object> {
        if depth > self.max_depth {
            return self.fail("nesting too deep", SyntaxErrorKind::TooDeep);
        }
        self.charge(VALUE_COST)?;
        self.skip_whitespace();
        let Some(b) = self.peek() else {
            return self.err("object, found end of file");
        };
        match b {
            b'/' => Ok(Object::Name(self.name()?)),
            b'(' => Ok(Object::String(
                self.literal_string()?,
                StringFormat::Literal,
            )),
            b'<' if self.buf.get(self.pos + 1) == Some(&b'<') => {
                Ok(Object::Dictionary(self.dictionary(depth)?))
            }
            b'<' => Ok(Object::String(
                self.hex_string()?,
                StringFormat::Hexadecimal,
            )),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Object::Array(items));
                        }
                        Some(_) => items.push(self.object_at_depth(depth + 1)?),
                        None => return self.err("']'"),
                    }
                }
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => self.number_or_reference(),
            _ if self.at_keyword(b"true") => {
                self.pos += 4;
                Ok(Object::Boolean(true))
            }
            _ if self.at_keyword(b"false") => {
                self.pos += 5;
                Ok(Object::Boolean(false))
            }
            _ if self.at_keyword(b"null") => {
                self.pos += 4;
                Ok(Object::Null)
            }
            _ => self.err("object"),
        }
    }

    pub(crate) fn dictionary(&mut self, depth: usize) -> SyntaxResult<Dictionary> {
        if depth > self.max_depth {
            return self.fail("nesting too deep", SyntaxErrorKind::TooDeep);
        }
        // Caller checked "<<".
        self.pos += 2;
        let mut dict = Dictionary::new();
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b'>') if self.buf.get(self.pos + 1) == Some(&b'>') => {
                    self.pos += 2;
                    return Ok(dict);
                }
                Some(b'/') => {
                    let key = self.name()?;
                    self.charge(ENTRY_COST)?;
                    let value = self.object_at_depth(depth + 1)?;
                    // ISO 32000 §7.3.7: a null value means the key is absent.
                    if !matches!(value, Object::Null) {
                        dict.set(key, value);
                    }
                }
                _ => return self.err("dictionary key or '>>'"),
            }
        }
    }

    /// Reads a dictionary keeping only the entries whose key is in `keep`;
    /// the other values are lexed just as [`Self::object`] would (so the
    /// same input is rejected) but nothing is built for them. Reading a form
    /// field's `/T` and `/FT` this way costs no allocation for its tooltip,
    /// appearance or border dictionaries.
    pub(crate) fn dictionary_keeping(&mut self, keep: &[&[u8]]) -> SyntaxResult<Dictionary> {
        let mut dict = Dictionary::new();
        self.each_entry(|lx, key, _| {
            if !keep.contains(&key) {
                return lx.skip_object(1);
            }
            lx.charge(ENTRY_COST + key.len())?;
            let value = lx.object_at_depth(1)?;
            if !matches!(value, Object::Null) {
                dict.set(key.to_vec(), value);
            }
            Ok(())
        })?;
        Ok(dict)
    }

    /// Walks the dictionary `<< … >>` at the position: `entry` gets the
    /// lexer just after each key, the key's bytes and where its `/` was, and
    /// must move past the value.
    fn each_entry(
        &mut self,
        mut entry: impl FnMut(&mut Self, &'a [u8], usize) -> SyntaxResult<()>,
    ) -> SyntaxResult<()> {
        self.skip_whitespace();
        if !(self.peek() == Some(b'<') && self.buf.get(self.pos + 1) == Some(&b'<')) {
            return self.err("'<<'");
        }
        self.pos += 2;
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b'>') if self.buf.get(self.pos + 1) == Some(&b'>') => {
                    self.pos += 2;
                    return Ok(());
                }
                Some(b'/') => {
                    let start = self.pos;
                    let key = self.name_span()?;
                    entry(self, key, start)?;
                }
                _ => return self.err("dictionary key or '>>'"),
            }
        }
    }

    /// A name's raw bytes (after `/`, `#xx` escapes not decoded): a key
    /// compared with ours, which never need escapes.
    fn name_span(&mut self) -> SyntaxResult<&'a [u8]> {
        self.pos += 1; // '/'
        let start = self.pos;
        while self.peek().is_some_and(is_regular) {
            self.pos += 1;
        }
        Ok(&self.buf[start..self.pos])
    }

    /// Moves past one direct object, checking its syntax as
    /// [`Self::object`] does, without building it.
    fn skip_object(&mut self, depth: usize) -> SyntaxResult<()> {
        if depth > self.max_depth {
            return self.fail("nesting too deep", SyntaxErrorKind::TooDeep);
        }
        self.skip_whitespace();
        let Some(b) = self.peek() else {
            return self.err("object, found end of file");
        };
        match b {
            b'/' => {
                self.name_span()?;
            }
            b'(' => self.skip_literal_string()?,
            b'<' if self.buf.get(self.pos + 1) == Some(&b'<') => {
                self.each_entry(|lx, _, _| lx.skip_object(depth + 1))?;
            }
            b'<' => {
                self.pos += 1;
                loop {
                    let Some(b) = self.peek() else {
                        return self.err("'>'");
                    };
                    self.pos += 1;
                    match b {
                        b'>' => break,
                        _ if b.is_ascii_hexdigit() || is_whitespace(b) => {}
                        _ => return self.err("hexadecimal digit"),
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                loop {
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b']') => {
                            self.pos += 1;
                            break;
                        }
                        Some(_) => self.skip_object(depth + 1)?,
                        None => return self.err("']'"),
                    }
                }
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => self.skip_number_or_reference()?,
            _ if self.at_keyword(b"true") || self.at_keyword(b"null") => self.pos += 4,
            _ if self.at_keyword(b"false") => self.pos += 5,
            _ => return self.err("object"),
        }
        Ok(())
    }

    /// Moves past a number, or a reference `N G R`, taking the same tokens
    /// as [`Self::number_or_reference`] without converting plain integers.
    fn skip_number_or_reference(&mut self) -> SyntaxResult<()> {
        let start = self.pos;
        let digits = |lx: &mut Self| {
            let from = lx.pos;
            while lx.peek().is_some_and(|b| b.is_ascii_digit()) {
                lx.pos += 1;
            }
            lx.pos - from
        };
        let n = digits(self);
        let simple =
            n > 0 && n <= 18 && !self.peek().is_some_and(|b| matches!(b, b'+' | b'-' | b'.'));
        if !simple {
            self.pos = start;
            self.number_or_reference()?;
            return Ok(());
        }
        // An unsigned integer: a reference if a generation and `R` follow.
        let after = self.pos;
        self.skip_whitespace();
        if self.pos > after && digits(self) > 0 && !self.peek().is_some_and(is_regular) {
            self.skip_whitespace();
            if self.at_keyword(b"R") {
                self.pos += 1;
                return Ok(());
            }
        }
        self.pos = after;
        Ok(())
    }

    /// A dictionary's entries as written: for each, the key (raw bytes,
    /// after `/`), the whole entry from `/` to the end of its value, and the
    /// value alone. Values are checked as [`Self::object`] would but not
    /// built, so an object can be rewritten with some entries replaced and
    /// every other one copied byte for byte.
    pub(crate) fn dictionary_entries(&mut self) -> SyntaxResult<Vec<RawEntry<'a>>> {
        let mut entries = Vec::new();
        self.each_entry(|lx, key, start| {
            lx.skip_whitespace();
            let value_start = lx.pos;
            lx.skip_object(1)?;
            lx.charge(std::mem::size_of::<RawEntry<'_>>())?;
            entries.push(RawEntry {
                key,
                entry: &lx.buf[start..lx.pos],
                value: &lx.buf[value_start..lx.pos],
            });
            Ok(())
        })?;
        Ok(entries)
    }

    /// Moves past a literal string: balanced parentheses, escapes skipped.
    fn skip_literal_string(&mut self) -> SyntaxResult<()> {
        self.pos += 1; // '('
        let mut nesting = 0usize;
        loop {
            let Some(at) = self
                .buf
                .get(self.pos..)
                .and_then(|rest| memchr::memchr3(b'(', b')', b'\\', rest))
            else {
                self.pos = self.buf.len();
                return self.err("')'");
            };
            self.pos += at + 1;
            match self.buf[self.pos - 1] {
                b'(' => nesting += 1,
                b')' if nesting == 0 => return Ok(()),
                b')' => nesting -= 1,
                _ => {
                    // An escape: the next byte is taken literally (octal
                    // digits after it are ordinary bytes to a skip).
                    if self.peek().is_none() {
                        return self.err("escape");
                    }
                    self.pos += 1;
                }
            }
        }
    }

    fn name(&mut self) -> SyntaxResult<Vec<u8>> {
        // Most names have no `#xx` escape: their bytes are the name.
        let start = self.pos + 1;
        let end = self.buf[start..]
            .iter()
            .position(|&b| !is_regular(b))
            .map_or(self.buf.len(), |n| start + n);
        if !self.buf[start..end].contains(&b'#') {
            self.charge(end - start)?;
            self.pos = end;
            return Ok(self.buf[start..end].to_vec());
        }
        self.pos += 1; // '/'
        let mut name = Vec::new();
        while let Some(b) = self.peek() {
            if !is_regular(b) {
                break;
            }
            self.affordable(name.len())?;
            if b == b'#' {
                let hex = self.buf.get(self.pos + 1..self.pos + 3);
                if let Some(v) = hex.and_then(|h| std::str::from_utf8(h).ok())
                    && let Ok(byte) = u8::from_str_radix(v, 16)
                {
                    name.push(byte);
                    self.pos += 3;
                    continue;
                }
            }
            name.push(b);
            self.pos += 1;
        }
        self.charge(name.len())?;
        Ok(name)
    }

    fn literal_string(&mut self) -> SyntaxResult<Vec<u8>> {
        // Most strings have no escape, nested parenthesis or carriage
        // return before their closing `)`: their bytes are the string.
        let start = self.pos + 1;
        if let Some(rest) = self.buf.get(start..)
            && let Some(at) = memchr::memchr3(b'(', b')', b'\\', rest)
            && rest[at] == b')'
            && !rest[..at].contains(&b'\r')
        {
            self.charge(at)?;
            self.pos = start + at + 1;
            return Ok(rest[..at].to_vec());
        }
        self.pos += 1; // '('
        let mut out = Vec::new();
        let mut nesting = 0usize;
        loop {
            let Some(b) = self.peek() else {
                return self.err("')'");
            };
            self.affordable(out.len())?;
            self.pos += 1;
            match b {
                b'(' => {
                    nesting += 1;
                    out.push(b);
                }
                b')' => {
                    if nesting == 0 {
                        self.charge(out.len())?;
                        return Ok(out);
                    }
                    nesting -= 1;
                    out.push(b);
                }
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return self.err("escape");
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            // Line continuation.
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut value = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        value = value * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((value & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                b'\r' => {
                    // An end of line inside a string reads as \n (§7.3.4.2).
                    if self.peek() == Some(b'\n') {
                        self.pos += 1;
                    }
                    out.push(b'\n');
                }
                other => out.push(other),
            }
        }
    }

    fn hex_string(&mut self) -> SyntaxResult<Vec<u8>> {
        self.pos += 1; // '<'
        // At most half the bytes up to `>` (or to the end) are the string's.
        let span = self
            .buf
            .get(self.pos..)
            .and_then(|rest| memchr::memchr(b'>', rest))
            .unwrap_or(0);
        let capacity = match self.affordable(span / 2) {
            Ok(()) => span.div_ceil(2),
            Err(_) => 0,
        };
        let mut out = Vec::with_capacity(capacity);
        let mut high: Option<u8> = None;
        loop {
            let Some(b) = self.peek() else {
                return self.err("'>'");
            };
            self.affordable(out.len())?;
            self.pos += 1;
            let nibble = match b {
                b'>' => break,
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ if is_whitespace(b) => continue,
                _ => return self.err("hexadecimal digit"),
            };
            match high.take() {
                Some(h) => out.push(h << 4 | nibble),
                None => high = Some(nibble),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        self.charge(out.len())?;
        Ok(out)
    }

    fn number_or_reference(&mut self) -> SyntaxResult<Object> {
        let start = self.pos;
        let number = self.number()?;
        if let Object::Integer(id) = number {
            // "N G R" needs two unsigned integers and the keyword.
            let save = self.pos;
            if id >= 0
                && self.buf.get(start).is_some_and(u8::is_ascii_digit)
                && let Ok(generation) = self.unsigned()
            {
                self.skip_whitespace();
                if self.at_keyword(b"R") {
                    self.pos += 1;
                    if let (Ok(id), Ok(generation)) = (u32::try_from(id), u16::try_from(generation))
                    {
                        return Ok(Object::Reference((id, generation)));
                    }
                    return Ok(Object::Null);
                }
            }
            self.pos = save;
        }
        Ok(number)
    }

    fn number(&mut self) -> SyntaxResult<Object> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = std::str::from_utf8(&self.buf[start..self.pos]).unwrap_or_default();
        if !text.contains('.')
            && let Ok(i) = text.parse::<i64>()
        {
            return Ok(Object::Integer(i));
        }
        // Reals; also tolerate "-.5", "5." and doubled signs some writers emit.
        let cleaned = text.trim_start_matches('+');
        let cleaned = if cleaned.starts_with("--") {
            &cleaned[1..]
        } else {
            cleaned
        };
        match cleaned.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Object::Real(v as f32)),
            _ if text.chars().all(|c| c.is_ascii_digit()) && !text.is_empty() => {
                // An integer beyond i64: not meaningful in a PDF we accept.
                self.pos = start;
                self.err("number out of range")
            }
            _ => {
                self.pos = start;
                self.err("number")
            }
        }
    }
}

/// One entry of a dictionary as written (see [`Lexer::dictionary_entries`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawEntry<'a> {
    /// The key's bytes after `/`, `#xx` escapes as written.
    pub(crate) key: &'a [u8],
    /// From the key's `/` to the end of the value.
    pub(crate) entry: &'a [u8],
    /// The value.
    pub(crate) value: &'a [u8],
}

/// An indirect object as found in the file.
#[derive(Debug, Clone)]
pub(crate) struct IndirectObject {
    /// Object number and generation from the `N G obj` header.
    pub(crate) id: ObjectId,
    /// The object (a [`Object::Stream`] for streams).
    pub(crate) object: Object,
}

/// Where no `endstream` keyword is left in the file: every search for one
/// that fails moves it back, so searches never cover the same bytes twice.
pub(crate) struct EndstreamHorizon(Cell<usize>);

impl EndstreamHorizon {
    pub(crate) fn new() -> Self {
        Self(Cell::new(usize::MAX))
    }
}

/// Reads `N G obj … endobj` at the lexer's position. `resolve_length`
/// answers an indirect stream `/Length`; when it cannot, or the length is
/// wrong, the data runs to the `endstream` keyword. Stream data is charged to
/// the lexer's budget before it is copied.
pub(crate) fn indirect_object_at(
    lx: &mut Lexer<'_>,
    resolve_length: &mut dyn FnMut(ObjectId) -> Option<i64>,
    horizon: &EndstreamHorizon,
) -> SyntaxResult<IndirectObject> {
    let buf = lx.buf;
    let offset = lx.pos;
    let id = lx.unsigned()?;
    let generation = lx.unsigned()?;
    lx.expect_keyword(b"obj", "'obj'")?;
    let id = (
        u32::try_from(id).map_err(|_| SyntaxError {
            offset,
            what: "object number out of range",
            kind: SyntaxErrorKind::Malformed,
        })?,
        u16::try_from(generation).map_err(|_| SyntaxError {
            offset,
            what: "generation out of range",
            kind: SyntaxErrorKind::Malformed,
        })?,
    );
    let object = lx.object()?;
    lx.skip_whitespace();
    if let Object::Dictionary(dict) = &object
        && lx.at_keyword(b"stream")
    {
        lx.pos += b"stream".len();
        // The keyword is followed by CRLF or LF (§7.3.8.1); tolerate a lone CR.
        match lx.peek() {
            Some(b'\r') => {
                lx.pos += 1;
                if lx.peek() == Some(b'\n') {
                    lx.pos += 1;
                }
            }
            Some(b'\n') => lx.pos += 1,
            _ => {}
        }
        let start = lx.pos;
        let declared = match dict.get(b"Length") {
            Ok(Object::Integer(n)) => Some(*n),
            Ok(Object::Reference(r)) => resolve_length(*r),
            _ => None,
        };
        let end = declared
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| start.checked_add(n))
            .filter(|&end| end <= buf.len() && endstream_follows(buf, end))
            .or_else(|| find_endstream(buf, start, horizon))
            .ok_or(SyntaxError {
                offset: start,
                what: "'endstream'",
                kind: SyntaxErrorKind::Malformed,
            })?;
        lx.charge(end - start)?;
        let stream = Stream {
            dict: dict.clone(),
            content: buf[start..end].to_vec(),
            allows_compression: false,
            // Left empty so two identical versions at different offsets
            // compare equal (lopdf's `PartialEq` includes the position).
            start_position: None,
        };
        return Ok(IndirectObject {
            id,
            object: Object::Stream(stream),
        });
    }
    Ok(IndirectObject { id, object })
}

/// Whether `endstream` follows `end`, after at most an end-of-line.
fn endstream_follows(buf: &[u8], end: usize) -> bool {
    let mut lx = Lexer::new(buf, end);
    lx.skip_whitespace();
    lx.at_keyword(b"endstream")
}

/// The end of stream data when `/Length` cannot be trusted: the last byte
/// before `endstream`, less the end-of-line that precedes it. Searches only
/// up to the horizon (no `endstream` after it), and moves the horizon back
/// when there is none.
fn find_endstream(buf: &[u8], start: usize, horizon: &EndstreamHorizon) -> Option<usize> {
    let limit = horizon.0.get();
    if start >= limit {
        return None;
    }
    // The keyword may straddle the horizon by up to its length.
    let end = limit.saturating_add(b"endstream".len()).min(buf.len());
    let Some(at) = buf
        .get(start..end)
        .and_then(|rest| find(rest, b"endstream"))
    else {
        horizon.0.set(start);
        return None;
    };
    let at = at + start;
    let mut end = at;
    if end > start && buf[end - 1] == b'\n' {
        end -= 1;
    }
    if end > start && buf[end - 1] == b'\r' {
        end -= 1;
    }
    Some(end)
}

/// First occurrence of `needle` in `haystack` (memchr's SIMD search: the
/// reader scans whole files for `startxref` and streams for `endstream`).
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(haystack, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> SyntaxResult<Object> {
        Lexer::new(s.as_bytes(), 0).object()
    }

    #[test]
    fn reads_the_object_kinds() {
        assert_eq!(parse("12 0 R").unwrap(), Object::Reference((12, 0)));
        assert_eq!(parse("12 0").unwrap(), Object::Integer(12));
        assert_eq!(parse("-3.5").unwrap(), Object::Real(-3.5));
        assert_eq!(parse("/A#20B").unwrap(), Object::Name(b"A B".to_vec()));
        assert_eq!(
            parse("(a\\(b\\) (c) \\101)").unwrap(),
            Object::String(b"a(b) (c) A".to_vec(), StringFormat::Literal)
        );
        assert_eq!(
            parse("<48 6 9 9>").unwrap(),
            Object::String(b"Hi\x90".to_vec(), StringFormat::Hexadecimal)
        );
        let Object::Dictionary(d) = parse("<</A [1 2 0 R /N] /B null /C true>>").unwrap() else {
            panic!("not a dictionary");
        };
        assert!(!d.has(b"B"));
        assert_eq!(
            d.get(b"A").unwrap(),
            &Object::Array(vec![
                Object::Integer(1),
                Object::Reference((2, 0)),
                Object::Name(b"N".to_vec())
            ])
        );
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).is_err());
        for s in [
            "",
            "(",
            "<",
            "<<",
            "<</A",
            "[1 2",
            "99999999999999999999999",
            "<zz>",
            "\\",
        ] {
            let _ = parse(s);
        }
        let mut none = |_| None;
        let horizon = EndstreamHorizon::new();
        let truncated = b"1 0 obj <</Length 5>> stream\nab";
        assert!(indirect_object_at(&mut Lexer::new(truncated, 0), &mut none, &horizon).is_err());
        let wrong_length = b"1 0 obj <</Length 99>> stream\nabc\nendstream endobj";
        let ok = indirect_object_at(
            &mut Lexer::new(wrong_length, 0),
            &mut none,
            &EndstreamHorizon::new(),
        )
        .unwrap();
        let Object::Stream(s) = ok.object else {
            panic!("not a stream");
        };
        assert_eq!(s.content, b"abc");
    }

    #[test]
    fn limits_are_errors_of_their_own_kind() {
        let deep = "[".repeat(100);
        let e = Lexer::limited(deep.as_bytes(), 0, 10, usize::MAX)
            .object()
            .unwrap_err();
        assert_eq!(e.kind, SyntaxErrorKind::TooDeep);
        let nested = "<</A ".repeat(5) + "1" + &">>".repeat(5);
        assert!(
            Lexer::limited(nested.as_bytes(), 0, 5, usize::MAX)
                .object()
                .is_ok()
        );
        assert_eq!(
            Lexer::limited(nested.as_bytes(), 0, 4, usize::MAX)
                .object()
                .unwrap_err()
                .kind,
            SyntaxErrorKind::TooDeep
        );

        // A string stops growing at the budget, before its end is found.
        let long = format!("({})", "a".repeat(10_000));
        let mut lx = Lexer::limited(long.as_bytes(), 0, 64, 1_000);
        assert_eq!(lx.object().unwrap_err().kind, SyntaxErrorKind::OverBudget);
        assert!(lx.pos < 1_100);
        let mut lx = Lexer::limited(long.as_bytes(), 0, 64, 20_000);
        assert!(lx.object().is_ok());
        assert!(lx.used >= 10_000);
        let many = format!("[{}]", "0 ".repeat(1_000));
        let e = Lexer::limited(many.as_bytes(), 0, 64, 100 * VALUE_COST)
            .object()
            .unwrap_err();
        assert_eq!(e.kind, SyntaxErrorKind::OverBudget);
    }

    #[test]
    fn a_missing_endstream_is_searched_for_once() {
        let mut none = |_| None;
        let horizon = EndstreamHorizon::new();
        let mut file = Vec::new();
        for i in 0..3 {
            file.extend_from_slice(format!("{i} 0 obj <<>> stream\nxx\n").as_bytes());
        }
        let second = syntax_offset(&file, b"1 0 obj");
        assert!(indirect_object_at(&mut Lexer::new(&file, second), &mut none, &horizon).is_err());
        assert_eq!(horizon.0.get(), second + b"1 0 obj <<>> stream\n".len());
        // From earlier, only the bytes before the horizon are searched.
        assert!(indirect_object_at(&mut Lexer::new(&file, 0), &mut none, &horizon).is_err());
        assert_eq!(horizon.0.get(), b"0 0 obj <<>> stream\n".len());
        // An endstream before the horizon is still found.
        let ok = b"0 0 obj <<>> stream\nabc\nendstream endobj 1 0 obj <<>> stream\n";
        let horizon = EndstreamHorizon::new();
        let late = syntax_offset(ok, b"1 0 obj");
        assert!(indirect_object_at(&mut Lexer::new(ok, late), &mut none, &horizon).is_err());
        assert!(indirect_object_at(&mut Lexer::new(ok, 0), &mut none, &horizon).is_ok());
    }

    /// Values as a skip sees them: the same inputs accepted, the same bytes
    /// consumed, as a full parse.
    const VALUES: &[&str] = &[
        "12 0 R",
        "12 0",
        "12 0 Rx",
        "12 0a R",
        "12 99999999 R",
        "4294967296 0 R",
        "-3.5",
        "+.5 1",
        "1.2.3",
        "99999999999999999999999",
        "123456789012345678901",
        "/A#20B",
        "/",
        "(a\\(b\\) (c) \\101)",
        "(a\r\nb)",
        "(unterminated",
        "(ends in escape\\",
        "<48 6 9 9>",
        "<zz>",
        "<48",
        "<</A [1 2 0 R /N] /B null /C true>>",
        "<</A",
        "<</A 1 /B>>",
        "<<1 2>>",
        "[1 [2 [3]] (x)]",
        "[1 2",
        "true false",
        "null",
        "nul",
        "R",
        "",
    ];

    #[test]
    fn a_skip_takes_what_a_parse_takes() {
        for value in VALUES {
            let mut parse = Lexer::new(value.as_bytes(), 0);
            let mut skip = Lexer::new(value.as_bytes(), 0);
            let parsed = parse.object();
            let skipped = skip.skip_object(0);
            assert_eq!(parsed.is_ok(), skipped.is_ok(), "{value:?}");
            if parsed.is_ok() {
                assert_eq!(parse.pos, skip.pos, "{value:?}");
            }
        }
        let deep = "[".repeat(10_000);
        assert_eq!(
            Lexer::new(deep.as_bytes(), 0)
                .skip_object(0)
                .unwrap_err()
                .kind,
            SyntaxErrorKind::TooDeep
        );
    }

    #[test]
    fn a_dictionary_can_be_read_keeping_some_entries_or_as_written() {
        let text = b"<</T (Rubrica_a_p1)/TU <FEFF00E9>/Rect [1 2.5 3 4]/P 7 0 R/V()/AP<</N 9 0 R>>>> endobj";
        let kept = Lexer::new(text, 0)
            .dictionary_keeping(&[b"T", b"V", b"Lock"])
            .unwrap();
        assert_eq!(kept.len(), 2);
        assert_eq!(
            kept.get(b"T").unwrap(),
            &Object::String(b"Rubrica_a_p1".to_vec(), StringFormat::Literal)
        );
        assert_eq!(
            kept.get(b"V").unwrap(),
            &Object::String(Vec::new(), StringFormat::Literal)
        );

        let mut lx = Lexer::new(text, 0);
        let entries = lx.dictionary_entries().unwrap();
        assert_eq!(&text[lx.pos..], b" endobj");
        let keys: Vec<&[u8]> = entries.iter().map(|e| e.key).collect();
        assert_eq!(keys, [&b"T"[..], b"TU", b"Rect", b"P", b"V", b"AP"]);
        assert_eq!(entries[2].entry, b"/Rect [1 2.5 3 4]");
        assert_eq!(entries[2].value, b"[1 2.5 3 4]");
        assert_eq!(entries[3].value, b"7 0 R");
        assert_eq!(entries[5].value, b"<</N 9 0 R>>");
        // Written back, the entries are the dictionary again.
        let mut again = b"<<".to_vec();
        entries
            .iter()
            .for_each(|e| again.extend_from_slice(e.entry));
        again.extend_from_slice(b">>");
        let (Ok(Object::Dictionary(a)), Ok(Object::Dictionary(b))) =
            (Lexer::new(text, 0).object(), Lexer::new(&again, 0).object())
        else {
            panic!("not dictionaries");
        };
        assert_eq!(a, b);

        for broken in [&b"<</A (x"[..], b"<</A 1 /B>>", b"<</A <zz>>>", b"[1]"] {
            assert!(Lexer::new(broken, 0).dictionary_entries().is_err());
            assert!(Lexer::new(broken, 0).dictionary_keeping(&[b"A"]).is_err());
        }
    }

    fn syntax_offset(haystack: &[u8], needle: &[u8]) -> usize {
        find(haystack, needle).unwrap()
    }
}
