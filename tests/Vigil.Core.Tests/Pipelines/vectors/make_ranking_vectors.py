#!/usr/bin/python3
"""Reference vectors for Vigil's ranking metrics (src/Vigil.Core/Pipelines/RankingMetrics.cs).

Run with Debian's python3 and scikit-learn from this folder:
    /usr/bin/python3 make_ranking_vectors.py > ranking.json

nDCG@k is sklearn.metrics.ndcg_score (ties averaged); average precision is sklearn.metrics.average_precision_score on
lists without tied scores; precision@k, hit rate and reciprocal rank follow DESIGN.md's definitions, computed here
independently with numpy.
"""
import json

import numpy as np
import sklearn
from sklearn.metrics import average_precision_score, ndcg_score

rng = np.random.default_rng(20261125)
cases = []


def add(name, relevance, scores, ks):
    relevance = [float(r) for r in relevance]
    entry = {"name": name, "relevance": relevance, "scores": None if scores is None else [float(s) for s in scores], "cases": []}
    y_true = np.asarray([relevance])
    y_score = np.asarray([scores if scores is not None else list(range(len(relevance), 0, -1))], dtype=float)
    order = np.argsort(-y_score[0], kind="stable")
    ranked = np.asarray(relevance)[order]
    has_ties = len(set(y_score[0].tolist())) < len(relevance)
    for k in ks:
        top = ranked[:k]
        rel_positions = np.nonzero(ranked > 0)[0]
        case = {
            "k": k,
            "ndcg": float(ndcg_score(y_true, y_score, k=k)),
            "precision": float((top > 0).sum() / k),
            "hit_rate": float(1.0 if (top > 0).any() else 0.0),
            "reciprocal_rank": float(1.0 / (rel_positions[0] + 1)) if len(rel_positions) else 0.0,
        }
        binary = (np.asarray(relevance) > 0).astype(int)
        if not has_ties and k >= len(relevance) and 0 < binary.sum() < len(relevance):
            case["average_precision"] = float(average_precision_score(binary, y_score[0]))
        entry["cases"].append(case)
    cases.append(entry)


add("served order, graded", [3, 2, 3, 0, 1, 2], None, [1, 3, 6, 10])
add("scores with ties", [2, 0, 1, 3, 0, 1], [0.9, 0.9, 0.5, 0.5, 0.5, 0.1], [1, 2, 3, 5, 6, 12])
add("all ties", [1, 0, 2, 0], [0.3, 0.3, 0.3, 0.3], [1, 2, 4])
add("all-zero relevance", [0, 0, 0, 0], [0.4, 0.3, 0.2, 0.1], [2, 4, 8])
add("k beyond list length", [0, 1, 0], [0.7, 0.2, 0.5], [5, 10, 100])
add("binary, relevant last", [0, 0, 0, 0, 1], None, [1, 5, 10])
for i in range(12):
    n = int(rng.integers(2, 25))
    relevance = rng.integers(0, 4, size=n).tolist()
    if i % 3 == 0:
        scores = np.round(rng.random(n), 1).tolist()  # coarse scores: ties
    else:
        scores = rng.random(n).tolist()
    add(f"random {i}", relevance, scores, [1, 3, 5, 10, n, n + 5])

print(json.dumps({"generator": "make_ranking_vectors.py", "sklearn": sklearn.__version__, "numpy": np.__version__, "lists": cases}, indent=1))
