"""The one safe-redirect helper, and every place a request names where to go next."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from leap_me.redirects import is_safe_path, safe_next

PASSWORD = "leap-demo-2026"

SAFE = ["/", "/organisations", "/plan?version=2", "/indicators/X-1#targets", "/a%20b"]
UNSAFE = [
    None,
    "",
    "https://evil.example/x",
    "http:/evil.example",
    "//evil.example/x",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
    "/ok\r\nSet-Cookie: x=1",
    "/ok\nLocation: https://evil.example",
    "/ok%0d%0aSet-Cookie:%20x=1",
    "/tab\there",
    "javascript:alert(1)",
    "data:text/html,hi",
    "mailto:x@example.org",
    "organisations",
    "/" + "a" * 3000,
    42,
]


@pytest.mark.parametrize("target", SAFE)
def test_safe_paths_are_followed(target):
    assert is_safe_path(target)
    assert safe_next(target, "/home") == target


@pytest.mark.parametrize("target", UNSAFE)
def test_unsafe_targets_give_the_default(target):
    assert not is_safe_path(target)
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/ok\r\nSet-Cookie: x=1", "//evil.example", "/\\evil"])
def test_login_with_a_hostile_next_lands_home(client, target):
    response = client.post(
        "/login?next=" + quote(target, safe=""),
        data={"username": "planner", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.location == "/"
    assert "Set-Cookie: x" not in str(response.headers)
    assert client.get("/").status_code == 200  # signed in, and the site still answers


@pytest.mark.parametrize("target", ["/ok\r\nSet-Cookie: x=1", "https://evil.example/"])
def test_language_switch_with_a_hostile_next_lands_home(client, login, target):
    login("planner")
    response = client.post("/language", data={"lang": "km", "next": target})
    assert response.status_code == 302
    assert response.location == "/"


def test_language_switch_returns_to_the_page(client, login):
    login("planner")
    response = client.post("/language", data={"lang": "en", "next": "/plan?version=1"})
    assert response.location == "/plan?version=1"
