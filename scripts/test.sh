#!/usr/bin/env bash
# The whole test suite from a fresh clone: install what the tests need, then build and run every test.
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
npm test
