#!/usr/bin/env bash
# The members' web platform in a real browser (issue 16): installs Debian's
# Chromium (nothing is downloaded at run time by playwright-core), builds the
# `rubrica` binary, starts the demo suite up to an open signing route
# (`rubrica demo --stop-at-route`) and runs browser/flow.mjs against it.
# Screenshots and the signed copy go to web/artifacts/ (or $ARTIFACTS).
#   bash web/browser-test.sh
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

target="${CARGO_TARGET_DIR:-$repo/target}"
(cd "$repo" && cargo build --locked --quiet --bin rubrica)
bin="$target/debug/rubrica"

data=$(mktemp -d)
log="$data/demo.log"
"$bin" demo --data-dir "$data/datos" --port 0 --stop-at-route >"$log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

route=""
for _ in $(seq 1 600); do
  route=$(sed -n 's/^Ruta de firma abierta: //p' "$log" | head -n1)
  [ -n "$route" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    cat "$log" >&2
    echo "la demostración terminó antes de abrir la ruta" >&2
    exit 1
  fi
  sleep 0.5
done
if [ -z "$route" ]; then
  cat "$log" >&2
  echo "la ruta de firma no se abrió a tiempo" >&2
  exit 1
fi
base=$(sed -n 's/^Rúbrica (demostración) escuchando en \(http[^;]*\);.*/\1/p' "$log" | head -n1)
echo "suite en $base, ruta $route"
node "$web/browser/flow.mjs" "$base" "$route" "$repo/templates/demo/pki" "$data/datos"
node "$web/browser/console.mjs" "$base" "$repo/templates/demo/pki" "$bin" "$data/datos"
