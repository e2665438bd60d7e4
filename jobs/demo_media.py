"""Generated demo media: a keyboard diagram for each beginner course's first lesson (its layout
drawn with the home row marked) and a cover per category, made with Pillow and stored through
the object store like any checked upload (renditions included)."""

from __future__ import annotations

import hashlib
import io
from functools import cache
from typing import Final

from PIL import Image, ImageDraw

from datasources.backends import Backends
from datasources.objects.store import PUBLIC_PREFIX
from domain.content.media import Rendition, image_renditions
from records.catalog import Category, Course, Difficulty
from records.content import Asset, AssetKind, AssetVariant, KeyboardLayout

_ROWS: Final[dict[KeyboardLayout, tuple[str, ...]]] = {
    KeyboardLayout.QWERTY: ("1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./"),
    KeyboardLayout.QWERTZ: ("1234567890ß\u00b4", "qwertzuiopü+", "asdfghjklöä", "yxcvbnm,.-"),
    KeyboardLayout.AZERTY: ("&é\"'(-è_çà)=", "azertyuiop^$", "qsdfghjklmù", "wxcvbn,;:!"),
}
_HOME_ROW: Final = 2
_KEY: Final = 56
_CATEGORY_COLOURS: Final[dict[Category, tuple[int, int, int]]] = {
    Category.TOUCH_TYPING: (38, 92, 160),
    Category.SPEED_BUILDING: (196, 72, 40),
    Category.ACCURACY: (40, 140, 90),
    Category.CODING: (50, 50, 70),
    Category.LANGUAGES: (150, 60, 140),
    Category.EXAM_PREPARATION: (170, 130, 30),
    Category.KIDS: (230, 110, 150),
    Category.BUSINESS: (60, 90, 110),
}


@cache
def keyboard_diagram(layout: KeyboardLayout) -> bytes:
    """A PNG of the layout's four rows, home row keys filled."""
    rows = _ROWS[layout]
    image = Image.new("RGB", (len(rows[0]) * _KEY + 3 * _KEY, len(rows) * _KEY + 20), "white")
    draw = ImageDraw.Draw(image)
    for row_number, row in enumerate(rows):
        indent = 10 + row_number * _KEY // 2
        for column, key in enumerate(row):
            left, top = indent + column * _KEY, 10 + row_number * _KEY
            home = row_number == _HOME_ROW and column in (0, 1, 2, 3, 6, 7, 8, 9)
            draw.rounded_rectangle(
                (left, top, left + _KEY - 6, top + _KEY - 6),
                radius=8,
                fill=(255, 214, 102) if home else (238, 238, 238),
                outline=(90, 90, 90),
            )
            draw.text((left + 20, top + 16), key.upper(), fill="black")
    return _png(image)


@cache
def category_cover(category: Category) -> bytes:
    """A PNG banner in the category's colour, with a stylised row of keys."""
    image = Image.new("RGB", (1600, 900), _CATEGORY_COLOURS[category])
    draw = ImageDraw.Draw(image)
    for column in range(10):
        left = 180 + column * 126
        draw.rounded_rectangle((left, 560, left + 110, 670), radius=14, fill=(250, 250, 250))
    draw.text((180, 380), category.value.replace("_", " ").upper(), fill="white")
    return _png(image)


@cache
def _renditions(data: bytes) -> tuple[int, int, list[Rendition]]:
    """The demo reuses a handful of images: each is rendered once per process."""
    return image_renditions("image/png", data)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def wants_keyboard_diagram(course: Course, layout: KeyboardLayout) -> bool:
    return course.difficulty is Difficulty.BEGINNER and layout in _ROWS


async def store_image(
    backends: Backends,
    course: Course,
    lesson_id: int | None,
    data: bytes,
    stored_keys: set[str],
) -> Asset:
    """Stores a generated PNG and its renditions as a checked asset (a cover when
    `lesson_id` is None). Renditions are content-addressed: one in `stored_keys` is not
    written again (the caller keeps the set for a run)."""
    prefix = PUBLIC_PREFIX if lesson_id is None else ""
    width, height, renditions = _renditions(data)
    variants = []
    for rendition in renditions:
        key = f"{prefix}v/{rendition.content_key}.webp"
        if key not in stored_keys:
            await backends.objects.put(key, rendition.data, "image/webp")
            stored_keys.add(key)
        variants.append(
            AssetVariant(
                rendition.name,
                "image/webp",
                len(rendition.data),
                key,
                rendition.width,
                rendition.height,
            )
        )
    asset_id = backends.ids.next_id()
    digest = hashlib.md5(data).hexdigest()
    original = await backends.objects.put(f"{prefix}a/{asset_id}/{digest}.png", data, "image/png")
    return await backends.content.assets.insert(
        Asset(
            id=asset_id,
            course_id=course.id,
            lesson_id=lesson_id,
            kind=AssetKind.IMAGE,
            content_type="image/png",
            bytes=original.size,
            object_key=original.key,
            width=width,
            height=height,
            created_at=course.updated_at,
            variants=tuple(variants),
        )
    )
