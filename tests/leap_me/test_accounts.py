"""Accounts and sessions (issue 8, items 9, 10, 11 and 13): every test checks the stored
rows, not only the page."""

from __future__ import annotations

import sqlalchemy as sa

from leap_me.auth.models import ApiToken, LoginAttempt, User, UserSession
from tests.conftest import PASSWORD


def _user(db, username: str) -> User:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.username == username))


def _edit(client, user: User, **changes):
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "role": user.role,
        "organisation_id": user.organisation_id or 0,
        "is_enabled": "y" if user.is_enabled else "",
        **changes,
    }
    data = {k: v for k, v in data.items() if v != ""}
    return client.post(f"/admin/users/{user.id}/edit", data=data)


# --- 9: an administrator stays in charge ------------------------------------------


def test_admin_cannot_disable_their_own_account(client, login, db):
    login("admin")
    admin = _user(db, "admin")
    response = _edit(client, admin, is_enabled="", confirmed="1")
    assert response.status_code == 400
    assert "You cannot disable your own account." in response.get_data(as_text=True)
    assert _user(db, "admin").is_enabled is True


def test_the_last_active_admin_can_be_neither_disabled_nor_demoted(client, login, db):
    second = User(username="admin2", role="admin", full_name="Second admin")
    second.set_password(PASSWORD)
    db.session.add(second)
    db.session.commit()
    client.post("/login", data={"username": "admin2", "password": PASSWORD})
    admin = _user(db, "admin")
    # Another admin exists (admin2 itself), so admin may be demoted, after confirming.
    asked = _edit(client, admin, role="planner")
    assert asked.status_code == 200 and "Please confirm" in asked.get_data(as_text=True)
    assert _user(db, "admin").role == "admin"  # nothing saved before the confirmation
    done = _edit(client, admin, role="planner", confirmed="1")
    assert done.status_code == 302 and _user(db, "admin").role == "planner"
    # Now admin2 is the last one; a third admin who is disabled does not count.
    third = User(username="admin3", role="admin", is_enabled=False)
    third.set_password(PASSWORD)
    db.session.add(third)
    db.session.commit()
    # admin2 cannot demote or disable themself...
    me = _user(db, "admin2")
    assert _edit(client, me, role="viewer", confirmed="1").status_code == 400
    assert _edit(client, me, is_enabled="", confirmed="1").status_code == 400
    assert _user(db, "admin2").role == "admin" and _user(db, "admin2").is_enabled
    # ...and re-enabling admin3 then lets admin3 demote admin2, but not the reverse twice.
    client.post("/logout")
    third = _user(db, "admin3")
    third.is_enabled = True
    db.session.commit()
    client.post("/login", data={"username": "admin3", "password": PASSWORD})
    assert _edit(client, _user(db, "admin2"), is_enabled="", confirmed="1").status_code == 302
    assert _user(db, "admin2").is_enabled is False
    # admin3 is now the last active admin: nobody can take that away (not even by role).
    response = _edit(client, _user(db, "admin3"), role="viewer", confirmed="1")
    assert response.status_code == 400
    assert _user(db, "admin3").role == "admin"


def test_disabling_asks_first_and_then_ends_the_users_sessions(client, app, db, login):
    other = app.test_client()
    other.post("/login", data={"username": "viewer", "password": PASSWORD})
    assert other.get("/").status_code == 200
    login("admin")
    viewer = _user(db, "viewer")
    asked = _edit(client, viewer, is_enabled="")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "signed out everywhere" in page
    assert 'name="confirmed" type="hidden" value="True"' in page
    assert _user(db, "viewer").is_enabled is True
    assert _edit(client, viewer, is_enabled="", confirmed="True").status_code == 302
    assert _user(db, "viewer").is_enabled is False
    live = db.session.scalars(
        sa.select(UserSession).where(
            UserSession.user_id == viewer.id, UserSession.revoked_dt.is_(None)
        )
    ).all()
    assert live == []
    assert other.get("/").status_code == 302


# --- 10: usernames are case-insensitive; one validator for the form and the CLI -------


def test_usernames_differing_only_in_case_cannot_both_exist(client, login, db):
    login("admin")
    response = client.post(
        "/admin/users/new", data={"username": "Viewer", "role": "viewer", "password": "x" * 10}
    )
    assert response.status_code == 400
    assert "already taken" in response.get_data(as_text=True)
    response = client.post(
        "/admin/users/new", data={"username": "New.User", "role": "viewer", "password": "x" * 10}
    )
    assert response.status_code == 302
    assert _user(db, "new.user") is not None  # stored in lower case
    assert (
        db.session.scalar(sa.select(sa.func.count(User.id)).where(User.username == "New.User")) == 0
    )


def test_the_database_refuses_a_username_that_differs_only_in_case(db):
    """Whatever writes the row (not the model), the unique index on lower(username)
    refuses it."""
    import pytest

    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.text(
                "INSERT INTO user_account (username, full_name, email, role, password_hash, "
                "is_enabled, created_dt, updated_dt) VALUES ('PLANNER', '', '', 'viewer', 'x', "
                ":t, :n, :n)"
            ),
            {"t": True, "n": "2026-01-01 00:00:00"},
        )
    db.session.rollback()


def test_sign_in_ignores_the_case_of_the_username(client, db):
    response = client.post("/login", data={"username": "  PlAnNeR ", "password": PASSWORD})
    assert response.status_code == 302
    attempt = db.session.scalar(sa.select(LoginAttempt))
    assert attempt.username == "planner" and attempt.success is True


def test_cli_users_create_applies_the_web_forms_rules(runner, db):
    result = runner.invoke(
        args=["users", "create", "<b>x</b>", "--role", "viewer"], input="a-long-password\n"
    )
    assert result.exit_code != 0
    assert "letters, digits, dots, dashes or underscores" in result.output
    result = runner.invoke(
        args=["users", "create", "ADMIN", "--role", "viewer"], input="a-long-password\n"
    )
    assert result.exit_code != 0 and "already taken" in result.output
    result = runner.invoke(
        args=["users", "create", "z9", "--role", "viewer", "--email", "not-an-email"],
        input="a-long-password\n",
    )
    assert result.exit_code != 0 and "not a valid email address" in result.output
    result = runner.invoke(args=["users", "create", "short", "--role", "viewer"], input="abc\n")
    assert result.exit_code != 0 and "at least 8 characters" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 6  # the seeded ones
    ok = runner.invoke(
        args=["users", "create", "Field.Officer", "--role", "viewer"], input="a-long-password\n"
    )
    assert ok.exit_code == 0, ok.output
    assert _user(db, "field.officer").check_password("a-long-password")


def test_the_web_form_gives_the_same_message_for_a_bad_username(client, login, db):
    login("admin")
    response = client.post(
        "/admin/users/new", data={"username": "<b>x</b>", "role": "viewer", "password": "x" * 10}
    )
    assert response.status_code == 400
    assert "letters, digits, dots, dashes or underscores" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 6


def test_new_user_form_defaults_to_the_least_privilege(client, login):
    login("admin")
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert '<option selected value="viewer">' in page
    assert 'selected value="admin"' not in page
    assert "Leave empty to keep the current password" not in page
    assert "Give it to the new user in person" in page


# --- 11: server-side sessions ------------------------------------------------------


def _cookie(client) -> str:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else ""


def test_the_cookie_carries_only_a_random_session_id(client, db):
    import base64
    import json
    import zlib

    client.post("/login", data={"username": "planner", "password": PASSWORD})
    raw = _cookie(client)
    payload = raw.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if raw.startswith("."):
        data = zlib.decompress(data)
    session = json.loads(data)
    planner = _user(db, "planner")
    assert planner.password_hash[-16:] not in raw and planner.password_hash[-16:] not in str(
        session
    )
    token = session["_user_id"]
    assert len(token) >= 40 and str(planner.id) != token
    stored = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == planner.id))
    assert stored.revoked_dt is None and stored.token_hash != token
    from leap_me.auth.models import hash_token

    assert stored.token_hash == hash_token(token)


def test_a_session_cookie_stops_working_after_logout(app, client, db):
    client.post("/login", data={"username": "planner", "password": PASSWORD})
    stolen = _cookie(client)
    assert client.get("/").status_code == 200
    client.post("/logout")
    row = db.session.scalar(sa.select(UserSession))
    db.session.refresh(row)
    assert row.revoked_dt is not None
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/").status_code == 302  # back to the sign-in page


def test_a_remember_me_cookie_stops_working_after_logout(app, client):
    client.post("/login", data={"username": "planner", "password": PASSWORD, "remember": "y"})
    remember = client.get_cookie("remember_token").value
    before = app.test_client()
    before.set_cookie("remember_token", remember)
    assert before.get("/").status_code == 200  # the cookie alone signs in...
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("remember_token", remember)
    assert replay.get("/").status_code == 302  # ...until the session is revoked


def test_every_worker_sees_the_same_sessions(app, client, db):
    """A second application object (another gunicorn worker) accepts the cookie, and
    sees the logout made through the first."""
    from leap_me import create_app
    from tests.conftest import make_config

    client.post("/login", data={"username": "viewer", "password": PASSWORD})
    cookie = _cookie(client)
    other = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"])).test_client()
    other.set_cookie("session", cookie)
    assert other.get("/").status_code == 200
    client.post("/logout")
    assert other.get("/").status_code == 302


def test_password_change_ends_other_sessions_and_revokes_tokens(app, client, db, api_token):
    raw_token = api_token("viewer")
    client.post("/login", data={"username": "viewer", "password": PASSWORD})
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"username": "viewer", "password": PASSWORD})
    assert elsewhere.get("/").status_code == 200
    headers = {"Authorization": f"Bearer {raw_token}"}
    assert client.get("/api/v1/organisations", headers=headers).status_code == 200
    page = client.get("/profile").get_data(as_text=True)
    assert "revokes all your API tokens" in page
    response = client.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "new_password": "new-pass-123",
            "confirm": "new-pass-123",
        },
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "API tokens revoked with the old password: 1." in text
    viewer = _user(db, "viewer")
    rows = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == viewer.id)).all()
    assert len(rows) == 2 and sum(r.revoked_dt is None for r in rows) == 1
    assert all(t.revoked_dt is not None for t in db.session.scalars(sa.select(ApiToken)))
    assert client.get("/").status_code == 200  # this session stays
    assert elsewhere.get("/").status_code == 302  # the other one ended
    assert elsewhere.get("/api/v1/organisations", headers=headers).status_code == 401


def test_an_admin_password_reset_ends_every_session_of_that_user(app, client, db, login):
    other = app.test_client()
    other.post("/login", data={"username": "viewer", "password": PASSWORD})
    login("admin")
    viewer = _user(db, "viewer")
    assert _edit(client, viewer, password="reset-pass-99", confirmed="1").status_code == 302
    assert other.get("/").status_code == 302
    assert _user(db, "viewer").check_password("reset-pass-99")


def test_a_session_unused_for_too_long_ends(app, client, db):
    from datetime import timedelta

    from leap_me.db import utcnow

    client.post("/login", data={"username": "viewer", "password": PASSWORD})
    row = db.session.scalar(sa.select(UserSession))
    row.last_seen_dt = utcnow() - timedelta(days=app.config["SESSION_IDLE_DAYS"] + 1)
    db.session.commit()
    assert client.get("/").status_code == 302


def test_last_seen_is_refreshed_but_not_on_every_request(client, db, count_queries):
    from datetime import timedelta

    from leap_me.db import utcnow

    client.post("/login", data={"username": "viewer", "password": PASSWORD})
    row = db.session.scalar(sa.select(UserSession))
    old = utcnow() - timedelta(hours=1)
    row.last_seen_dt = old
    db.session.commit()
    client.get("/")
    db.session.refresh(row)
    assert row.last_seen_dt > old + timedelta(minutes=59)
    with count_queries() as q:
        client.get("/")
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in q.statements)


# --- 13: throttling per address across usernames ------------------------------------


def test_twenty_usernames_from_one_address_get_throttled(app, client, db):
    limit = app.config["LOGIN_MAX_ADDRESS_FAILURES"]
    assert limit < 20
    codes = [
        client.post("/login", data={"username": f"guess{i}", "password": "x" * 8}).status_code
        for i in range(20)
    ]
    assert codes[:limit] == [401] * limit and codes[limit:] == [429] * (20 - limit)
    failures = db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(LoginAttempt.success.is_(False))
    )
    assert failures == limit  # the refused ones were not even tried
    # Even the right password waits now from this address...
    assert (
        client.post("/login", data={"username": "planner", "password": PASSWORD}).status_code == 429
    )
    # ...while another address is not affected.
    other = app.test_client()
    response = other.post(
        "/login",
        data={"username": "planner", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 302


def test_the_address_limit_is_shared_by_every_worker(app, db):
    from leap_me import create_app
    from tests.conftest import make_config

    limit = app.config["LOGIN_MAX_ADDRESS_FAILURES"]
    workers = [app.test_client()] + [
        create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"])).test_client()
        for _ in range(2)
    ]
    for i in range(limit):
        workers[i % 3].post("/login", data={"username": f"n{i}", "password": "x" * 8})
    assert workers[1].post("/login", data={"username": "z", "password": "y" * 8}).status_code == 429


def test_behind_a_trusted_proxy_the_clients_address_counts(database_url, _schema, db):
    """Behind nginx (LEAP_PROXY_COUNT=1) each client is throttled by its own address,
    not by the proxy's, so one guesser does not lock out a whole ministry."""
    from leap_me import create_app
    from tests.conftest import make_config

    app = create_app(make_config(database_url, PROXY_COUNT=1))
    client = app.test_client()
    limit = app.config["LOGIN_MAX_ADDRESS_FAILURES"]
    for i in range(limit):
        client.post(
            "/login",
            data={"username": f"g{i}", "password": "x" * 8},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
    refused = client.post(
        "/login",
        data={"username": "planner", "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert refused.status_code == 429
    ok = client.post(
        "/login",
        data={"username": "planner", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.4"},
    )
    assert ok.status_code == 302
    addresses = set(db.session.scalars(sa.select(LoginAttempt.remote_addr)))
    assert addresses == {"203.0.113.9", "198.51.100.4"}


def test_the_language_chosen_before_sign_in_is_kept(client, db):
    """The new session (session.clear() on sign-in) keeps the sign-in page's language."""
    client.post("/language", data={"lang": "km"})
    client.post("/login", data={"username": "viewer", "password": PASSWORD})
    assert 'lang="km"' in client.get("/").get_data(as_text=True)
