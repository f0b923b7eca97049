#!/usr/bin/python3
"""A bare libtorrent (python3-libtorrent 2.0) DHT node on 127.0.0.1, for DHT interop tests.

No torrent: just a session with the DHT on, set up so libtorrent's DHT works on loopback
(restrict_routing/search_ips off, dark internet allowed, unverified node ids preferred equally).
With no --bootstrap it is the bootstrap node others join through. It prints JSON lines on stdout:

  {"event": "started", "listen_port": P}
  {"event": "status", "dht_nodes": N}                                   (periodic)
  {"event": "dht_peers", "info_hash": "<hex>", "peers": ["IP:PORT", ...]}   (answer to get-peers)

Commands on stdin, one per line (an optional "@ID " prefix is echoed as "id"):

  get-peers INFOHASH        a DHT lookup; its peers come as one "dht_peers" line per reply
  announce INFOHASH PORT    announce that PORT on this host has INFOHASH
  add-node HOST:PORT        add a DHT node
  status                    print a status line now

Each command is answered by {"event": "command_ok"|"command_error", "command": ...}.
Stop with SIGTERM/SIGINT (exit 0). Run with Debian's /usr/bin/python3.
"""

import argparse
import json
import queue
import signal
import sys
import threading
import time
import warnings

try:
    import libtorrent as lt
except ImportError as exc:  # pragma: no cover
    print(json.dumps({"event": "error", "message": f"python3-libtorrent is not available: {exc}"}), flush=True)
    sys.exit(1)

warnings.simplefilter("ignore", DeprecationWarning)


def parse_args(argv):
    p = argparse.ArgumentParser(description="A bare libtorrent DHT node on 127.0.0.1 printing JSON lines.")
    p.add_argument("--port", type=int, default=0, help="UDP/TCP port on 127.0.0.1 (0 = any free port)")
    p.add_argument("--bootstrap", action="append", default=[], metavar="HOST:PORT",
                   help="DHT node to join through (repeatable); none = this is a bootstrap node")
    p.add_argument("--status-interval", type=float, default=1.0, help="seconds between status lines")
    p.add_argument("--max-seconds", type=float, default=0.0, help="exit (code 3) after N seconds (0 = never)")
    return p.parse_args(argv)


def emit(obj):
    obj.setdefault("time", round(time.time(), 3))
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def parse_endpoint(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"bad endpoint '{text}', expected HOST:PORT")
    return host.strip("[]"), int(port)


def loopback_dht_settings(port, bootstrap):
    """Settings that make libtorrent's DHT work between nodes on 127.0.0.1 (shared with lt_peer.py --dht)."""
    return {
        "listen_interfaces": f"127.0.0.1:{port}",
        "enable_dht": True,
        "dht_bootstrap_nodes": ",".join(bootstrap),
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_ignore_dark_internet": False,
        "dht_prefer_verified_node_ids": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
    }


def read_commands(commands):
    for raw in sys.stdin:
        line = raw.strip()
        if line:
            commands.put(line)


def apply_command(line, session):
    command_id = None
    if line.startswith("@"):
        command_id, _, line = line[1:].partition(" ")
        line = line.strip()
    verb, *args = line.split()

    def answer(event, **fields):
        obj = {"event": event, "command": line, **fields}
        if command_id is not None:
            obj["id"] = command_id
        emit(obj)

    try:
        if verb == "get-peers" and len(args) == 1:
            session.dht_get_peers(lt.sha1_hash(bytes.fromhex(args[0])))
        elif verb == "announce" and len(args) == 2:
            session.dht_announce(lt.sha1_hash(bytes.fromhex(args[0])), int(args[1]), 0)
        elif verb == "add-node" and len(args) == 1:
            session.add_dht_node(parse_endpoint(args[0]))
        elif verb == "status":
            emit({"event": "status", "dht_nodes": session.status().dht_nodes})
        else:
            answer("command_error", message="unknown command or wrong arguments")
            return
    except (ValueError, RuntimeError) as exc:
        answer("command_error", message=str(exc))
        return
    answer("command_ok")


def main(argv):
    args = parse_args(argv)
    stop = {"reason": None}

    def on_signal(signum, _frame):
        stop["reason"] = "signal"

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    settings = loopback_dht_settings(args.port, args.bootstrap)
    settings["alert_mask"] = lt.alert.category_t.all_categories
    session = lt.session(settings)
    for node in args.bootstrap:
        session.add_dht_node(parse_endpoint(node))
    deadline = time.monotonic() + 5
    while session.listen_port() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    emit({"event": "started", "listen_port": session.listen_port()})

    commands = queue.Queue()
    threading.Thread(target=read_commands, args=(commands,), daemon=True).start()
    start = time.monotonic()
    next_status = start
    exit_code = 0
    while stop["reason"] is None:
        now = time.monotonic()
        for alert in session.pop_alerts():
            if isinstance(alert, lt.dht_get_peers_reply_alert):
                emit({"event": "dht_peers", "info_hash": str(alert.info_hash),
                      "peers": [f"{ip}:{port}" for ip, port in alert.peers()]})
        while not commands.empty():
            apply_command(commands.get_nowait(), session)
        if now >= next_status:
            emit({"event": "status", "dht_nodes": session.status().dht_nodes})
            next_status = now + args.status_interval
        if args.max_seconds > 0 and now - start >= args.max_seconds:
            stop["reason"] = "timeout"
            exit_code = 3
            break
        time.sleep(0.05)
    emit({"event": "done", "reason": stop["reason"]})
    del session
    return exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
