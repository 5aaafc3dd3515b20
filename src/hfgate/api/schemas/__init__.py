"""Pydantic models of the request and response bodies of the routes not yet declared once (OpenAI's
Responses API, ``_hfgate/apply``), for the OpenAPI document only; the faces declared once
(:mod:`hfgate.api.declared`) document theirs with the models that decode them.

The routes read bodies with the small parsers in ``api/body.py`` and the faces (fast, and with error
messages in each face's words); these models describe the same bodies so that ``/openapi.json`` tells
client generators and the fuzzer (schemathesis, tests/api/test_fuzz_openapi.py) what each route takes
and returns. They never validate a request. :mod:`hfgate.api.schemas.document` attaches them.
"""
