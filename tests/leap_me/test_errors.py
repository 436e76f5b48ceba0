import pytest
from flask import Blueprint


def test_missing_page_gets_a_clear_404_page(client, login):
    login("viewer")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_missing_page_in_khmer(client, login):
    login("viewer")
    client.post("/language", data={"lang": "km"})
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" not in response.get_data(as_text=True)
    assert 'lang="km"' in response.get_data(as_text=True)


def test_api_errors_are_json(client, api_token):
    headers = {"Authorization": f"Bearer {api_token('viewer')}"}
    response = client.get("/api/v1/nothing-here", headers=headers)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@pytest.fixture
def crashing_app(database_url, _schema):
    from leap_me import create_app
    from tests.conftest import make_config

    bp = Blueprint("boom", __name__)

    @bp.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app = create_app(make_config(database_url, TESTING=False, PROPAGATE_EXCEPTIONS=False))
    app.register_blueprint(bp)
    return app


def test_unexpected_error_never_shows_a_stack_trace(crashing_app):
    response = crashing_app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "secret internals" not in page and "Traceback" not in page


def test_upload_over_the_limit_gets_413(app, client, login):
    login("planner")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/organisations/new", data={"notes": "x" * 5000})
    assert response.status_code == 413
    assert "File too large" in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
