// Shared by the login and signing pages: reading the form, talking JSON to
// the web service (same origin, CSRF header), base64, messages.
import { openFiel, FielError } from '../fiel.js';

export const b64 = (bytes) => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
};

export const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** A problem the page shows as is (Spanish). */
export class PageError extends Error {}

/** POST JSON to the web service; the answer's JSON, or a PageError with the server's explanation. */
export async function post(url, csrf, body) {
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body || {}),
    });
  } catch {
    throw new PageError('No hay conexión con Rúbrica. Revise su conexión a internet e intente de nuevo.');
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const e = new PageError((data && data.detail) || `Rúbrica respondió con el código ${response.status}. Intente de nuevo.`);
    e.status = response.status;
    throw e;
  }
  return data;
}

/** Wires a FIEL form: files + password → `run({ certificate, key })`; messages in the form's live regions. */
export function fielForm(form, messageEl, statusEl, run) {
  const button = form.querySelector('button[type="submit"]');
  const field = (id) => form.querySelector(`#${id}`);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    messageEl.textContent = '';
    statusEl.textContent = '';
    const cer = field('cer').files[0];
    const key = field('key').files[0];
    const password = field('password').value;
    const missing = !cer ? ['cer', 'Elija el archivo .cer de su e.firma.'] : !key ? ['key', 'Elija el archivo .key de su e.firma.'] : null;
    if (missing) {
      messageEl.textContent = missing[1];
      field(missing[0]).focus();
      return;
    }
    button.disabled = true;
    statusEl.textContent = 'Abriendo su e.firma en este navegador…';
    try {
      const opened = await openFiel({ cerBytes: cer, keyBytes: key, password });
      field('password').value = '';
      await run(opened, (text) => {
        statusEl.textContent = text;
      });
    } catch (e) {
      statusEl.textContent = '';
      if (e instanceof FielError || e instanceof PageError) {
        messageEl.textContent = e.message;
        if (e instanceof FielError && (e.code === 'wrong_password' || e.code === 'missing_password')) field('password').focus();
        else if (e instanceof FielError && ['malformed_key', 'key_mismatch', 'unsupported_key_encryption'].includes(e.code)) field('key').focus();
        else if (e instanceof FielError) field('cer').focus();
      } else {
        messageEl.textContent = 'Ocurrió un error inesperado en la página. Recárguela e intente de nuevo.';
      }
      button.disabled = false;
    }
  });
}
