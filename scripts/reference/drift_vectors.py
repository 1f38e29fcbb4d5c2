#!/usr/bin/python3
"""Reference vectors for Vigil's drift statistics (src/Vigil.Core/Statistics).

Run with Debian's interpreter, which has the packages:

    apt-get install -y python3-scipy python3-sklearn python3-statsmodels
    /usr/bin/python3 scripts/reference/drift_vectors.py

It writes tests/Vigil.Core.Tests/Statistics/Vectors/*.json. The output is deterministic for a given
numpy/scipy/statsmodels version (fixed seed); the versions used are recorded in every file.

Which reference computes what (docs/drift.md explains the conventions):

- bin edges: numpy.quantile(baseline, [0.1, ..., 0.9]) with the default linear method, then repeated
  edges merged (numpy.unique); bins are (e[i-1], e[i]], the outer two open-ended
  (numpy.searchsorted(edges, x, side="left") is the bin of x).
- PSI: the formula of DESIGN.md written out with numpy below (no library implements it); zero
  shares replaced by 1e-4.
- Jensen-Shannon distance: scipy.spatial.distance.jensenshannon(counts_b, counts_c, base=2) over the
  same bins (counts, not shares: scipy normalizes them, so the shares are exactly count / n).
- Wasserstein-1: scipy.stats.wasserstein_distance; normalized by max(numpy.std(baseline), 0.001).
- Kolmogorov-Smirnov: scipy.stats.ks_2samp(b, c, method=M) where M is "exact" when n*m <= 1,000,000
  and "asymp" otherwise (Vigil's rule); the method is stored with each case, together with the p of
  scipy's default method="auto" and, for asymptotic cases, Stephens' formula
  scipy.special.kolmogorov((en + 0.12 + 0.11 / en) * D), en = sqrt(n*m / (n+m)), which is what Vigil
  computes (scipy's "asymp" uses kstwo.sf(D, round(n*m / (n+m))) instead).
- chi-squared: scipy.stats.chi2_contingency([counts_b, counts_c], correction=False) over the union of
  categories.
- Benjamini-Hochberg: scipy.stats.false_discovery_control(ps, method="bh") where scipy has it
  (>= 1.11); otherwise statsmodels.stats.multitest.multipletests(ps, method="fdr_bh") (Debian 12 ships
  scipy 1.10). Bonferroni: multipletests(ps, method="bonferroni"), i.e. min(1, p * m).
- special functions: scipy.stats.chi2.sf and scipy.special.kolmogorov on a grid.
"""

import json
import os
import sys

import numpy as np
import scipy
import scipy.special
import scipy.stats
from scipy.spatial.distance import jensenshannon

try:
    import statsmodels
    from statsmodels.stats.multitest import multipletests
except ImportError:  # pragma: no cover - only when statsmodels is missing
    statsmodels = None
    multipletests = None

SEED = 20261101
DECILES = np.arange(1, 10) / 10.0
ZERO_SHARE = 1e-4
EXACT_MAX_PRODUCT = 1_000_000
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "Vigil.Core.Tests", "Statistics", "Vectors")


def versions():
    v = {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__}
    if statsmodels is not None:
        v["statsmodels"] = statsmodels.__version__
    return v


def psi_from_shares(e, a):
    e = np.where(e == 0, ZERO_SHARE, e)
    a = np.where(a == 0, ZERO_SHARE, a)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric_bins(baseline, current):
    edges = np.unique(np.quantile(baseline, DECILES))
    counts_b = np.bincount(np.searchsorted(edges, baseline, side="left"), minlength=len(edges) + 1)
    counts_c = np.bincount(np.searchsorted(edges, current, side="left"), minlength=len(edges) + 1)
    return edges, counts_b, counts_c


def numeric_case(name, baseline, current, note):
    baseline = np.round(np.asarray(baseline, dtype=float), 4)
    current = np.round(np.asarray(current, dtype=float), 4)
    n, m = len(baseline), len(current)
    edges, counts_b, counts_c = numeric_bins(baseline, current)
    method = "exact" if n * m <= EXACT_MAX_PRODUCT else "asymp"
    ks = scipy.stats.ks_2samp(baseline, current, method=method)
    ks_auto = scipy.stats.ks_2samp(baseline, current)
    case = {
        "name": name,
        "note": note,
        "baseline": baseline.tolist(),
        "current": current.tolist(),
        "bin_edges": edges.tolist(),
        "counts_baseline": counts_b.tolist(),
        "counts_current": counts_c.tolist(),
        "psi": psi_from_shares(counts_b / n, counts_c / m),
        "js_distance": float(jensenshannon(counts_b, counts_c, base=2)),
        "wasserstein": float(scipy.stats.wasserstein_distance(baseline, current)),
        "std_baseline": float(np.std(baseline)),
        "wasserstein_normalized": float(scipy.stats.wasserstein_distance(baseline, current) / max(np.std(baseline), 0.001)),
        "ks_statistic": float(ks.statistic),
        "ks_p_value": float(ks.pvalue),
        "ks_scipy_method": method,
        "ks_p_value_scipy_auto": float(ks_auto.pvalue),
    }
    if method == "asymp":
        en = np.sqrt(n * m / (n + m))
        case["ks_p_value_stephens"] = float(scipy.special.kolmogorov((en + 0.12 + 0.11 / en) * ks.statistic))
    return case


def categorical_case(name, counts_baseline, counts_current, note):
    categories = sorted(set(counts_baseline) | set(counts_current))
    b = np.array([counts_baseline.get(c, 0) for c in categories], dtype=float)
    c = np.array([counts_current.get(k, 0) for k in categories], dtype=float)
    chi2 = scipy.stats.chi2_contingency(np.array([b, c]), correction=False)
    return {
        "name": name,
        "note": note,
        "counts_baseline": counts_baseline,
        "counts_current": counts_current,
        "psi": psi_from_shares(b / b.sum(), c / c.sum()),
        "js_distance": float(jensenshannon(b, c, base=2)),
        "chi2_statistic": float(chi2[0]),
        "chi2_p_value": float(chi2[1]),
        "chi2_dof": int(chi2[2]),
    }


def bh(ps):
    if hasattr(scipy.stats, "false_discovery_control"):
        return scipy.stats.false_discovery_control(ps, method="bh").tolist(), "scipy.stats.false_discovery_control(method='bh')"
    if multipletests is None:
        sys.exit("needs scipy >= 1.11 or statsmodels (apt-get install python3-statsmodels)")
    return multipletests(ps, method="fdr_bh")[1].tolist(), "statsmodels.stats.multitest.multipletests(method='fdr_bh')"


def numeric_cases(rng):
    cases = []
    normal = rng.normal(0, 1, 500)
    cases.append(numeric_case("normal_vs_shifted_normal", normal, rng.normal(0.3, 1, 400), "N(0,1) n=500 vs N(0.3,1) n=400"))
    same = rng.normal(10, 2, 200)
    cases.append(numeric_case("identical_samples", same, same.copy(), "the same sample on both sides"))
    cases.append(numeric_case("same_distribution_equal_sizes", rng.normal(0, 1, 300), rng.normal(0, 1, 300), "n == m: scipy's square formula"))
    cases.append(numeric_case("ties_poisson", rng.poisson(2.0, 250), rng.poisson(2.6, 180), "discrete data, many ties and repeated decile edges"))
    cases.append(numeric_case("tiny_3_vs_5", [1.5, 2.0, 7.25], [0.5, 3.0, 3.0, 9.0, 11.0], "tiny samples"))
    cases.append(numeric_case("tiny_1_vs_2", [4.0], [1.0, 9.0], "smallest possible samples"))
    cases.append(numeric_case("scale_change_1000_vs_1000", rng.normal(0, 1, 1000), rng.normal(0, 2, 1000), "n*m = 1,000,000: still exact"))
    cases.append(numeric_case("coprime_sizes_97_vs_89", rng.normal(0, 1, 97), rng.normal(0.5, 1, 89), "gcd 1: the full lattice"))
    cases.append(numeric_case("strong_shift_tiny_p", rng.normal(0, 1, 600), rng.normal(1.0, 1, 500), "exact p far below 1e-20"))
    cases.append(numeric_case("constant_baseline", np.full(50, 5.0), np.concatenate([np.full(30, 5.0), rng.normal(6, 1, 20)]), "all decile edges equal: two bins"))
    cases.append(numeric_case("zero_share_bins", rng.normal(0, 1, 400), rng.normal(3, 0.1, 300), "current inside one baseline bin: zero shares"))
    price = rng.lognormal(2.5, 0.4, 800)
    cases.append(numeric_case("price_in_cents", price, rng.lognormal(2.5, 0.4, 700) * 100, "dollars to cents: the schema-change story"))
    cases.append(numeric_case("asymptotic_small_shift_1500_vs_1000", rng.normal(0, 1, 1500), rng.normal(0.08, 1, 1000), "n*m > 1,000,000: asymptotic"))
    cases.append(numeric_case("asymptotic_no_drift_1300_vs_1100", rng.normal(0, 1, 1300), rng.normal(0, 1, 1100), "asymptotic, same distribution"))
    cases.append(numeric_case("asymptotic_shift_2000_vs_800", rng.normal(0, 1, 2000), rng.normal(0.15, 1, 800), "asymptotic, unequal sizes"))
    return cases


def categorical_cases(rng):
    def draw(categories, probs, n):
        values = rng.choice(categories, size=n, p=probs)
        unique, counts = np.unique(values, return_counts=True)
        return {str(k): int(v) for k, v in zip(unique, counts)}

    devices = ["android", "desktop", "ios", "tablet"]
    cases = [
        categorical_case("device_shift", draw(devices, [0.4, 0.3, 0.2, 0.1], 2000), draw(devices, [0.3, 0.3, 0.3, 0.1], 1500), "shares move between categories"),
        categorical_case("same_distribution", draw(devices, [0.4, 0.3, 0.2, 0.1], 1000), draw(devices, [0.4, 0.3, 0.2, 0.1], 1000), "no drift"),
        categorical_case("identical_counts", {"a": 10, "b": 20, "c": 30}, {"a": 10, "b": 20, "c": 30}, "identical tables"),
        categorical_case("unseen_and_missing", {"DE": 500, "FR": 300, "IT": 200}, {"DE": 450, "FR": 350, "ES": 40}, "ES only in current, IT only in baseline: zero shares"),
        categorical_case("single_category", {"only": 40}, {"only": 25}, "one category: 0 degrees of freedom"),
        categorical_case("tiny", {"x": 1, "y": 2}, {"x": 3}, "tiny counts"),
    ]
    many = [f"c{i:02d}" for i in range(30)]
    p1 = rng.dirichlet(np.ones(30))
    p2 = 0.9 * p1 + 0.1 * rng.dirichlet(np.ones(30))
    cases.append(categorical_case("thirty_categories", draw(many, p1, 20000), draw(many, p2, 15000), "many bins: numpy's pairwise summation"))
    cases.append(categorical_case("thirty_categories_no_drift", draw(many, p1, 5000), draw(many, p1, 5000), "many bins, tiny divergence"))
    return cases


def multiple_testing_cases(rng):
    inputs = [
        [0.01, 0.04, 0.03, 0.005, 0.2],
        [0.05, 0.05, 0.05, 0.05],
        [0.0, 1.0, 0.5, 1e-300, 0.049],
        [0.9],
        rng.uniform(0, 0.1, 25).tolist(),
        np.concatenate([rng.uniform(0, 1, 40), [1e-12, 1e-8]]).tolist(),
    ]
    cases = []
    for ps in inputs:
        adjusted, reference = bh(np.array(ps))
        bonferroni = np.minimum(1.0, np.array(ps) * len(ps)).tolist() if multipletests is None else multipletests(ps, method="bonferroni")[1].tolist()
        cases.append({"p_values": [float(p) for p in ps], "benjamini_hochberg": adjusted, "bonferroni": bonferroni, "bh_reference": reference})
    return cases


def special_function_cases():
    chi2 = []
    for k in [1, 2, 3, 4, 5, 9, 10, 29, 99, 500]:
        for x in [0.0, 1e-6, 0.05, 0.5, 1.0, 2.0, 3.84, 7.5, 15.0, 30.0, 60.0, 120.0, 400.0, 1200.0]:
            chi2.append({"dof": k, "x": x, "sf": float(scipy.stats.chi2.sf(x, k))})
    kolmogorov = [{"x": float(x), "sf": float(scipy.special.kolmogorov(x))} for x in
                  [0.0, 0.01, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.358, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0]]
    return {"chi2_sf": chi2, "kolmogorov_sf": kolmogorov}


def write(name, payload):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)")


def main():
    rng = np.random.default_rng(SEED)
    header = {"generator": "scripts/reference/drift_vectors.py", "seed": SEED, "versions": versions()}
    write("numeric.json", {**header, "cases": numeric_cases(rng)})
    write("categorical.json", {**header, "cases": categorical_cases(rng)})
    write("multiple_testing.json", {**header, "cases": multiple_testing_cases(rng)})
    write("special_functions.json", {**header, **special_function_cases()})


if __name__ == "__main__":
    main()
