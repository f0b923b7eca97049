#!/usr/bin/env python3
"""Minimal independent node of the p2p-file-share JSON protocol (stdlib only).

Written from docs/native-protocol.md / the shared spec, behaving like the original program:
one outstanding whole-piece request per peer, lowest missing index first, no timeouts, no resume,
peer exchange only from the accepting side, the "greater id dials" rule, whole-file SHA-1 at the end.

    reference_node.py --port P --file PATH [--peer HOST:PORT]...

Prints "listening on PORT" once listening and "complete <sha1>" when a download verified.
Also records every request it receives in a log line "served <index>" on stdout.
"""
import argparse
import asyncio
import base64
import hashlib
import json
import os
import secrets
import sys

PIECE_SIZE = 65536


def say(*parts):
    print(*parts, flush=True)


class Node:
    def __init__(self, path, port):
        self.path = path
        self.port = port
        self.id = secrets.token_hex(8)
        self.peers = {}  # id -> Peer
        self.file_name = os.path.basename(path)
        self.file_size = None
        self.file_hash = None
        self.piece_size = PIECE_SIZE
        self.pieces = {}  # index -> bytes (a leecher keeps pieces in memory, as the original does)
        self.complete = False
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            self.file_size = len(data)
            self.piece_size = min(PIECE_SIZE, len(data)) if data else PIECE_SIZE
            self.file_hash = hashlib.sha1(data).hexdigest()
            for i in range(self.piece_count()):
                self.pieces[i] = data[i * self.piece_size:(i + 1) * self.piece_size]
            self.complete = True

    def piece_count(self):
        if not self.file_size:
            return 0
        return (self.file_size + self.piece_size - 1) // self.piece_size

    def handshake(self):
        return {"type": "handshake", "id": self.id, "fileName": self.file_name, "fileSize": self.file_size,
                "fileHash": self.file_hash, "pieceSize": self.piece_size, "port": self.port}

    def bitfield(self):
        return {"type": "bitfield", "pieces": sorted(self.pieces.keys())}


class Peer:
    def __init__(self, node, reader, writer, accepted):
        self.node = node
        self.reader = reader
        self.writer = writer
        self.accepted = accepted
        self.id = None
        self.listen_port = None
        self.has = set()
        self.pending = None
        host = writer.get_extra_info("peername")[0]
        # The original reports the socket address as Node does: IPv4 peers as ::ffff:a.b.c.d
        self.host = host if ":" in host else "::ffff:" + host

    def send(self, message):
        self.writer.write((json.dumps(message) + "\n").encode())

    async def run(self):
        node = self.node
        if not self.accepted:
            self.send(node.handshake())
        try:
            while True:
                line = await self.reader.readline()
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                await self.handle(message)
                await self.writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            if self.id and node.peers.get(self.id) is self:
                del node.peers[self.id]
            self.writer.close()

    async def handle(self, m):
        node = self.node
        kind = m.get("type")
        if kind == "handshake":
            self.id = m.get("id")
            self.listen_port = m.get("port")
            if node.complete and m.get("fileHash") and m["fileHash"] != node.file_hash:
                self.writer.close()
                return
            if not node.complete and m.get("fileHash"):
                node.file_name = m.get("fileName") or node.file_name
                node.file_size = m["fileSize"]
                node.file_hash = m["fileHash"]
                node.piece_size = m["pieceSize"]
            node.peers[self.id] = self
            if self.accepted:
                self.send(node.handshake())
                if node.pieces:
                    self.send(node.bitfield())
                others = [p for p in node.peers.values() if p is not self and p.listen_port]
                self.send({"type": "peers", "peers": [{"id": p.id, "host": p.host, "port": p.listen_port} for p in others]})
                for p in others:
                    p.send({"type": "peers", "peers": [{"id": self.id, "host": self.host, "port": self.listen_port}]})
            elif node.pieces:
                self.send(node.bitfield())
            self.request_next()
        elif kind == "bitfield":
            self.has.update(m.get("pieces", []))
            self.request_next()
        elif kind == "have":
            self.has.add(m["index"])
            self.request_next()
        elif kind == "request":
            index = m["index"]
            if index in node.pieces:
                say("served", index)
                self.send({"type": "piece", "index": index, "data": base64.b64encode(node.pieces[index]).decode()})
        elif kind == "piece":
            index = m["index"]
            if self.pending == index:
                self.pending = None
            if index not in node.pieces and node.file_size is not None:
                node.pieces[index] = base64.b64decode(m["data"])
                for p in list(node.peers.values()):
                    if p is not self:
                        p.send({"type": "have", "index": index})
                if len(node.pieces) == node.piece_count():
                    finish(node)
            self.request_next()
        elif kind == "peers":
            for entry in m.get("peers", []):
                if entry["id"] == node.id or entry["id"] in node.peers:
                    continue
                if node.id > entry["id"]:
                    host = entry["host"]
                    if host.startswith("::ffff:"):
                        host = host[len("::ffff:"):]
                    asyncio.get_running_loop().create_task(dial(node, host, entry["port"]))

    def request_next(self):
        node = self.node
        if node.complete or node.file_size is None or self.pending is not None:
            return
        for index in range(node.piece_count()):
            if index not in node.pieces and index in self.has:
                self.pending = index
                self.send({"type": "request", "index": index})
                return


def finish(node):
    data = b"".join(node.pieces[i] for i in range(node.piece_count()))
    digest = hashlib.sha1(data).hexdigest()
    if digest != node.file_hash:
        say("hash mismatch", digest)
        return
    tmp = node.path + ".part"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, node.path)
    node.complete = True
    say("complete", digest)


async def dial(node, host, port):
    try:
        reader, writer = await asyncio.open_connection(host, port, limit=64 * 1024 * 1024)
    except OSError as error:
        say("dial failed", host, port, error)
        return
    await Peer(node, reader, writer, accepted=False).run()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--peer", action="append", default=[])
    args = parser.parse_args()
    node = Node(args.file, args.port)

    async def accept(reader, writer):
        await Peer(node, reader, writer, accepted=True).run()

    server = await asyncio.start_server(accept, "127.0.0.1", args.port, limit=64 * 1024 * 1024)
    node.port = server.sockets[0].getsockname()[1]
    say("listening on", node.port, "id", node.id)
    for peer in args.peer:
        host, port = peer.rsplit(":", 1)
        asyncio.get_running_loop().create_task(dial(node, host, int(port)))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
