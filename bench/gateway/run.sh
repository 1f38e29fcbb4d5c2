#!/usr/bin/env bash
# Gateway load benchmark: Vigil's predict endpoint against a bare Kestrel endpoint returning the same JSON (the budget's
# baseline) and against a bare Kestrel endpoint calling the same ML.NET model directly, all loaded with wrk.
#
#   bench/gateway/run.sh                          # defaults: wrk -t2 -c32 -d15s, 20 s warm-up, 1 round
#   ROUNDS=2 DURATION=30s bench/gateway/run.sh    # longer / repeated
#   NICE=-10 ROUNDS=3 bench/gateway/run.sh        # on a shared machine (as root): priority over other work
#   HOST_ARGS="--recorder-linger-ms 5" bench/gateway/run.sh   # try another recorder linger
#   TARGETS="vigil release" RANDOM_KEYS=1 bench/gateway/run.sh   # the cost of an active release: 'release' is a service
#                                                 # with a canary at 50% (same model both arms), keys drawn per request
#
# Needs: the .NET SDK, wrk (apt-get install -y wrk). Builds bench/Vigil.Benchmarks in Release, starts its gateway-host
# mode (one process: Vigil on SQLite with a freshly trained ML.NET model as champion of 'bench', plus the two bare
# endpoints; only one of them is loaded at a time), then for each endpoint: a warm-up (20 s: the JIT keeps compiling for
# about 15 s of load), a saturating run
# (wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency), an unloaded run (wrk -t1 -c1 -d$UNLOADED_DURATION --latency) and
# a paced run (see PACE_DELAY_MS).
# wrk and the servers share the machine's cores. Results and raw wrk output are kept in $OUT (default: a temp dir).
set -euo pipefail

THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-20s}
UNLOADED_DURATION=${UNLOADED_DURATION:-10s}
# The paced run: PACED_CONNECTIONS connections, each waiting PACE_DELAY_MS after every answer (post.lua), so at most
# PACED_CONNECTIONS * 1000 / PACE_DELAY_MS requests per second (default 32 * 1000 / 4 = 8,000/s: under a fifth of what
# Vigil sustains here). Latency there is what a request costs, not how long it queued behind a saturated server.
PACED_CONNECTIONS=${PACED_CONNECTIONS:-32}
PACE_DELAY_MS=${PACE_DELAY_MS:-4}
PACED_DURATION=${PACED_DURATION:-15s}
ROUNDS=${ROUNDS:-1}
TARGETS=${TARGETS:-"bare model vigil"}
# On a machine shared with other work, NICE=-10 (root only) gives the servers and wrk priority over it; the summary
# reports how much CPU other processes still took during each loaded run.
NICE=${NICE:-0}
# QUIET_WAIT=S: before each endpoint's run, wait up to S seconds for the machine to be idle (other processes using under
# QUIET_MAX % of all cores over one second). Rounds whose loaded runs still saw more than QUIET_MAX % of other CPU are
# flagged "noisy" and left out of the verdict when at least one quiet round exists.
QUIET_WAIT=${QUIET_WAIT:-0}
QUIET_MAX=${QUIET_MAX:-10}

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${OUT:-$(mktemp -d -t vigil-gateway-bench-XXXXXX)}
mkdir -p "$out"

if ! command -v wrk >/dev/null; then
  echo "run.sh: wrk is not installed; install it with 'apt-get install -y wrk' (Debian/Ubuntu) and run again" >&2
  exit 2
fi

echo "== building bench/Vigil.Benchmarks (Release)"
dotnet build "$root/bench/Vigil.Benchmarks/Vigil.Benchmarks.csproj" -c Release -nologo -v quiet >"$out/build.log" 2>&1 \
  || { cat "$out/build.log" >&2; echo "run.sh: build failed" >&2; exit 1; }
dll="$root/bench/Vigil.Benchmarks/bin/Release/net10.0/Vigil.Benchmarks.dll"

echo "== starting gateway-host (logs: $out/host.log)"
rm -f "$out/servers.env"
nice -n "$NICE" dotnet "$dll" gateway-host --request "$here/request.json" --dir "$out/host" --info "$out/servers.env" ${HOST_ARGS:-} >"$out/host.log" 2>&1 &
host_pid=$!
stop_host() {
  if kill -0 "$host_pid" 2>/dev/null; then
    kill -TERM "$host_pid" 2>/dev/null || true
    wait "$host_pid" 2>/dev/null || true
  fi
}
trap stop_host EXIT

for _ in $(seq 1 240); do
  [[ -s "$out/servers.env" ]] && break
  kill -0 "$host_pid" 2>/dev/null || { cat "$out/host.log" >&2; echo "run.sh: gateway-host exited" >&2; exit 1; }
  sleep 0.5
done
[[ -s "$out/servers.env" ]] || { cat "$out/host.log" >&2; echo "run.sh: gateway-host did not get ready in 120 s" >&2; exit 1; }
# shellcheck disable=SC1091
source "$out/servers.env"
grep '^gateway-host:' "$out/host.log" | sed 's/^/   /'

url_of() {
  case $1 in
    bare) echo "$BARE_URL" ;;
    model) echo "$MODEL_URL" ;;
    vigil) echo "$VIGIL_URL" ;;
    release) echo "$RELEASE_URL" ;;
  esac
}

# stats KEY: a value of the host's /stats line (after the recorder drained).
stats() { curl -fsS "$STATS_URL?flush=1"; }
stat_of() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# wrk_field FILE: "rps requests p50_ms p99_ms non2xx socket_errors" parsed from wrk --latency output.
wrk_fields() {
  awk '
    function ms(v) {
      if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
      if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
      if (v ~ /m$/)  { sub(/m$/, "", v);  return v * 60000 }
      if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
      return v + 0
    }
    /^ +50% / { p50 = ms($2) }
    /^ +99% / { p99 = ms($2) }
    / requests in / { requests = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    /Socket errors:/ { errors = $0; gsub(/.*errors: /, "", errors); gsub(/ /, "", errors) }
    END { printf "%s %s %.3f %.3f %d %s\n", rps, requests, p50, p99, non2xx + 0, (errors == "" ? "none" : errors) }
  ' "$1"
}

# Busy CPU time of the whole machine (all cores) in ms, from /proc/stat.
cpu_busy_ms() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%d", ($2 + $3 + $4 + $7 + $8 + $9) * 1000 / hz }' /proc/stat; }
TIMEFORMAT='%U %S'
cpu_total() { awk '/^cpu / { printf "%d %d\n", $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
wait_quiet() {
  (( QUIET_WAIT > 0 )) || return 0
  local waited=0 b0 t0 b1 t1
  while (( waited < QUIET_WAIT )); do
    read -r b0 t0 < <(cpu_total); sleep 1; read -r b1 t1 < <(cpu_total)
    (( (b1 - b0) * 100 <= QUIET_MAX * (t1 - t0) )) && return 0
    waited=$(( waited + 1 ))
  done
  echo "   (machine still busy after ${QUIET_WAIT}s; running anyway)"
}

results="$out/results.txt"
: >"$results"
cd "$here"
for round in $(seq 1 "$ROUNDS"); do
  for target in $TARGETS; do
    url=$(url_of "$target")
    echo "== round $round: $target ($url)"
    BODY_FILE="$here/request.json" nice -n "$NICE" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s post.lua "$url" >/dev/null
    wait_quiet
    before=$(stats)
    busy_before=$(cpu_busy_ms)
    started=$(date +%s%N)
    { time BODY_FILE="$here/request.json" nice -n "$NICE" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s post.lua "$url" >"$out/$target-$round-loaded.txt"; } 2>"$out/$target-$round-wrk-cpu.txt"
    busy=$(( $(cpu_busy_ms) - busy_before ))
    wall_ms=$(( ($(date +%s%N) - started) / 1000000 ))
    mid=$(curl -fsS "$STATS_URL")
    queued=$(stat_of "$mid" recorder_queued_before_flush)
    after=$(stats)
    wrk_cpu=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$out/$target-$round-wrk-cpu.txt")
    BODY_FILE="$here/request.json" nice -n "$NICE" wrk -t1 -c1 -d"$UNLOADED_DURATION" --latency -s post.lua "$url" >"$out/$target-$round-unloaded.txt"
    stats >/dev/null
    PACE_DELAY_MS=$PACE_DELAY_MS BODY_FILE="$here/request.json" nice -n "$NICE" wrk -t"$THREADS" -c"$PACED_CONNECTIONS" -d"$PACED_DURATION" --latency -s post.lua "$url" >"$out/$target-$round-paced.txt"
    stats >/dev/null
    read -r prps _ pp50 pp99 pnon2xx _ < <(wrk_fields "$out/$target-$round-paced.txt")
    read -r rps requests p50 p99 non2xx errors < <(wrk_fields "$out/$target-$round-loaded.txt")
    read -r urps _ up50 up99 unon2xx _ < <(wrk_fields "$out/$target-$round-unloaded.txt")
    if [[ "$non2xx" != 0 || "$unon2xx" != 0 || "$pnon2xx" != 0 || "$errors" != none ]]; then
      echo "run.sh: $target answered non-2xx ($non2xx, $unon2xx, $pnon2xx) or had socket errors ($errors); see $out/$target-$round-*.txt" >&2
      exit 1
    fi
    alloc=$(( $(stat_of "$after" allocated_bytes) - $(stat_of "$before" allocated_bytes) ))
    cpu=$(( $(stat_of "$after" cpu_ms) - $(stat_of "$before" cpu_ms) ))
    gcs="$(( $(stat_of "$after" gen0) - $(stat_of "$before" gen0) ))/$(( $(stat_of "$after" gen1) - $(stat_of "$before" gen1) ))/$(( $(stat_of "$after" gen2) - $(stat_of "$before" gen2) ))"
    # Share of the machine (all cores, the loaded run's wall time) used by the server process, by wrk, and by anything else.
    capacity=$(( wall_ms * $(nproc) ))
    server_cpu=$(( $(stat_of "$mid" cpu_ms) - $(stat_of "$before" cpu_ms) ))
    other=$(( busy - server_cpu - wrk_cpu )); (( other < 0 )) && other=0
    shares="$(( server_cpu * 100 / capacity ))/$(( wrk_cpu * 100 / capacity ))/$(( other * 100 / capacity ))"
    echo "$round $target $rps $requests $p50 $p99 $urps $up50 $up99 $alloc $cpu $gcs ${queued:-0} $shares $wrk_cpu $prps $pp50 $pp99" >>"$results"
  done
done

awk -v quietmax="$QUIET_MAX" -v pconns="$PACED_CONNECTIONS" -v pdelay="$PACE_DELAY_MS" -v nproc="$(nproc)" -v threads="$THREADS" -v conns="$CONNECTIONS" -v dur="$DURATION" -v udur="$UNLOADED_DURATION" -v gc="$GC_MODE" '
  {
    round = $1; t = $2
    rps[round, t] = $3; p50[round, t] = $5; p99[round, t] = $6
    urps[round, t] = $7; up50[round, t] = $8; up99[round, t] = $9
    prps[round, t] = $16; pp50[round, t] = $17; pp99[round, t] = $18
    row[NR] = sprintf("| %d | %-5s | %9.0f | %8.3f | %8.3f | %7.0f | %8.3f | %8.3f | %8.0f | %8.3f | %8.3f | %9.0f | %8.1f | %8.1f | %-9s | %-9s |",
      round, t, $3, $5, $6, $16, $17, $18, $7, $8, $9, $10 / $4, $11 * 1000 / $4, $15 * 1000 / $4, $12, $14)
    rounds[round] = 1
    split($14, share, "/"); if (share[3] + 0 > noisy[round] + 0) noisy[round] = share[3] + 0
    all[NR] = $0
  }
  END {
    printf "\nwrk -t%s -c%s -d%s --latency (saturated), the same paced at most %d req/s (%d connections, %s ms between a connection'"'"'s requests), and wrk -t1 -c1 -d%s --latency (unloaded); GC %s; wrk and the servers share this machine'"'"'s %s cores.\n\n", threads, conns, dur, pconns * 1000 / pdelay, pconns, pdelay, udur, gc, nproc
    print "| round | endpoint | saturated req/s | p50 ms | p99 ms | paced req/s | p50 ms | p99 ms | unloaded req/s | p50 ms | p99 ms | bytes alloc/req | server CPU µs/req | wrk CPU µs/req | GCs 0/1/2 | CPU % server/wrk/other |"
    print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
    for (i = 1; i <= NR; i++) print row[i]
    print ""
    print "CPU % server/wrk/other: share of all cores during the loaded run used by the server process, by wrk, and by other processes on the machine (interference)."
    print ""
    for (r = 1; (r in rounds); r++) {
      if ((r, "vigil") in rps && (r, "bare") in rps) {
        ratio = rps[r, "vigil"] / rps[r, "bare"]
        added = p99[r, "vigil"] - p99[r, "bare"]
        uadded = up99[r, "vigil"] - up99[r, "bare"]
        padded = pp99[r, "vigil"] - pp99[r, "bare"]
        printf "round %s  BUDGET vigil/bare throughput = %.3f (>= 0.5: %s)\n", r, ratio, (ratio >= 0.5 ? "PASS" : "FAIL")
        printf "round %s  BUDGET p99 added latency, paced = %.3f ms (< 1 ms: %s); unloaded (c1) = %.3f ms (< 1 ms: %s); info: saturated = %.3f ms\n", r, padded, (padded < 1 ? "PASS" : "FAIL"), uadded, (uadded < 1 ? "PASS" : "FAIL"), added
      }
      if ((r, "vigil") in rps && (r, "release") in rps) {
        printf "round %s  info   release/vigil throughput = %.3f; p99 loaded %.3f vs %.3f ms, unloaded %.3f vs %.3f ms\n", r, rps[r, "release"] / rps[r, "vigil"], p99[r, "release"], p99[r, "vigil"], up99[r, "release"], up99[r, "vigil"]
      }
      if ((r, "vigil") in rps && (r, "model") in rps) {
        printf "round %s  info   vigil/model throughput = %.2f; p99 added over the direct model: loaded %.3f ms, unloaded %.3f ms\n", r, rps[r, "vigil"] / rps[r, "model"], p99[r, "vigil"] - p99[r, "model"], up99[r, "vigil"] - up99[r, "model"]
      }
    }
    quiet = 0
    for (r = 1; (r in rounds); r++) if (noisy[r] <= quietmax) quiet++
    for (i = 1; i <= NR; i++) {
      split(all[i], f, " ")
      if (quiet > 0 && noisy[f[1]] > quietmax) continue
      t = f[2]; n[t]++; srps[t] += f[3]; sp99[t] += f[6]; sup99[t] += f[9]; spp99[t] += f[18]; scost[t] += (f[11] + f[15]) * 1000 / f[4]
    }
    for (r = 1; (r in rounds); r++) if (noisy[r] > quietmax) printf "round %s is noisy: other processes took up to %d%% of the CPU during a loaded run\n", r, noisy[r]
    if (quiet == 0) print "NO QUIET ROUND: every round shared the CPU with other work; the verdict below is unreliable"
    if (n["vigil"] > 0 && n["bare"] > 0) {
      ratio = (srps["vigil"] / n["vigil"]) / (srps["bare"] / n["bare"])
      added = sp99["vigil"] / n["vigil"] - sp99["bare"] / n["bare"]
      uadded = sup99["vigil"] / n["vigil"] - sup99["bare"] / n["bare"]
      padded = spp99["vigil"] / n["vigil"] - spp99["bare"] / n["bare"]
      printf "mean of %d %srounds  BUDGET vigil/bare throughput = %.3f (%s); p99 added latency paced %.3f ms (%s), unloaded %.3f ms (%s); info: saturated %.3f ms\n", n["vigil"], (quiet > 0 ? "quiet " : ""), ratio, (ratio >= 0.5 ? "PASS" : "FAIL"), padded, (padded < 1 ? "PASS" : "FAIL"), uadded, (uadded < 1 ? "PASS" : "FAIL"), added
      printf "cost model: server+wrk CPU µs per request, bare %.1f vs vigil %.1f: on CPU-bound cores Vigil would keep %.2f of bare'"'"'s throughput\n", scost["bare"] / n["bare"], scost["vigil"] / n["vigil"], (scost["bare"] / n["bare"]) / (scost["vigil"] / n["vigil"])
      if (n["model"] > 0) {
        printf "mean of %d %srounds  info   vigil/model throughput = %.2f; p99 added over the direct model: loaded %.3f ms, unloaded %.3f ms\n", n["vigil"], (quiet > 0 ? "quiet " : ""), (srps["vigil"] / n["vigil"]) / (srps["model"] / n["model"]), sp99["vigil"] / n["vigil"] - sp99["model"] / n["model"], sup99["vigil"] / n["vigil"] - sup99["model"] / n["model"]
      }
    }
  }
' "$results" | tee "$out/summary.md"
echo
echo "raw wrk output, host log and summary: $out"
