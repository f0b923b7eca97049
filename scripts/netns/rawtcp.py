#!/usr/bin/python3
"""Raw TCP through the same link as the clients: what one TCP connection gets with no BitTorrent at all.

  rawtcp.py send --bind IP --size-mib N     listens on IP (port chosen by the kernel), prints {"port": P}, accepts one
                                            connection, sends N MiB of zeros from memory, closes, exits 0
  rawtcp.py recv --connect IP:PORT --size-mib N
                                            reads to the end; exits 0 when exactly N MiB arrived

Used by scripts/bench-link (kind "tcp-raw") as the yardstick of the link itself: if raw TCP does not reach 90% of the
rate, no client can.
"""
import argparse
import json
import socket
import sys

CHUNK = 1 << 20


def send(args):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((args.bind, 0))
    listener.listen(1)
    print(json.dumps({"port": listener.getsockname()[1]}), flush=True)
    listener.settimeout(60)
    conn, _ = listener.accept()
    data = memoryview(bytes(CHUNK))
    for _ in range(args.size_mib):
        conn.sendall(data)
    conn.shutdown(socket.SHUT_WR)
    conn.recv(1)  # the receiver closes once it has everything
    conn.close()
    return 0


def recv(args):
    host, port = args.connect.rsplit(":", 1)
    conn = socket.create_connection((host, int(port)), timeout=60)
    conn.settimeout(None)
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    total = 0
    while True:
        got = conn.recv_into(view)
        if got == 0:
            break
        total += got
    conn.close()
    return 0 if total == args.size_mib * CHUNK else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=("send", "recv"))
    ap.add_argument("--bind")
    ap.add_argument("--connect")
    ap.add_argument("--size-mib", type=int, required=True)
    args = ap.parse_args()
    return send(args) if args.mode == "send" else recv(args)


if __name__ == "__main__":
    sys.exit(main())
