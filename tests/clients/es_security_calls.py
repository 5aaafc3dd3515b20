"""Drives the security API of Elasticsearch's official Python client (9.x) against a live hfgate with
keys on; prints what each call answered (or the error it raised), as JSON, for
tests/clients/test_es_security.py.

Usage: python es_security_calls.py HFGATE_URL BOOTSTRAP_KEY
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import elasticsearch
from elasticsearch import ApiError, Elasticsearch

READER = {"reader": {"cluster": ["monitor_inference"]}}
TEAM = {"team": {"applications": [{"application": "hfgate", "privileges": ["infer"], "resources": ["team-a-*"]}]}}
INDICES = {"search": {"cluster": ["monitor_inference"], "indices": [{"names": ["docs"], "privileges": ["read"]}]}}


def answer(call: Callable[[], Any]) -> Any:
    """The call's body, or ``{"status", "error"}`` when it raised."""
    try:
        return call().body
    except ApiError as exc:
        return {"status": exc.meta.status, "error": exc.body}


def main(url: str, boot: str) -> dict[str, Any]:
    es = Elasticsearch(url, api_key=boot, request_timeout=60)
    sec = es.security
    out: dict[str, Any] = {"client": elasticsearch.__versionstr__}
    out["reader"] = sec.create_api_key(name="app-reader", role_descriptors=READER).body
    out["team"] = sec.create_api_key(name="app-team", role_descriptors=TEAM, expiration="1d").body
    out["inherit"] = sec.create_api_key(name="ops-inherit").body
    out["indices"] = answer(lambda: sec.create_api_key(name="bad", role_descriptors=INDICES))
    reader = Elasticsearch(url, api_key=out["reader"]["encoded"], request_timeout=60)
    out["reader_lists_endpoints"] = answer(lambda: reader.inference.get())
    out["reader_creates_key"] = answer(lambda: reader.security.create_api_key(name="nope"))
    out["get_by_id"] = sec.get_api_key(id=out["team"]["id"]).body
    out["get_by_name_prefix"] = sec.get_api_key(name="app-*").body
    out["get_owner"] = sec.get_api_key(owner=True).body
    out["get_owner_and_name"] = sec.get_api_key(owner=True, name="ops-*").body
    out["get_id_and_name"] = answer(lambda: sec.get_api_key(id=out["team"]["id"], name="app-team"))
    out["get_other_user"] = sec.get_api_key(username="somebody").body
    out["query_all"] = sec.query_api_keys(query={"match_all": {}}, sort=[{"creation": "desc"}]).body
    out["query_prefix"] = sec.query_api_keys(query={"prefix": {"name": "app-"}}, sort="name", size=1).body
    expiring = {"bool": {"filter": [{"exists": {"field": "expiration"}}, {"range": {"expiration": {"lte": "now+2d"}}}]}}
    out["query_expiring"] = sec.query_api_keys(query=expiring).body
    out["query_terms"] = sec.query_api_keys(query={"terms": {"name": ["app-team", "ops-inherit"]}}, from_=1).body
    out["query_bad_field"] = answer(lambda: sec.query_api_keys(query={"term": {"secret": "x"}}))
    out["invalidate_ids"] = sec.invalidate_api_key(ids=[out["reader"]["id"], "no-such-key"]).body
    out["invalidate_name"] = sec.invalidate_api_key(name="app-team").body
    out["query_invalidated"] = sec.query_api_keys(
        query={"bool": {"must": [{"term": {"invalidated": True}}, {"term": {"username": "hfgate"}}]}}
    ).body
    out["reader_after_revoke"] = answer(lambda: reader.inference.get())
    reader.close()
    es.close()
    return out


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:3])))
