#!/usr/bin/python3
"""Talks to the RPC / Web APIs of transmission-daemon, aria2c and qbittorrent-nox on 127.0.0.1.

Every command prints its result as JSON on stdout (one document) and exits 0; an HTTP or RPC error
prints a message on stderr and exits 1; bad arguments exit 2. Standard library only.

  swarm_rpc.py transmission --port RPC add --torrent T --download-dir D
  swarm_rpc.py transmission --port RPC status [--hash H]
  swarm_rpc.py transmission --port RPC call METHOD [JSON_ARGUMENTS]
  swarm_rpc.py aria2 --port RPC status [--gid GID]
  swarm_rpc.py aria2 --port RPC shutdown
  swarm_rpc.py aria2 --port RPC call METHOD [JSON_PARAMS_ARRAY]
  swarm_rpc.py qbittorrent --port WEBUI prefs --peer-port P [--extra JSON]
  swarm_rpc.py qbittorrent --port WEBUI add --torrent T --save-dir D [--skip-check]
  swarm_rpc.py qbittorrent --port WEBUI add-peers --hash H --peer HOST:PORT [--peer ...]
  swarm_rpc.py qbittorrent --port WEBUI info [--hash H]
  swarm_rpc.py qbittorrent --port WEBUI shutdown
"""

import argparse
import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

TIMEOUT = 10
# Never send loopback RPC through an HTTP proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
TRANSMISSION_FIELDS = ["id", "hashString", "name", "status", "percentDone", "uploadedEver", "downloadedEver",
                       "haveValid", "leftUntilDone", "sizeWhenDone", "rateDownload", "rateUpload",
                       "peersConnected", "peers", "error", "errorString"]


class RpcError(Exception):
    pass


def http(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with OPENER.open(req, timeout=TIMEOUT) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


# --- transmission ------------------------------------------------------------------------------
def transmission_call(port, method, arguments):
    url = f"http://127.0.0.1:{port}/transmission/rpc"
    body = json.dumps({"method": method, "arguments": arguments}).encode()
    session_id = ""
    # The first call is answered 409 with the session id to echo back (CSRF protection).
    for _ in range(3):
        status, headers, payload = http(url, body, {"Content-Type": "application/json",
                                                    "X-Transmission-Session-Id": session_id})
        if status == 409:
            session_id = next((v for k, v in headers.items() if k.lower() == "x-transmission-session-id"), "")
            continue
        if status != 200:
            raise RpcError(f"transmission {method}: HTTP {status}: {payload[:200]!r}")
        reply = json.loads(payload)
        if reply.get("result") != "success":
            raise RpcError(f"transmission {method}: {reply.get('result')}")
        return reply.get("arguments", {})
    raise RpcError(f"transmission {method}: no session id after 409 responses")


def transmission(args):
    if args.action == "add":
        with open(args.torrent, "rb") as f:
            metainfo = base64.b64encode(f.read()).decode()
        result = transmission_call(args.port, "torrent-add",
                                   {"metainfo": metainfo, "download-dir": args.download_dir, "paused": False})
        return result.get("torrent-added") or result.get("torrent-duplicate") or result
    if args.action == "status":
        result = transmission_call(args.port, "torrent-get", {"fields": TRANSMISSION_FIELDS})
        torrents = result.get("torrents", [])
        if args.hash:
            torrents = [t for t in torrents if t.get("hashString", "").lower() == args.hash.lower()]
        return torrents
    return transmission_call(args.port, args.method, json.loads(args.arguments or "{}"))


# --- aria2 -------------------------------------------------------------------------------------
def aria2_call(port, method, params):
    url = f"http://127.0.0.1:{port}/jsonrpc"
    body = json.dumps({"jsonrpc": "2.0", "id": "swarm", "method": method, "params": params}).encode()
    status, _, payload = http(url, body, {"Content-Type": "application/json"})
    reply = json.loads(payload) if payload else {}
    if "error" in reply:
        raise RpcError(f"aria2 {method}: {reply['error']}")
    if status != 200:
        raise RpcError(f"aria2 {method}: HTTP {status}")
    return reply.get("result")


def aria2(args):
    if args.action == "status":
        if args.gid:
            return aria2_call(args.port, "aria2.tellStatus", [args.gid])
        return aria2_call(args.port, "aria2.tellActive", [])
    if args.action == "shutdown":
        return aria2_call(args.port, "aria2.shutdown", [])
    return aria2_call(args.port, args.method, json.loads(args.params or "[]"))


# --- qbittorrent -------------------------------------------------------------------------------
def loopback_preferences(peer_port):
    return {
        "dht": False, "pex": False, "lsd": False, "upnp": False, "web_ui_upnp": False,
        "current_network_interface": "lo", "current_interface_address": "127.0.0.1",
        "listen_port": peer_port, "random_port": False,
        "bittorrent_protocol": 1,  # 0 = TCP and uTP, 1 = TCP, 2 = uTP
        "queueing_enabled": False,
        "enable_multi_connections_from_same_ip": True,
        "anonymous_mode": False, "ip_filter_enabled": False, "enable_embedded_tracker": False,
        "bypass_local_auth": True, "preallocate_all": False, "torrent_content_layout": "Original",
        "max_ratio_enabled": False, "max_seeding_time_enabled": False,
        "encryption": 0,  # allow both plaintext and encrypted
    }


def qbt_post(port, path, fields=None, files=None):
    url = f"http://127.0.0.1:{port}/api/v2/{path}"
    if files:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in (fields or {}).items():
            parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode())
        for name, (filename, content) in files.items():
            parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                         "Content-Type: application/x-bittorrent\r\n\r\n".encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        body, ctype = b"".join(parts), f"multipart/form-data; boundary={boundary}"
    else:
        body, ctype = urllib.parse.urlencode(fields or {}).encode(), "application/x-www-form-urlencoded"
    status, _, payload = http(url, body, {"Content-Type": ctype})
    if status != 200:
        raise RpcError(f"qbittorrent {path}: HTTP {status}: {payload[:200]!r}")
    return payload.decode("utf-8", "replace")


def qbittorrent(args):
    if args.action == "prefs":
        prefs = loopback_preferences(args.peer_port)
        prefs.update(json.loads(args.extra or "{}"))
        qbt_post(args.port, "app/setPreferences", {"json": json.dumps(prefs)})
        status, _, payload = http(f"http://127.0.0.1:{args.port}/api/v2/app/preferences")
        return json.loads(payload) if status == 200 else {}
    if args.action == "add":
        with open(args.torrent, "rb") as f:
            content = f.read()
        fields = {"savepath": args.save_dir, "paused": "false", "contentLayout": "Original",
                  "root_folder": "false", "skip_checking": "true" if args.skip_check else "false"}
        text = qbt_post(args.port, "torrents/add", fields, {"torrents": ("file.torrent", content)})
        if text.strip().lower().startswith("fails"):
            raise RpcError("qbittorrent torrents/add: Fails.")
        return {"result": text.strip()}
    if args.action == "add-peers":
        text = qbt_post(args.port, "torrents/addPeers", {"hashes": args.hash.lower(), "peers": "|".join(args.peer)})
        return {"result": text.strip()}
    if args.action == "info":
        query = f"?hashes={args.hash.lower()}" if args.hash else ""
        status, _, payload = http(f"http://127.0.0.1:{args.port}/api/v2/torrents/info{query}")
        if status != 200:
            raise RpcError(f"qbittorrent torrents/info: HTTP {status}")
        return json.loads(payload)
    qbt_post(args.port, "app/shutdown")
    return {"result": "ok"}


def parse_args(argv):
    p = argparse.ArgumentParser(description="RPC client for transmission-daemon, aria2c and qbittorrent-nox "
                                            "on 127.0.0.1 (prints JSON).")
    sub = p.add_subparsers(dest="client", required=True)

    t = sub.add_parser("transmission", help="transmission-daemon RPC (session-id handshake handled)")
    t.add_argument("--port", type=int, required=True, help="RPC port")
    ts = t.add_subparsers(dest="action", required=True)
    a = ts.add_parser("add", help="torrent-add from a .torrent file")
    a.add_argument("--torrent", required=True)
    a.add_argument("--download-dir", required=True)
    s = ts.add_parser("status", help="torrent-get (percentDone, uploadedEver, peers, ...)")
    s.add_argument("--hash")
    c = ts.add_parser("call", help="any RPC method")
    c.add_argument("method")
    c.add_argument("arguments", nargs="?")

    r = sub.add_parser("aria2", help="aria2c JSON-RPC")
    r.add_argument("--port", type=int, required=True, help="--rpc-listen-port of aria2c")
    rs = r.add_subparsers(dest="action", required=True)
    s = rs.add_parser("status", help="aria2.tellStatus GID (or aria2.tellActive)")
    s.add_argument("--gid")
    rs.add_parser("shutdown", help="aria2.shutdown")
    c = rs.add_parser("call", help="any RPC method")
    c.add_argument("method")
    c.add_argument("params", nargs="?")

    q = sub.add_parser("qbittorrent", help="qbittorrent-nox Web API v2 (local-host auth off)")
    q.add_argument("--port", type=int, required=True, help="Web UI port")
    qs = q.add_subparsers(dest="action", required=True)
    s = qs.add_parser("prefs", help="app/setPreferences with the loopback settings")
    s.add_argument("--peer-port", type=int, required=True)
    s.add_argument("--extra", help="JSON object merged over the loopback settings (e.g. up_limit)")
    s = qs.add_parser("add", help="torrents/add (multipart)")
    s.add_argument("--torrent", required=True)
    s.add_argument("--save-dir", required=True)
    s.add_argument("--skip-check", action="store_true")
    s = qs.add_parser("add-peers", help="torrents/addPeers")
    s.add_argument("--hash", required=True)
    s.add_argument("--peer", action="append", required=True, metavar="HOST:PORT")
    s = qs.add_parser("info", help="torrents/info")
    s.add_argument("--hash")
    qs.add_parser("shutdown", help="app/shutdown")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    handler = {"transmission": transmission, "aria2": aria2, "qbittorrent": qbittorrent}[args.client]
    try:
        result = handler(args)
    except (RpcError, OSError, ValueError) as exc:
        print(f"swarm_rpc.py: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
