"""Relevance weights shared by the engines so that both rank the same way."""

from __future__ import annotations

import math

TITLE_BOOST = 3.0
TAGS_BOOST = 2.0
DESCRIPTION_BOOST = 1.0
# A typo match counts for less than the word itself.
FUZZY_MATCH_FACTOR = 0.5
TITLE_PHRASE_BOOST = 2.0
# Large enough that an exact title match outranks any combination of the other clauses.
EXACT_TITLE_BOOST = 1000.0
POPULARITY_WEIGHT = 0.1


def popularity_multiplier(popularity: int) -> float:
    """Factor applied to text relevance: 1.0 for no subscribers, about 1.7 for a thousand."""
    return 1.0 + math.log1p(max(popularity, 0)) * POPULARITY_WEIGHT
