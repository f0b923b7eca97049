#!/usr/bin/env bash
# Runs aria2c 1.36 as a BitTorrent seeder or leecher on 127.0.0.1 (no DHT, LPD or PEX).
# aria2 has no add-peer call: it learns peers from a tracker, or another peer dials its listen port.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

usage() {
  cat <<'USAGE'
Usage:
  aria2.sh seed  --torrent T --dir D --port P [options]   seed forever (--seed-ratio=0.0, data verified first)
  aria2.sh leech --torrent T --dir D --port P [options]   download; exits when done unless --rpc-port is given
      Options:
        --rpc-port R        enable JSON-RPC on 127.0.0.1:R (no secret); the download's GID is fixed to
                            0000000000000001. With RPC on, aria2 does not exit: call 'aria2.sh shutdown'.
        --upload-limit B    --max-upload-limit in bytes/s
        --download-limit B  --max-download-limit in bytes/s
        --no-trackers       ignore the torrent's announce URLs (--bt-exclude-tracker='*')
        --tracker URL       announce URL to add (repeatable)
        --udp-trackers      enable DHT (with no bootstrap node) because aria2 only uses UDP trackers then
      The PID you start is aria2c's (exec). Stop it with SIGTERM.
  aria2.sh status   --rpc-port R      aria2.tellStatus for GID 0000000000000001 (completedLength, uploadLength...)
  aria2.sh shutdown --rpc-port R      aria2.shutdown
  aria2.sh --help
USAGE
}
die() { echo "aria2.sh: $*" >&2; exit 2; }
GID=0000000000000001

cmd="${1:-}"; [ $# -gt 0 ] && shift
case "$cmd" in
  -h|--help|help) usage; exit 0 ;;
  seed|leech)
    torrent=""; dir=""; port=""; rpc_port=""; up=""; down=""; no_trackers=false; udp=false; trackers=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --torrent) torrent="$2"; shift 2 ;;
        --dir) dir="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        --rpc-port) rpc_port="$2"; shift 2 ;;
        --upload-limit) up="$2"; shift 2 ;;
        --download-limit) down="$2"; shift 2 ;;
        --no-trackers) no_trackers=true; shift ;;
        --tracker) trackers+=("$2"); shift 2 ;;
        --udp-trackers) udp=true; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument: $1" ;;
      esac
    done
    [ -n "$torrent" ] && [ -n "$dir" ] && [ -n "$port" ] || die "--torrent, --dir and --port are required"
    command -v aria2c >/dev/null || die "aria2c is not installed"
    mkdir -p "$dir"
    opts=(--listen-port="$port" --interface=127.0.0.1 --disable-ipv6=true
          --enable-dht="$udp" --enable-dht6=false --dht-listen-port="$port" --dht-file-path="$dir/.aria2-dht.dat" --bt-enable-lpd=false --enable-peer-exchange=false
          --dir="$dir" --gid="$GID" --file-allocation=none --summary-interval=0 --console-log-level=warn
          --bt-save-metadata=false --auto-save-interval=0 --allow-overwrite=true --follow-torrent=true
          --check-certificate=false --bt-max-peers=55)
    if [ "$cmd" = seed ]; then
      opts+=(--seed-ratio=0.0 --check-integrity=true --bt-seed-unverified=false)
    else
      opts+=(--seed-time=0)
    fi
    [ -n "$rpc_port" ] && opts+=(--enable-rpc=true --rpc-listen-port="$rpc_port" --rpc-listen-all=false --rpc-allow-origin-all=false)
    [ -n "$up" ] && opts+=(--max-upload-limit="$up")
    [ -n "$down" ] && opts+=(--max-download-limit="$down")
    $no_trackers && opts+=(--bt-exclude-tracker='*')
    if [ ${#trackers[@]} -gt 0 ]; then opts+=(--bt-tracker="$(IFS=,; echo "${trackers[*]}")"); fi
    exec aria2c "${opts[@]}" "$torrent"
    ;;
  status|shutdown)
    rpc_port=""
    while [ $# -gt 0 ]; do
      case "$1" in
        --rpc-port) rpc_port="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument: $1" ;;
      esac
    done
    [ -n "$rpc_port" ] || die "--rpc-port is required"
    if [ "$cmd" = status ]; then
      exec /usr/bin/python3 "$here/swarm_rpc.py" aria2 --port "$rpc_port" status --gid "$GID"
    fi
    exec /usr/bin/python3 "$here/swarm_rpc.py" aria2 --port "$rpc_port" shutdown
    ;;
  *) usage >&2; exit 2 ;;
esac
