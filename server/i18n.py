"""Languages: Japanese first, English second.

Every user-facing string is an English msgid marked with _() / N_() (Python) or {{ _() }}
(templates) and translated in gettext catalogs under web/locale/<lang>/LC_MESSAGES/*.po.
Each domain keeps its own .po file there (auth.po, areas.po, ...); they are merged at load,
so two people working on two domains never edit the same catalog.
"""
from __future__ import annotations

import contextvars
import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po

from server.config import WEB

LOCALES = ("ja", "en")
DEFAULT_LOCALE = "ja"
LOCALE_DIR = WEB / "locale"
TOKYO = ZoneInfo("Asia/Tokyo")

_current: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:
    """Marks a string for extraction; translated later, where it is shown."""
    return message


@cache
def catalog(locale: str) -> dict[str, str | tuple[str, ...]]:
    messages: dict[str, str | tuple[str, ...]] = {}
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            cat = read_po(fh, locale=locale)
        for msg in cat:
            if not msg.id or msg.fuzzy:
                continue
            if isinstance(msg.id, tuple):
                if all(msg.string):
                    messages[msg.id[0]] = tuple(msg.string)
            elif msg.string:
                messages[msg.id] = msg.string
    return messages


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def get_locale() -> str:
    return _current.get()


def gettext(message: str, **kwargs: object) -> str:
    text = catalog(get_locale()).get(message, message)
    if isinstance(text, tuple):
        text = text[0]
    return text % kwargs if kwargs else text


_ = gettext


def ngettext(singular: str, plural: str, n: int, **kwargs: object) -> str:
    found = catalog(get_locale()).get(singular)
    if isinstance(found, tuple):
        text = found[0] if len(found) == 1 or n == 1 else found[1]
    else:
        text = singular if n == 1 else plural
    kwargs.setdefault("num", n)
    return text % kwargs


def negotiate(user_locale: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The person's choice, then a remembered cookie, then the browser's languages, then Japanese."""
    for choice in (user_locale, cookie):
        if choice in LOCALES:
            return choice  # type: ignore[return-value]
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return DEFAULT_LOCALE


# 和暦: official documents show the era (令和8年 = 2026).
ERAS = ((dt.date(2019, 5, 1), "令和", "Reiwa"), (dt.date(1989, 1, 8), "平成", "Heisei"), (dt.date(1926, 12, 25), "昭和", "Showa"))


def wareki(day: dt.date, locale: str | None = None) -> str:
    locale = locale or get_locale()
    for start, ja, en in ERAS:
        if day >= start:
            year = day.year - start.year + 1
            if locale == "ja":
                return f"{ja}{'元' if year == 1 else year}年"
            return f"{en} {year}"
    return str(day.year)


def local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(TOKYO)


def format_datetime(value: dt.datetime | None, locale: str | None = None) -> str:
    if value is None:
        return ""
    locale = locale or get_locale()
    v = local(value)
    if locale == "ja":
        return f"{v.year}年{v.month}月{v.day}日 {v.hour}:{v.minute:02d}"
    return v.strftime("%-d %b %Y %H:%M")


def format_date(value: dt.date | dt.datetime | None, locale: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = local(value).date()
    locale = locale or get_locale()
    if locale == "ja":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.strftime("%-d %b %Y")


def install(env) -> None:  # a jinja2.Environment
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.globals.update(get_locale=get_locale, wareki=wareki)
    env.filters.update(datetime=format_datetime, date=format_date)
