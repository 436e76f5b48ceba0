"""With CSRF on, as in production: a form without the right token is refused cleanly."""

import re

import pytest

from tests.conftest import make_config


@pytest.fixture
def csrf_client(app, database_url):
    from leap_me import create_app

    secured = create_app(make_config(database_url, WTF_CSRF_ENABLED=True))
    return secured.test_client()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_login_without_csrf_token_is_refused(csrf_client):
    response = csrf_client.post("/login", data={"username": "admin", "password": "leap-demo-2026"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Form expired" in page and "Traceback" not in page


def test_forged_csrf_token_is_refused(csrf_client):
    csrf_client.get("/login")
    response = csrf_client.post(
        "/login",
        data={"username": "admin", "password": "leap-demo-2026", "csrf_token": "forged"},
    )
    assert response.status_code == 400


def test_real_token_lets_the_form_through(csrf_client):
    token = _token(csrf_client.get("/login").get_data(as_text=True))
    response = csrf_client.post(
        "/login", data={"username": "admin", "password": "leap-demo-2026", "csrf_token": token}
    )
    assert response.status_code == 302
    # Logout is a POST with its own token too; a bare POST is refused.
    assert csrf_client.post("/logout").status_code == 400
    token = _token(csrf_client.get("/").get_data(as_text=True))
    assert csrf_client.post("/logout", data={"csrf_token": token}).status_code == 302
