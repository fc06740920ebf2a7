// The secretariats' public site (issue 18) in a real browser (Debian's
// Chromium through playwright-core), against a suite the caller started with
// `rubrica demo` run to the end (an acta signed by everyone and archived):
//
// - every public page renders with real content: the list, the home with its
//   seven sections (b, c and e as published, or saying nothing is published yet), the sessions
//   calendar, the closed session (attendance, votes with decision and rule,
//   agreements, link to its signed record), the record page and its JSON
//   twin, open data, Verificar, Dudas and Súmate;
// - no page sets a cookie, no request leaves the suite's origin, no page
//   shows an RFC or an email;
// - the archived PDF is reported valid and exactly the archived record, a
//   copy with one byte changed is reported not valid, its SHA-256 pasted is
//   found in the archive;
// - a complaint with a mistake comes back with what was typed and a Spanish
//   message; corrected, it gets a folio whose status page shows it received;
//   a join request gets its folio; the President logs in with the e.firma,
//   answers the complaint in the console and sees the join request, and the
//   folio's public status shows the answer;
// - axe-core (WCAG 2.0/2.1/2.2 A and AA) on every page: zero violations; no
//   horizontal overflow at 320 px; screenshots at 390×844 and 1280×800 in
//   $ARTIFACTS (public-*.png).
//
//   node browser/public.mjs BASE_URL SLUG SIGNED_PDF PKI_DIR
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const [base, slug, signedPdf, pki] = process.argv.slice(2);
if (!base || !slug || !signedPdf || !pki) {
  console.error('uso: node browser/public.mjs URL_BASE NOMBRE_PUBLICO ACTA_FIRMADA.pdf CARPETA_PKI');
  process.exit(2);
}
const artifacts = process.env.ARTIFACTS || path.join(here, '..', 'artifacts');
fs.mkdirSync(artifacts, { recursive: true });
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const origin = new URL(base).origin;
const stl = `${base}/stl/${slug}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
  headless: true,
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'es-MX', javaScriptEnabled: true });
const page = await context.newPage();
const problems = [];
const visited = [];
const outside = [];
const cookies = [];
const cspViolations = [];
context.on('request', (r) => {
  if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) outside.push(r.url());
});
context.on('response', (r) => {
  const setCookie = r.headers()['set-cookie'];
  if (setCookie) cookies.push(`${r.url()}: ${setCookie}`);
});
page.on('console', (m) => {
  if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
});

const RFC = /\b[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}\b/;
const EMAIL = /[\w.+-]+@[\w-]+\.[\w.]+/;

/** axe-core, personal data, 320 px overflow and screenshots on the current page. */
async function check(label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } }),
  );
  for (const v of result.violations) {
    problems.push(`${label}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
  const text = await page.evaluate(() => document.body.innerText);
  const rfc = text.match(RFC);
  if (rfc) problems.push(`${label}: muestra un RFC (${rfc[0]})`);
  const email = text.match(EMAIL);
  if (email) problems.push(`${label}: muestra un correo (${email[0]})`);
  for (const [w, h] of [[390, 844], [1280, 800]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: path.join(artifacts, `public-${label}-${w}x${h}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 320, height: 700 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 0) problems.push(`${label}: ${overflow} px de desbordamiento horizontal a 320 px`);
  await page.setViewportSize({ width: 1280, height: 800 });
  visited.push(label);
}

/** axe-core on a page of another context (the console, which has a session). */
async function axeOn(other, label) {
  await other.evaluate(axeSource);
  const result = await other.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } }),
  );
  for (const v of result.violations) {
    problems.push(`${label}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
  await other.screenshot({ path: path.join(artifacts, `public-${label}-1280x800.png`), fullPage: true });
  visited.push(label);
}

async function visit(url, label, expectStatus = 200) {
  const response = await page.goto(url);
  assert.equal(response.status(), expectStatus, `${label}: ${url} respondió ${response.status()}`);
  await check(label);
  return response;
}

async function text(selector = 'main') {
  return page.locator(selector).innerText();
}

// ------------------------------------------------------------ pages
await visit(`${base}/stl`, 'lista');
assert.ok(await page.locator(`a[href="/stl/${slug}"]`).count(), 'la lista enlaza al secretariado');

const home = await visit(stl, 'inicio');
assert.match(home.headers()['cache-control'] || '', /public/);
assert.ok(home.headers().etag, 'la página tiene ETag');
assert.ok(home.headers()['last-modified'], 'la página tiene Last-Modified');
const homeText = await text();
for (const section of ['Sesiones y actas', 'Compromisos', 'Contacto', 'Datos abiertos', 'Ligas de interés', 'Dudas, quejas y sugerencias', 'Súmate']) {
  assert.ok(homeText.includes(section), `el inicio enlaza «${section}»`);
}
assert.equal((homeText.match(/en preparación/g) || []).length, 0, 'ninguna sección dice «en preparación»');

await visit(`${stl}/compromisos`, 'compromisos');
assert.match(await text(), /Plan de Acción Local/);
// b: the agenda of activities (the demo adds one).
await visit(`${stl}/agenda`, 'agenda');
assert.match(await text(), /Agenda de actividades/);
assert.ok(await page.locator('main .tarjeta').count(), 'la agenda tiene actividades');
// a: the President's communiqués (the demo publishes one), each at its own address.
await visit(`${stl}/comunicados`, 'comunicados');
const communiqueLink = page.locator('#comunicados a[href*="/comunicados/"]').first();
assert.ok(await communiqueLink.count(), 'hay un comunicado publicado');
await visit(new URL(await communiqueLink.getAttribute('href'), base).href, 'comunicado');
assert.match(await text(), /Publicado/);
// c and e: what the President published (the demo publishes none yet: they say so).
for (const [section, label] of [['contacto', 'contacto'], ['ligas', 'ligas']]) {
  await visit(`${stl}/${section}`, label);
  assert.match(await text(), /aún no publica|Dirección|Correo|https?:/);
}

await visit(`${stl}/sesiones`, 'sesiones');
const sessionLink = page.locator('#celebradas ~ .tabla a[href*="/sesiones/"]').first();
assert.ok(await sessionLink.count(), 'hay una sesión celebrada');
await sessionLink.click();
await page.waitForLoadState();
await check('sesion');
const sessionText = await text();
for (const part of ['Asistencia', 'Votaciones', 'Decisión:', 'regla aplicada', 'Acuerdos', 'a favor']) {
  assert.ok(sessionText.includes(part), `la sesión muestra «${part}»`);
}
const recordLink = page.locator('a[href*="/registros/"]').first();
assert.ok(await recordLink.count(), 'la sesión enlaza su registro firmado');
await recordLink.click();
await page.waitForLoadState();
await check('registro');
const recordUrl = page.url();
const record = await page.request.get(recordUrl);
assert.match(record.headers()['cache-control'], /immutable/, 'el registro se guarda en caché mucho tiempo');
const again = await page.request.get(recordUrl, { headers: { 'If-None-Match': record.headers().etag } });
assert.equal(again.status(), 304, 'If-None-Match → 304');
const json = await (await page.request.get(`${recordUrl}.json`)).json();
const pdfBytes = fs.readFileSync(signedPdf);
const sha = crypto.createHash('sha256').update(pdfBytes).digest('hex');
assert.equal(json.sha256, sha, 'el registro es el acta firmada de la demostración');
assert.ok(json.signers.length >= 2 && json.inclusion.checked_by_this_site === true, 'firmantes y prueba comprobada');
assert.ok(!RFC.test(JSON.stringify(json)), 'el JSON no trae RFC');

await visit(`${stl}/datos`, 'datos');
const dataText = await text();
for (const r of ['sesiones.csv', 'asistencia.csv', 'votos.csv', 'acuerdos.csv', 'registros.csv']) {
  assert.ok(dataText.includes(r), `datos abiertos lista ${r}`);
}
const csv = await page.request.get(await page.locator('a[href$="/registros.csv"]').getAttribute('href'));
assert.equal(csv.status(), 200);
assert.ok((await csv.text()).includes(sha), 'registros.csv trae el acta');

// ------------------------------------------------------------ verify
await visit(`${stl}/verificar`, 'verificar');
await page.setInputFiles('#pdf', signedPdf);
await page.click('button[type="submit"]');
await page.waitForLoadState();
await check('verificar-valida');
let verdict = await text('.veredicto');
assert.match(verdict, /^Válido/, `el acta archivada es válida: ${verdict}`);
assert.ok((await text()).includes('Este sitio comprobó'), 'la prueba de inclusión se comprobó');

const tampered = Buffer.from(pdfBytes);
// The binary comment on the PDF's second line: the file still opens, but
// every signature's byte range now covers one different byte.
const at = tampered.indexOf('%', 5) + 1;
tampered[at] ^= 0x01;
const tamperedPath = path.join(os.tmpdir(), `acta-alterada-${process.pid}.pdf`);
fs.writeFileSync(tamperedPath, tampered);
await page.goto(`${stl}/verificar`);
await page.setInputFiles('#pdf', tamperedPath);
await page.click('button[type="submit"]');
await page.waitForLoadState();
await check('verificar-alterada');
verdict = await text('.veredicto');
assert.match(verdict, /^No válido/, `la copia alterada no es válida: ${verdict}`);
assert.ok((await text()).includes('ningún registro del archivo público'));
fs.rmSync(tamperedPath);

await page.goto(`${stl}/verificar`);
await page.fill('#sha256', sha);
await page.click('button[type="submit"]');
await page.waitForLoadState();
await check('verificar-huella');
assert.ok((await text('.veredicto')).includes('corresponde exactamente'));

// ------------------------------------------------------------ f. and g.
await visit(`${stl}/dudas`, 'dudas');
await page.check('#categoria-queja');
await page.fill('#text', 'La convocatoria de la sesión no apareció en el sitio a tiempo.');
await page.fill('#name', 'Persona de Prueba');
await page.fill('#email', 'sin-arroba');
// The browser would stop this mistake itself; the server must too.
await page.evaluate(() => { document.querySelector('form[method="post"]').noValidate = true; });
await page.click('form[method="post"] button[type="submit"]');
await page.waitForLoadState();
assert.ok((await text('.error')).includes('Correo electrónico'), 'el error nombra el campo');
assert.equal(await page.inputValue('#text'), 'La convocatoria de la sesión no apareció en el sitio a tiempo.', 'el formulario vuelve con lo escrito');
assert.equal(await page.inputValue('#name'), 'Persona de Prueba');
assert.ok(await page.isChecked('#categoria-queja'));
await page.fill('#email', '');
await page.click('form[method="post"] button[type="submit"]');
await page.waitForLoadState();
await check('dudas-folio');
const folio = (await text('#folio-recibido')).trim();
assert.match(folio, /^DQS-\d{4}-[A-Z0-9]{6}$/, `folio: ${folio}`);
await page.goto(`${stl}/dudas`);
await page.fill('#folio', folio);
await page.click('form[method="get"] button[type="submit"]');
await page.waitForLoadState();
await check('dudas-estado');
const status = await text();
assert.ok(status.includes(folio) && status.includes('recibida'), 'el estado del folio');
assert.ok(!status.includes('Persona de Prueba'), 'el estado no muestra el nombre');

await visit(`${stl}/sumate`, 'sumate');
await page.fill('#name', 'Colectivo de Prueba');
await page.selectOption('#sector', 'sociedad_civil');
await page.fill('#email', 'colectivo@correo.example');
await page.fill('#reason', 'Queremos proponer un compromiso de datos abiertos.');
await page.click('form[method="post"] button[type="submit"]');
await page.waitForLoadState();
const joinFolio = (await text('#folio-recibido')).trim();
assert.match(joinFolio, /^SUM-\d{4}-[A-Z0-9]{6}$/);
await check('sumate-folio');

// ------------------------------------------------------------ the console
{
  const consoleContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'es-MX' });
  const president = await consoleContext.newPage();
  await president.goto(`${base}/entrar`);
  await president.setInputFiles('#cer', path.join(pki, 'presidencia.cer'));
  await president.setInputFiles('#key', path.join(pki, 'presidencia.key'));
  await president.fill('#password', fs.readFileSync(path.join(pki, 'password.txt'), 'utf8').trim());
  await Promise.all([president.waitForURL(`${base}/pendientes`), president.click('button:has-text("Entrar")')]);
  await president.goto(`${base}/consola/stl/dudas`);
  await axeOn(president, 'consola-dudas');
  const card = president.locator(`[id="folio-${folio}"]`);
  assert.ok((await card.innerText()).includes('La convocatoria de la sesión no apareció'), 'la queja llegó a la consola');
  const answer = 'Gracias: la convocatoria ya está publicada en el calendario de sesiones.';
  await card.locator('textarea').fill(answer);
  await Promise.all([president.waitForURL(/respondida=/), card.locator('button[type="submit"]').click()]);
  assert.ok((await president.locator('main').innerText()).includes(`Se publicó la respuesta al folio ${folio}`));
  await president.goto(`${base}/consola/stl/sumate`);
  await axeOn(president, 'consola-sumate');
  assert.ok((await president.locator('main').innerText()).includes(joinFolio), 'la solicitud para sumarse llegó a la Presidencia');
  await consoleContext.close();

  await page.goto(`${stl}/dudas/folio?folio=${folio}`);
  await check('dudas-respondida');
  const answered = await text();
  assert.ok(answered.includes('respondida') && answered.includes(answer), 'el estado público muestra la respuesta');
}

await visit(`${stl}/no-existe`, 'no-existe', 404);

await browser.close();
if (outside.length) problems.push(`peticiones a otros sitios: ${outside.join(', ')}`);
if (cookies.length) problems.push(`páginas públicas que ponen cookies: ${cookies.join('; ')}`);
if (cspViolations.length) problems.push(...cspViolations.map((c) => `CSP: ${c}`));
console.log(`páginas revisadas con axe-core: ${visited.join(', ')}`);
if (problems.length) {
  console.error(`\n${problems.length} problema(s):\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('Sitio público en el navegador: todo bien.');
