#!/usr/bin/env bash
# All the tests, from a fresh clone: set-up, static checks, TypeScript unit
# tests, the engine's pytest suite, then end-to-end tests in a real VS Code.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
begin

bash scripts/setup.sh

step "Type-check, lint, build"
npx tsc -p . --noEmit
npx eslint src test bench
node esbuild.mjs

step "TypeScript unit tests"
t=$(date +%s)
bash scripts/unit.sh
echo "unit tests: $(elapsed "$t")"

step "Engine tests (pytest)"
t=$(date +%s)
bash scripts/pytest.sh
echo "engine tests: $(elapsed "$t")"

step "Package (VSIX size and file count)"
# Every run says what a writer downloads (the VSIX's last line) and what the bundles and the
# production install weigh; the end-to-end tests package again and install that VSIX.
node scripts/package.mjs | tail -n 1
node scripts/sizes.mjs

if [ -f test/e2e/run.mjs ]; then
  step "End-to-end tests (code-server + Chromium)"
  t=$(date +%s)
  node test/e2e/run.mjs
  echo "e2e tests: $(elapsed "$t")"
fi

echo "all tests passed in $(elapsed "$start")"
