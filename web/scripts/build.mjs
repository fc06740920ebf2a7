// Builds every src/*.js entry point into dist/<name>.js: one self-contained,
// minified ES module each (src/lib/ holds what they import). The output depends
// only on the sources and the pinned esbuild: no timestamps, no paths, no comments.
//
//   node scripts/build.mjs           build into dist/
//   node scripts/build.mjs --check   build into a temporary folder and fail unless
//                                    it is byte-for-byte the committed dist/
//   node scripts/build.mjs --size    print raw and gzip -9 sizes of dist/ and the budget
import { build } from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const BUDGET = 50 * 1024; // gzipped JavaScript, all modules together (issue 16)

const entries = () =>
  fs.readdirSync(path.join(root, 'src')).filter((f) => f.endsWith('.js')).sort().map((f) => `src/${f}`);

async function bundle(outdir) {
  await build({
    absWorkingDir: root,
    entryPoints: entries(),
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    legalComments: 'none',
    sourcemap: false,
    charset: 'ascii',
    logLevel: 'warning',
  });
}

const listing = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.startsWith('.')).sort() : []);
const gzipSize = (bytes) => zlib.gzipSync(bytes, { level: 9 }).length;

function report(dir) {
  let raw = 0;
  let gz = 0;
  for (const f of listing(dir).filter((x) => x.endsWith('.js'))) {
    const bytes = fs.readFileSync(path.join(dir, f));
    raw += bytes.length;
    gz += gzipSize(bytes);
    console.log(`${f}: ${bytes.length} bytes, ${gzipSize(bytes)} gzipped`);
  }
  console.log(`total: ${raw} bytes, ${gz} gzipped (budget ${BUDGET} gzipped)`);
  return gz;
}

const mode = process.argv[2];
if (mode === '--check') {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rubrica-web-'));
  try {
    await bundle(tmp);
    const built = listing(tmp);
    const committed = listing(dist);
    const problems = [];
    for (const f of new Set([...built, ...committed])) {
      if (!built.includes(f)) problems.push(`dist/${f} is committed but no longer built`);
      else if (!committed.includes(f)) problems.push(`dist/${f} is built but not committed`);
      else if (!fs.readFileSync(path.join(tmp, f)).equals(fs.readFileSync(path.join(dist, f)))) {
        problems.push(`dist/${f} differs from a fresh build`);
      }
    }
    if (problems.length) {
      for (const p of problems) console.error(`check-bundle: ${p}`);
      console.error('check-bundle: run `npm run build` in web/ and commit web/dist/.');
      process.exit(1);
    }
    const gz = report(tmp);
    if (gz > BUDGET) {
      console.error(`check-bundle: ${gz} bytes gzipped is over the ${BUDGET}-byte budget`);
      process.exit(1);
    }
    console.log(`check-bundle: dist/ (${built.join(', ')}) is exactly what the sources build`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
} else if (mode === '--size') {
  report(dist);
} else if (mode === undefined) {
  fs.rmSync(dist, { recursive: true, force: true });
  await bundle(dist);
  report(dist);
} else {
  console.error(`unknown option ${mode}`);
  process.exit(2);
}
