#!/usr/bin/env bash
# The secretariats' public site (issue 18) in a real browser and against
# checkers we did not write: installs Debian's Chromium (nothing is
# downloaded at run time by playwright-core), builds the `rubrica` binary,
# runs the whole demo (`rubrica demo`: an acta signed by every attendee and
# archived) and, against it,
#   - browser/public.mjs: every public page, axe-core, Verificar with the
#     archived PDF and a tampered copy, a complaint and a join request with
#     their folios, the President answering in the console (e.firma login)
#     and the answer on the folio's public page, screenshots in
#     web/artifacts/ (or $ARTIFACTS);
#   - html5lib (PyPI, strict mode) on every page of /sitemap.xml and the
#     error pages, feedparser (PyPI) on each secretariat's Atom feeds (records,
#     communiqués), and frictionless (PyPI) on the open data: the site's own Data
#     Package (/stl/{slug}/datos/datapackage.json) and the archive's, with every
#     CSV they describe, from a virtual environment made once under ~/.cache.
#   bash web/public-test.sh
set -euo pipefail
cd "$(dirname "$0")"
web=$(pwd)
repo=$(cd .. && pwd)

if ! [ -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
[ -d node_modules/playwright-core ] && [ -d node_modules/axe-core ] || npm ci --no-audit --no-fund

venv="${PUBLIC_TEST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/rubrica-public-venv}"
if ! "$venv/bin/python" -c 'import html5lib, feedparser, frictionless' 2>/dev/null; then
  echo "creando $venv (html5lib, feedparser, frictionless de PyPI)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check html5lib feedparser frictionless
fi

target="${CARGO_TARGET_DIR:-$repo/target}"
(cd "$repo" && cargo build --locked --quiet --bin rubrica)
bin="$target/debug/rubrica"

data=$(mktemp -d)
log="$data/demo.log"
"$bin" demo --data-dir "$data/datos" --port 0 >"$log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 1200); do
  grep -q '^Listo. Dónde mirar:' "$log" && break
  if ! kill -0 "$pid" 2>/dev/null; then
    cat "$log" >&2
    echo "la demostración terminó antes de archivar el acta" >&2
    exit 1
  fi
  sleep 0.5
done
if ! grep -q '^Listo. Dónde mirar:' "$log"; then
  cat "$log" >&2
  echo "la demostración no terminó a tiempo" >&2
  exit 1
fi
base=$(sed -n 's/^Rúbrica (demostración) escuchando en \(http[^;]*\);.*/\1/p' "$log" | head -n1)
pdf=$(sed -n 's/^  Acta firmada: *//p' "$log" | head -n1)
slug=$(curl -fsS "$base/secretariat/public/secretariats" | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)[0]["slug"])')
echo "suite en $base, sitio público en $base/stl/$slug, acta $pdf"

OUTBOX="$data/datos/mail/outbox" node "$web/browser/public.mjs" "$base" "$slug" "$pdf" "$repo/templates/demo/pki"

# The open data against a checker we did not write: each descriptor, its
# Table Schemas and every row of the CSV files it names.
for descriptor in "$base/stl/$slug/datos/datapackage.json" "$base/archive/open-data/datapackage.json"; do
  echo "frictionless validate $descriptor"
  "$venv/bin/frictionless" validate "$descriptor"
done

"$venv/bin/python" - "$base" "$slug" <<'PY'
"""Every page of the sitemap (and the error pages) through html5lib's strict
parser, and each Atom feed through feedparser: both must accept them."""
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import feedparser
import html5lib

base, slug = sys.argv[1], sys.argv[2]


def fetch(url):
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


status, _, sitemap = fetch(f"{base}/sitemap.xml")
assert status == 200, f"/sitemap.xml: {status}"
ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
urls = [loc.text for loc in ET.fromstring(sitemap).findall("s:url/s:loc", ns)]
assert any("/registros/" in u for u in urls), "el mapa del sitio lista los registros"
urls += [f"{base}/stl/{slug}/no-existe", f"{base}/stl/no-existe"]
problems = []
for url in urls:
    path = url.split("://", 1)[1].split("/", 1)[1]
    status, headers, body = fetch(f"{base}/{path}")
    if status >= 500:
        problems.append(f"/{path}: {status}")
        continue
    if "set-cookie" in {k.lower() for k in headers.keys()}:
        problems.append(f"/{path}: pone una cookie")
    parser = html5lib.HTMLParser(strict=True)
    try:
        parser.parse(body)
    except Exception as error:  # html5lib raises ParseError in strict mode
        problems.append(f"/{path}: HTML no válido: {error}")
print(f"html5lib (estricto): {len(urls)} páginas revisadas")

for name in ("registros", "comunicados"):
    status, headers, body = fetch(f"{base}/stl/{slug}/{name}.atom")
    assert status == 200, f"canal Atom de {name}: {status}"
    feed = feedparser.parse(body)
    if feed.bozo:
        problems.append(f"canal Atom de {name} no válido: {feed.bozo_exception}")
    if feed.version != "atom10":
        problems.append(f"el canal de {name} no es Atom 1.0: {feed.version}")
    if not feed.entries:
        problems.append(f"el canal Atom de {name} no tiene entradas")
    for entry in feed.entries:
        if not entry.get("link", "").startswith(base):
            problems.append(f"entrada de {name} sin enlace absoluto: {entry.get('id')}")
    print(f"feedparser ({name}): {feed.version}, {len(feed.entries)} entradas")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print("HTML y Atom validados.")
PY
