import sqlalchemy as sa

from leap_me.auth.models import User
from stakeholders.models import Organisation, Province
from tests.conftest import empty_all_tables


def _counts(db):
    return {
        m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Province, Organisation, User)
    }


def test_seed_twice_is_seed_once(runner, db):
    empty_all_tables()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    once = _counts(db)
    assert once == {"Province": 25, "Organisation": 22, "User": 6}
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0
    assert _counts(db) == once


def test_seed_if_empty_skips_a_database_with_data(runner):
    result = runner.invoke(args=["seed", "--if-empty"])
    assert "seed skipped" in result.output


def test_users_create_reads_the_password_from_stdin(runner, db):
    result = runner.invoke(
        args=["users", "create", "sr-reporter", "--role", "partner", "--org", "AHTJP-SRP"],
        input="a-long-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "sr-reporter"))
    assert user.organisation.code == "AHTJP-SRP" and user.check_password("a-long-password")


def test_users_create_explains_bad_input(runner):
    result = runner.invoke(
        args=["users", "create", "x", "--role", "partner"], input="a-long-password\n"
    )
    assert result.exit_code != 0 and "must belong to an organisation" in result.output
    result = runner.invoke(
        args=["users", "create", "y", "--role", "viewer", "--org", "NOPE"], input="long-enough\n"
    )
    assert "No organisation has the code NOPE" in result.output


def test_tokens_create_prints_the_token_last(runner, client):
    result = runner.invoke(args=["tokens", "create", "viewer"])
    assert result.exit_code == 0
    raw = result.output.strip().splitlines()[-1]
    response = client.get("/api/v1/organisations", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200


def test_demo_accounts_are_printed(runner):
    result = runner.invoke(args=["demo-accounts"])
    for role in ("admin", "planner", "partner", "reviewer", "viewer"):
        assert role in result.output
