// e.firma (FIEL) in the browser: read the `.cer`, open the `.key` with its
// password, and sign, without the key ever leaving the page.
//
// Runs wherever WebCrypto does (browsers; Node 20 through globalThis.crypto).
// WebCrypto does PBKDF2 and RSA; the one thing it lacks for a SAT `.key` is
// 3DES-CBC, done by ./lib/des3.js. The decrypted PKCS#8 is imported as a
// non-extractable CryptoKey and its bytes are overwritten right after.
//
// Every failure a person can fix is a FielError with a stable `code` and a
// Spanish `message` meant to be shown as is.

import * as der from './lib/der.js';
import { des3CbcDecrypt } from './lib/des3.js';

const subtle = () => {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) {
    throw new FielError(
      'no_webcrypto',
      'Este navegador no permite usar la e.firma en la página (falta WebCrypto). Use una versión reciente de Firefox, Chrome, Edge o Safari, y abra la página con https.',
    );
  }
  return s;
};

/** A problem the member can act on: `code` for programs, `message` (Spanish) for people. */
export class FielError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'FielError';
    this.code = code;
  }
}

const MESSAGES = {
  malformed_certificate:
    'El archivo elegido como certificado no es un certificado válido (.cer). Elija el archivo .cer de su e.firma.',
  unsupported_certificate:
    'El certificado no tiene una llave RSA como las de la e.firma del SAT. Elija el archivo .cer de su e.firma.',
  malformed_key:
    'El archivo elegido como llave privada no es una llave válida (.key). Elija el archivo .key de su e.firma, el que se generó junto con su certificado.',
  unsupported_key_encryption:
    'La llave privada está cifrada con un método que Rúbrica no admite. Use el archivo .key que entrega el SAT.',
  missing_password: 'Escriba la contraseña de la llave privada de su e.firma.',
  wrong_password:
    'La contraseña de la llave privada no es correcta. Escríbala de nuevo (distingue mayúsculas y minúsculas).',
  key_mismatch:
    'La llave privada (.key) no corresponde al certificado (.cer). Elija los dos archivos de la misma e.firma.',
  csd: 'Este certificado es un CSD (sello digital para facturas), no una e.firma. Use los archivos de su e.firma (FIEL).',
  not_fiel:
    'Este certificado no es una e.firma (FIEL) del SAT: no tiene los usos de llave de una e.firma. Use el archivo .cer de su e.firma.',
};

const fail = (code, message = MESSAGES[code]) => new FielError(code, message);

/** "17/05/2027 04:37:14 UTC", the form the server's messages use. */
export function fecha(date) {
  const p = (n) => String(n).padStart(2, '0');
  return `${p(date.getUTCDate())}/${p(date.getUTCMonth() + 1)}/${date.getUTCFullYear()} ${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} UTC`;
}

// ---------------------------------------------------------------- inputs

/** Bytes from a Uint8Array, ArrayBuffer, typed-array view or Blob/File (async for the last). */
async function bytesOf(input) {
  if (input && typeof input.arrayBuffer === 'function' && !ArrayBuffer.isView(input)) {
    return new Uint8Array(await input.arrayBuffer());
  }
  return viewOf(input);
}

function viewOf(input) {
  if (input instanceof Uint8Array) return input;
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new TypeError('expected bytes (Uint8Array or ArrayBuffer)');
}

/** DER as is; PEM (some tools re-save SAT files that way) decoded from its first block. */
function derOf(bytes) {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0xef || bytes[i] === 0xbb || bytes[i] === 0xbf || bytes[i] <= 0x20)) i++;
  if (bytes[i] !== 0x2d /* '-' */) return bytes;
  const text = new TextDecoder().decode(bytes);
  const m = /-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END /.exec(text);
  if (!m) throw new Error('PEM without a block');
  const bin = atob(m[1].replace(/\s+/g, ''));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
const equalBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// ----------------------------------------------------------- certificate

const OID = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5', // SAT: "CURP" (person) or " / CURP" (legal entity: its representative's)
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11', // SAT CSD: the branch (sucursal)
  name: '2.5.4.41',
  uniqueIdentifier: '2.5.4.45', // SAT: "RFC" or "ENTITY RFC / REPRESENTATIVE RFC"
  rsaEncryption: '1.2.840.113549.1.1.1',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
};

const KEY_USAGE_BITS = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment',
  'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
];

/** Name → [{ oid, value }] in order. */
function readName(node) {
  const out = [];
  for (const rdn of der.children(der.expect(node, der.SEQUENCE, 'Name'))) {
    for (const atv of der.children(der.expect(rdn, der.SET, 'RDN'))) {
      const [type, val] = der.children(der.expect(atv, der.SEQUENCE, 'AttributeTypeAndValue'));
      out.push({ oid: der.oid(type), value: der.string(val) });
    }
  }
  return out;
}

const firstOf = (name, oid) => {
  const a = name.find((x) => x.oid === oid);
  return a ? a.value : null;
};
const allOf = (name, oid) => name.filter((x) => x.oid === oid).map((x) => x.value);

/** "A / B" → ['A', 'B'] trimmed ("" where a side is empty). */
const halves = (s) => (s == null ? [] : s.split('/').map((x) => x.trim()));

/**
 * How a SAT certificate is told apart, FIEL vs CSD (the same rule as the
 * server's shared/fiel `classify`, so the page and the server always agree):
 *
 * - FIEL (e.firma): keyUsage has digitalSignature, nonRepudiation,
 *   dataEncipherment AND keyAgreement, and extKeyUsage lists emailProtection
 *   and clientAuth (every SAT FIEL seen, test and real).
 * - CSD (sello digital): no extKeyUsage at all, and either an OU in the
 *   subject (the branch: "Sucursal 1", "CSD01_AAA010101AAA") or keyUsage of
 *   only digitalSignature + nonRepudiation.
 * - anything else: 'other' (not something SAT issues to sign with).
 *
 * The extKeyUsage is the decisive, robust part: SAT never puts one on a CSD,
 * always puts emailProtection + clientAuth on a FIEL. The OU alone is not
 * enough (it is a name, and a CSD need not have one).
 */
export function classify({ keyUsage, extKeyUsage, organizationalUnits }) {
  const ku = keyUsage || {};
  const fielKu = ku.digitalSignature && ku.nonRepudiation && ku.dataEncipherment && ku.keyAgreement;
  if (extKeyUsage) {
    return fielKu && extKeyUsage.includes(OID.emailProtection) && extKeyUsage.includes(OID.clientAuth)
      ? 'fiel'
      : 'other';
  }
  const csdKu = ku.digitalSignature && ku.nonRepudiation && !ku.dataEncipherment && !ku.keyAgreement && !ku.keyEncipherment;
  return (organizationalUnits || []).length > 0 || csdKu ? 'csd' : 'other';
}

/**
 * Reads a SAT certificate (`.cer`, DER; PEM accepted). Throws FielError
 * `malformed_certificate` / `unsupported_certificate`.
 */
export function parseCertificate(input) {
  let bytes;
  try {
    bytes = new Uint8Array(derOf(viewOf(input))); // a copy: the certificate owns its bytes
  } catch (e) {
    if (e instanceof TypeError) throw e;
    throw fail('malformed_certificate');
  }
  let cert;
  try {
    cert = readCertificate(bytes);
  } catch (e) {
    if (e instanceof FielError) throw e;
    throw fail('malformed_certificate');
  }
  return cert;
}

function readCertificate(bytes) {
  const [tbsNode] = der.children(der.expect(der.readWhole(bytes), der.SEQUENCE, 'Certificate'));
  const tbs = der.children(der.expect(tbsNode, der.SEQUENCE, 'TBSCertificate'));
  let i = tbs[0].tag === 0xa0 ? 1 : 0; // [0] version
  const serialNode = der.expect(tbs[i++], der.INTEGER, 'serial');
  i++; // signature AlgorithmIdentifier
  const issuer = readName(tbs[i++]);
  const [nb, na] = der.children(der.expect(tbs[i++], der.SEQUENCE, 'Validity'));
  const subject = readName(tbs[i++]);
  const spkiNode = der.expect(tbs[i++], der.SEQUENCE, 'SubjectPublicKeyInfo');

  const [algNode, keyBits] = der.children(spkiNode);
  if (der.oid(der.children(algNode)[0]) !== OID.rsaEncryption) throw fail('unsupported_certificate');
  const rsaKey = der.readWhole(der.bitString(keyBits).bits);
  const [n, e] = der.children(der.expect(rsaKey, der.SEQUENCE, 'RSAPublicKey'));

  let keyUsage = null;
  let extKeyUsage = null;
  const extensions = tbs.slice(i).find((x) => x.tag === 0xa3);
  if (extensions) {
    for (const ext of der.children(der.children(extensions)[0])) {
      const parts = der.children(ext);
      const id = der.oid(parts[0]);
      const inner = der.readWhole(der.value(der.expect(parts[parts.length - 1], der.OCTET_STRING, 'extnValue')));
      if (id === OID.keyUsage) {
        const { bits } = der.bitString(inner);
        keyUsage = {};
        KEY_USAGE_BITS.forEach((flag, bit) => {
          keyUsage[flag] = ((bits[bit >> 3] || 0) >> (7 - (bit & 7))) & 1 ? true : false;
        });
      } else if (id === OID.extKeyUsage) {
        extKeyUsage = der.children(inner).map(der.oid);
      }
    }
  }

  // x500UniqueIdentifier "RFC" or "ENTITY RFC / REPRESENTATIVE RFC".
  const [rfc = null, representativeRfc = null] = halves(firstOf(subject, OID.uniqueIdentifier));
  // serialNumber "CURP" (person) or " / CURP" (legal entity: the representative's).
  const [curp = null, representativeCurp = null] = halves(firstOf(subject, OID.serialNumber));
  const serial = der.unsignedInteger(serialNode);
  // SAT's certificate number ("NoCertificado", 20 digits) is the serial's bytes as ASCII digits.
  const ascii = serial.length > 0 && serial.every((b) => b >= 0x30 && b <= 0x39);
  const organizationalUnits = allOf(subject, OID.organizationalUnit);
  const facts = { keyUsage, extKeyUsage, organizationalUnits };
  const kind = classify(facts);
  const commonName = firstOf(subject, OID.commonName);

  return {
    der: bytes,
    serialNumber: ascii ? String.fromCharCode(...serial) : hex(serial),
    serialHex: hex(serial),
    holderName: commonName || firstOf(subject, OID.name) || firstOf(subject, OID.organization) || rfc,
    commonName,
    name: firstOf(subject, OID.name),
    organization: firstOf(subject, OID.organization),
    organizationalUnits,
    rfc: rfc || null,
    representativeRfc: representativeRfc && representativeRfc !== rfc ? representativeRfc : null,
    curp: curp || null,
    representativeCurp: representativeCurp || null,
    subject,
    issuer,
    issuerCommonName: firstOf(issuer, OID.commonName),
    notBefore: der.time(nb),
    notAfter: der.time(na),
    keyUsage,
    extKeyUsage,
    kind,
    isFiel: kind === 'fiel',
    spki: der.encoding(spkiNode),
    modulus: der.unsignedInteger(n),
    publicExponent: der.unsignedInteger(e),
  };
}

/**
 * Refuses, in the order a person should fix them, a certificate that cannot
 * sign at `now`: a CSD, any other non-FIEL, not yet valid, expired. Revocation
 * needs SAT's lists and is checked by the server, not here.
 */
export function checkUsable(certificate, now = new Date()) {
  const c = certificate;
  if (c.kind === 'csd') throw fail('csd');
  if (c.kind !== 'fiel') throw fail('not_fiel');
  if (now < c.notBefore) {
    throw fail(
      'not_yet_valid',
      `El certificado ${c.serialNumber} todavía no es válido; lo será a partir del ${fecha(c.notBefore)}. Revise la fecha y hora de su equipo.`,
    );
  }
  if (now > c.notAfter) {
    throw fail(
      'expired',
      `El certificado ${c.serialNumber} de su e.firma venció el ${fecha(c.notAfter)}. Renueve su e.firma en el SAT y use los archivos nuevos.`,
    );
  }
}

// ------------------------------------------------------------ private key

const KEY_OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA1: '1.2.840.113549.2.7',
  hmacWithSHA256: '1.2.840.113549.2.9',
  desEde3Cbc: '1.2.840.113549.3.7',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
};
const PRF = { [KEY_OID.hmacWithSHA1]: 'SHA-1', [KEY_OID.hmacWithSHA256]: 'SHA-256' };
const CIPHER_KEY_BYTES = {
  [KEY_OID.desEde3Cbc]: 24,
  [KEY_OID.aes128Cbc]: 16,
  [KEY_OID.aes192Cbc]: 24,
  [KEY_OID.aes256Cbc]: 32,
};

/** Whether `bytes` is exactly one RSA PrivateKeyInfo; returns its RSAPrivateKey fields or null. */
function readPrivateKeyInfo(bytes) {
  try {
    const [version, alg, key] = der.children(der.expect(der.readWhole(bytes), der.SEQUENCE));
    if (der.smallInteger(version) > 1) return null;
    if (der.oid(der.children(alg)[0]) !== OID.rsaEncryption) return null;
    const fields = der.children(der.expect(der.readWhole(der.value(der.expect(key, der.OCTET_STRING))), der.SEQUENCE));
    if (fields.length < 9) return null;
    return { modulus: der.unsignedInteger(fields[1]), publicExponent: der.unsignedInteger(fields[2]) };
  } catch {
    return null;
  }
}

/**
 * Opens a SAT `.key` (DER EncryptedPrivateKeyInfo: PBES2 with PBKDF2-HMAC-SHA1
 * and des-ede3-cbc; AES-CBC and HMAC-SHA256 variants and an unencrypted PKCS#8
 * are accepted too) and returns the PKCS#8 PrivateKeyInfo bytes. The caller
 * owns them and should overwrite them (`.fill(0)`) once imported.
 *
 * Throws FielError `malformed_key`, `unsupported_key_encryption`,
 * `missing_password` or `wrong_password`.
 */
export async function decryptSatKey(input, password) {
  let bytes;
  let params;
  try {
    bytes = derOf(await bytesOf(input));
    const top = der.children(der.expect(der.readWhole(bytes), der.SEQUENCE));
    if (top[0].tag === der.INTEGER) {
      // Already a PrivateKeyInfo (rare: someone removed the password).
      if (!readPrivateKeyInfo(bytes)) throw fail('malformed_key');
      return new Uint8Array(bytes);
    }
    params = readEncryption(top);
  } catch (e) {
    if (e instanceof FielError || e instanceof TypeError) throw e;
    throw fail('malformed_key');
  }
  if (typeof password !== 'string' || password.length === 0) throw fail('missing_password');

  const s = subtle();
  const secret = new TextEncoder().encode(password);
  let derived;
  let padded;
  try {
    const base = await s.importKey('raw', secret, 'PBKDF2', false, ['deriveBits']);
    derived = new Uint8Array(
      await s.deriveBits(
        { name: 'PBKDF2', salt: params.salt, iterations: params.iterations, hash: params.prf },
        base,
        params.keyBytes * 8,
      ),
    );
    let pkcs8;
    if (params.cipher === KEY_OID.desEde3Cbc) {
      padded = des3CbcDecrypt(derived, params.iv, params.data);
      // PKCS#7 padding: 1 to 8 bytes, each holding the count.
      const pad = padded[padded.length - 1];
      if (pad < 1 || pad > 8 || !padded.subarray(padded.length - pad).every((b) => b === pad)) {
        throw fail('wrong_password');
      }
      pkcs8 = padded.slice(0, padded.length - pad);
    } else {
      // WebCrypto's AES-CBC checks and removes the padding itself.
      const aes = await s.importKey('raw', derived, 'AES-CBC', false, ['decrypt']);
      try {
        pkcs8 = new Uint8Array(await s.decrypt({ name: 'AES-CBC', iv: params.iv }, aes, params.data));
      } catch {
        throw fail('wrong_password');
      }
    }
    // A wrong password gives noise that passes the padding check about once in
    // 256 tries; it never also parses as an RSA PrivateKeyInfo.
    if (!readPrivateKeyInfo(pkcs8)) {
      pkcs8.fill(0);
      throw fail('wrong_password');
    }
    return pkcs8;
  } finally {
    secret.fill(0);
    if (derived) derived.fill(0);
    if (padded) padded.fill(0);
  }
}

function readEncryption([alg, data]) {
  const [schemeOid, schemeParams] = der.children(der.expect(alg, der.SEQUENCE));
  if (der.oid(schemeOid) !== KEY_OID.pbes2) throw fail('unsupported_key_encryption');
  const [kdf, enc] = der.children(der.expect(schemeParams, der.SEQUENCE));
  const [kdfOid, kdfParams] = der.children(kdf);
  if (der.oid(kdfOid) !== KEY_OID.pbkdf2) throw fail('unsupported_key_encryption');
  const [saltNode, iterNode, ...rest] = der.children(kdfParams);
  if (saltNode.tag !== der.OCTET_STRING) throw fail('unsupported_key_encryption'); // "otherSource" salt
  let prf = 'SHA-1'; // DEFAULT hmacWithSHA1
  let keyLength = null;
  for (const node of rest) {
    if (node.tag === der.INTEGER) keyLength = der.smallInteger(node);
    else {
      prf = PRF[der.oid(der.children(node)[0])];
      if (!prf) throw fail('unsupported_key_encryption');
    }
  }
  const [cipherOid, ivNode] = der.children(enc);
  const cipher = der.oid(cipherOid);
  const keyBytes = CIPHER_KEY_BYTES[cipher];
  if (!keyBytes || (keyLength !== null && keyLength !== keyBytes)) throw fail('unsupported_key_encryption');
  const iv = der.value(der.expect(ivNode, der.OCTET_STRING, 'IV'));
  const payload = der.value(der.expect(data, der.OCTET_STRING, 'encryptedData'));
  const blockBytes = cipher === KEY_OID.desEde3Cbc ? 8 : 16;
  if (iv.length !== blockBytes || payload.length === 0 || payload.length % blockBytes) throw fail('malformed_key');
  const iterations = der.smallInteger(iterNode);
  if (iterations < 1 || iterations > 10_000_000) throw fail('malformed_key');
  const copy = (v) => new Uint8Array(v);
  return { salt: copy(der.value(saltNode)), iterations, prf, cipher, keyBytes, iv: copy(iv), data: copy(payload) };
}

/**
 * Refuses a key that is not the certificate's (compares the RSA modulus and
 * public exponent). Throws FielError `key_mismatch` (or `malformed_key`).
 */
export function checkPair(certificate, pkcs8) {
  const key = readPrivateKeyInfo(viewOf(pkcs8));
  if (!key) throw fail('malformed_key');
  if (!equalBytes(key.modulus, certificate.modulus) || !equalBytes(key.publicExponent, certificate.publicExponent)) {
    throw fail('key_mismatch');
  }
}

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

/** PKCS#8 → a CryptoKey for RSASSA-PKCS1-v1_5 / SHA-256 that can only sign and cannot be exported. */
export async function importSigningKey(pkcs8) {
  try {
    return await subtle().importKey('pkcs8', viewOf(pkcs8), RSA, false, ['sign']);
  } catch (e) {
    if (e instanceof FielError) throw e;
    throw fail('malformed_key');
  }
}

/**
 * RSASSA-PKCS1-v1_5 over SHA-256 of `bytes`: a login challenge, or the DER of
 * CMS signed attributes handed over by the server (which hashes them the same way).
 * A string is signed as its UTF-8 bytes. Returns the signature (Uint8Array).
 */
export async function sign(key, bytes) {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : viewOf(bytes);
  return new Uint8Array(await subtle().sign(RSA, key, data));
}

/**
 * Everything a login or signing page needs, in the order a person should fix
 * problems: certificate readable → FIEL and valid now → password → key matches
 * the certificate. Returns { certificate, key } (key non-extractable). The
 * password and the decrypted key bytes are not kept anywhere.
 *
 * `cerBytes` / `keyBytes`: Uint8Array, ArrayBuffer, or the File from an <input type=file>.
 */
export async function openFiel({ cerBytes, keyBytes, password, now = new Date() }) {
  const certificate = parseCertificate(await bytesOf(cerBytes));
  checkUsable(certificate, now);
  const pkcs8 = await decryptSatKey(await bytesOf(keyBytes), password);
  try {
    checkPair(certificate, pkcs8);
    const key = await importSigningKey(pkcs8);
    return { certificate, key };
  } finally {
    pkcs8.fill(0);
  }
}

/** The first line of every Rúbrica login challenge (`rubrica_contracts::login`). */
export const LOGIN_PURPOSE = 'Rúbrica: inicio de sesión con e.firma';
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Checks a login challenge before the page signs it, as `rubrica login` does:
 * it must be a Rúbrica login text, name the server this page came from
 * (`origin`, i.e. `location.origin`), and be current by this computer's clock.
 * Throws a FielError in Spanish otherwise; nothing is signed.
 */
export function checkLoginChallenge(text, origin, now = Date.now()) {
  const lines = typeof text === 'string' && text.endsWith('\n') ? text.slice(0, -1).split('\n') : [];
  const field = (i, name) => (lines[i] && lines[i].startsWith(name) ? lines[i].slice(name.length) : null);
  const server = field(1, 'servidor: ');
  const issued = Number(field(2, 'emitido: '));
  const expires = Number(field(3, 'vence: '));
  if (lines.length !== 5 || lines[0] !== LOGIN_PURPOSE || !server || !Number.isFinite(issued) || !Number.isFinite(expires) || !field(4, 'reto: ')) {
    throw new FielError(
      'not_a_challenge',
      'El servidor envió algo que no es un reto de inicio de sesión de Rúbrica: no se firmó nada. Verifique la dirección de la página.',
    );
  }
  if (server !== origin) {
    throw new FielError(
      'other_server',
      `El reto es para el servidor «${server}», pero esta página es de «${origin}»: no se firmó nada. Abra Rúbrica en su dirección pública.`,
    );
  }
  if (issued > now + CLOCK_SKEW_MS || expires < now - CLOCK_SKEW_MS) {
    throw new FielError(
      'stale_challenge',
      'El reto no es de este momento (o el reloj de su equipo está desajustado): no se firmó nada. Ajuste la hora de su equipo e intente de nuevo.',
    );
  }
}
