#!/usr/bin/env bash
# Installs what the end-to-end suite needs: Debian's Chromium, ripgrep and Kerberos
# headers, and code-server 4.100.3 (VS Code 1.100) from npm into a cache folder
# outside the repository. Idempotent: a second run only checks.
# Why these steps: ../shared/docs/testing.md ("Real VS Code").
set -euo pipefail

CACHE="${AGRENTING_E2E_CACHE:-$HOME/.cache/agrenting-e2e}"
CS_VERSION="4.100.3"
CS_DIR="$CACHE/code-server-$CS_VERSION"
MARKER="$CS_DIR/.installed"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
[ -f /usr/include/gssapi.h ] || [ -f /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "e2e setup: installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ -f "$MARKER" ]; then
  echo "e2e setup: code-server $CS_VERSION ready in $CS_DIR"
  exit 0
fi

echo "e2e setup: installing code-server $CS_VERSION into $CS_DIR (a few minutes the first time)"
rm -rf "$CS_DIR"
mkdir -p "$CS_DIR"
cd "$CS_DIR"
echo '{"name":"agrenting-e2e-code-server","private":true}' > package.json
export npm_config_yes=true
npm install --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION" --ignore-scripts
cd node_modules/code-server/lib/vscode
npm install --no-audit --no-fund --loglevel=error --omit=dev --ignore-scripts
npm rebuild --loglevel=error kerberos node-pty @parcel/watcher @vscode/spdlog native-watchdog @vscode/deviceid
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
ln -sfn node_modules node_modules.asar
(cd extensions && npm install --no-audit --no-fund --loglevel=error --omit=dev)
cd ../../../..
npm rebuild --loglevel=error argon2
touch "$MARKER"
echo "e2e setup: done"
