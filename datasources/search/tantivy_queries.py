"""Builds tantivy queries programmatically: no query parser ever sees user text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import tantivy
from tantivy import Occur, Query

from datasources.search import tantivy_schema as fields
from datasources.search.contract import SearchFilters
from datasources.search.facets import price_bounds
from datasources.search.query_text import (
    MAX_QUERY_TERMS,
    clip_query,
    exact_title_key,
    fuzziness,
)
from datasources.search.ranking import (
    DESCRIPTION_BOOST,
    EXACT_TITLE_BOOST,
    TAGS_BOOST,
    TITLE_BOOST,
    TITLE_PHRASE_BOOST,
)

# tantivy scores a fuzzy match as a constant (its boost), not by BM25; kept below a typical exact
# match so that the word as typed outranks its neighbours.
_TYPO_SCORE = 0.2
_SEARCH_FIELDS = (
    (fields.TITLE, TITLE_BOOST),
    (fields.TAGS_TEXT, TAGS_BOOST),
    (fields.DESCRIPTION, DESCRIPTION_BOOST),
)
# Field-level matches of one term: the best counts, the others add a little.
_DISMAX_TIE_BREAKER = 0.1
_EXACT_PREFIX_SCORE = 3.0
_TYPO_PREFIX_SCORE = 1.0


@dataclass(frozen=True, slots=True)
class TextQuery:
    query: Query
    terms: tuple[str, ...]  # analysed query terms, for highlighting


class TantivyQueries:
    def __init__(self, schema: tantivy.Schema) -> None:
        self._schema = schema

    def text(self, user_text: str) -> TextQuery | None:
        """Every term must match title, tags or description, allowing typos; None to browse."""
        terms = fields.course_text_analyzer.analyze(clip_query(user_text))[:MAX_QUERY_TERMS]
        if not terms:
            return None
        clauses = [(Occur.Must, self._term_anywhere(term)) for term in dict.fromkeys(terms)]
        clauses.extend(self._title_bonuses(user_text, fields.TITLE, terms))
        return TextQuery(Query.boolean_query(clauses), tuple(terms))

    def autocomplete(self, prefix: str) -> Query | None:
        """Every typed word must start a title word, allowing typos; None when nothing to match."""
        words = fields.course_words_analyzer.analyze(clip_query(prefix))[:MAX_QUERY_TERMS]
        if not words:
            return None
        clauses = [(Occur.Must, self._title_word_prefix(word)) for word in dict.fromkeys(words)]
        clauses.append(
            (
                Occur.Should,
                Query.boost_query(
                    Query.phrase_prefix_query(self._schema, fields.TITLE_WORDS, list(words)),
                    TITLE_PHRASE_BOOST,
                ),
            )
        )
        clauses.extend(self._exact_title(prefix))
        return Query.boolean_query(clauses)

    def filters(self, filters: SearchFilters) -> list[Query]:
        """Filter clauses that match without adding to the score."""
        clauses = [
            self._any_of(fields.CATEGORY, filters.categories),
            self._any_of(fields.DIFFICULTY, filters.difficulties),
            self._any_of(fields.LANGUAGE, filters.languages),
            self._any_of(fields.TAGS, filters.tags),
            self._price(filters),
        ]
        return [Query.const_score_query(clause, 0.0) for clause in clauses if clause is not None]

    @staticmethod
    def combine(text: TextQuery | None, filters: Sequence[Query]) -> Query:
        clauses = [(Occur.Must, clause) for clause in filters]
        if text is not None:
            clauses.append((Occur.Must, text.query))
        if not clauses:
            return Query.all_query()
        return Query.boolean_query(clauses)

    def _term_anywhere(self, term: str) -> Query:
        edits = fuzziness(term)
        alternatives = []
        for field, boost in _SEARCH_FIELDS:
            exact = Query.term_query(self._schema, field, term)
            alternatives.append(Query.boost_query(exact, boost))
            if edits:
                typo = Query.fuzzy_term_query(
                    self._schema, field, term, distance=edits, transposition_cost_one=True
                )
                alternatives.append(Query.boost_query(typo, boost * _TYPO_SCORE))
        return Query.disjunction_max_query(alternatives, tie_breaker=_DISMAX_TIE_BREAKER)

    def _title_word_prefix(self, word: str) -> Query:
        exact = Query.fuzzy_term_query(
            self._schema, fields.TITLE_WORDS, word, distance=0, prefix=True
        )
        alternatives = [Query.boost_query(exact, _EXACT_PREFIX_SCORE)]
        edits = fuzziness(word)
        if edits:
            typo = Query.fuzzy_term_query(
                self._schema,
                fields.TITLE_WORDS,
                word,
                distance=edits,
                transposition_cost_one=True,
                prefix=True,
            )
            alternatives.append(Query.boost_query(typo, _TYPO_PREFIX_SCORE))
        return Query.disjunction_max_query(alternatives)

    def _title_bonuses(
        self, user_text: str, field: str, terms: Sequence[str]
    ) -> list[tuple[Occur, Query]]:
        bonuses = self._exact_title(user_text)
        if len(terms) > 1:  # tantivy rejects a phrase of one term
            phrase = Query.phrase_query(self._schema, field, list(terms))
            bonuses.append((Occur.Should, Query.boost_query(phrase, TITLE_PHRASE_BOOST)))
        return bonuses

    def _exact_title(self, user_text: str) -> list[tuple[Occur, Query]]:
        keys = fields.title_key_analyzer.analyze(exact_title_key(user_text))
        return [
            (
                Occur.Should,
                Query.const_score_query(
                    Query.term_query(self._schema, fields.TITLE_KEY, key), EXACT_TITLE_BOOST
                ),
            )
            for key in keys[:1]
        ]

    def _any_of(self, field: str, values: Sequence[str]) -> Query | None:
        if not values:
            return None
        return Query.term_set_query(self._schema, field, list(dict.fromkeys(values)))

    def _price(self, filters: SearchFilters) -> Query | None:
        lower, upper = price_bounds(filters)
        if lower == 0 and upper is None:
            return None
        if upper is not None and lower > upper:
            return Query.empty_query()
        return Query.range_query(
            self._schema, fields.PRICE, tantivy.FieldType.Integer, lower, upper
        )
