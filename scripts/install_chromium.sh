#!/usr/bin/env bash
# Install a headless-capable Chromium from Debian packages, for the report's screenshot test
# (tests/test_report.py). Prints the browser's path on success.
#
#   scripts/install_chromium.sh          # no-op when chromium / chromium-browser / google-chrome is on PATH
#
# Needs root (or passwordless sudo) and apt-get. Exit codes: 0 installed or already there, 2 cannot
# install here (no apt-get, not root), 1 the install failed. Measured on Debian 12 (2 cores, shared):
# 22 s with the package lists present (113 MB downloaded; docs/REPORT.md).
set -euo pipefail

find_browser() {
    for name in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

if browser=$(find_browser); then
    echo "$browser"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_chromium: no apt-get on this machine; install Chromium by hand" >&2
    exit 2
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "install_chromium: needs root (or passwordless sudo) to apt-get install chromium" >&2
    exit 2
fi

export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
# The package lists are refreshed only when the candidate is unknown (fresh containers have none).
if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    "${SUDO[@]}" apt-get update -q >&2
fi
# No recommends: the sandbox helper and desktop extras are not needed for --headless --no-sandbox.
# A font package so that text renders in the screenshot on a bare image.
# Wait up to 5 minutes for another apt/dpkg run to finish rather than fail on its lock.
"${SUDO[@]}" apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends \
    chromium fonts-dejavu-core >&2 || exit 1
echo "install_chromium: installed in $(( $(date +%s) - start ))s" >&2
find_browser || { echo "install_chromium: installed but no browser on PATH" >&2; exit 1; }
