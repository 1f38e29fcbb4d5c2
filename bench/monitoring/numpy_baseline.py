#!/usr/bin/python3
"""numpy's exact quantiles and histogram on the values MonitoringBenchmarks folds (issue 4's comparison).

Usage: numpy_baseline.py VALUES.f64 [REPEATS]. Reads little-endian float64 (np.fromfile), then times
np.quantile(values, 99 quantiles) + np.histogram(values, 20 bins) — the work FoldAndSummarize1M does from a sketch —
and np.quantile alone; prints JSON with the median seconds of REPEATS runs (default 9). One thread.
"""
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402


def median_seconds(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    values = np.fromfile(sys.argv[1], dtype="<f8")
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 9
    grid = np.arange(1, 100) / 100.0

    def quantiles_and_histogram():
        np.quantile(values, grid)
        np.histogram(values, bins=20)

    result = {
        "numpy": np.__version__,
        "values": int(values.size),
        "quantiles_and_histogram_seconds": median_seconds(quantiles_and_histogram, repeats),
        "quantiles_seconds": median_seconds(lambda: np.quantile(values, grid), repeats),
        "histogram_seconds": median_seconds(lambda: np.histogram(values, bins=20), repeats),
        "median": float(np.quantile(values, 0.5)),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
