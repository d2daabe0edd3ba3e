#!/usr/bin/env bash
# Install the networks' reference counting code (twitter-text, @atproto/api, pinned by
# package-lock.json) outside the repository tree and print the directory it lives in.
#
#   ${CRIER_CACHE_DIR:-$HOME/.cache/crier}/counting-refs-<first 12 hex of sha256(package-lock.json)>/
#       package.json, package-lock.json   copies of the ones beside this script
#       harness.mjs                        copy of the JSON-lines harness (refreshed on every run)
#       node_modules/                      from `npm ci` (pure JavaScript, a few MB)
#       .installed                         stamp written after `npm ci` succeeded
#
# `npm ci` runs only when the stamp is missing, so a second run costs a hash and a copy.
# Install scripts are skipped: nothing here needs building (core-js only prints a banner).
# Progress goes to stderr; stdout carries only the directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for tool in node npm sha256sum flock; do
    command -v "$tool" >/dev/null 2>&1 || { echo "install.sh: $tool not found" >&2; exit 127; }
done

lock_hash="$(sha256sum "$here/package-lock.json" | cut -c1-12)"
cache_root="${CRIER_CACHE_DIR:-$HOME/.cache/crier}"
dir="$cache_root/counting-refs-$lock_hash"
mkdir -p "$dir"

# One installer at a time per directory (parallel test sessions share the cache).
exec 9>"$dir/.lock"
flock 9

if [[ ! -f "$dir/.installed" ]]; then
    echo "install.sh: npm ci into $dir" >&2
    rm -rf "$dir/node_modules"
    cp "$here/package.json" "$here/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund >&2)
    date -u +%Y-%m-%dT%H:%M:%SZ >"$dir/.installed"
fi

# The harness changes more often than the lock file: refresh it atomically every time.
cp "$here/harness.mjs" "$dir/.harness.mjs.tmp"
mv -f "$dir/.harness.mjs.tmp" "$dir/harness.mjs"

echo "$dir"
