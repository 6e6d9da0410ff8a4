#!/usr/bin/env bash
# npm run test:install: the relay as a user installs it on a host without this repository.
# Packs the package (prepack builds the production bundles), installs the tarball into a
# temporary prefix with `npm install -g --offline` (it has no dependencies: nothing is fetched),
# then, from an empty folder where this checkout's node_modules cannot be reached:
#   agrenting-relay --version, agrenting-sandbox --version,
#   agrenting-relay --sandbox --demo until a hiring shows in its status, then SIGTERM → exit 0.
set -euo pipefail
cd "$(dirname "$0")/../.."
want=$(node -p 'require("./package.json").version')
tmp=$(mktemp -d)
relay_pid=""
cleanup() {
  [ -n "$relay_pid" ] && kill -KILL "$relay_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
check() { # name, condition result (0 = ok)
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}

echo "== npm pack"
npm pack --pack-destination "$tmp" --loglevel=error >/dev/null
tarball=$(ls "$tmp"/agrenting-relay-*.tgz)
echo "   $(basename "$tarball"): $(du -k "$tarball" | cut -f1) KiB, $(tar -tzf "$tarball" | wc -l) files: $(tar -tzf "$tarball" | tr '\n' ' ')"

echo "== npm install -g --offline into a clean prefix"
mkdir -p "$tmp/prefix" "$tmp/cwd"
npm install -g --prefix "$tmp/prefix" --offline --no-audit --no-fund --loglevel=error "$tarball" >/dev/null
bin="$tmp/prefix/bin"
cd "$tmp/cwd"
unset NODE_PATH

got=$("$bin/agrenting-relay" --version 2>&1 || true)
[ "$got" = "$want" ]; check "agrenting-relay --version prints $want (got: $got)" $?
got=$("$bin/agrenting-sandbox" --version 2>&1 || true)
[ "$got" = "$want" ]; check "agrenting-sandbox --version prints $want (got: $got)" $?

echo "== the relay's lazily loaded packages are in the install and load without node_modules"
pkgdir="$tmp/prefix/lib/node_modules/agrenting-relay"
lazy=$(node -e '
  const d = process.argv[1];
  const want = { "relay-s3.js": "S3Client", "relay-octokit.js": "Octokit", "relay-simple-git.js": "simpleGit" };
  const bad = Object.entries(want).filter(([f, name]) => typeof require(d + "/dist/" + f)[name] !== "function");
  console.log(bad.length ? "missing: " + bad.map(([f, n]) => f + " " + n).join(", ") : "ok");
' "$pkgdir" 2>&1 | tail -1)
[ "$lazy" = "ok" ]; check "dist/relay-s3.js, relay-octokit.js, relay-simple-git.js load ($lazy)" $?

echo "== agrenting-relay --sandbox --demo"
"$bin/agrenting-relay" --sandbox --demo --state-dir "$tmp/state" --listen 127.0.0.1:0 </dev/null >"$tmp/out.txt" 2>"$tmp/err.txt" &
relay_pid=$!
shown=1
for _ in $(seq 1 120); do
  if grep -qE 'hirings\[[a-z_]+=[0-9]+' "$tmp/out.txt"; then shown=0; break; fi
  kill -0 "$relay_pid" 2>/dev/null || break
  sleep 0.5
done
check "a hiring shows in the relay's status: $(grep -oE 'hirings\[[^]]*\]' "$tmp/out.txt" | grep -v none | head -1)" $shown
kill -TERM "$relay_pid"
code=0
wait "$relay_pid" || code=$?
relay_pid=""
[ "$code" -eq 0 ]; check "agrenting-relay stops cleanly on SIGTERM (exit $code)" $?
if [ "$failed" -gt 0 ]; then
  echo "--- relay stdout"; tail -20 "$tmp/out.txt"; echo "--- relay stderr"; tail -40 "$tmp/err.txt"
fi
echo "install check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
