from __future__ import annotations

from collections.abc import Sequence

import strawberry


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def of(cls, cursors: Sequence[str], has_next_page: bool) -> PageInfo:
        return cls(has_next_page=has_next_page, end_cursor=cursors[-1] if cursors else None)
