// The secretariats' public site (issue 18) in a real browser (Debian's
// Chromium through playwright-core), against a suite the caller started with
// `rubrica demo` run to the end (an acta signed by everyone and archived):
//
// - every public page renders with real content: the list, the home with its
//   seven sections (b, c and e as published, or saying nothing is published yet;
//   b with the invited member's project and its progress report), the sessions
//   calendar, the closed session (attendance, votes with decision and rule,
//   agreements, link to its signed record), the record page and its JSON
//   twin, open data, Verificar, Dudas and Súmate;
// - no page sets a cookie, no request leaves the suite's origin, no page
//   shows an RFC or an email;
// - the archived PDF is reported valid and exactly the archived record, a
//   copy with one byte changed is reported not valid, its SHA-256 pasted is
//   found in the archive;
// - a complaint with a mistake comes back with what was typed and a Spanish
//   message; corrected, with a PDF attached, it gets a folio whose status
//   page shows it received; the attachment reaches the console (downloaded
//   byte for byte there) and nowhere public;
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

/** A 2×2 PNG of one colour: a new image (and SHA-256) for each run. */
function tinyPng(r, g, b) {
  const zlib = require('node:zlib');
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(2, 0);
  header.writeUInt32BE(2, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // RGB
  const row = Buffer.from([0, r, g, b, r, g, b]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.concat([row, row]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
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
assert.match(await text(), /Proyectos de los miembros invitados/);
// The demo's invited member filed a progress report (rubrica demo).
assert.match(await text(), /Informes de avance \(1\)/, 'el proyecto de la persona invitada muestra su informe');
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
// The demo's evidence: its image, with its text alternative, loads from this site.
const demoImage = page.locator('ul.evidencia img[alt^="Dibujo de demostración"]');
assert.equal(await demoImage.count(), 1, 'la sesión muestra la imagen de su evidencia con su texto alternativo');
await demoImage.scrollIntoViewIfNeeded(); // loading="lazy": it loads when it comes into view
await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await demoImage.elementHandle(), { timeout: 10000 });
const publicSessionUrl = page.url();
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
assert.match(dataText, /\d+ filas? · última actualización/, 'cada archivo dice sus filas y su última actualización');
for (const r of ['compromisos.csv', 'proyectos.csv', 'dudas.csv', 'sumate.csv', 'datapackage.json']) {
  assert.ok(dataText.includes(r), `datos abiertos lista ${r}`);
}
const ownPackage = await (await page.request.get(`${stl}/datos/datapackage.json`)).json();
assert.deepEqual(ownPackage.resources.map((r) => r.name), ['compromisos', 'proyectos', 'dudas', 'sumate']);

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
// The file input does not survive a refused form: chosen again, a PDF
// (the signed acta) goes with the complaint.
assert.ok((await text('.error')).length > 0);
await page.setInputFiles('#adjunto', signedPdf);
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
  // Its attachment: only here, downloaded byte for byte.
  const attachmentHref = await card.locator('a[href$="/adjunto"]').getAttribute('href');
  const attachment = await president.request.get(`${base}${attachmentHref}`);
  assert.equal(attachment.status(), 200, 'la Presidencia descarga el adjunto');
  assert.equal(attachment.headers()['content-type'], 'application/pdf');
  assert.equal(crypto.createHash('sha256').update(await attachment.body()).digest('hex'), sha, 'el adjunto llegó íntegro');
  const anonymous = await page.request.get(`${base}${attachmentHref}`, { maxRedirects: 0 });
  assert.notEqual(anonymous.status(), 200, 'el público no descarga el adjunto');
  const answer = 'Gracias: la convocatoria ya está publicada en el calendario de sesiones.';
  await card.locator('textarea').fill(answer);
  await Promise.all([president.waitForURL(/respondida=/), card.locator('button[type="submit"]').click()]);
  assert.ok((await president.locator('main').innerText()).includes(`Se publicó la respuesta al folio ${folio}`));
  await president.goto(`${base}/consola/stl/sumate`);
  await axeOn(president, 'consola-sumate');
  assert.ok((await president.locator('main').innerText()).includes(joinFolio), 'la solicitud para sumarse llegó a la Presidencia');
  await president.goto(`${base}/consola/stl/proyectos`);
  await axeOn(president, 'consola-proyectos');
  assert.match(await president.locator('main').innerText(), /Proyectos de los miembros invitados/);

  // Session evidence through the console (000 V.10 a): an image without its
  // text alternative comes back with what was typed; with it, it is checked,
  // hashed, archived and shown on the public session page.
  await president.goto(`${base}/consola/sesiones`);
  const sessionHrefs = await president.locator('main a[href^="/consola/sesiones/"]').evaluateAll(
    (links) => links.map((a) => a.getAttribute('href')).filter((h) => /^\/consola\/sesiones\/[^/?#]+$/.test(h)));
  let evidencePage = null;
  for (const href of sessionHrefs) {
    await president.goto(`${base}${href}`);
    if (await president.locator('#evidence-file').count()) { evidencePage = `${base}${href}`; break; }
  }
  assert.ok(evidencePage, 'la consola ofrece agregar evidencia a la sesión celebrada');
  const image = tinyPng(...crypto.randomBytes(3));
  const description = 'Votación del orden del día (prueba del navegador)';
  await president.setInputFiles('#evidence-file', { name: 'votacion.png', mimeType: 'image/png', buffer: image });
  await president.fill('#evidence-description', description);
  await Promise.all([president.waitForLoadState(), president.click('button:has-text("Agregar la evidencia")')]);
  const refusedText = await president.locator('main').innerText();
  assert.match(refusedText, /texto alternativo/, 'una imagen sin texto alternativo se rechaza y se dice por qué');
  assert.equal(await president.inputValue('#evidence-description'), description, 'la descripción escrita vuelve en el formulario');
  await axeOn(president, 'consola-evidencia-rechazada');
  const alt = 'Integrantes votando el orden del día (imagen de prueba)';
  await president.setInputFiles('#evidence-file', { name: 'votacion.png', mimeType: 'image/png', buffer: image });
  await president.fill('#evidence-alt', alt);
  await Promise.all([president.waitForURL(/hecho=evidencia/), president.click('button:has-text("Agregar la evidencia")')]);
  const imageSha = crypto.createHash('sha256').update(image).digest('hex');
  assert.ok((await president.locator('#evidencia').innerText()).includes(imageSha), 'la consola lista la evidencia con su SHA-256');
  await axeOn(president, 'consola-evidencia');
  await page.goto(`${publicSessionUrl}?con-evidencia`);
  assert.equal(await page.locator(`ul.evidencia img[alt="${alt}"]`).count(), 1, 'la evidencia nueva se publica con su texto alternativo');
  assert.ok((await text()).includes(imageSha), 'el sitio público muestra su SHA-256');
  const download = await page.request.get(`${stl}/evidencia/${imageSha}`);
  assert.equal(crypto.createHash('sha256').update(await download.body()).digest('hex'), imageSha, 'el archivo público es el mismo, byte por byte');
  await check('sesion-con-evidencia');
  await consoleContext.close();

  await page.goto(`${stl}/dudas/folio?folio=${folio}`);
  await check('dudas-respondida');
  const answered = await text();
  assert.ok(answered.includes('respondida') && answered.includes(answer), 'el estado público muestra la respuesta');
}

// ------------------------------------------------------------ «Mi proyecto»
// The demo's invited member has no e.firma: she enters with the link mailed
// to her (read from the mail service's outbox, $OUTBOX) and reports her
// project's progress; a mistake comes back as typed; the report is public.
if (process.env.OUTBOX) {
  const outbox = process.env.OUTBOX;
  const invitedContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'es-MX' });
  const invited = await invitedContext.newPage();
  const before = new Set(fs.readdirSync(outbox));
  await invited.goto(`${base}/entrar`);
  await invited.fill('form[action="/entrar/correo"] #email', 'invitada@stl-demo.example.mx');
  await invited.click('form[action="/entrar/correo"] button[type="submit"]');
  let token;
  for (let i = 0; i < 120 && !token; i++) {
    await new Promise((r) => setTimeout(r, 250));
    for (const f of fs.readdirSync(outbox)) {
      if (before.has(f) || !f.endsWith('.eml')) continue;
      const mail = fs.readFileSync(path.join(outbox, f), 'utf8').replace(/=\r?\n/g, '');
      const found = mail.includes('invitada@stl-demo.example.mx') && mail.match(/rubrica-enlace_[0-9a-f]{64}/);
      if (found) token = found[0];
    }
  }
  assert.ok(token, 'llegó el enlace de acceso de la persona invitada');
  await invited.goto(`${base}/entrar/enlace?token=${token}`);
  await Promise.all([invited.waitForURL(`${base}/pendientes`), invited.click('main form button[type="submit"]')]);
  await invited.goto(`${base}/proyecto`);
  await axeOn(invited, 'mi-proyecto');
  assert.match(await invited.locator('main').innerText(), /Datos abiertos de la obra pública municipal/);
  const today = new Date().toLocaleDateString('en-CA', { timeZone: 'America/Mexico_City' });
  await invited.fill('#period_ending', today);
  await invited.fill('#summary', 'Se agregaron los contratos del segundo semestre al tablero.');
  await invited.fill('#progress', '150');
  await invited.evaluate(() => { document.querySelector('form[action="/proyecto/informes"]').noValidate = true; });
  await invited.click('form[action="/proyecto/informes"] button[type="submit"]');
  await invited.waitForLoadState();
  assert.ok((await invited.locator('.error').innerText()).includes('«Avance del proyecto (%)»'), 'el error nombra el campo');
  assert.equal(await invited.inputValue('#summary'), 'Se agregaron los contratos del segundo semestre al tablero.', 'el informe vuelve con lo escrito');
  await axeOn(invited, 'mi-proyecto-error');
  await invited.fill('#progress', '60');
  await Promise.all([invited.waitForURL(/informado=1/), invited.click('form[action="/proyecto/informes"] button[type="submit"]')]);
  await invitedContext.close();
  // A new address: the browser may keep the earlier page a minute (Cache-Control).
  await page.goto(`${stl}/compromisos?despues-del-informe`);
  await check('compromisos-informe');
  assert.match(await text(), /Informes de avance \(2\)/, 'el nuevo informe se publica');
  assert.ok((await text()).includes('Se agregaron los contratos del segundo semestre'));
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
