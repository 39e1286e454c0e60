"""Summarise a py-spy raw profile (`--format raw`) of the order requests: the share of samples
under each of the project's functions (inclusive), and under a few named library layers.

    .venv/bin/py-spy record --format raw -o /tmp/orders.txt -- \\
        .venv/bin/python bench/profile/orders.py 300 --plain
    .venv/bin/python bench/profile/spy_summary.py /tmp/orders.txt [root-function] [top]

Only stacks through `root-function` (default `create_order`, the order view) count.
"""

from __future__ import annotations

import collections
import re
import sys

FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^:]*):(?P<line>\d+)\)$")
OWN = ("core/", "pharmacy/", "insurance/", "hospital/", "app.py")
LAYERS = {
    "sqlalchemy": "sqlalchemy/",
    "sqlite3/psycopg execute": "execute (<built-in>",
    "marshmallow": "marshmallow/",
    "json": "json/",
    "flask_smorest/webargs": ("flask_smorest/", "webargs/"),
}


def main(path: str, root: str = "create_order", top: int = 60) -> None:
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    with open(path, encoding="utf-8", errors="replace") as lines:
        samples = [line.rstrip("\n").rpartition(" ") for line in lines]
    for stack, _, count in samples:
        if not count.isdigit():
            continue
        frames = stack.split(";")
        if not any(f.startswith(root + " (") for f in frames):
            continue
        n = int(count)
        total += n
        seen = set()
        for frame in frames:
            match = FRAME.match(frame)
            if not match or not match["file"].startswith(OWN):
                continue
            key = f"{match['file']}:{match['name']}"
            if key not in seen:
                seen.add(key)
                inclusive[key] += n
    print(f"{total} samples under {root}")
    for key, n in inclusive.most_common(top):
        print(f"{100 * n / total:5.1f}%  {key}")


if __name__ == "__main__":
    main(sys.argv[1], *(sys.argv[2:3] or ["create_order"]), *(int(a) for a in sys.argv[3:4]))
