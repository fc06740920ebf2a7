// The signing page: prepare (the signing service checks the certificate and
// returns the exact bytes to sign), sign them here with the non-extractable
// key, complete. When someone else signed meanwhile (409), prepare and sign
// again with the same key: the member is not asked for the password again.
import { sign } from './fiel.js';
import { b64, fielForm, post, unb64 } from './lib/page.js';

const ATTEMPTS = 5;
const form = document.getElementById('firmar');
if (form) {
  const csrf = form.dataset.csrf;
  const base = `/firmar/${encodeURIComponent(form.dataset.route)}`;
  fielForm(form, document.getElementById('firmar-mensaje'), document.getElementById('firmar-estado'), async ({ certificate, key }, status) => {
    const cert = b64(certificate.der);
    for (let attempt = 1; ; attempt++) {
      status(attempt === 1 ? 'Preparando su firma…' : 'Otro integrante firmó antes: preparando de nuevo su firma…');
      const prepared = await post(`${base}/preparar`, csrf, { certificate: cert });
      const signature = await sign(key, unb64(prepared.to_sign));
      status('Guardando su firma…');
      try {
        const done = await post(`${base}/completar`, csrf, { prepare_id: prepared.prepare_id, signature: b64(signature) });
        window.location.assign(done.redirect || `${base}?firmado=1`);
        return;
      } catch (e) {
        if (e.status !== 409 || attempt >= ATTEMPTS) throw e;
      }
    }
  });
}
