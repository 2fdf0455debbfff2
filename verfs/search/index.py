"""The trigram index of blobs (skeleton: filled in by its owner)."""

from ..history import History


def update(history: History, tip: str | None) -> None:
    """Index the blobs ``tip``'s chain holds that the index does not cover yet."""
