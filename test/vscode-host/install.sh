#!/usr/bin/env bash
# Installs the real VS Code used by the integration and end-to-end tests: code-server from npm, plus
# Debian's chromium to drive it; and Debian's redis-server, which the Redis backend's tests start on ports of their own. Idempotent: each step is skipped when its result is already there.
set -euo pipefail
host="$(cd "$(dirname "$0")" && pwd)"

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v chromium >/dev/null || missing+=(chromium)
[ -e /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)   # kerberos (a code-server dependency) builds from source
command -v rg >/dev/null || missing+=(ripgrep)
command -v redis-server >/dev/null || missing+=(redis-server)   # the Redis backend's tests start their own servers
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install.sh: apt-get install ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -e "$host/node_modules/code-server/lib/vscode/node_modules/node-pty/build/Release/pty.node" ]; then
  # @vscode/ripgrep's postinstall downloads a binary from GitHub unless it finds this cached archive;
  # seed it with Debian's rg. Re-check the version and tag when upgrading code-server
  # (lib/vscode/npm-shrinkwrap.json and @vscode/ripgrep/lib/postinstall.js).
  rg_cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
  rg_archive="$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
  if [ ! -e "$rg_archive" ]; then
    mkdir -p "$rg_cache"
    staging="$(mktemp -d)"
    cp "$(command -v rg)" "$staging/rg"
    tar czf "$rg_archive" -C "$staging" rg
    rm -rf "$staging"
  fi
  # unsafe_perm: code-server refuses to install as root without it. yes: node-pty's postinstall runs npx.
  # dangerously_allow_all_scripts: the nested installs run by code-server's postinstall need their scripts.
  (cd "$host" && npm_config_unsafe_perm=true npm_config_yes=true npm_config_dangerously_allow_all_scripts=true \
    npm ci --no-audit --no-fund --loglevel=error)
fi
node -p "'code-server ' + require('$host/node_modules/code-server/package.json').version + ' ready'"
