#!/usr/bin/python3
"""Creates a .torrent with libtorrent (python3-libtorrent 2.0), for tests that compare with ours.

Prints one JSON line: {"torrent": PATH, "info_hash": "<v1 hex>", "name": ..., "piece_length": N,
"num_pieces": N, "total_size": N, "files": N}. Run it with Debian's /usr/bin/python3.
"""

import argparse
import json
import os
import sys

try:
    import libtorrent as lt
except ImportError as exc:
    print(f"lt_create.py: python3-libtorrent is not available: {exc}", file=sys.stderr)
    sys.exit(1)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Create a .torrent from a file or directory with libtorrent.")
    p.add_argument("--path", required=True, help="file or directory to share")
    p.add_argument("--out", required=True, help="where to write the .torrent")
    p.add_argument("--piece-length", type=int, default=0,
                   help="piece length in bytes (power of two, >= 16 KiB; 0 = libtorrent chooses)")
    p.add_argument("--tracker", action="append", default=[], metavar="URL",
                   help="announce URL (repeatable; each one its own tier)")
    p.add_argument("--private", action="store_true", help="set the private flag")
    p.add_argument("--comment", default=None)
    p.add_argument("--creator", default="lt_create.py")
    p.add_argument("--format", choices=("v1", "hybrid", "v2"), default="v1",
                   help="metadata format (default v1: BEP 3 only)")
    p.add_argument("--no-date", action="store_true", help="omit 'creation date' so output is reproducible")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    path = os.path.abspath(args.path)
    if not os.path.exists(path):
        print(f"lt_create.py: no such file or directory: {args.path}", file=sys.stderr)
        return 2
    fs = lt.file_storage()
    lt.add_files(fs, path)
    if fs.num_files() == 0:
        print(f"lt_create.py: nothing to share in {args.path}", file=sys.stderr)
        return 2
    flags = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}[args.format]
    ct = lt.create_torrent(fs, args.piece_length, flags=flags)
    for tier, url in enumerate(args.tracker):
        ct.add_tracker(url, tier)
    if args.private:
        ct.set_priv(True)
    if args.comment:
        ct.set_comment(args.comment)
    ct.set_creator(args.creator)
    lt.set_piece_hashes(ct, os.path.dirname(path))
    entry = ct.generate()
    if args.no_date:
        entry.pop(b"creation date", None)
    data = lt.bencode(entry)
    with open(args.out, "wb") as f:
        f.write(data)
    info = lt.torrent_info(args.out)
    ih = info.info_hashes()
    print(json.dumps({
        "torrent": os.path.abspath(args.out),
        "info_hash": str(ih.v1) if ih.has_v1() else "",
        "info_hash_v2": str(ih.v2) if ih.has_v2() else "",
        "name": info.name(),
        "piece_length": info.piece_length(),
        "num_pieces": info.num_pieces(),
        "total_size": info.total_size(),
        "files": info.num_files(),
    }, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
