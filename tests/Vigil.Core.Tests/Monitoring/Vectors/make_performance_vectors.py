#!/usr/bin/python3
"""Reference vectors for the performance layer (src/Vigil.Core/Monitoring/Layers/PerformanceMetrics.cs).

Run with Debian's python (apt-get install python3-sklearn python3-scipy):
    /usr/bin/python3 tests/Vigil.Core.Tests/Monitoring/Vectors/make_performance_vectors.py
It rewrites performance.json next to this script.
"""
import json
import os

import numpy as np
from scipy.stats import binomtest
from sklearn.metrics import accuracy_score, log_loss, precision_score, recall_score, roc_auc_score


def wilson(k, n):
    if n == 0:
        return None, None
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def case(name, p, y):
    p = np.asarray(p, dtype=float)
    y = np.asarray(y, dtype=bool)
    pred = p >= 0.5
    tp = int(np.sum(pred & y))
    fp = int(np.sum(pred & ~y))
    fn = int(np.sum(~pred & y))
    correct = int(np.sum(pred == y))
    conf = np.maximum(p, 1 - p)
    return {
        "name": name,
        "probabilities": p.tolist(),
        "labels": y.tolist(),
        "accuracy": float(accuracy_score(y, pred)),
        "accuracy_ci": wilson(correct, len(y)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "precision_ci": wilson(tp, tp + fp),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "recall_ci": wilson(tp, tp + fn),
        "log_loss": float(log_loss(y, p, labels=[False, True])),
        "auc": float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None,
        "estimated_accuracy": float(conf.mean()),
        "estimated_accuracy_half_width": float(1.959963984540054 * np.sqrt(np.sum(conf * (1 - conf))) / len(p)),
    }


rng = np.random.default_rng(20261126)
cases = []
# A calibrated model: labels drawn from the probabilities themselves.
p = rng.uniform(0, 1, 400)
cases.append(case("calibrated", p, rng.uniform(0, 1, 400) < p))
# An over-confident model: probabilities pushed to the extremes, labels from the true probabilities.
true_p = rng.uniform(0, 1, 300)
cases.append(case("overconfident", np.clip(0.5 + 1.8 * (true_p - 0.5), 0.001, 0.999), rng.uniform(0, 1, 300) < true_p))
# Small, with ties and exact 0.5 (predicted positive).
cases.append(case("small_ties", [0.5, 0.5, 0.2, 0.8, 0.8, 0.1, 0.9, 0.3], [True, False, False, True, False, False, True, True]))

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "performance.json"), "w") as f:
    json.dump({"cases": cases}, f, indent=1)
