#!/usr/bin/env bash
# Seeds fuzz/corpus/ from sample-pcaps/: whole files for pcap_file, single frames (prefixed
# with the decode_packet target's link-type selector byte) for decode_packet.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/pcap_file corpus/decode_packet corpus/tls_hello
cp ../sample-pcaps/*.pcap ../sample-pcaps/*.pcapng ../sample-pcaps/*.gz corpus/pcap_file/
python3 - <<'PY'
import glob, hashlib, struct
# LINKTYPE number -> index in decode_packet's LINKS table
idx = {1: 0, 113: 1, 276: 2, 0: 3, 108: 4, 101: 5, 228: 6, 229: 7}
n = 0
for f in sorted(glob.glob('../sample-pcaps/*.pcap')):
    b = open(f, 'rb').read()
    magic = b[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    else:
        continue
    lt = struct.unpack(e + 'I', b[20:24])[0]
    if lt not in idx:
        continue
    off = 24
    while off + 16 <= len(b):
        _, _, incl, _ = struct.unpack(e + 'IIII', b[off:off + 16])
        off += 16
        if incl > len(b) - off or incl > 70000:
            break
        frame = bytes([idx[lt]]) + b[off:off + incl]
        off += incl
        open('corpus/decode_packet/' + hashlib.sha1(frame).hexdigest(), 'wb').write(frame)
        n += 1
print(f'{n} frames seeded for decode_packet')

# tls_hello: the handshake messages (record header stripped) of the TLS samples' records.
m = 0
for f in sorted(glob.glob('../sample-pcaps/tls*.pcap')):
    b = open(f, 'rb').read()
    if b[:4] != b'\xd4\xc3\xb2\xa1' or struct.unpack('<I', b[20:24])[0] != 1:
        continue
    off = 24
    while off + 16 <= len(b):
        _, _, incl, _ = struct.unpack('<IIII', b[off:off + 16])
        frame = b[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) < 54 or frame[12:14] != b'\x08\x00' or frame[23] != 6:
            continue
        ihl = (frame[14] & 15) * 4
        thl = (frame[14 + ihl + 12] >> 4) * 4
        payload = frame[14 + ihl + thl:]
        if len(payload) > 9 and payload[0] == 0x16 and payload[1] == 3:
            open('corpus/tls_hello/' + hashlib.sha1(payload[5:]).hexdigest(), 'wb').write(payload[5:])
            m += 1
print(f'{m} handshake messages seeded for tls_hello')
PY
