"""The stylesheet is built by several hands and merged: a lost brace silently moved every
later rule into a phone-only media query once. Its blocks must close, and every section
(a ``/* ---`` comment) must start at the top level."""

from __future__ import annotations

from pathlib import Path

CSS = Path(__file__).resolve().parents[2] / "leap_me" / "static" / "css" / "app.css"


def _without_comments(text: str) -> list[tuple[int, str, bool]]:
    """(line number, code, starts a section) per line, comments removed."""
    out, in_comment = [], False
    for n, line in enumerate(text.splitlines(), 1):
        section = line.lstrip().startswith("/* ---") and not in_comment
        code, i = "", 0
        while i < len(line):
            if in_comment:
                end = line.find("*/", i)
                if end < 0:
                    i = len(line)
                else:
                    in_comment, i = False, end + 2
            elif line.startswith("/*", i):
                in_comment, i = True, i + 2
            else:
                code += line[i]
                i += 1
        out.append((n, code, section))
    return out


def test_every_block_closes_and_sections_start_at_the_top_level():
    depth = 0
    for n, code, section in _without_comments(CSS.read_text(encoding="utf-8")):
        if section:
            assert depth == 0, f"app.css line {n}: a section starts inside an open block"
        for ch in code:
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0, f"app.css line {n}: a '}}' closes nothing"
        if code.strip() and code.lstrip()[0] in ".#:[" and code.rstrip().endswith("}"):
            # a one-line rule like ".x { … }" written at the start of a line is top level
            # unless the block it sits in is a media query indented by two spaces
            assert depth == 0 or code.startswith("  "), (
                f"app.css line {n}: a top-level rule inside an open block"
            )
    assert depth == 0, "app.css ends inside an open block"
