"""Data-quality findings: the warnings of METHOD §4 kept as records with a state.

``check`` computes the warnings of one submission (set-based: a constant number of
queries); ``refresh`` stores them as :class:`Finding` rows (insert the new ones, update
the known ones, mark the ones that stopped firing inactive) in a few statements.
A reviewer resolves or dismisses a finding with a reason; the partner's explanation is
stored on the value and copied onto its findings (open → explained).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from indicators.models import (
    CrossCheckRule,
    DataValue,
    Finding,
    FindingKind,
    FindingState,
    Indicator,
    Measure,
    ReportingPeriod,
    RuleOp,
    Submission,
    Target,
    ValueStatus,
)
from indicators.services import validation
from indicators.services.common import ValidationError, parse_decimal, plain
from indicators.services.owed import OwedRow, RowKey
from indicators.services.validation import Message
from leap_me.db import utcnow

#: Warnings that are value-level findings (kind == message code).
VALUE_KINDS = {"outlier", "jump", "total_parts", "red", "exceeded", "numerator_gt_denominator"}


@dataclass
class Checked:
    """The warnings of a submission, by row key, and the cross-checks found broken."""

    warnings: dict[RowKey, list[Message]] = field(default_factory=lambda: defaultdict(list))
    #: (rule, province_id, left, right, contributing row keys of this submission)
    crosschecks: list[tuple[CrossCheckRule, int | None, Decimal, Decimal, list]] = field(
        default_factory=list
    )
    #: (rule id, province id) this submission's values take part in: only those of its
    #: cross-check findings may be cleared by it.
    evaluated: set[tuple[int, int | None]] = field(default_factory=set)


def _series_history(
    session: so.Session, submission: Submission, indicator_ids: list[int]
) -> dict[RowKey, list[Decimal]]:
    """The same series' values in earlier periods of the same frequency, oldest first."""
    period = submission.period
    if not indicator_ids:
        return {}
    dv = DataValue.__table__
    rp = ReportingPeriod.__table__
    rows = session.execute(
        sa.select(dv.c.indicator_id, dv.c.province_id, dv.c.disagg_key, dv.c.value)
        .join(rp, rp.c.id == dv.c.period_id)
        .where(
            dv.c.organisation_id == submission.organisation_id,
            dv.c.indicator_id.in_(indicator_ids),
            rp.c.frequency == period.frequency,
            rp.c.start_date < period.start_date,
            dv.c.value.is_not(None),
        )
        .order_by(rp.c.start_date)
    )
    out: dict[RowKey, list[Decimal]] = defaultdict(list)
    for ind, prov, key, value in rows:
        out[(ind, prov, key)].append(value)
    return {k: v[-validation.MAD_PERIODS :] for k, v in out.items()}


def previous_values(
    session: so.Session, submission: Submission, indicator_ids: list[int]
) -> dict[RowKey, DataValue]:
    """The value of each series in the latest earlier period that has one (one query)."""
    period = submission.period
    if not indicator_ids:
        return {}
    rows = session.execute(
        sa.select(DataValue, ReportingPeriod.start_date)
        .join(ReportingPeriod, ReportingPeriod.id == DataValue.period_id)
        .where(
            DataValue.organisation_id == submission.organisation_id,
            DataValue.indicator_id.in_(indicator_ids),
            ReportingPeriod.frequency == period.frequency,
            ReportingPeriod.start_date < period.start_date,
            DataValue.error.is_(None),
        )
        .order_by(ReportingPeriod.start_date)
    )
    out: dict[RowKey, DataValue] = {}
    for value, _start in rows:
        out[(value.indicator_id, value.province_id, value.disagg_key)] = value
    return out


def period_targets(
    session: so.Session, period: ReportingPeriod, indicator_ids: list[int]
) -> dict[tuple[int, int | None], Decimal]:
    if not indicator_ids:
        return {}
    rows = session.execute(
        sa.select(Target.indicator_id, Target.province_id, Target.value).where(
            Target.indicator_id.in_(indicator_ids), Target.period_code == period.code
        )
    )
    return {(i, p): v for i, p, v in rows}


def _term_matches(term: dict, key: str) -> bool:
    option = term.get("option")
    if not option:
        return key == ""
    return option in key.split("|")


def check(
    session: so.Session,
    submission: Submission,
    owed: dict[RowKey, OwedRow],
    values: dict[RowKey, dict[str, Any]],
) -> Checked:
    """Warnings for the submission's values (``values``: row key → stored fields with at
    least value, numerator, denominator, error)."""
    out = Checked()
    indicator_ids = sorted({k[0] for k in owed})
    history = _series_history(session, submission, indicator_ids)
    targets = period_targets(session, submission.period, indicator_ids)
    valid = {k: v for k, v in values.items() if v.get("error") is None and k in owed}

    # what each check reads of a definition, read once per version, not once per value
    specs: dict[Any, tuple] = {}

    def spec(version) -> tuple:
        got = specs.get(version)
        if got is None:
            got = specs[version] = (
                version.measure,
                version.has_fraction,
                {
                    "baseline": version.baseline_value if version.agg_time != "sum" else None,
                    "direction": version.direction,
                    "tolerance": version.tolerance,
                    "green": version.threshold_green,
                    "amber": version.threshold_amber,
                    "exceeded": version.threshold_exceeded,
                },
            )
        return got

    # totals against parts
    parts: dict[tuple[int, int | None], list[Decimal | None]] = defaultdict(list)
    for key, fields in valid.items():
        if key[2]:
            fraction = spec(owed[key].version)[1]
            parts[(key[0], key[1])].append(
                fields.get("numerator") if fraction else fields.get("value")
            )
    for key, fields in valid.items():
        row = owed[key]
        measure, fraction, target_args = spec(row.version)
        if measure == Measure.TEXT:
            continue
        warn: list[Message] = []
        if key[2] == "":
            total = fields.get("numerator") if fraction else fields.get("value")
            msg = validation.total_vs_parts(total, parts.get(key[:2], []))
            if msg:
                warn.append(msg)
        if measure == Measure.RATIO:
            msg = validation.ratio_above_one(fields.get("numerator"), fields.get("denominator"))
            if msg:
                warn.append(msg)
        value = fields.get("value")
        if measure != Measure.YESNO:
            series = history.get(key)
            if series:  # no history: neither an outlier nor a jump
                msg = validation.outlier(value, series)
                if msg:
                    warn.append(msg)
                msg = validation.jump(value, series[-1])
                if msg:
                    warn.append(msg)
        if key[2] == "":
            target = targets.get((key[0], key[1]))
            if target is not None:  # no target: nothing to be red or exceeded against
                msg = validation.against_target(value, target, **target_args)
                if msg:
                    warn.append(msg)
        if warn:
            out.warnings[key].extend(warn)
    _check_rules(session, submission, owed, valid, out)
    return out


def _total_part(row: OwedRow, fields: dict) -> Decimal | None:
    if row.version.has_fraction:
        return fields.get("numerator")
    return fields.get("value")


def rules_for(session: so.Session, codes: set[str]) -> list[CrossCheckRule]:
    rules = session.scalars(
        sa.select(CrossCheckRule).where(CrossCheckRule.active).order_by(CrossCheckRule.code)
    )
    return [
        r
        for r in rules
        if {t.get("indicator") for t in (r.left_terms or []) + (r.right_terms or [])} & codes
    ]


def _side_sums(
    session: so.Session,
    period: ReportingPeriod,
    rule: CrossCheckRule,
    own_org: int | None,
    own_values: dict[RowKey, dict] | None,
    by_code: dict[str, int],
) -> tuple[dict, dict, dict]:
    """Per province: left sum, right sum, and this organisation's contributing keys.

    Other organisations count with their submitted or approved values only (a partner
    never sees another organisation's drafts); the organisation checking counts with
    what it has typed."""
    terms = {"left": rule.left_terms or [], "right": rule.right_terms or []}
    ids = {
        by_code[t["indicator"]]
        for side in terms.values()
        for t in side
        if t["indicator"] in by_code
    }
    if not ids:
        return {}, {}, {}
    dv = DataValue.__table__
    stmt = sa.select(
        dv.c.indicator_id, dv.c.province_id, dv.c.disagg_key, dv.c.organisation_id, dv.c.value
    ).where(
        dv.c.period_id == period.id,
        dv.c.indicator_id.in_(ids),
        dv.c.error.is_(None),
        dv.c.value.is_not(None),
    )
    if own_org is not None:
        stmt = stmt.where(
            dv.c.organisation_id != own_org,
            dv.c.status.in_([ValueStatus.SUBMITTED.value, ValueStatus.APPROVED.value]),
        )
    rows = list(session.execute(stmt))
    if own_values is not None:
        rows += [
            (k[0], k[1], k[2], own_org, v.get("value"))
            for k, v in own_values.items()
            if k[0] in ids and v.get("value") is not None
        ]
    sums: dict[str, dict] = {"left": defaultdict(Decimal), "right": defaultdict(Decimal)}
    seen: dict[str, set] = {"left": set(), "right": set()}
    mine: dict[int | None, list] = defaultdict(list)
    code_of = {v: k for k, v in by_code.items()}
    for ind, prov, key, org, value in rows:
        for side, side_terms in terms.items():
            for term in side_terms:
                if term["indicator"] == code_of.get(ind) and _term_matches(term, key):
                    sums[side][prov] += value
                    seen[side].add(prov)
                    if own_org is not None and org == own_org:
                        mine[prov].append((ind, prov, key))
    left = {p: sums["left"][p] for p in seen["left"]}
    right = {p: sums["right"][p] for p in seen["right"]}
    return left, right, mine


def owed_codes(owed: dict[RowKey, OwedRow]) -> dict[str, int]:
    """Indicator code → id of the owed rows (read once per indicator, not once per row)."""
    indicators: dict[int, Any] = {}
    for key, row in owed.items():
        if key[0] not in indicators:
            indicators[key[0]] = row.indicator
    return {ind.code: ind_id for ind_id, ind in indicators.items()}


def _check_rules(session, submission, owed, valid, out: Checked) -> None:
    codes = owed_codes(owed)
    rules = rules_for(session, set(codes))
    if not rules:
        return
    all_codes = _codes(session, rules)
    for rule in rules:
        left, right, mine = _side_sums(
            session, submission.period, rule, submission.organisation_id, valid, all_codes
        )
        for prov in set(left) & set(right):
            if not mine.get(prov):
                continue  # a province this submission takes no part in
            out.evaluated.add((rule.id, prov))
            if not validation.crosscheck_broken(
                left[prov], rule.op, right[prov], rule.tolerance_pct
            ):
                continue
            keys = mine.get(prov, [])
            out.crosschecks.append((rule, prov, left[prov], right[prov], keys))
            msg = validation.crosscheck_message(
                rule_name(rule), left[prov], rule.op, right[prov], rule.tolerance_pct
            )
            msg.detail["rule"] = rule.code
            for key in keys:
                if key in owed and not any(
                    m.code == "crosscheck" and m.detail.get("rule") == rule.code
                    for m in out.warnings[key]
                ):
                    out.warnings[key].append(msg)


def _codes(session: so.Session, rules: list[CrossCheckRule]) -> dict[str, int]:
    wanted = {t["indicator"] for r in rules for t in (r.left_terms or []) + (r.right_terms or [])}
    return dict(
        session.execute(
            sa.select(Indicator.code, Indicator.id).where(Indicator.code.in_(wanted))
        ).all()
    )


def rule_name(rule: CrossCheckRule) -> str:
    from leap_me.i18n import localized

    return localized(rule, "name") or rule.code


# --- findings ---------------------------------------------------------------------


def _value_key(kind: str, submission: Submission, key: RowKey) -> str:
    ind, prov, disagg = key
    return f"{kind}|{submission.organisation_id}|{submission.period_id}|{ind}|{prov or 0}|{disagg}"


def _rule_key(rule: CrossCheckRule, period_id: int, prov: int | None) -> str:
    return _rule_key_ids(rule.id, period_id, prov)


def _rule_key_ids(rule_id: int, period_id: int, prov: int | None) -> str:
    return f"crosscheck|{rule_id}|{period_id}|{prov or 0}"


def refresh(
    session: so.Session,
    submission: Submission,
    owed: dict[RowKey, OwedRow] | None = None,
    checked: Checked | None = None,
    *,
    stored: dict[RowKey, dict] | None = None,
) -> Checked:
    """Store the submission's warnings as findings, in a few statements.

    ``stored`` (row key → the value's fields with its id), when the caller has just
    written the values and holds them, saves reading them back."""
    from indicators.services.owed import owed_index, owed_rows

    if owed is None:
        owed = owed_index(owed_rows(session, submission.organisation, submission.period))
    if stored is None:
        stored = _stored_for_refresh(session, submission)
    if checked is None:
        checked = check(session, submission, owed, stored)
    return _store_findings(session, submission, owed, checked, stored)


def _stored_for_refresh(session: so.Session, submission: Submission) -> dict[RowKey, dict]:
    dv = DataValue.__table__
    return {
        (r.indicator_id, r.province_id, r.disagg_key): r._asdict()
        for r in session.execute(
            sa.select(
                dv.c.id,
                dv.c.indicator_id,
                dv.c.province_id,
                dv.c.disagg_key,
                dv.c.value,
                dv.c.numerator,
                dv.c.denominator,
                dv.c.error,
                dv.c.explanation,
            ).where(
                dv.c.organisation_id == submission.organisation_id,
                dv.c.period_id == submission.period_id,
            )
        )
    }


def _value_finding(
    kind: str, submission: Submission, key: RowKey, value_id: int, detail: Any, explanation
) -> dict:
    """The columns of one value's finding."""
    return {
        "kind": kind,
        "indicator_id": key[0],
        "period_id": submission.period_id,
        "organisation_id": submission.organisation_id,
        "province_id": key[1],
        "disagg_key": key[2],
        "value_id": value_id,
        "rule_id": None,
        "submission_id": submission.id,
        "detail": detail,
        "explanation": explanation,
    }


def _store_findings(session, submission, owed, checked, stored) -> Checked:
    now = utcnow()
    wanted: dict[str, dict] = {}
    for key, messages in checked.warnings.items():
        row = stored.get(key)
        if row is None:
            continue
        kinds = sorted({m.code for m in messages if m.code in VALUE_KINDS})
        if kinds and not row["explanation"]:
            # the flag the partner must clear before submitting: one per value, gone as
            # soon as the value is explained or its warnings stop firing
            kind = FindingKind.EXPLANATION_MISSING.value
            wanted[_value_key(kind, submission, key)] = _value_finding(
                kind, submission, key, row["id"], {"warnings": kinds}, None
            )
        for msg in messages:
            if msg.code in VALUE_KINDS:
                wanted[_value_key(msg.code, submission, key)] = _value_finding(
                    msg.code, submission, key, row["id"], msg.detail, row["explanation"] or None
                )
    for rule, prov, left, right, keys in checked.crosschecks:
        explanations = [
            stored[k]["explanation"] for k in keys if k in stored and stored[k]["explanation"]
        ]
        ind_id = owed[keys[0]].indicator.id if keys and keys[0] in owed else None
        wanted[_rule_key(rule, submission.period_id, prov)] = {
            "kind": FindingKind.CROSSCHECK.value,
            "indicator_id": ind_id,
            "period_id": submission.period_id,
            "organisation_id": None,
            "province_id": prov,
            "disagg_key": "",
            "value_id": None,
            "rule_id": rule.id,
            "submission_id": None,
            "detail": {
                "rule": rule.code,
                "left": plain(left),
                "right": plain(right),
                "op": rule.op,
                "tolerance_pct": plain(rule.tolerance_pct),
                "values": [stored[k]["id"] for k in keys if k in stored],
            },
            "explanation": " / ".join(explanations) or None,
        }
    ft = Finding.__table__
    rule_ids = [r.id for r in rules_for(session, set(owed_codes(owed)))]
    existing = {
        r.key: r
        for r in session.execute(
            sa.select(
                ft.c.id, ft.c.key, ft.c.state, ft.c.active, ft.c.explanation, ft.c.detail
            ).where(
                sa.or_(
                    ft.c.submission_id == submission.id,
                    sa.and_(
                        ft.c.rule_id.in_(rule_ids or [0]),
                        ft.c.period_id == submission.period_id,
                    ),
                )
            )
        )
    }
    inserts, updates = [], []
    for fkey, data in wanted.items():
        state = FindingState.EXPLAINED.value if data["explanation"] else FindingState.OPEN.value
        old = existing.get(fkey)
        if old is None:
            inserts.append(
                {
                    **data,
                    "key": fkey,
                    "state": state,
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            continue
        new_state = old.state
        if old.state in (FindingState.OPEN, FindingState.EXPLAINED):
            new_state = state
        if (
            (not old.active)
            or new_state != old.state
            or old.explanation != data["explanation"]
            or old.detail != data["detail"]
        ):
            updates.append(
                {
                    "b_id": old.id,
                    "state": new_state,
                    "active": True,
                    "explanation": data["explanation"],
                    "detail": data["detail"],
                    "value_id": data["value_id"],
                    "updated_at": now,
                }
            )
    evaluated_keys = {_rule_key_ids(rid, submission.period_id, p) for rid, p in checked.evaluated}
    gone = [
        r.id
        for k, r in existing.items()
        if k not in wanted and r.active and (not k.startswith("crosscheck|") or k in evaluated_keys)
    ]
    # a cross-check of another province is not this submission's to clear
    if inserts:
        session.execute(sa.insert(ft), inserts)
    if updates:
        session.execute(
            sa.update(ft)
            .where(ft.c.id == sa.bindparam("b_id"))
            .values(
                state=sa.bindparam("state"),
                active=sa.bindparam("active"),
                explanation=sa.bindparam("explanation"),
                detail=sa.bindparam("detail"),
                value_id=sa.bindparam("value_id"),
                updated_at=sa.bindparam("updated_at"),
            ),
            updates,
            execution_options={"synchronize_session": False},
        )
    if gone:
        session.execute(
            sa.update(ft).where(ft.c.id.in_(gone)).values(active=False, updated_at=now),
            execution_options={"synchronize_session": False},
        )
    return checked


def _reason_required(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError(_("Give a reason."), "reason")
    return text[:4000]


def explain(session: so.Session, finding: Finding, *, user, text: str) -> Finding:
    """The partner's explanation of a finding: stored with the value, copied here."""
    text = _reason_required(text)
    if finding.state in (FindingState.RESOLVED, FindingState.DISMISSED):
        raise ValidationError(_("This finding is already closed."), "state")
    if finding.value is not None:
        finding.value.explanation = text
    finding.explanation = text
    finding.state = FindingState.EXPLAINED.value
    session.flush()
    return finding


def _close(session, finding: Finding, state: str, user, reason: str) -> Finding:
    reason = _reason_required(reason)
    if finding.state in (FindingState.RESOLVED, FindingState.DISMISSED):
        raise ValidationError(_("This finding is already closed."), "state")
    from leap_me import audit

    with audit.reason(reason):
        finding.state = state
        finding.decided_by_id = user.id if user is not None else None
        finding.decided_reason = reason
        session.flush()
    return finding


def resolve(session: so.Session, finding: Finding, *, user, reason: str) -> Finding:
    return _close(session, finding, FindingState.RESOLVED.value, user, reason)


def dismiss(session: so.Session, finding: Finding, *, user, reason: str) -> Finding:
    return _close(session, finding, FindingState.DISMISSED.value, user, reason)


def reopen_finding(session: so.Session, finding: Finding, *, user, reason: str) -> Finding:
    reason = _reason_required(reason)
    from leap_me import audit

    with audit.reason(reason):
        finding.state = (
            FindingState.EXPLAINED.value if finding.explanation else FindingState.OPEN.value
        )
        finding.decided_by_id = None
        finding.decided_reason = None
        session.flush()
    return finding


FILTERS = ("period", "organisation", "province", "indicator", "kind", "state")


def findings_query(filters: dict[str, Any] | None = None, *, user=None) -> sa.Select:
    """Active findings, filtered by ids/codes: period (id), organisation (id), province
    (id), indicator (id), kind, state. A partner sees its own organisation's findings
    and the cross-checks its values take part in."""
    filters = filters or {}
    stmt = sa.select(Finding).where(Finding.active)
    column = {
        "period": Finding.period_id,
        "organisation": Finding.organisation_id,
        "province": Finding.province_id,
        "indicator": Finding.indicator_id,
        "kind": Finding.kind,
        "state": Finding.state,
    }
    for name, col in column.items():
        value = filters.get(name)
        if value not in (None, "", []):
            stmt = stmt.where(col.in_(value) if isinstance(value, list | tuple) else col == value)
    if user is not None and getattr(user, "role", None) == "partner":
        stmt = stmt.where(Finding.organisation_id == user.organisation_id)
    return stmt


def list_findings(
    session: so.Session,
    filters: dict[str, Any] | None = None,
    page: int = 1,
    per_page: int = 50,
    *,
    user=None,
) -> tuple[list[Finding], int]:
    stmt = findings_query(filters, user=user)
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = list(
        session.scalars(
            stmt.options(
                so.joinedload(Finding.indicator),
                so.joinedload(Finding.period),
                so.joinedload(Finding.organisation),
                so.joinedload(Finding.province),
                so.joinedload(Finding.rule),
            )
            .order_by(Finding.created_at.desc(), Finding.id.desc())
            .limit(per_page)
            .offset((max(page, 1) - 1) * per_page)
        )
    )
    return rows, total


def counts(session: so.Session, filters: dict[str, Any] | None = None, *, user=None) -> dict:
    """{(kind, state): n} plus totals by kind and by state."""
    sub = findings_query(filters, user=user).subquery()
    rows = session.execute(
        sa.select(sub.c.kind, sub.c.state, sa.func.count()).group_by(sub.c.kind, sub.c.state)
    ).all()
    by_kind: dict[str, int] = defaultdict(int)
    by_state: dict[str, int] = defaultdict(int)
    cells = {}
    for kind, state, n in rows:
        cells[(kind, state)] = n
        by_kind[kind] += n
        by_state[state] += n
    return {
        "cells": cells,
        "by_kind": dict(by_kind),
        "by_state": dict(by_state),
        "total": sum(by_kind.values()),
    }


def trend(session: so.Session, filters: dict[str, Any] | None = None, *, user=None) -> list[dict]:
    """Findings per period (in period order) and kind."""
    sub = findings_query(
        {k: v for k, v in (filters or {}).items() if k != "period"}, user=user
    ).subquery()
    rows = session.execute(
        sa.select(ReportingPeriod.code, ReportingPeriod.start_date, sub.c.kind, sa.func.count())
        .join(ReportingPeriod, ReportingPeriod.id == sub.c.period_id)
        .group_by(ReportingPeriod.code, ReportingPeriod.start_date, sub.c.kind)
        .order_by(ReportingPeriod.start_date, ReportingPeriod.code)
    ).all()
    out: dict[str, dict] = {}
    for code, _start, kind, n in rows:
        entry = out.setdefault(code, {"period": code, "total": 0, "by_kind": {}})
        entry["by_kind"][kind] = n
        entry["total"] += n
    return list(out.values())


def finding_text(finding: Finding) -> str:
    """The finding's message in the current language, from its stored numbers."""
    d = finding.detail or {}

    def num(name):
        raw = d.get(name)
        return parse_decimal(raw) if raw not in (None, "") else None

    kind = finding.kind
    if kind == "total_parts":
        msg = (
            validation.total_vs_parts(num("total"), [num("sum")])
            if num("total") is not None
            else None
        )
    elif kind == "outlier":
        return _(
            "%(value)s is outside the usual range of this series (%(low)s to %(high)s).",
            value=d.get("value", ""),
            low=plain(validation.quantize(num("low"), 2)) if num("low") is not None else "",
            high=plain(validation.quantize(num("high"), 2)) if num("high") is not None else "",
        )
    elif kind == "jump":
        msg = validation.jump(num("value"), num("previous"))
    elif kind in ("red", "exceeded"):
        return FindingKind(kind).title + (
            f": {d.get('value')} / {d.get('target')}" if d.get("target") else ""
        )
    elif kind == "numerator_gt_denominator":
        msg = validation.ratio_above_one(num("numerator"), num("denominator"))
    elif kind == "crosscheck":
        name = rule_name(finding.rule) if finding.rule else d.get("rule", "")
        left, right = num("left"), num("right")
        if left is None or right is None:
            return FindingKind(kind).title
        msg = validation.crosscheck_message(
            name, left, d.get("op", "eq"), right, num("tolerance_pct")
        )
    elif kind == "explanation_missing":
        names = [FindingKind(k).title for k in d.get("warnings", []) if k in VALUE_KINDS]
        if not names:
            return FindingKind(kind).title
        return _(
            "This value has a warning (%(warnings)s) and no explanation yet: the partner "
            "must explain it before submitting.",
            warnings=", ".join(str(n) for n in names),
        )
    else:
        return FindingKind(kind).title
    return msg.text if msg else FindingKind(kind).title


# --- cross-check rules --------------------------------------------------------------


def _clean_terms(session: so.Session, raw: Any, side: str) -> list[dict]:
    """Terms as given ({"indicator": CODE, "option": "sex:F" | None}) or as text
    "AHTJP-04 + MOJ-01[sex:F]"; each indicator must exist and the option be one of its."""
    from indicators.services.values import check_disagg

    if isinstance(raw, str):
        items = []
        for chunk in raw.replace("\n", "+").split("+"):
            chunk = chunk.strip()
            if not chunk:
                continue
            code, _sep, rest = chunk.partition("[")
            items.append({"indicator": code.strip(), "option": rest.rstrip("]").strip() or None})
        raw = items
    if not raw:
        raise ValidationError(_("Name at least one indicator on each side."), side)
    codes = {t.get("indicator") for t in raw}
    found = {
        i.code: i
        for i in session.scalars(
            sa.select(Indicator)
            .where(Indicator.code.in_(codes))
            .options(so.selectinload(Indicator.versions))
        )
    }
    out = []
    for term in raw:
        code = (term.get("indicator") or "").strip()
        if code not in found:
            raise ValidationError(_("There is no indicator %(code)s.", code=code), side)
        option = (term.get("option") or "").strip() or None
        if option:
            key = check_disagg(found[code].current, option)
            if "|" in key:
                raise ValidationError(
                    _("A term takes one disaggregation option, e.g. sex:F."), side
                )
            option = key
        out.append({"indicator": code, "option": option})
    return out


def _clean_rule(session: so.Session, data: dict) -> dict:
    code = (data.get("code") or "").strip()
    if not code or len(code) > 30:
        raise ValidationError(_("Give the rule a code of at most 30 characters."), "code")
    name_en = (data.get("name_en") or "").strip()
    if not name_en:
        raise ValidationError(_("Give the rule a name."), "name_en")
    op = data.get("op")
    if op not in {o.value for o in RuleOp}:
        raise ValidationError(_("Choose how the two sides compare."), "op")
    tolerance = data.get("tolerance_pct")
    tol = None
    if op == RuleOp.WITHIN:
        tol = parse_decimal(tolerance, "tolerance_pct")
        if tol is None or tol < 0 or tol > 100:
            raise ValidationError(
                _("Give the tolerance as a percentage from 0 to 100."), "tolerance_pct"
            )
    return {
        "code": code,
        "name_en": name_en[:300],
        "name_km": (data.get("name_km") or "").strip()[:300],
        "left_terms": _clean_terms(session, data.get("left") or data.get("left_terms"), "left"),
        "right_terms": _clean_terms(session, data.get("right") or data.get("right_terms"), "right"),
        "op": op,
        "tolerance_pct": tol,
        "active": bool(data.get("active", True)),
    }


def create_rule(session: so.Session, data: dict, *, user=None) -> CrossCheckRule:
    fields = _clean_rule(session, data)
    if session.scalar(sa.select(CrossCheckRule.id).where(CrossCheckRule.code == fields["code"])):
        raise ValidationError(_("A rule with code %(code)s exists.", code=fields["code"]), "code")
    rule = CrossCheckRule(**fields, created_by_id=user.id if user is not None else None)
    session.add(rule)
    session.flush()
    return rule


def update_rule(session: so.Session, rule: CrossCheckRule, data: dict) -> CrossCheckRule:
    fields = _clean_rule(session, {"code": rule.code, **data})
    clash = session.scalar(
        sa.select(CrossCheckRule.id).where(
            CrossCheckRule.code == fields["code"], CrossCheckRule.id != rule.id
        )
    )
    if clash:
        raise ValidationError(_("A rule with code %(code)s exists.", code=fields["code"]), "code")
    for name, value in fields.items():
        setattr(rule, name, value)
    session.flush()
    return rule


def delete_rule(session: so.Session, rule: CrossCheckRule) -> None:
    session.delete(rule)
    session.flush()


def evaluate_rules(session: so.Session, period: ReportingPeriod) -> list[dict]:
    """Every active rule in every province for the period, across organisations
    (submitted and approved values): the rule, province, both sides and whether it holds."""
    rules = list(
        session.scalars(
            sa.select(CrossCheckRule).where(CrossCheckRule.active).order_by(CrossCheckRule.code)
        )
    )
    if not rules:
        return []
    codes = _codes(session, rules)
    out = []
    for rule in rules:
        left, right, _mine = _side_sums(session, period, rule, -1, None, codes)
        for prov in sorted(set(left) | set(right), key=lambda p: p or 0):
            lv, rv = left.get(prov), right.get(prov)
            broken = (
                validation.crosscheck_broken(lv, rule.op, rv, rule.tolerance_pct)
                if lv is not None and rv is not None
                else None
            )
            out.append(
                {"rule": rule, "province_id": prov, "left": lv, "right": rv, "broken": broken}
            )
    return out
