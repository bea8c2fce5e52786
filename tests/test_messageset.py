"""MessageSet: compressed ranges, parsing, chunking and algebra, against a plain-set model."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sage_tui.imap import MessageSet
from sage_tui.imap.messageset import MAX_UID

uid_sets = st.sets(st.integers(min_value=1, max_value=300), max_size=80)


@pytest.mark.parametrize(
    ("uids", "text"),
    [
        ([], ""),
        ([5], "5"),
        ([1, 2, 3, 4, 5], "1:5"),
        ([1, 2, 3, 500, 502, 510, 511, 512], "1:3,500,502,510:512"),
        ([9, 3, 4, 3, 5], "3:5,9"),
    ],
)
def test_compressed_text(uids: list[int], text: str) -> None:
    assert str(MessageSet(uids)) == text
    assert MessageSet.parse(text) == MessageSet(uids)


def test_parse_accepts_what_imap_allows() -> None:
    assert MessageSet.parse("9:3") == MessageSet(range(3, 10))
    assert MessageSet.parse("1:5,3:7,7") == MessageSet.parse("1:7")
    assert repr(MessageSet("1:3,9")) == "MessageSet('1:3,9')"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1,,2", "column 3"),
        ("1, 2", "' 2'"),
        ("1:*", "concrete UIDs"),
        ("-5", "'-5'"),
        ("1:2:3", "too many"),
        ("abc", "'abc'"),
        ("0", "start at 1"),
        ("007", "leading zeros"),
        ("4294967296", "above"),
        ("１２", "'１２'"),
    ],
)
def test_parse_rejects_garbage_with_a_pointed_message(text: str, words: str) -> None:
    with pytest.raises(ValueError) as info:
        MessageSet.parse(text)
    assert words in str(info.value)


def test_bad_values() -> None:
    with pytest.raises(TypeError):
        MessageSet([True])
    with pytest.raises(TypeError):
        MessageSet(["1"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="between 1 and"):
        MessageSet([0])
    with pytest.raises(ValueError):
        MessageSet([MAX_UID + 1])
    with pytest.raises(ValueError):
        MessageSet().first  # noqa: B018


def test_the_whole_uid_space_costs_nothing() -> None:
    everything = MessageSet.parse(f"1:{MAX_UID}")
    assert len(everything) == MAX_UID
    assert MAX_UID in everything and 0 not in everything
    assert (everything.first, everything.last) == (1, MAX_UID)
    assert str(everything - MessageSet([7])) == f"1:6,8:{MAX_UID}"
    assert sum(1 for _ in everything.chunks(2**31)) == 2


def test_chunks_by_count() -> None:
    chunks = list(MessageSet("1:5000,6000:6100").chunks(2000))
    assert [str(c) for c in chunks] == ["1:2000", "2001:4000", "4001:5000,6000:6100"]


def test_chunks_by_length_keep_commands_short() -> None:
    spread = MessageSet(range(1, 40_001, 2))  # 20,000 single UIDs: no ranges to compress
    chunks = list(spread.chunks_by_length(8000))
    assert all(len(str(c)) <= 8000 for c in chunks)
    assert sum(len(c) for c in chunks) == 20_000
    with pytest.raises(ValueError):
        list(spread.chunks_by_length(20))


@given(uid_sets)
def test_model_agreement(model: set[int]) -> None:
    message_set = MessageSet(model)
    assert len(message_set) == len(model)
    assert list(message_set) == sorted(model)
    assert all(uid in message_set for uid in model)
    assert all(uid not in message_set for uid in range(1, 301) if uid not in model)
    assert MessageSet.parse(str(message_set)) == message_set
    assert hash(MessageSet(sorted(model))) == hash(message_set)


@given(uid_sets, uid_sets)
def test_algebra_matches_sets(a: set[int], b: set[int]) -> None:
    x, y = MessageSet(a), MessageSet(b)
    assert list(x | y) == sorted(a | b)
    assert list(x & y) == sorted(a & b)
    assert list(x - y) == sorted(a - b)


@given(uid_sets, st.integers(min_value=1, max_value=50), st.integers(min_value=21, max_value=80))
def test_chunks_reunite_to_the_original(model: set[int], size: int, chars: int) -> None:
    message_set = MessageSet(model)
    by_count = list(message_set.chunks(size))
    assert all(0 < len(c) <= size for c in by_count)
    assert [uid for c in by_count for uid in c] == sorted(model)
    by_length = list(message_set.chunks_by_length(chars))
    assert all(len(str(c)) <= chars for c in by_length)
    assert [uid for c in by_length for uid in c] == sorted(model)
