"""``python -m bench.netlab check PROFILE`` (see ``bench.netlab``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.netlab.check import check_profile, format_check
from bench.netlab.lab import NetLab
from bench.netlab.profiles import PROFILES, get_profile

RESULTS = Path(__file__).resolve().parent.parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.netlab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="measure a profile against theory")
    check.add_argument("profiles", nargs="*", help=f"one or more of {', '.join(PROFILES)}")
    check.add_argument("--all", action="store_true")
    check.add_argument("--size", type=int, default=200_000, help="bytes each way")
    check.add_argument("--emulate", action="store_true", help="user-space emulation only")
    check.add_argument("--index", type=int, default=0, help="lab number (subnet 10.77.N.0/30)")
    check.add_argument(
        "--save", action="store_true", help="write bench/results/netlab-check-*.json"
    )
    commands.add_parser("profiles", help="list the profiles")
    args = parser.parse_args(argv)

    if args.command == "profiles":
        for profile in PROFILES.values():
            print(f"{profile.describe()}  — {profile.meaning}")
        return 0
    names = list(PROFILES) if args.all else args.profiles
    if not names:
        parser.error("name a profile or give --all")
    failed = []
    for name in names:
        profile = get_profile(name)
        with NetLab(args.index, emulate=args.emulate) as lab:
            result = check_profile(lab, profile, size=args.size)
        print(format_check(result), flush=True)
        if args.save:
            RESULTS.mkdir(exist_ok=True)
            path = RESULTS / f"netlab-check-{name}.json"
            path.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
        if not result.ok:
            failed.append(name)
    if failed:
        print(f"FAILED: {', '.join(failed)} more than 20 % off theory", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
