"""Small pieces every view model uses: signals and the error the officer must fix."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mobile.tablet import InvalidInput

__all__ = ["Signal", "UserError", "from_invalid_input"]


class Signal:
    """A list of callbacks: ``connect`` them, ``emit`` to call them all in order."""

    def __init__(self) -> None:
        self._slots: list[Callable[..., None]] = []

    def connect(self, slot: Callable[..., None]) -> None:
        if slot not in self._slots:
            self._slots.append(slot)

    def disconnect(self, slot: Callable[..., None]) -> None:
        if slot in self._slots:
            self._slots.remove(slot)

    def emit(self, *args: Any) -> None:
        for slot in list(self._slots):
            slot(*args)


class UserError(Exception):
    """Something the officer has to correct; texts are already in their language.

    ``errors`` maps a form field to its message, so the screen can show each message
    beside its field; ``message`` is the summary.
    """

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})


def from_invalid_input(error: InvalidInput, translate: Callable[[str], str]) -> UserError:
    """The tablet's bilingual refusal as a ``UserError`` in the officer's language."""
    return UserError(
        translate(error.message),
        {name: translate(message) for name, message in error.errors.items()},
    )
