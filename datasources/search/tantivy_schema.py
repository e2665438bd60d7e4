"""The tantivy index layout: fields, analyzers, and SearchDocument to tantivy document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import tantivy

from datasources.search.contract import SearchDocument
from datasources.search.query_text import MAX_TERM_CHARS
from datasources.search.ranking import popularity_multiplier

# Bump when fields or analyzers change: an index written with another version is not opened.
SCHEMA_VERSION = "1"

COURSE_ID = "course_id"
TITLE = "title"  # stemmed words, stored for highlighting and suggestions
DESCRIPTION = "description"  # stemmed words, stored
TAGS_TEXT = "tags_text"  # tags as searchable words
TITLE_WORDS = "title_words"  # unstemmed words, for prefix matching while typing
TITLE_KEY = "title_key"  # the whole title as one lowercased term, for exact title matches
CATEGORY = "category"
DIFFICULTY = "difficulty"
LANGUAGE = "language"
TAGS = "tags"
PRICE = "price_paise"
POPULARITY = "popularity"
POPULARITY_WEIGHT = "popularity_weight"
CREATED = "created_us"  # microseconds since the epoch

COURSE_TEXT = "course_text"
COURSE_WORDS = "course_words"
TITLE_KEY_ANALYZER = "title_key"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _words_analyzer(*, stemmed: bool) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TERM_CHARS))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )
    if stemmed:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


# Shared by indexing and querying, so query terms are analysed exactly like indexed ones.
course_text_analyzer = _words_analyzer(stemmed=True)
course_words_analyzer = _words_analyzer(stemmed=False)
title_key_analyzer = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw())
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.ascii_fold())
    .build()
)


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field(COURSE_ID, stored=True, indexed=True, fast=True)
    builder.add_text_field(TITLE, stored=True, tokenizer_name=COURSE_TEXT)
    builder.add_text_field(DESCRIPTION, stored=True, tokenizer_name=COURSE_TEXT)
    builder.add_text_field(TAGS_TEXT, tokenizer_name=COURSE_TEXT)
    builder.add_text_field(TITLE_WORDS, tokenizer_name=COURSE_WORDS)
    builder.add_text_field(TITLE_KEY, tokenizer_name=TITLE_KEY_ANALYZER, index_option="basic")
    for keyword in (CATEGORY, DIFFICULTY, LANGUAGE, TAGS):
        builder.add_text_field(keyword, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field(PRICE, indexed=True, fast=True)
    builder.add_integer_field(POPULARITY, fast=True)
    builder.add_float_field(POPULARITY_WEIGHT, fast=True)
    builder.add_integer_field(CREATED, fast=True)
    return builder.build()


def register_analyzers(index: tantivy.Index) -> None:
    """Analyzers are not stored in the index: every opened index needs them registered."""
    index.register_tokenizer(COURSE_TEXT, course_text_analyzer)
    index.register_tokenizer(COURSE_WORDS, course_words_analyzer)
    index.register_tokenizer(TITLE_KEY_ANALYZER, title_key_analyzer)


def to_tantivy_document(doc: SearchDocument) -> tantivy.Document:
    document = tantivy.Document()
    document.add_unsigned(COURSE_ID, doc.course_id)
    document.add_text(TITLE, doc.title)
    document.add_text(DESCRIPTION, doc.description)
    document.add_text(TAGS_TEXT, " ".join(doc.tags))
    document.add_text(TITLE_WORDS, doc.title)
    document.add_text(TITLE_KEY, " ".join(doc.title.split()))
    document.add_text(CATEGORY, doc.category)
    document.add_text(DIFFICULTY, doc.difficulty)
    document.add_text(LANGUAGE, doc.language)
    for tag in dict.fromkeys(doc.tags):
        document.add_text(TAGS, tag)
    document.add_integer(PRICE, doc.price_paise)
    document.add_integer(POPULARITY, doc.popularity)
    document.add_float(POPULARITY_WEIGHT, weight_field_value(doc.popularity))
    document.add_integer(CREATED, (doc.created_at - _EPOCH) // timedelta(microseconds=1))
    return document


def weight_field_value(popularity: int) -> float:
    """tantivy multiplies a score by log2(2 + v) of the weight field; pick v for our multiplier."""
    return float(2.0 ** popularity_multiplier(popularity) - 2.0)
