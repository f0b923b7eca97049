#!/usr/bin/python3
"""Extra transfer scenarios for scripts/bench (benchmarks, not tests), each chosen with --scenario:

  small-pieces  the same random data as a torrent of 16 KiB pieces and one of 1 MiB pieces, each downloaded by
                p2pshare from a libtorrent seeder: the ratio of their speeds (issue 20: >= 0.9x)
  many-files    a torrent of --files tiny files (default 100,000); p2pshare and a libtorrent leecher each
                download it from a libtorrent seeder: time from process start to the seeder's first payload
                block sent to it ("uploaded" lines of lt_peer.py --log-uploads) and to completion
  large         one sparse file of --size-mib (16 GiB in scripts/bench) served by a libtorrent seeder, downloaded by
                p2pshare: its private memory (RssAnon) sampled every 100 ms, peak and per quarter of the transfer
  leechers20    --leechers (default 20) libtorrent leecher processes at once, from a p2pshare seeder and then
                from a libtorrent seeder: aggregate MB/s and the seeder's CPU

Reuses bench-swarm.py's process, memory and CPU helpers. Prints per-transfer lines and a Markdown table;
writes the raw figures as JSON (--json). Every process started here is killed by PID on exit.
"""

import argparse
import importlib.util
import json
import os
import shutil
import signal
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("bench_swarm", os.path.join(HERE, "bench-swarm.py"))
bs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bs)

MIB = 1 << 20


def create_torrent(cli, content, torrent, piece_kib, logs):
    """p2pshare create (fast: hashing on every core); returns the seconds it took."""
    t0 = time.monotonic()
    argv = [*bs.p2pshare_command(cli), "create", content, "-o", torrent, "--piece-size", str(piece_kib), "--no-date",
            "--log-file", os.path.join(logs, "create.serilog")]
    with open(os.path.join(logs, "create.log"), "a") as out:
        rc = bs.subprocess.call(argv, stdout=out, stderr=bs.subprocess.STDOUT)
    if rc != 0:
        raise RuntimeError(f"p2pshare create failed ({rc}); see {logs}/create.log")
    return time.monotonic() - t0


def random_file(path, size):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open("/dev/urandom", "rb") as src, open(path, "wb") as dst:
        left = size
        while left:
            chunk = src.read(min(left, 4 * MIB))
            dst.write(chunk)
            left -= len(chunk)


def swarm_args(a, torrent, seed_dir, work, log_uploads=False):
    return argparse.Namespace(cli=a.cli, torrent=torrent, seed_dir=seed_dir, work=work, rounds=a.rounds,
                              timeout=a.timeout, json=None, encryption_only=False, pairs=None, log_uploads=log_uploads,
                              p2p_arg=a.p2p_arg)


class Scenario(bs.Bench):
    """bench-swarm's Bench with a seeder that can log each block it uploads."""

    def __init__(self, args):
        super().__init__(args)
        self.p2p_extra = list(getattr(args, "p2p_arg", None) or [])
        size = 0
        for dirpath, _, files in os.walk(self.seed_dir):
            size += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
        self.size = size  # the base class counts only top-level files

    def start_lt_seeder(self):
        if not self.a.log_uploads:
            return super().start_lt_seeder()
        proc = bs.Proc("libtorrent seeder", ["/usr/bin/python3", bs.LT_PEER, "--torrent", self.torrent,
                                             "--save-dir", self.seed_dir, "--mode", "seed", "--no-trackers",
                                             "--status-interval", "1", "--log-uploads"],
                       os.path.join(self.logs, "lt-seeder.log"))
        state = {}

        def ready(line):
            try:
                obj = json.loads(line)
            except ValueError:
                return None
            if obj.get("event") == "started":
                state["port"] = obj["listen_port"]
            return obj.get("event") == "status" and obj.get("is_seeding") and "port" in state

        proc.wait_line(ready, self.a.timeout)
        proc.port = state["port"]
        return proc


def first_upload_after(seeder, since_line, port_of_seeder):
    """Unix time of the first 'uploaded' line after line number since_line (None if none)."""
    for line in seeder.lines[since_line:]:
        if '"uploaded"' in line:
            try:
                return json.loads(line)["time"]
            except (ValueError, KeyError):
                continue
    return None


# ---------------------------------------------------------------- scenarios

def small_pieces(a, work):
    data_dir = os.path.join(work, "data")
    random_file(os.path.join(data_dir, "bench.bin"), a.size_mib * MIB)
    rows = []
    for piece_kib in (1024, 16):
        torrent = os.path.join(work, f"p{piece_kib}.torrent")
        create_torrent(a.cli, os.path.join(data_dir, "bench.bin"), torrent, piece_kib, work)
        bench = Scenario(swarm_args(a, torrent, data_dir, os.path.join(work, f"p{piece_kib}")))
        bench.a.pairs = "libtorrent:p2pshare"
        bs.log(f"-- {piece_kib} KiB pieces ({a.size_mib * 1024 // piece_kib} pieces)")
        for row in bench_run(bench, [("libtorrent", "p2pshare")]):
            row["piece_kib"] = piece_kib
            rows.append(row)
    big = [r for r in rows if r["piece_kib"] == 1024]
    small = [r for r in rows if r["piece_kib"] == 16]
    out = ["### Small pieces (p2pshare from a libtorrent seeder; medians)", "",
           "| pieces | ok | MB/s | CPU s | peak private MiB |", "|---|---:|---:|---:|---:|"]
    for name, sel in (("1 MiB", big), ("16 KiB", small)):
        out.append(f"| {name} | {okcount(sel)} | {med(sel, 'mb_s'):.0f} | {med(sel, 'cpu_s'):.2f} | {med(sel, 'anon_mib'):.0f} |")
    out += ["", f"16 KiB vs 1 MiB pieces: {med(small, 'mb_s') / max(med(big, 'mb_s'), 1e-9):.2f}x throughput (target >= 0.9), "
                f"{med(small, 'cpu_s') / max(med(big, 'cpu_s'), 1e-9):.2f}x CPU"]
    return rows, "\n".join(out)


def bench_run(bench, plan):
    """Bench.run for a given plan (seeders started once, every round in order)."""
    bench.a.pairs = ",".join(f"{s}:{l}" for s, l in plan)
    return bench.run()


def many_files(a, work):
    data_dir = os.path.join(work, "data", "many")
    per_dir = 1000
    payload = os.urandom(a.file_bytes * min(a.files, 4096))
    t0 = time.monotonic()
    for i in range(a.files):
        d = os.path.join(data_dir, f"d{i // per_dir:04d}")
        if i % per_dir == 0:
            os.makedirs(d, exist_ok=True)
        off = (i % 4096) * a.file_bytes
        with open(os.path.join(d, f"f{i:06d}.bin"), "wb") as f:
            f.write(payload[off:off + a.file_bytes])
    bs.log(f"-- {a.files} files of {a.file_bytes} bytes written in {time.monotonic() - t0:.1f} s")
    torrent = os.path.join(work, "many.torrent")
    took = create_torrent(a.cli, data_dir, torrent, a.piece_kib, work)
    bs.log(f"-- torrent created in {took:.1f} s ({os.path.getsize(torrent) / MIB:.1f} MiB .torrent)")
    bench = Scenario(swarm_args(a, torrent, os.path.join(work, "data"), os.path.join(work, "swarm"), log_uploads=True))
    rows = []
    bench.cache_seed_data = lambda: None  # tiny files: the page cache holds them after writing
    seeder = bench.start_lt_seeder()
    bs.log(f"   libtorrent seeder ready on port {seeder.port}")
    try:
        for r in range(1, a.rounds + 1):
            for kind in ("p2pshare", "libtorrent"):
                mark = len(seeder.lines)
                started = time.time()
                row = bench.transfer(seeder, "libtorrent", kind, r)
                first = first_upload_after(seeder, mark, seeder.port)
                row["first_byte_s"] = (first - started) if first else float("nan")
                bs.log(f"     first payload block sent {row['first_byte_s']:.2f} s after {kind} started")
                rows.append(row)
    finally:
        seeder.stop()
    p = [r for r in rows if r["leecher"] == "p2pshare"]
    lt = [r for r in rows if r["leecher"] == "libtorrent"]
    out = [f"### Many files ({a.files} files of {a.file_bytes} bytes; libtorrent seeder; medians)", "",
           "| leecher | ok | first payload block s | complete s | CPU s | peak private MiB |", "|---|---:|---:|---:|---:|---:|"]
    for name, sel in (("p2pshare", p), ("libtorrent", lt)):
        out.append(f"| {name} | {okcount(sel)} | {med(sel, 'first_byte_s'):.2f} | {med(sel, 'wall_s'):.2f} | "
                   f"{med(sel, 'cpu_s'):.2f} | {med(sel, 'anon_mib'):.0f} |")
    out += ["", f"p2pshare first payload block at {med(p, 'first_byte_s'):.2f} s (target <= 2 s), "
                f"libtorrent at {med(lt, 'first_byte_s'):.2f} s"]
    return rows, "\n".join(out)


class QuarterSampler(bs.MemorySampler):
    """Also keeps every sample of the first root's RssAnon, to report memory over the transfer."""

    def __init__(self, roots, interval=0.1):
        super().__init__(roots, interval)
        self.series = []

    def sample(self):
        super().sample()
        label, pid = next(iter(self.roots.items()))
        self.series.append(sum(bs.status_kib(p, ("RssAnon",))["RssAnon"] for p in bs.tree(pid)))


def large(a, work):
    data_dir = os.path.join(work, "data")
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, "large.bin")
    with open(path, "wb") as f:
        f.truncate(a.size_mib * MIB)  # sparse: reads as zeros, takes no disk space on the seeder's side
    free = shutil.disk_usage(work).free
    if free < a.size_mib * MIB + 512 * MIB:
        raise RuntimeError(f"{free // MIB} MiB free under {work}, the leecher needs {a.size_mib} MiB")
    torrent = os.path.join(work, "large.torrent")
    piece_kib = a.large_piece_kib or (4096 if a.size_mib >= 4096 else 1024)
    took = create_torrent(a.cli, path, torrent, piece_kib, work)
    bs.log(f"-- sparse {a.size_mib} MiB file, torrent of {piece_kib} KiB pieces created in {took:.1f} s")
    bench = Scenario(swarm_args(a, torrent, data_dir, os.path.join(work, "swarm")))
    bench.cache_seed_data = lambda: None
    seeder = bench.start_lt_seeder()
    rows = []
    try:
        for r in range(1, a.rounds + 1):
            out_dir = os.path.join(bench.work, "dl", f"r{r}")
            shutil.rmtree(out_dir, ignore_errors=True)
            os.makedirs(out_dir)
            leech = bench.leecher("p2pshare", seeder.port, out_dir, f"r{r}-large")
            sampler = QuarterSampler({"leecher": leech.pid, "seeder": seeder.pid})
            sampler.start()
            wall, usage, code = leech.wait_exit(a.timeout)
            sampler.stop()
            got = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(out_dir) for f in files
                      if not f.startswith(".") and "/." not in d[len(out_dir):])
            shutil.rmtree(out_dir, ignore_errors=True)
            s = sampler.series or [0]
            quarters = [max(s[len(s) * q // 4:max(len(s) * (q + 1) // 4, len(s) * q // 4 + 1)]) / 1024 for q in range(4)]
            row = {"round": r, "ok": code == 0 and got == a.size_mib * MIB, "exit": code, "wall_s": wall,
                   "mb_s": a.size_mib * MIB / wall / 1e6, "cpu_s": usage.ru_utime + usage.ru_stime,
                   "anon_mib": sampler.peak_anon["leecher"] / 1024, "quarters_mib": quarters, "load": bs.loadavg()}
            rows.append(row)
            bs.log(f"  large r{r}: {wall:.1f} s {row['mb_s']:.0f} MB/s cpu {row['cpu_s']:.2f} s peak private "
                   f"{row['anon_mib']:.0f} MiB, per quarter {' / '.join(f'{q:.0f}' for q in quarters)} MiB | "
                   f"load {row['load']} | {'ok' if row['ok'] else 'FAILED'}")
    finally:
        seeder.stop()
    out = [f"### Large torrent ({a.size_mib} MiB sparse, p2pshare from a libtorrent seeder; medians)", "",
           "| ok | MB/s | CPU s | peak private MiB | max per quarter of the transfer MiB |", "|---:|---:|---:|---:|---|"]
    out.append(f"| {okcount(rows)} | {med(rows, 'mb_s'):.0f} | {med(rows, 'cpu_s'):.2f} | {med(rows, 'anon_mib'):.0f} | "
               + " / ".join(f"{statistics.median(r['quarters_mib'][q] for r in rows):.0f}" for q in range(4)) + " |")
    out += ["", f"peak private memory {med(rows, 'anon_mib'):.0f} MiB (target: flat, within 64 MiB)"]
    return rows, "\n".join(out)


def leechers(a, work):
    data_dir = os.path.join(work, "data")
    random_file(os.path.join(data_dir, "bench.bin"), a.size_mib * MIB)
    torrent = os.path.join(work, "bench.torrent")
    create_torrent(a.cli, os.path.join(data_dir, "bench.bin"), torrent, 1024, work)
    bench = Scenario(swarm_args(a, torrent, data_dir, os.path.join(work, "swarm")))
    bench.cache_seed_data()
    seeders = {"p2pshare": bench.start_p2p_seeder(), "libtorrent": bench.start_lt_seeder()}
    rows = []
    try:
        for r in range(1, a.rounds + 1):
            for kind, seeder in seeders.items():
                bench.cache_seed_data()
                cpu0 = bs.cpu_ticks(seeder.pid)
                t0 = time.monotonic()
                procs = []
                for i in range(a.leechers):
                    out_dir = os.path.join(bench.work, "dl", f"{kind}-{i}")
                    shutil.rmtree(out_dir, ignore_errors=True)
                    os.makedirs(out_dir)
                    procs.append((bench.leecher("libtorrent", seeder.port, out_dir, f"r{r}-{kind}-to-lt{i}"), out_dir))
                sampler = bs.MemorySampler({"seeder": seeder.pid})
                sampler.start()
                ok = 0
                for proc, out_dir in procs:
                    _, _, code = proc.wait_exit(max(1.0, a.timeout - (time.monotonic() - t0)))
                    path = os.path.join(out_dir, "bench.bin")
                    ok += code == 0 and os.path.exists(path) and os.path.getsize(path) == bench.size
                wall = time.monotonic() - t0
                sampler.stop()
                cpu1 = bs.cpu_ticks(seeder.pid)
                for _, out_dir in procs:
                    shutil.rmtree(out_dir, ignore_errors=True)
                row = {"round": r, "seeder": kind, "ok": ok == a.leechers, "complete": ok, "wall_s": wall,
                       "mb_s": a.leechers * bench.size / wall / 1e6,
                       "seeder_cpu_s": (cpu1[0] - cpu0[0] + cpu1[1] - cpu0[1]) / bs.CLK_TCK,
                       "seeder_anon_mib": sampler.peak_anon["seeder"] / 1024, "load": bs.loadavg()}
                rows.append(row)
                bs.log(f"  {kind:>10} -> {a.leechers} libtorrent leechers: {wall:.1f} s, aggregate {row['mb_s']:.0f} MB/s, "
                       f"seeder cpu {row['seeder_cpu_s']:.2f} s, private {row['seeder_anon_mib']:.0f} MiB, "
                       f"{ok}/{a.leechers} complete | load {row['load']}")
                time.sleep(1)
    finally:
        for s in seeders.values():
            s.stop()
    p = [r for r in rows if r["seeder"] == "p2pshare"]
    lt = [r for r in rows if r["seeder"] == "libtorrent"]
    out = [f"### Seeding to {a.leechers} libtorrent leechers at once ({a.size_mib} MiB; medians)", "",
           "| seeder | ok | aggregate MB/s | seeder CPU s | seeder peak private MiB |", "|---|---:|---:|---:|---:|"]
    for name, sel in (("p2pshare", p), ("libtorrent", lt)):
        out.append(f"| {name} | {okcount(sel)} | {med(sel, 'mb_s'):.0f} | {med(sel, 'seeder_cpu_s'):.2f} | {med(sel, 'seeder_anon_mib'):.0f} |")
    out += ["", f"p2pshare vs libtorrent seeder: {med(p, 'mb_s') / max(med(lt, 'mb_s'), 1e-9):.2f}x aggregate throughput "
                f"(target >= 1), {med(p, 'seeder_cpu_s') / max(med(lt, 'seeder_cpu_s'), 1e-9):.2f}x CPU (target <= 1)"]
    return rows, "\n".join(out)


def med(rows, key):
    vals = [r[key] for r in rows if r.get("ok")]
    return statistics.median(vals) if vals else float("nan")


def okcount(sel):
    return f"{sum(bool(r['ok']) for r in sel)}/{len(sel)}"


SCENARIOS = {"small-pieces": small_pieces, "many-files": many_files, "large": large, "leechers20": leechers}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", required=True, help="the p2pshare executable scripts/build prints (a p2pshare.dll runs with dotnet)")
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--work", required=True, help="scratch directory (data, downloads, logs); emptied first")
    ap.add_argument("--size-mib", type=int, default=256, help="data size (small-pieces, large, leechers20)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--files", type=int, default=100_000, help="many-files: number of files")
    ap.add_argument("--file-bytes", type=int, default=1000, help="many-files: bytes per file")
    ap.add_argument("--piece-kib", type=int, default=256, help="many-files: piece size")
    ap.add_argument("--large-piece-kib", type=int, help="large: piece size (default 4096 from 4 GiB, else 1024)")
    ap.add_argument("--p2p-arg", action="append", help="an extra option for p2pshare leechers (repeat; e.g. --p2p-arg=--disk-queue-size --p2p-arg=16M)")
    ap.add_argument("--leechers", type=int, default=20, help="leechers20: libtorrent leecher processes")
    ap.add_argument("--timeout", type=float, default=900, help="seconds a transfer (or a seeder's start) may take")
    ap.add_argument("--json", help="write the per-transfer figures here")
    a = ap.parse_args()
    a.cli = os.path.abspath(a.cli)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    work = os.path.abspath(a.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    bs.log(f"scenario {a.scenario}: load {bs.loadavg()}")
    try:
        rows, table = SCENARIOS[a.scenario](a, work)
    finally:
        bs.kill_all()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    print()
    print(table)
    return 0 if rows and all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
