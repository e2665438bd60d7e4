"""Marks matched terms in a text as HTML: <em> around matches, everything else escaped.

For engines without a highlighter of their own: the engine analyses the text, asks a TermMatcher
which tokens match the query (equal to a query term or, for typo-tolerant queries, within the
term's fuzziness of it) and passes the matches' character offsets to highlight().
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from datasources.search.query_text import fuzziness

# Both engines cut descriptions to fragments of about this size around the first match.
DESCRIPTION_FRAGMENT_CHARS = 200


@dataclass(frozen=True, slots=True)
class TextSpan:
    start: int  # character offsets into the text
    end: int


class TermMatcher:
    """Decides whether an analysed token matches one of the query terms; memoises answers."""

    def __init__(self, terms: Sequence[str], *, typo_tolerant: bool) -> None:
        unique_terms = dict.fromkeys(terms)
        self._terms = tuple(
            (term, fuzziness(term) if typo_tolerant else 0) for term in unique_terms
        )
        self._answers: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self._terms)

    def __call__(self, token: str) -> bool:
        answer = self._answers.get(token)
        if answer is None:
            answer = any(within_edits(token, term, edits) for term, edits in self._terms)
            self._answers[token] = answer
        return answer


def within_edits(left: str, right: str, limit: int) -> bool:
    """Whether the optimal-string-alignment distance (transpositions cost 1) is <= limit."""
    if left == right:
        return True
    if limit == 0 or abs(len(left) - len(right)) > limit:
        return False
    # Each edit brings in at most one character the other side lacks: a cheap lower bound that
    # rejects most words before the quadratic table below.
    if len(set(left).difference(right)) > limit or len(set(right).difference(left)) > limit:
        return False
    before_previous: list[int] = []
    previous = list(range(len(right) + 1))
    for i, left_char in enumerate(left, start=1):
        current = [i] + [0] * len(right)
        row_minimum = i
        for j, right_char in enumerate(right, start=1):
            distance = min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (left_char != right_char),
            )
            if i > 1 and j > 1 and left_char == right[j - 2] and left[i - 2] == right_char:
                distance = min(distance, before_previous[j - 2] + 1)
            current[j] = distance
            row_minimum = min(row_minimum, distance)
        if row_minimum > limit:
            return False
        before_previous, previous = previous, current
    return previous[-1] <= limit


def highlight(text: str, matches: Sequence[TextSpan], max_chars: int | None = None) -> str:
    """HTML for text (or a fragment of at most max_chars around the first match)."""
    start, end = _fragment_bounds(text, matches, max_chars)
    parts: list[str] = []
    position = start
    for span in matches:
        if span.start < position or span.end > end:
            continue
        parts.append(html.escape(text[position : span.start]))
        parts.append(f"<em>{html.escape(text[span.start : span.end])}</em>")
        position = span.end
    parts.append(html.escape(text[position:end]))
    return "".join(parts).strip()


def _fragment_bounds(
    text: str, matches: Sequence[TextSpan], max_chars: int | None
) -> tuple[int, int]:
    if max_chars is None or len(text) <= max_chars:
        return 0, len(text)
    start = 0
    if matches:
        # Some context before the first match, starting at a word boundary.
        start = max(0, matches[0].start - max_chars // 5)
        start = text.rfind(" ", 0, start) + 1 if start > 0 else 0
    end = min(len(text), start + max_chars)
    if end < len(text):
        cut = text.rfind(" ", start, end)
        if cut > start:
            end = cut
    return start, end
