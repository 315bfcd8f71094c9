#!/usr/bin/env bash
# TypeScript unit tests (node:test through tsx). Node 20's --test takes no globs, so list the files.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mapfile -t files < <(find test/unit -name '*.test.ts' | sort)
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 "${files[@]}" "$@"
