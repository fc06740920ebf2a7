#!/usr/bin/env bash
# CI for web/: installs the pinned esbuild from package-lock.json, fails when
# web/dist/ is not byte-for-byte what the sources build (or is over the 50 KB
# gzipped budget), then runs the tests. Needs Node 20+ and npm; the Rust server
# never does (it serves the committed web/dist/).
#   bash web/ci.sh
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run check-bundle
npm test
