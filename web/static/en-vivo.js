// Rúbrica: a session page kept current while the session is under way
// (issue 17). The server sends the live part of the page as server-sent
// events (`sesion`) each time it changes; this module puts it in place.
// Without JavaScript the page still works: reloading shows the same.
const region = document.getElementById('vivo');
const status = document.getElementById('vivo-estado');
if (region && 'EventSource' in window) {
  const source = new EventSource(region.dataset.eventos);
  const time = () =>
    new Date().toLocaleTimeString('es-MX', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  source.addEventListener('sesion', (event) => {
    // Server-rendered HTML of this origin (the page's CSP forbids inline script).
    region.innerHTML = event.data;
    region.dataset.actualizado = String(Date.now());
    if (status) status.textContent = `Actualizado a las ${time()}.`;
  });
  source.addEventListener('fin', () => {
    source.close();
    if (status) status.textContent = 'La sesión terminó; recargue la página para ver el registro final.';
  });
  source.addEventListener('error', () => {
    if (status) status.textContent = 'Conexión interrumpida; se reintenta sola.';
  });
}
