"""What a pattern's every match must contain, for the trigram index to narrow blobs.

A query is a tree of ``And``/``Or`` over ``Literal`` byte strings (lower-cased
ASCII: the index folds case, so one index serves case-sensitive and -insensitive
searches alike) and ``All`` (no constraint).  It must never be stricter than the
pattern: if a line matches, the blob holding it satisfies the query.  A blob that
satisfies it may still match nothing (the index only narrows; the search decides).
"""

from dataclasses import dataclass


class Query:
    """Base of the query tree."""


@dataclass(frozen=True)
class All(Query):
    """Any blob may match (a pattern with no literal of 3+ bytes every match holds)."""


@dataclass(frozen=True)
class Literal(Query):
    """Every match contains ``text`` (lower-cased ASCII) somewhere."""

    text: bytes


@dataclass(frozen=True)
class And(Query):
    parts: tuple[Query, ...]


@dataclass(frozen=True)
class Or(Query):
    parts: tuple[Query, ...]


ALL = All()
