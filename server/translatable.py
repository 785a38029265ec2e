"""Messages for people, written once in Vietnamese and translated through the catalog.

Services, the API edge and the CLI write ``msg("Không tìm thấy cán bộ %(id)s", id=42)``
instead of a finished sentence. The Vietnamese text is the catalog's msgid (``pybabel
extract -k msg``, see ``babel.cfg``); the English lives in
``server/translations/en/LC_MESSAGES/messages.po``. The result is a ``str`` (the
Vietnamese, so logs and comparisons keep working) that remembers its msgid and
arguments, and ``server.messages`` renders it in the reader's language at the edge.

No Flask here: services stay plain.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

from sync.text import bilingual


class Msg(str):
    """A message for people: its Vietnamese text, plus what is needed to translate it."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, /, **params: Any) -> Msg:
        text = msgid % params if params else msgid
        self = super().__new__(cls, text)
        self.msgid = msgid
        self.params = params
        return self

    def render(self, translate: Callable[[str], str]) -> str:
        """The message in the language of ``translate`` (a catalog's ``gettext``).

        Arguments that are messages themselves are translated with it.
        """
        text = translate(self.msgid)
        if not self.params:
            return text
        values = {
            name: value.render(translate) if isinstance(value, Msg) else value
            for name, value in self.params.items()
        }
        return text % values


def msg(msgid: str, /, **params: Any) -> Msg:
    """A translatable message (Vietnamese ``msgid``, ``%(name)s`` placeholders)."""
    return Msg(msgid, **params)


TRANSLATIONS = Path(__file__).resolve().parent / "translations"


@cache
def _catalog(language: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [language], domain="messages")


def in_language(text: str, language: str) -> str:
    """``text`` in ``language`` (``"vi"``/``"en"``): a :class:`Msg` through the catalog,
    a ``"Tiếng Việt (English)"`` text of the ``sync`` library by splitting it."""
    if isinstance(text, Msg):
        return str.__str__(text) if language == "vi" else text.render(_catalog(language).gettext)
    return bilingual(text, language)


def both_languages(text: str) -> str:
    """``"Tiếng Việt (English)"``: what an API request without ``Accept-Language`` gets."""
    if not isinstance(text, Msg):
        return text
    vietnamese, english = in_language(text, "vi"), in_language(text, "en")
    return vietnamese if vietnamese == english else f"{vietnamese} ({english})"
