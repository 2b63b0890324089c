#!/usr/bin/env bash
# What the Browser test (tests/browser/investigator_browser.mjs) needs: Debian's chromium and playwright-core
# (pinned) from npm, installed outside the repository in ~/.cache/entity-resolution/browser-test/. Idempotent;
# prints the folder to give as PLAYWRIGHT_DIR. Without apt rights and without chromium it says so and exits 1.
set -euo pipefail
PLAYWRIGHT_CORE_VERSION=1.49.1
DIR=${ER_BROWSER_TEST_DIR:-$HOME/.cache/entity-resolution/browser-test}

if ! command -v chromium >/dev/null 2>&1; then
  # A fresh machine may have no package lists yet: update once and retry.
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n apt-get install -y -q chromium >/dev/null \
      || { sudo -n apt-get update -q >/dev/null && sudo -n apt-get install -y -q chromium >/dev/null; }
  else
    echo "browser-test-deps: chromium is missing and apt-get needs root: apt-get install chromium" >&2
    exit 1
  fi
fi
mkdir -p "$DIR"
if [ "$(node -p "try { require('$DIR/node_modules/playwright-core/package.json').version } catch { '' }" 2>/dev/null)" \
     != "$PLAYWRIGHT_CORE_VERSION" ]; then
  (cd "$DIR" && [ -f package.json ] || echo '{"private": true}' > package.json)
  (cd "$DIR" && npm install --no-audit --no-fund --silent "playwright-core@$PLAYWRIGHT_CORE_VERSION" >/dev/null)
fi
echo "$DIR"
