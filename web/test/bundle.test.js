// The committed bundle (what the Rust server serves) works like the sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import * as src from '../src/fiel.js';
import * as bundle from '../dist/fiel.js';

const read = (f) => new Uint8Array(fs.readFileSync(new URL(`./fixtures/FIEL_EKU9003173C9/${f}`, import.meta.url)));

test('dist/fiel.js exports the same API as src/fiel.js', () => {
  assert.deepEqual(Object.keys(bundle).sort(), Object.keys(src).sort());
});

test('dist/fiel.js opens the SAT test FIEL and signs', async () => {
  const cer = read('certificate.cer');
  const { certificate, key } = await bundle.openFiel({
    cerBytes: cer,
    keyBytes: read('private_key.key'),
    password: '12345678a',
    now: new Date('2025-01-01T00:00:00Z'),
  });
  assert.equal(certificate.serialNumber, '30001000000500003415');
  assert.equal(key.extractable, false);
  const data = new TextEncoder().encode('reto');
  const sig = await bundle.sign(key, data);
  assert.ok(crypto.verify('sha256', data, new crypto.X509Certificate(cer).publicKey, sig));
  await assert.rejects(
    bundle.openFiel({ cerBytes: cer, keyBytes: read('private_key.key'), password: 'x', now: new Date('2025-01-01') }),
    (e) => e instanceof bundle.FielError && e.code === 'wrong_password',
  );
});
