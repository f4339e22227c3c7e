#!/usr/bin/env bash
# End-to-end benchmark: flowsleuth against the tools users would otherwise reach for, on the
# same generated capture, in the same run. Prints wall time and peak RSS of each and the ratios.
#
#   bash benches/e2e.sh [PACKETS]        (default 1000000; needs tcpdump, GNU time)
#
# Each command runs RUNS times (default 3); the fastest wall time and its peak RSS are kept,
# because these machines are shared and noisy. Ratios are what to compare across machines.
# tcpdump runs with TZ=UTC (flowsleuth prints UTC): without it, glibc stats /etc/localtime for
# every packet tcpdump prints, which would flatter our ratio by about 3 s per million packets.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKETS=${1:-1000000}
RUNS=${RUNS:-3}
OUT=benches/out
mkdir -p "$OUT"
BIG="$OUT/mixed-$PACKETS.pcap"

for tool in tcpdump /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "e2e.sh: $tool is missing (apt-get install -y tcpdump time)" >&2; exit 1; }
done

cargo build --release --locked -p flowsleuth -p flowsleuth-samplegen >&2
FS=target/release/flowsleuth
if [ ! -s "$BIG" ]; then
    target/release/samplegen big --packets "$PACKETS" -o "$BIG" >&2
fi
SIZE=$(stat -c %s "$BIG")
echo "capture: $BIG, $PACKETS packets, $SIZE bytes; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"

# measure NAME CMD...: best-of-RUNS wall seconds and the peak RSS (KiB) of that run.
declare -A WALL RSS
measure() {
    local name=$1; shift
    local best="" best_rss=""
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" || {
            echo "e2e.sh: '$*' failed:" >&2; cat "$OUT/stderr.txt" >&2; exit 1; }
        read -r secs rss < "$OUT/time.txt"
        if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; best_rss=$rss; fi
    done
    WALL[$name]=$best
    RSS[$name]=$best_rss
    printf '%-34s %8.2f s %10d KiB  %s\n' "$name" "$best" "$best_rss" "$*"
}

# Make sure each tool reads the whole file and agrees on the packet count.
ours=$($FS read -r "$BIG" 2>/dev/null | wc -l)
theirs=$(tcpdump -nr "$BIG" 2>/dev/null | wc -l)
echo "lines printed: flowsleuth $ours, tcpdump $theirs"

measure "flowsleuth read (print)"        $FS read -r "$BIG"
measure "tcpdump -nr (print)"            env TZ=UTC tcpdump -nr "$BIG"
measure "flowsleuth read --summary"      $FS read --summary -r "$BIG"
measure "tcpdump -r -w /dev/null"        tcpdump -r "$BIG" -w /dev/null
measure "flowsleuth read --json"         $FS read --json -r "$BIG"
measure "flowsleuth read 'tcp port 443'" $FS read -r "$BIG" tcp port 443
measure "tcpdump -nr 'tcp port 443'"     env TZ=UTC tcpdump -nr "$BIG" tcp port 443

ratio() { awk "BEGIN{printf \"%.1fx\", ${WALL[$2]} / ${WALL[$1]}}"; }
rss_ratio() { awk "BEGIN{printf \"%.2f\", ${RSS[$1]} / ${RSS[$2]}}"; }
echo
echo "ratios (higher = flowsleuth faster):"
echo "  print:            $(ratio 'flowsleuth read (print)' 'tcpdump -nr (print)') faster than tcpdump -nr (target >= 5x); RSS ratio $(rss_ratio 'flowsleuth read (print)' 'tcpdump -nr (print)')"
echo "  decode only:      $(ratio 'flowsleuth read --summary' 'tcpdump -r -w /dev/null') vs libpcap's bare read (target >= 1x)"
echo "  filtered print:   $(ratio "flowsleuth read 'tcp port 443'" "tcpdump -nr 'tcp port 443'") faster than tcpdump"
