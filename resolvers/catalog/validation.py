"""Rules a course must satisfy before it is written; each failure names its field."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from records.catalog import Category, Difficulty
from resolvers.catalog.queries import LANGUAGE_PATTERN
from resolvers.errors import Problem, invalid

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TAG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CURRENCIES = frozenset({"INR", "USD", "EUR", "GBP"})
MAX_PRICE_PAISE = 10_000_000_00  # 1 crore rupees: a guard against typos, not a business cap
MAX_TAGS = 20

_Check = Callable[[object], Problem | None]


def input_name(column: str) -> str:
    """The GraphQL input field of a course column: `price_paise` -> `pricePaise`."""
    first, *rest = column.split("_")
    return first + "".join(part.capitalize() for part in rest)


def check_course_fields(fields: Mapping[str, object]) -> Problem | None:
    """Checks the fields present; returns the first problem found."""
    for name, value in fields.items():
        problem = _CHECKS[name](value) if name in _CHECKS else None
        if problem is not None:
            return problem
    return None


def _slug(value: object) -> Problem | None:
    if not isinstance(value, str) or not 3 <= len(value) <= 120 or not SLUG_PATTERN.match(value):
        return invalid("slug", "slug: 3-120 lowercase letters, digits and single hyphens")
    return None


def _text(field: str, minimum: int, maximum: int) -> _Check:
    def check(value: object) -> Problem | None:
        if not isinstance(value, str) or not minimum <= len(value.strip()) <= maximum:
            return invalid(field, f"{field}: {minimum}-{maximum} characters")
        return None

    return check


def _language(value: object) -> Problem | None:
    if not isinstance(value, str) or not LANGUAGE_PATTERN.match(value):
        return invalid("language", "language: a two-letter ISO 639-1 code such as 'en'")
    return None


def _tags(value: object) -> Problem | None:
    if not isinstance(value, tuple | list) or len(value) > MAX_TAGS:
        return invalid("tags", f"tags: at most {MAX_TAGS}")
    for tag in value:
        if not isinstance(tag, str) or len(tag) > 40 or not TAG_PATTERN.match(tag):
            return invalid("tags", "tags: lowercase words joined by hyphens, at most 40 characters")
    return None


def _price(value: object) -> Problem | None:
    if not isinstance(value, int) or not 0 <= value <= MAX_PRICE_PAISE:
        return invalid("pricePaise", "pricePaise: a whole number of paise, 0 or more")
    return None


def _currency(value: object) -> Problem | None:
    if value not in CURRENCIES:
        return invalid("currency", f"currency: one of {', '.join(sorted(CURRENCIES))}")
    return None


def _validity(value: object) -> Problem | None:
    if value is not None and (not isinstance(value, int) or not 1 <= value <= 3650):
        return invalid("validityDays", "validityDays: 1 to 3650 days, or null for lifetime access")
    return None


def _member_of(field: str, kind: type) -> _Check:
    def check(value: object) -> Problem | None:
        return None if isinstance(value, kind) else invalid(field, f"{field}: required")

    return check


_CHECKS: dict[str, _Check] = {
    "category": _member_of("category", Category),
    "difficulty": _member_of("difficulty", Difficulty),
    "is_active": _member_of("isActive", bool),
    "slug": _slug,
    "title": _text("title", 3, 200),
    "description": _text("description", 0, 5000),
    "language": _language,
    "tags": _tags,
    "price_paise": _price,
    "currency": _currency,
    "validity_days": _validity,
}
