// The page checks a login challenge before signing it, like `rubrica login`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLoginChallenge, LOGIN_PURPOSE } from '../src/fiel.js';

const text = (origin, issued = 1_000_000, expires = 1_300_000) =>
  `${LOGIN_PURPOSE}\nservidor: ${origin}\nemitido: ${issued}\nvence: ${expires}\nreto: rubrica-reto-abc\n`;

test('a current challenge for this page is accepted', () => {
  checkLoginChallenge(text('https://rubrica.itei.org.mx'), 'https://rubrica.itei.org.mx', 1_100_000);
});

test('another server, a stale challenge or a bare nonce are refused in Spanish', () => {
  const code = (f) => {
    try {
      f();
    } catch (e) {
      return [e.code, e.message];
    }
    return null;
  };
  const [other, message] = code(() => checkLoginChallenge(text('https://rubrica-falsa.mx'), 'https://rubrica.itei.org.mx', 1_100_000));
  assert.equal(other, 'other_server');
  assert.match(message, /no se firmó nada/);
  assert.equal(code(() => checkLoginChallenge(text('https://r.mx'), 'https://r.mx', 1_300_000 + 5 * 60 * 1000 + 1))[0], 'stale_challenge');
  assert.equal(code(() => checkLoginChallenge('rubrica-reto-abc', 'https://r.mx', 1_100_000))[0], 'not_a_challenge');
  assert.equal(code(() => checkLoginChallenge(`${text('https://r.mx')}otra: línea\n`, 'https://r.mx', 1_100_000))[0], 'not_a_challenge');
});
