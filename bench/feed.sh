#!/usr/bin/env bash
# Built-in feed throughput and memory, for bin/argonaut (built if missing).
# In one run, on the same disk (the temp dir):
#   - baseline: cp of an incompressible SIZE_MB package + fsync of the copy;
#   - push: `argonaut push` of the same file through the real HTTP path
#     (multipart with a Content-Length, the file sent by sendfile; durable:
#     the server fsyncs before answering 201);
#   - the server's peak RSS growth during the push (VmHWM after the push,
#     reset with clear_refs just before it, minus VmRSS before it);
#   - download of the package (curl to /dev/null) vs reading the file (cat).
# Prints MB/s for each and the ratios (issue 3 goals: push/cp >= 0.6, RSS
# growth <= 64 MB whatever the size).
# The cp and push measurements alternate ROUNDS times (default 3; the package
# is deleted between pushes, so each push stores a new blob like the first):
# the ratio is that of the best cp and the best push, and every round is
# printed too. On a machine shared with other builds a single round mostly
# measures the neighbours.
# Usage: [ROUNDS=N] bench/feed.sh [SIZE_MB ...]   (default: 200)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(200)
rounds=${ROUNDS:-3}
[ -x bin/argonaut ] || make --no-print-directory build >/dev/null

work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s%N; }
mbps() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.1f", (b / 1048576) / (ns / 1e9) }'; }
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

touch "$work/out"
pass=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
ARGONAUT_ADMIN_USERNAME=admin ARGONAUT_ADMIN_PASSWORD=$pass \
	./bin/argonaut server --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/out" 2>"$work/err" &
pid=$!
url=
until [ -n "$url" ]; do
	url=$(sed -n 's/^Argonaut is running at //p' "$work/out")
	kill -0 "$pid" 2>/dev/null || { echo "server exited:"; cat "$work/err"; exit 1; }
	[ -n "$url" ] || sleep 0.01
done
curl -s -c "$work/jar" -o /dev/null -H 'Content-Type: application/json' \
	-d "{\"Username\":\"admin\",\"Password\":\"$pass\"}" "$url/api/users/login"
csrf=$(awk '$6 == "Octopus-Csrf-Token" {print $7}' "$work/jar")
key=$(curl -s -b "$work/jar" -H "X-Octopus-Csrf-Token: $csrf" -d '{"Purpose":"bench"}' \
	"$url/api/users/Users-1/apikeys" | sed -n 's/.*"ApiKey":"\([^"]*\)".*/\1/p')
[ -n "$key" ] || { echo "could not create an API key"; exit 1; }

echo "feed benchmark on $(df -h "$work" | awk 'NR==2 {print $1}'), $(nproc) cores, $(./bin/argonaut version)"
for size in "${sizes[@]}"; do
	pkg="$work/Acme.Bench.$size.0.0.tar"
	head -c "$((size * 1048576))" /dev/urandom >"$work/payload.bin"
	tar -C "$work" -cf "$pkg" payload.bin
	rm "$work/payload.bin"
	bytes=$(stat -c %s "$pkg")
	cat "$pkg" >/dev/null # both sides read it from the page cache

	cp_runs=() push_runs=() ratios=() growth=-1
	for round in $(seq "$rounds"); do
		t0=$(now)
		cp "$pkg" "$work/copy.tar"
		sync "$work/copy.tar"
		t1=$(now)
		rm "$work/copy.tar"
		cp_runs+=("$(mbps "$bytes" $((t1 - t0)))")

		before=$(status_kib "$pid" VmRSS)
		echo 5 >"/proc/$pid/clear_refs" # reset VmHWM to the current RSS
		t0=$(now)
		./bin/argonaut push "$pkg" --server "$url" --api-key "$key" >"$work/push.out" 2>&1 ||
			{ cat "$work/push.out"; exit 1; }
		t1=$(now)
		after=$(status_kib "$pid" VmHWM)
		push_runs+=("$(mbps "$bytes" $((t1 - t0)))")
		ratios+=("$(awk -v a="${push_runs[-1]}" -v b="${cp_runs[-1]}" 'BEGIN { printf "%.2f", a / b }')")
		if [ $((after - before)) -gt "$growth" ]; then
			growth=$((after - before)) rss_before=$before hwm=$after
		fi
		if [ "$round" -lt "$rounds" ]; then
			curl -s -f -o /dev/null -X DELETE -H "X-Octopus-ApiKey: $key" "$url/api/packages/packages-Acme.Bench.$size.0.0"
		fi
	done

	# The same upload by curl (Content-Length, not chunked), for comparison.
	t0=$(now)
	curl -s -f -o /dev/null -H "X-Octopus-ApiKey: $key" -F "file=@$pkg;type=application/octet-stream" \
		"$url/api/packages/raw?overwriteMode=OverwriteExisting"
	t1=$(now)
	curl_ns=$((t1 - t0))

	t0=$(now)
	curl -s -f -o /dev/null -H "X-Octopus-ApiKey: $key" "$url/api/packages/packages-Acme.Bench.$size.0.0/raw"
	t1=$(now)
	dl_ns=$((t1 - t0))
	t0=$(now)
	cat "$pkg" >/dev/null
	t1=$(now)
	cat_ns=$((t1 - t0))

	best() { printf '%s\n' "$@" | sort -g | tail -n 1; }
	cp_rate=$(best "${cp_runs[@]}")
	push_rate=$(best "${push_runs[@]}")
	echo "package $((bytes / 1048576)) MiB (incompressible .tar), best of $rounds rounds:"
	echo "  cp + fsync          $cp_rate MB/s (rounds: ${cp_runs[*]})"
	echo "  argonaut push       $push_rate MB/s (durable, archive validated; rounds: ${push_runs[*]})"
	echo "  curl -F upload      $(mbps "$bytes" "$curl_ns") MB/s (same endpoint, overwrite)"
	echo "  push / cp ratio     $(awk -v a="$push_rate" -v b="$cp_rate" 'BEGIN { printf "%.2f", a / b }')  (goal >= 0.6; per round: ${ratios[*]})"
	echo "  server RSS growth   $(((hwm - rss_before) / 1024)) MiB peak during a push (VmRSS before ${rss_before} KiB, VmHWM ${hwm} KiB; goal <= 64)"
	echo "  download (curl)     $(mbps "$bytes" "$dl_ns") MB/s vs cat $(mbps "$bytes" "$cat_ns") MB/s"
	rm "$pkg"
done
