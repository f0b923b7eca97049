#!/usr/bin/python3
"""Transfer benchmark helper for scripts/bench (not a test): P2PShare beside libtorrent and aria2 on 127.0.0.1.

Per round it runs five transfers of the same torrent, each into an empty directory:
  download  libtorrent seeder -> p2pshare download    (issue 4)
  download  libtorrent seeder -> libtorrent leecher   (reference)
  download  libtorrent seeder -> aria2c               (reference; aria2 cannot add a peer, so it learns the
                                                       seeder from a tiny in-process HTTP tracker and dials it)
  seeding   p2pshare seeder   -> libtorrent leecher   (issue 5)
  seeding   p2pshare seeder   -> p2pshare download    (issue 5)
Every leecher dials the seeder. The two seeders start once, check their data, and serve every round.
The p2pshare downloads use the default --encryption prefer, so with libtorrent they run over RC4 (MSE).
With --encryption-only, each round is instead four downloads from the libtorrent seeder: p2pshare with
--encryption disable (plain) and with --encryption require (RC4), then a libtorrent leecher with encryption
disabled and forced to RC4 (the yardstick: what RC4 costs libtorrent itself on this machine); ratios are reported.

Per transfer: the leecher's wall time from process start to exit (every leecher exits when complete), its
CPU user/sys (wait4 rusage), its peak private memory (RssAnon of its process tree, sampled every 100 ms) and
peak RSS; the seeder's CPU spent during the transfer (/proc/PID/stat delta) and its peak RssAnon during the
transfer. libtorrent reads and writes through memory maps, so its RSS counts file pages: compare RssAnon.

Before each transfer (outside its timing) a scratch file as large as the download is written and deleted, so every
leecher starts with the same memory state. Why: on this virtual machine, memory the guest left free for a few seconds
goes back to the host, and the next GiB written into the page cache costs ~1.3 s more kernel time (dd of 1 GiB: 1.6 s
of sys time after a pause, 0.33 s right after another such write). Without the warm-up that cost fell on whichever
leecher came first after a pause (the first of each round), whatever the client; --no-warm-up turns it off.

Prints per-round lines and Markdown tables of medians; writes the raw figures as JSON (--json).
Every process started here is killed by PID on exit (also on SIGTERM/SIGINT).
"""

import argparse
import http.server
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "swarm"))
from loopkit import p2pshare_command  # noqa: E402

# p2pshare runs stay on this machine: no port mapping, no LSD multicast, no DHT routers (docs/port-mapping.md).
os.environ["P2PSHARE_LOCAL_ONLY"] = "1"

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_MB = 1e6
HERE = os.path.dirname(os.path.abspath(__file__))
LT_PEER = os.path.join(HERE, "swarm", "lt_peer.py")
ARIA2 = os.path.join(HERE, "swarm", "aria2.sh")

started = []  # every Popen we made, killed by PID at exit


def log(msg):
    print(msg, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# ---------------------------------------------------------------- /proc readers

def children_of(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    kids.extend(int(x) for x in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return kids


def tree(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children_of(p))
    return out


def status_kib(pid, keys):
    vals = dict.fromkeys(keys, 0)
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in vals:
                    vals[k] = int(v.split()[0])
    except OSError:
        pass
    return vals


def cpu_ticks(pid):
    """utime, stime of one process in clock ticks (0, 0 if gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return int(fields[11]), int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0, 0


class MemorySampler(threading.Thread):
    """Samples RssAnon and VmRSS (KiB) of process trees every interval; keeps the peaks."""

    def __init__(self, roots, interval=0.1):
        super().__init__(daemon=True)
        self.roots = dict(roots)  # label -> pid
        self.peak_anon = dict.fromkeys(self.roots, 0)
        self.peak_rss = dict.fromkeys(self.roots, 0)
        self.interval = interval
        self.stopping = threading.Event()

    def sample(self):
        for label, pid in self.roots.items():
            anon = rss = 0
            for p in tree(pid):
                v = status_kib(p, ("RssAnon", "VmRSS"))
                anon += v["RssAnon"]
                rss += v["VmRSS"]
            self.peak_anon[label] = max(self.peak_anon[label], anon)
            self.peak_rss[label] = max(self.peak_rss[label], rss)

    def run(self):
        while not self.stopping.is_set():
            self.sample()
            self.stopping.wait(self.interval)

    def stop(self):
        self.stopping.set()
        self.join()


# ---------------------------------------------------------------- processes

class Proc:
    """A child process whose stdout lines are kept (and copied to a log file)."""

    def __init__(self, name, argv, log_path, stdin=subprocess.DEVNULL):
        self.name = name
        self.lines = []
        self.cond = threading.Condition()
        self.log = open(log_path, "a", buffering=1)
        self.log.write(f"$ {' '.join(argv)}\n")
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, errors="replace")
        started.append(self.p)
        self.pid = self.p.pid
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.p.stdout:
            self.log.write(line)
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, predicate, timeout):
        """Returns the first kept line for which predicate(line) is truthy, or raises on timeout/exit."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                while seen < len(self.lines):
                    result = predicate(self.lines[seen])
                    seen += 1
                    if result:
                        return result
                if self.p.poll() is not None and not self.reader.is_alive():
                    raise RuntimeError(f"{self.name} exited (code {self.p.returncode}) before it was ready; "
                                       f"last output: {self.lines[-5:]}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{self.name}: not ready after {timeout} s; last output: {self.lines[-5:]}")
                self.cond.wait(min(left, 0.5))

    def wait_exit(self, timeout):
        """Blocks until the process exits (killing it at the deadline); returns (wall s, rusage, exit code)."""
        timer = threading.Timer(timeout, self.kill)
        timer.daemon = True
        timer.start()
        try:
            _, status, usage = os.wait4(self.pid, 0)
        finally:
            timer.cancel()
        wall = time.monotonic() - self.t0
        self.p.returncode = os.waitstatus_to_exitcode(status)  # we reaped it: tell Popen
        self.reader.join(5)
        self.log.close()
        return wall, usage, self.p.returncode

    def kill(self):
        if self.p.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL after the timeout."""
        if self.p.poll() is not None:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
            self.p.wait(timeout)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            self.kill()
            self.p.wait()


def kill_all():
    for p in started:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(5)
            except (ProcessLookupError, subprocess.TimeoutExpired, ChildProcessError):
                pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- tracker for aria2

class Tracker:
    """Answers every announce with one peer: the current seeder (aria2 has no way to add a peer by hand)."""

    def __init__(self):
        tracker = self
        self.peer_port = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                peers = socket.inet_aton("127.0.0.1") + tracker.peer_port.to_bytes(2, "big")
                body = b"d8:intervali1800e5:peers6:" + peers + b"e"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/announce"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- benchmark

class Bench:
    def __init__(self, args):
        self.a = args
        self.torrent = os.path.abspath(args.torrent)
        self.seed_dir = os.path.abspath(args.seed_dir)
        self.work = os.path.abspath(args.work)
        self.logs = os.path.join(self.work, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.size = sum(os.path.getsize(os.path.join(self.seed_dir, n)) for n in os.listdir(self.seed_dir)
                        if os.path.isfile(os.path.join(self.seed_dir, n)))
        self.p2p = p2pshare_command(os.path.abspath(args.cli))
        self.p2p_extra = []  # options added to every p2pshare leecher (bench-scenarios.py --p2p-arg)
        self.tracker = Tracker()

    def cache_seed_data(self):
        for name in os.listdir(self.seed_dir):
            path = os.path.join(self.seed_dir, name)
            if os.path.isfile(path):
                with open(path, "rb", buffering=0) as f:
                    buf = bytearray(1 << 20)
                    while f.readinto(buf):
                        pass

    def warm_up_memory(self, directory):
        """Writes and deletes a file as large as the download (see the module's docstring)."""
        if getattr(self.a, "no_warm_up", False):
            return
        path = os.path.join(directory, ".warm-up")
        block = bytes(1 << 20)
        with open(path, "wb", buffering=0) as f:
            for _ in range((self.size + len(block) - 1) // len(block)):
                f.write(block)
        os.unlink(path)

    def start_lt_seeder(self):
        proc = Proc("libtorrent seeder", ["/usr/bin/python3", LT_PEER, "--torrent", self.torrent,
                                          "--save-dir", self.seed_dir, "--mode", "seed", "--no-trackers",
                                          "--status-interval", "1"],
                    os.path.join(self.logs, "lt-seeder.log"))
        state = {}

        def ready(line):
            try:
                obj = json.loads(line)
            except ValueError:
                return None
            if obj.get("event") == "started":
                state["port"] = obj["listen_port"]
            if obj.get("event") == "error":
                raise RuntimeError(f"libtorrent seeder: {obj.get('message')}")
            return obj.get("event") == "status" and obj.get("is_seeding") and "port" in state

        proc.wait_line(ready, 300)
        proc.port = state["port"]
        return proc

    def start_p2p_seeder(self):
        proc = Proc("p2pshare seeder", self.p2p + ["seed", self.torrent, "--data", self.seed_dir, "--bind", "127.0.0.1", "--no-dht",
                                                   "--port", "0", "--give-up-after", "86400",
                                                   "--log-file", os.path.join(self.logs, "p2pshare-seeder.serilog")],
                    os.path.join(self.logs, "p2pshare-seeder.log"))

        def ready(line):
            m = re.search(r"listening on port (\d+)", line)
            return int(m.group(1)) if m else None

        proc.port = proc.wait_line(ready, 300)
        return proc

    def leecher(self, kind, seeder_port, out_dir, tag):
        logf = os.path.join(self.logs, f"{tag}.log")
        if kind.startswith("p2pshare"):
            encryption = {"p2pshare": [], "p2pshare-plain": ["--encryption", "disable"],
                          "p2pshare-rc4": ["--encryption", "require"]}[kind]
            argv = self.p2p + ["download", self.torrent, "-o", out_dir, "--peer", f"127.0.0.1:{seeder_port}",
                               "--no-seed", "--bind", "127.0.0.1", "--port", "0", "--no-dht",
                               "--log-file", os.path.join(self.logs, f"{tag}.serilog")] + encryption + self.p2p_extra
        elif kind.startswith("libtorrent"):
            encryption = {"libtorrent": [], "libtorrent-plain": ["--encryption", "disabled"],
                          "libtorrent-rc4": ["--encryption", "forced", "--enc-level", "rc4"]}[kind]
            argv = ["/usr/bin/python3", LT_PEER, "--torrent", self.torrent, "--save-dir", out_dir, "--mode", "leech",
                    "--no-trackers", "--peer", f"127.0.0.1:{seeder_port}"] + encryption
        elif kind == "aria2":
            self.tracker.peer_port = seeder_port
            argv = [ARIA2, "leech", "--torrent", self.torrent, "--dir", out_dir, "--port", str(free_port()),
                    "--no-trackers", "--tracker", self.tracker.url]
        else:
            raise ValueError(kind)
        return Proc(kind, argv, logf)

    def transfer(self, seeder, seeder_kind, leecher_kind, round_no):
        tag = f"r{round_no}-{seeder_kind}-to-{leecher_kind}"
        out_dir = os.path.join(self.work, "dl", tag)
        shutil.rmtree(out_dir, ignore_errors=True)
        os.makedirs(out_dir)
        self.warm_up_memory(os.path.join(self.work, "dl"))
        seed_cpu0 = cpu_ticks(seeder.pid)
        leech = self.leecher(leecher_kind, seeder.port, out_dir, tag)
        sampler = MemorySampler({"leecher": leech.pid, "seeder": seeder.pid})
        sampler.start()
        wall, usage, code = leech.wait_exit(self.a.timeout)
        sampler.stop()
        seed_cpu1 = cpu_ticks(seeder.pid)
        got = 0
        for dirpath, dirnames, files in os.walk(out_dir):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            got += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files
                       if not f.startswith(".") and not f.endswith(".aria2"))
        ok = code == 0 and got == self.size
        if leecher_kind.startswith("libtorrent"):
            ok = ok and any('"event": "complete"' in line for line in leech.lines)
        shutil.rmtree(out_dir, ignore_errors=True)
        row = {
            "round": round_no, "seeder": seeder_kind, "leecher": leecher_kind, "ok": ok, "exit": code,
            "bytes": got, "wall_s": wall, "mb_s": self.size / wall / 1e6 if ok else 0.0,
            "cpu_user_s": usage.ru_utime, "cpu_sys_s": usage.ru_stime, "cpu_s": usage.ru_utime + usage.ru_stime,
            "anon_mib": sampler.peak_anon["leecher"] / 1024, "rss_mib": sampler.peak_rss["leecher"] / 1024,
            "maxrss_mib": usage.ru_maxrss / 1024,
            "seeder_cpu_user_s": (seed_cpu1[0] - seed_cpu0[0]) / CLK_TCK,
            "seeder_cpu_sys_s": (seed_cpu1[1] - seed_cpu0[1]) / CLK_TCK,
            "seeder_anon_mib": sampler.peak_anon["seeder"] / 1024, "seeder_rss_mib": sampler.peak_rss["seeder"] / 1024,
            "load": loadavg(),
        }
        row["seeder_cpu_s"] = row["seeder_cpu_user_s"] + row["seeder_cpu_sys_s"]
        status = "ok" if ok else f"FAILED (exit {code}, {got} of {self.size} bytes; see {leech.log.name})"
        log(f"  {seeder_kind:>10} -> {leecher_kind:<10} {wall:7.2f} s {row['mb_s']:7.1f} MB/s | leecher cpu "
            f"{row['cpu_user_s']:.2f}u+{row['cpu_sys_s']:.2f}s anon {row['anon_mib']:.0f} MiB rss {row['rss_mib']:.0f} MiB"
            f" | seeder cpu {row['seeder_cpu_user_s']:.2f}u+{row['seeder_cpu_sys_s']:.2f}s anon "
            f"{row['seeder_anon_mib']:.0f} MiB | load {row['load']} | {status}")
        time.sleep(0.5)  # let the seeder notice the closed connection before the next leecher dials
        return row

    def run(self):
        plan = [("libtorrent", "p2pshare"), ("libtorrent", "libtorrent"), ("libtorrent", "aria2"),
                ("p2pshare", "libtorrent"), ("p2pshare", "p2pshare")]
        if self.a.encryption_only:
            plan = [("libtorrent", "p2pshare-plain"), ("libtorrent", "p2pshare-rc4"),
                    ("libtorrent", "libtorrent-plain"), ("libtorrent", "libtorrent-rc4")]
        if self.a.pairs:
            plan = [tuple(p.split(":", 1)) for p in self.a.pairs.split(",")]
        log(f"swarm benchmark: {self.size / 2**20:.0f} MiB, {self.a.rounds} round(s), load {loadavg()}")
        self.cache_seed_data()
        seeders = {}
        if any(s == "libtorrent" for s, _ in plan):
            seeders["libtorrent"] = self.start_lt_seeder()
        if any(s == "p2pshare" for s, _ in plan):
            seeders["p2pshare"] = self.start_p2p_seeder()
        log("  seeders ready: " + ", ".join(f"{k} on port {v.port}" for k, v in seeders.items()))
        rows = []
        for r in range(1, self.a.rounds + 1):
            self.cache_seed_data()
            log(f"round {r} (load {loadavg()})")
            for seeder_kind, leecher_kind in plan:
                rows.append(self.transfer(seeders[seeder_kind], seeder_kind, leecher_kind, r))
        for s in seeders.values():
            s.stop()
        return rows


# ---------------------------------------------------------------- report

def med(rows, key):
    vals = [r[key] for r in rows]
    return statistics.median(vals) if vals else float("nan")


def report(rows, rounds):
    def pick(seeder, leecher):
        return [r for r in rows if r["seeder"] == seeder and r["leecher"] == leecher]

    def okcount(sel):
        return f"{sum(r['ok'] for r in sel)}/{len(sel)}"

    out = []
    plain, rc4 = pick("libtorrent", "p2pshare-plain"), pick("libtorrent", "p2pshare-rc4")
    if plain and rc4:
        out.append(f"### Encrypted vs plaintext download (libtorrent seeder; medians of {rounds} round(s))")
        out.append("")
        out.append("| leecher | ok | wall s | MB/s | CPU s (user+sys) | peak private MiB | libtorrent seeder |")
        out.append("|---|---:|---:|---:|---:|---:|---|")
        lt_plain, lt_rc4 = pick("libtorrent", "libtorrent-plain"), pick("libtorrent", "libtorrent-rc4")
        for name, sel in (("disable (plain)", plain), ("require (RC4)", rc4),
                          ("libtorrent leecher, plain", lt_plain), ("libtorrent leecher, RC4 forced", lt_rc4)):
            if sel:
                out.append(f"| {name} | {okcount(sel)} | {med(sel, 'wall_s'):.2f} | {med(sel, 'mb_s'):.0f} | {med(sel, 'cpu_s'):.2f} | "
                           f"{med(sel, 'anon_mib'):.0f} | seeder CPU {med(sel, 'seeder_cpu_s'):.2f} s |")
        out.append("")
        out.append(f"RC4 vs plain throughput: {med(rc4, 'mb_s') / max(med(plain, 'mb_s'), 1e-9):.2f}x (target >= 0.9), "
                   f"CPU {med(rc4, 'cpu_s') / max(med(plain, 'cpu_s'), 1e-9):.2f}x")
        if lt_plain and lt_rc4:
            out.append(f"Yardstick, libtorrent leecher from the same seeder: RC4 vs plain throughput "
                       f"{med(lt_rc4, 'mb_s') / max(med(lt_plain, 'mb_s'), 1e-9):.2f}x, CPU "
                       f"{med(lt_rc4, 'cpu_s') / max(med(lt_plain, 'cpu_s'), 1e-9):.2f}x; p2pshare RC4 vs libtorrent RC4: "
                       f"{med(rc4, 'mb_s') / max(med(lt_rc4, 'mb_s'), 1e-9):.2f}x throughput, "
                       f"{med(rc4, 'cpu_s') / max(med(lt_rc4, 'cpu_s'), 1e-9):.2f}x CPU")
        return "\n".join(out)
    out.append(f"### Download (libtorrent seeder; medians of {rounds} round(s); MB = 10^6 bytes, MiB = 2^20)")
    out.append("")
    out.append("| client | ok | wall s | MB/s | CPU s (user+sys) | user s | sys s | peak private (RssAnon) MiB | peak RSS MiB |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for leecher in ("p2pshare", "libtorrent", "aria2"):
        sel = pick("libtorrent", leecher)
        out.append(f"| {leecher} | {okcount(sel)} | {med(sel, 'wall_s'):.2f} | {med(sel, 'mb_s'):.0f} | {med(sel, 'cpu_s'):.2f} | "
                   f"{med(sel, 'cpu_user_s'):.2f} | {med(sel, 'cpu_sys_s'):.2f} | {med(sel, 'anon_mib'):.0f} | {med(sel, 'rss_mib'):.0f} |")
    p, l = pick("libtorrent", "p2pshare"), pick("libtorrent", "libtorrent")
    if p and l:
        out.append("")
        out.append(f"p2pshare vs libtorrent leecher: throughput {med(p, 'mb_s') / max(med(l, 'mb_s'), 1e-9):.2f}x "
                   f"(target >= 1), CPU {med(p, 'cpu_s') / max(med(l, 'cpu_s'), 1e-9):.2f}x (target <= 1), "
                   f"private memory {med(p, 'anon_mib'):.0f} MiB (target < 64 MB = 61 MiB)")
    out.append("")
    out.append(f"### Seeding (medians of {rounds} round(s); seeder CPU and memory during the transfer only)")
    out.append("")
    out.append("| seeder -> leecher | ok | MB/s | seeder CPU s (user+sys) | user s | sys s | seeder peak private MiB | leecher CPU s |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for seeder, leecher in (("libtorrent", "libtorrent"), ("p2pshare", "libtorrent"), ("p2pshare", "p2pshare"),
                            ("libtorrent", "p2pshare")):
        sel = pick(seeder, leecher)
        out.append(f"| {seeder} -> {leecher} | {okcount(sel)} | {med(sel, 'mb_s'):.0f} | {med(sel, 'seeder_cpu_s'):.2f} | "
                   f"{med(sel, 'seeder_cpu_user_s'):.2f} | {med(sel, 'seeder_cpu_sys_s'):.2f} | "
                   f"{med(sel, 'seeder_anon_mib'):.0f} | {med(sel, 'cpu_s'):.2f} |")
    ps, ls, pp = pick("p2pshare", "libtorrent"), pick("libtorrent", "libtorrent"), pick("p2pshare", "p2pshare")
    if ps and ls:
        out.append("")
        out.append(f"p2pshare seeder vs libtorrent seeder (same libtorrent leecher): throughput "
                   f"{med(ps, 'mb_s') / max(med(ls, 'mb_s'), 1e-9):.2f}x (target >= 1), seeder CPU "
                   f"{med(ps, 'seeder_cpu_s') / max(med(ls, 'seeder_cpu_s'), 1e-9):.2f}x")
    if pp:
        out.append(f"p2pshare -> p2pshare: {med(pp, 'mb_s'):.0f} MB/s (target >= 600 MB/s)")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", required=True, help="the p2pshare executable scripts/build prints (a p2pshare.dll runs with dotnet)")
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--seed-dir", required=True, help="directory holding the torrent's content")
    ap.add_argument("--work", required=True, help="scratch directory (downloads, logs)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=600, help="seconds one transfer may take before it is killed")
    ap.add_argument("--json", help="write the per-transfer figures here")
    ap.add_argument("--encryption-only", action="store_true",
                    help="only p2pshare downloads from libtorrent, plain (--encryption disable) against RC4 (require)")
    ap.add_argument("--no-warm-up", action="store_true",
                    help="do not write and delete a scratch file before each transfer (see the module's docstring)")
    ap.add_argument("--pairs", help="only these transfers, as SEEDER:LEECHER[,...] (e.g. p2pshare:p2pshare)")
    args = ap.parse_args()

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    bench = None
    try:
        bench = Bench(args)
        rows = bench.run()
    finally:
        kill_all()
        if bench:
            bench.tracker.close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    print()
    print(report(rows, args.rounds))
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
