async def test_healthz_answers_ok_when_the_database_answers(client):
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_healthz_answers_503_when_the_database_does_not(client, app):
    await app.state.engine.dispose()

    class Broken:
        def connect(self):
            raise OSError("database down")

    app.state.engine = Broken()
    r = await client.get("/healthz")
    assert r.status_code == 503


async def test_unknown_page_is_a_japanese_404_with_csp(client):
    r = await client.get("/no-such-page")
    assert r.status_code == 404
    assert "ページ" in r.text
    assert "nonce-" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"]
