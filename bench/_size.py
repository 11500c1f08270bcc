"""`--smoke` for every bench: a small run that proves the script still works (CI runs it)."""

from __future__ import annotations

import argparse
import sys


def smoke(doc: str | None) -> bool:
    """True when the script was started with --smoke (parsed before the sizes are set)."""
    parser = argparse.ArgumentParser(description=(doc or "").strip().split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a small, quick run (CI)")
    return bool(parser.parse_args(sys.argv[1:]).smoke)
