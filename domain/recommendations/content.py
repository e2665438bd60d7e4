"""Course-course similarity from what a course is: category, teaching language, difficulty,
tags and the words of its title and description.

Each course is a sparse vector of weighted blocks, each block normalised on its own so its
weight is its share: the category and the language one-hot (a Hindi learner wants Hindi
courses), the difficulty on a scale (beginner is nearer intermediate than advanced), the tags,
and TF-IDF of the words. The cosine of two vectors is their similarity.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse

from records.catalog import Course, Difficulty
from records.recommendations import Neighbours

CATEGORY_WEIGHT = 1.0
LANGUAGE_WEIGHT = 1.0
DIFFICULTY_WEIGHT = 0.5
TAGS_WEIGHT = 0.5
WORDS_WEIGHT = 0.7
# Words in more than this share of the courses say nothing about any of them.
MAX_WORD_SHARE = 0.5
_DIFFICULTY_SCALE: Mapping[Difficulty, tuple[float, float]] = {
    Difficulty.BEGINNER: (1.0, 0.0),
    Difficulty.INTERMEDIATE: (math.sqrt(0.5), math.sqrt(0.5)),
    Difficulty.ADVANCED: (0.0, 1.0),
}
_WORD = re.compile(r"\w+")
ROWS_PER_PRODUCT = 1000  # courses whose similarities to every course are computed at once


def content_neighbours(
    courses: Sequence[Course], kept: int, prior: npt.NDArray[np.float64] | None = None
) -> dict[int, Neighbours]:
    """Each course's `kept` most similar other courses; with `prior` (one factor per course,
    in the same order), each similarity to a course is scaled by its factor."""
    if len(courses) < 2:
        return {}
    vectors = _vectors(courses)
    course_ids = np.asarray([c.id for c in courses], dtype=np.int64)
    transposed = vectors.T.tocsc()
    result: dict[int, Neighbours] = {}
    for start in range(0, len(courses), ROWS_PER_PRODUCT):
        block = (vectors[start : start + ROWS_PER_PRODUCT] @ transposed).toarray()
        if prior is not None:
            block *= prior[np.newaxis, :]
        for offset, similarities in enumerate(block):
            row = start + offset
            similarities[row] = -1.0  # never its own neighbour
            result[int(course_ids[row])] = _best(similarities, course_ids, kept)
    return result


def _best(similarities: np.ndarray, course_ids: np.ndarray, kept: int) -> Neighbours:
    count = min(kept, len(similarities) - 1)
    candidates = np.argpartition(-similarities, count - 1)[:count]
    order = candidates[np.lexsort((course_ids[candidates], -similarities[candidates]))]
    order = order[similarities[order] > 0]
    return Neighbours(
        tuple(course_ids[order].tolist()), tuple(float(s) for s in similarities[order].round(6))
    )


def _vectors(courses: Sequence[Course]) -> sparse.csr_array:
    """One L2-normalised row per course."""
    columns: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    idf = _word_weights(courses)
    for row, course in enumerate(courses):
        for block, weight in _blocks(course, idf):
            norm = math.sqrt(sum(v * v for v in block.values()))
            if norm == 0:
                continue
            for feature, value in block.items():
                rows.append(row)
                cols.append(columns.setdefault(feature, len(columns)))
                values.append(weight * value / norm)
    matrix = sparse.csr_array(
        (np.asarray(values), (np.asarray(rows), np.asarray(cols))),
        shape=(len(courses), max(1, len(columns))),
    )
    lengths = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    lengths[lengths == 0] = 1.0
    return sparse.csr_array(sparse.diags_array(1.0 / lengths) @ matrix)


def _blocks(course: Course, idf: Mapping[str, float]) -> Iterator[tuple[dict[str, float], float]]:
    yield {f"category:{course.category.value}": 1.0}, CATEGORY_WEIGHT
    yield {f"language:{course.language}": 1.0}, LANGUAGE_WEIGHT
    easy, hard = _DIFFICULTY_SCALE[course.difficulty]
    yield {"difficulty:easy": easy, "difficulty:hard": hard}, DIFFICULTY_WEIGHT
    yield {f"tag:{tag.lower()}": 1.0 for tag in course.tags}, TAGS_WEIGHT
    counts = Counter(w for w in _words(course) if w in idf)
    yield {f"word:{w}": n * idf[w] for w, n in counts.items()}, WORDS_WEIGHT


def _words(course: Course) -> list[str]:
    return _WORD.findall(f"{course.title} {course.description}".lower())


def _word_weights(courses: Sequence[Course]) -> dict[str, float]:
    """Inverse document frequency of each word that occurs in at least two courses and in at
    most MAX_WORD_SHARE of them."""
    seen_in: Counter[str] = Counter()
    for course in courses:
        seen_in.update(set(_words(course)))
    total = len(courses)
    return {
        word: math.log(total / n) for word, n in seen_in.items() if 2 <= n <= MAX_WORD_SHARE * total
    }
