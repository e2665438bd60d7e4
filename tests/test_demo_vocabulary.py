"""The demo vocabulary files load into every category, and a malformed one says where."""

from __future__ import annotations

import pytest

from jobs import demo_vocabulary
from records.catalog import Category, Difficulty


def test_every_category_has_topics_and_patterns_for_every_level() -> None:
    vocabularies = demo_vocabulary.category_vocabularies()
    assert [v.category for v in vocabularies] == list(Category)
    for vocabulary in vocabularies:
        assert vocabulary.topics and vocabulary.openers and vocabulary.closers
        assert set(vocabulary.title_patterns) == set(Difficulty)
        assert set(vocabulary.instruction_languages) <= set(
            demo_vocabulary.shared_vocabulary().language_names
        )


def test_a_file_missing_a_level_is_refused_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    real_read = demo_vocabulary._read

    def without_advanced(name: str) -> dict[str, object]:
        document = real_read(name)
        if name == "kids.json":
            patterns = dict(document["title_patterns"])
            del patterns["advanced"]
            document = {**document, "title_patterns": patterns}
        return document

    monkeypatch.setattr(demo_vocabulary, "_read", without_advanced)
    demo_vocabulary.category_vocabularies.cache_clear()
    try:
        with pytest.raises(demo_vocabulary.MalformedVocabulary, match=r"kids\.json.*advanced"):
            demo_vocabulary.category_vocabularies()
    finally:
        demo_vocabulary.category_vocabularies.cache_clear()
