// A minimal DER reader: just what a SAT certificate and a PKCS#8 key need.
//
// A node is { tag, constructed, start, valueStart, end, bytes } where `tag` is the
// whole identifier byte (0x30 SEQUENCE, 0xa3 [3] constructed, ...), `bytes` the
// buffer it lives in, and the value is bytes[valueStart, end). Only definite
// lengths (DER) and single-byte tags are accepted: X.509 and PKCS#8 never use more.
// Any malformation throws a plain Error; callers turn it into a Spanish FielError.

export const SEQUENCE = 0x30;
export const SET = 0x31;
export const INTEGER = 0x02;
export const BIT_STRING = 0x03;
export const OCTET_STRING = 0x04;
export const NULL = 0x05;
export const OID = 0x06;

/** Reads the node that starts at `offset` of `bytes` (which must end within `limit`). */
export function read(bytes, offset = 0, limit = bytes.length) {
  if (offset + 2 > limit) throw new Error('DER: truncated header');
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tag');
  let length = bytes[offset + 1];
  let valueStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error('DER: unsupported length');
    if (valueStart + count > limit) throw new Error('DER: truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[valueStart + i];
    valueStart += count;
  }
  const end = valueStart + length;
  if (end > limit) throw new Error('DER: value runs past its container');
  return { tag, constructed: (tag & 0x20) !== 0, start: offset, valueStart, end, bytes };
}

/** Reads `bytes` as exactly one node (no trailing bytes). */
export function readWhole(bytes) {
  const node = read(bytes, 0, bytes.length);
  if (node.end !== bytes.length) throw new Error('DER: trailing bytes');
  return node;
}

/** The children of a constructed node. */
export function children(node) {
  if (!node.constructed) throw new Error('DER: not constructed');
  const out = [];
  for (let at = node.valueStart; at < node.end; ) {
    const child = read(node.bytes, at, node.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** Checks a node's tag; returns the node. */
export function expect(node, tag, what = 'value') {
  if (!node || node.tag !== tag) throw new Error(`DER: expected ${what}`);
  return node;
}

/** The value bytes (a view, not a copy). */
export function value(node) {
  return node.bytes.subarray(node.valueStart, node.end);
}

/** The whole encoding, header included (a view). */
export function encoding(node) {
  return node.bytes.subarray(node.start, node.end);
}

/** An INTEGER's magnitude without sign-padding zeros (a view). Negative integers are refused. */
export function unsignedInteger(node) {
  expect(node, INTEGER, 'INTEGER');
  let v = value(node);
  if (v.length === 0 || v[0] & 0x80) throw new Error('DER: negative or empty INTEGER');
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  return v.subarray(i);
}

/** A small INTEGER as a Number (iteration counts, versions). */
export function smallInteger(node) {
  const v = unsignedInteger(node);
  if (v.length > 6) throw new Error('DER: INTEGER too large');
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

/** An OBJECT IDENTIFIER in dotted form. */
export function oid(node) {
  const v = value(expect(node, OID, 'OBJECT IDENTIFIER'));
  if (v.length === 0) throw new Error('DER: empty OID');
  const arcs = [];
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    n = n * 128 + (v[i] & 0x7f);
    if (!(v[i] & 0x80)) {
      if (arcs.length === 0) arcs.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else arcs.push(n);
      n = 0;
    } else if (i === v.length - 1) throw new Error('DER: truncated OID');
  }
  return arcs.join('.');
}

/** A BIT STRING's content bytes (after the unused-bits byte) and the unused-bit count. */
export function bitString(node) {
  const v = value(expect(node, BIT_STRING, 'BIT STRING'));
  if (v.length === 0 || v[0] > 7) throw new Error('DER: bad BIT STRING');
  return { bits: v.subarray(1), unused: v[0] };
}

/** Text of a directory string (UTF8String, PrintableString, IA5String, T61String, BMPString...). */
export function string(node) {
  const v = value(node);
  switch (node.tag) {
    case 0x0c: // UTF8String
      return new TextDecoder('utf-8', { fatal: false }).decode(v);
    case 0x1e: { // BMPString: UTF-16BE
      let s = '';
      for (let i = 0; i + 1 < v.length; i += 2) s += String.fromCharCode((v[i] << 8) | v[i + 1]);
      return s;
    }
    case 0x1c: { // UniversalString: UTF-32BE
      let s = '';
      for (let i = 0; i + 3 < v.length; i += 4) {
        s += String.fromCodePoint(((v[i] << 24) | (v[i + 1] << 16) | (v[i + 2] << 8) | v[i + 3]) >>> 0);
      }
      return s;
    }
    default: // PrintableString, IA5String, T61String, VisibleString...: one byte per char
      return String.fromCharCode(...v);
  }
}

/** A UTCTime or GeneralizedTime as a Date (UTC; fractional seconds ignored). */
export function time(node) {
  const s = String.fromCharCode(...value(node));
  let m;
  if (node.tag === 0x17) m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
  else if (node.tag === 0x18) m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.\d+)?Z$/.exec(s);
  if (!m) throw new Error('DER: bad time');
  let year = +m[1];
  if (node.tag === 0x17) year += year < 50 ? 2000 : 1900; // RFC 5280 §4.1.2.5.1
  return new Date(Date.UTC(year, +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}
