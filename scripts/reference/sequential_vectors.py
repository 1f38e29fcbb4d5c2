#!/usr/bin/env python3
"""Reference vectors for Vigil's always-valid confidence sequences (docs/releases.md, "Statistics").

Vigil.Core's ConfidenceSequence implements the two-sided normal-mixture boundary of Robbins (1970), in the form of
Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence sequences",
Ann. Statist. 49(2), 2021:

    mixing exp(lambda*S - lambda^2*V/2) over lambda ~ N(0, 1/rho) gives the martingale
        M(S, V) = sqrt(rho/(V+rho)) * exp(S^2 / (2 (V+rho)))
    and M >= 1/alpha exactly when
        |S| >= u(V) = sqrt((V+rho) * ln((V+rho)/(rho*alpha^2)))                     (boundary)

    in standard-error units after n samples:  kappa(n) = sqrt((1 + rho/n) * ln((1 + n/rho)/alpha^2))
    rho = r(alpha) * n*, r(alpha) = argmin_r (1+r)(ln(1+1/r) + 2 ln(1/alpha)), the root of ln(1+1/r) + 2 ln(1/alpha) = 1/r

    proportion:  x/n +- kappa(n) * sqrt(pt(1-pt)/n),                 pt = (x+1)/(n+2), clipped to [0, 1]
    difference:  xa/na - xb/nb +- kappa(na) * sqrt(pa(1-pa)/na + pb(1-pb)/nb), clipped to [-1, 1]

This script computes each quantity independently of the closed forms where it can, with Debian's python3-scipy:
  * r(alpha) with scipy.optimize.brentq on the stationarity equation, checked against a direct numerical
    minimisation (scipy.optimize.minimize_scalar) of the boundary;
  * the boundary u(V) by solving M(S, V) = 1/alpha for S, where M is the mixture integral computed numerically
    (scipy.integrate.quad against scipy.stats.norm.pdf), not from its closed form;
  * kappa, proportion and difference intervals from the boundary so computed.

Regenerate (from the repository root; use Debian's interpreter, which has python3-scipy):

    /usr/bin/python3 scripts/reference/sequential_vectors.py > scripts/reference/sequential_vectors.json

Vigil.Core.Tests (Releases/ConfidenceSequenceTests) reads the JSON and checks ConfidenceSequence against it.
"""

import json
import math
import sys

import scipy
from scipy import integrate, optimize, stats


def ratio(alpha):
    l = -2.0 * math.log(alpha)
    u = optimize.brentq(lambda u: math.log1p(u) + l - u, 1e-9, 1e6, xtol=1e-15, rtol=4 * sys.float_info.epsilon)
    r = 1.0 / u
    # Independent check: minimise the boundary's shape directly.
    res = optimize.minimize_scalar(lambda r: (1 + r) * (math.log1p(1 / r) + l), bounds=(1e-6, 10), method="bounded",
                                   options={"xatol": 1e-12})
    assert abs(res.x - r) < 1e-6 * max(1, r), (alpha, r, res.x)
    return r


def log_mixture(s, v, rho):
    """ln of the integral of exp(lambda*s - lambda^2 v/2) N(lambda; 0, 1/rho) d lambda, by quadrature."""
    sd = 1.0 / math.sqrt(rho)
    # The integrand peaks at lambda* = s/(v+rho) with width 1/sqrt(v+rho); integrate around it, factoring out the peak.
    centre = s / (v + rho)
    width = 1.0 / math.sqrt(v + rho)
    log_peak = centre * s - centre * centre * v / 2 + stats.norm.logpdf(centre, 0, sd)

    def f(lam):
        return math.exp(lam * s - lam * lam * v / 2 + stats.norm.logpdf(lam, 0, sd) - log_peak)

    value, _ = integrate.quad(f, centre - 40 * width, centre + 40 * width, epsabs=0, epsrel=1e-13, limit=200)
    return log_peak + math.log(value)


def boundary(v, alpha, rho):
    """The S > 0 at which the mixture martingale reaches 1/alpha (numerically), with the closed form as a check."""
    target = math.log(1 / alpha)
    hi = 1.0
    while log_mixture(hi, v, rho) < target:
        hi *= 2
    s = optimize.brentq(lambda s: log_mixture(s, v, rho) - target, 0, hi, xtol=1e-12, rtol=1e-14)
    closed = math.sqrt((v + rho) * math.log((v + rho) / (rho * alpha * alpha)))
    assert abs(s - closed) < 1e-8 * closed, (v, alpha, rho, s, closed)
    return s


def kappa(n, alpha, rho):
    # In standard-error units: V = n (unit-variance increments), and the boundary divided by sqrt(n).
    return boundary(n, alpha, rho) / math.sqrt(n)


def smoothed_var(x, n):
    p = (x + 1.0) / (n + 2.0)
    return p * (1 - p)


def main():
    out = {
        "generator": "scripts/reference/sequential_vectors.py",
        "scipy": scipy.__version__,
        "ratio": [],
        "boundary": [],
        "multiplier": [],
        "proportion": [],
        "difference": [],
    }
    for alpha in [0.0025, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5]:
        out["ratio"].append({"alpha": alpha, "r": ratio(alpha)})

    for v, alpha, rho in [(0, 0.05, 1), (1, 0.05, 1), (10, 0.05, 2.5), (100, 0.05, 12.18), (1000, 0.01, 50),
                          (25.5, 0.1, 3), (10000, 0.05, 60.9), (1e6, 0.05, 1000), (500, 0.2, 500)]:
        out["boundary"].append({"v": v, "alpha": alpha, "rho": rho, "u": boundary(v, alpha, rho)})

    for n, alpha, target in [(1, 0.05, 500), (100, 0.05, 500), (500, 0.05, 500), (5000, 0.05, 500),
                             (100000, 0.05, 500), (250, 0.01, 1000), (50, 0.1, 20), (2000, 0.05, 100)]:
        rho = ratio(alpha) * target
        out["multiplier"].append({"n": n, "alpha": alpha, "target": target, "kappa": kappa(n, alpha, rho)})

    for x, n, alpha, target in [(0, 100, 0.05, 500), (2, 100, 0.05, 500), (30, 500, 0.05, 500), (10, 500, 0.05, 500),
                                (600, 10000, 0.05, 500), (99, 100, 0.05, 500), (1, 1, 0.05, 500), (350, 700, 0.01, 200)]:
        rho = ratio(alpha) * target
        half = kappa(n, alpha, rho) * math.sqrt(smoothed_var(x, n) / n)
        est = x / n
        out["proportion"].append({"events": x, "trials": n, "alpha": alpha, "target": target, "estimate": est,
                                  "lower": max(0.0, est - half), "upper": min(1.0, est + half)})

    for xa, na, xb, nb, alpha, target in [(300, 500, 35000, 50000, 0.05, 500), (420, 600, 41000, 60000, 0.05, 500),
                                          (5, 200, 400, 20000, 0.05, 500), (2500, 5000, 2450, 5000, 0.01, 1000),
                                          (0, 150, 0, 15000, 0.05, 500), (150, 150, 0, 150, 0.05, 100)]:
        rho = ratio(alpha) * target
        se = math.sqrt(smoothed_var(xa, na) / na + smoothed_var(xb, nb) / nb)
        half = kappa(na, alpha, rho) * se
        est = xa / na - xb / nb
        out["difference"].append({"events_a": xa, "trials_a": na, "events_b": xb, "trials_b": nb, "alpha": alpha,
                                  "target": target, "estimate": est, "lower": max(-1.0, est - half),
                                  "upper": min(1.0, est + half)})

    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
