"""Elasticsearch's official Python client (8.x) against a live hfgate: ping, info and the product header
(tests/clients/test_elasticsearch.py drives the inference API with the 8.x and 9.x clients)."""

from __future__ import annotations

import httpx
from elasticsearch import Elasticsearch


def test_ping_and_info_answer_as_elasticsearch_does(live_url: str) -> None:
    client = Elasticsearch(live_url)
    try:
        assert client.ping() is True
        info = client.info()
        assert info["tagline"] == "You Know, for Search"
        assert info["version"]["number"].startswith("8.")
    finally:
        client.close()


def test_every_elasticsearch_face_answer_carries_the_product_header_and_others_do_not(live_url: str) -> None:
    assert httpx.get(f"{live_url}/_inference/_all").headers["x-elastic-product"] == "Elasticsearch"
    missing = httpx.get(f"{live_url}/_inference/nope")
    assert missing.status_code == 404
    assert missing.headers["x-elastic-product"] == "Elasticsearch"
    assert "x-elastic-product" not in httpx.get(f"{live_url}/health").headers


def test_a_browser_asking_for_the_root_gets_the_page(live_url: str) -> None:
    response = httpx.get(f"{live_url}/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 307
    assert response.headers["location"] == "/ui/"
