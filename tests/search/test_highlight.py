from __future__ import annotations

import pytest

from datasources.search.highlight import TermMatcher, TokenSpan, highlight, within_edits


@pytest.mark.parametrize(
    ("left", "right", "limit", "expected"),
    [
        ("python", "python", 0, True),
        ("pyhton", "python", 1, True),  # one transposition
        ("tuch", "touch", 1, True),
        ("tuch", "touch", 0, False),
        ("typing", "tipyng", 1, False),
        ("typing", "tipyng", 2, True),
        ("kitten", "sitting", 2, False),
        ("a", "abc", 1, False),
        ("", "ab", 2, True),
    ],
)
def test_within_edits(left: str, right: str, limit: int, expected: bool) -> None:
    assert within_edits(left, right, limit) is expected
    assert within_edits(right, left, limit) is expected


def words(text: str) -> list[TokenSpan]:
    spans, position = [], 0
    for word in text.split(" "):
        spans.append(TokenSpan(position, position + len(word), word.lower().strip(".&<>")))
        position += len(word) + 1
    return spans


def test_matches_are_wrapped_and_the_rest_escaped() -> None:
    text = "Fast <b> & Python typing"
    matcher = TermMatcher(["pyhton"], typo_tolerant=True)

    assert highlight(text, words(text), matcher) == "Fast &lt;b&gt; &amp; <em>Python</em> typing"


def test_exact_matching_ignores_near_words() -> None:
    text = "Python pyhton"
    assert highlight(text, words(text), TermMatcher(["python"], typo_tolerant=False)) == (
        "<em>Python</em> pyhton"
    )


def test_long_text_is_cut_to_a_fragment_around_the_first_match() -> None:
    text = " ".join(["filler"] * 60 + ["needle"] + ["after"] * 60)

    fragment = highlight(text, words(text), TermMatcher(["needle"], typo_tolerant=False), 100)

    assert "<em>needle</em>" in fragment
    assert len(fragment.replace("<em>", "").replace("</em>", "")) <= 100
    assert not fragment.startswith("iller")  # cut at a word boundary


def test_without_matches_a_fragment_starts_at_the_beginning() -> None:
    text = "word " * 100

    fragment = highlight(text, [], TermMatcher((), typo_tolerant=False), 50)

    assert text.startswith(fragment)
    assert len(fragment) <= 50
