#!/usr/bin/env bash
# Installs the pinned tools the deploy checks need into a versioned cache folder and prints where they are.
#
#   hack/tools.sh helm            build Helm, print its path
#   hack/tools.sh envtest         build kube-apiserver, find or install etcd, print the assets folder
#   hack/tools.sh kube-apiserver  only kube-apiserver;  hack/tools.sh etcd  only etcd
#   hack/tools.sh all             both
#   hack/tools.sh env             print shell exports (HELM, KUBEBUILDER_ASSETS) for eval
#
# Nothing is written into the repository: wrapper modules live in the cache folder
# (LEAPFROG_CACHE, default ~/.cache/leapfrog). A tool already in the cache is reused as it is.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
K8S_VERSION="${K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
# apt: Debian's etcd-server (3.4, enough for envtest); go: build etcd ETCD_VERSION from its Go module.
ETCD_SOURCE="${ETCD_SOURCE:-apt}"
CACHE="${LEAPFROG_CACHE:-${HOME}/.cache/leapfrog}"

HELM_DIR="${CACHE}/helm-${HELM_VERSION}"
ASSETS_DIR="${CACHE}/k8s-${K8S_VERSION}"

log() { printf '==> %s\n' "$*" >&2; }

# staging_version maps a Kubernetes release (v1.37.2) to its staging modules' version (v0.37.2).
staging_version() {
	local v="${1#v1.}"
	printf 'v0.%s' "${v}"
}

install_helm() {
	if [[ -x "${HELM_DIR}/helm" ]]; then
		printf '%s\n' "${HELM_DIR}/helm"
		return
	fi
	log "building helm ${HELM_VERSION} into ${HELM_DIR}"
	mkdir -p "${HELM_DIR}"
	GOBIN="${HELM_DIR}" CGO_ENABLED=0 go install "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
	printf '%s\n' "${HELM_DIR}/helm"
}

# k8s_wrapper writes a module that requires k8s.io/kubernetes and swaps each of its ./staging replaces
# for the published staging module of the same release, so `go build` can resolve it from the proxy.
k8s_wrapper() {
	local dir="$1" gomod staging
	staging="$(staging_version "${K8S_VERSION}")"
	mkdir -p "${dir}"
	log "resolving k8s.io/kubernetes@${K8S_VERSION}"
	gomod="$(cd "${dir}" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" |
		sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
	if [[ -z "${gomod}" || ! -f "${gomod}" ]]; then
		echo "cannot find go.mod of k8s.io/kubernetes@${K8S_VERSION}" >&2
		return 1
	fi
	{
		printf 'module leapfrog.local/k8s-tools\n\ngo 1.26.0\n\n'
		printf 'tool k8s.io/kubernetes/cmd/kube-apiserver\n\n'
		printf 'require k8s.io/kubernetes %s\n\n' "${K8S_VERSION}"
		printf 'replace (\n'
		# Lines look like: "	k8s.io/api => ./staging/src/k8s.io/api".
		sed -n 's#^[[:space:]]*\([^[:space:]]*\) => \./staging/src/.*$#\1#p' "${gomod}" | sort -u |
			while read -r mod; do printf '\t%s => %s %s\n' "${mod}" "${mod}" "${staging}"; done
		printf ')\n'
	} >"${dir}/go.mod"
	(cd "${dir}" && GOFLAGS=-mod=mod go mod tidy)
}

install_kube_apiserver() {
	local out="${ASSETS_DIR}/kube-apiserver" src="${CACHE}/src/k8s-${K8S_VERSION}" minor
	if [[ -x "${out}" ]]; then
		return
	fi
	minor="${K8S_VERSION#v1.}"
	minor="${minor%%.*}"
	[[ -f "${src}/go.sum" ]] || k8s_wrapper "${src}"
	log "building kube-apiserver ${K8S_VERSION} (slow the first time: several minutes)"
	mkdir -p "${ASSETS_DIR}"
	(cd "${src}" && CGO_ENABLED=0 go build -o "${out}.tmp" -ldflags "\
-X k8s.io/component-base/version.gitVersion=${K8S_VERSION} \
-X k8s.io/component-base/version.gitMajor=1 \
-X k8s.io/component-base/version.gitMinor=${minor} \
-X k8s.io/component-base/version.gitTreeState=clean" k8s.io/kubernetes/cmd/kube-apiserver)
	mv "${out}.tmp" "${out}"
}

install_etcd() {
	local out="${ASSETS_DIR}/etcd" src="${CACHE}/src/etcd-${ETCD_VERSION}"
	if [[ -x "${out}" ]]; then
		return
	fi
	mkdir -p "${ASSETS_DIR}"
	case "${ETCD_SOURCE}" in
	apt)
		if ! command -v etcd >/dev/null 2>&1 && [[ ! -x /usr/bin/etcd ]]; then
			log "installing Debian's etcd-server"
			local sudo=()
			[[ "$(id -u)" == 0 ]] || sudo=(sudo)
			"${sudo[@]}" apt-get update -qq
			DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq etcd-server >/dev/null
		fi
		local bin
		bin="$(command -v etcd || echo /usr/bin/etcd)"
		ln -sf "${bin}" "${out}"
		;;
	go)
		log "building etcd ${ETCD_VERSION} from its Go module"
		mkdir -p "${src}"
		printf 'module leapfrog.local/etcd-tools\n\ngo 1.26.0\n\ntool go.etcd.io/etcd/server/v3\n' >"${src}/go.mod"
		(cd "${src}" && GOFLAGS=-mod=mod go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" &&
			GOFLAGS=-mod=mod go mod tidy &&
			CGO_ENABLED=0 go build -o "${out}.tmp" go.etcd.io/etcd/server/v3)
		mv "${out}.tmp" "${out}"
		;;
	*)
		echo "ETCD_SOURCE must be apt or go, not ${ETCD_SOURCE}" >&2
		return 2
		;;
	esac
}

install_envtest() {
	install_etcd
	install_kube_apiserver
	printf '%s\n' "${ASSETS_DIR}"
}

main() {
	case "${1:-all}" in
	helm) install_helm ;;
	envtest) install_envtest ;;
	kube-apiserver) install_kube_apiserver ;;
	etcd) install_etcd ;;
	all)
		install_helm
		install_envtest
		;;
	env)
		printf 'export HELM=%q\n' "$(install_helm)"
		printf 'export KUBEBUILDER_ASSETS=%q\n' "$(install_envtest)"
		;;
	*)
		echo "usage: $0 [helm|envtest|kube-apiserver|etcd|all|env]" >&2
		return 2
		;;
	esac
}

main "$@"
