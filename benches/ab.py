#!/usr/bin/env python3
"""Alternating A/B runs of whole commands: median wall time, CPU time and peak RSS of each.

    python3 benches/ab.py RUNS NAME=COMMAND [NAME=COMMAND ...]

Runs the commands one after the other, RUNS rounds (output to /dev/null), so that a machine
whose speed drifts over minutes slows every command alike; prints, per command, the median
wall time with its range, the median CPU time (user + system, all threads) and the median
peak RSS with its range. CPU time is the steadier figure on a shared machine.

Example (two builds of flowsleuth on the 1M-packet capture of e2e-flows.sh):

    python3 benches/ab.py 8 "old=/tmp/fs-old flows -r benches/out/mixed-1000000.pcap --format jsonl" \\
                            "new=target/release/flowsleuth flows -r benches/out/mixed-1000000.pcap --format jsonl"
"""
import os
import statistics
import subprocess
import sys
import time


def main() -> None:
    if len(sys.argv) < 3 or "=" not in "".join(sys.argv[2:]):
        sys.exit(__doc__)
    runs = int(sys.argv[1])
    cmds = [a.split("=", 1) for a in sys.argv[2:]]
    res = {name: [] for name, _ in cmds}
    for _ in range(runs):
        for name, cmd in cmds:
            start = time.time()
            p = subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.time() - start
            if status != 0:
                sys.exit(f"ab.py: {name}: '{cmd}' failed (wait status {status})")
            res[name].append((wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024))
    for name, _ in cmds:
        w, c, m = (list(x) for x in zip(*res[name]))
        print(
            f"{name:8s} wall median {statistics.median(w):.3f} s [{min(w):.3f}-{max(w):.3f}]"
            f"  cpu median {statistics.median(c):.3f} s"
            f"  rss median {statistics.median(m):.1f} MB [{min(m):.1f}-{max(m):.1f}]"
        )


if __name__ == "__main__":
    main()
