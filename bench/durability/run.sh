#!/usr/bin/env bash
# Recorder durability (issue 13, item 7): how many predictions answered 200 a `kill -9` of `vigil serve` loses, per store
# and recorder durability mode. Each round: a fresh store, CONCURRENCY closed-loop clients for SECONDS, SIGKILL mid-load,
# then the answered request ids missing from the store are counted. Also prints throughput and client latency per mode:
# those are timings — run them on a quiet machine before comparing.
#
#   bench/durability/run.sh                                   # every store × mode, 5 rounds of 5 s each
#   STORES=sqlite MODES=async ROUNDS=10 bench/durability/run.sh
#   INSTANCES=10 bench/durability/run.sh                      # batches of 10 instances per request
#
# Needs the .NET SDK; PostgreSQL rounds need Debian's postgresql (a throwaway server is started, as the tests do).
set -euo pipefail

STORES=${STORES:-"sqlite postgres"}
MODES=${MODES:-"async commit"}
ROUNDS=${ROUNDS:-5}
SECONDS_PER_ROUND=${SECONDS_PER_ROUND:-5}
CONCURRENCY=${CONCURRENCY:-32}
INSTANCES=${INSTANCES:-1}

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${OUT:-$(mktemp -d -t vigil-durability-XXXXXX)}
mkdir -p "$out"

echo "== building src/Vigil.Cli and bench/Vigil.Benchmarks (Release)"
dotnet build "$root/src/Vigil.Cli/Vigil.Cli.csproj" -c Release -nologo -v quiet >"$out/build.log" 2>&1 \
  && dotnet build "$root/bench/Vigil.Benchmarks/Vigil.Benchmarks.csproj" -c Release -nologo -v quiet >>"$out/build.log" 2>&1 \
  || { cat "$out/build.log" >&2; echo "run.sh: build failed" >&2; exit 1; }

status=0
for store in $STORES; do
  for mode in $MODES; do
    echo "== $store, --recorder-durability $mode"
    dotnet "$root/bench/Vigil.Benchmarks/bin/Release/net10.0/Vigil.Benchmarks.dll" durability \
      --vigil "$root/src/Vigil.Cli/bin/Release/net10.0/vigil.dll" --store "$store" --durability "$mode" \
      --rounds "$ROUNDS" --seconds "$SECONDS_PER_ROUND" --concurrency "$CONCURRENCY" --instances "$INSTANCES" \
      | tee "$out/$store-$mode.txt" || status=1
  done
done
echo "== results in $out"
exit $status
