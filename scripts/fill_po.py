"""Write translations/<area>/zh/LC_MESSAGES/messages.po from an extracted .pot and a dict of
Chinese texts (a helper for keeping catalogs complete; the test suite checks completeness)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def fill(pot_path: str, zh_json: str, out_path: str) -> list[str]:
    with open(pot_path, "rb") as handle:
        template = read_po(handle)
    texts = json.loads(Path(zh_json).read_text(encoding="utf-8"))
    catalog = Catalog(locale="zh", project="internet-hospital", charset="utf-8")
    missing = []
    for message in template:
        if not message.id:
            continue
        if message.id not in texts:
            missing.append(message.id)
            continue
        catalog.add(message.id, texts[message.id], locations=message.locations)
    for extra, text in texts.items():  # dynamic msgids (role names, titles) not found by extraction
        if extra not in catalog:
            catalog.add(extra, text)
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "wb") as handle:
        write_po(handle, catalog, width=120, omit_header=False)
    return missing


if __name__ == "__main__":
    missing = fill(*sys.argv[1:4])
    for msgid in missing:
        print("MISSING:", msgid)
