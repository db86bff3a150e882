"""pandas' CPU time on the wide benchmark file, for BenchmarkWide576Columns.

/usr/bin/python3 wide_cpu.py FILE [--spearman]  (Debian's pandas 1.5.3).
The work is what the profile reports per numeric column: read_csv, describe
with the profile's quantiles, nunique, duplicated rows, skew, and Pearson
correlations over all 576 columns (the profile correlates its 200 most
variable ones, Pearson and Spearman). pandas 1.5's Spearman over 576
columns ranks each pair anew and runs for more than ten minutes here, so it
is left out unless asked for. Prints the CPU seconds after each stage.
"""
import resource, sys, time
import pandas as pd


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


df = pd.read_csv(sys.argv[1])
print(f"read_csv: {cpu():.2f} CPU s", flush=True)
df.describe(percentiles=[.05, .25, .5, .75, .95])
df.nunique()
df.duplicated().sum()
df.skew()
print(f"+ describe, nunique, duplicated, skew: {cpu():.2f} CPU s", flush=True)
df.corr(method="pearson")
print(f"+ pearson: {cpu():.2f} CPU s", flush=True)
if "--spearman" in sys.argv:
    df.corr(method="spearman")
    print(f"+ spearman: {cpu():.2f} CPU s", flush=True)
