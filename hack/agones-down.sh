#!/usr/bin/env bash
# Stops what hack/agones-up.sh started: the allocator processes, the chart's releases, then the Agones
# control plane. KEEP_AGONES=1 leaves the control plane running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${ROOT}/hack/lib.sh"
cd "${ROOT}"

RA="${REALAGONES_DIR:-${ROOT}/../shared/realagones}"
RIG_WORK="${RIG_WORK:-${XDG_CACHE_HOME:-${HOME}/.cache}/realagones}"
export RIG_WORK
if [[ -f "${RIG_WORK}/state/env.sh" ]]; then
	# shellcheck disable=SC1091
	source "${RIG_WORK}/state/env.sh"
	log "removing the chart's releases"
	go run ./test/agones/cmd/agonesrig down --kubeconfig "${KUBECONFIG}"
	if [[ "${KEEP_AGONES:-0}" != 1 ]]; then
		log "stopping the Agones control plane"
		# realagones.sh checks these are set even to stop.
		INFRA_BIN="${INFRA_BIN:-unused}" AGONES_BIN="${AGONES_BIN:-unused}" KWOK_STAGES="${KWOK_STAGES:-unused}" \
			"${RA}/realagones.sh" down
	fi
else
	go run ./test/agones/cmd/agonesrig down
	log "the Agones control plane is not up"
fi
