import sqlalchemy as sa

from leap_me.auth.models import ApiToken, LoginAttempt, User


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="username"' in response.data


def test_login_and_logout(client, auth):
    response = auth.login("planner")
    assert response.status_code == 302 and response.location == "/"
    home = client.get("/")
    assert "LEAP secretariat planner" in home.get_data(as_text=True)
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # back to the sign-in page


def test_wrong_password_is_refused_with_a_clear_message(client, auth, db):
    response = auth.login("planner", "wrong-password")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    attempt = db.session.scalar(sa.select(LoginAttempt))
    assert attempt.username == "planner" and attempt.success is False


def test_unknown_user_gets_the_same_message(auth):
    response = auth.login("nobody", "whatever-123")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_login_is_throttled_after_repeated_failures(app, auth):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert auth.login("viewer", "bad-password").status_code == 401
    response = auth.login("viewer")  # even the right password waits now
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.get_data(as_text=True)


def test_disabled_account_cannot_sign_in(auth, db):
    user = db.session.scalar(sa.select(User).where(User.username == "viewer"))
    user.is_enabled = False
    db.session.commit()
    assert auth.login("viewer").status_code == 401


def test_next_parameter_never_leaves_the_site(client):
    response = client.post(
        "/login?next=https://evil.example/x",
        data={"username": "planner", "password": "leap-demo-2026"},
    )
    assert response.location == "/"
    client.post("/logout")
    response = client.post(
        "/login?next=/organisations", data={"username": "planner", "password": "leap-demo-2026"}
    )
    assert response.location == "/organisations"


def test_passwords_are_hashed(db):
    user = db.session.scalar(sa.select(User).where(User.username == "admin"))
    assert "leap-demo-2026" not in user.password_hash
    assert user.check_password("leap-demo-2026")


def test_change_password(client, login, auth):
    login("viewer")
    bad = client.post(
        "/profile/password",
        data={
            "current_password": "nope",
            "new_password": "new-pass-123",
            "confirm": "new-pass-123",
        },
    )
    assert bad.status_code == 400
    assert "The current password is not right." in bad.get_data(as_text=True)
    short = client.post(
        "/profile/password",
        data={"current_password": "leap-demo-2026", "new_password": "short", "confirm": "short"},
    )
    assert "at least 8 characters" in short.get_data(as_text=True)
    ok = client.post(
        "/profile/password",
        data={
            "current_password": "leap-demo-2026",
            "new_password": "new-pass-123",
            "confirm": "new-pass-123",
        },
    )
    assert ok.status_code == 302
    auth.logout()
    assert auth.login("viewer", "new-pass-123").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, auth):
    response = auth.login("viewer")
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_tokens_made_and_revoked_on_the_profile_page(client, login, db):
    login("reviewer")
    response = client.post("/profile/tokens", data={"name": "my script"})
    page = response.get_data(as_text=True)
    assert "Copy it now" in page
    token = db.session.scalar(sa.select(ApiToken))
    raw = page.split('id="new-token">')[1].split("<")[0]
    assert raw.startswith("leap_") and raw not in token.token_hash
    api = client.get("/api/v1/organisations", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 200
    client.post(f"/profile/tokens/{token.id}/revoke")
    api = client.get("/api/v1/organisations", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 401
    assert api.json["error"]["code"] == "unauthorized"


def test_cannot_revoke_another_users_token(client, login, api_token, db):
    api_token("planner")
    other = db.session.scalar(sa.select(ApiToken))
    login("viewer")
    assert client.post(f"/profile/tokens/{other.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, other.id).revoked_dt is None


def test_api_needs_a_valid_bearer_token(client, api_token, login):
    missing = client.get("/api/v1/organisations")
    assert missing.status_code == 401
    assert set(missing.json["error"]) == {"code", "message", "details"}
    bad = client.get("/api/v1/organisations", headers={"Authorization": "Bearer leap_wrong"})
    assert bad.status_code == 401
    # A signed-in browser session is not enough: the API takes tokens only.
    login("admin")
    assert client.get("/api/v1/organisations").status_code == 401
    raw = api_token("viewer")
    ok = client.get("/api/v1/organisations", headers={"Authorization": f"Bearer {raw}"})
    assert ok.status_code == 200


def test_language_switch_is_remembered_per_user(client, login, auth, db):
    login("partner")
    client.post("/language", data={"lang": "km", "next": "/"})
    assert 'lang="km"' in client.get("/").get_data(as_text=True)
    user = db.session.scalar(sa.select(User).where(User.username == "partner"))
    assert user.locale == "km"
    auth.logout()
    # A new browser: after sign-in the user's language comes back.
    fresh = client.application.test_client()
    fresh.post("/login", data={"username": "partner", "password": "leap-demo-2026"})
    assert 'lang="km"' in fresh.get("/").get_data(as_text=True)


def test_language_switch_refuses_unknown_languages(client):
    assert client.post("/language", data={"lang": "fr"}).status_code == 400
