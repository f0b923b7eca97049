"""Helpers shared by scripts/kill-loop and scripts/soak (imported, not run).

Loopback only: every port is taken on 127.0.0.1, every child gets P2PSHARE_LOCAL_ONLY=1, every child is
started in its own process group and ended by its PID (SIGTERM, then SIGKILL of its group after a bounded wait).
"""

import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time

SWARM_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(SWARM_DIR))
DEBIAN_PYTHON = "/usr/bin/python3"


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def exit_on_sigterm():
    """SIGTERM and SIGHUP raise SystemExit in the main thread, so the scripts' `finally` ends their children by PID
    (the children run in sessions of their own and would outlive a script killed by the default action)."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def default_dll():
    for configuration in ("Release", "Debug"):
        path = os.path.join(REPO_ROOT, "src", "P2PShare.Cli", "bin", configuration, "net10.0", "p2pshare.dll")
        if os.path.exists(path):
            return path
    raise SystemExit("p2pshare.dll not found: build first (dotnet build P2PShare.sln -c Release) or pass --dll")


def p2pshare_command(path):
    """The argv that runs p2pshare: the executable scripts/build makes (Native AOT) directly, a .dll with dotnet."""
    return ["dotnet", path] if path.endswith(".dll") else [path]


def free_port():
    """A port free for TCP and UDP on 127.0.0.1 (a race with other programs remains; callers retry)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                    udp.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free TCP+UDP port on 127.0.0.1")


def child_environment():
    env = dict(os.environ)
    env["P2PSHARE_LOCAL_ONLY"] = "1"
    env.setdefault("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
    env.setdefault("DOTNET_NOLOGO", "1")
    return env


def start(args, stdout=subprocess.PIPE, stderr=None, stdin=subprocess.DEVNULL, env=None, cwd=None):
    """Starts a child in a process group of its own (so its children can be ended with it, by its PID)."""
    return subprocess.Popen(args, stdout=stdout, stderr=stderr, stdin=stdin, env=env or child_environment(),
                            cwd=cwd, start_new_session=True, text=True, bufsize=1)


def kill9(process):
    """SIGKILL to the child's process group (its PID is the group id); reaps it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=30)


def stop(process, grace=10.0):
    """SIGTERM, wait at most `grace`, then SIGKILL of the group. Returns the exit code."""
    if process.poll() is None:
        try:
            os.kill(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    if process.poll() is None:
        kill9(process)
    try:
        os.killpg(process.pid, signal.SIGKILL)  # anything the child left in its group
    except (ProcessLookupError, PermissionError):
        pass
    return process.returncode


def write_random_file(path, size, seed):
    rng = random.Random(seed)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 1 << 20)
            f.write(rng.randbytes(n))
            left -= n
    return path


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def create_torrent(content, torrent, piece_length):
    out = subprocess.run([DEBIAN_PYTHON, os.path.join(SWARM_DIR, "lt_create.py"), "--path", content, "--out", torrent,
                          "--piece-length", str(piece_length), "--no-date"],
                         capture_output=True, text=True, timeout=120, check=False)
    if out.returncode != 0:
        raise SystemExit(f"lt_create.py failed: {out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def lt_peer_args(torrent, save_dir, mode, extra=()):
    return [DEBIAN_PYTHON, os.path.join(SWARM_DIR, "lt_peer.py"), "--torrent", torrent, "--save-dir", save_dir,
            "--mode", mode, "--no-trackers", *extra]


def read_json_line(process, predicate, timeout, what):
    """Reads the child's stdout until a JSON object matching `predicate` (bounded by `timeout`)."""
    import selectors
    deadline = time.monotonic() + timeout
    sel = selectors.DefaultSelector()
    sel.register(process.stdout, selectors.EVENT_READ)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"timed out waiting for {what}")
            if not sel.select(timeout=min(left, 1.0)):
                if process.poll() is not None:
                    raise RuntimeError(f"{what}: the process exited with {process.returncode}")
                continue
            line = process.stdout.readline()
            if line == "":
                raise RuntimeError(f"{what}: the process closed its output (exit {process.wait(timeout=10)})")
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and predicate(obj):
                return obj
    finally:
        sel.unregister(process.stdout)


# ---- /proc sampling -------------------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_sample(pid):
    """RSS, anonymous (private) RSS, threads, fds and CPU seconds of one process, from /proc."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    after_name = stat[stat.rindex(")") + 2:].split()
    cpu_seconds = (int(after_name[11]) + int(after_name[12])) / CLOCK_TICKS  # utime + stime
    kib = lambda key: int(fields.get(key, "0 kB").split()[0])
    return {
        "rss_mib": kib("VmRSS") / 1024.0,
        "anon_mib": kib("RssAnon") / 1024.0,
        "threads": int(fields.get("Threads", "0")),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "cpu_seconds": cpu_seconds,
    }


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def slope_per_hour(points):
    """Least-squares slope of (seconds, value) points, per hour; None with fewer than 3 points."""
    if len(points) < 3:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return None
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return cov / var * 3600.0
