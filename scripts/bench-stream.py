#!/usr/bin/python3
"""Streaming benchmark (not a test): time to first byte of 'p2pshare stream' and of a seek, against a plain
'p2pshare download --sequential' of the same torrent, from one python3-libtorrent seeder capped at --rate on 127.0.0.1.

Per round:
  stream      start 'p2pshare stream', GET bytes=0-0 (first byte: from the process start and from the URL), then
              GET 64 KiB at the middle of the file (seek: from the request); the seeder's uploaded bytes when the
              seek was served tell how much of the file had been downloaded by then.
  sequential  start 'p2pshare download --sequential' and poll its output file every 10 ms: when byte 0 and when the
              64 KiB at the middle are there (written only after their pieces verified).
Prints medians. Usage: bench-stream.py --cli P2PSHARE.DLL [--size-mib 32] [--rate 4000000] [--rounds 3] [--work DIR]
Every process is started here and killed by PID on exit.
"""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "swarm"))
from loopkit import p2pshare_command  # noqa: E402
LT_PEER = os.path.join(HERE, "swarm", "lt_peer.py")
SEEK_LENGTH = 64 * 1024
procs = []


class Proc:
    """A child process whose stdout lines are kept (bounded) and matched as they come."""

    def __init__(self, argv, log_path):
        self.log = open(log_path, "w", encoding="utf-8")
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL, text=True, bufsize=1)
        procs.append(self.p)
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.log.write(line)
            with self.cond:
                self.lines.append(line)
                del self.lines[:-2000]
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, predicate, timeout, fresh=False):
        """The first truthy predicate(line) of the lines so far (fresh: of the lines printed from now on)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            seen = len(self.lines) if fresh else 0
            while True:
                while seen < len(self.lines):
                    found = predicate(self.lines[seen])
                    seen += 1
                    if found:
                        return found
                if self.p.poll() is not None and seen >= len(self.lines):
                    raise RuntimeError(f"{self.p.args[:3]} exited ({self.p.returncode}); see {self.log.name}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self.p.args[:3]}: timed out; see {self.log.name}")
                self.cond.wait(min(left, 0.5))

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()


def json_event(name, key=None):
    def match(line):
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        if obj.get("event") == "error":
            raise RuntimeError(f"libtorrent: {obj}")
        return (obj if key is None else obj.get(key)) if obj.get("event") == name else None
    return match


def get_range(url, first, last):
    request = urllib.request.Request(url, headers={"Range": f"bytes={first}-{last}"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=120) as response:
        if response.status != 206:
            raise RuntimeError(f"{url} {first}-{last}: HTTP {response.status}")
        return response.read()


def seeder_uploaded(seeder):
    """Payload bytes the seeder has uploaded, from its next status line (so at least as many as when asked)."""
    return seeder.wait_for(json_event("status"), 10, fresh=True)["total_payload_upload"]


def stream_round(args, work, tag, torrent, seeder, original):
    out = os.path.join(work, tag)
    before = seeder_uploaded(seeder)
    started = time.monotonic()
    proc = Proc([*p2pshare_command(args.cli), "stream", torrent, "-o", out, "--peer", f"127.0.0.1:{seeder.port}", "--port", "0",
                 "--peer-port", "0", "--bind", "127.0.0.1", "--no-dht", "--transport", "tcp", "--give-up-after", "120",
                 "--log-file", os.path.join(work, tag + ".serilog")], os.path.join(work, tag + ".log"))
    try:
        url = proc.wait_for(lambda l: (m := re.search(r"Streaming .* at (http://127\.0\.0\.1:\d+/\S+)", l)) and m.group(1), 60)
        url_at = time.monotonic() - started
        t = time.monotonic()
        if get_range(url, 0, 0) != original[:1]:
            raise RuntimeError("first byte differs")
        first_byte = time.monotonic() - t
        first_byte_from_start = time.monotonic() - started
        middle = len(original) // 2
        t = time.monotonic()
        if get_range(url, middle, middle + SEEK_LENGTH - 1) != original[middle:middle + SEEK_LENGTH]:
            raise RuntimeError("seek bytes differ")
        seek = time.monotonic() - t
        seek_at = time.monotonic() - started
        uploaded = seeder_uploaded(seeder) - before
        return {"url": url_at, "first_byte": first_byte, "first_byte_from_start": first_byte_from_start, "seek": seek,
                "seek_at": seek_at, "downloaded_at_seek": uploaded / len(original)}
    finally:
        proc.stop()


def sequential_round(args, work, tag, torrent, seeder, original, name):
    out = os.path.join(work, tag)
    path = os.path.join(out, name)
    middle = len(original) // 2
    started = time.monotonic()
    proc = Proc([*p2pshare_command(args.cli), "download", torrent, "-o", out, "--peer", f"127.0.0.1:{seeder.port}", "--sequential",
                 "--no-seed", "--bind", "127.0.0.1", "--port", "0", "--no-dht", "--transport", "tcp", "--give-up-after", "120",
                 "--log-file", os.path.join(work, tag + ".serilog")], os.path.join(work, tag + ".log"))
    first_byte = reached_middle = None
    try:
        deadline = started + 300
        while reached_middle is None:
            if time.monotonic() > deadline or proc.p.poll() not in (None, 0):
                raise RuntimeError(f"sequential download did not reach the middle; see {proc.log.name}")
            try:
                with open(path, "rb") as f:
                    if first_byte is None and f.read(16) == original[:16]:
                        first_byte = time.monotonic() - started
                    f.seek(middle)
                    if first_byte is not None and f.read(SEEK_LENGTH) == original[middle:middle + SEEK_LENGTH]:
                        reached_middle = time.monotonic() - started
            except FileNotFoundError:
                pass
            time.sleep(0.01)
        return {"first_byte_from_start": first_byte, "middle_from_start": reached_middle}
    finally:
        proc.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", required=True, help="the p2pshare executable (scripts/build prints it; a p2pshare.dll runs with dotnet)")
    ap.add_argument("--size-mib", type=int, default=32)
    ap.add_argument("--rate", type=int, default=4_000_000, help="seeder upload cap, bytes/s")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--piece-kib", type=int, default=256)
    ap.add_argument("--work")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="p2pshare-bench-stream.")
    os.makedirs(os.path.join(work, "seed"), exist_ok=True)
    name = "stream.bin"
    data_path = os.path.join(work, "seed", name)
    original = os.urandom(args.size_mib * 1024 * 1024)
    with open(data_path, "wb") as f:
        f.write(original)
    torrent = os.path.join(work, "stream.torrent")
    subprocess.run([*p2pshare_command(args.cli), "create", data_path, "-o", torrent, "--piece-size", str(args.piece_kib), "--no-date",
                    "--log-file", os.path.join(work, "create.serilog")], check=True, stdout=subprocess.DEVNULL)
    seeder = Proc(["/usr/bin/python3", LT_PEER, "--torrent", torrent, "--save-dir", os.path.join(work, "seed"), "--mode", "seed",
                   "--no-trackers", "--upload-limit", str(args.rate), "--status-interval", "0.25"], os.path.join(work, "seeder.log"))
    seeder.port = seeder.wait_for(json_event("started", "listen_port"), 120)
    seeder.wait_for(lambda l: (e := json_event("status")(l)) and e.get("is_seeding"), 300)
    print(f"== stream vs sequential: {args.size_mib} MiB, {args.piece_kib} KiB pieces, seeder capped at {args.rate / 1e6:.1f} MB/s, "
          f"{args.rounds} round(s), load average {open('/proc/loadavg').read().split()[0]}", flush=True)
    streams, sequentials = [], []
    try:
        for r in range(1, args.rounds + 1):
            s = stream_round(args, work, f"r{r}-stream", torrent, seeder, original)
            q = sequential_round(args, work, f"r{r}-sequential", torrent, seeder, original, name)
            streams.append(s)
            sequentials.append(q)
            print(f"round {r}: stream URL {s['url']:.2f} s, first byte {s['first_byte']:.2f} s after the URL "
                  f"({s['first_byte_from_start']:.2f} s from start), seek {s['seek']:.2f} s "
                  f"({s['downloaded_at_seek'] * 100:.0f}% of the file downloaded by then); "
                  f"sequential first byte {q['first_byte_from_start']:.2f} s, middle {q['middle_from_start']:.2f} s from start", flush=True)
    finally:
        seeder.stop()
    med = lambda rows, k: statistics.median(row[k] for row in rows)
    print()
    print("| medians | stream | plain sequential download |")
    print("|---|---|---|")
    print(f"| process start → first byte | {med(streams, 'first_byte_from_start'):.2f} s | {med(sequentials, 'first_byte_from_start'):.2f} s |")
    print(f"| first byte after the URL is printed | {med(streams, 'first_byte'):.2f} s | — |")
    print(f"| the 64 KiB at the middle | seek served {med(streams, 'seek'):.2f} s after the request "
          f"({med(streams, 'seek_at'):.2f} s from start) | {med(sequentials, 'middle_from_start'):.2f} s from start |")
    print(f"| share of the file downloaded when the middle was served | {med(streams, 'downloaded_at_seek') * 100:.0f}% | 50% (in order) |")
    print(f"work directory: {work}")


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
