from __future__ import annotations

from datetime import UTC, datetime

import pytest

from datasources.search.contract import SearchDocument
from records.catalog import Category, Course, Difficulty

CREATED = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def course(**changes: object) -> Course:
    fields: dict[str, object] = {
        "id": 42,
        "slug": "touch-typing-fundamentals",
        "title": "Touch Typing Fundamentals",
        "description": "From the home row up.",
        "category": Category.TOUCH_TYPING,
        "difficulty": Difficulty.BEGINNER,
        "language": "en",
        "tags": ("touch-typing", "home-row"),
        "price_paise": 49_900,
        "currency": "INR",
        "validity_days": 365,
        "is_active": True,
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    fields.update(changes)
    return Course(**fields)  # type: ignore[arg-type]


def test_a_document_carries_the_searchable_fields_of_a_course() -> None:
    doc = SearchDocument.from_course(course(), popularity=1_234)

    assert doc == SearchDocument(
        course_id=42,
        slug="touch-typing-fundamentals",
        title="Touch Typing Fundamentals",
        description="From the home row up.",
        category="touch_typing",
        difficulty="beginner",
        language="en",
        tags=("touch-typing", "home-row"),
        price_paise=49_900,
        popularity=1_234,
        created_at=CREATED,
    )
    assert type(doc.category) is str


@pytest.mark.parametrize(
    ("changes", "popularity"),
    [
        ({"created_at": datetime(2024, 5, 1)}, 0),  # naive: its instant is unknown
        ({"price_paise": -1}, 0),
        ({}, -5),
    ],
)
def test_invalid_documents_are_rejected(changes: dict[str, object], popularity: int) -> None:
    with pytest.raises(ValueError):
        SearchDocument.from_course(course(**changes), popularity)
