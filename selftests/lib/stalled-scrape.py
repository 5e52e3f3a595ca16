#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# stalled-scrape.py ADDR: a daemon's metrics server (ADDR:PORT or a UNIX
# socket path) is not held up by a client stalled halfway through its
# request. Client A connects and sends half a request; client B then
# scrapes in full and must get its answer while A stays connected; A then
# completes its request and must get an answer too. A server that serves
# one connection at a time waits for A first and drops it at its deadline,
# so A is not answered. Exit status 0 if both are answered with 200.
import socket
import sys

REQ = b"GET /metrics HTTP/1.0\r\n\r\n"


def connect(addr):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr)
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host.strip("[]"), int(port)))
    s.settimeout(30)
    return s


def answer(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def main():
    addr = sys.argv[1]
    a = connect(addr)
    a.sendall(REQ[:5])
    b = connect(addr)
    b.sendall(REQ)
    got_b = answer(b)
    a.sendall(REQ[5:])
    try:
        got_a = answer(a)
    except OSError:
        got_a = b""
    print("B: %s" % got_b.split(b"\r\n", 1)[0].decode(errors="replace"))
    print("A, stalled meanwhile: %s" %
          (got_a.split(b"\r\n", 1)[0].decode(errors="replace") or "dropped"))
    ok = all(g.startswith(b"HTTP/1.0 200 OK\r\n") for g in (got_a, got_b))
    sys.exit(0 if ok else 1)


main()
