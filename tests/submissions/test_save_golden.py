"""A grid save of every kind of cell (new, invalid kept as typed, warned, unchanged,
changed, cleared, a comment alone, an explanation, a row not owed, a ratio) gives the
same outcomes, stored rows, audit trail, findings and events as the implementation
before the one-pass save (tests/fixtures/golden_save.json)."""

from __future__ import annotations

from tests.fixtures import golden


def _outcomes(result) -> list:
    return [
        {
            "key": list(o.key),
            "status": o.status,
            "old": o.old,
            "new": o.new,
            "errors": [(e.code, e.text, e.field) for e in o.errors],
            "warnings": [(w.code, w.text, w.field) for w in o.warnings],
        }
        for o in result.cells
    ]


def test_a_mixed_grid_save_gives_what_it_gave_before(db, sub, cell, user):
    from indicators.services import submissions

    s = sub()
    partner = user("partner")
    first = [
        cell("AHTJP-01", value="10"),  # total ≠ parts
        cell("AHTJP-01", disagg="victim_type:other", value="3", comment=" typed "),
        cell("AHTJP-01", disagg="victim_type:labour_trafficking", value="-1"),  # invalid
        cell("AHTJP-01", disagg="victim_type:sexual_abuse", value="1,5"),  # ambiguous?
        cell("AHTJP-02", value="1 234"),
        cell("AHTJP-03", value="abc", explanation="we will check"),  # invalid, explained
        cell("AHTJP-04", comment="no data this quarter"),  # a comment alone
        cell("AHTJP-04", disagg="", value="4"),  # the same key twice: the first counts
        cell("LEAP-3.1", numerator="6", denominator="5"),  # ratio above one
        cell("LEAP-3.1", prov="KH-12", numerator="1", denominator="2"),  # not owed
        cell("AHTJP-09", value="០៧"),  # Khmer digits
        cell("AHTJP-01", prov="KH-17", disagg="victim_type:domestic_violence"),  # empty
    ]
    one = submissions.save(db.session, s, first, user=partner, expected_version=None)
    db.session.commit()
    second = [
        cell("AHTJP-01", value="3"),  # changed: the warning goes
        cell("AHTJP-01", disagg="victim_type:other", value="3"),  # unchanged
        cell("AHTJP-01", disagg="victim_type:labour_trafficking", value="2"),  # fixed
        cell("AHTJP-02", value=""),  # cleared
        cell("AHTJP-03", value="abc"),  # still invalid
        cell("AHTJP-04", comment=""),  # the comment cleared: the row goes
        cell("LEAP-3.1", numerator="6", denominator="5", explanation="two courts merged"),
        cell("AHTJP-09", value="7.000"),  # the same number
    ]
    dry = submissions.save(db.session, s, second, user=partner, expected_version=None, dry_run=True)
    two = submissions.save(db.session, s, second, user=partner, expected_version=None)
    db.session.commit()
    got = {
        "first": {"counts": one.counts, "cells": _outcomes(one)},
        "dry": {"counts": dry.counts, "cells": _outcomes(dry)},
        "second": {"counts": two.counts, "cells": _outcomes(two)},
        **golden.snapshot(db),
    }
    assert got["first"]["counts"]["new"] >= 5
    golden.compare("save", got)
