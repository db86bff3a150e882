"""Reference statistics for the explore tests, computed with pandas.

Run from this directory with Debian's python3 (pandas 1.5.3, numpy 1.24.2,
scipy 1.10.1, statsmodels 0.13.5):  /usr/bin/python3 gen.py
Writes <dataset>.json next to this script; the Go tests read those files.

Conventions the profiler follows and this script spells out:
- CSV is read with pandas' default na_values plus "None" (pandas 2.x's set).
- Numeric statistics other than min/max are over the finite values (pandas
  itself gives mean=inf, std=NaN when a column holds an infinity).
- Cramér's V is Bergsma's (2013) bias-corrected V, as ydata-profiling's
  _cramers_corrected_stat, over categoricals with at most 100 values.
"""
import json, math, sys
import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.stattools import adfuller

DATA = "../"
FILES = ["seattle-weather.csv", "stocks.csv", "cars.json", "penguins.json", "airports.csv", "budget.csv",
         "edge-cases.csv", "co2-concentration.csv", "global-temp.csv", "uniform-2d.json", "normal-2d.json"]


def load(name):
    if name.endswith(".csv"):
        return pd.read_csv(DATA + name, na_values=["None"])
    with open(DATA + name) as f:
        return pd.DataFrame(json.load(f))


def num(x):
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def bound(x):
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return None if math.isnan(x) else x


def is_categorical(s):
    """The profiler's categorical: strings (at most 1% of the values look
    like numbers or dates; else the column is mixed or datetime) with at
    most 50 distinct values or at most half of them distinct."""
    if s.dtype != object:
        return False
    v = s.dropna().astype(str)
    if len(v) == 0:
        return False
    other = pd.to_numeric(v, errors="coerce").notna() | v.str.lower().isin(["true", "false"])
    dates = pd.to_datetime(v, errors="coerce").notna()
    if (other | dates).sum() > 0.01 * len(v):
        return False
    n = s.nunique()
    return n <= 50 or n <= 0.5 * s.count()


def cramers_corrected(x, y):
    tab = pd.crosstab(x, y)
    r, k = tab.shape
    if r < 2 or k < 2:
        return None
    chi2 = stats.chi2_contingency(tab.values, correction=False)[0]
    n = tab.values.sum()
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    rc = r - (r - 1) ** 2 / (n - 1)
    kc = k - (k - 1) ** 2 / (n - 1)
    d = min(kc - 1, rc - 1)
    if d <= 0:
        return None
    return min(1.0, math.sqrt(phi2 / d))


def profile(df):
    out = {"rows": len(df), "duplicate_rows": int(df.duplicated().sum()), "columns": {}}
    for c in df.columns:
        s = df[c]
        col = {"count": int(s.count()), "missing": int(s.isna().sum()), "distinct": int(s.nunique()),
               "dtype": str(s.dtype)}
        vc = s.value_counts()
        col["top_count"] = int(vc.iloc[0]) if len(vc) else 0
        if pd.api.types.is_numeric_dtype(s) and s.dtype != bool:
            d = s.dropna().astype(float)
            fin = d[np.isfinite(d)]
            col.update({"min": bound(d.min()), "max": bound(d.max()), "mean": num(fin.mean()), "std": num(fin.std()),
                        "skew": num(fin.skew()), "zeros": int((d == 0).sum()), "negatives": int((d < 0).sum()),
                        "infinite": int(np.isinf(d).sum())})
            if pd.api.types.is_integer_dtype(s):
                col["min_exact"], col["max_exact"] = str(int(s.min())), str(int(s.max()))
            col["quantiles"] = {k: num(fin.quantile(q)) for k, q in
                                [("p05", .05), ("p25", .25), ("p50", .5), ("p75", .75), ("p95", .95)]}
            counts, edges = np.histogram(fin.values, bins=10)
            col["histogram"] = {"edges": [float(e) for e in edges], "counts": [int(x) for x in counts]}
            h, _ = np.histogram(fin.values, bins="auto")
            if len(h) >= 2:
                col["uniform_p"] = float(stats.chisquare(h).pvalue)
        elif is_categorical(s) and s.nunique() >= 2:
            col["uniform_p"] = float(stats.chisquare(vc.values).pvalue)
        out["columns"][c] = col
    corr = []
    numeric = df.select_dtypes("number").replace([np.inf, -np.inf], np.nan)
    for method in ("pearson", "spearman"):
        m = numeric.corr(method=method)
        cols = list(m.columns)
        for i in range(len(cols)):
            for j in range(i + 1, len(cols)):
                corr.append({"a": cols[i], "b": cols[j], "method": method, "value": num(m.iloc[i, j])})
    cats = [c for c in df.columns if is_categorical(df[c]) and df[c].nunique() <= 100]
    for i in range(len(cats)):
        for j in range(i + 1, len(cats)):
            sub = df[[cats[i], cats[j]]].dropna()
            v = cramers_corrected(sub[cats[i]], sub[cats[j]])
            if v is not None:
                corr.append({"a": cats[i], "b": cats[j], "method": "cramers_v", "value": v})
    out["correlations"] = corr
    return out


def series_tests(name, col, period):
    x = load(name)[col].dropna().astype(float).values
    adf, p, lags, nobs, _, _ = adfuller(x, regression="c", autolag="AIC")
    out = {"adf": adf, "adf_p": p, "adf_lags": lags, "points": len(x)}
    if period:
        dec = seasonal_decompose(x, model="additive", period=period)
        ok = ~np.isnan(dec.resid)
        r, s = dec.resid[ok], dec.seasonal[ok]
        out["period"] = period
        out["seasonal_strength"] = max(0.0, 1 - np.var(r, ddof=1) / np.var(s + r, ddof=1))
    return out


for name in FILES:
    with open(name.rsplit(".", 1)[0] + ".json", "w") as f:
        json.dump(profile(load(name)), f, indent=1, sort_keys=True)

# Time series: the Mauna Loa CO2 record (monthly, seasonal, trending), its
# seasonally adjusted column, and yearly global temperature anomalies.
ts = {"co2-concentration.csv": {c: series_tests("co2-concentration.csv", c, 12) for c in ["CO2", "adjusted CO2"]},
      "global-temp.csv": {"temp": series_tests("global-temp.csv", "temp", 0)}}
with open("timeseries.json", "w") as f:
    json.dump(ts, f, indent=1, sort_keys=True)

# Two-sample Kolmogorov–Smirnov p-values (the asymptotic Kolmogorov
# distribution, scipy.stats.kstwobign) for the drift tests.
ks = []
for d, n, m in [(0.2, 100, 100), (0.26, 1000, 800), (0.05, 5000, 5000)]:
    en = n * m / (n + m)
    ks.append({"d": d, "n": n, "m": m, "p": float(stats.kstwobign.sf(math.sqrt(en) * d))})
with open("ks.json", "w") as f:
    json.dump(ks, f, indent=1)
print("pandas", pd.__version__, "numpy", np.__version__, file=sys.stderr)
