"""HTML mail as readable text, for HTML-only messages.

inscriptis lays out paragraphs, lists and tables as text and drops scripts and styles; it never
fetches anything (no remote images, no tracking pixels). Huge documents are cut before parsing so
that one hostile message cannot stall the reader.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

MAX_HTML_CHARS = 2_000_000
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


@cache
def _parser() -> tuple[Any, Any]:
    """inscriptis (and lxml under it) load on the first HTML message, not at start-up, where
    they cost about 50 ms before the first screen."""
    from inscriptis import get_text
    from inscriptis.model.config import ParserConfig

    return get_text, ParserConfig(display_links=False, display_images=False)


def html_to_text(html: str) -> str:
    """Readable text for ``html``; on a document the parser cannot handle, the tags stripped."""
    clipped = html[:MAX_HTML_CHARS]
    try:
        get_text, config = _parser()
        text = get_text(clipped, config)
    except Exception:  # any parser failure must still show the mail
        text = re.sub(r"<[^>]*>", " ", clipped)
    text = _BLANK_RUNS.sub("\n\n", text).strip()
    if len(html) > MAX_HTML_CHARS:
        text += "\n\n[the rest of this HTML message is too large to show]"
    return text
