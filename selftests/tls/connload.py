#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Connection-rate load for the tls benchmark.

  connload.py serve PORT          a backend on 127.0.0.1:PORT that answers
                                  every connection with "ok\\n" and closes
  connload.py run PORT SECS CONC  CONC workers connect to 127.0.0.1:PORT
                                  back to back for SECS seconds; prints
                                  "conns/s completed failed"

A connection counts as completed when "ok\\n" came back through it.
"""
import asyncio
import sys
import time


async def serve(port):
    async def answer(reader, writer):
        writer.write(b"ok\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", port, backlog=256)
    async with server:
        await server.serve_forever()


async def worker(port, deadline, counts):
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            data = await asyncio.wait_for(reader.read(), 30)
            writer.close()
            counts[0 if data == b"ok\n" else 1] += 1
        except (OSError, asyncio.TimeoutError):
            counts[1] += 1


async def run(port, secs, conc):
    counts = [0, 0]
    start = time.monotonic()
    await asyncio.gather(*(worker(port, start + secs, counts)
                           for _ in range(conc)))
    elapsed = time.monotonic() - start
    print(f"{counts[0] / elapsed:.1f} {counts[0]} {counts[1]}")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        asyncio.run(serve(int(sys.argv[2])))
    elif len(sys.argv) == 5 and sys.argv[1] == "run":
        asyncio.run(run(int(sys.argv[2]), float(sys.argv[3]),
                        int(sys.argv[4])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
