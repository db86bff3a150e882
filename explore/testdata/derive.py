"""Files derived from vega-datasets 3.2.1 for the explore tests (see SOURCES.md).

Run from this directory with Debian's python3: /usr/bin/python3 derive.py DIR
where DIR holds vega-datasets' data/ folder (npm pack vega-datasets@3.2.1).
"""
import csv, json, sys

src = sys.argv[1]

# budget.csv: budget.json (US OMB receipts, one key per year 1962..2020)
# written as CSV, keys in their JSON order: a World-Bank-style wide table
# whose header holds years.
rows = json.load(open(src + "/budget.json"))
keys = list(rows[0].keys())
with open("budget.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(keys)
    for r in rows:
        w.writerow(["" if r.get(k) is None else r.get(k) for k in keys])
