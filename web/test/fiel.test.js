// fiel.js on SAT's public test credentials (password 12345678a) and on a
// committed, openssl-made expired FIEL (test/fixtures/make-expired.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import * as fiel from '../src/fiel.js';

function fixture(dir) {
  const at = (f) => new URL(`./fixtures/${dir}/${f}`, import.meta.url);
  return {
    cer: new Uint8Array(fs.readFileSync(at('certificate.cer'))),
    key: new Uint8Array(fs.readFileSync(at('private_key.key'))),
    password: fs.readFileSync(at('password.txt'), 'utf8'),
  };
}

const FIEL = fixture('FIEL_EKU9003173C9');
const CSD = fixture('CSD_EKU9003173C9');
const OLD_FIEL = fixture('FIEL_AAA010101AAA'); // real SAT test FIEL, expired 2021-05-15
const EXPIRED = fixture('EXPIRED_VESP700101AA1'); // made with openssl, valid 2020-2021
const DURING = new Date('2025-01-01T00:00:00Z'); // inside the EKU certificates' validity
const WRONG = 'La contraseña de la llave privada no es correcta. Escríbala de nuevo (distingue mayúsculas y minúsculas).';
const MISMATCH = 'La llave privada (.key) no corresponde al certificado (.cer). Elija los dos archivos de la misma e.firma.';
const IS_CSD = 'Este certificado es un CSD (sello digital para facturas), no una e.firma. Use los archivos de su e.firma (FIEL).';

const code = (c, message) => (e) => {
  assert.ok(e instanceof fiel.FielError, `expected a FielError, got ${e}`);
  assert.equal(e.code, c);
  if (message) assert.equal(e.message, message);
  return true;
};

// ------------------------------------------------------------ certificate

test('parses the SAT test FIEL: number, RFCs, CURP, validity, kind', () => {
  const c = fiel.parseCertificate(FIEL.cer);
  assert.equal(c.serialNumber, '30001000000500003415');
  assert.equal(c.holderName, 'ESCUELA KEMPER URGATE SA DE CV');
  assert.equal(c.rfc, 'EKU9003173C9');
  assert.equal(c.representativeRfc, 'VADA800927DJ3');
  assert.equal(c.curp, null); // a legal entity has none of its own...
  assert.equal(c.representativeCurp, 'VADA800927HSRSRL05'); // ...its representative's is " / CURP"
  assert.equal(c.notBefore.toISOString(), '2023-05-18T04:37:14.000Z');
  assert.equal(c.notAfter.toISOString(), '2027-05-17T04:37:14.000Z');
  assert.equal(c.issuerCommonName, 'AC UAT');
  assert.equal(c.kind, 'fiel');
  assert.equal(c.isFiel, true);
  assert.deepEqual(c.organizationalUnits, []);
  assert.deepEqual(c.extKeyUsage, ['1.3.6.1.5.5.7.3.4', '1.3.6.1.5.5.7.3.2']);
  assert.equal(c.keyUsage.keyAgreement, true);
});

test('spki and modulus are the ones Node reads from the certificate', () => {
  for (const f of [FIEL, CSD, OLD_FIEL, EXPIRED]) {
    const c = fiel.parseCertificate(f.cer);
    const node = new crypto.X509Certificate(f.cer);
    assert.ok(Buffer.from(c.spki).equals(node.publicKey.export({ type: 'spki', format: 'der' })));
    const jwk = node.publicKey.export({ format: 'jwk' });
    assert.equal(Buffer.from(c.modulus).toString('base64url'), jwk.n);
    assert.equal(Buffer.from(c.publicExponent).toString('base64url'), jwk.e);
    assert.equal(c.serialHex, node.serialNumber.toUpperCase());
    assert.equal(c.notAfter.getTime(), new Date(node.validTo).getTime());
  }
});

test('a natural person: own CURP, no representative', () => {
  const c = fiel.parseCertificate(EXPIRED.cer);
  assert.equal(c.rfc, 'VESP700101AA1');
  assert.equal(c.representativeRfc, null);
  assert.equal(c.curp, 'VESP700101HDFNLD01');
  assert.equal(c.representativeCurp, null);
  assert.equal(c.serialNumber, '30001000000500009999');
  assert.equal(c.kind, 'fiel');
});

test('the SAT test CSD is told apart from the FIEL', () => {
  const c = fiel.parseCertificate(CSD.cer);
  assert.equal(c.serialNumber, '30001000000500003416');
  assert.equal(c.rfc, 'EKU9003173C9'); // same holder as the FIEL
  assert.equal(c.kind, 'csd');
  assert.equal(c.isFiel, false);
  assert.deepEqual(c.organizationalUnits, ['Sucursal 1']);
  assert.equal(c.extKeyUsage, null);
  assert.equal(c.keyUsage.keyAgreement, false);
  assert.throws(() => fiel.checkUsable(c, DURING), code('csd', IS_CSD));
});

test('classify: extKeyUsage decides; OU or bare keyUsage makes a CSD', () => {
  const fielKu = { digitalSignature: true, nonRepudiation: true, dataEncipherment: true, keyAgreement: true };
  const csdKu = { digitalSignature: true, nonRepudiation: true };
  const eku = ['1.3.6.1.5.5.7.3.4', '1.3.6.1.5.5.7.3.2'];
  const k = (keyUsage, extKeyUsage, organizationalUnits = []) =>
    fiel.classify({ keyUsage, extKeyUsage, organizationalUnits });
  assert.equal(k(fielKu, eku), 'fiel');
  assert.equal(k(csdKu, null, ['Sucursal 1']), 'csd');
  assert.equal(k(csdKu, null), 'csd'); // a CSD without a branch OU
  assert.equal(k(fielKu, null, ['Matriz']), 'csd');
  assert.equal(k(fielKu, null), 'other'); // FIEL usages but no extKeyUsage
  assert.equal(k(fielKu, ['1.3.6.1.5.5.7.3.4']), 'other'); // no clientAuth
  assert.equal(k(csdKu, eku), 'other'); // extKeyUsage but not the FIEL usages
  assert.equal(k(null, null), 'other');
  const other = { ...fiel.parseCertificate(FIEL.cer), kind: 'other' };
  assert.throws(() => fiel.checkUsable(other, DURING), code('not_fiel'));
});

test('PEM certificates are read too', () => {
  const pem = new crypto.X509Certificate(FIEL.cer).toString();
  const c = fiel.parseCertificate(new TextEncoder().encode(pem));
  assert.equal(c.serialNumber, '30001000000500003415');
});

test('a file that is not a certificate', () => {
  assert.throws(() => fiel.parseCertificate(FIEL.key), code('malformed_certificate'));
  assert.throws(() => fiel.parseCertificate(new Uint8Array([1, 2, 3])), code('malformed_certificate'));
  assert.throws(() => fiel.parseCertificate(FIEL.cer.subarray(0, 600)), code('malformed_certificate'));
  assert.throws(() => fiel.parseCertificate(new TextEncoder().encode('-----BEGIN X-----\n!!\n')), code('malformed_certificate'));
});

test('validity: not yet valid, valid, expired (with dates in the message)', () => {
  const c = fiel.parseCertificate(FIEL.cer);
  fiel.checkUsable(c, DURING);
  assert.throws(() => fiel.checkUsable(c, new Date('2023-05-18T04:37:13Z')), (e) => {
    code('not_yet_valid')(e);
    assert.match(e.message, /todavía no es válido; lo será a partir del 18\/05\/2023 04:37:14 UTC\. Revise la fecha y hora de su equipo\./);
    return true;
  });
  assert.throws(() => fiel.checkUsable(c, new Date('2027-05-17T04:37:15Z')), (e) => {
    code('expired')(e);
    assert.equal(
      e.message,
      'El certificado 30001000000500003415 de su e.firma venció el 17/05/2027 04:37:14 UTC. Renueve su e.firma en el SAT y use los archivos nuevos.',
    );
    return true;
  });
});

// ------------------------------------------------------------ private key

test('decrypts the SAT .key to the PKCS#8 that OpenSSL gives', async () => {
  for (const f of [FIEL, CSD, OLD_FIEL, EXPIRED]) {
    const pkcs8 = await fiel.decryptSatKey(f.key, f.password);
    const expected = crypto
      .createPrivateKey({ key: Buffer.from(f.key), format: 'der', type: 'pkcs8', passphrase: f.password })
      .export({ type: 'pkcs8', format: 'der' });
    assert.ok(Buffer.from(pkcs8).equals(expected));
    fiel.checkPair(fiel.parseCertificate(f.cer), pkcs8);
  }
});

test('wrong password: the Spanish message, for many wrong passwords', async () => {
  await assert.rejects(fiel.decryptSatKey(FIEL.key, '12345678A'), code('wrong_password', WRONG));
  // The padding check alone lets about 1 in 256 wrong passwords through; the
  // structure check must catch those too.
  for (let i = 0; i < 40; i++) {
    await assert.rejects(fiel.decryptSatKey(FIEL.key, `clave-${i}`), code('wrong_password', WRONG));
  }
  await assert.rejects(fiel.decryptSatKey(FIEL.key, ''), code('missing_password'));
  await assert.rejects(fiel.decryptSatKey(FIEL.key, undefined), code('missing_password'));
});

test('a key that is already unencrypted PKCS#8 (DER or PEM) is accepted', async () => {
  const plain = crypto
    .createPrivateKey({ key: Buffer.from(FIEL.key), format: 'der', type: 'pkcs8', passphrase: FIEL.password });
  const derKey = plain.export({ type: 'pkcs8', format: 'der' });
  assert.ok(Buffer.from(await fiel.decryptSatKey(derKey, '')).equals(derKey));
  const pemKey = new TextEncoder().encode(plain.export({ type: 'pkcs8', format: 'pem' }));
  assert.ok(Buffer.from(await fiel.decryptSatKey(pemKey, 'ignored')).equals(derKey));
});

test('other PBES2 variants OpenSSL writes (AES-CBC, HMAC-SHA256) open too', async () => {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  for (const cipher of ['aes-256-cbc', 'aes-128-cbc', 'des-ede3-cbc']) {
    const encrypted = privateKey.export({ type: 'pkcs8', format: 'der', cipher, passphrase: 'secreta' });
    const pkcs8 = await fiel.decryptSatKey(encrypted, 'secreta');
    assert.ok(Buffer.from(pkcs8).equals(privateKey.export({ type: 'pkcs8', format: 'der' })), cipher);
    await assert.rejects(fiel.decryptSatKey(encrypted, 'Secreta'), code('wrong_password', WRONG), cipher);
  }
});

test('not a key, or an encryption SAT does not use', async () => {
  await assert.rejects(fiel.decryptSatKey(FIEL.cer, FIEL.password), code('malformed_key'));
  await assert.rejects(fiel.decryptSatKey(new Uint8Array([0x30, 0x03, 1, 2]), 'x'), code('malformed_key'));
  const rc2 = Buffer.from(FIEL.key);
  const at = rc2.indexOf(Buffer.from('06082a864886f70d0307', 'hex')); // des-ede3-cbc
  assert.ok(at > 0);
  rc2[at + 9] = 0x02; // 1.2.840.113549.3.2, rc2-cbc
  await assert.rejects(fiel.decryptSatKey(rc2, FIEL.password), code('unsupported_key_encryption'));
});

test('checkPair: the FIEL key with the CSD certificate (and the reverse) is refused', async () => {
  const fielKey = await fiel.decryptSatKey(FIEL.key, FIEL.password);
  const csdKey = await fiel.decryptSatKey(CSD.key, CSD.password);
  assert.throws(() => fiel.checkPair(fiel.parseCertificate(CSD.cer), fielKey), code('key_mismatch', MISMATCH));
  assert.throws(() => fiel.checkPair(fiel.parseCertificate(FIEL.cer), csdKey), code('key_mismatch', MISMATCH));
  assert.throws(() => fiel.checkPair(fiel.parseCertificate(FIEL.cer), FIEL.cer), code('malformed_key'));
});

// ------------------------------------------------------------ openFiel + sign

test('openFiel + sign: the signature verifies with the .cer public key', async () => {
  const { certificate, key } = await fiel.openFiel({
    cerBytes: FIEL.cer,
    keyBytes: FIEL.key,
    password: FIEL.password,
    now: DURING,
  });
  assert.equal(certificate.rfc, 'EKU9003173C9');
  const challenge = crypto.randomBytes(32);
  const signature = await fiel.sign(key, challenge);
  assert.equal(signature.length, 256);
  const publicKey = new crypto.X509Certificate(FIEL.cer).publicKey;
  assert.ok(crypto.verify('sha256', challenge, publicKey, signature));
  assert.ok(!crypto.verify('sha256', Buffer.from('otra cosa'), publicKey, signature));
  // Same bytes as OpenSSL's RSASSA-PKCS1-v1_5 (deterministic): it is exactly the SAT key.
  const nodeKey = crypto.createPrivateKey({ key: Buffer.from(FIEL.key), format: 'der', type: 'pkcs8', passphrase: FIEL.password });
  assert.ok(Buffer.from(signature).equals(crypto.sign('sha256', challenge, nodeKey)));
  // A string is signed as UTF-8.
  const text = await fiel.sign(key, 'reto de inicio de sesión');
  assert.ok(crypto.verify('sha256', Buffer.from('reto de inicio de sesión'), publicKey, text));
});

test('the imported key cannot be exported and only signs', async () => {
  const { key } = await fiel.openFiel({ cerBytes: FIEL.cer, keyBytes: FIEL.key, password: FIEL.password, now: DURING });
  assert.equal(key.extractable, false);
  assert.deepEqual(key.usages, ['sign']);
  assert.equal(key.type, 'private');
  assert.equal(key.algorithm.name, 'RSASSA-PKCS1-v1_5');
  assert.equal(key.algorithm.hash.name, 'SHA-256');
  for (const format of ['pkcs8', 'jwk']) {
    await assert.rejects(globalThis.crypto.subtle.exportKey(format, key));
  }
});

test('openFiel returns only the certificate and the key, never the password or the key bytes', async () => {
  const result = await fiel.openFiel({ cerBytes: FIEL.cer, keyBytes: FIEL.key, password: FIEL.password, now: DURING });
  assert.deepEqual(Object.keys(result).sort(), ['certificate', 'key']);
  const seen = JSON.stringify(result.certificate, (k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
  assert.ok(!seen.includes(FIEL.password));
});

test('openFiel takes Blobs/Files, as an <input type=file> gives them', async () => {
  const { certificate } = await fiel.openFiel({
    cerBytes: new Blob([FIEL.cer]),
    keyBytes: new Blob([FIEL.key]),
    password: FIEL.password,
    now: DURING,
  });
  assert.equal(certificate.serialNumber, '30001000000500003415');
});

test('openFiel refuses, in order: CSD, expiry, password, pair', async () => {
  const open = (cer, key, password, now = DURING) => fiel.openFiel({ cerBytes: cer, keyBytes: key, password, now });
  // A CSD is refused before its password is even tried.
  await assert.rejects(open(CSD.cer, CSD.key, 'no importa'), code('csd', IS_CSD));
  await assert.rejects(open(OLD_FIEL.cer, OLD_FIEL.key, OLD_FIEL.password, new Date()), code('expired'));
  await assert.rejects(open(EXPIRED.cer, EXPIRED.key, EXPIRED.password, new Date()), (e) => {
    code('expired')(e);
    assert.match(e.message, /^El certificado 30001000000500009999 de su e\.firma venció el 01\/01\/2022 00:00:00 UTC\./);
    return true;
  });
  await assert.rejects(open(FIEL.cer, FIEL.key, 'incorrecta'), code('wrong_password', WRONG));
  await assert.rejects(open(FIEL.cer, CSD.key, CSD.password), code('key_mismatch', MISMATCH));
  await assert.rejects(open(FIEL.cer, EXPIRED.key, EXPIRED.password), code('key_mismatch', MISMATCH));
  // The openssl-made FIEL works while it was valid.
  const { key } = await open(EXPIRED.cer, EXPIRED.key, EXPIRED.password, new Date('2021-06-01T00:00:00Z'));
  const sig = await fiel.sign(key, new Uint8Array([1, 2, 3]));
  assert.ok(crypto.verify('sha256', Buffer.from([1, 2, 3]), new crypto.X509Certificate(EXPIRED.cer).publicKey, sig));
});

test('the certificate keeps its own copy of the bytes (Node Buffers too)', () => {
  const buf = Buffer.from(FIEL.cer);
  const c = fiel.parseCertificate(buf);
  buf.fill(0);
  assert.equal(c.der[0], 0x30);
  assert.equal(fiel.parseCertificate(c.der).serialNumber, '30001000000500003415');
});
