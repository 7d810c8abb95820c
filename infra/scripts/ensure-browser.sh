#!/usr/bin/env bash
# Debian's Chromium for the browser tests (driven by playwright-core; no browser is ever downloaded by npm).
set -euo pipefail
log() { printf '[ensure-browser] %s\n' "$*" >&2; }
[ -x /usr/bin/chromium ] && exit 0
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
command -v apt-get >/dev/null || { log "no /usr/bin/chromium and no apt-get: install Chromium yourself"; exit 1; }
log "installing chromium from Debian's packages"
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null
