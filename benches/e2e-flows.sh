#!/usr/bin/env bash
# End-to-end benchmark of connection and TLS analysis: `flowsleuth flows` and `flowsleuth tls`
# beside ndpiReader (nDPI's flow and TLS analyser, Debian libndpi-bin) and tshark's SNI
# extraction, on the same generated capture, in the same run. Wall time, peak RSS, ratios.
#
#   bash benches/e2e-flows.sh [PACKETS]     (default 1000000; needs ndpiReader, tshark, GNU time)
#
# Best of RUNS (default 3) for each command; tshark runs once (it is the slow peer). Then PAIRS
# (default 5) alternating runs of `flows` and ndpiReader, one right after the other: on a
# shared machine whose speed drifts by 20-30 % within minutes, the ratio within each pair is
# the steadier figure, and the script prints every pair's ratio, their median and range.
# flowsleuth runs with its default threads (on 2 cores: one thread reading the file once and
# two workers, each tracking half of the connections) and again with --threads 1; ndpiReader
# and tshark read a file on one thread.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKETS=${1:-1000000}
RUNS=${RUNS:-3}
PAIRS=${PAIRS:-5}
OUT=benches/out
mkdir -p "$OUT"
BIG="$OUT/mixed-$PACKETS.pcap"

for tool in ndpiReader tshark /usr/bin/time; do
    command -v "$tool" >/dev/null || {
        echo "e2e-flows.sh: $tool is missing (apt-get install -y libndpi-bin tshark time)" >&2; exit 1; }
done
cargo build --release --locked -p flowsleuth -p flowsleuth-samplegen >&2
FS=target/release/flowsleuth
[ -s "$BIG" ] || target/release/samplegen big --packets "$PACKETS" -o "$BIG" >&2
echo "capture: $BIG, $PACKETS packets, $(stat -c %s "$BIG") bytes; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"

declare -A WALL RSS
measure() {
    local name=$1 runs=$2; shift 2
    local best="" best_rss=""
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >"$OUT/out-$name.txt" 2>"$OUT/stderr.txt" || {
            echo "e2e-flows.sh: '$*' failed:" >&2; tail -5 "$OUT/stderr.txt" >&2; exit 1; }
        read -r secs rss < "$OUT/time.txt"
        if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; best_rss=$rss; fi
    done
    WALL[$name]=$best
    RSS[$name]=$best_rss
    printf '%-12s %8.2f s %10d KiB  %s\n' "$name" "$best" "$best_rss" "$*"
}

# Default threads (the CPUs, at most 4: connections split between workers), then one thread.
measure flows  "$RUNS" $FS flows -r "$BIG" --format jsonl
measure tls    "$RUNS" $FS tls -r "$BIG" --format jsonl
measure flows1 "$RUNS" $FS flows -r "$BIG" --format jsonl --threads 1
measure tls1   "$RUNS" $FS tls -r "$BIG" --format jsonl --threads 1
measure ndpi   "$RUNS" ndpiReader -q -i "$BIG"
measure tshark 1       tshark -n -r "$BIG" -Y "tls.handshake.type == 1" -T fields -e tls.handshake.extensions_server_name

echo "records: flows $(wc -l < "$OUT/out-flows.txt"), tls $(wc -l < "$OUT/out-tls.txt"); tshark ClientHellos $(wc -l < "$OUT/out-tshark.txt")"
ratio() { awk "BEGIN{printf \"%.1fx\", ${WALL[$2]} / ${WALL[$1]}}"; }
pct() { awk "BEGIN{printf \"%.0f%%\", 100 * ${RSS[$1]} / ${RSS[$2]}}"; }
echo
echo "ratios (higher = flowsleuth faster):"
echo "  flows vs ndpiReader:  $(ratio flows ndpi) (target >= 10x); peak RSS $(pct flows ndpi) of ndpiReader's (target <= 10%)"
echo "  tls   vs ndpiReader:  $(ratio tls ndpi); peak RSS $(pct tls ndpi) of ndpiReader's"
echo "  tls   vs tshark SNI:  $(ratio tls tshark) (target >= 50x)"
echo "  one thread: flows $(ratio flows1 ndpi), tls $(ratio tls1 ndpi) vs ndpiReader (ndpiReader uses one)"

# Alternating pairs: flows then ndpiReader, ratio per pair.
if [ "$PAIRS" -gt 0 ]; then
    echo
    ratios=()
    for i in $(seq "$PAIRS"); do
        /usr/bin/time -f "%e %M" -o "$OUT/time.txt" $FS flows -r "$BIG" --format jsonl >"$OUT/out-flows.txt" 2>/dev/null
        read -r fs fsrss < "$OUT/time.txt"
        /usr/bin/time -f "%e %M" -o "$OUT/time.txt" ndpiReader -q -i "$BIG" >/dev/null 2>&1
        read -r nd ndrss < "$OUT/time.txt"
        r=$(awk "BEGIN{printf \"%.1f\", $nd / $fs}")
        ratios+=("$r")
        printf 'pair %d: flows %.2f s %d KiB, ndpiReader %.2f s: %sx, RSS %s\n' "$i" "$fs" "$fsrss" "$nd" "$r" \
            "$(awk "BEGIN{printf \"%.1f%%\", 100 * $fsrss / $ndrss}")"
    done
    printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR]=$1} END{
        m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2;
        printf "pairs: flows vs ndpiReader median %.1fx, range %.1fx-%.1fx over %d pairs (target >= 10x)\n", m, v[1], v[NR], NR}'
fi
