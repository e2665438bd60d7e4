"""Engine answers kept until the index next changes.

Entries belong to the index version they were computed under. Callers read the version before
they ask the engine and store the answer under that version; once a write bumps the version, a
lookup finds nothing older and an answer computed before the write is dropped instead of stored.
Answers hold nothing about the user who asked, so every user shares them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

Answer = TypeVar("Answer")

MAX_ENTRIES = 4096


class ResultCache(Generic[Answer]):
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._version = 0
        self._answers: OrderedDict[Hashable, Answer] = OrderedDict()

    def get(self, version: int, request: Hashable) -> Answer | None:
        self._advance(version)
        if version != self._version:
            return None
        answer = self._answers.get(request)
        if answer is not None:
            self._answers.move_to_end(request)
        return answer

    def put(self, version: int, request: Hashable, answer: Answer) -> None:
        self._advance(version)
        if version != self._version:
            return  # computed before a write that has already been seen: stale
        self._answers[request] = answer
        self._answers.move_to_end(request)
        while len(self._answers) > self._max_entries:
            self._answers.popitem(last=False)

    def _advance(self, version: int) -> None:
        if version > self._version:
            self._answers.clear()
            self._version = version
