// The console (issue 17) in a real browser (Debian's Chromium through
// playwright-core), against the demo suite web/browser-test.sh started (the
// Jalisco secretariat with its members and their e.firma files):
//
// - the facilitator logs in with their e.firma and runs a whole session in
//   the browser: schedules it with its agenda, a convocatoria refused for
//   short notice (the page shows the earliest valid date and why), the
//   session rescheduled to that date and convened, attendance by seat with
//   the Legislativo's suplente substituting, quorum shown, the agenda
//   approved, three motions (consensus; a tie decided by the casting vote; a
//   majority without a civil-society vote, rejected), agreements, close; the
//   acta is drafted, approved and its signing route opened;
// - a member (academia) follows the same session in their own browser: the
//   quorum and the votes change on their page without reloading (server-sent
//   events); the delay from the facilitator's answer to the member's page is
//   measured (target ≤ 1 s; printed, never asserted);
// - every decision shown equals `rubrica rules evaluate` on the same inputs;
// - axe-core on every page: zero violations; screenshots at phone and laptop
//   sizes in $ARTIFACTS.
//
// - the operator enters with the installation's token, creates a secretariat
//   from another preset and registers its President.
//
//   node browser/console.mjs BASE_URL PKI_DIR RUBRICA_BIN DATA_DIR
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const [base, pki, rubrica, dataDir] = process.argv.slice(2);
if (!base || !pki || !rubrica || !dataDir) {
  console.error('uso: node browser/console.mjs URL_BASE CARPETA_PKI BINARIO_RUBRICA CARPETA_DE_DATOS');
  process.exit(2);
}
const artifacts = process.env.ARTIFACTS || path.join(here, '..', 'artifacts');
fs.mkdirSync(artifacts, { recursive: true });
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const PASSWORD = fs.readFileSync(path.join(pki, 'password.txt'), 'utf8').trim();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
  headless: true,
});
const problems = [];
const cspViolations = [];
const visited = new Set();
const numbers = { live_ms: [], close_to_draft_ms: null, approve_to_route_ms: null };

async function axe(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } }),
  );
  for (const v of result.violations) {
    problems.push(`${label}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
  visited.add(label);
}

const shot = new Set();
async function check(page, label) {
  await axe(page, label);
  if (shot.has(label)) return;
  shot.add(label);
  for (const [w, h] of [[390, 844], [1280, 800]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: path.join(artifacts, `consola-${label}-${w}x${h}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 320, height: 700 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 0) problems.push(`${label}: ${overflow} px de desbordamiento horizontal a 320 px`);
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function loggedIn(key) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'es-MX' });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  await page.goto(`${base}/entrar`);
  await page.setInputFiles('#cer', path.join(pki, `${key}.cer`));
  await page.setInputFiles('#key', path.join(pki, `${key}.key`));
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}/pendientes`), page.click('button:has-text("Entrar")')]);
  return { context, page };
}

/** Submits the form holding `button` and waits for the page that answers. */
async function submit(page, button) {
  await Promise.all([page.waitForNavigation(), page.click(button)]);
}

// Dates as the secretariat reads them: its own local date (the demo's
// Jalisco secretariat is at UTC−6), not UTC's, which is a day ahead from
// 18:00 to midnight there (a designation ended "yesterday" in UTC would
// still be in force today in Jalisco).
const SECRETARIAT_UTC_OFFSET_MINUTES = -360;
const iso = (d) => new Date(d.getTime() + SECRETARIAT_UTC_OFFSET_MINUTES * 60_000).toISOString().slice(0, 10);
const inDays = (n) => {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + n);
  return d;
};
const text = async (page, selector) => (await page.textContent(selector)).trim().replace(/\s+/g, ' ');
/** The page's notice matches `re` (on failure, the page's error says why). */
async function notice(page, re) {
  if (!(await page.locator('#aviso').count())) {
    const error = (await page.locator('#error').count()) ? await text(page, '#error') : await text(page, 'main');
    assert.fail(`sin aviso ${re}: ${error}`);
  }
  assert.match(await text(page, '#aviso'), re);
}

// ------------------------------------------------------------ the facilitator schedules a session
const { page: fac } = await loggedIn('facilitacion');
await fac.goto(`${base}/consola/sesiones`);
await check(fac, 'sesiones');

// A refused form comes back with what was typed.
await fac.selectOption('#kind', 'ordinaria');
await fac.fill('#date', iso(inDays(3)));
await fac.fill('#place', 'Sala de Pleno del ITEI');
await fac.evaluate(() => document.getElementById('time').setAttribute('type', 'text'));
await fac.fill('#time', '99:99');
const agenda = [
  'Lista de asistencia y declaración de quórum',
  'Calendario de sesiones ordinarias de 2027',
  'Metodología de seguimiento de compromisos',
  'Publicación semanal de datos de compras',
].join('\n');
await fac.fill('#agenda', agenda);
await submit(fac, 'button:has-text("Programar")');
assert.match(await text(fac, '#error-programar'), /hora/i, 'la hora inválida no se explicó');
assert.equal(await fac.inputValue('#place'), 'Sala de Pleno del ITEI', 'el formulario no conservó lo escrito');
assert.equal((await fac.inputValue('#agenda')).trim(), agenda, 'el orden del día escrito se perdió');
await check(fac, 'sesiones-error');
console.log(`formulario rechazado conserva lo escrito: «${await text(fac, '#error-programar')}»`);

// Three days ahead: too short a notice for an ordinary session (5 business days, 000 V.6).
await fac.evaluate(() => document.getElementById('time').setAttribute('type', 'time'));
await fac.fill('#time', '10:00');
await fac.fill('#date', iso(inDays(3)));
await submit(fac, 'button:has-text("Programar")');
assert.match(fac.url(), /\/consola\/sesiones\/[A-Za-z0-9-]+\?hecho=programada/, fac.url());
const sessionId = /\/consola\/sesiones\/([A-Za-z0-9-]+)/.exec(fac.url())[1];
const consoleUrl = `${base}/consola/sesiones/${sessionId}`;
// A member proposes an agenda item (000 VII.3); the facilitator incorporates it.
{
  const { page: proposer, context } = await loggedIn('ejecutivo');
  await proposer.goto(`${base}/sesiones/${sessionId}`);
  await proposer.fill('#p-title', 'Informe del Poder Ejecutivo sobre datos abiertos');
  await submit(proposer, 'button:has-text("Proponer")');
  assert.match(await text(proposer, '#aviso'), /Su propuesta quedó registrada/);
  await check(proposer, 'sesion-propuesta');
  await context.close();
  await fac.reload();
  await fac.check('#propuestas input[type="checkbox"]');
  await submit(fac, 'button:has-text("Guardar el orden del día")');
  assert.match(await fac.inputValue('#agenda'), /Informe del Poder Ejecutivo sobre datos abiertos/);
  assert.match(await text(fac, '#propuestas'), /incorporada/);
  console.log('propuesta de un integrante incorporada al orden del día (000 VII.3)');
}
const review = await text(fac, '#revision-aviso');
assert.match(review, /no cumple/, review);
const earliest = (await text(fac, '#fecha-valida strong'));
assert.match(earliest, /^\d{4}-\d{2}-\d{2}$/, earliest);
console.log(`revisión antes de emitir: «${review}»; fecha más próxima válida: ${earliest}`);
await check(fac, 'sesion-programada');

// Issuing anyway is refused by the secretariat, with its explanation.
await submit(fac, 'button:has-text("Emitir la convocatoria")');
assert.match(await text(fac, '#error'), /No se puede emitir la convocatoria/, 'la convocatoria tardía no se rechazó');
console.log(`convocatoria rechazada: «${(await text(fac, '#error')).slice(0, 160)}…»`);

// Rescheduled to the earliest valid date, then convened.
await fac.click('summary:has-text("Reprogramar o cancelar")');
await fac.fill('#r-date', earliest);
await submit(fac, 'button:has-text("Reprogramar")');
assert.match(await text(fac, '#revision-aviso'), /cumple la anticipación/);
await submit(fac, 'button:has-text("Emitir la convocatoria")');
assert.equal(await text(fac, '#estado-sesion'), 'Convocada');
console.log(`reprogramada al ${earliest} y convocada`);

// Delivery per member and the invitation as sent.
let delivered = '';
for (let i = 0; i < 80 && !/enviado/.test(delivered); i++) {
  await new Promise((r) => setTimeout(r, 250));
  await fac.reload();
  delivered = (await fac.locator('#entregas').count()) ? await text(fac, '#entregas') : '';
}
assert.match(delivered, /Convocatoria para .*: enviado/, `sin entregas: ${delivered}`);
const icsHref = await fac.getAttribute('#entregas a[href$="invitacion.ics"]', 'href');
const ics = await fac.request.get(`${base}${icsHref}`);
assert.equal(ics.status(), 200);
const icsText = await ics.text();
assert.match(icsText, /^BEGIN:VCALENDAR/);
assert.match(icsText, new RegExp(`DTSTART:${earliest.replace(/-/g, '')}T`));
console.log(`entregas de la convocatoria: ${(delivered.match(/enviado/g) || []).length} enviadas; invitación ICS descargada (${icsText.length} bytes)`);
await fac.click('#entregas summary');
await check(fac, 'sesion-convocada');

// ------------------------------------------------------------ a member watches live
const { page: member } = await loggedIn('academia');
await member.goto(`${base}/pendientes`);
assert.match(await text(member, '#proximas'), /2026-ORD|Sesión ordinaria/, 'la sesión convocada no aparece en Pendientes');
const memberIcs = await member.request.get(`${base}/sesiones/${sessionId}/invitacion.ics`);
assert.equal(memberIcs.status(), 200, 'el integrante no pudo descargar su invitación');
assert.match(await memberIcs.text(), /^BEGIN:VCALENDAR[\s\S]*METHOD:REQUEST/);
await check(member, 'pendientes-proximas');
console.log('el integrante ve la sesión convocada en Pendientes, con su orden del día y su invitación ICS');
await member.goto(`${base}/sesiones/${sessionId}`);
await member.waitForFunction(() => document.getElementById('vivo-estado')?.textContent.includes('Actualizado'));
await check(member, 'sesion-en-vivo');

/** Waits until the member's page shows `predicate` true, and returns the delay since `since`. */
async function memberSees(predicate, arg, since) {
  await member.waitForFunction(predicate, arg, { timeout: 10_000 });
  return Math.round(performance.now() - since);
}

// ------------------------------------------------------------ attendance by seat
const attending = [
  ['organo_garante', 'Titular'],
  ['ejecutivo', 'Titular'],
  ['judicial', 'Titular'],
  ['legislativo', 'Suplente'],
  ['academia', 'Titular'],
  ['empresarial', 'Titular'],
  ['comunidad_tecnologica', 'Titular'],
];
for (const [seat, capacity] of attending) {
  const button = `#asiento-${seat} li:has-text("${capacity}:") button:has-text("Registrar llegada")`;
  const t0 = performance.now();
  await submit(fac, button);
  const seen = await memberSees(
    (s) => document.getElementById('quorum')?.textContent.includes(s),
    `${attending.findIndex((a) => a[0] === seat) + 1} de`,
    t0,
  ).catch(() => null);
  if (seen !== null) numbers.live_ms.push(seen);
}
const quorum = await text(fac, '#quorum');
assert.match(quorum, /Hay quórum/, quorum);
assert.match(await text(fac, '#asiento-legislativo'), /Representado/);
assert.match(await text(fac, '#asiento-legislativo'), /Suplente: .* presente/);
assert.match(await text(member, '#quorum'), /Hay quórum/, 'la página del integrante no mostró el quórum');
console.log(`quórum en la consola: «${quorum}»; la página del integrante lo mostró sin recargar`);
await check(fac, 'sesion-asistencia');

await submit(fac, 'button:has-text("Abrir la sesión")');
assert.equal(await text(fac, '#estado-sesion'), 'En curso');

// ------------------------------------------------------------ agenda, motions, agreements
const present = attending.map(([seat]) => seat);
async function vote(prefix, votes) {
  for (const seat of present) {
    await fac.selectOption(`#${prefix}-${seat}`, votes[seat] || '');
  }
}
await vote('orden', Object.fromEntries(present.map((s) => [s, 'favor'])));
await submit(fac, 'button:has-text("Registrar la votación del orden del día")');
assert.match(await text(fac, '#orden-aprobacion'), /aprob/i);
await check(fac, 'sesion-abierta');

const motions = [
  {
    text: 'Aprobar el calendario de sesiones ordinarias de 2027',
    item: '2',
    votes: Object.fromEntries(present.map((s) => [s, 'favor'])),
    expect: 'Aprobada',
  },
  {
    text: 'Adoptar la metodología de seguimiento de compromisos',
    item: '3',
    votes: { organo_garante: 'favor', academia: 'favor', comunidad_tecnologica: 'favor', ejecutivo: 'contra', judicial: 'contra', legislativo: 'contra', empresarial: 'abstencion' },
    expect: 'Aprobada',
  },
  {
    text: 'Publicar cada semana los datos de compras del ayuntamiento',
    item: '4',
    votes: { organo_garante: 'favor', ejecutivo: 'favor', judicial: 'favor', legislativo: 'favor', academia: 'abstencion', empresarial: 'abstencion', comunidad_tecnologica: 'abstencion' },
    expect: 'Rechazada',
  },
];
const shown = [];
for (const [i, m] of motions.entries()) {
  await fac.fill('#motion-text', m.text);
  await fac.selectOption('#agenda_item', m.item);
  await vote('mocion', m.votes);
  const t0 = performance.now();
  await submit(fac, 'button:has-text("Registrar la votación")');
  const seen = await memberSees((n) => document.querySelectorAll('#mociones li.mocion').length >= n, i + 1, t0);
  numbers.live_ms.push(seen);
  const card = fac.locator('#mociones li.mocion').nth(i);
  const outcome = (await card.locator('.resultado').textContent()).trim();
  const explanation = (await card.locator('.explicacion').textContent()).trim();
  assert.equal(outcome, m.expect, `${m.text}: ${outcome} — ${explanation}`);
  const memberCard = member.locator('#mociones li.mocion').nth(i);
  assert.equal((await memberCard.locator('.explicacion').textContent()).trim(), explanation, 'el integrante vio otra decisión');
  shown.push({ ...m, outcome, explanation });
  console.log(`votación ${i + 1}: ${outcome} — ${explanation} (el integrante la vio a los ${seen} ms)`);
}
assert.match(shown[0].explanation, /consenso/i, shown[0].explanation);
assert.match(shown[1].explanation, /calidad/i, shown[1].explanation);
assert.match(shown[2].explanation, /sociedad civil/i, shown[2].explanation);

// The same decisions from the rules engine on the same inputs.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rubrica-reglas-'));
for (const m of shown) {
  const scenario = {
    preset: 'jalisco',
    session: { kind: 'ordinaria', date: earliest, convocatoria_issued: iso(new Date()) },
    attendance: [
      ...attending.map(([seat, capacity]) => ({ seat, present: capacity.toLowerCase() })),
      { seat: 'ayuntamiento', present: 'none' },
      { seat: 'sociedad_civil', present: 'none' },
    ],
    votes: Object.entries(m.votes).map(([seat, v]) => ({ seat, vote: v })),
  };
  const file = path.join(tmp, 'escenario.json');
  fs.writeFileSync(file, JSON.stringify(scenario));
  const out = JSON.parse(execFileSync(rubrica, ['rules', 'evaluate', '--input', file], { encoding: 'utf8' }));
  const expected = out.decision.outcome === 'aprobado' ? 'Aprobada' : 'Rechazada';
  assert.equal(m.outcome, expected, `${m.text}: la página dice ${m.outcome}, las reglas ${out.decision.outcome}`);
  assert.equal(m.explanation, out.decision.explanation, `${m.text}: explicaciones distintas`);
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log('las tres decisiones mostradas son las de `rubrica rules evaluate` con las mismas entradas');

for (const motion of ['1', '2']) {
  await fac.selectOption('#motion', motion);
  await fac.selectOption('#responsible_seat', 'organo_garante');
  await fac.fill('#due_on', iso(inDays(60)));
  await submit(fac, 'button:has-text("Registrar el acuerdo")');
  assert.match(await text(fac, 'main'), /Acuerdo registrado/);
}
await member.waitForFunction(() => document.getElementById('t-acuerdos').parentElement.querySelectorAll('li').length >= 2);
await check(fac, 'sesion-votaciones');
await check(member, 'sesion-en-vivo-votaciones');

// ------------------------------------------------------------ close, draft, approve, route
const closing = performance.now();
await submit(fac, 'button:has-text("Cerrar la sesión")');
assert.equal(await text(fac, '#estado-sesion'), 'Cerrada');
await member.waitForFunction(() => /terminó/.test(document.getElementById('vivo-estado')?.textContent || ''), null, { timeout: 10_000 });
let drafted = false;
for (let i = 0; i < 240 && !drafted; i++) {
  drafted = /folio/.test(await text(fac, '#acta-estado'));
  if (!drafted) {
    await new Promise((r) => setTimeout(r, 250));
    await fac.reload();
  }
}
assert.ok(drafted, 'el acta no se redactó');
numbers.close_to_draft_ms = Math.round(performance.now() - closing);
console.log(`acta redactada a los ${numbers.close_to_draft_ms} ms del cierre: «${await text(fac, '#acta-estado')}»`);
await check(fac, 'sesion-cerrada');
const pdf = await fac.request.get(await fac.getAttribute('a:has-text("Ver el PDF")', 'href').then((h) => `${base}${h}`));
assert.equal(pdf.status(), 200);
assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-');
await fac.click('summary:has-text("Corregir el borrador")');
await fac.fill('#corr-2', 'Se presentó el calendario de sesiones ordinarias de 2027; la Presidencia pidió publicarlo en el sitio.');
await submit(fac, 'button:has-text("Generar una versión corregida")');
assert.match(await text(fac, 'main'), /Nueva versión del borrador/, await text(fac, 'main'));
assert.match(await text(fac, '#acta-estado'), /versión 2/);
console.log(`borrador corregido: «${await text(fac, '#acta-estado')}»`);
await submit(fac, 'button:has-text("Aprobar la versión")');
assert.match(await text(fac, '#acta-estado'), /aprobada \(congelada\)/);
const approving = performance.now();
await submit(fac, 'button:has-text("Abrir la ruta de firma")');
const route = await text(fac, '#ruta-avance');
numbers.approve_to_route_ms = Math.round(performance.now() - approving);
assert.match(route, /Firmaron 0 de 7/, route);
console.log(`ruta de firma abierta en ${numbers.approve_to_route_ms} ms (invitaciones encoladas): «${route}»`);
await check(fac, 'sesion-ruta');
await submit(fac, 'button:has-text("Enviar un recordatorio")');
assert.match(await text(fac, 'main'), /Recordatorio enviado a quienes faltan de firmar/);
console.log('recordatorio enviado a los 7 firmantes pendientes desde la consola');

// A member refuses with the reason (from their e.firma session); the
// facilitator follows it: who refused and why, who is pending.
{
  const routeHref = await fac.getAttribute('#ruta-avance a', 'href');
  const { page: judge, context } = await loggedIn('judicial');
  await judge.goto(`${base}${routeHref}`);
  await judge.fill('#reason', 'El acta no recoge el voto particular que entregué por escrito.');
  await submit(judge, 'button:has-text("Rechazar firmar")');
  await context.close();
  await fac.reload();
  const followed = await text(fac, '#acta');
  assert.match(followed, /rechazó — motivo: El acta no recoge el voto particular/, followed);
  assert.match(followed, /pendiente/);
  console.log('rechazo con su motivo visible en la consola; los demás siguen pendientes');
}

// ------------------------------------------------------------ the President sets up and oversees
{
  const { page: pres } = await loggedIn('presidencia');
  // Members: a refused registration keeps what was typed; a valid one is listed.
  await pres.goto(`${base}/consola/integrantes`);
  await check(pres, 'integrantes');
  await pres.fill('#m-name', 'MARÍA FERNANDA LÓPEZ DÍAZ');
  await pres.fill('#m-rfc', 'NO-ES-UN-RFC');
  await pres.fill('#m-email', 'maria.lopez@stl-demo.example.mx');
  await submit(pres, 'button:has-text("Registrar")');
  assert.match(await text(pres, '#error-integrante'), /RFC/, 'el RFC inválido no se explicó');
  assert.equal(await pres.inputValue('#m-name'), 'MARÍA FERNANDA LÓPEZ DÍAZ');
  await check(pres, 'integrantes-error');
  await pres.fill('#m-rfc', 'LODM850101AB1');
  await submit(pres, 'button:has-text("Registrar")');
  assert.match(await text(pres, 'main'), /Integrante registrado/);
  assert.match(await text(pres, 'main'), /MARÍA FERNANDA LÓPEZ DÍAZ/);
  // A resignation's cascade is shown before it is applied, and nothing changes until then.
  const before = await text(pres, '#asiento-academia');
  await pres.selectOption('#r-seat', 'academia');
  await pres.selectOption('#r-who', 'titular');
  await pres.fill('#r-effective', iso(inDays(30)));
  await submit(pres, 'button:has-text("Ver lo que hará")');
  const preview = await text(pres, '#renuncia-vista');
  assert.match(preview, /aún no se aplica/);
  assert.match(preview, /000 II\.4\.V/, preview);
  assert.equal(await text(pres, '#asiento-academia'), before, 'la vista previa cambió el asiento');
  await check(pres, 'integrantes-renuncia');
  console.log(`renuncia explicada antes de aplicarla: «${preview.slice(0, 140)}…»`);
  // Settings: a bad offset comes back with what was typed; the rules name their clause.
  await pres.goto(`${base}/consola/secretariado`);
  await check(pres, 'secretariado');
  assert.match(await text(pres, 'main'), /000 V\.6/);
  await pres.fill('#utc_offset_minutes', 'menos seis');
  await submit(pres, 'button:has-text("Guardar la configuración")');
  assert.match(await text(pres, '#error'), /minutos/);
  assert.equal(await pres.inputValue('#utc_offset_minutes'), 'menos seis');
  await pres.fill('#utc_offset_minutes', '-360');
  await pres.fill('#non_working_days', `${iso(inDays(40))} Día del servidor público`);
  await pres.fill('#contact_address', 'Av. Vallarta 1312, Guadalajara, Jalisco');
  await pres.fill('#contact_email', 'stl@itei.example.mx');
  await pres.fill('#links', 'Plan de Acción Local | https://www.itei.example.mx/gobierno-abierto');
  await submit(pres, 'button:has-text("Guardar la configuración")');
  assert.match(await text(pres, 'main'), /Configuración guardada/);
  assert.match(await pres.inputValue('#non_working_days'), /Día del servidor público/);
  // Published on the public site (sections c and e).
  const siteHref = await pres.getAttribute('a:has-text("ver el sitio")', 'href');
  const contactPage = await pres.request.get(`${base}${siteHref}/contacto`);
  assert.match(await contactPage.text(), /Av\. Vallarta 1312/);
  const linksPage = await pres.request.get(`${base}${siteHref}/ligas`);
  assert.match(await linksPage.text(), /href="https:(\/\/|&#x2f;&#x2f;)www\.itei\.example\.mx[^"]*gobierno-abierto"[^>]*>Plan de Acción Local</);
  // The Local Action Plan: a commitment with weighted milestones, progress recorded, published (000 IV.1–3).
  await pres.goto(`${base}/consola/compromisos`);
  await pres.fill('#c-title', 'Publicar los datos de compras municipales');
  await pres.selectOption('#c-seat', 'ayuntamiento');
  await pres.fill('#c-starts', iso(inDays(-30)));
  await pres.fill('#c-due', iso(inDays(335)));
  await pres.fill('#c-milestones', 'Catálogo de datos | 3\nPublicación semanal | 1');
  await submit(pres, 'button:has-text("Registrar el compromiso")');
  assert.match(await text(pres, '#aviso'), /Compromiso registrado/);
  await pres.fill('#compromisos li li:first-child input[name="progress"]', '100');
  await submit(pres, '#compromisos li li:first-child button');
  assert.match(await text(pres, '#compromisos'), /avance 75 %/);
  await check(pres, 'compromisos');
  const plan = await pres.request.get(`${base}${siteHref}/compromisos`);
  assert.match(await plan.text(), /Publicar los datos de compras municipales[\s\S]*75 %/);
  const planCsv = await (await pres.request.get(`${base}${siteHref}/datos/compromisos.csv`)).text();
  assert.match(planCsv, /^numero,compromiso,asiento_responsable/);
  assert.match(planCsv, /Publicar los datos de compras municipales,ayuntamiento,[^,]+,[^,]+,75,/);
  console.log('compromiso con hitos ponderados: 75 % de avance, publicado en el sitio');
  // Agreements, mail and audit.
  await pres.goto(`${base}/consola/acuerdos`);
  await check(pres, 'acuerdos');
  const firstStatus = pres.locator('select[id^="status-"]').first();
  await firstStatus.selectOption('en_proceso');
  const noteId = (await firstStatus.getAttribute('id')).replace('status-', 'note-');
  await pres.fill(`#${noteId}`, 'Se presentó el calendario al pleno.');
  await submit(pres, `button:has-text("Registrar el seguimiento") >> nth=0`);
  assert.match(await text(pres, 'main'), /Seguimiento registrado/);
  assert.match(await text(pres, 'main'), /Se presentó el calendario al pleno/);
  await pres.goto(`${base}/consola/correo`);
  assert.match(await text(pres, 'main'), /Convocatoria/);
  await check(pres, 'correo');
  await pres.goto(`${base}/consola/entregas`);
  assert.match(await text(pres, 'main'), /Periodos concluidos o por concluir/);
  await check(pres, 'entregas');
  await pres.goto(`${base}/consola/bitacora`);
  assert.match(await text(pres, 'main'), /Cadena íntegra/);
  await check(pres, 'bitacora');
  console.log('Presidencia: integrantes, renuncia explicada, configuración, acuerdos, correo y bitácoras revisadas');
}

// ------------------------------------------------------------ the operator creates a secretariat
{
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'es-MX' });
  const op = await context.newPage();
  await op.goto(`${base}/operador`);
  await check(op, 'operador-entrar');
  await op.fill('#token', 'no-es-el-token');
  await submit(op, 'button:has-text("Entrar como operador")');
  assert.match(await text(op, '#error'), /no es el token de operador/);
  const token = fs.readFileSync(path.join(dataDir, 'operator-token.txt'), 'utf8').trim();
  await op.fill('#token', token);
  await submit(op, 'button:has-text("Entrar como operador")');
  assert.ok(!(await op.content()).includes(token), 'el token de operador apareció en la página');
  const presets = await op.$$eval('#preset option', (o) => o.map((x) => x.value));
  assert.ok(presets.length >= 2 && presets.includes('jalisco'), `preajustes: ${presets}`);
  const other = presets.find((p) => p !== 'jalisco');
  await op.selectOption('#preset', other);
  await op.fill('#s-offset', '-300');
  await submit(op, 'button:has-text("Crear el secretariado")');
  assert.match(await text(op, '#creado'), /Secretariado creado con el preajuste/);
  await check(op, 'operador-creado');
  await op.fill('#p-name', 'ROSA ELENA PRIETO GARZA');
  await op.fill('#p-rfc', 'PIGR800101AB1');
  await op.fill('#p-email', 'presidencia@stl-otro.example.mx');
  await op.fill('#p-starts', iso(new Date()));
  await submit(op, 'button:has-text("Registrar y designar")');
  assert.match(await text(op, '#presidencia-lista'), /ROSA ELENA PRIETO GARZA quedó registrada/);
  console.log(`operador: secretariado «${other}» creado y su Presidencia registrada y designada`);
  await context.close();
}

// ------------------------------------------------------------ a member hands over (000 III.7)
{
  // The President ends the municipality titular's designation yesterday: from
  // today they are outgoing and hand over.
  const { page: pres0, context: presContext } = await loggedIn('presidencia');
  await pres0.goto(`${base}/consola/integrantes`);
  const row = pres0.locator('li[id^="integrante-"]', { hasText: 'JORGE IBARRA CASTRO' });
  await row.locator('summary').click();
  await row.locator('input[type="date"]').fill(iso(inDays(-1)));
  await Promise.all([pres0.waitForNavigation(), row.locator('button:has-text("Terminar")').click()]);
  assert.match(await text(pres0, 'main'), /Designación terminada/);
  await presContext.close();
  const { page: out } = await loggedIn('ayuntamiento');
  await out.goto(`${base}/pendientes`);
  if (!/Su entrega-recepción/.test(await text(out, 'main'))) {
    await out.goto(`${base}/cuenta`);
    assert.fail(`el integrante saliente no ve su entrega pendiente: ${await text(out, 'main')}`);
  }
  await out.goto(`${base}/documentos`);
  const archivedSha = (await out.textContent('#archivados .huella')).trim();
  await out.goto(`${base}/entrega`);
  await check(out, 'entrega');
  await submit(out, 'button:has-text("Abrir mi entrega-recepción")');
  await notice(out, /Entrega-recepción abierta/);
  // A report without its period comes back with what was typed.
  await out.click('summary:has-text("Escribir el informe de actividades")');
  await out.fill('#summary', 'Durante mi encargo representé al ayuntamiento en el Secretariado.');
  await out.fill('#activities', `${iso(inDays(-30))} Sesión ordinaria de noviembre\nRevisión del Plan de Acción Local`);
  await out.evaluate(() => { for (const id of ['from', 'to']) document.getElementById(id).removeAttribute('required'); });
  await submit(out, 'button:has-text("Generar el informe")');
  assert.ok(await out.locator('#error').count(), 'el informe sin periodo no se rechazó');
  assert.equal(await out.inputValue('#summary'), 'Durante mi encargo representé al ayuntamiento en el Secretariado.');
  await out.fill('#from', iso(inDays(-365)));
  await out.fill('#to', iso(new Date()));
  await submit(out, 'button:has-text("Generar el informe")');
  await notice(out, /Informe de actividades generado/);
  // A document, checked by its content; a file that lies about its type is refused.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rubrica-entrega-'));
  const fake = path.join(tmp, 'informe.pdf');
  fs.writeFileSync(fake, 'esto no es un PDF');
  await out.setInputFiles('#file', fake);
  await out.fill('#description', 'Un archivo que dice ser PDF');
  await submit(out, 'button:has-text("Subir el documento")');
  assert.ok(await out.locator('#error').count(), 'un archivo que no es PDF se aceptó como PDF');
  console.log(`archivo que miente sobre su tipo, rechazado: «${(await text(out, '#error')).slice(0, 120)}»`);
  const real = path.join(tmp, 'acta-de-la-sesion.pdf');
  fs.writeFileSync(real, await (await out.request.get(`${base}/archive/objects/${archivedSha}`)).body());
  await out.setInputFiles('#file', real);
  await out.fill('#description', 'Copia del acta firmada');
  await submit(out, 'button:has-text("Subir el documento")');
  await notice(out, /acta-de-la-sesion\.pdf» agregado/);
  await out.fill('#sha256', archivedSha);
  await submit(out, 'button:has-text("Agregar el registro")');
  await notice(out, /Registro archivado agregado/);
  await submit(out, 'button:has-text("Entregar")');
  assert.match(await text(out, '#estado-entrega'), /entregada/);
  await check(out, 'entrega-entregada');
  fs.rmSync(tmp, { recursive: true, force: true });
  // The President routes its acta de entrega-recepción for signature.
  const { page: pres } = await loggedIn('presidencia');
  await pres.goto(`${base}/consola/entregas`);
  await submit(pres, 'button:has-text("Generar el acta de entrega-recepción y enviarla a firma")');
  assert.match(await text(pres, 'main'), /enviada a firma/);
  assert.match(await text(pres, 'main'), /en firma/);
  await out.goto(`${base}/entrega`);
  assert.match(await text(out, '#estado-entrega'), /en firma/);
  // The outgoing member signs their acta de entrega-recepción in the browser.
  await out.click('a:has-text("Firmar o seguir la firma del acta de entrega-recepción")');
  await out.setInputFiles('#cer', path.join(pki, 'ayuntamiento.cer'));
  await out.setInputFiles('#key', path.join(pki, 'ayuntamiento.key'));
  await out.fill('#password', PASSWORD);
  await Promise.all([out.waitForURL(/firmado=1/, { timeout: 60_000 }), out.click('button:has-text("Firmar el acta")')]);
  await out.waitForSelector('#verificacion');
  assert.match(await text(out, '#verificacion'), /Firma válida/);
  await check(out, 'entrega-firmada');
  console.log('entrega-recepción: abierta, informe generado, documento revisado por su contenido, registro agregado, entregada y su acta en firma');
}

await browser.close();

// ------------------------------------------------------------ numbers
const live = [...numbers.live_ms].sort((a, b) => a - b);
console.log('\nMedidas (Chromium sin ventana, esta máquina):');
console.log(`  actualización en la página del integrante: mediana ${live[Math.floor(live.length / 2)]} ms, máx ${live[live.length - 1]} ms (${live.length} cambios; meta ≤ 1000 ms)`);
console.log(`  cerrar la sesión → acta redactada y visible: ${numbers.close_to_draft_ms} ms`);
console.log(`  abrir la ruta de firma (firmantes de la asistencia, invitaciones encoladas): ${numbers.approve_to_route_ms} ms`);
console.log(`  páginas revisadas con axe-core: ${[...visited].join(', ')}`);
if (cspViolations.length) problems.push(...cspViolations.map((c) => `CSP: ${c}`));
if (problems.length) {
  console.error(`\n${problems.length} problema(s):\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('\nConsola en el navegador: todo bien.');
