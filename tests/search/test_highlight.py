from __future__ import annotations

import re

import pytest

from datasources.search.highlight import TermMatcher, TextSpan, highlight, within_edits


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
        ("kitten", "sitten", 1, True),
        ("a", "abc", 1, False),
        ("", "ab", 2, True),
        ("abcd", "abdc", 1, True),
    ],
)
def test_within_edits(left: str, right: str, limit: int, expected: bool) -> None:
    assert within_edits(left, right, limit) is expected
    assert within_edits(right, left, limit) is expected


def matches(text: str, matcher: TermMatcher) -> list[TextSpan]:
    return [
        TextSpan(word.start(), word.end())
        for word in re.finditer(r"\w+", text)
        if matcher(word.group().lower())
    ]


def test_matches_are_wrapped_and_the_rest_escaped() -> None:
    text = "Fast <b> & Python typing"
    matcher = TermMatcher(["pyhton"], typo_tolerant=True)

    assert highlight(text, matches(text, matcher)) == "Fast &lt;b&gt; &amp; <em>Python</em> typing"


def test_exact_matching_ignores_near_words() -> None:
    text = "Python pyhton"
    matcher = TermMatcher(["python"], typo_tolerant=False)

    assert highlight(text, matches(text, matcher)) == "<em>Python</em> pyhton"


def test_long_text_is_cut_to_a_fragment_around_the_first_match() -> None:
    text = " ".join(["filler"] * 60 + ["needle"] + ["after"] * 60)
    matcher = TermMatcher(["needle"], typo_tolerant=False)

    fragment = highlight(text, matches(text, matcher), 100)

    assert "<em>needle</em>" in fragment
    assert len(fragment.replace("<em>", "").replace("</em>", "")) <= 100
    assert fragment.startswith("filler ")  # cut at a word boundary
    assert fragment.endswith(" after")


def test_without_matches_a_fragment_starts_at_the_beginning() -> None:
    text = "word " * 100

    fragment = highlight(text, [], 50)

    assert text.startswith(fragment)
    assert len(fragment) <= 50


def test_an_empty_matcher_matches_nothing() -> None:
    matcher = TermMatcher((), typo_tolerant=True)

    assert not matcher
    assert not matcher("anything")
