// The login page: the member's e.firma signs the secretariat's one-time
// challenge in this page; only the certificate and the signature are sent.
import { checkLoginChallenge, sign } from './fiel.js';
import { b64, fielForm, post } from './lib/page.js';

const form = document.getElementById('entrar');
if (form) {
  const csrf = form.dataset.csrf;
  fielForm(form, document.getElementById('entrar-mensaje'), document.getElementById('entrar-estado'), async ({ certificate, key }, status) => {
    status('Firmando el reto de acceso…');
    const { nonce } = await post('/entrar/reto', csrf);
    checkLoginChallenge(nonce, window.location.origin);
    const signature = await sign(key, nonce);
    status('Comprobando su e.firma…');
    const done = await post('/entrar/fiel', csrf, { nonce, certificate: b64(certificate.der), signature: b64(signature) });
    status('Listo. Entrando…');
    window.location.assign(done.redirect || '/pendientes');
  });
}
