#!/usr/bin/env bash
# Cardinality benchmark (issue 13, DESIGN.md's memory budget): a real `vigil serve` on SQLite gets REQUESTS requests
# that each carry a new unknown feature name, a new attribute key and a new segment value; prints its RSS before, during,
# right after and every 10 s for SETTLE seconds after the load, the size of /features and /metrics, and the database's
# prediction rows and stored window summaries. Budget: RSS growth under 200 MB and flat after the load (exit 0 = pass).
#
#   bench/cardinality/run.sh                         # 1,000,000 requests, 32 clients, 60 s settle
#   REQUESTS=100000 SETTLE=30 bench/cardinality/run.sh
#   SERVE_ARGS="--max-unknown-features 256" bench/cardinality/run.sh
#
# Needs only the .NET SDK. Memory, not timing: it can run on a shared machine, but it keeps both cores busy for minutes.
set -euo pipefail

REQUESTS=${REQUESTS:-1000000}
CONCURRENCY=${CONCURRENCY:-32}
SETTLE=${SETTLE:-60}

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${OUT:-$(mktemp -d -t vigil-cardinality-XXXXXX)}
mkdir -p "$out"

echo "== building src/Vigil.Cli and bench/Vigil.Benchmarks (Release)"
dotnet build "$root/src/Vigil.Cli/Vigil.Cli.csproj" -c Release -nologo -v quiet >"$out/build.log" 2>&1 \
  && dotnet build "$root/bench/Vigil.Benchmarks/Vigil.Benchmarks.csproj" -c Release -nologo -v quiet >>"$out/build.log" 2>&1 \
  || { cat "$out/build.log" >&2; echo "run.sh: build failed" >&2; exit 1; }

# shellcheck disable=SC2086
exec dotnet "$root/bench/Vigil.Benchmarks/bin/Release/net10.0/Vigil.Benchmarks.dll" cardinality \
  --vigil "$root/src/Vigil.Cli/bin/Release/net10.0/vigil.dll" \
  --requests "$REQUESTS" --concurrency "$CONCURRENCY" --settle "$SETTLE" --dir "$out/run" \
  -- ${SERVE_ARGS:-}
