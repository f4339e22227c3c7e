#!/usr/bin/env bash
# Re-makes the real (non-generated) captures of sample-pcaps/:
#
#   tls12-sni.pcap          openssl s_server / s_client, TLS 1.2, SNI tls12.example.test  (tcpdump -i lo: Ethernet)
#   tls13-sni.pcap          openssl s_server / s_client, TLS 1.3, SNI tls13.example.test  (tcpdump -i lo: Ethernet)
#   loopback-any-sll2.pcap  python3 http.server + curl                                    (tcpdump -i any: LINUX_SLL2)
#   tls13-hrr.pcap          TLS 1.3 HelloRetryRequest: server X25519 only, client key share P-256 first
#   tls-resumption.pcap     two TLS 1.2 connections, the second resumes the first's session (-sess_in)
#   tls-alert.pcap          TLS 1.2 handshake ended by the client's fatal alert unknown_ca
#
# Usage: sudo sample-pcaps/capture-real.sh [OUTDIR [FILE...]]
#   OUTDIR defaults to this script's directory; with FILE names (e.g. tls13-hrr.pcap) only those
#   captures are re-made (the others keep their committed bytes, which tests may depend on).
#
# Needs root (for tcpdump), tcpdump, openssl, python3, curl and ss. All traffic stays on
# 127.0.0.1; the tcpdump filters select only the one port each server listens on.
# The results are NOT byte-reproducible: keys, randoms, ports, ISNs and timestamps differ on
# every run. The file names, link types and SNI values stay the same.
set -euo pipefail

OUTDIR=$(cd "${1:-$(dirname "$0")}" && pwd)
shift || true
ONLY=("$@")
WORK=$(mktemp -d)
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

die() {
    echo "capture-real.sh: $*" >&2
    exit 1
}

for tool in tcpdump openssl python3 curl ss timeout; do
    command -v "$tool" >/dev/null || die "missing $tool"
done
[[ $(id -u) -eq 0 ]] || die "run as root (tcpdump needs it)"

# A TCP port that is free on 127.0.0.1 right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits (at most 10 s) until something listens on 127.0.0.1:$1, without connecting to it.
wait_listen() {
    local port=$1 i
    for i in $(seq 100); do
        if ss -Hltn "sport = :$port" | grep -q .; then
            return 0
        fi
        sleep 0.1
    done
    die "nothing listens on 127.0.0.1:$port after 10 s"
}

# start_tcpdump FILE ARGS...: starts tcpdump in the background, waits (at most 10 s) until it
# has opened the interface, and sets TCPDUMP_PID.
start_tcpdump() {
    local file=$1 i
    shift
    # --immediate-mode: take packets from the kernel at once (with TPACKET_V3 they otherwise
    # wait in the ring for up to 1 s and SIGINT would lose them); -U: write each packet at once;
    # -Z root: keep root so it can write into $WORK.
    tcpdump --immediate-mode -U -Z root -w "$file" "$@" 2>"$WORK/tcpdump.err" &
    TCPDUMP_PID=$!
    PIDS+=("$TCPDUMP_PID")
    for i in $(seq 100); do
        if grep -q "listening on" "$WORK/tcpdump.err"; then
            return 0
        fi
        kill -0 "$TCPDUMP_PID" 2>/dev/null || die "tcpdump exited: $(cat "$WORK/tcpdump.err")"
        sleep 0.1
    done
    die "tcpdump did not start within 10 s"
}

# Stops tcpdump cleanly with SIGINT (it flushes and closes the file) and waits at most 10 s.
stop_tcpdump() {
    local i
    sleep 0.5 # let the last FIN/ACK reach the capture
    kill -INT "$TCPDUMP_PID"
    for i in $(seq 100); do
        kill -0 "$TCPDUMP_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$TCPDUMP_PID" 2>/dev/null && die "tcpdump ignored SIGINT"
    wait "$TCPDUMP_PID" || true
    cat "$WORK/tcpdump.err" >&2
}

# tls_capture VERSION SNI OUTFILE: one TLS connection from s_client to s_server on 127.0.0.1.
tls_capture() {
    local version=$1 sni=$2 out=$3 port server_pid
    openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=$sni" -days 3650 \
        -keyout "$WORK/$sni.key" -out "$WORK/$sni.crt" 2>/dev/null
    port=$(free_port)
    # -naccept 1: exit after one connection; -rev: answer each line with the line reversed
    # (without it s_server would end the connection as soon as its own stdin is at EOF).
    timeout 30 openssl s_server -accept "127.0.0.1:$port" -cert "$WORK/$sni.crt" -key "$WORK/$sni.key" \
        -naccept 1 -rev >"$WORK/server-$version.out" 2>&1 </dev/null &
    server_pid=$!
    PIDS+=("$server_pid")
    wait_listen "$port"
    start_tcpdump "$WORK/$out" -i lo "tcp port $port"
    # The client sends one line, gets it back reversed, and at the end of its stdin (1 s
    # later) sends close_notify and exits.
    { echo "hello over $version to $sni"; sleep 1; } |
        timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$sni" "-$version" \
            >"$WORK/client-$version.out" 2>&1 ||
        die "s_client failed: $(tail -n 5 "$WORK/client-$version.out")"
    stop_tcpdump
    timeout 5 tail --pid="$server_pid" -f /dev/null || kill "$server_pid" 2>/dev/null || true
    mv "$WORK/$out" "$OUTDIR/$out"
    echo "wrote $OUTDIR/$out" >&2
}

# http_any_capture OUTFILE: python3 http.server + curl, captured on the "any" pseudo-interface.
http_any_capture() {
    local out=$1 port server_pid
    mkdir -p "$WORK/www"
    echo "hello from a real loopback capture" >"$WORK/www/hello.txt"
    port=$(free_port)
    timeout 30 python3 -m http.server "$port" --bind 127.0.0.1 --directory "$WORK/www" \
        >"$WORK/http.out" 2>&1 </dev/null &
    server_pid=$!
    PIDS+=("$server_pid")
    wait_listen "$port"
    # -y LINUX_SLL2: the cooked v2 header (also libpcap's default for "any" since 1.10).
    start_tcpdump "$WORK/$out" -i any -y LINUX_SLL2 "host 127.0.0.1 and tcp port $port"
    timeout 10 curl -sS --max-time 5 -o "$WORK/hello.got" "http://127.0.0.1:$port/hello.txt" ||
        die "curl failed"
    stop_tcpdump
    kill "$server_pid" 2>/dev/null || true
    mv "$WORK/$out" "$OUTDIR/$out"
    echo "wrote $OUTDIR/$out" >&2
}

# make_cert CN: a self-signed RSA-2048 certificate $WORK/CN.crt with key $WORK/CN.key.
make_cert() {
    openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=$1" -days 3650 \
        -keyout "$WORK/$1.key" -out "$WORK/$1.crt" 2>/dev/null
}

# start_s_server PORT CN ACCEPTS EXTRA...: s_server on 127.0.0.1:PORT with CN's certificate,
# exiting after ACCEPTS connections (or 30 s); sets SERVER_PID and waits until it listens.
start_s_server() {
    local port=$1 cn=$2 accepts=$3
    shift 3
    timeout 30 openssl s_server -accept "127.0.0.1:$port" -cert "$WORK/$cn.crt" -key "$WORK/$cn.key" \
        -naccept "$accepts" -rev "$@" >"$WORK/server-$cn.out" 2>&1 </dev/null &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_listen "$port"
}

# Waits at most 5 s for s_server to exit, then kills it.
stop_s_server() {
    timeout 5 tail --pid="$SERVER_PID" -f /dev/null || kill "$SERVER_PID" 2>/dev/null || true
}

# s_client_line LOG ARGS...: one line through s_client (as in tls_capture); fails the script if
# s_client fails.
s_client_line() {
    local log=$1
    shift
    { echo "hello"; sleep 1; } | timeout 10 openssl s_client "$@" >"$log" 2>&1 ||
        die "s_client failed: $(tail -n 5 "$log")"
}

# hrr_capture OUTFILE: TLS 1.3 with a HelloRetryRequest. The server accepts only X25519; the
# client lists P-256 first, so its first key_share is P-256 and the server asks for X25519.
hrr_capture() {
    local out=$1 sni=hrr.example.test port
    make_cert "$sni"
    port=$(free_port)
    start_s_server "$port" "$sni" 1 -groups X25519
    start_tcpdump "$WORK/$out" -i lo "tcp port $port"
    s_client_line "$WORK/client-hrr.out" -connect "127.0.0.1:$port" -servername "$sni" -tls1_3 \
        -groups P-256:X25519
    stop_tcpdump
    stop_s_server
    mv "$WORK/$out" "$OUTDIR/$out"
    echo "wrote $OUTDIR/$out" >&2
}

# resumption_capture OUTFILE: two TLS 1.2 connections to one s_server; the first saves its
# session (-sess_out), the second offers it (-sess_in) and gets an abbreviated handshake.
resumption_capture() {
    local out=$1 sni=resume.example.test port
    make_cert "$sni"
    port=$(free_port)
    start_s_server "$port" "$sni" 2
    start_tcpdump "$WORK/$out" -i lo "tcp port $port"
    s_client_line "$WORK/client-resume1.out" -connect "127.0.0.1:$port" -servername "$sni" -tls1_2 \
        -sess_out "$WORK/sess.pem"
    s_client_line "$WORK/client-resume2.out" -connect "127.0.0.1:$port" -servername "$sni" -tls1_2 \
        -sess_in "$WORK/sess.pem"
    grep -q '^Reused, ' "$WORK/client-resume2.out" || die "the second connection did not resume"
    stop_tcpdump
    stop_s_server
    mv "$WORK/$out" "$OUTDIR/$out"
    echo "wrote $OUTDIR/$out" >&2
}

# alert_capture OUTFILE: TLS 1.2 (so the alert is plaintext); the client trusts only an unrelated
# CA and with -verify_return_error rejects the server's self-signed certificate with a fatal
# unknown_ca alert.
alert_capture() {
    local out=$1 sni=alert.example.test port
    make_cert "$sni"
    make_cert other-ca.example.test
    port=$(free_port)
    start_s_server "$port" "$sni" 1
    start_tcpdump "$WORK/$out" -i lo "tcp port $port"
    # s_client fails here by design.
    if timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$sni" -tls1_2 \
        -verify_return_error -CAfile "$WORK/other-ca.example.test.crt" \
        </dev/null >"$WORK/client-alert.out" 2>&1; then
        die "s_client accepted a certificate it should have rejected"
    fi
    grep -q 'alert unknown ca\|unknown ca\|self.signed' "$WORK/client-alert.out" ||
        die "s_client failed for another reason: $(tail -n 5 "$WORK/client-alert.out")"
    stop_tcpdump
    stop_s_server
    mv "$WORK/$out" "$OUTDIR/$out"
    echo "wrote $OUTDIR/$out" >&2
}

# wanted FILE: whether FILE is to be made in this run.
wanted() {
    local f
    [[ ${#ONLY[@]} -eq 0 ]] && return 0
    for f in "${ONLY[@]}"; do
        [[ $f == "$1" ]] && return 0
    done
    return 1
}

if wanted tls12-sni.pcap; then tls_capture tls1_2 tls12.example.test tls12-sni.pcap; fi
if wanted tls13-sni.pcap; then tls_capture tls1_3 tls13.example.test tls13-sni.pcap; fi
if wanted loopback-any-sll2.pcap; then http_any_capture loopback-any-sll2.pcap; fi
if wanted tls13-hrr.pcap; then hrr_capture tls13-hrr.pcap; fi
if wanted tls-resumption.pcap; then resumption_capture tls-resumption.pcap; fi
if wanted tls-alert.pcap; then alert_capture tls-alert.pcap; fi
