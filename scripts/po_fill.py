"""Fill empty Khmer translations from a JSON file of {msgid: msgstr}.

make extract                      # pull new strings into the catalogue
python scripts/po_fill.py km.json # fill the empty ones
python scripts/po_fill.py --missing  # list what still lacks a translation
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "leap_me/translations/km/LC_MESSAGES/messages.po"


def main(argv: list[str]) -> int:
    with PO.open("rb") as fh:
        catalogue = read_po(fh, locale="km")
    if argv and argv[0] == "--missing":
        missing = [m.id for m in catalogue if m.id and (not m.string or m.fuzzy)]
        print(json.dumps({m: "" for m in missing}, ensure_ascii=False, indent=1))
        return 0
    filled = 0
    for path in argv:
        if path.endswith(".po"):
            with open(path, "rb") as fh:
                translations = {m.id: m.string for m in read_po(fh) if m.id and m.string}
        else:
            translations = json.loads(Path(path).read_text(encoding="utf-8"))
        for message in catalogue:
            if message.id in translations and (not message.string or message.fuzzy):
                message.string = translations[message.id]
                message.flags.discard("fuzzy")
                filled += 1
    with PO.open("wb") as fh:
        write_po(fh, catalogue, width=0)
    print(f"filled {filled} translations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
