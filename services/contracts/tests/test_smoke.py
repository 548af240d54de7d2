async def test_health(client):
    r = await client.get("/healthz")
    assert r.json()["service"] == "contracts"
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    r = await client.get("/v1/me")
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] == "UNAUTHENTICATED"
