#!/usr/bin/env bash
# Measures the time from starting the local stack to the first match served:
# it starts the given command, then polls POST /v1/guest + POST /v1/match on
# 127.0.0.1:PORT every 10 ms until a match comes back, prints the times to the
# first /healthz, guest and match, and the allocator's memory then, and stops
# the command's process group.
#
#   test/load/startup.sh make run                              # cold go run, PORT 8080
#   PORT=18080 test/load/startup.sh bin/allocator-local --listen 127.0.0.1:18080
#
# Run it from the repository root. RUNS (default 1) repeats the measurement.
set -euo pipefail

if [[ $# -eq 0 ]]; then
	echo "usage: $0 COMMAND [ARGS...]" >&2
	exit 2
fi
PORT=${PORT:-8080}
RUNS=${RUNS:-1}
BASE=http://127.0.0.1:$PORT

if curl -s -o /dev/null "$BASE/healthz"; then
	echo "something already answers on $BASE; stop it or choose another PORT" >&2
	exit 1
fi

now_ms() { echo $(($(date +%s%N) / 1000000)); }

pgid=
cleanup() {
	if [[ -n $pgid ]]; then
		kill -INT -- "-$pgid" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 -- "-$pgid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pgid" 2>/dev/null || true
		pgid=
	fi
}
trap cleanup EXIT

for run in $(seq "$RUNS"); do
	t0=$(now_ms)
	setsid "$@" >/dev/null 2>&1 &
	pgid=$!
	healthz= guest= match= token=
	deadline=$((t0 + 120000))
	while [[ -z $match ]]; do
		if (($(now_ms) > deadline)); then
			echo "no match within 120 s" >&2
			exit 1
		fi
		if ! kill -0 "$pgid" 2>/dev/null; then
			echo "the command exited before serving a match" >&2
			exit 1
		fi
		if [[ -z $healthz ]]; then
			curl -sf -o /dev/null "$BASE/healthz" && healthz=$(($(now_ms) - t0))
		fi
		if [[ -n $healthz && -z $token ]]; then
			token=$(curl -sf -X POST -d '{}' "$BASE/v1/guest" | sed -n 's/.*"guest_token":"\([^"]*\)".*/\1/p') || true
			[[ -n $token ]] && guest=$(($(now_ms) - t0))
		fi
		if [[ -n $token ]]; then
			curl -sf -o /dev/null -X POST -H "Authorization: Bearer $token" -d '{}' "$BASE/v1/match" && match=$(($(now_ms) - t0))
		fi
		[[ -n $match ]] || sleep 0.01
	done
	# The allocator is the process listening on PORT (under go run, a child).
	pid=$(ss -Hltnp "sport = :$PORT" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
	rss=$(awk '/^VmRSS/ {printf "%.1fMiB", $2 / 1024}' "/proc/$pid/status" 2>/dev/null || echo "?")
	heap=$(curl -sf "$BASE/metrics" | awk '$1 == "go_memstats_heap_inuse_bytes" {printf "%.1fMiB", $2 / 1048576}')
	echo "run=$run healthz=${healthz}ms guest=${guest}ms first_match=${match}ms rss=$rss heap_inuse=$heap loadavg=$(cut -d' ' -f1 /proc/loadavg)"
	cleanup
done
