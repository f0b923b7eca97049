#!/usr/bin/env bash
# Runs Debian's opentracker on 127.0.0.1 (HTTP and UDP announces on one port) for interop tests.
# Debian's build only tracks whitelisted info-hashes; as root it chroots into the config's directory
# and drops to `nobody`, so the directory must be world-readable and the whitelist path is relative
# to that chroot.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage:
  opentracker.sh run --port PORT --dir DIR [--hash INFOHASH_HEX]...
      Writes DIR/opentracker.conf and DIR/whitelist.txt, then runs opentracker in the foreground
      (exec, so the PID you started is the tracker's). Announce URLs:
        http://127.0.0.1:PORT/announce   udp://127.0.0.1:PORT/announce
      Stop it with SIGTERM/SIGINT.
  opentracker.sh whitelist --dir DIR --pid PID INFOHASH_HEX...
      Appends 40-hex info-hashes to DIR/whitelist.txt and sends SIGHUP to PID so it reloads.
  opentracker.sh --help
USAGE
}

die() { echo "opentracker.sh: $*" >&2; exit 2; }

normalize_hash() {
  local h="${1,,}"
  [[ "$h" =~ ^[0-9a-f]{40}$ ]] || die "not a 40-hex info-hash: $1"
  printf '%s\n' "$h"
}

cmd="${1:-}"; [ $# -gt 0 ] && shift
case "$cmd" in
  -h|--help|help|"") usage; [ -n "$cmd" ] && exit 0 || exit 2 ;;
  run)
    port=""; dir=""; hashes=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --port) port="$2"; shift 2 ;;
        --dir) dir="$2"; shift 2 ;;
        --hash) hashes+=("$(normalize_hash "$2")"); shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument: $1" ;;
      esac
    done
    [ -n "$port" ] || die "--port is required"
    [ -n "$dir" ] || die "--dir is required"
    command -v opentracker >/dev/null || die "opentracker is not installed"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    chmod 755 "$dir"
    : > "$dir/whitelist.txt"
    for h in "${hashes[@]}"; do printf '%s\n' "$h" >> "$dir/whitelist.txt"; done
    chmod 644 "$dir/whitelist.txt"
    # Relative to the chroot (the config's directory) when running as root; absolute otherwise.
    if [ "$(id -u)" -eq 0 ]; then wl="/whitelist.txt"; else wl="$dir/whitelist.txt"; fi
    printf 'access.whitelist %s\n' "$wl" > "$dir/opentracker.conf"
    chmod 644 "$dir/opentracker.conf"
    cd "$dir"
    exec opentracker -i 127.0.0.1 -p "$port" -P "$port" -d "$dir" -f "$dir/opentracker.conf"
    ;;
  whitelist)
    dir=""; pid=""; hashes=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --dir) dir="$2"; shift 2 ;;
        --pid) pid="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        -*) die "unknown argument: $1" ;;
        *) hashes+=("$(normalize_hash "$1")"); shift ;;
      esac
    done
    [ -n "$dir" ] && [ -f "$dir/whitelist.txt" ] || die "--dir must be a directory made by 'run'"
    [ -n "$pid" ] || die "--pid is required"
    [ ${#hashes[@]} -gt 0 ] || die "give at least one info-hash"
    for h in "${hashes[@]}"; do printf '%s\n' "$h" >> "$dir/whitelist.txt"; done
    kill -HUP "$pid"
    ;;
  *) usage >&2; exit 2 ;;
esac
