// The DER reader on hand-made encodings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as der from '../src/lib/der.js';

const b = (hex) => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));

test('OIDs, including the first-arc rule and multi-byte arcs', () => {
  assert.equal(der.oid(der.readWhole(b('06 09 2a864886f70d010101'))), '1.2.840.113549.1.1.1');
  assert.equal(der.oid(der.readWhole(b('06 03 55042d'))), '2.5.4.45');
  assert.equal(der.oid(der.readWhole(b('06 03 883703'))), '2.999.3');
  assert.throws(() => der.oid(der.readWhole(b('06 02 2a86'))), /truncated OID/);
});

test('long-form lengths, children and bounds', () => {
  const inner = '04 81 80' + '00'.repeat(128);
  const seq = der.readWhole(b('30 81 83' + inner));
  const [oct] = der.children(seq);
  assert.equal(der.value(oct).length, 128);
  assert.equal(der.encoding(oct).length, 131);
  assert.throws(() => der.readWhole(b('30 05 0400')), /past its container/);
  assert.throws(() => der.readWhole(b('30 00 00')), /trailing/);
  assert.throws(() => der.readWhole(b('30 80 0000')), /unsupported length/);
  assert.throws(() => der.readWhole(b('1f 01 00')), /multi-byte tag/);
  assert.throws(() => der.children(der.readWhole(b('04 00'))), /not constructed/);
});

test('integers: sign padding stripped, negatives refused', () => {
  assert.deepEqual([...der.unsignedInteger(der.readWhole(b('02 03 00ff01')))], [0xff, 0x01]);
  assert.deepEqual([...der.unsignedInteger(der.readWhole(b('02 01 00')))], [0]);
  assert.equal(der.smallInteger(der.readWhole(b('02 02 0800'))), 2048);
  assert.throws(() => der.unsignedInteger(der.readWhole(b('02 01 80'))), /negative/);
});

test('times: UTCTime century window and GeneralizedTime', () => {
  const t = (tag, s) => der.time(der.readWhole(Uint8Array.from([tag, s.length, ...Buffer.from(s)])));
  assert.equal(t(0x17, '270517043714Z').toISOString(), '2027-05-17T04:37:14.000Z');
  assert.equal(t(0x17, '500101000000Z').toISOString(), '1950-01-01T00:00:00.000Z');
  assert.equal(t(0x18, '20500101000000Z').toISOString(), '2050-01-01T00:00:00.000Z');
  assert.throws(() => t(0x17, '2705170437Z'), /bad time/);
});

test('strings: UTF-8, BMP, one-byte', () => {
  assert.equal(der.string(der.readWhole(b('0c 02 c3b3'))), 'ó');
  assert.equal(der.string(der.readWhole(b('1e 04 00f30041'))), 'óA');
  assert.equal(der.string(der.readWhole(b('13 02 4d58'))), 'MX');
});
