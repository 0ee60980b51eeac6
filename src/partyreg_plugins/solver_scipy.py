"""The built-in solver of post assignment: SciPy's ``linear_sum_assignment`` over post slots.

The core (:mod:`partyreg_core.service.rules`) states the problem as a weight per (member, post) and
each post's capacity. Here each post becomes as many identical columns (slots) as it has places
— never more than there are members — and the rectangular assignment problem is solved exactly
(a shortest-augmenting-path method; deterministic for the same matrix). Pairs of weight 0 that
the solver may pair up when nothing better is left are dropped: they are not assignments.
"""

from __future__ import annotations

from collections.abc import Sequence

from partyreg_core.hookspecs import hookimpl
from partyreg_core.service.port import AssignmentSolver


def solve(weights: Sequence[Sequence[int]], capacities: Sequence[int]) -> list[int]:
    """For each member, the post index it gets or -1 (see :class:`AssignmentSolver`)."""
    import numpy as np  # SciPy loads when a solve is first asked for (decision 0161)
    from scipy.optimize import linear_sum_assignment

    rows = len(weights)
    if rows == 0 or not capacities:
        return [-1] * rows
    matrix = np.asarray(weights, dtype=np.float64).reshape(rows, len(capacities))
    # a post needs no more slots than it has members who want or fit it
    wanted = (matrix > 0).sum(axis=0)
    slots = np.minimum(np.asarray(capacities, dtype=np.int64), wanted)
    columns = np.repeat(np.arange(len(capacities)), slots)
    answer = [-1] * rows
    if columns.size == 0:
        return answer
    row_index, col_index = linear_sum_assignment(matrix[:, columns], maximize=True)
    for r, c in zip(row_index.tolist(), col_index.tolist(), strict=True):
        post = int(columns[c])
        if matrix[r, post] > 0:
            answer[r] = post
    return answer


@hookimpl
def partyreg_assignment_solver() -> AssignmentSolver:
    """SciPy's exact assignment solver."""
    return solve
