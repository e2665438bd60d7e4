"""How user text becomes search terms, the same way for every engine.

User text is never handed to a query parser: engines build queries from these plain terms, so
quotes, colons, brackets and operators are just characters.
"""

from __future__ import annotations

import re

# Bounds the work a single request can cause; nobody types more than this into a search box.
MAX_QUERY_CHARS = 256
MAX_QUERY_TERMS = 12
# Longer "words" are noise (hashes, pasted junk) and only make fuzzy matching slower.
MAX_TERM_CHARS = 40

_WORD = re.compile(r"\w+")


def clip_query(text: str) -> str:
    return text[:MAX_QUERY_CHARS]


def query_words(text: str) -> list[str]:
    """The words of the clipped query, at most MAX_QUERY_TERMS of them, overlong ones dropped."""
    words = (word for word in _WORD.findall(clip_query(text)) if len(word) <= MAX_TERM_CHARS)
    return list(words)[:MAX_QUERY_TERMS]


def exact_title_key(text: str) -> str:
    """Text compared with whole titles; engines lowercase and ASCII-fold it in their analyzers."""
    return " ".join(clip_query(text).split())


def fuzziness(term: str) -> int:
    """Edits a typo-tolerant match allows for a term: OpenSearch's AUTO rule (0, 1 or 2 edits)."""
    if len(term) <= 2:
        return 0
    if len(term) <= 5:
        return 1
    return 2
