#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# sniff.py IFNAME PORT TYPE OUT [TIMEOUT_S]: capture one qkd-macsecd control
# message of TYPE (2 = PREPARE) sent to UDP PORT on IFNAME and write its
# payload to OUT, for the replay test. Exits 1 if none came in time.
import socket
import struct
import sys
import time

ifname, port, mtype, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
deadline = time.time() + (float(sys.argv[5]) if len(sys.argv) > 5 else 20)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((ifname, 0))
s.settimeout(0.5)
print("listening", flush=True)
while time.time() < deadline:
    try:
        frame = s.recv(2048)
    except socket.timeout:
        continue
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 17:
        continue
    dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
    payload = ip[ihl + 8:]
    if dport == port and len(payload) == 112 and payload[5] == mtype:
        with open(out, "wb") as f:
            f.write(payload)
        sys.exit(0)
sys.exit(1)
