"""Lighthouse mobile report for the sign-in page and the round page (issue 4).

Reproducible: installs lighthouse@12.2.3 into var/bench/lighthouse with npm when absent (never into
the root package.json: CI must not download it), makes a fresh SQLite database with the demo town
(`tsunagu migrate` + `tsunagu seed-demo`), serves the app on 127.0.0.1 with gzip in front of it (as
the reverse proxy of docs/deploy does), signs in the demo commissioner (民生委員) through the demo
sign-in button, and runs Lighthouse (mobile, default simulated throttling) against Debian's Chromium
for /signin and /round, three times each (the session cookie set in the browser before the run,
bench/lighthouse_run.mjs). Prints
each run and the median of each category. Targets: performance >= 95, accessibility 100, best
practices >= 95.

Usage: python -m bench lighthouse [--runs=3]
"""
from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LH_DIR = ROOT / "var" / "bench" / "lighthouse"
LH_VERSION = "12.2.3"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
SECRET = "bench-lighthouse-secret-0123456789-abcdef"
CATEGORIES = ("performance", "accessibility", "best-practices")
AUDITS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift",
          "speed-index")


def lighthouse_bin() -> Path:
    cli = LH_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
    if not cli.exists():
        LH_DIR.mkdir(parents=True, exist_ok=True)
        print(f"installing lighthouse@{LH_VERSION} into {LH_DIR} ...", flush=True)
        subprocess.run(["npm", "install", "--prefix", str(LH_DIR), "--no-audit", "--no-fund", "--loglevel=error",
                        f"lighthouse@{LH_VERSION}"], check=True)
    return cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the server: the app behind gzip, as a reverse proxy would send it -------------------------------

COMPRESSIBLE = re.compile(rb"^(text/|application/(json|javascript|manifest\+json)|image/svg)")


def gzip_asgi(app):
    """A small gzip wrapper (whole bodies: the app's pages and assets are small)."""
    async def wrapped(scope, receive, send):
        if scope["type"] != "http" or b"gzip" not in dict(scope.get("headers", [])).get(b"accept-encoding", b""):
            return await app(scope, receive, send)
        start: dict = {}
        body: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                return await send(message)
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            kinds = dict((k.lower(), v) for k, v in headers)
            data = b"".join(body)
            if COMPRESSIBLE.match(kinds.get(b"content-type", b"")) and b"content-encoding" not in kinds \
                    and len(data) > 256:
                data = gzip.compress(data, 6)
                headers.append((b"content-encoding", b"gzip"))
                headers.append((b"vary", b"accept-encoding"))
            headers.append((b"content-length", str(len(data)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": data})

        return await app(scope, receive, capture)

    return wrapped


def serve(port: int) -> None:
    """Child process: the app on 127.0.0.1:port (environment prepared by main())."""
    import uvicorn

    from server.app import create_app
    from server.config import load

    uvicorn.run(gzip_asgi(create_app(load())), host="127.0.0.1", port=port, log_level="warning")


def prepare(tmp: Path, port: int) -> dict[str, str]:
    env = {**os.environ, "TSUNAGU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'lh.db'}",
           "TSUNAGU_SECRET_KEY": SECRET, "TSUNAGU_DEMO": "1", "TSUNAGU_ORIGIN": f"http://localhost:{port}",
           "TSUNAGU_AUDIT_HEAD_FILE": str(tmp / "heads.log")}
    tsunagu = str(Path(sys.executable).with_name("tsunagu"))
    subprocess.run([tsunagu, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([tsunagu, "seed-demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    return env


def wait_up(base: str, timeout: float = 60) -> None:
    import httpx

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if httpx.get(f"{base}/signin", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the app did not start")


def commissioner_cookies(base: str) -> list[dict]:
    """Sign in the demo commissioner (民生委員) with the demo button; the browser's cookies."""
    import httpx

    with httpx.Client(base_url=base, follow_redirects=False) as c:
        page = c.get("/signin").text
        token = c.cookies.get("csrftoken")
        ids = [re.search(r'name="user_id" value="(\d+)"', li).group(1)
               for li in re.findall(r"<li>(.*?)</li>", page, re.DOTALL) if "/demo/signin" in li and "民生委員" in li]
        if not ids:
            raise SystemExit("no demo commissioner button on /signin")
        r = c.post("/demo/signin", data={"user_id": ids[0], "_csrf_token": token})
        assert r.status_code == 303, r.status_code
        assert c.get("/round").status_code == 200
        # Set in the browser itself (bench/lighthouse_run.mjs), so the page's fetch() calls carry them too.
        return [{"name": k, "value": v, "url": base} for k, v in c.cookies.items()]


def run_lighthouse(cli: Path, url: str, out: Path, cookies: list[dict] | None) -> dict:
    runner = LH_DIR / "run.mjs"
    shutil.copyfile(ROOT / "bench" / "lighthouse_run.mjs", runner)
    cmd = ["node", str(runner), url, str(out)]
    if cookies:
        cfile = out.with_suffix(".cookies.json")
        cfile.write_text(json.dumps(cookies))
        cmd.append(str(cfile))
    for attempt in range(3):  # Lighthouse sometimes fails to record a trace (NO_NAVSTART): run it again
        if subprocess.run(cmd, env={**os.environ, "CHROME_PATH": CHROME}).returncode == 0 and out.exists():
            break
        print(f"  (lighthouse failed on {url}, attempt {attempt + 1}; trying again)", flush=True)
    else:
        raise SystemExit(f"lighthouse failed three times on {url}")
    report = json.loads(out.read_text())
    scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
    scores.update({a: report["audits"][a]["numericValue"] for a in AUDITS})
    scores["failing"] = sorted(k for k, a in report["audits"].items()
                               if a.get("score") is not None and a["score"] < 0.9 and a.get("scoreDisplayMode") in
                               ("binary", "numeric", "metricSavings"))
    return scores


def main(argv: list[str]) -> None:
    runs = 3
    for a in argv:
        if a.startswith("--runs="):
            runs = int(a.split("=", 1)[1])
    cli = lighthouse_bin()
    port = free_port()
    base = f"http://localhost:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="tsunagu-lighthouse-"))
    env = prepare(tmp, port)
    server = subprocess.Popen([sys.executable, "-c", f"from bench.lighthouse import serve; serve({port})"],
                              env=env, cwd=ROOT)
    try:
        wait_up(base)
        cookies = commissioner_cookies(base)
        results: dict[str, list[dict]] = {"/signin": [], "/round": []}
        for path in results:
            for i in range(runs):
                scores = run_lighthouse(cli, base + path, tmp / f"{path.strip('/')}-{i}.json",
                                        cookies if path == "/round" else None)
                results[path].append(scores)
                print(f"{path} run {i + 1}: " + ", ".join(f"{c} {scores[c]}" for c in CATEGORIES)
                      + f" | LCP {scores['largest-contentful-paint']:.0f} ms, TBT {scores['total-blocking-time']:.0f} ms,"
                      f" CLS {scores['cumulative-layout-shift']:.3f}, FCP {scores['first-contentful-paint']:.0f} ms"
                      + (f" | below 0.9: {', '.join(scores['failing'])}" if scores["failing"] else ""), flush=True)
        print(f"\nLighthouse {LH_VERSION}, mobile, {CHROME}, median of {runs}:")
        for path, rows in results.items():
            med = {c: statistics.median(r[c] for r in rows) for c in CATEGORIES}
            spread = {c: (min(r[c] for r in rows), max(r[c] for r in rows)) for c in CATEGORIES}
            print(f"  {path:8} " + ", ".join(f"{c} {med[c]:g} ({spread[c][0]}-{spread[c][1]})" for c in CATEGORIES))
        print(f"  reports: {tmp}")
    finally:
        server.terminate()
        server.wait(timeout=20)
    if os.environ.get("LH_KEEP") != "1":
        shutil.rmtree(tmp / "lh.db", ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
