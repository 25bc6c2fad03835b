#!/usr/bin/env bash
# Measures, for bin/argonaut (built with `make build` if missing):
#   - start-up time: from exec to the first 200 on /api/ (polled with curl),
#   - the binary's size,
#   - the idle RSS of the server (VmRSS in /proc/PID/status) after start-up
#     and again after IDLE seconds of idling.
# Usage: bench/startup.sh [RUNS] (default 5 runs; reports each and the median)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
idle=${IDLE:-5}
[ -x bin/argonaut ] || make --no-print-directory build >/dev/null

work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

echo "binary: bin/argonaut $(stat -c %s bin/argonaut) bytes ($(du -h bin/argonaut | cut -f1)), $(./bin/argonaut version)"
times=()
for i in $(seq "$runs"); do
	data="$work/data-$i"
	out="$work/out-$i"
	start=$(date +%s%N)
	./bin/argonaut server --listen 127.0.0.1:0 --data-dir "$data" >"$out" 2>"$work/err-$i" &
	pid=$!
	url=
	until [ -n "$url" ]; do
		url=$(sed -n 's/^Argonaut is running at //p' "$out")
		kill -0 "$pid" 2>/dev/null || { echo "server exited:"; cat "$work/err-$i"; exit 1; }
		[ -n "$url" ] || sleep 0.001
	done
	until [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/")" = 200 ]; do sleep 0.001; done
	end=$(date +%s%N)
	ms=$(( (end - start) / 1000000 ))
	times+=("$ms")
	rss_start=$(rss_kib "$pid")
	if [ "$i" = 1 ]; then
		sleep "$idle"
		rss_idle=$(rss_kib "$pid")
		echo "run $i: first 200 on /api/ after ${ms} ms (fresh data dir); VmRSS ${rss_start} KiB at start, ${rss_idle} KiB after ${idle}s idle"
	else
		echo "run $i: first 200 on /api/ after ${ms} ms (fresh data dir); VmRSS ${rss_start} KiB"
	fi
	kill -TERM "$pid"; wait "$pid"; pid=
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "start-up to first /api/ 200: median ${median} ms over ${runs} runs"
