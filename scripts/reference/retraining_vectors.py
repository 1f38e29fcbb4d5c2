#!/usr/bin/python3
"""Reference vectors for Vigil's evaluation metrics (src/Vigil.Core/Retraining/BinaryMetrics.cs).

Run with Debian's python3-sklearn:  /usr/bin/python3 scripts/reference/retraining_vectors.py
Writes tests/Vigil.Core.Tests/Retraining/Vectors/binary_metrics.json: per case the labels, the probabilities, and
scikit-learn's roc_auc_score, log_loss (probabilities clipped at 1e-15 as Vigil does) and accuracy_score at 0.5.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

rng = np.random.default_rng(20261125)
cases = []


def add(name, y, p):
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    cases.append({
        "name": name,
        "labels": [bool(v) for v in y],
        "probabilities": [float(v) for v in p],
        "auc": float(roc_auc_score(y, p)),
        "log_loss": float(log_loss(y, clipped, labels=[0, 1])),
        "accuracy": float(accuracy_score(y, (p >= 0.5).astype(int))),
    })


add("tiny", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
add("ties", [0, 1, 0, 1, 1, 0, 1, 0], [0.5, 0.5, 0.2, 0.9, 0.2, 0.9, 0.7, 0.1])
add("perfect", [0, 0, 0, 1, 1], [0.01, 0.2, 0.3, 0.7, 0.99])
add("extremes", [1, 0, 1, 0], [1.0, 0.0, 0.0, 1.0])
for n, signal in [(50, 0.5), (300, 1.5), (2000, 0.8)]:
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-signal * x))).astype(int)
    p = 1 / (1 + np.exp(-(signal * x + rng.normal(scale=0.5, size=n))))
    add(f"logistic_n{n}", y, np.round(p, 3))  # rounding makes ties

out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "Vigil.Core.Tests", "Retraining", "Vectors", "binary_metrics.json")
with open(out, "w") as f:
    json.dump({"generator": "scripts/reference/retraining_vectors.py", "sklearn": sklearn.__version__, "numpy": np.__version__, "cases": cases}, f, indent=1)
print(f"wrote {len(cases)} cases to {os.path.normpath(out)}")
