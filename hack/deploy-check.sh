#!/usr/bin/env bash
# The deploy checks, in one command (CI runs this):
#   1. pinned tools into the cache (Helm, kube-apiserver, etcd: hack/tools.sh), shellcheck if missing
#   2. shellcheck on hack/*.sh
#   3. helm lint --strict and helm template for the default values and every values set we ship
#   4. go test -v ./test/deploy/... (chart, Dockerfile, scripts, and the envtest API server checks)
#
# Environment: LEAPFROG_CACHE (tool cache, default ~/.cache/leapfrog), KUBE_VERSION (the Kubernetes version
# Helm renders for, default 1.36.0: the newest that Agones 1.60 supports).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${ROOT}/hack/lib.sh"
cd "${ROOT}"

KUBE_VERSION="${KUBE_VERSION:-1.36.0}"
CHART=charts/leapfrog
started=${SECONDS}

step_started=${SECONDS}
step() {
	log "$* (+$((SECONDS - started))s)"
	step_started=${SECONDS}
}

step "tools"
HELM="$(hack/tools.sh helm)"
KUBEBUILDER_ASSETS="$(hack/tools.sh envtest)"
export HELM KUBEBUILDER_ASSETS
if ! command -v shellcheck >/dev/null 2>&1; then
	log "installing shellcheck"
	sudo=()
	[[ "$(id -u)" == 0 ]] || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq shellcheck >/dev/null
fi
log "helm: ${HELM}; envtest assets: ${KUBEBUILDER_ASSETS} ($((SECONDS - step_started))s)"

step "shellcheck"
shellcheck --version | sed -n 2p
shellcheck -x hack/*.sh

step "helm lint and template (Kubernetes ${KUBE_VERSION})"
value_sets=("" "${CHART}"/ci/*-values.yaml deploy/kind/leapfrog-values.yaml)
for values in "${value_sets[@]}"; do
	args=()
	[[ -n "${values}" ]] && args=(-f "${values}")
	printf '  %-48s' "${values:-default values}"
	"${HELM}" lint --strict --quiet "${CHART}" --kube-version "${KUBE_VERSION}" "${args[@]}" >/dev/null
	t0=$(date +%s%N)
	count="$("${HELM}" template leapfrog "${CHART}" --namespace leapfrog --kube-version "${KUBE_VERSION}" \
		"${args[@]}" | grep -c '^kind:')"
	t1=$(date +%s%N)
	printf 'lint ok, %2d objects rendered in %d ms\n' "${count}" $(((t1 - t0) / 1000000))
done

step "go test ./test/deploy/..."
go test -v -count=1 ./test/deploy/...

log "deploy checks passed in $((SECONDS - started))s"
