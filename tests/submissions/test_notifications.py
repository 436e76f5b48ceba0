"""Notifications in the app and by email (a real SMTP server on loopback), in the
recipient's language; deadline reminders are idempotent."""

from __future__ import annotations

import socket
from datetime import date
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from indicators.models import Notification
from indicators.services import notifications as N
from indicators.services import submissions as S


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(app):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield inbox
    controller.stop()
    app.config.update(MAIL_SERVER=None)


def _set_email(db, user, email, locale=None):
    u = user
    u.email = email
    u.locale = locale
    db.session.commit()


def test_return_emails_the_partner_in_khmer(db, sub, cell, user, smtp):
    _set_email(db, user("partner"), "srp@example.org", "km")
    s = sub()
    S.save(
        db.session, s, [cell("AHTJP-01", value="12")], user=user("partner"), expected_version=None
    )
    S.submit(db.session, s, user=user("partner"))
    S.return_submission(db.session, s, user=user("reviewer"), reason="Check the register")
    db.session.commit()
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == "srp@example.org"
    body = msg.get_content()
    assert "Check the register" in body and "AHTJP-SRP 2026Q4" in body
    assert any("\u1780" <= ch <= "\u17ff" for ch in body + str(msg["Subject"]))
    note = db.session.scalar(sa.select(Notification))
    assert note.kind == "returned" and note.emailed_at is not None and note.read_at is None
    assert N.unread_count(db.session, user("partner")) == 1
    rows, total = N.list_for(db.session, user("partner"))
    assert total == 1 and rows[0].id == note.id
    N.mark_read(db.session, user("partner"))
    db.session.commit()
    assert N.unread_count(db.session, user("partner")) == 0


def test_approval_email_in_english(db, sub, cell, user, smtp):
    _set_email(db, user("partner"), "srp@example.org", "en")
    s = sub()
    S.save(
        db.session, s, [cell("AHTJP-01", value="12")], user=user("partner"), expected_version=None
    )
    S.submit(db.session, s, user=user("partner"))
    S.approve(db.session, s, user=user("reviewer"))
    db.session.commit()
    assert [m.get_content().splitlines()[0] for m in smtp.messages] == [
        "Submission AHTJP-SRP 2026Q4 was approved."
    ]
    assert smtp.messages[0]["Subject"] == "LEAP M&E: Submission approved"


def test_comment_notifies_the_other_side(db, sub, cell, user):
    s = sub()
    S.save(
        db.session, s, [cell("AHTJP-01", value="12")], user=user("partner"), expected_version=None
    )
    db.session.commit()
    value = s.values[0]
    S.add_comment(db.session, value, user=user("reviewer"), body="Which register?")
    db.session.commit()
    kinds = db.session.execute(sa.select(Notification.user_id, Notification.kind)).all()
    assert kinds == [(user("partner").id, "commented")]


def test_deadline_reminders_are_sent_once(db, seeded, user, period, smtp, runner):
    _set_email(db, user("partner"), "srp@example.org", "en")
    q4 = period("2026Q4")
    q4.deadline = date(2027, 1, 15)
    period("202610", "closed")  # only the quarter is open in this test
    period("202611", "closed")
    db.session.commit()
    assert N.send_due(db.session, date(2026, 12, 1)) == 0  # 45 days to go
    first = N.send_due(db.session, date(2027, 1, 10))
    db.session.commit()
    assert first >= 1
    assert N.send_due(db.session, date(2027, 1, 11)) == 0  # the same reminder: nothing
    sent = len(smtp.messages)
    assert sent >= 1 and "2027-01-15" in smtp.messages[0].get_content()
    # through the command, twice: once for "passed", then nothing
    r1 = runner.invoke(args=["notify", "due", "--today", "2027-01-20"])
    r2 = runner.invoke(args=["notify", "due", "--today", "2027-01-21"])
    assert r1.exit_code == 0 and r2.exit_code == 0, r1.output
    assert r2.output.startswith("0 reminder")
    assert not r1.output.startswith("0 ")
    kinds = db.session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == user("partner").id)
    ).all()
    assert sorted(kinds) == ["deadline_passed", "deadline_soon"]
    assert len(smtp.messages) == sent + 1


def test_no_mail_server_no_email(db, sub, cell, user):
    _set_email(db, user("partner"), "srp@example.org", "en")
    s = sub()
    S.save(
        db.session, s, [cell("AHTJP-01", value="12")], user=user("partner"), expected_version=None
    )
    S.submit(db.session, s, user=user("partner"))
    S.approve(db.session, s, user=user("reviewer"))
    db.session.commit()
    note = db.session.scalar(sa.select(Notification))
    assert note.emailed_at is None
