#!/usr/bin/env bash
# Installs what the test suite needs beyond Go, idempotently: Debian's chromium
# (browser tests), protoc (generated-code checks), Node.js (the script
# conformance corpus is compared with real node), Debian's prometheus (promtool: the
# alerting rules' checks and unit tests), and the pinned Helm,
# kube-apiserver and etcd in the tool cache (chart checks; hack/tools.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

pkgs=()
command -v chromium >/dev/null 2>&1 || pkgs+=(chromium fonts-liberation)
command -v protoc >/dev/null 2>&1 || pkgs+=(protobuf-compiler)
command -v shellcheck >/dev/null 2>&1 || pkgs+=(shellcheck)
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
# promtool checks and unit-tests the chart's alerting rules; the real-Agones suite runs prometheus itself.
command -v promtool >/dev/null 2>&1 || pkgs+=(prometheus)
if [ ${#pkgs[@]} -gt 0 ]; then
  "$here/apt-install.sh" "${pkgs[@]}"
fi
"$here/tools.sh" all >/dev/null
