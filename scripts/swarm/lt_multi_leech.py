#!/usr/bin/python3
"""Several torrents leeched by ONE libtorrent (python3-libtorrent 2.0) session on 127.0.0.1.

Every torrent is added to the same session (DHT/LSD/UPnP/NAT-PMP off, several connections per IP
allowed, trackers ignored) and told to connect_peer to each --peer; peers are re-dialled while a
torrent is not complete. JSON lines on stdout:

  {"event": "started", "listen_port": P, "torrents": N}
  {"event": "status", "complete": K, "torrents": N, "downloaded": BYTES}      (periodic)
  {"event": "complete", "info_hash": "<v1 hex>", "name": ..., "seconds": S}    each torrent, when complete
  {"event": "done", "reason": "complete"|"signal"|"timeout", "complete": K, "seconds": S}

Exit codes: 0 all complete (or SIGTERM), 1 torrent error, 2 bad arguments, 3 --max-seconds reached.
Run it with Debian's /usr/bin/python3 (the bindings are built for it).
"""

import argparse
import json
import signal
import sys
import time

try:
    import libtorrent as lt
except ImportError as exc:  # pragma: no cover - reported to the caller as a JSON line
    print(json.dumps({"event": "error", "message": f"python3-libtorrent is not available: {exc}"}), flush=True)
    sys.exit(1)


ENCRYPTION = {"enabled": 1, "forced": 0, "disabled": 2}  # settings_pack.enc_policy values


def emit(obj):
    obj.setdefault("time", round(time.time(), 3))
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def endpoint(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not HOST:PORT")
    return host.strip("[]"), int(port)


def main(argv):
    p = argparse.ArgumentParser(description="Leech several torrents in one libtorrent session from the given peers.")
    p.add_argument("--torrent", action="append", required=True, help=".torrent file (repeatable)")
    p.add_argument("--save-dir", required=True, help="every torrent's data goes here (under its name)")
    p.add_argument("--peer", action="append", type=endpoint, default=[], metavar="HOST:PORT", help="peer to dial for every torrent")
    p.add_argument("--redial-interval", type=float, default=2.0, help="seconds between re-dials while incomplete")
    p.add_argument("--encryption", choices=sorted(ENCRYPTION), default="enabled",
                   help="MSE/PE policy (default: enabled = libtorrent's: outgoing tries MSE first, then plaintext a tick later)")
    p.add_argument("--status-interval", type=float, default=1.0)
    p.add_argument("--max-seconds", type=float, default=0.0, help="give up after N seconds (exit 3; 0 = never)")
    args = p.parse_args(argv)

    stop = {"signal": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(signal=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(signal=True))

    session = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        "enable_incoming_utp": False, "enable_outgoing_utp": False,
        "in_enc_policy": ENCRYPTION[args.encryption], "out_enc_policy": ENCRYPTION[args.encryption],
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
        "user_agent": "lt_multi_leech.py/libtorrent-" + lt.__version__,
    })
    handles = []
    for path in args.torrent:
        info = lt.torrent_info(path)
        params = lt.add_torrent_params()
        params.ti = info
        params.save_path = args.save_dir
        params.trackers = []
        handles.append(session.add_torrent(params))
    emit({"event": "started", "listen_port": session.listen_port(), "torrents": len(handles)})

    started = time.monotonic()
    done_at = {}
    next_dial = 0.0
    next_status = 0.0
    reason = None
    while reason is None:
        now = time.monotonic()
        for alert in session.pop_alerts():
            if isinstance(alert, lt.torrent_error_alert):
                emit({"event": "error", "message": alert.message()})
                return 1
        for handle in handles:
            key = str(handle.info_hash())
            if key not in done_at and handle.status().is_seeding:
                done_at[key] = now - started
                emit({"event": "complete", "info_hash": key, "name": handle.status().name, "seconds": round(done_at[key], 3)})
        if len(done_at) == len(handles):
            reason = "complete"
            break
        if now >= next_dial:
            for handle in handles:
                if str(handle.info_hash()) not in done_at:
                    for peer in args.peer:
                        handle.connect_peer(peer)
            next_dial = now + args.redial_interval if args.redial_interval > 0 else float("inf")
        if now >= next_status:
            emit({"event": "status", "complete": len(done_at), "torrents": len(handles),
                  "downloaded": sum(h.status().total_payload_download for h in handles)})
            next_status = now + args.status_interval
        if stop["signal"]:
            reason = "signal"
        elif args.max_seconds > 0 and now - started > args.max_seconds:
            reason = "timeout"
        else:
            time.sleep(0.05)
    emit({"event": "done", "reason": reason, "complete": len(done_at), "seconds": round(time.monotonic() - started, 3)})
    return 3 if reason == "timeout" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
