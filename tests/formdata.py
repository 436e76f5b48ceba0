"""Read the form of an HTML page as a browser would submit it (for the locking tests)."""

from __future__ import annotations

from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

from tests.conftest import PASSWORD


class _FormParser(HTMLParser):
    def __init__(self, index: int):
        super().__init__(convert_charrefs=True)
        self.index = index
        self.seen = -1
        self.inside = False
        self.pairs: list[tuple[str, str]] = []
        self._select: str | None = None
        self._multiple = False
        self._option: tuple[str, bool] | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._option_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.seen += 1
            self.inside = self.seen == self.index
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.pairs.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.pairs.append((name, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._options = name, []
            self._multiple = "multiple" in a
        elif tag == "option" and self._select is not None:
            self._option = (a.get("value"), "selected" in a)
            self._option_text = []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)
        if self._option is not None:
            self._option_text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.pairs.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "option" and self._option is not None:
            value, selected = self._option
            self._options.append(
                (value if value is not None else "".join(self._option_text), selected)
            )
            self._option = None
        elif tag == "select" and self._select is not None:
            chosen = [v for v, s in self._options if s]
            if not chosen and not self._multiple:
                chosen = [v for v, _s in self._options[:1]]
            self.pairs.extend((self._select, v) for v in chosen)
            self._select = None


def form_data(html: str, index: int = 0) -> MultiDict:
    """The fields of the page's ``index``-th POST form, with their current values."""
    parser = _FormParser(index)
    parser.feed(html)
    return MultiDict(parser.pairs)


def edit_form(client, url: str, index: int | None = None) -> MultiDict:
    """GET an edit page and return its form (the POST form holding ``row_version``)."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    if index is not None:
        return form_data(html, index)
    for i in range(20):
        data = form_data(html, i)
        if "row_version" in data:
            return data
    raise AssertionError(f"no form with row_version on {url}")


# --- two people editing the same record ----------------------------------------------


def client_as(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def two_saves(app, url: str, username: str, change, *, first: dict, second: dict):
    """Both load ``url``; the first saves ``first``, the second ``second`` (409).
    Returns (second client, its conflict page)."""
    one, two = client_as(app, username), client_as(app, username)
    form_one, form_two = edit_form(one, url), edit_form(two, url)
    assert form_one["row_version"] == form_two["row_version"] != ""
    change(form_one, first)
    response = one.post(url, data=form_one)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    change(form_two, second)
    response = two.post(url, data=form_two)
    assert response.status_code == 409, response.get_data(as_text=True)[:3000]
    return two, response.get_data(as_text=True)


def set_fields(form, values: dict) -> None:
    for key, value in values.items():
        form.setlist(key, value if isinstance(value, list) else [value])


def resubmit(client, url: str, page: str):
    """Save from the conflict page: its form holds what was typed and the new version."""
    for i in range(20):
        data = form_data(page, i)
        if "row_version" in data:
            return client.post(url, data=data)
    raise AssertionError("the conflict page has no form to save from")
