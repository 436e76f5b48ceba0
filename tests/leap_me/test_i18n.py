"""English and Khmer: nothing visible escapes translation, and the Khmer catalogue is whole."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
CATALOGUE = ROOT / "leap_me/translations/km/LC_MESSAGES/messages.po"
# Words that stay as they are in both languages: the language switch names English.
ALLOWED = {"English"}

VISIBLE_ATTRS = re.compile(r'\b(?:placeholder|title|alt|aria-label|data-confirm)="([^"]*)"')


def _unmarked_text(source: str) -> list[str]:
    text = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    text = re.sub(r"\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    found = [v for v in VISIBLE_ATTRS.findall(text) if re.search(r"[A-Za-z]{2,}", v)]
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"&\w+;", " ", text)
    for chunk in re.split(r"\s{2,}|\n", text):
        chunk = chunk.strip()
        if re.search(r"[A-Za-z]{2,}", chunk) and chunk not in ALLOWED:
            found.append(chunk)
    return found


@pytest.mark.parametrize(
    "template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))
)
def test_templates_mark_all_visible_english_for_translation(template):
    assert _unmarked_text((TEMPLATES / template).read_text(encoding="utf-8")) == []


def test_checker_catches_unmarked_text():
    assert _unmarked_text("<p>Hello officer</p>") == ["Hello officer"]
    assert _unmarked_text('<input placeholder="Search">') == ["Search"]
    assert _unmarked_text("<p>{{ _('Hello') }}</p>") == []


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sd]", text))


def _translated(message) -> bool:
    """A translation is there; for a plural message, every form of it."""
    if isinstance(message.string, tuple):
        return all(message.string)
    return bool(message.string)


def test_plural_messages_count_as_translated_only_when_every_form_is():
    from babel.messages.catalog import Message

    assert not _translated(Message(("%(n)d file", "%(n)d files"), ("",)))
    assert _translated(Message(("%(n)d file", "%(n)d files"), ("ឯកសារ %(n)d",)))
    assert not _translated(Message("File", ""))


def test_khmer_catalogue_translates_every_string(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "L_",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    with CATALOGUE.open("rb") as fh:
        catalogue = {m.id: m for m in read_po(fh) if m.id}
    missing = sorted(
        w if isinstance(w, str) else w[0]
        for w in wanted
        if w not in catalogue or not _translated(catalogue[w]) or catalogue[w].fuzzy
    )
    assert not missing, (
        f"{len(missing)} strings lack a Khmer translation (run make extract): {missing[:10]}"
    )
    for msg in catalogue.values():
        if isinstance(msg.id, str) and msg.string:
            assert _placeholders(msg.id) == _placeholders(msg.string), msg.id


def test_pages_render_in_khmer(client, login):
    login("admin")
    client.post("/language", data={"lang": "km"})
    page = client.get("/organisations").get_data(as_text=True)
    assert 'lang="km"' in page
    assert "ស្ថាប័ន" in page  # "organisation" in the glossary
    assert "ក្រសួងមហាផ្ទៃ" in page  # names are shown in Khmer too


def test_khmer_font_is_served_locally_on_khmer_pages_only(client):
    english = client.get("/login").get_data(as_text=True)
    assert "noto-sans-khmer" not in english
    client.post("/language", data={"lang": "km"})
    page = client.get("/login").get_data(as_text=True)
    urls = re.findall(r'url\("([^"]*noto-sans-khmer[^"]*)"\)', page)
    assert len(urls) == 4 and not any(u.startswith("http") for u in urls)
    font = client.get(urls[0])
    assert font.status_code == 200 and len(font.data) > 10_000
    css = client.get("/static/css/app.css").get_data(as_text=True)
    assert "noto-sans-khmer" not in css  # no stylesheet of an English page fetches it
