#!/usr/bin/env bash
# Brings up a real Agones v1.60 control plane on this machine (../shared/realagones: real kube-apiserver,
# controller-manager, scheduler, Agones controller, extensions, allocator and one real sdk-server per
# GameServer, kwok nodes) and installs Leapfrog's chart on it the way `helm install` would. The objects that
# need a kubelet or a registry run as local processes with the same arguments and credentials: the allocator
# Deployment (with a token of the chart's ServiceAccount) and the helm test pod (the bot). Prints where the
# allocator answers. Running it again reinstalls the chart on the running control plane.
#
# Needs, besides Go: AGONES_BIN, a folder with the Agones v1.60.0 binaries controller, extensions, allocator
# and sdk-server, which you build yourself from Agones' own repository (README: "Real Agones").
#
# Environment: AGONES_BIN (required), REALAGONES_DIR (default ../shared/realagones), LEAPFROG_RIG_DIR (the
# rig's state, default ~/.cache/leapfrog/agones-rig), RIG_ALLOCATOR_LISTEN (default 127.0.0.1:18080: Agones'
# controller holds :8080), RIG_VALUES (values file, default test/agones/values.yaml).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${ROOT}/hack/lib.sh"
cd "${ROOT}"

RA="${REALAGONES_DIR:-${ROOT}/../shared/realagones}"
[[ -x "${RA}/realagones.sh" ]] || die "no real-Agones rig at ${RA} (set REALAGONES_DIR)"
[[ -n "${AGONES_BIN:-}" ]] || die "set AGONES_BIN to a folder with the Agones v1.60.0 binaries (README: Real Agones)"
for b in controller extensions allocator sdk-server; do
	[[ -x "${AGONES_BIN}/${b}" ]] || die "AGONES_BIN=${AGONES_BIN} has no ${b}"
done
export AGONES_BIN

log "system packages the rig needs"
hack/apt-install.sh curl jq openssl util-linux

log "Kubernetes tools of the rig (cached after the first build)"
eval "$("${RA}/toolchain/build.sh" | tail -n 1)"
export INFRA_BIN KWOK_STAGES
"${RA}/build.sh" >/dev/null

log "Leapfrog binaries and the pinned Helm"
make build >/dev/null
CGO_ENABLED=0 go build -trimpath -tags faultinject -o bin/race-server-faults ./gameserver/cmd/race-server
HELM="$(hack/tools.sh helm)"

RIG_WORK="${RIG_WORK:-${XDG_CACHE_HOME:-${HOME}/.cache}/realagones}"
export RIG_WORK
apiserver_pid="${RIG_WORK}/state/pids/kube-apiserver.pid"
if [[ -f "${RIG_WORK}/state/env.sh" && -f "${apiserver_pid}" ]] && kill -0 "$(cat "${apiserver_pid}")" 2>/dev/null; then
	log "the Agones control plane is already up"
else
	log "starting the Agones control plane"
	GAME_CMD="${ROOT}/bin/race-server" "${RA}/realagones.sh" up
fi
# shellcheck disable=SC1091
source "${RIG_WORK}/state/env.sh"

log "installing the chart"
go run ./test/agones/cmd/agonesrig up \
	--kubeconfig "${KUBECONFIG}" --pod-logs "${RIG_WORK}/logs" --bin "${ROOT}/bin" --helm "${HELM}" \
	--values "${RIG_VALUES:-test/agones/values.yaml}" --allocator-listen "${RIG_ALLOCATOR_LISTEN:-127.0.0.1:18080}"
