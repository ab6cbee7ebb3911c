#!/usr/bin/env bash
# Installs what the test suite needs beyond Go: Debian's chromium for the
# browser tests. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v chromium >/dev/null 2>&1; then
  "$here/apt-install.sh" chromium fonts-liberation
fi
