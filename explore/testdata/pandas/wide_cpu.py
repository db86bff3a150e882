"""pandas' CPU time on the wide benchmark file, for BenchmarkWide576Columns.

/usr/bin/python3 wide_cpu.py FILE  (Debian's pandas 1.5.3). The work is what
the profile reports per numeric column: read_csv, describe with the
profile's quantiles, nunique, duplicated rows, skew, and Pearson and
Spearman correlations (pandas over all 576 columns; the profile correlates
its 200 most variable ones).
"""
import resource, sys, time
import pandas as pd

t0 = time.time()
df = pd.read_csv(sys.argv[1])
t1 = time.time()
df.describe(percentiles=[.05, .25, .5, .75, .95])
df.nunique()
df.duplicated().sum()
df.skew()
t2 = time.time()
df.corr(method="pearson")
df.corr(method="spearman")
t3 = time.time()
ru = resource.getrusage(resource.RUSAGE_SELF)
print(f"read {t1-t0:.2f} s, stats {t2-t1:.2f} s, corr {t3-t2:.2f} s, CPU {ru.ru_utime+ru.ru_stime:.2f} s")
