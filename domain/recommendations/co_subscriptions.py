"""Course-course similarity from co-subscriptions, counted in bounded memory.

Users arrive one at a time with all their courses (a shard streams a user's rows together).
Their courses are buffered and, every `FLUSH_SUBSCRIPTIONS`, turned into a sparse user x course
matrix B whose product B^T B adds each pair's co-subscription count to a sparse course x course
matrix. Memory so grows with the pairs of courses taken together, never with the users.

Similarity is the cosine of two courses' subscriber sets, shrunk for pairs seen together only
a few times: c_ij / (sqrt(n_i n_j) + SHRINK), with c_ij the users who took both and n_i those
who took i. The shrink keeps two rare courses that one user took together from looking like
perfect neighbours.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse

from records.recommendations import Neighbours

FLUSH_SUBSCRIPTIONS = 1_000_000
SHRINK = 5.0


class CoSubscriptions:
    def __init__(self, course_ids: Sequence[int]) -> None:
        self._course_ids = np.asarray(course_ids, dtype=np.int64)
        self._index = {course_id: i for i, course_id in enumerate(course_ids)}
        size = len(course_ids)
        self._counts = sparse.csr_array((size, size), dtype=np.int32)
        self._rows = array("l")  # buffered (user in buffer, course index) pairs
        self._columns = array("l")
        self._buffered_users = 0
        self.users = 0
        self.subscriptions = 0

    def add_user(self, course_ids: Iterable[int]) -> None:
        """One user's courses; courses the catalog does not hold are left out."""
        taken = {self._index[c] for c in course_ids if c in self._index}
        if not taken:
            return
        row = self._buffered_users
        for column in taken:
            self._rows.append(row)
            self._columns.append(column)
        self._buffered_users += 1
        self.users += 1
        self.subscriptions += len(taken)
        if len(self._rows) >= FLUSH_SUBSCRIPTIONS:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        rows = np.frombuffer(self._rows, dtype=np.int64)
        columns = np.frombuffer(self._columns, dtype=np.int64)
        taken = sparse.csr_array(
            (np.ones(len(rows), dtype=np.int32), (rows, columns)),
            shape=(self._buffered_users, len(self._course_ids)),
        )
        self._counts = self._counts + (taken.T @ taken).tocsr()
        self._rows = array("l")
        self._columns = array("l")
        self._buffered_users = 0

    def subscribers(self) -> npt.NDArray[np.int64]:
        """Per course (in the order given), the users who took it."""
        self._flush()
        return np.asarray(self._counts.diagonal(), dtype=np.int64)

    def neighbours(self, kept: int) -> dict[int, Neighbours]:
        """Each course's `kept` most similar courses (courses nobody took with another have
        none)."""
        self._flush()
        taken_by = self._counts.diagonal().astype(np.float64)
        together = sparse.coo_array(self._counts)
        off_diagonal = together.row != together.col
        rows, columns = together.row[off_diagonal], together.col[off_diagonal]
        pairs = together.data[off_diagonal].astype(np.float64)
        similarity = pairs / (np.sqrt(taken_by[rows] * taken_by[columns]) + SHRINK)
        matrix = sparse.csr_array(
            (similarity, (rows, columns)), shape=self._counts.shape, dtype=np.float64
        )
        return top_per_row(matrix, self._course_ids, kept)


def top_per_row(
    matrix: sparse.csr_array, course_ids: npt.NDArray[np.int64], kept: int
) -> dict[int, Neighbours]:
    """The `kept` largest entries of each row of a CSR matrix, best first (ties: lower course
    id first), keyed by the row's course id."""
    result: dict[int, Neighbours] = {}
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    for row in range(matrix.shape[0]):
        start, end = int(indptr[row]), int(indptr[row + 1])
        if start == end:
            continue
        ids = course_ids[indices[start:end]]
        scores = data[start:end]
        order = np.lexsort((ids, -scores))[:kept]
        result[int(course_ids[row])] = Neighbours(
            tuple(ids[order].tolist()), tuple(float(s) for s in scores[order].round(6))
        )
    return result
