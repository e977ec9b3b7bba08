"""Browser harness: a real server on a free loopback port, Debian's Chromium through Playwright,
a CDP virtual authenticator for real passkey ceremonies, axe-core and a 320px sideways-scroll check.

Chromium missing is a failure, never a skip: CI must not pass without the browser tests.
The server is reached as http://localhost:<port> because browsers refuse passkeys on an IP address.

All three processes agree on the suite's pinned clock (tests/clock.py): this one through
time-machine, the server through TSUNAGU_PINNED_NOW (read when it starts), Chromium through
Playwright's clock (installed before the first page loads). Time runs on from the pin in each.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from server.config import ROOT

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SECRET = "browser-test-secret-key-0123456789-abcdef"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    database_url: str
    env: dict[str, str]
    process: subprocess.Popen | None = None
    seeded: dict[str, Any] = field(default_factory=dict)

    def run(self, coro_fn: Callable[..., Any]) -> Any:
        """Run `await coro_fn(session)` against the server's database and commit (seeding, checks)."""
        from server.audit import service as audit_service
        from server.db import make_engine, make_sessionmaker

        async def go() -> Any:
            audit_service.configure(SECRET)
            engine = make_engine(self.database_url)
            try:
                async with make_sessionmaker(engine)() as session:
                    result = await coro_fn(session)
                    await session.commit()
                    return result
            finally:
                await engine.dispose()

        # Playwright's sync API keeps an event loop running in this thread: use another thread.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, go()).result()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A freshly migrated SQLite file and `uvicorn` serving the real app on a free port."""
    from server.migrate import upgrade

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'browser.db'}"
    upgrade(database_url)
    port = _free_port()
    env = dict(os.environ, TSUNAGU_DATABASE_URL=database_url, TSUNAGU_ORIGIN=f"http://localhost:{port}",
               TSUNAGU_SECRET_KEY=SECRET, TSUNAGU_AUDIT_HEAD_FILE=str(tmp_path / "heads.log"), TSUNAGU_DEMO="0")
    server = LiveServer(url=f"http://localhost:{port}", database_url=database_url, env=env)
    yield server
    if server.process is not None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()


def start(server: LiveServer) -> LiveServer:
    """Start serving (after seeding, so the app sees the data); waits for /healthz."""
    port = server.url.rsplit(":", 1)[1]
    # The pinned clock has run on since the test began: hand the server the instant it reads now.
    # Both readings are taken together, so the server's clock matches ours however long it takes to start.
    from time_machine import escape_hatch

    server.env["TSUNAGU_PINNED_NOW"] = dt.datetime.now(dt.UTC).isoformat()
    server.env["TSUNAGU_PINNED_SINCE"] = repr(escape_hatch.time.time() if escape_hatch.is_travelling() else time.time())
    log = open(Path(server.database_url.split("///", 1)[1]).with_suffix(".log"), "wb")  # noqa: SIM115
    server.process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "server.app:create_app", "--host", "127.0.0.1",
         "--port", port, "--log-level", "warning"],
        cwd=ROOT, env=server.env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"the server exited with {server.process.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    pytest.fail("the server did not answer /healthz within 30 seconds")


@pytest.fixture
def browser_context(tmp_path: Path) -> Iterator[Any]:
    """A fresh Chromium profile in Japanese. No Chromium means a failed test, not a skipped one."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            locale="ja-JP", viewport={"width": 390, "height": 844})
        context.set_default_timeout(15_000)
        context.clock.install(time=dt.datetime.now(dt.UTC))
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context):
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors  # type: ignore[attr-defined]
    return page


def virtual_authenticator(page) -> tuple[Any, str]:
    """A platform authenticator with resident keys and user verification, answering by itself."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    result = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "ctap2Version": "ctap2_1", "transport": "internal",
        "hasResidentKey": True, "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True, "hasPrf": True,
    }})
    return cdp, result["authenticatorId"]


def without_passkey_autofill(page) -> None:
    """Like a browser that offers no passkey autofill: sign-in goes through the big button.

    (Chromium's virtual authenticator answers an autofill request by itself, which would sign
    in before the button could be pressed.)
    """
    page.add_init_script("if (window.PublicKeyCredential) "
                         "PublicKeyCredential.isConditionalMediationAvailable = async () => false;")


def switch_person(page, server: LiveServer, cookie: str, token: str) -> None:
    """Sign the browser in as someone else by swapping only the session cookie.

    The CSRF cookie is kept: the previous page's late requests (its lazy fragments, the worker's
    bundle fetch) would otherwise arrive with no CSRF cookie, each be given a new one, and one of
    them could replace the cookie the next page's forms were rendered against (a 403 on the next
    form post, seen in about one run in six). The page is first taken away from the app."""
    page.goto("about:blank")
    page.context.clear_cookies(name=cookie)
    page.context.add_cookies([{"name": cookie, "value": token, "url": server.url}])


def credentials(cdp, authenticator_id: str) -> list[dict]:
    return cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]


def axe_check(page) -> None:
    """Runs axe-core in the page (evaluate is not subject to the page's CSP); fails on serious or critical."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci`")
    page.evaluate("() => { " + AXE.read_text(encoding="utf-8") + "\n; return typeof window.axe; }")
    violations = page.evaluate("""async () => {
        const result = await window.axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                              targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
    }""")
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe found serious problems on {page.url}: {bad}"


def assert_no_sideways_scroll(page, width: int = 320) -> None:
    """What 200% zoom on a phone gives: nothing may scroll sideways at 320 CSS pixels."""
    page.set_viewport_size({"width": width, "height": 720})
    page.wait_for_timeout(50)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} scrolls sideways at {width}px (scrollWidth {scroll_width})"


# --- seeding (swap for server/users and server/areas service calls when they land) ---------------

async def seed_invited(session, *, name: str = "鈴木 一郎", role: str = "volunteer") -> dict:
    from server.auth.invitations import create_invitation
    from tests.auth.auth_builders import make_person, make_town

    town = await make_town(session)
    user = await make_person(session, town, role=role, name=name)
    token = await create_invitation(session, actor_id=None, user=user)
    return {"user_id": user.id, "token": token, "name": name}
