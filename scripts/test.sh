#!/usr/bin/env bash
# The whole test suite from a fresh clone: install what the tests need, build, typecheck, run every test from the
# sources (bin/run.js), then build the single executable and run the end-to-end suite against it.
# README: `bash scripts/test.sh`. CI (.ci/run) calls this same script.
set -euo pipefail
cd "$(dirname "$0")/.."

# The end-to-end suite drives the real aws CLI v2 against a local fake IAM Identity Center, on Debian's awscli
# (/usr/bin/aws, 2.9.19) AND on the 2.36.7 in ../shared/tools/aws-cli-v2, which runs on the Python packages that
# `apt-get install awscli` brings (issue 11). So Debian's awscli is needed even when another aws v2 is on PATH.
has_debian_aws_v2() {
  [ -x /usr/bin/aws ] && /usr/bin/aws --version 2>&1 | grep -q '^aws-cli/2\.'
}
if ! has_debian_aws_v2; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "scripts/test.sh: installing Debian's aws CLI v2 (apt-get install -y awscli)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli >/dev/null
  else
    echo "scripts/test.sh: no aws CLI v2 at /usr/bin/aws and not root: the aws.iam.sso end-to-end tests will be SKIPPED." >&2
    echo "  Install it with: sudo apt-get update && sudo apt-get install -y awscli" >&2
  fi
fi

npm ci --no-audit --no-fund
npm run build
npm run typecheck
# The house plan: imports run down the layers, no circles (scripts/check-layers.mjs).
npm run check:layers

results=.test-results
rm -rf "$results" && mkdir -p "$results"
status=0
# Every test (unit, vault contract, end to end) against bin/run.js.
npx vitest run --reporter=default --reporter=json --outputFile.json="$results/source.json" || status=1
# The end-to-end suite again, against the single executable (issue 7: every command works from the binary).
if npm run build:binary; then
  KEYRACK_E2E_BIN="$PWD/dist/keyrack" npx vitest run --project e2e --reporter=default --reporter=json --outputFile.json="$results/binary.json" || status=1
else
  status=1
fi
node_modules/.bin/node scripts/test-summary.mjs "$results/source.json" "$results/binary.json" || status=1
exit $status
