"""Japanese first, English second: every marked string translated, every template renders in both.

When this fails after you added strings: run `.venv/bin/python -m server.i18n_tools extract <domain>`
and fill the Japanese with `.venv/bin/python -m server.i18n_tools fill ja < file.tsv`.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po
from jinja2 import ChainableUndefined

from server import i18n
from server.config import WEB, load
from server.i18n import LOCALES, format_date, format_datetime, negotiate, wareki
from server.i18n_tools import all_msgids, missing

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")
TEMPLATES = WEB / "templates"
PO_FILES = sorted((WEB / "locale").glob("*/LC_MESSAGES/*.po"))


def messages(po: Path):
    with po.open("rb") as fh:
        return [m for m in read_po(fh, locale=po.parts[-3]) if m.id]


def as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


# --- the catalogs -------------------------------------------------------------------------------

def test_strings_are_found_in_python_and_templates():
    ids = all_msgids()
    assert "Page not found" in ids  # server/errors.py
    assert "Skip to content" in ids  # web/templates/base.html


def test_every_marked_string_has_a_japanese_and_an_english_translation():
    gaps = missing()
    assert gaps == [], "untranslated (run i18n_tools extract <domain>, then fill ja):\n" + "\n".join(gaps)


@pytest.mark.parametrize("po", PO_FILES, ids=[f"{p.parts[-3]}/{p.name}" for p in PO_FILES])
def test_no_catalog_has_a_fuzzy_entry(po):
    fuzzy = [m.id for m in messages(po) if m.fuzzy]
    assert fuzzy == [], f"fuzzy entries in {po}: {fuzzy}"


@pytest.mark.parametrize("po", PO_FILES, ids=[f"{p.parts[-3]}/{p.name}" for p in PO_FILES])
def test_placeholders_are_the_same_in_the_msgid_and_its_translation(po):
    wrong = []
    for m in messages(po):
        wanted = set(PLACEHOLDER.findall(as_list(m.id)[0]))
        for text in as_list(m.string):
            if text and set(PLACEHOLDER.findall(text)) != wanted:
                wrong.append((m.id, text))
    assert wrong == [], f"placeholders differ in {po}: {wrong}"


def test_japanese_translations_are_japanese():
    """A msgid copied into the Japanese catalog unchanged is a missed translation."""
    untranslated = []
    for po in sorted((WEB / "locale" / "ja" / "LC_MESSAGES").glob("*.po")):
        for m in messages(po):
            for text in as_list(m.string):
                if text and re.search(r"[A-Za-z]{3}", as_list(m.id)[0]) and not JAPANESE.search(text):
                    untranslated.append((po.name, m.id, text))
    assert untranslated == []


def test_every_catalog_language_exists_for_every_domain():
    ja = {p.name for p in (WEB / "locale" / "ja" / "LC_MESSAGES").glob("*.po")}
    en = {p.name for p in (WEB / "locale" / "en" / "LC_MESSAGES").glob("*.po")}
    assert ja == en


def test_gettext_follows_the_current_locale_and_fills_placeholders():
    try:
        i18n.set_locale("ja")
        assert i18n.gettext("Page not found") == "ページが見つかりません"
        i18n.set_locale("en")
        assert i18n.gettext("Page not found") == "Page not found"
        assert i18n.gettext("Hello, %(name)s", name="Hanako") == "Hello, Hanako"
        i18n.set_locale("xx")  # unknown: Japanese
        assert i18n.get_locale() == "ja"
        assert i18n.gettext("An English sentence nobody marked") == "An English sentence nobody marked"
    finally:
        i18n.set_locale("ja")


@pytest.mark.parametrize(
    ("user", "cookie", "accept", "expected"),
    [
        (None, None, None, "ja"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "fr-FR,en;q=0.5", "en"),
        (None, None, "fr-FR", "ja"),
        (None, "en", "ja", "en"),
        ("ja", "en", "en", "ja"),
        ("en", None, None, "en"),
        ("xx", "yy", "zz", "ja"),
    ],
)
def test_the_language_is_the_persons_then_the_cookies_then_the_browsers_then_japanese(user, cookie, accept, expected):
    assert negotiate(user, cookie, accept) == expected


# --- templates ------------------------------------------------------------------------------------

def all_templates() -> list[str]:
    return sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))


class Lenient(ChainableUndefined):
    """Templates are rendered here with an empty context: anything missing is empty, even when called."""

    def __call__(self, *args, **kwargs):
        return self


def environment():
    """The app's Jinja environment with stand-ins for what Litestar adds at request time."""
    from server.rendering import make_environment

    env = make_environment()
    env.undefined = Lenient
    env.globals.update(settings=load({"TSUNAGU_DEMO": "1"}), csrf_token=lambda: "token",
                       url_for=lambda *a, **k: "/", url_for_static_asset=lambda *a, **k: "/static/x")
    return env


def fake_request() -> SimpleNamespace:
    return SimpleNamespace(scope={}, state=SimpleNamespace(current=None),
                           url=SimpleNamespace(path="/somewhere"), headers={}, cookies={})


@pytest.mark.parametrize("name", all_templates())
def test_every_template_compiles(name):
    environment().get_template(name)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", [t for t in all_templates() if not t.startswith("_macros/")])
def test_every_template_renders_in_both_languages(name, locale):
    env = environment()
    try:
        i18n.set_locale(locale)
        html = env.get_template(name).render(request=fake_request())
    finally:
        i18n.set_locale("ja")
    if "<html" in html:
        assert f'<html lang="{locale}">' in html
    if locale == "ja":
        leftovers = [m for m in english_sentences() if m in html]
        assert leftovers == [], f"{name} shows untranslated English in Japanese: {leftovers}"


def english_sentences() -> list[str]:
    """Marked strings long enough that finding one verbatim in a Japanese page means it was not translated."""
    return [m for m in all_msgids() if len(m) >= 12 and " " in m and "%(" not in m
            and i18n.catalog("ja").get(m) not in (None, m)]


def test_the_form_macros_render_in_both_languages():
    env = environment()
    source = ('{% import "_macros/forms.html" as f %}{{ f.csrf() }}'
              '{{ f.field("name", "Name", required=True, errors={"name": "Please check what you entered."}) }}'
              '{{ f.select("kind", "Kind", [(1, "One")], selected=1) }}'
              '{{ f.errors_summary({"name": "Please check what you entered."}) }}{{ f.phone("03-1234-5678") }}')
    for locale in LOCALES:
        try:
            i18n.set_locale(locale)
            html = env.from_string(source).render(request=fake_request())
        finally:
            i18n.set_locale("ja")
        assert 'href="tel:0312345678"' in html
        assert ("入力" in html) == (locale == "ja")


# --- pages through the app, in both languages ---------------------------------------------------------

async def test_every_parameterless_page_renders_in_both_languages(app, client, cast, sessionmaker, settings):
    """Each GET route without path parameters, anonymous and as several personas, in ja and en: never
    a 500, the page is in the language asked for, and no marked English sentence is left in a Japanese page."""
    from litestar.routes import HTTPRoute
    from sqlalchemy import update

    from server.users.models import User
    from tests.helpers import sign_in

    urls = sorted({r.path for r in app.routes if isinstance(r, HTTPRoute) and "GET" in r.methods
                   and "{" not in r.path and not r.path.startswith("/static")})
    sentences = english_sentences()
    checked = 0
    for who in (None, "coordinator", "commissioner", "csw", "council_chair", "prefecture_analyst"):
        if who:
            client.cookies.clear()
            await sign_in(client, sessionmaker, settings, cast.users[who])
        for locale in LOCALES:
            if who:  # a signed-in person's own choice wins over the cookie
                async with sessionmaker() as session:
                    await session.execute(update(User).where(User.id == cast.users[who].id).values(locale=locale))
                    await session.commit()
            else:
                client.cookies.set("lang", locale)
            for url in urls:
                response = await client.get(url, follow_redirects=False)
                assert response.status_code < 500, f"{who or 'anonymous'} {locale} {url}: {response.status_code}"
                if "<html" not in response.text or not response.headers.get("content-type", "").startswith("text/html"):
                    continue
                checked += 1
                assert f'<html lang="{locale}">' in response.text, f"{who or 'anonymous'} {locale} {url}"
                if locale == "ja":
                    leftovers = [m for m in sentences if m in response.text]
                    assert leftovers == [], f"{who or 'anonymous'} {url} shows untranslated English: {leftovers}"
    assert checked >= 4


# --- dates and 和暦 -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("day", "ja", "en"),
    [
        (dt.date(2026, 11, 26), "令和8年", "Reiwa 8"),
        (dt.date(2019, 5, 1), "令和元年", "Reiwa 1"),
        (dt.date(2019, 4, 30), "平成31年", "Heisei 31"),
        (dt.date(1989, 1, 8), "平成元年", "Heisei 1"),
        (dt.date(1989, 1, 7), "昭和64年", "Showa 64"),
        (dt.date(1926, 12, 25), "昭和元年", "Showa 1"),
    ],
)
def test_wareki(day, ja, en):
    assert wareki(day, "ja") == ja
    assert wareki(day, "en") == en


def test_wareki_follows_the_current_locale():
    try:
        i18n.set_locale("en")
        assert wareki(dt.date(2026, 1, 1)) == "Reiwa 8"
    finally:
        i18n.set_locale("ja")
    assert wareki(dt.date(2026, 1, 1)) == "令和8年"


def test_times_are_stored_in_utc_and_shown_in_tokyo():
    late = dt.datetime(2026, 11, 26, 15, 30, tzinfo=dt.UTC)  # 00:30 the next day in Tokyo
    assert format_datetime(late, "ja") == "2026年11月27日 0:30"
    assert format_datetime(late, "en") == "27 Nov 2026 00:30"
    assert format_date(late, "ja") == "2026年11月27日"
    assert format_date(dt.date(2026, 3, 5), "ja") == "2026年3月5日"
    assert format_date(dt.date(2026, 3, 5), "en") == "5 Mar 2026"
    assert format_date(None) == "" and format_datetime(None) == ""


def test_the_date_filters_are_available_in_templates():
    env = environment()
    late = dt.datetime(2026, 11, 26, 15, 30, tzinfo=dt.UTC)
    html = env.from_string("{{ t|datetime }} / {{ t|date }} / {{ wareki(d) }}").render(t=late, d=late.date())
    assert html == "2026年11月27日 0:30 / 2026年11月27日 / 令和8年"
