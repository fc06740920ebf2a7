// 3DES-CBC decryption against Node's OpenSSL and the FIPS 46 worked example.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { des3CbcDecrypt } from '../src/lib/des3.js';

const encrypt = (key, iv, plain) => {
  const c = crypto.createCipheriv('des-ede3-cbc', key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(plain), c.final()]);
};

test('single DES worked example (K1 = K2 = K3 is plain DES)', () => {
  const k = Buffer.from('133457799bbcdff1', 'hex');
  const key = Buffer.concat([k, k, k]);
  const iv = Buffer.alloc(8); // CBC with a zero IV on one block is ECB
  const plain = des3CbcDecrypt(key, iv, Buffer.from('85e813540f0ab405', 'hex'));
  assert.equal(Buffer.from(plain).toString('hex'), '0123456789abcdef');
});

test('matches OpenSSL des-ede3-cbc on 300 random keys, IVs and lengths', () => {
  for (let i = 0; i < 300; i++) {
    const key = crypto.randomBytes(24);
    const iv = crypto.randomBytes(8);
    const plain = crypto.randomBytes(8 * (1 + (i % 40)));
    const out = des3CbcDecrypt(key, iv, encrypt(key, iv, plain));
    assert.ok(Buffer.from(out).equals(plain), `vector ${i}: key ${key.toString('hex')}`);
  }
});

test('matches OpenSSL with its own PKCS#7 padding on a SAT-sized message', () => {
  const key = crypto.randomBytes(24);
  const iv = crypto.randomBytes(8);
  const plain = crypto.randomBytes(1217);
  const c = crypto.createCipheriv('des-ede3-cbc', key, iv);
  const data = Buffer.concat([c.update(plain), c.final()]);
  assert.equal(data.length, 1224);
  const out = des3CbcDecrypt(key, iv, data);
  assert.ok(Buffer.from(out.subarray(0, 1217)).equals(plain));
  assert.deepEqual([...out.subarray(1217)], [7, 7, 7, 7, 7, 7, 7]);
});

test('does not modify its inputs', () => {
  const key = crypto.randomBytes(24);
  const iv = crypto.randomBytes(8);
  const data = crypto.randomBytes(64);
  const copies = [Buffer.from(key), Buffer.from(iv), Buffer.from(data)];
  des3CbcDecrypt(key, iv, data);
  assert.deepEqual([key, iv, data], copies);
});

test('refuses wrong sizes', () => {
  const ok = { key: new Uint8Array(24), iv: new Uint8Array(8), data: new Uint8Array(16) };
  assert.throws(() => des3CbcDecrypt(new Uint8Array(16), ok.iv, ok.data), /key/);
  assert.throws(() => des3CbcDecrypt(ok.key, new Uint8Array(16), ok.data), /IV/);
  assert.throws(() => des3CbcDecrypt(ok.key, ok.iv, new Uint8Array(12)), /blocks/);
  assert.throws(() => des3CbcDecrypt(ok.key, ok.iv, new Uint8Array(0)), /blocks/);
});
