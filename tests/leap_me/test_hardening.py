"""What a careful reviewer tried to break: sessions, lock-outs, backups, odd input."""

import gzip
import os
import stat

import pytest
import sqlalchemy as sa

from leap_me.auth.models import User
from leap_me.backup import RestoreError, restore, write_backup
from stakeholders.models import Organisation
from tests.conftest import PASSWORD, empty_all_tables


def test_changing_the_password_signs_out_other_sessions(app, client, login):
    other = app.test_client()
    other.post("/login", data={"username": "viewer", "password": PASSWORD})
    assert other.get("/").status_code == 200
    login("viewer")
    client.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "new_password": "brand-new-99",
            "confirm": "brand-new-99",
        },
    )
    assert client.get("/").status_code == 200  # this session stays signed in
    assert other.get("/").status_code == 302  # the other one is sent to sign in


def test_lockout_is_per_address_so_strangers_cannot_lock_a_colleague_out(app):
    attacker = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        attacker.post(
            "/login",
            data={"username": "admin", "password": "guess-1234"},
            environ_base={"REMOTE_ADDR": "10.9.9.9"},
        )
    locked = attacker.post(
        "/login",
        data={"username": "admin", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert locked.status_code == 429
    colleague = app.test_client().post(
        "/login",
        data={"username": "admin", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )
    assert colleague.status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(app, client):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        client.post("/login", data={"username": "planner", "password": "wrong-one-1"})
    assert (
        client.post("/login", data={"username": "planner", "password": PASSWORD}).status_code == 302
    )
    client.post("/logout")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        client.post("/login", data={"username": "planner", "password": "wrong-one-1"})
    assert (
        client.post("/login", data={"username": "planner", "password": PASSWORD}).status_code == 302
    )


def test_foreign_keys_are_enforced_on_sqlite_too(client, login, db):
    login("admin")
    srp = db.session.scalar(sa.select(Organisation).where(Organisation.code == "AHTJP-SRP"))
    db.session.delete(srp)  # the partner user belongs to it
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_restore_handles_a_parent_with_a_higher_id(db, tmp_path):
    low = Organisation(code="AAA", name_en="A", name_km="ក", type="ngo")
    db.session.add(low)
    db.session.commit()
    high = Organisation(code="BBB", name_en="B", name_km="ខ", type="ngo")
    db.session.add(high)
    db.session.commit()
    low.parent_id = high.id  # a reference pointing forward in id order
    db.session.commit()
    path = tmp_path / "b.gz"
    with path.open("wb") as fh:
        write_backup(db.session, fh)
    empty_all_tables()
    restore(db.session, path)
    db.session.commit()
    again = db.session.scalar(sa.select(Organisation).where(Organisation.code == "AAA"))
    assert again.parent.code == "BBB"


def test_timestamps_are_aware_utc_and_survive_a_backup(db, tmp_path):
    user = db.session.scalar(sa.select(User).where(User.username == "admin"))
    created = user.created_dt
    assert created.tzinfo is not None and created.utcoffset().total_seconds() == 0
    path = tmp_path / "b.gz"
    with path.open("wb") as fh:
        write_backup(db.session, fh)
    with gzip.open(path, "rt") as fh:
        assert "+00:00" in fh.read()
    empty_all_tables()
    restore(db.session, path)
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(sa.select(User).where(User.username == "admin")).created_dt == created


def test_a_truncated_backup_is_refused_with_a_message(db, tmp_path):
    path = tmp_path / "b.gz"
    with path.open("wb") as fh:
        write_backup(db.session, fh)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    empty_all_tables()
    with pytest.raises(RestoreError):
        restore(db.session, path)
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 0


def test_backup_file_is_private(runner, tmp_path):
    path = tmp_path / "private.gz"
    runner.invoke(args=["backup", "-o", str(path)])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_nul_characters_are_refused_cleanly(client, login):
    login("viewer")
    response = client.get("/organisations?q=a%00b")
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    response = client.post("/login", data={"username": "ad\x00min", "password": "x"})
    assert response.status_code == 400


def test_trailing_newline_in_a_code_is_trimmed_not_a_crash(client, login, db):
    login("planner")
    response = client.post(
        "/organisations/new",
        data={
            "code": "MOI\n",
            "name_en": "Dup",
            "name_km": "ក",
            "type": "ngo",
            "parent_id": 0,
            "is_active": "y",
        },
    )
    assert response.status_code == 400
    assert "Another organisation already has the code MOI." in response.get_data(as_text=True)


def test_contact_changes_show_in_the_organisation_history(client, login):
    login("planner")
    client.post("/organisations/IOM/contacts", data={"name": "Chan Sopheap", "phone": "012 345"})
    page = client.get("/organisations/IOM/history").get_data(as_text=True)
    assert "Chan Sopheap" in page


def test_partner_of_an_inactive_organisation_can_still_be_edited(client, login, db):
    srp = db.session.scalar(sa.select(Organisation).where(Organisation.code == "AHTJP-SRP"))
    srp.is_active = False
    partner = db.session.scalar(sa.select(User).where(User.username == "partner"))
    db.session.commit()
    login("admin")
    response = client.post(
        f"/admin/users/{partner.id}/edit",
        data={
            "username": "partner",
            "role": "partner",
            "organisation_id": srp.id,
            "confirmed": "1",
        },
    )
    assert response.status_code == 302
    assert db.session.get(User, partner.id).is_enabled is False  # unticked = disabled


@pytest.mark.parametrize(
    "url",
    [
        "/budget/scenarios/99999999999999999999999",
        "/indicators/AHTJP-01/history?page=99999999999999999999999",
    ],
)
def test_huge_numbers_in_the_address_are_a_clear_400_or_404(client, login, url):
    login("planner")
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert "Traceback" not in response.get_data(as_text=True)


def test_huge_page_number_in_the_api_is_a_json_400(client, api_token):
    headers = {"Authorization": f"Bearer {api_token('viewer')}"}
    response = client.get("/api/v1/periods?page=99999999999999999999999", headers=headers)
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"


def test_huge_amounts_and_ratios_are_refused_not_crashed():
    from budget import calc
    from indicators.models import IndicatorVersion
    from indicators.services.common import ValidationError
    from indicators.services.values import clean_value

    with pytest.raises(ValueError, match="exponent"):
        calc.parse_amount("1e30", "USD")
    with pytest.raises(ValueError, match="at most 14 digits before the decimal point"):
        calc.parse_amount("1" + "0" * 30, "USD")
    ratio = IndicatorVersion(measure="ratio", name_en="r", frequency="yearly")
    with pytest.raises(ValidationError):
        clean_value(ratio, numerator="99999999999999", denominator="1e-20")
