"""One rendering path for untrusted text: mail headers, bodies, folder names, server errors.

Rich and Textual markup is never parsed here (``Text(...)`` is literal), and control characters
are mapped to visible symbols, because ``Text``/``Content`` pass ESC, NUL, DEL and C1 bytes
straight to the terminal, where an ANSI sequence in a subject would recolour or move the cursor.
``markup.escape`` is not enough (it misses ``[$var]``-style and case variants), so nothing that
came from the network may be handed to a widget as a markup string.
"""

from __future__ import annotations

import re

from rich.text import Text

_CONTROL_MAP: dict[int, int] = {c: 0x2400 + c for c in range(0x20) if c not in (0x09, 0x0A)}
_CONTROL_MAP[0x7F] = 0x2421  # DEL -> "␡"
_CONTROL_MAP.update({c: 0xFFFD for c in range(0x80, 0xA0)})  # C1 controls (CSI 0x9B...) -> "�"
# Bidi overrides and isolates can reorder what follows them on screen: show them, don't obey.
_CONTROL_MAP.update({c: 0xFFFD for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})

_LINE_ONE_SPACE = str.maketrans({"\t": " ", "\n": " ", "\r": " "})
_FOLDS = re.compile(r"[ \t]*\r?\n[ \t]+")


def visible(value: str) -> str:
    """``value`` with every control character replaced by a visible symbol.

    Line breaks are kept, with CRLF (how mail travels) turned into a plain newline first so
    that only a stray carriage return shows as a symbol.
    """
    return value.replace("\r\n", "\n").translate(_CONTROL_MAP)


def one_line(value: str) -> str:
    """A header value for a single row: folded lines joined with one space, controls visible."""
    return visible(_FOLDS.sub(" ", value).translate(_LINE_ONE_SPACE))


def literal(value: str, style: str = "") -> Text:
    """A ``Text`` that shows ``value`` exactly: no markup, no ANSI, no control characters."""
    return Text(visible(value), style=style, no_wrap=False)


def literal_line(value: str, style: str = "") -> Text:
    """Like ``literal`` for one-line places (list cells, tree labels, titles)."""
    return Text(one_line(value), style=style, no_wrap=True, overflow="ellipsis")
