"""Reference statistics for the explore tests, computed with pandas.

Run from this directory with Debian's python3 (pandas 1.5.3, numpy 1.24.2,
scipy 1.10.1):  /usr/bin/python3 gen.py
Writes <dataset>.json next to this script; the Go tests read those files.
"""
import json, math, sys
import numpy as np
import pandas as pd
from scipy.stats.contingency import association

DATA = "../"
FILES = ["seattle-weather.csv", "stocks.csv", "cars.json", "penguins.json"]


def load(name):
    if name.endswith(".csv"):
        return pd.read_csv(DATA + name)
    with open(DATA + name) as f:
        return pd.DataFrame(json.load(f))


def num(x):
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def profile(df):
    out = {"rows": len(df), "duplicate_rows": int(df.duplicated().sum()), "columns": {}}
    for c in df.columns:
        s = df[c]
        col = {"count": int(s.count()), "missing": int(s.isna().sum()), "distinct": int(s.nunique()),
               "dtype": str(s.dtype)}
        vc = s.value_counts()
        col["top_count"] = int(vc.iloc[0]) if len(vc) else 0
        if pd.api.types.is_numeric_dtype(s):
            d = s.dropna().astype(float)
            col.update({"min": num(d.min()), "max": num(d.max()), "mean": num(d.mean()), "std": num(d.std()),
                        "skew": num(d.skew()), "zeros": int((d == 0).sum()), "negatives": int((d < 0).sum())})
            col["quantiles"] = {k: num(d.quantile(q)) for k, q in
                                [("p05", .05), ("p25", .25), ("p50", .5), ("p75", .75), ("p95", .95)]}
            counts, edges = np.histogram(d.values, bins=10)
            col["histogram"] = {"edges": [float(e) for e in edges], "counts": [int(x) for x in counts]}
        out["columns"][c] = col
    corr = []
    numeric = df.select_dtypes("number")
    for method in ("pearson", "spearman"):
        m = numeric.corr(method=method)
        cols = list(m.columns)
        for i in range(len(cols)):
            for j in range(i + 1, len(cols)):
                corr.append({"a": cols[i], "b": cols[j], "method": method, "value": num(m.iloc[i, j])})
    cats = [c for c in df.columns if df[c].dtype == object and df[c].nunique() <= 50]
    for i in range(len(cats)):
        for j in range(i + 1, len(cats)):
            sub = df[[cats[i], cats[j]]].dropna()
            tab = pd.crosstab(sub[cats[i]], sub[cats[j]])
            if min(tab.shape) < 2:
                continue
            corr.append({"a": cats[i], "b": cats[j], "method": "cramers_v",
                         "value": float(association(tab.values, method="cramer"))})
    out["correlations"] = corr
    return out


for name in FILES:
    with open(name.rsplit(".", 1)[0] + ".json", "w") as f:
        json.dump(profile(load(name)), f, indent=1, sort_keys=True)
print("pandas", pd.__version__, "numpy", np.__version__, file=sys.stderr)
