#!/usr/bin/env python3
"""Top talkers / rejects by port over a flow-log file with polars' lazy engine (Python package,
the same Rust engine `flowlogs` would link), for choosing the grouping path by measurement
(flowlogs/FLOWLOGS.md, "Why not polars for grouping").

    POLARS_MAX_THREADS=2 python3 benches/flowlogs_polars.py FILE top-talkers|rejects-by-port

Reads the header line's field names, every column as text except the counters (explicit
schema, no inference), `-` as null, space separator; CSV out on stdout in the same shape as
`flowsleuth flowlogs query --format csv`. Plain files only (no double spaces, as made by
`samplegen flowlogs --no-double-spaces`).
"""
import sys
import time

import polars as pl

path, query = sys.argv[1], sys.argv[2]
with open(path) as f:
    names = f.readline().split()
ints = {"packets", "bytes", "start", "end", "srcport", "dstport", "protocol", "version"}
schema = {n: (pl.Int64 if n in ints else pl.Utf8) for n in names}
t0 = time.time()
lf = pl.scan_csv(path, separator=" ", has_header=True, schema=schema, null_values="-")
lf = lf.filter(pl.col("log-status") == "OK")
if query == "top-talkers":
    keys, sort = ["srcaddr", "dstaddr"], "bytes"
else:
    lf = lf.filter(pl.col("action") == "REJECT")
    keys, sort = ["dstport"], "records"
out = (
    lf.group_by(keys)
    .agg(
        pl.len().alias("records"),
        pl.col("packets").fill_null(0).sum().alias("packets"),
        pl.col("bytes").fill_null(0).sum().alias("bytes"),
    )
    .sort([sort] + keys, descending=[True] + [False] * len(keys))
    .head(10)
    .collect(engine="streaming")
)
sys.stdout.write(out.write_csv())
print(f"polars {pl.__version__}: {out.height} rows in {time.time() - t0:.2f} s", file=sys.stderr)
