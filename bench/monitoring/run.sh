#!/usr/bin/env bash
# Issue 4's monitoring benchmarks in one run: BenchmarkDotNet's MonitoringBenchmarks (profile folding, drift of 200
# features, memory per profile) and numpy's quantiles + histogram on the very same values, reported as a ratio.
# Usage: bench/monitoring/run.sh [out-dir]   (needs Debian's python3-numpy: apt-get install -y python3-numpy)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/bench/monitoring/results}"
mkdir -p "$out"
values="$out/values.f64"
python=/usr/bin/python3
"$python" -c "import numpy" 2>/dev/null || { echo "numpy is missing: apt-get install -y python3-numpy" >&2; exit 1; }

cd "$root"
dotnet build -c Release bench/Vigil.Benchmarks -v q -nologo >/dev/null
VIGIL_BENCH_VALUES="$values" dotnet bench/Vigil.Benchmarks/bin/Release/net10.0/Vigil.Benchmarks.dll \
    --filter '*MonitoringBenchmarks*' --exporters json --artifacts "$out/bdn" | tee "$out/bdn.log" | grep -E '^\|' || true
"$python" bench/monitoring/numpy_baseline.py "$values" > "$out/numpy.json"

"$python" - "$out" <<'PY'
import glob, json, sys, platform, os
out = sys.argv[1]
report = json.load(open(glob.glob(os.path.join(out, "bdn", "results", "*MonitoringBenchmarks*.json"))[0]))
bench = {b["Method"]: b for b in report["Benchmarks"]}
mean = lambda m: bench[m]["Statistics"]["Mean"] / 1e9
alloc = lambda m: (bench[m].get("Memory") or {}).get("BytesAllocatedPerOperation")
numpy = json.load(open(os.path.join(out, "numpy.json")))
fold = mean("Fold1M")
summarize = mean("FoldAndSummarize1M")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
lines = [
    f"machine: {cpu}, {os.cpu_count()} cores (shared), {report['HostEnvironmentInfo']['RuntimeVersion']}, numpy {numpy['numpy']}",
    f"profile folding: {1e6 / fold / 1e6:.1f} M values/s per core (Fold1M {fold * 1e3:.1f} ms; budget >= 5 M/s)",
    f"fold + 99 quantiles + 20-bin histogram (sketch): {summarize * 1e3:.1f} ms; numpy quantile + histogram (exact): {numpy['quantiles_and_histogram_seconds'] * 1e3:.1f} ms; ratio vigil/numpy = {summarize / numpy['quantiles_and_histogram_seconds']:.2f}",
    f"drift of 200 features in one window: {mean('Drift200Features') * 1e3:.2f} ms ({mean('Drift200Features') * 1e6 / 200:.1f} us per feature)",
    f"memory per numeric profile after 1e6 values: {alloc('CloneFoldedProfile')} B allocated by a deep copy (budget <= 16384 B)",
]
open(os.path.join(out, "summary.txt"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
