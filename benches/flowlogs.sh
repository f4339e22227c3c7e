#!/usr/bin/env bash
# End-to-end benchmark of `flowsleuth flowlogs query` beside DuckDB, on the same generated VPC
# Flow Logs, in the same run: wall time, peak RSS, ratios, and a check that both print the
# same result.
#
#   bash benches/flowlogs.sh [RECORDS]      (default 10000000; needs python3 + duckdb, GNU time)
#
# Files: `samplegen flowlogs` writes RECORDS records in the default format and in AWS's
# version-5 example format, each plain and gzip (4 files, ~5 GB in all for 10M records:
# default 1.15 GB, v5 2.5 GB, gzip about a quarter of that), cached in
# $FLOWLOGS_BENCH_DIR (default benches/out/flowlogs/) and reused when present. They are
# generated with --no-double-spaces: DuckDB's read_csv cannot collapse repeated delimiters
# (a double space is one more column and an error), and the work-arounds would be unfair to
# it (string_split_regex per line is ~4x slower) or wrong (ignore_errors drops records). The
# double-space lines AWS writes are covered by the correctness test
# (cli/tests/flowlogs_duckdb.rs), not here.
#
# Queries (the CLI contract; DuckDB runs the same filter, GROUP BY, ORDER BY and LIMIT through
# benches/flowlogs_duckdb.py, read_csv with an explicit schema, delim ' ', header, nullstr '-'):
#   top talkers:      --group-by srcaddr,dstaddr --sort bytes --limit 10
#   rejects by port:  --action reject --group-by dstport --sort records --limit 10
#
# Fairness: DuckDB runs with `SET threads = 2` and flowsleuth with POLARS_MAX_THREADS=2; on a
# machine with more than 2 CPUs both are pinned to CPUS (default 0,1) with taskset. Each
# file is read once into the page cache before its measurements. The two tools alternate,
# RUNS times each (default 3); the fastest wall time and the peak RSS of that run are kept.
# DuckDB's wall time is the whole `python3 flowlogs_duckdb.py` process (interpreter start and
# `import duckdb` included, measured separately below); the query's own time is printed too,
# with a second ratio against it.
#
# DUCKDB_ONLY=1 measures DuckDB alone (while `flowlogs query` does not exist yet).
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS=${1:-10000000}
RUNS=${RUNS:-3}
CPUS=${CPUS:-0,1}
OUT=benches/out
DATA=${FLOWLOGS_BENCH_DIR:-$OUT/flowlogs}
DUCKDB_ONLY=${DUCKDB_ONLY:-0}
mkdir -p "$OUT" "$DATA"

[ -x /usr/bin/time ] || { echo "flowlogs.sh: GNU time is missing (apt-get install -y time)" >&2; exit 1; }
if ! python3 -c 'import duckdb' 2>/dev/null; then
    echo "flowlogs.sh: DuckDB's Python package is missing for $(command -v python3 || echo python3)." >&2
    echo "  Install it with: pip install duckdb   (Debian's system python: add --break-system-packages)" >&2
    exit 1
fi

TARGET=${CARGO_TARGET_DIR:-target}
if [ "$DUCKDB_ONLY" = 1 ]; then
    cargo build --release --locked -p flowsleuth-samplegen >&2
else
    cargo build --release --locked -p flowsleuth -p flowsleuth-samplegen >&2
fi
FS=$TARGET/release/flowsleuth
GEN=$TARGET/release/samplegen
if [ "$DUCKDB_ONLY" != 1 ] && ! $FS flowlogs query --help >/dev/null 2>&1; then
    echo "flowlogs.sh: $FS has no working 'flowlogs query' (DUCKDB_ONLY=1 measures DuckDB alone)" >&2
    exit 1
fi

PIN=()
if [ "$(nproc)" -gt 2 ] && command -v taskset >/dev/null; then PIN=(taskset -c "$CPUS"); fi
export POLARS_MAX_THREADS=2

FILES=()
for fmt in default v5; do
    for gz in "" .gz; do
        f="$DATA/$fmt-$RECORDS.log$gz"
        if [ ! -s "$f" ]; then
            $GEN flowlogs --records "$RECORDS" --log-format "$fmt" --no-double-spaces \
                ${gz:+--gzip} -o "$f.part" >&2
            mv "$f.part" "$f"
        fi
        FILES+=("$f")
    done
done

DUCK_VERSION=$(python3 -c 'import duckdb; print(duckdb.__version__)')
STARTUP=$( { /usr/bin/time -f "%e %M" python3 -c 'import duckdb' ; } 2>&1 | tail -1)
echo "flowlogs.sh: $RECORDS records per file; $(nproc) CPUs${PIN:+, pinned to $CPUS}; \
DuckDB $DUCK_VERSION (threads=2); flowsleuth $(git rev-parse --short HEAD 2>/dev/null || echo '?')\
$(git diff --quiet HEAD 2>/dev/null || echo '+dirty'); RUNS=$RUNS; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "python3 + import duckdb alone: ${STARTUP% *} s, ${STARTUP#* } KiB"
for f in "${FILES[@]}"; do echo "  $f: $(stat -c %s "$f") bytes"; done
echo

# run NAME CMD...: one timed run; sets SECS and KIB, output in $OUT/flowlogs-NAME.csv.
run() {
    local name=$1; shift
    "${PIN[@]}" /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" \
        >"$OUT/flowlogs-$name.csv" 2>"$OUT/flowlogs-$name.err" || {
        echo "flowlogs.sh: '$*' failed:" >&2; tail -20 "$OUT/flowlogs-$name.err" >&2; exit 1; }
    read -r SECS KIB < "$OUT/time.txt"
}
better() { awk "BEGIN{exit !($1 < $2)}"; }
norm() { sed -e 's/\r$//' -e 's/[[:space:]]*$//' "$1"; }

QNAMES=(top-talkers rejects-by-port)
QARGS=("--group-by srcaddr,dstaddr --sort bytes --limit 10"
       "--action reject --group-by dstport --sort records --limit 10")

ROWS=()
status=0
for f in "${FILES[@]}"; do
    cat "$f" >/dev/null  # into the page cache for both tools
    for qi in 0 1; do
        q=${QNAMES[$qi]}
        read -r -a args <<< "${QARGS[$qi]}"
        fs_best="" fs_rss="" dk_best="" dk_rss="" dk_query=""
        for _ in $(seq "$RUNS"); do
            if [ "$DUCKDB_ONLY" != 1 ]; then
                run fs $FS flowlogs query "$f" "${args[@]}" --format csv
                if [ -z "$fs_best" ] || better "$SECS" "$fs_best"; then fs_best=$SECS; fs_rss=$KIB; fi
            fi
            run duckdb python3 benches/flowlogs_duckdb.py "$f" "${args[@]}" --threads 2 --reader csv
            qt=$(sed -n 's/.* rows in \([0-9.]*\) s .*/\1/p' "$OUT/flowlogs-duckdb.err")
            if [ -z "$dk_best" ] || better "$SECS" "$dk_best"; then dk_best=$SECS; dk_rss=$KIB; fi
            if [ -z "$dk_query" ] || better "$qt" "$dk_query"; then dk_query=$qt; fi
        done
        same="-"
        if [ "$DUCKDB_ONLY" != 1 ]; then
            if diff <(norm "$OUT/flowlogs-fs.csv") <(norm "$OUT/flowlogs-duckdb.csv") >"$OUT/flowlogs-diff.txt"; then
                same=yes
            else
                same=NO; status=1
                echo "flowlogs.sh: results differ for $(basename "$f") $q (< flowsleuth, > duckdb):" >&2
                cat "$OUT/flowlogs-diff.txt" >&2
            fi
        fi
        ROWS+=("$(basename "$f")|$q|$fs_best|$fs_rss|$dk_best|$dk_rss|$dk_query|$same")
    done
done

printf '%-24s %-16s %19s %19s %9s %8s %8s %8s %5s\n' file query "flowsleuth" "duckdb (process)" \
    "duckdb q" speed "speed q" "RSS" same
for r in "${ROWS[@]}"; do
    IFS='|' read -r file q fw fr dw dr dq same <<< "$r"
    if [ -n "$fw" ]; then
        fcol=$(awk "BEGIN{printf \"%7.2f s %6.0f MB\", $fw, $fr / 1024}")
        speed=$(awk "BEGIN{printf \"%.2fx\", $dw / $fw}")
        speedq=$(awk "BEGIN{printf \"%.2fx\", $dq / $fw}")
        rss=$(awk "BEGIN{printf \"%.0f%%\", 100 * $fr / $dr}")
    else
        fcol="-" speed="-" speedq="-" rss="-"
    fi
    dcol=$(awk "BEGIN{printf \"%7.2f s %6.0f MB\", $dw, $dr / 1024}")
    printf '%-24s %-16s %19s %19s %7.2f s %8s %8s %8s %5s\n' "$file" "$q" "$fcol" "$dcol" "$dq" \
        "$speed" "$speedq" "$rss" "$same"
done
echo
echo "speed = DuckDB process wall / flowsleuth wall; speed q = DuckDB's own query time / flowsleuth"
echo "wall (higher = flowsleuth faster; target >= 1x). RSS = flowsleuth peak RSS / DuckDB's"
echo "(target < 100%). same = identical CSV output."
exit $status
