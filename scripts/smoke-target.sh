#!/usr/bin/env bash
# Smoke test of the linux-arm64 executable under emulation (issue 16), run by scripts/test.sh after the executable's
# end-to-end run: builds dist/keyrack-linux-arm64 (needs `npm run build` first) and runs it under Debian's
# qemu-aarch64-static: --version, an os.direct set/get, and the os.secure roundtrip with its agent (set with
# KEYRACK_PASSPHRASE, unlock, get, relock, get refused). The agent is started by keyrack re-running itself, which
# under qemu-user without binfmt_misc would exec an arm64 file on an x64 kernel: KEYRACK_AGENT_COMMAND starts it
# under qemu too.
#
#   bash scripts/smoke-target.sh [--no-build]     (--no-build: use the dist/keyrack-linux-arm64 already there)
# Needs: qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libatomic1-arm64-cross (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

qemu="$(command -v qemu-aarch64-static || true)"
sysroot=/usr/aarch64-linux-gnu
if [ -z "$qemu" ] || [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || [ ! -e "$sysroot/lib/libstdc++.so.6" ] || [ ! -e "$sysroot/lib/libatomic.so.1" ]; then
  echo "smoke-target: qemu-aarch64-static or the arm64 C libraries are missing" >&2
  echo "fix: sudo apt-get install -y qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libatomic1-arm64-cross" >&2
  exit 3
fi

bin="$PWD/dist/keyrack-linux-arm64"
if [ "${1:-}" != --no-build ]; then node scripts/build-binary.mjs --target linux-arm64; fi
(cd dist && sha256sum --quiet -c keyrack-linux-arm64.sha256)

work="$(mktemp -d)"
# The agent outlives the commands (it idles for minutes): it is stopped by its pid, which its start script records.
trap 'if [ -s "$work/agent.pid" ]; then kill "$(cat "$work/agent.pid")" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
printf '#!/bin/sh\necho $$ > %q\nexec %q %q "$@"\n' "$work/agent.pid" "$qemu" "$bin" >"$work/agent.sh"
chmod +x "$work/agent.sh"
# Node's official Linux builds are dynamically linked against glibc: qemu finds the arm64 one in Debian's cross sysroot.
export QEMU_LD_PREFIX="$sysroot"
export KEYRACK_HOME="$work/home" KEYRACK_AGENT_COMMAND="$work/agent.sh" HOME="$work" XDG_CONFIG_HOME="$work/config"
unset KEYRACK_PASSPHRASE KEYRACK_NEW_PASSPHRASE
started=$SECONDS
keyrack() { "$qemu" "$bin" "$@"; }
fail() {
  echo "smoke-target: FAILED: $*" >&2
  exit 1
}
# Every command's stderr is kept: a warning there (such as V8's "Code cache data rejected") fails the test too.
expect() { # expect <expected stdout> <command...>
  local want="$1" got
  shift
  got="$("$@" 2>"$work/stderr")" || fail "$* exited $? ($(cat "$work/stderr"))"
  [ "$got" = "$want" ] || fail "$* printed $(printf '%q' "$got"), not $(printf '%q' "$want")"
  [ ! -s "$work/stderr" ] || fail "$* wrote to stderr: $(cat "$work/stderr")"
}
quiet() { # quiet <command...>: succeeds; what it prints is not checked, a crash's is shown
  "$@" >"$work/out" 2>&1 || fail "$* exited $? ($(cat "$work/out"))"
}

version="$(keyrack --version 2>"$work/stderr")" || fail "--version exited $? ($(cat "$work/stderr"))"
case "$version" in "keyrack/$(node -p 'require("./package.json").version') linux-arm64 node-v"*) ;; *) fail "--version printed $version" ;; esac
[ ! -s "$work/stderr" ] || fail "--version wrote to stderr: $(cat "$work/stderr")"
printf '%s' 'https://api.test.example' | quiet keyrack set --key API_URL --env test --vault os.direct --value -
expect 'https://api.test.example' keyrack get --key API_URL --env test
printf '%s' 's3cret value' | KEYRACK_PASSPHRASE=smoke-passphrase quiet keyrack set --key DB_PASSWORD --env test --vault os.secure --value -
KEYRACK_PASSPHRASE=smoke-passphrase quiet keyrack unlock --env test
expect 's3cret value' keyrack get --key DB_PASSWORD --env test
quiet keyrack relock --env test
set +e
keyrack get --key DB_PASSWORD --env test >/dev/null 2>&1
locked=$?
set -e
[ "$locked" = 4 ] || fail "get after relock exited $locked, not 4 (locked)"
echo "smoke-target: dist/keyrack-linux-arm64 under qemu-aarch64-static: --version, os.direct set/get, os.secure set/unlock/get/relock passed ($((SECONDS - started))s)" >&2
