#!/usr/bin/env bash
# Builds the Mega Frog Race browser client.
#
#   web/build.sh                      generate web/src/gen, type-check, bundle into internal/allocator/webui/dist
#   web/build.sh --out DIR --gen DIR  write the bundle and the generated code elsewhere (web/check.sh)
#
# The output depends only on the sources, the .proto files and the pinned packages in package-lock.json,
# so rebuilding an unchanged tree gives byte-identical files.
set -euo pipefail

WEB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${WEB}/.." && pwd)"
OUT="${ROOT}/internal/allocator/webui/dist"
GEN="${WEB}/src/gen"
PROTO_DIR="${ROOT}/contract/proto"
PROTOC="${PROTOC:-protoc}"

while [[ $# -gt 0 ]]; do
	case "$1" in
	--out) OUT="$2"; shift 2 ;;
	--gen) GEN="$2"; shift 2 ;;
	*) echo "usage: $0 [--out DIR] [--gen DIR]" >&2; exit 2 ;;
	esac
done

export LC_ALL=C TZ=UTC
log() { printf '==> %s\n' "$*" >&2; }
cd "${WEB}"

if [[ ! -d node_modules ]]; then
	log "installing pinned packages (npm ci)"
	npm ci --no-audit --no-fund --loglevel=error
fi
if ! command -v "${PROTOC}" >/dev/null; then
	echo "protoc not found: apt-get install -y protobuf-compiler" >&2
	exit 1
fi

log "generating TypeScript from ${PROTO_DIR#"${ROOT}/"} into ${GEN}"
rm -rf "${GEN}"
mkdir -p "${GEN}"
mapfile -t protos < <(cd "${PROTO_DIR}" && find . -name '*.proto' -printf '%P\n' | sort)
"${PROTOC}" \
	--plugin=protoc-gen-es="${WEB}/node_modules/.bin/protoc-gen-es" \
	--proto_path="${PROTO_DIR}" \
	--es_out="${GEN}" \
	--es_opt=target=ts \
	"${protos[@]}"
log "generating TypeScript from contract/matchapi and contract/closecode"
(cd "${ROOT}" && go run ./internal/tools/tsgen) >"${GEN}/leapfrog/contract.ts"

log "type-checking"
node_modules/.bin/tsc --noEmit -p .
node_modules/.bin/tsc --noEmit -p test

log "unit tests"
TEST_DIR="$(mktemp -d)"
trap 'rm -rf "${TEST_DIR}"' EXIT
node_modules/.bin/esbuild test/race.test.ts --bundle --platform=node --format=esm --target=node20 \
	--log-level=warning --outfile="${TEST_DIR}/race.test.mjs"
node --test --test-reporter=dot "${TEST_DIR}/race.test.mjs"

log "bundling into ${OUT}"
mkdir -p "${OUT}"
rm -f "${OUT}/index.html" "${OUT}/app.js" "${OUT}/app.css"
node_modules/.bin/esbuild src/main.ts \
	--bundle --minify --format=iife --target=es2020 --charset=utf8 \
	--log-level=warning --outfile="${OUT}/app.js"
node_modules/.bin/esbuild static/app.css \
	--minify --charset=utf8 --log-level=warning --outfile="${OUT}/app.css"

# The page asks for app.js?v=<hash> so the server can let browsers cache the versioned URLs for good.
version() { sha256sum "$1" | cut -c1-12; }
sed -e "s/__APP_JS_VERSION__/$(version "${OUT}/app.js")/" \
	-e "s/__APP_CSS_VERSION__/$(version "${OUT}/app.css")/" \
	static/index.html >"${OUT}/index.html"

log "$(wc -c <"${OUT}/app.js") bytes app.js, $(wc -c <"${OUT}/app.css") bytes app.css, $(wc -c <"${OUT}/index.html") bytes index.html"
