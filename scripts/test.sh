#!/usr/bin/env bash
# Start the managed Neo4j (installing it from Maven Central if needed), run the whole test suite, stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin

"$BIN/er" neo4j install
# Debian chromium and playwright-core for tests/browser/ (run by tests/integration/test_investigator_graph.py)
scripts/browser-test-deps.sh >/dev/null
"$BIN/er" neo4j start --timeout 600
trap '"$BIN/er" neo4j stop || true' EXIT
# Tests that need Neo4j fail (not skip) when it is unreachable.
"$BIN/pytest" -q "$@"
