#!/usr/bin/python3
"""A libtorrent (python3-libtorrent 2.0) peer for loopback interop tests.

Seeds or leeches one .torrent (or, leeching, a magnet link whose metadata it fetches from peers), listening on 127.0.0.1 only, with DHT (unless --dht)/LSD/UPnP/NAT-PMP off and
several connections per IP allowed (every local peer shares 127.0.0.1). It prints one JSON object
per line on stdout:

  {"event": "started", "listen_port": P, "info_hash": "<v1 hex>", ...}
  {"event": "status", "state": "...", "progress": 0..1, "total_payload_upload": N, ...}   (periodic)
  {"event": "metadata", "name": ..., "total_size": N, ...}   when a magnet link's metadata arrived (--magnet)
  {"event": "complete", ...}     when the data is complete (leech modes)
  {"event": "error", "message": "..."}   on a torrent error (then exits 1)
  {"event": "done", "reason": "complete"|"signal"|"timeout", ...}   the last line

Commands can be written on stdin, one per line (optional; EOF on stdin is fine):

  connect HOST:PORT         dial a peer now (and keep re-dialling it like --peer)
  upload-limit BYTES_PER_S  set the per-torrent upload limit (0 = none)
  download-limit BYTES_PER_S
  unchoke-slots N           set the session's unchoke_slots_limit (0 = choke every peer at the next
                            unchoke round, see --unchoke-interval; -1 = unlimited)
  reannounce                force a tracker announce
  dht-announce              force a DHT announce (with --dht)
  status                    print a status line now

With --log-uploads, each block sent is printed as {"event": "uploaded", "ip", "port", "piece", "block", "time"}
(time: Unix seconds); with --log-peer-messages TYPES, the wire messages of those types that libtorrent's peer log shows going out
or coming in, as {"event": "peer_message", "direction": "out"|"in", "type": "REJECT_PIECE", "detail":
"piece: 3 | s: 16384 | l: 16384", "ip", "port", "time"}.

Each command is answered by {"event": "command_ok"|"command_error", "command": ...}; a command may
start with "@ID " (ID without spaces), which the answer echoes as "id", to match answers to commands.

Run it with Debian's /usr/bin/python3 (the bindings are built for it).
"""

import argparse
import json
import queue
import re
import signal
import sys
import threading
import time

try:
    import libtorrent as lt
except ImportError as exc:  # pragma: no cover - reported to the caller as a JSON line
    print(json.dumps({"event": "error", "message": f"python3-libtorrent is not available: {exc}"}), flush=True)
    sys.exit(1)

MODES = ("seed", "leech", "leech-seed")
ENCRYPTION = {"enabled": 1, "forced": 0, "disabled": 2}  # settings_pack.enc_policy values
ENC_LEVEL = {"plaintext": 1, "rc4": 2, "both": 3}  # settings_pack.allowed_enc_level values


PEER_MESSAGE = re.compile(r"(==>|<==) ([A-Z_]+) ?(?:\[(.*)\])?\s*$")


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Seed or leech a torrent with libtorrent on 127.0.0.1, printing JSON status lines.",
        epilog="Modes: seed = check data then seed forever; leech = download, print 'done', exit 0; "
               "leech-seed = download, then keep seeding forever. Stop with SIGTERM/SIGINT (exit 0). "
               "Exit codes: 0 done/signal, 1 torrent error, 2 bad arguments, 3 --max-seconds reached.")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--torrent", help=".torrent file")
    source.add_argument("--magnet", help="magnet link (leech modes): the metadata comes from peers (x.pe, --peer, trackers)")
    p.add_argument("--save-dir", required=True, help="directory holding (or receiving) the torrent's data")
    p.add_argument("--mode", choices=MODES, default="leech")
    p.add_argument("--port", type=int, default=0, help="listen port on 127.0.0.1 (0 = any free port)")
    p.add_argument("--bind", default="127.0.0.1",
                   help="listen address (default 127.0.0.1; another only inside a test's own network namespace)")
    p.add_argument("--lsd", action="store_true",
                   help="enable Local Service Discovery (BEP 14 multicast): only inside a test's own network namespace")
    p.add_argument("--peer", action="append", default=[], metavar="HOST:PORT",
                   help="peer to dial with connect_peer (repeatable); re-dialled while not connected")
    p.add_argument("--redial-interval", type=float, default=3.0,
                   help="seconds between re-dials of --peer addresses that are not connected (0 = dial once)")
    p.add_argument("--tracker", action="append", default=[], metavar="URL",
                   help="announce URL replacing the torrent's trackers (repeatable)")
    p.add_argument("--no-trackers", action="store_true", help="ignore the torrent's trackers")
    p.add_argument("--reannounce-interval", type=float, default=0.0,
                   help="force a tracker re-announce every N seconds (0 = follow the tracker's interval)")
    p.add_argument("--upload-limit", type=int, default=0, help="per-torrent upload limit in bytes/s (0 = none)")
    p.add_argument("--download-limit", type=int, default=0, help="per-torrent download limit in bytes/s (0 = none)")
    p.add_argument("--utp", action="store_true", help="enable uTP (off by default: TCP only)")
    p.add_argument("--utp-only", action="store_true", help="uTP on and TCP off (incoming and outgoing)")
    p.add_argument("--encryption", choices=sorted(ENCRYPTION), default="enabled",
                   help="MSE/PE policy for incoming and outgoing connections (default: enabled = libtorrent's default)")
    p.add_argument("--enc-level", choices=sorted(ENC_LEVEL), default="both",
                   help="MSE methods allowed once encrypted (default: both = libtorrent's default; rc4 = RC4 only)")
    p.add_argument("--skip-check", action="store_true",
                   help="seed without hashing the data first (libtorrent seed_mode)")
    p.add_argument("--status-interval", type=float, default=1.0, help="seconds between status lines")
    p.add_argument("--max-seconds", type=float, default=0.0, help="give up after N seconds (exit 3; 0 = never)")
    p.add_argument("--peers-in-status", action="store_true", help="include per-peer details in status lines")
    p.add_argument("--unchoke-interval", type=int, default=0,
                   help="seconds between libtorrent's unchoke rounds (0 = libtorrent's default, 15)")
    p.add_argument("--local-unchoke-slots", action="store_true",
                   help="local peers (all of 127.0.0.0/8) count against unchoke_slots_limit; libtorrent exempts them by default")
    p.add_argument("--log-uploads", action="store_true", help="print an 'uploaded' line for every block sent")
    p.add_argument("--log-peer-messages", default="", metavar="TYPE,TYPE|all",
                   help="print these wire messages in and out (libtorrent's peer log names: CHOKE, UNCHOKE, REQUEST, "
                        "REJECT_PIECE, HAVE_ALL, HAVE_NONE, ALLOWED_FAST, PIECE...; 'all' = every one) as 'peer_message' lines")
    p.add_argument("--dht", action="store_true",
                   help="enable libtorrent's DHT with the settings that make it work on 127.0.0.1 (off by default)")
    p.add_argument("--dht-bootstrap", action="append", default=[], metavar="HOST:PORT",
                   help="DHT node to join through (repeatable; implies --dht)")
    p.add_argument("--dht-announce-interval", type=float, default=0.0,
                   help="force a DHT announce every N seconds (0 = libtorrent's own schedule; implies --dht)")
    return p.parse_args(argv)


def emit(obj):
    obj.setdefault("time", round(time.time(), 3))
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def parse_endpoint(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise SystemExit(f"lt_peer.py: bad --peer '{text}', expected HOST:PORT")
    return host.strip("[]"), int(port)


def read_commands(commands):
    for raw in sys.stdin:
        line = raw.strip()
        if line:
            commands.put(line)


def apply_command(line, handle, peers_to_dial, session=None):
    """Runs one stdin command; returns True when a status line should be printed now."""
    command_id = None
    if line.startswith("@"):
        command_id, _, line = line[1:].partition(" ")
        line = line.strip()
    verb, _, arg = line.partition(" ")
    arg = arg.strip()

    def answer(event, **fields):
        obj = {"event": event, "command": line, **fields}
        if command_id is not None:
            obj["id"] = command_id
        emit(obj)

    try:
        if verb == "connect":
            host, port = parse_endpoint(arg)
            if (host, port) not in peers_to_dial:
                peers_to_dial.append((host, port))
            handle.connect_peer((host, port))
        elif verb == "upload-limit":
            handle.set_upload_limit(int(arg) if int(arg) > 0 else -1)
        elif verb == "download-limit":
            handle.set_download_limit(int(arg) if int(arg) > 0 else -1)
        elif verb == "unchoke-slots":
            session.apply_settings({"unchoke_slots_limit": int(arg)})
        elif verb == "reannounce":
            handle.force_reannounce()
        elif verb == "dht-announce":
            handle.force_dht_announce()
        elif verb == "status":
            pass
        else:
            answer("command_error", message="unknown command")
            return False
    except (ValueError, SystemExit, RuntimeError) as exc:
        answer("command_error", message=str(exc))
        return False
    answer("command_ok")
    return verb == "status"


def make_session(args):
    settings = {
        "listen_interfaces": f"{args.bind}:{args.port}",
        "enable_dht": False,
        "enable_lsd": args.lsd,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        "enable_incoming_utp": args.utp or args.utp_only,
        "enable_outgoing_utp": args.utp or args.utp_only,
        "enable_incoming_tcp": not args.utp_only,
        "enable_outgoing_tcp": not args.utp_only,
        "in_enc_policy": ENCRYPTION[args.encryption],
        "out_enc_policy": ENCRYPTION[args.encryption],
        "allowed_enc_level": ENC_LEVEL[args.enc_level],
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
        | lt.alert.category_t.tracker_notification,
        "user_agent": "lt_peer.py/libtorrent-" + lt.__version__,
    }
    if args.unchoke_interval > 0:
        settings["unchoke_interval"] = args.unchoke_interval
    if args.log_uploads:
        settings["alert_mask"] |= lt.alert.category_t.upload_notification
    if args.log_peer_messages:
        settings["alert_mask"] |= lt.alert.category_t.peer_log_notification
    if args.dht or args.dht_bootstrap or args.dht_announce_interval > 0:
        # As in lt_dht.py: libtorrent's DHT refuses loopback nodes unless these are relaxed.
        settings.update({
            "enable_dht": True,
            "dht_bootstrap_nodes": ",".join(args.dht_bootstrap),
            "dht_restrict_routing_ips": False,
            "dht_restrict_search_ips": False,
            "dht_ignore_dark_internet": False,
            "dht_prefer_verified_node_ids": False,
        })
    session = lt.session(settings)
    if args.local_unchoke_slots:
        local = session.get_peer_class(session.local_peer_class_id)
        local["ignore_unchoke_slots"] = False
        session.set_peer_class(session.local_peer_class_id, local)
    for node in args.dht_bootstrap:
        session.add_dht_node(parse_endpoint(node))
    return session


def state_name(st):
    return str(st.state).split(".")[-1]


def status_line(event, handle, session, extra=None):
    st = handle.status()
    peers = handle.get_peer_info()
    line = {
        "event": event,
        "state": state_name(st),
        "progress": round(st.progress, 6),
        "is_seeding": st.is_seeding,
        "total_payload_upload": st.total_payload_upload,
        "total_payload_download": st.total_payload_download,
        "total_wanted_done": st.total_wanted_done,
        "total_wanted": st.total_wanted,
        "num_peers": st.num_peers,
        "num_seeds": st.num_seeds,
        "download_rate": st.download_payload_rate,
        "upload_rate": st.upload_payload_rate,
        "listen_port": session.listen_port(),
        "error": str(st.errc.message()) if st.errc.value() != 0 else "",
        "has_metadata": st.has_metadata,
    }
    if extra:
        line.update(extra)
    return line, peers


def main(argv):
    args = parse_args(argv)
    log_types = None if args.log_peer_messages == "all" else {t.strip() for t in args.log_peer_messages.split(",") if t.strip()}
    peers_to_dial = [parse_endpoint(p) for p in args.peer]

    stop = {"reason": None}

    def on_signal(signum, _frame):
        stop["reason"] = "signal"

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if args.magnet is not None and args.mode == "seed":
        raise SystemExit("lt_peer.py: --magnet needs a leech mode")
    info = None
    if args.magnet is None:
        try:
            info = lt.torrent_info(args.torrent)
        except RuntimeError as exc:
            emit({"event": "error", "message": f"cannot read torrent: {exc}"})
            return 1

    session = make_session(args)
    if info is not None:
        params = lt.add_torrent_params()
        params.ti = info
    else:
        try:
            params = lt.parse_magnet_uri(args.magnet)
        except RuntimeError as exc:
            emit({"event": "error", "message": f"cannot parse magnet link: {exc}"})
            return 1
    params.save_path = args.save_dir
    flags = lt.torrent_flags.default_flags & ~lt.torrent_flags.auto_managed & ~lt.torrent_flags.paused
    if args.skip_check:
        flags |= lt.torrent_flags.seed_mode
    params.flags = flags
    handle = session.add_torrent(params)
    if args.no_trackers or args.tracker:
        handle.replace_trackers([lt.announce_entry(url) for url in args.tracker])
        if args.tracker:
            handle.force_reannounce()
    if args.upload_limit > 0:
        handle.set_upload_limit(args.upload_limit)
    if args.download_limit > 0:
        handle.set_download_limit(args.download_limit)

    if info is not None:
        info_hash = str(info.info_hashes().v1) if hasattr(info, "info_hashes") else str(info.info_hash())
    else:
        info_hash = str(params.info_hashes.v1) if hasattr(params, "info_hashes") else str(params.info_hash)
    # Wait briefly for the listen socket so the port we report is the real one.
    deadline = time.monotonic() + 5
    while session.listen_port() == 0 and time.monotonic() < deadline and stop["reason"] is None:
        time.sleep(0.02)
    started = {"event": "started", "listen_port": session.listen_port(), "info_hash": info_hash, "mode": args.mode,
               "magnet": info is None}
    if info is not None:
        started.update({"name": info.name(), "total_size": info.total_size(),
                        "num_pieces": info.num_pieces(), "piece_length": info.piece_length()})
    emit(started)
    metadata_reported = info is not None

    commands = queue.Queue()
    threading.Thread(target=read_commands, args=(commands,), daemon=True).start()

    start = time.monotonic()
    next_status = start
    next_dial = start
    next_reannounce = start + args.reannounce_interval if args.reannounce_interval > 0 else None
    next_dht_announce = start if args.dht_announce_interval > 0 else None
    dialled_once = False
    complete_reported = False
    exit_code = 0

    while stop["reason"] is None:
        now = time.monotonic()
        for alert in session.pop_alerts():
            if isinstance(alert, lt.torrent_error_alert) or isinstance(alert, lt.file_error_alert):
                emit({"event": "error", "message": alert.message()})
                stop["reason"] = "error"
                exit_code = 1
            elif isinstance(alert, (lt.tracker_error_alert, lt.tracker_warning_alert)):
                emit({"event": "tracker", "message": alert.message()})
            elif isinstance(alert, lt.block_uploaded_alert):
                emit({"event": "uploaded", "ip": alert.ip[0], "port": alert.ip[1], "piece": alert.piece_index,
                      "block": alert.block_index, "time": round(time.time(), 4)})
            elif isinstance(alert, lt.peer_log_alert):
                # "<torrent> peer [ ... ] [ip:port] ==> REJECT_PIECE [ piece: 10 | s: 32768 | l: 16384 ]"
                wire = PEER_MESSAGE.search(alert.message())
                if wire and (log_types is None or wire.group(2) in log_types):
                    emit({"event": "peer_message", "direction": "out" if wire.group(1) == "==>" else "in",
                          "type": wire.group(2), "detail": wire.group(3).strip(), "ip": alert.ip[0], "port": alert.ip[1],
                          "time": round(time.time(), 4)})
        if stop["reason"] is not None:
            break

        while not commands.empty():
            if apply_command(commands.get_nowait(), handle, peers_to_dial, session):
                next_status = now

        st = handle.status()
        if not metadata_reported and st.has_metadata:
            metadata_reported = True
            got = handle.torrent_file()
            emit({"event": "metadata", "name": got.name(), "total_size": got.total_size(), "num_pieces": got.num_pieces()})
        checking = st.state in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data)

        if peers_to_dial and not checking and now >= next_dial and (args.redial_interval > 0 or not dialled_once):
            connected = {(p.ip[0], p.ip[1]) for p in handle.get_peer_info()}
            for host, port in peers_to_dial:
                if (host, port) not in connected:
                    handle.connect_peer((host, port))
            dialled_once = True
            next_dial = now + (args.redial_interval if args.redial_interval > 0 else 1e18)

        if next_dht_announce is not None and now >= next_dht_announce and not checking:
            handle.force_dht_announce()
            next_dht_announce = now + args.dht_announce_interval

        if next_reannounce is not None and now >= next_reannounce:
            handle.force_reannounce()
            next_reannounce = now + args.reannounce_interval

        done = (not checking) and st.has_metadata and st.is_seeding
        if done and not complete_reported and args.mode != "seed":
            complete_reported = True
            line, _ = status_line("complete", handle, session)
            emit(line)
            if args.mode == "leech":
                stop["reason"] = "complete"
                break

        if now >= next_status:
            line, peers = status_line("status", handle, session)
            if args.peers_in_status:
                line["peers"] = [{"ip": p.ip[0], "port": p.ip[1], "client": p.client.decode("utf-8", "replace")
                                  if isinstance(p.client, bytes) else str(p.client),
                                  "outgoing": bool(p.flags & lt.peer_info.outgoing_connection),
                                  "choked": bool(p.flags & lt.peer_info.choked),
                                  "total_upload": p.total_upload, "total_download": p.total_download}
                                 for p in peers]
            emit(line)
            next_status = now + args.status_interval

        if args.max_seconds > 0 and now - start >= args.max_seconds:
            stop["reason"] = "timeout"
            exit_code = 3
            break
        time.sleep(0.05)

    line, _ = status_line("done", handle, session, {"reason": stop["reason"]})
    emit(line)
    # Pause and drop the session before exiting so sockets close cleanly.
    session.pause()
    session.remove_torrent(handle)
    del session
    return exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
