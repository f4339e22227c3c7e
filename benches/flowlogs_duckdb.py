#!/usr/bin/env python3
"""The DuckDB side of `flowsleuth flowlogs query`: the peer in benches/flowlogs.sh and the
independent oracle in cli/tests/flowlogs_duckdb.rs.

    python3 benches/flowlogs_duckdb.py FILE --group-by srcaddr,dstaddr --sort bytes --limit 10
        [--action accept|reject] [--dst-port P] [--threads 2] [--reader csv|split]

FILE is a VPC Flow Log text file as S3 delivers it (a header line naming the fields, then one
record per line; `.gz` is read as gzip). The columns and their types come from the header line,
mapped to the types of AWS's Parquet delivery (ports, protocol, tcp-flags, traffic-path INTEGER;
packets, bytes, start, end BIGINT; everything else VARCHAR); `-` is NULL. Hyphenated names
become snake_case (`log-status` -> `log_status`), as `--group-by` expects.

The query is the CLI contract: records with log-status OK (and the action / destination port
asked for), grouped by the --group-by columns, with records = count(*), packets = sum(packets),
bytes = sum(bytes); ordered by the --sort column descending, ties by the group columns
ascending; the first --limit rows. Output: CSV with a header line on stdout (NULL as an empty
field); the query's own time on stderr.

Readers:
  csv    DuckDB's read_csv with the explicit schema, delim=' ', header, nullstr='-', no
         sniffing. The fast path, used by the benchmark. DuckDB has no option to collapse runs
         of delimiters, so a line with a double space between two fields (AWS writes some) is a
         line with too many columns: this reader then fails with an error (it never skips).
  split  each line read as one VARCHAR, split on runs of spaces with string_split_regex, cast
         field by field. Slower, but reads double spaces the way AWS's format means them.
         Lines with the wrong number of fields are an error. Used by the correctness test.
"""

import argparse
import csv
import gzip
import sys
import time

try:
    import duckdb
except ImportError:
    sys.exit("flowlogs_duckdb.py: the Python package duckdb is missing: pip install duckdb")

INTEGER = {"version", "srcport", "dstport", "protocol", "tcp_flags", "traffic_path"}
BIGINT = {"packets", "bytes", "start", "end"}


def columns_of(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        header = f.readline().split()
    if not header:
        sys.exit(f"flowlogs_duckdb.py: {path}: no header line")
    cols = [h.replace("-", "_") for h in header]
    return {c: "INTEGER" if c in INTEGER else "BIGINT" if c in BIGINT else "VARCHAR" for c in cols}


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def source(path, cols, reader):
    compression = "gzip" if path.endswith(".gz") else "none"
    if reader == "csv":
        spec = ", ".join(f"{sql_str(c)}: {sql_str(t)}" for c, t in cols.items())
        return (
            f"read_csv({sql_str(path)}, columns={{{spec}}}, delim=' ', header=true, "
            f"nullstr='-', quote='', escape='', auto_detect=false, compression='{compression}')"
        )
    # split: one VARCHAR per line (no tab occurs in flow logs), split on runs of spaces.
    lines = (
        f"read_csv({sql_str(path)}, columns={{'line': 'VARCHAR'}}, delim='\\t', header=true, "
        f"quote='', escape='', auto_detect=false, compression='{compression}')"
    )
    n = len(cols)
    casts = ", ".join(
        f"CAST(nullif(f[{i + 1}], '-') AS {t}) AS {quote_ident(c)}"
        for i, (c, t) in enumerate(cols.items())
    )
    checked = (
        f"SELECT CASE WHEN len(f) = {n} THEN f "
        f"ELSE error('line with ' || len(f) || ' fields, expected {n}: ' || line) END AS f "
        f"FROM (SELECT line, string_split_regex(trim(line), ' +') AS f FROM {lines})"
    )
    return f"(SELECT {casts} FROM ({checked}))"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file")
    p.add_argument("--group-by", required=True)
    p.add_argument("--sort", choices=["records", "packets", "bytes"], default="bytes")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--action", choices=["accept", "reject"])
    p.add_argument("--dst-port", type=int)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reader", choices=["csv", "split"], default="csv")
    a = p.parse_args()

    cols = columns_of(a.file)
    group = [g.strip().replace("-", "_") for g in a.group_by.split(",") if g.strip()]
    for g in group:
        if g not in cols:
            sys.exit(f"flowlogs_duckdb.py: --group-by {g}: not a field of {a.file}")
    where = ["log_status = 'OK'"]
    if a.action:
        where.append(f"action = {sql_str(a.action.upper())}")
    if a.dst_port is not None:
        where.append(f"dstport = {a.dst_port}")
    g = ", ".join(quote_ident(c) for c in group)
    order = ", ".join([f"{a.sort} DESC"] + [f"{quote_ident(c)} ASC" for c in group])
    sql = (
        f"SELECT {g}, count(*) AS records, sum(packets) AS packets, sum(bytes) AS bytes "
        f"FROM {source(a.file, cols, a.reader)} WHERE {' AND '.join(where)} "
        f"GROUP BY {g} ORDER BY {order} LIMIT {a.limit}"
    )

    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    t = time.perf_counter()
    rows = con.execute(sql).fetchall()
    elapsed = time.perf_counter() - t

    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(group + ["records", "packets", "bytes"])
    for r in rows:
        out.writerow(["" if v is None else v for v in r])
    print(
        f"duckdb {duckdb.__version__}: {len(rows)} rows in {elapsed:.3f} s "
        f"(threads={a.threads}, reader={a.reader})",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
