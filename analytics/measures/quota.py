"""The quota family: which target lines count, once, before any view prorates or sums them.

A targets sheet may give a rep's quota on one line (owner, period, amount) and also split it by segment
(owner, period, segment, amount). Summing every line would count the rep twice (100k + 60k + 40k = 200k for a
100k quota). The rule, for each rep and target period:

- without a segment filter or axis: the rep's own line (no segment) when the sheet gives one, else the sum of
  the rep's segment lines;
- with a segment filter, or split by segment: the segment lines only (a rep-level line says nothing of a
  segment).

The same rule holds for `planned_activities`: the lines that count are those stating the value read.
Prorating to a window is `selection.prorated` (a monthly quota over one week counts 7/31 of it); team quota =
the sum of its reps' quotas (PRODUCT.md, quota attainment).
"""
from __future__ import annotations

VALUE_COLUMNS = ("quota_amount", "planned_activities")


def targets_table(value_column: str = "quota_amount", segment_lines: bool = False) -> str:
    """A subquery (to use as a table, alias of the caller's choice) of the target lines that count for
    `value_column`, by the module's rule. `segment_lines`: a segment filter or a segment axis is on.
    Fixed SQL: never user text."""
    if value_column not in VALUE_COLUMNS:
        raise ValueError(f"unknown target value {value_column!r}")
    v = value_column
    if segment_lines:
        return f"(SELECT * FROM targets WHERE segment IS NOT NULL AND {v} IS NOT NULL)"
    # a segment line is left out when the same rep has a rep-level line for an overlapping period
    return (
        f"(SELECT t0.* FROM targets t0 WHERE t0.{v} IS NOT NULL AND (t0.segment IS NULL OR NOT EXISTS ("
        f"SELECT 1 FROM targets u WHERE u.owner = t0.owner AND u.segment IS NULL AND u.{v} IS NOT NULL"
        " AND u.period_start <= t0.period_end AND u.period_end >= t0.period_start)))"
    )


def wants_segment_lines(flt, by: str | None = None) -> bool:
    """True when the figure is read per segment (a segment filter, or grouped by segment)."""
    return getattr(flt, "segment", None) is not None or by == "segment"
