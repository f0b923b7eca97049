#!/usr/bin/env bash
# Runs qbittorrent-nox 4.5 on 127.0.0.1 from a pre-written profile and drives it over the Web API v2.
# The profile already turns DHT/PEX/LSD/UPnP off (qBittorrent has public DHT bootstrap nodes built in,
# so DHT must be off before the first start); 'prefs' re-applies the loopback settings over the API.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

usage() {
  cat <<'USAGE'
Usage:
  qbittorrent.sh run --profile DIR --webui-port W --peer-port P
      Writes DIR/qBittorrent/config/qBittorrent.conf (legal notice accepted; Web UI on 127.0.0.1:W
      without local-host auth, CSRF, clickjacking or host-header checks; DHT/PEX/LSD/UPnP off,
      interface lo / 127.0.0.1, TCP only, queueing off, several connections per IP) and execs
      qbittorrent-nox in the foreground: the PID you started is qBittorrent's. Stop it with SIGTERM
      or 'qbittorrent.sh shutdown'.
  qbittorrent.sh prefs     --webui-port W --peer-port P [--extra JSON]   app/setPreferences (loopback set)
  qbittorrent.sh add       --webui-port W --torrent T --save-dir D [--skip-check]   torrents/add
  qbittorrent.sh add-peers --webui-port W --hash H --peer HOST:PORT [--peer ...]     torrents/addPeers
  qbittorrent.sh info      --webui-port W [--hash H]   torrents/info (progress, uploaded, downloaded, state)
  qbittorrent.sh shutdown  --webui-port W              app/shutdown
  qbittorrent.sh --help
USAGE
}
die() { echo "qbittorrent.sh: $*" >&2; exit 2; }

cmd="${1:-}"; [ $# -gt 0 ] && shift
case "$cmd" in
  -h|--help|help) usage; exit 0 ;;
  run)
    profile=""; webui=""; peer_port=""
    while [ $# -gt 0 ]; do
      case "$1" in
        --profile) profile="$2"; shift 2 ;;
        --webui-port) webui="$2"; shift 2 ;;
        --peer-port) peer_port="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument: $1" ;;
      esac
    done
    [ -n "$profile" ] && [ -n "$webui" ] && [ -n "$peer_port" ] || die "--profile, --webui-port and --peer-port are required"
    command -v qbittorrent-nox >/dev/null || die "qbittorrent-nox is not installed"
    mkdir -p "$profile/qBittorrent/config" "$profile/downloads"
    profile="$(cd "$profile" && pwd)"
    cat > "$profile/qBittorrent/config/qBittorrent.conf" <<CONF
[LegalNotice]
Accepted=true

[BitTorrent]
Session\AnonymousModeEnabled=false
Session\BTProtocol=TCP
Session\DHTEnabled=false
Session\DefaultSavePath=$profile/downloads
Session\Interface=lo
Session\InterfaceAddress=127.0.0.1
Session\InterfaceName=lo
Session\LSDEnabled=false
Session\MultiConnectionsPerIp=true
Session\PeXEnabled=false
Session\Port=$peer_port
Session\QueueingSystemEnabled=false
Session\TorrentContentLayout=Original

[Network]
PortForwardingEnabled=false

[Preferences]
Connection\UPnP=false
General\Locale=en
WebUI\Address=127.0.0.1
WebUI\CSRFProtection=false
WebUI\ClickjackingProtection=false
WebUI\Enabled=true
WebUI\HostHeaderValidation=false
WebUI\LocalHostAuth=false
WebUI\Port=$webui
WebUI\UseUPnP=false
CONF
    export HOME="$profile"
    exec qbittorrent-nox --profile="$profile" --webui-port="$webui"
    ;;
  prefs|add|add-peers|info|shutdown)
    webui=""; rest=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --webui-port) webui="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) rest+=("$1"); shift ;;
      esac
    done
    [ -n "$webui" ] || die "--webui-port is required"
    exec /usr/bin/python3 "$here/swarm_rpc.py" qbittorrent --port "$webui" "$cmd" "${rest[@]}"
    ;;
  *) usage >&2; exit 2 ;;
esac
