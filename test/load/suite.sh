#!/usr/bin/env bash
# Runs the allocator load figures of test/load/README.md: for each scenario a
# fresh allocator process (--backend=local) on loopback, then the load tool
# against it, one summary line per scenario. Stops every allocator it started.
#
#   test/load/suite.sh              # all scenarios
#   test/load/suite.sh repeat-64    # only the named ones
#
# Environment: PORT (default 18080), DURATION (default 10s), OUT (build dir,
# default a temporary directory), ALLOCATOR (an allocator binary to measure
# instead of building this tree's, e.g. to compare a change).
set -euo pipefail

cd "$(dirname "$0")/../.."
PORT=${PORT:-18080}
DURATION=${DURATION:-10s}
OUT=${OUT:-$(mktemp -d)}
ADDR=127.0.0.1:$PORT
# Rate limits out of the way: the load comes from one IP and few players.
LIMITS=(--guest-rate 1e6 --guest-burst 1000000 --match-rate 1e6 --match-burst 1000000 --max-places-per-ip 1000000 --max-conns-per-ip 4096)

ALLOCATOR=${ALLOCATOR:-$OUT/allocator}
if [[ $ALLOCATOR == "$OUT/allocator" ]]; then
	go build -o "$OUT/allocator" ./allocator/cmd/allocator-local
fi
go build -o "$OUT/load" ./test/load

pid=
stop_allocator() {
	if [[ -n $pid ]]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=
	fi
}
trap stop_allocator EXIT

# start_allocator SERVERS: a local fleet of SERVERS race servers, all Ready.
# An allocator that exits while starting is tried again, twice: in fleets of
# thousands two race servers may draw the same random name, and the fleet
# then waits 30 s for a server it lost and gives up.
start_allocator() {
	local n=$1 attempt
	if curl -s -o /dev/null "http://$ADDR/healthz"; then
		echo "something already answers on $ADDR; stop it or choose another PORT" >&2
		return 1
	fi
	for attempt in 1 2 3; do
		"$ALLOCATOR" --listen "$ADDR" --log-level warn "${LIMITS[@]}" \
			--local-buffer "$n" --local-min "$n" --local-max "$n" 2>>"$OUT/allocator.log" &
		pid=$!
		for _ in $(seq 600); do
			if curl -sf "http://$ADDR/readyz" >/dev/null; then
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		echo "allocator with $n servers did not come up (attempt $attempt); see $OUT/allocator.log" >&2
		stop_allocator
	done
	return 1
}

# scenario NAME SERVERS LOAD-FLAGS...
scenario() {
	local name=$1 servers=$2
	shift 2
	if [[ ${#selected[@]} -gt 0 && ! " ${selected[*]} " =~ " $name " ]]; then
		return 0
	fi
	start_allocator "$servers" || { status=1; return 0; }
	printf '%-16s servers=%-5s ' "$name" "$servers"
	"$OUT/load" -allocator "http://$ADDR" -concurrency 64 -duration "$DURATION" "$@" 2>>"$OUT/load.log" || status=1
	stop_allocator
}

selected=("$@")
status=0
echo "# $(uptime)"
# The HTTP floor and token minting, on the default-sized fleet.
scenario healthz 8 -mode healthz
scenario healthz-5k 8 -mode healthz -rate 5000
scenario guest 8 -mode guest
scenario guest-5k 8 -mode guest -rate 5000
# The idempotent match path: 64 players hold places on 32 of the servers.
scenario repeat-40 40 -mode repeat
scenario repeat-40-5k 40 -mode repeat -rate 5000
scenario repeat-512 512 -mode repeat
# Fresh players: every request takes a new place; the run ends when the
# guests (2 per server) are used up.
scenario fresh-64 64 -mode fresh -guests 128
scenario fresh-512 512 -mode fresh -guests 1024
scenario fresh-2000 2000 -mode fresh -guests 4000
scenario fresh-4000-5k 4000 -mode fresh -guests 8000 -rate 5000
echo "# $(uptime)"
exit "$status"
