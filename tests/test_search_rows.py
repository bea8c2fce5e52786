"""The search builder's rows: validation per row, and round trips with criteria and text."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings

from sage_tui.imap import IMAPSearchCriteria as C
from sage_tui.search_rows import Group, Row, build, quick_since, row_criteria, rows_for
from tests.test_query import criteria


def test_rows_build_the_criteria_they_say():
    group = Group("all", [
        Row("from", "contains", "ana"),
        Row("date", "since", "2024-01-01"),
        Row("flag", "is not", "seen"),
        Row("size", "larger", "1MB"),
        Group("any", [Row("subject", "contains", "weekly digest"),
                      Row("header", "contains", "List-Id=rust")]),
        Row("flag", "is", "flagged", negated=True),
    ])
    built, errors = build(group)
    assert not errors
    assert built == C.parse('from:ana since:2024-01-01 unseen larger:1MB '
                            '(subject:"weekly digest" OR header:List-Id=rust) -flagged')


def test_invalid_rows_are_reported_by_path_and_nothing_is_built():
    group = Group("all", [
        Row("date", "since", "2024-02-30"),
        Group("any", [Row("size", "larger", "lots"), Row("subject", "contains", "ok")]),
        Row("uid", "in", "5:x"),
        Row("header", "contains", "no-equals-sign"),
    ])
    built, errors = build(group)
    assert built is None
    assert set(errors) == {(0,), (1, 0), (2,), (3,)}
    assert "not a real day" in errors[(0,)] and "not a size" in errors[(1, 0)]
    assert "Name=value" in errors[(3,)]


def test_date_semantics_are_exact():
    # since includes the day, before excludes it: a range is two rows, two ends.
    built, _ = build(Group("all", [Row("date", "since", "2024-01-01"),
                                   Row("date", "before", "2024-02-01")]))
    assert str(built) == "SINCE 01-Jan-2024 BEFORE 01-Feb-2024"
    assert quick_since(7, dt.date(2024, 3, 10)) == Row("date", "since", "2024-03-04")


def test_three_levels_of_groups_with_negation():
    group = Group("all", [Group("any", [Group("all", [Row("from", "contains", "a"),
                                                      Row("to", "contains", "b")], negated=True),
                                        Row("cc", "contains", "c")])])
    built, _ = build(group)
    assert str(built) == 'OR NOT (FROM "a" TO "b") CC "c"'
    assert build(rows_for(built))[0] == built


def test_every_field_has_a_row():
    for row in (Row("keyword", "is not", "$Work"), Row("uid", "in", "1:5,9"),
                Row("all", "any message"), Row("sent", "on", "2024-05-06"),
                Row("flag", "is not", "recent")):
        assert build(rows_for(row_criteria(row)))[0] == row_criteria(row)


@settings(max_examples=300)
@given(criteria)
def test_criteria_to_rows_and_back_is_the_same_search(c):
    rows = rows_for(c)
    built, errors = build(rows)
    assert not errors
    assert built is not None and built.to_wire() == c.to_wire()
    # ... and the rows of the rebuilt criteria are the same rows (a fixed point).
    assert rows_for(built) == rows
