#!/usr/bin/env bash
# Runs transmission-daemon 3.00 on 127.0.0.1 with its own settings.json, and drives it over RPC.
# Transmission never dials 127.0.0.0/8 peers (from trackers, PEX or DHT) and has no add-peer call:
# on loopback the other side must dial its peer port.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

usage() {
  cat <<'USAGE'
Usage:
  transmission.sh run --dir DIR --peer-port P --rpc-port R [--download-dir D] [--upload-limit KBPS]
                      [--encryption tolerated|preferred|required] [--utp]
      Writes DIR/settings.json (DHT, LPD, PEX, port forwarding, uTP off; peers and RPC on 127.0.0.1,
      RPC without auth or whitelist; rename-partial-files false) and execs transmission-daemon in the
      foreground (-f -g DIR): the PID you started is the daemon's. Stop it with SIGTERM.
  transmission.sh add --rpc-port R --torrent T --download-dir D
      torrent-add (prints the added torrent as JSON: id, name, hashString).
  transmission.sh status --rpc-port R [--hash H]
      torrent-get: JSON array with percentDone, uploadedEver, downloadedEver, peersConnected, peers...
  transmission.sh --help
USAGE
}
die() { echo "transmission.sh: $*" >&2; exit 2; }

cmd="${1:-}"; [ $# -gt 0 ] && shift
case "$cmd" in
  -h|--help|help) usage; exit 0 ;;
  run)
    dir=""; peer_port=""; rpc_port=""; download_dir=""; up_kbps=""; enc=0; utp=false
    while [ $# -gt 0 ]; do
      case "$1" in
        --dir) dir="$2"; shift 2 ;;
        --peer-port) peer_port="$2"; shift 2 ;;
        --rpc-port) rpc_port="$2"; shift 2 ;;
        --download-dir) download_dir="$2"; shift 2 ;;
        --upload-limit) up_kbps="$2"; shift 2 ;;
        --utp) utp=true; shift ;;
        --encryption)
          case "$2" in tolerated) enc=0 ;; preferred) enc=1 ;; required) enc=2 ;; *) die "bad --encryption $2" ;; esac
          shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument: $1" ;;
      esac
    done
    [ -n "$dir" ] && [ -n "$peer_port" ] && [ -n "$rpc_port" ] || die "--dir, --peer-port and --rpc-port are required"
    command -v transmission-daemon >/dev/null || die "transmission-daemon is not installed"
    mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
    [ -n "$download_dir" ] || download_dir="$dir/downloads"
    mkdir -p "$download_dir"
    up_enabled=false; [ -n "$up_kbps" ] && up_enabled=true
    cat > "$dir/settings.json" <<JSON
{
  "bind-address-ipv4": "127.0.0.1",
  "bind-address-ipv6": "::1",
  "blocklist-enabled": false,
  "cache-size-mb": 4,
  "dht-enabled": false,
  "download-dir": "$download_dir",
  "download-queue-enabled": false,
  "encryption": $enc,
  "idle-seeding-limit-enabled": false,
  "incomplete-dir-enabled": false,
  "lpd-enabled": false,
  "message-level": 2,
  "peer-limit-global": 200,
  "peer-limit-per-torrent": 60,
  "peer-port": $peer_port,
  "peer-port-random-on-start": false,
  "pex-enabled": false,
  "port-forwarding-enabled": false,
  "queue-stalled-enabled": false,
  "ratio-limit-enabled": false,
  "rename-partial-files": false,
  "rpc-authentication-required": false,
  "rpc-bind-address": "127.0.0.1",
  "rpc-enabled": true,
  "rpc-host-whitelist-enabled": false,
  "rpc-port": $rpc_port,
  "rpc-whitelist-enabled": false,
  "scrape-paused-torrents-enabled": false,
  "seed-queue-enabled": false,
  "speed-limit-up": ${up_kbps:-100},
  "speed-limit-up-enabled": $up_enabled,
  "start-added-torrents": true,
  "trash-original-torrent-files": false,
  "umask": 18,
  "utp-enabled": $utp,
  "watch-dir-enabled": false
}
JSON
    exec transmission-daemon -f -g "$dir" --log-info
    ;;
  add|status)
    rpc_port=""; rest=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --rpc-port) rpc_port="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) rest+=("$1"); shift ;;
      esac
    done
    [ -n "$rpc_port" ] || die "--rpc-port is required"
    exec /usr/bin/python3 "$here/swarm_rpc.py" transmission --port "$rpc_port" "$cmd" "${rest[@]}"
    ;;
  *) usage >&2; exit 2 ;;
esac
