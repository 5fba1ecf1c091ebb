#!/usr/bin/env bash
# Installs Debian's Chromium for the browser end-to-end tests (apps/demo/e2e) when it is missing.
# playwright-core drives /usr/bin/chromium through executablePath; it never downloads a browser.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "ensure-chromium: /usr/bin/chromium is missing and we are not root; install the Debian package chromium" >&2
    exit 1
  fi
fi

echo "ensure-chromium: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
