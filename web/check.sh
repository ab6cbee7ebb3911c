#!/usr/bin/env bash
# Fails when the committed bundle (internal/allocator/webui/dist) or generated code (web/src/gen) is not what
# web/build.sh makes from the current sources. Run by CI; fix a failure with web/build.sh and commit.
set -euo pipefail

WEB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${WEB}/.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "${TMP}"' EXIT

# The bundle is built from web/src/gen, so check the generated code first.
"${WEB}/build.sh" --gen "${TMP}/gen" --out "${TMP}/dist"
status=0
if ! diff -r "${TMP}/gen" "${WEB}/src/gen" >"${TMP}/gen.diff"; then
	echo "web/src/gen is stale: run web/build.sh and commit the result" >&2
	head -n 40 "${TMP}/gen.diff" >&2
	status=1
fi
# The bundle is minified onto a few long lines: name the files that differ rather than print them.
if ! diff -rq "${TMP}/dist" "${ROOT}/internal/allocator/webui/dist" >&2; then
	echo "internal/allocator/webui/dist is stale: run web/build.sh and commit the result" >&2
	status=1
fi
[[ ${status} -eq 0 ]] && echo "web bundle and generated code are current" >&2
exit "${status}"
