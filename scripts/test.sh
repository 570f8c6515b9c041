#!/usr/bin/env bash
# The whole test suite from a fresh clone: install what the tests need, build, typecheck, run every test from the
# sources (bin/run.js), then build the single executable and run the end-to-end suite against it.
# README: `bash scripts/test.sh`. CI (.ci/run) calls this same script.
set -euo pipefail
cd "$(dirname "$0")/.."

# The end-to-end suite drives the real aws CLI v2 against a local fake IAM Identity Center.
# An `aws` earlier on PATH may be CLI v1, so look for any v2 on PATH.
has_aws_v2() {
  local IFS=:
  for dir in $PATH; do
    if [ -x "$dir/aws" ] && "$dir/aws" --version 2>&1 | grep -q '^aws-cli/2\.'; then return 0; fi
  done
  return 1
}
if ! has_aws_v2; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "scripts/test.sh: installing the aws CLI v2 (apt-get install -y awscli)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli >/dev/null
  else
    echo "scripts/test.sh: no aws CLI v2 found and not root: the aws.iam.sso end-to-end tests will be SKIPPED." >&2
    echo "  Install it with: sudo apt-get update && sudo apt-get install -y awscli" >&2
  fi
fi

npm ci --no-audit --no-fund
npm run build
npm run typecheck

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
