"""The text query language: examples, errors that name the column, and round trips."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sage_tui.imap import IMAPSearchCriteria as C
from sage_tui.imap import MessageSet


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", C()),
        ("unseen", C().unseen()),
        ("from:ana", C().from_address("ana")),
        ('subject:"weekly digest"', C().subject("weekly digest")),
        ("since:2024-01-01", C().since(dt.date(2024, 1, 1))),
        ("since:01-Jan-2024", C().since(dt.date(2024, 1, 1))),
        ("before:2024-02-01 since:2024-01-01",
         C().before(dt.date(2024, 2, 1)).since(dt.date(2024, 1, 1))),
        ("sent-since:2023-05-06", C().sent_since(dt.date(2023, 5, 6))),
        ("-flagged", C.not_(C().flagged())),
        ("NOT flagged", C.not_(C().flagged())),
        ("larger:1MB", C().larger(1024 * 1024)),
        ("smaller:1.5k", C().smaller(1536)),
        ("from:a OR from:b", C.or_(C().from_address("a"), C().from_address("b"))),
        ("(from:a OR from:b) unseen",
         C.and_(C.or_(C().from_address("a"), C().from_address("b")), C().unseen())),
        ("invoice", C().text("invoice")),
        ('"unseen"', C().text("unseen")),  # quoted: the word, not the flag
        ("http://example.com", C().text("http://example.com")),  # not a key: plain text
        ("header:List-Id=rust", C().header("List-Id", "rust")),
        ("keyword:$Label1 -keyword:Junk", C().keyword("$Label1") & ~C().keyword("Junk")),
        ("uid:1:5,9", C().uid(MessageSet.parse("1:5,9"))),
        ('subject:"say \\"hi\\""', C().subject('say "hi"')),
        ("from:jürgen subject:Überprüfung", C().from_address("jürgen").subject("Überprüfung")),
        ("a AND b", C().text("a").text("b")),
    ],
)
def test_queries_parse_into_the_same_criteria_as_the_builder(query, expected):
    assert C.parse(query).to_wire() == expected.to_wire()


def test_the_example_from_the_issue():
    query = ('from:ana subject:"weekly digest" since:2024-01-01 unseen -flagged larger:1MB '
             "(from:a OR from:b)")
    criteria = C.parse(query)
    assert str(criteria) == ('FROM "ana" SUBJECT "weekly digest" SINCE 01-Jan-2024 UNSEEN '
                             'NOT FLAGGED LARGER 1048576 OR FROM "a" FROM "b"')
    assert criteria.to_query() == query


@pytest.mark.parametrize(
    ("query", "column", "words"),
    [
        ("since:2024-13-01", 7, "not a real day"),
        ("unseen before:tomorrow", 15, "YYYY-MM-DD"),
        ("from:a OR", 8, "OR needs something"),
        ("(from:a", 1, "never closed"),
        ('subject:"x', 9, "quote is never closed"),
        ("larger:1XB", 8, "not a size"),
        ("a ) b", 3, "')'"),
        ("header:x", 8, "header:Name=value"),
        ("from:", 6, "needs a value"),
        ("NOT", 1, "needs a term"),
        ("()", 1, "empty parentheses"),
        ("uid:5:x", 5, "'x'"),
        ("keyword:a{b", 9, "keyword"),
    ],
)
def test_bad_queries_name_the_column(query, column, words):
    with pytest.raises(ValueError, match=rf"^column {column}: .*{re.escape(words)}"):
        C.parse(query)


texts = st.text(alphabet=st.characters(blacklist_characters="\r\n\0",
                                       blacklist_categories=("Cs",)), max_size=10)
atoms = st.text(alphabet=st.sampled_from("abcXYZ09$_-.+!"), min_size=1, max_size=8)
header_names = st.text(alphabet=st.sampled_from("abcdefXYZ-_09"), min_size=1, max_size=10)
days = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 1, 1))
flag_methods = ["all", "seen", "unseen", "answered", "unanswered", "flagged", "unflagged",
                "deleted", "undeleted", "draft", "undraft", "new", "old", "recent"]
text_methods = ["from_address", "to_address", "cc", "bcc", "subject", "body", "text"]
date_methods = ["before", "on", "since", "sent_before", "sent_on", "sent_since"]

leaves = st.one_of(
    st.sampled_from(flag_methods).map(lambda m: getattr(C(), m)()),
    st.builds(lambda m, t: getattr(C(), m)(t), st.sampled_from(text_methods), texts),
    st.builds(lambda m, d: getattr(C(), m)(d), st.sampled_from(date_methods), days),
    st.builds(lambda m, n: getattr(C(), m)(n), st.sampled_from(["larger", "smaller"]),
              st.integers(min_value=0, max_value=2**32 - 1)),
    st.builds(lambda m, a: getattr(C(), m)(a), st.sampled_from(["keyword", "unkeyword"]), atoms),
    st.builds(lambda n, v: C().header(n, v), header_names, texts),
    st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=6).map(
        lambda uids: C().uid(uids)),
)
criteria = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda ops: C.and_(*ops)),
        st.lists(children, min_size=1, max_size=3).map(lambda ops: C.or_(*ops)),
        children.map(C.not_),
    ),
    max_leaves=10,
)


@settings(max_examples=300)
@given(criteria)
def test_criteria_to_query_and_back_is_the_same_search(c):
    text = c.to_query()
    again = C.parse(text)
    assert again.to_wire() == c.to_wire()
    assert again.to_query() == text


@given(st.text(max_size=40))
def test_any_text_parses_or_raises_a_column_error(text):
    try:
        C.parse(text)
    except ValueError as error:
        assert str(error).startswith("column ")
