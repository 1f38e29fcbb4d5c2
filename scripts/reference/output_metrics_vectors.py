#!/usr/bin/python3
"""Reference vectors for Vigil's class and score evaluation metrics (src/Vigil.Core/Retraining/OutputMetrics.cs).

Run with Debian's python3-sklearn and python3-scipy:  /usr/bin/python3 scripts/reference/output_metrics_vectors.py
Writes tests/Vigil.Core.Tests/Retraining/Vectors/output_metrics.json:
- class cases: true and predicted class names, scikit-learn's accuracy_score and f1_score(average="macro",
  zero_division=0) over the union of the labels present in either;
- score cases: true and predicted values, scikit-learn's mean_absolute_error, the square root of mean_squared_error,
  and scipy's spearmanr (average ranks for ties).
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy.stats import spearmanr
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, mean_squared_error

rng = np.random.default_rng(20261126)
classes, scores = [], []


def add_class(name, y, p):
    classes.append({
        "name": name,
        "actual": list(y),
        "predicted": list(p),
        "accuracy": float(accuracy_score(y, p)),
        "macro_f1": float(f1_score(y, p, average="macro", zero_division=0)),
    })


def add_score(name, y, p):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    scores.append({
        "name": name,
        "actual": [float(v) for v in y],
        "predicted": [float(v) for v in p],
        "mae": float(mean_absolute_error(y, p)),
        "rmse": float(np.sqrt(mean_squared_error(y, p))),
        "spearman": float(spearmanr(y, p).statistic),
    })


add_class("tiny", ["a", "b", "a", "c"], ["a", "b", "c", "c"])
add_class("never_predicted", ["a", "b", "c", "c", "b"], ["a", "a", "a", "c", "a"])
add_class("extra_predicted", ["a", "a", "b", "b"], ["a", "d", "b", "b"])
add_class("perfect", ["x", "y", "z"], ["x", "y", "z"])
names = ["cat", "dog", "bird", "fish"]
for n in (60, 500):
    y = rng.choice(names, size=n, p=[0.4, 0.3, 0.2, 0.1])
    p = np.where(rng.random(n) < 0.7, y, rng.choice(names, size=n))
    add_class(f"random_n{n}", [str(v) for v in y], [str(v) for v in p])

add_score("tiny", [1, 2, 3, 4], [1.5, 1.5, 3.5, 5])
add_score("ties", [1, 1, 2, 2, 3, 3], [0.5, 0.5, 0.5, 2, 2, 4])
add_score("perfect", [3, 1, 2], [3, 1, 2])
for n in (40, 700):
    y = rng.normal(10, 3, size=n)
    p = np.round(y + rng.normal(0, 1.5, size=n), 1)  # rounding makes ties
    add_score(f"noisy_n{n}", np.round(y, 2), p)

out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "Vigil.Core.Tests", "Retraining", "Vectors", "output_metrics.json")
with open(out, "w") as f:
    json.dump({"generator": "scripts/reference/output_metrics_vectors.py", "sklearn": sklearn.__version__, "scipy": scipy.__version__,
               "numpy": np.__version__, "classes": classes, "scores": scores}, f, indent=1)
print(f"wrote {len(classes)} class and {len(scores)} score cases to {os.path.normpath(out)}")
