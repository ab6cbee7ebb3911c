#!/usr/bin/env bash
# Deletes the kind cluster that hack/kind-up.sh created (and with it Agones and Leapfrog).
#
#   hack/kind-down.sh [--dry-run]
#
# Environment: KIND_CLUSTER (default leapfrog). Deleting a cluster that is not there is not an error.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${ROOT}/hack/lib.sh"

CLUSTER="${KIND_CLUSTER:-leapfrog}"

case "${1:-}" in
"") ;;
--dry-run) DRY_RUN=1 ;;
-h | --help)
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "usage: $0 [--dry-run]" >&2
	exit 2
	;;
esac

need kind
show kind get clusters
if [[ "${DRY_RUN}" != 1 ]] && ! kind get clusters 2>/dev/null | grep -qx "${CLUSTER}"; then
	log "no kind cluster ${CLUSTER}: nothing to do"
	exit 0
fi
log "deleting kind cluster ${CLUSTER}"
run kind delete cluster --name "${CLUSTER}"
log "done"
