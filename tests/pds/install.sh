#!/usr/bin/env bash
# Install the Bluesky reference PDS (@atproto/dev-env, pinned by package-lock.json) outside the
# repository tree and print the directory it lives in.
#
#   ${CRIER_CACHE_DIR:-$HOME/.cache/crier}/pds-<first 12 hex of sha256(package-lock.json)>/
#       package.json, package-lock.json   copies of the ones beside this script
#       start.mjs                          copy of the start script (refreshed on every run)
#       node_modules/                      from `npm ci` (~360 MB; better-sqlite3 built from source)
#       .installed                         stamp written after `npm ci` succeeded
#
# `npm ci` runs only when the stamp is missing, so a second run costs a hash and a copy.
# Progress goes to stderr; stdout carries only the directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for tool in node npm sha256sum flock; do
    command -v "$tool" >/dev/null 2>&1 || { echo "install.sh: $tool not found" >&2; exit 127; }
done

lock_hash="$(sha256sum "$here/package-lock.json" | cut -c1-12)"
cache_root="${CRIER_CACHE_DIR:-$HOME/.cache/crier}"
dir="$cache_root/pds-$lock_hash"
mkdir -p "$dir"

# One installer at a time per directory (parallel test sessions share the cache).
exec 9>"$dir/.lock"
flock 9

if [[ ! -f "$dir/.installed" ]]; then
    echo "install.sh: npm ci into $dir (first run builds better-sqlite3; takes minutes)" >&2
    rm -rf "$dir/node_modules"
    cp "$here/package.json" "$here/package-lock.json" "$dir/"
    start=$(date +%s)
    (cd "$dir" && npm ci --no-audit --no-fund >&2)
    echo "install.sh: npm ci took $(( $(date +%s) - start )) s" >&2
    date -u +%Y-%m-%dT%H:%M:%SZ >"$dir/.installed"
fi

# The start script changes more often than the lock file: refresh it atomically every time.
cp "$here/start.mjs" "$dir/.start.mjs.tmp"
mv -f "$dir/.start.mjs.tmp" "$dir/start.mjs"

echo "$dir"
