#!/usr/bin/env bash
# Creates a kind cluster with Agones and Leapfrog, in one command, and prints the URL to open.
#
#   hack/kind-up.sh [--dry-run] [--monitoring] [--timeout SECONDS]
#
#   --dry-run      print every command instead of running it (needs none of the tools)
#   --monitoring   also install kube-prometheus-stack, the ServiceMonitors and the Grafana dashboard
#   --timeout      seconds to wait for the Fleet to be Ready (default 300)
#
# Needs docker, kind, kubectl and helm. Running it again updates what is there: the cluster is created
# only when missing, the charts are upgraded in place and the image is rebuilt and reloaded.
# Environment: KIND_CLUSTER (default leapfrog), KIND_NODE_IMAGE (default: kind's own; Agones 1.60 supports
# Kubernetes 1.34 to 1.36), LEAPFROG_IMAGE (default leapfrog), KUBE_PROMETHEUS_STACK_VERSION (default: latest).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${ROOT}/hack/lib.sh"

CLUSTER="${KIND_CLUSTER:-leapfrog}"
CONTEXT="kind-${CLUSTER}"
KIND_NODE_IMAGE="${KIND_NODE_IMAGE:-}"
IMAGE_REPO="${LEAPFROG_IMAGE:-leapfrog}"
# The namespace is also listed in deploy/kind/agones-values.yaml (gameservers.namespaces).
NAMESPACE=leapfrog
RELEASE=leapfrog
FLEET="${RELEASE}-race"
AGONES_VERSION=1.60.0
AGONES_REPO=https://agones.dev/chart/stable
PROMETHEUS_REPO=https://prometheus-community.github.io/helm-charts
PROM_STACK_VERSION="${KUBE_PROMETHEUS_STACK_VERSION:-}"
URL=http://127.0.0.1:8080/
MONITORING=0
TIMEOUT=300

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
	case "$1" in
	--dry-run) DRY_RUN=1 ;;
	--monitoring) MONITORING=1 ;;
	--timeout)
		[[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || die "--timeout needs a number of seconds"
		TIMEOUT="$2"
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
	shift
done

cluster_exists() {
	show kind get clusters
	[[ "${DRY_RUN}" == 1 ]] && return 1
	kind get clusters 2>/dev/null | grep -qx "${CLUSTER}"
}

create_cluster() {
	log "kind cluster ${CLUSTER}"
	if cluster_exists; then
		log "cluster ${CLUSTER} exists, keeping it"
	else
		local args=(create cluster --name "${CLUSTER}" --config "${ROOT}/deploy/kind/cluster.yaml" --wait 120s)
		[[ -n "${KIND_NODE_IMAGE}" ]] && args+=(--image "${KIND_NODE_IMAGE}")
		run kind "${args[@]}"
	fi
	run kubectl --context "${CONTEXT}" cluster-info
}

install_monitoring() {
	log "kube-prometheus-stack (Prometheus, Grafana, prometheus-operator CRDs)"
	run helm repo add prometheus-community "${PROMETHEUS_REPO}" --force-update
	run helm repo update prometheus-community
	local version=()
	[[ -n "${PROM_STACK_VERSION}" ]] && version=(--version "${PROM_STACK_VERSION}")
	run helm upgrade --install kube-prometheus-stack prometheus-community/kube-prometheus-stack \
		"${version[@]}" --kube-context "${CONTEXT}" --namespace monitoring --create-namespace \
		-f "${ROOT}/deploy/monitoring/kube-prometheus-stack-values.yaml" --wait --timeout 10m
}

install_agones() {
	log "Agones ${AGONES_VERSION}"
	run helm repo add agones "${AGONES_REPO}" --force-update
	run helm repo update agones
	local values=(-f "${ROOT}/deploy/kind/agones-values.yaml")
	[[ "${MONITORING}" == 1 ]] && values+=(-f "${ROOT}/deploy/monitoring/agones-values.yaml")
	run helm upgrade --install agones agones/agones --version "${AGONES_VERSION}" \
		--kube-context "${CONTEXT}" --namespace agones-system --create-namespace \
		"${values[@]}" --wait --timeout 10m
}

# build_image builds the image and loads it into kind under a tag made from the image id, so that a
# changed image always rolls out and an unchanged one never does.
build_image() {
	log "image ${IMAGE_REPO}"
	local revision=unknown id
	if [[ "${DRY_RUN}" != 1 ]] && command -v git >/dev/null 2>&1; then
		revision="$(git -C "${ROOT}" rev-parse HEAD 2>/dev/null || echo unknown)"
	fi
	run docker build -t "${IMAGE_REPO}:dev" --build-arg VERSION=dev --build-arg "REVISION=${revision}" "${ROOT}"
	show docker image inspect --format '{{.Id}}' "${IMAGE_REPO}:dev"
	if [[ "${DRY_RUN}" == 1 ]]; then
		id=sha256:000000000000dryrun
	else
		id="$(docker image inspect --format '{{.Id}}' "${IMAGE_REPO}:dev")"
	fi
	id="${id#sha256:}"
	IMAGE_TAG="dev-${id:0:12}"
	run docker tag "${IMAGE_REPO}:dev" "${IMAGE_REPO}:${IMAGE_TAG}"
	run kind load docker-image "${IMAGE_REPO}:${IMAGE_TAG}" --name "${CLUSTER}"
}

install_leapfrog() {
	log "Leapfrog (release ${RELEASE}, namespace ${NAMESPACE})"
	local values=(-f "${ROOT}/deploy/kind/leapfrog-values.yaml")
	[[ "${MONITORING}" == 1 ]] && values+=(-f "${ROOT}/deploy/monitoring/leapfrog-values.yaml")
	run helm upgrade --install "${RELEASE}" "${ROOT}/charts/leapfrog" \
		--kube-context "${CONTEXT}" --namespace "${NAMESPACE}" --create-namespace \
		"${values[@]}" --set "image.repository=${IMAGE_REPO}" --set "image.tag=${IMAGE_TAG}" \
		--wait --timeout 5m
}

# wait_fleet waits until the Fleet has as many Ready GameServers as it wants (at least one).
wait_fleet() {
	log "waiting up to ${TIMEOUT}s for Fleet ${FLEET} to be Ready"
	local query=(kubectl --context "${CONTEXT}" -n "${NAMESPACE}" get fleet "${FLEET}"
		-o 'jsonpath={.spec.replicas} {.status.readyReplicas}')
	show "${query[@]}"
	[[ "${DRY_RUN}" == 1 ]] && return 0
	local deadline=$((SECONDS + TIMEOUT)) want ready
	while :; do
		read -r want ready < <("${query[@]}" 2>/dev/null || true) || true
		want="${want:-0}"
		ready="${ready:-0}"
		if ((want > 0 && ready >= want)); then
			log "Fleet ${FLEET}: ${ready}/${want} Ready"
			return 0
		fi
		if ((SECONDS >= deadline)); then
			kubectl --context "${CONTEXT}" -n "${NAMESPACE}" get gameservers >&2 || true
			die "Fleet ${FLEET} has ${ready}/${want} Ready GameServers after ${TIMEOUT}s"
		fi
		log "Fleet ${FLEET}: ${ready}/${want} Ready"
		sleep 5
	done
}

main() {
	need docker kind kubectl helm
	[[ "${DRY_RUN}" == 1 ]] && log "dry run: printing the commands, running none"
	create_cluster
	[[ "${MONITORING}" == 1 ]] && install_monitoring
	install_agones
	build_image
	install_leapfrog
	wait_fleet
	log "Leapfrog is up: open ${URL}"
	if [[ "${MONITORING}" == 1 ]]; then
		log "Grafana (admin/leapfrog): kubectl --context ${CONTEXT} -n monitoring port-forward svc/kube-prometheus-stack-grafana 3000:80, then http://127.0.0.1:3000/"
	fi
	log "tear down with: hack/kind-down.sh"
	printf '%s\n' "${URL}"
}

main
