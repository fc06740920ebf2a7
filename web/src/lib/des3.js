// Triple DES (DES-EDE3) in CBC mode, decryption only: the one step of opening a
// SAT `.key` (PBES2 ... des-ede3-cbc) that WebCrypto does not offer.
//
// A straight, bit-by-bit transcription of FIPS 46-3 (tables below are the
// standard's, 1-based bit numbers, bit 1 = most significant bit of the first
// byte). It favours being obviously right over being fast: a SAT key is 1,224
// bytes (153 blocks), decrypted once per login. test/des3.test.js checks it
// against Node's OpenSSL `des-ede3-cbc` on random keys, IVs and data.

// Initial permutation: rows start at 58, 60, 62, 64, 57, 59, 61, 63 and step down by 8.
const IP = [];
for (const start of [58, 60, 62, 64, 57, 59, 61, 63]) for (let i = 0; i < 8; i++) IP.push(start - 8 * i);
// Final permutation: the inverse of IP.
const FP = [];
IP.forEach((from, to) => { FP[from - 1] = to + 1; });
// Expansion: 8 groups of 6, each the 4 bits of its nibble plus one neighbour each side.
const E = [];
for (let g = 0; g < 8; g++) for (let j = 0; j < 6; j++) E.push(((4 * g + j - 1 + 32) % 32) + 1);

const P = [
  16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
  2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
];
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
  10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
  14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
  23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
  41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
  44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
// S-boxes S1..S8, each 4 rows of 16 entries written as hex digits.
const S = [
  'e4d12fb83a6c5907' + '0f74e2d1a6cb9538' + '41e8d62bfc973a50' + 'fc8249175b3ea06d',
  'f18e6b34972dc05a' + '3d47f28ec01a69b5' + '0e7ba4d158c6932f' + 'd8a13f42b67c05e9',
  'a09e63f51dc7b428' + 'd709346a285ecbf1' + 'd6498f30b12c5ae7' + '1ad069874fe3b52c',
  '7de3069a1285bc4f' + 'd8b56f03472c1ae9' + 'a690cb7df13e5284' + '3f06a1d8945bc72e',
  '2c417ab6853fd0e9' + 'eb2c47d150fa3986' + '421bad78f9c5630e' + 'b8c71e2d6f09a453',
  'c1af92680d34e75b' + 'af427c9561de0b38' + '9ef528c3704a1db6' + '432c95fabe17608d',
  '4b2ef08d3c975a61' + 'd0b7491ae35c2f86' + '14bdc37eaf680592' + '6bd814a7950fe23c',
  'd2846fb1a93e50c7' + '1fd8a374c56b0e92' + '7b419ce206adf358' + '21e74a8dfc90356b',
];

const permute = (input, table) => Uint8Array.from(table, (n) => input[n - 1]);

function toBits(bytes, offset) {
  const bits = new Uint8Array(64);
  for (let i = 0; i < 64; i++) bits[i] = (bytes[offset + (i >> 3)] >> (7 - (i & 7))) & 1;
  return bits;
}

/** The 16 round keys of one 8-byte DES key, in encryption order. */
function roundKeys(key, offset) {
  const cd = permute(toBits(key, offset), PC1);
  let c = cd.subarray(0, 28);
  let d = cd.subarray(28);
  const keys = [];
  for (const shift of SHIFTS) {
    c = Uint8Array.from(c, (_, i) => c[(i + shift) % 28]);
    d = Uint8Array.from(d, (_, i) => d[(i + shift) % 28]);
    const joined = new Uint8Array(56);
    joined.set(c);
    joined.set(d, 28);
    keys.push(permute(joined, PC2));
  }
  return keys;
}

/** One DES pass over a 64-bit block (as bits) with `keys` in the order to apply them. */
function des(block, keys) {
  const b = permute(block, IP);
  let l = b.subarray(0, 32);
  let r = b.subarray(32);
  const f = new Uint8Array(32);
  for (const k of keys) {
    const e = permute(r, E);
    for (let s = 0; s < 8; s++) {
      const x = (i) => e[6 * s + i] ^ k[6 * s + i];
      const row = (x(0) << 1) | x(5);
      const col = (x(1) << 3) | (x(2) << 2) | (x(3) << 1) | x(4);
      const v = parseInt(S[s][row * 16 + col], 16);
      for (let j = 0; j < 4; j++) f[4 * s + j] = (v >> (3 - j)) & 1;
    }
    const p = permute(f, P);
    const next = Uint8Array.from(l, (bit, i) => bit ^ p[i]);
    l = r;
    r = next;
  }
  const out = new Uint8Array(64);
  out.set(r); // the last round does not swap
  out.set(l, 32);
  return permute(out, FP);
}

/**
 * Decrypts `data` (a multiple of 8 bytes) with DES-EDE3-CBC: for each block,
 * P = D_K1(E_K2(D_K3(C))) XOR previous C (the IV for the first block).
 * Returns the plaintext with its padding still on.
 */
export function des3CbcDecrypt(key, iv, data) {
  if (key.length !== 24) throw new Error('3DES: key must be 24 bytes');
  if (iv.length !== 8) throw new Error('3DES: IV must be 8 bytes');
  if (data.length === 0 || data.length % 8) throw new Error('3DES: data is not whole blocks');
  const k1 = roundKeys(key, 0);
  const k2 = roundKeys(key, 8);
  const k3 = roundKeys(key, 16);
  const d1 = k1.slice().reverse();
  const d3 = k3.slice().reverse();
  const out = new Uint8Array(data.length);
  for (let at = 0; at < data.length; at += 8) {
    const bits = des(des(des(toBits(data, at), d3), k2), d1);
    for (let i = 0; i < 8; i++) {
      let byte = 0;
      for (let j = 0; j < 8; j++) byte = (byte << 1) | bits[8 * i + j];
      out[at + i] = byte ^ (at === 0 ? iv[i] : data[at - 8 + i]);
    }
  }
  for (const k of [...k1, ...k2, ...k3]) k.fill(0);
  return out;
}
