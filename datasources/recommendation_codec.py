"""Bytes of a model's lists, the same in the catalog database and in the cache: (course id
int64, score float64) pairs, little-endian; a course's entry is its co-subscription list's
length (uint32), that list, then its content list."""

from __future__ import annotations

import numpy as np

from records.recommendations import CourseNeighbours, Neighbours

_PAIR = np.dtype([("id", "<i8"), ("score", "<f8")])
_LENGTH = np.dtype("<u4")


def encode_neighbours(neighbours: Neighbours) -> bytes:
    pairs = np.empty(len(neighbours.course_ids), dtype=_PAIR)
    pairs["id"] = neighbours.course_ids
    pairs["score"] = neighbours.scores
    return pairs.tobytes()


def decode_neighbours(raw: bytes) -> Neighbours:
    pairs = np.frombuffer(raw, dtype=_PAIR)
    return Neighbours(tuple(pairs["id"].tolist()), tuple(pairs["score"].tolist()))


def encode_course(neighbours: CourseNeighbours) -> bytes:
    length = np.asarray([len(neighbours.co_subscribed.course_ids)], dtype=_LENGTH)
    return (
        length.tobytes()
        + encode_neighbours(neighbours.co_subscribed)
        + encode_neighbours(neighbours.content)
    )


def decode_course(raw: bytes) -> CourseNeighbours:
    (length,) = np.frombuffer(raw[: _LENGTH.itemsize], dtype=_LENGTH).tolist()
    split = _LENGTH.itemsize + length * _PAIR.itemsize
    return CourseNeighbours(
        decode_neighbours(raw[_LENGTH.itemsize : split]), decode_neighbours(raw[split:])
    )
