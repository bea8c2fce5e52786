"""IMAPSearchCriteria: validation, readable form, and the exact bytes put on the wire."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sage_tui.imap import IMAPSearchCriteria as C
from sage_tui.imap import MessageSet
from sage_tui.imap.search import AndGroup, NotGroup, OrGroup, SearchKey


def test_the_guides_chain() -> None:
    criteria = C().since("01-Jan-2024").from_address("important@example.com").unseen()
    assert str(criteria) == 'SINCE 01-Jan-2024 FROM "important@example.com" UNSEEN'
    assert criteria.to_wire() == [b"SINCE", b"01-Jan-2024", b"FROM", b'"important@example.com"',
                                  b"UNSEEN"]


def test_empty_means_all_and_is_immutable() -> None:
    base = C()
    assert not base and str(base) == "ALL" and base.to_wire() == [b"ALL"]
    narrowed = base.seen()
    assert str(base) == "ALL" and str(narrowed) == "SEEN"


@pytest.mark.parametrize(
    ("criteria", "text"),
    [
        (C().answered().unanswered().flagged().unflagged(),
         "ANSWERED UNANSWERED FLAGGED UNFLAGGED"),
        (C().deleted().undeleted().draft().undraft().new().old().recent().all(),
         "DELETED UNDELETED DRAFT UNDRAFT NEW OLD RECENT ALL"),
        (C().keyword("$Label1").unkeyword("Junk"), "KEYWORD $Label1 UNKEYWORD Junk"),
        (C().to_address("a").cc("b").bcc("c").subject("d").body("e").text("f"),
         'TO "a" CC "b" BCC "c" SUBJECT "d" BODY "e" TEXT "f"'),
        (C().header("List-Id", "rust.example"), 'HEADER "List-Id" "rust.example"'),
        (C().header("X-Spam", ""), 'HEADER "X-Spam" ""'),
        (C().before(dt.date(2024, 2, 1)).on("1-feb-2024").since(dt.datetime(2024, 1, 5, 23, 59)),
         "BEFORE 01-Feb-2024 ON 01-Feb-2024 SINCE 05-Jan-2024"),
        (C().sent_before("29-Feb-2024").sent_on("01-Mar-2024").sent_since("31-Dec-2023"),
         "SENTBEFORE 29-Feb-2024 SENTON 01-Mar-2024 SENTSINCE 31-Dec-2023"),
        (C().larger(1024).smaller(0), "LARGER 1024 SMALLER 0"),
        (C().uid([1, 2, 3, 9]), "UID 1:3,9"),
        (C().uid(MessageSet("5:7")), "UID 5:7"),
    ],
)
def test_every_key(criteria: C, text: str) -> None:
    assert str(criteria) == text


def test_nested_or_not_and_with_quotes_and_backslashes() -> None:
    criteria = C.or_(
        C().seen().subject('say "hi"'),
        C().from_address("C:\\dir (x) {3}"),
        C.not_(C().larger(100).smaller(1000)),
    )
    assert str(criteria) == (
        'OR (SEEN SUBJECT "say \\"hi\\"") OR FROM "C:\\\\dir (x) {3}" '
        "NOT (LARGER 100 SMALLER 1000)"
    )
    assert criteria.to_wire() == [
        b"OR", b"(SEEN", b"SUBJECT", b'"say \\"hi\\"")', b"OR", b"FROM",
        b'"C:\\\\dir (x) {3}"', b"NOT", b"(LARGER", b"100", b"SMALLER", b"1000)",
    ]
    assert not criteria.needs_utf8


def test_non_ascii_inside_a_nested_or_is_a_bare_literal_item() -> None:
    criteria = C.or_(C().subject("Überprüfung"), C().flagged())
    assert criteria.to_wire() == [b"CHARSET", b"UTF-8", b"OR", b"SUBJECT",
                                  "Überprüfung".encode(), b"FLAGGED"]
    assert criteria.needs_utf8
    assert str(criteria) == 'OR SUBJECT "Überprüfung" FLAGGED'


def test_a_group_ending_in_a_literal_is_closed_by_a_neutral_all() -> None:
    criteria = C.or_(C().seen().subject("Café"), C().flagged())
    assert criteria.to_wire() == [b"CHARSET", b"UTF-8", b"OR", b"(SEEN", b"SUBJECT",
                                  "Café".encode(), b"ALL)", b"FLAGGED"]


def test_combinators_as_class_and_instance_methods() -> None:
    a, b, c = C().seen(), C().flagged(), C().draft()
    assert C.or_(a, b, c) == a.or_(b, c)
    assert str(C.or_(a, b, c)) == "OR SEEN OR FLAGGED DRAFT"
    assert C.not_(a) == a.not_() == ~a
    assert C.and_(a, b) == a.and_(b) == (a & b) == C().seen().flagged()
    assert (a | b) == C.or_(a, b)
    assert C.or_(a) == a
    assert C.and_() == C()
    assert ~~a == a
    with pytest.raises(ValueError):
        C.or_()
    with pytest.raises(TypeError):
        C.or_("SEEN")  # type: ignore[arg-type]


def test_the_tree_is_public() -> None:
    criteria = C.or_(C().from_address("ana"), C.not_(C().seen()))
    assert criteria.tree == OrGroup((SearchKey("FROM", "ana"), NotGroup(SearchKey("SEEN"))))
    assert C(AndGroup((SearchKey("SEEN"), AndGroup((SearchKey("FLAGGED"),))))) == \
        C().seen().flagged()


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda: C().since("2024-01-01"), "IMAP date"),
        (lambda: C().since("31-Feb-2024"), "not a real day"),
        (lambda: C().before(20240101), "IMAP date"),
        (lambda: C().on("01-Foo-2024"), "IMAP date"),
        (lambda: C().larger(-1), "larger"),
        (lambda: C().smaller(True), "smaller"),
        (lambda: C().keyword("two words"), "keyword"),
        (lambda: C().keyword(""), "keyword"),
        (lambda: C().keyword("a]b"), "keyword"),
        (lambda: C().subject("line\r\nA1 LOGOUT"), "carriage return"),
        (lambda: C().subject("line\nA1 LOGOUT"), "line break"),
        (lambda: C().from_address("nul\0"), "NUL"),
        (lambda: C().subject(42), "text"),
        (lambda: C().header("X Bad", "v"), "header"),
        (lambda: C().header("X:Bad", "v"), "header"),
        (lambda: C().uid([]), "at least one UID"),
    ],
)
def test_bad_input_is_refused_before_anything_is_sent(build, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        build()


texts = st.text(alphabet=st.characters(blacklist_characters="\r\n\0",
                                       blacklist_categories=("Cs",)), max_size=12)
leaves = st.one_of(
    st.sampled_from([C().seen(), C().unseen(), C().flagged(), C().draft(), C()]),
    texts.map(lambda t: C().subject(t)),
    texts.map(lambda t: C().from_address(t)),
    st.integers(min_value=0, max_value=10**6).map(lambda n: C().larger(n)),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 1, 1)).map(
        lambda d: C().since(d)),
)
criteria_trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda ops: C.and_(*ops)),
        st.lists(children, min_size=1, max_size=3).map(lambda ops: C.or_(*ops)),
        children.map(C.not_),
    ),
    max_leaves=12,
)


def _leaf_strings(node: object) -> set[str]:
    if isinstance(node, SearchKey):
        value = node.value
        if isinstance(value, tuple):
            return set(value)
        return {value} if isinstance(value, str) else set()
    children = (node.child,) if isinstance(node, NotGroup) else node.children  # type: ignore[attr-defined]
    return set().union(*(_leaf_strings(child) for child in children))


@given(criteria_trees)
def test_wire_items_are_well_formed(criteria: C) -> None:
    items = criteria.to_wire()
    assert all(isinstance(item, bytes) and item for item in items)
    depth = 0
    for item in items:
        if not item.isascii():
            # A literal: exactly one of the values, with no parenthesis or quote glued on
            # (a value may itself start with "(", so compare against the values).
            assert criteria.needs_utf8
            assert item.decode("utf-8") in _leaf_strings(criteria.tree)
            continue
        text = item.decode("ascii")
        if text.startswith('"'):
            body = text.rstrip(")")
            assert body.endswith('"') and len(body) >= 2
            depth -= len(text) - len(body)
            continue
        depth += len(text) - len(text.lstrip("("))
        depth -= len(text) - len(text.rstrip(")"))
        assert depth >= 0
    assert depth == 0
    assert str(criteria) == str(criteria)  # deterministic
    assert (items[:2] == [b"CHARSET", b"UTF-8"]) == criteria.needs_utf8
