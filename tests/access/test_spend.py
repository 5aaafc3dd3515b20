"""Prices and spend: the cost of each request at its endpoint's price, in usage per key × endpoint × day,
in ``hfgate usage`` and in the Prometheus counter, against a hand-computed sum."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from hfgate.access.spend import Price, amount, micros, price_of, usd
from hfgate.cli import app
from hfgate.config import Settings
from tests.conftest import app_client
from tests.fakes.coding_model import CodingModel
from tests.support.live_server import live_server

PRICE = {"input": 1.5, "cached_input": 0.75, "output": 6}  # USD per million tokens
SYSTEM = "You are a careful coder"  # 5 words: the stand-in reports them as prefix-cached


@pytest.fixture
async def gateway(tmp_path: Path, model: CodingModel) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=tmp_path, provision_defaults=False, log_format="text", log_level="warning")
    async with app_client(settings) as http:
        body = {"service": "hugging_face", "service_settings": {"url": model.base, "api_key": "x", "price": PRICE}}
        created = await http.put("/_inference/chat_completion/coder", json=body)
        assert created.status_code == 200, created.text
        yield http


def chat(words: int) -> dict[str, object]:
    user = " ".join(["word"] * words)
    return {"model": "coder", "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]}


def test_a_price_per_million_tokens_is_micro_dollars_per_token_with_cached_input_apart() -> None:
    price = Price(input=Decimal("1.5"), cached_input=Decimal("0.75"), output=Decimal(6))
    # 100 prompt tokens of which 40 cached, 10 written: 60 × 1.5 + 40 × 0.75 + 10 × 6 = 90 + 30 + 60
    assert price.cost(input_tokens=100, cached_tokens=40, output_tokens=10) == Decimal(180)
    assert micros(Decimal("2.5")) == 3
    assert micros(Decimal("2.4999")) == 2


def test_a_machine_hour_becomes_one_price_per_token_from_its_measured_throughput() -> None:
    price = price_of({"price": {"per_hour": 2.5, "tokens_per_second": 1400}})
    assert price is not None
    # $2.50 an hour at 1400 tokens a second: 2.5 × 10^6 / (3600 × 1400) USD per million tokens
    assert price.input == price.output == price.cached_input == Decimal("2.5") * 1_000_000 / (3600 * 1400)
    assert micros(price.cost(input_tokens=5_040_000, cached_tokens=0, output_tokens=0)) == 2_500_000  # an hour's


def test_money_is_shown_exactly() -> None:
    assert usd(5_000_000) == "$5.00"
    assert usd(12_345) == "$0.012345"
    assert amount(2_500_000) == "2.5"
    assert price_of({}) is None
    assert price_of({"price": {}}) is None


async def test_spend_matches_a_hand_computed_sum_to_the_cent_per_key_endpoint_and_day(
    gateway: httpx.AsyncClient,
) -> None:
    sizes = [3, 17, 40, 1, 250, 9, 64, 128, 5, 33]
    counted_before = await spend_counted(gateway)
    expected = Decimal(0)
    for words in sizes:
        answer = await gateway.post("/v1/chat/completions", json=chat(words))
        assert answer.status_code == 200, answer.text
        usage = answer.json()["usage"]
        assert usage["prompt_tokens"] == 5 + words
        assert usage["completion_tokens"] == 12
        # by hand: the user's words at 1.5, the 5 cached system words at 0.75, 12 written at 6 (µ$ per token)
        cost = Decimal(words) * Decimal("1.5") + 5 * Decimal("0.75") + 12 * 6
        expected += cost.quantize(Decimal(1), rounding=ROUND_HALF_UP)  # each request rounded to the µ$
    report = (await gateway.get("/_usage", params={"by": "day"})).json()
    [line] = report["usage"]
    assert (line["key_name"], line["inference_id"]) == ("anonymous", "coder")
    assert "day" in line
    assert line["cost_micros"] == int(expected)
    assert Decimal(line["cost_usd"]) == expected / 1_000_000
    exact = sum(Decimal(w) * Decimal("1.5") + Decimal("3.75") + 72 for w in sizes) / 1_000_000  # no rounding
    assert Decimal(line["cost_usd"]).quantize(Decimal("0.01")) == exact.quantize(Decimal("0.01"))
    assert report["totals"]["cost_usd"] == line["cost_usd"]
    assert abs(await spend_counted(gateway) - counted_before - exact) < Decimal("0.000001")
    page = (await gateway.get("/ui/usage")).text
    assert "Spend per day" in page
    assert usd(int(expected)) in page


def test_hfgate_usage_shows_spend_per_day_and_keys_take_spend_limits(tmp_path: Path, model: CodingModel) -> None:
    runner = CliRunner()
    settings = Settings(data_dir=tmp_path, provision_defaults=False, log_format="text", log_level="warning",
                        api_keys=["boot"], secret_key="s")  # fmt: skip
    with live_server(settings) as url:
        common = ["--url", url, "--api-key", "boot"]
        boot = {"Authorization": "Bearer boot"}
        body = {"service": "hugging_face", "service_settings": {"url": model.base, "api_key": "x", "price": PRICE}}
        assert httpx.put(f"{url}/_inference/chat_completion/coder", json=body, headers=boot).status_code == 200
        assert httpx.post(f"{url}/v1/chat/completions", json=chat(10), headers=boot).status_code == 200
        usage = runner.invoke(app, ["usage", "--by", "day", *common])
        assert usage.exit_code == 0, usage.output
        assert "0.000091 USD" in usage.output  # 10 × 1.5 + 5 × 0.75 + 12 × 6 = 90.75 µ$, rounded
        made = runner.invoke(app, ["keys", "create", "team-a", "--role", "infer", "--usd-per-day", "2.5", *common])
        assert made.exit_code == 0, made.output
        listed = runner.invoke(app, ["keys", "list", "--json", *common])
        assert '"usd_per_day": "2.5"' in listed.output


async def spend_counted(gateway: httpx.AsyncClient) -> Decimal:
    """``hfgate_spend_usd_total`` of the ``coder`` endpoint (the process's counter, other tests' calls too)."""
    metrics = (await gateway.get("/metrics")).text
    found = [m for m in metrics.splitlines() if m.startswith('hfgate_spend_usd_total{endpoint="coder"')]
    return sum((Decimal(line.rsplit(" ", 1)[1]) for line in found), Decimal(0))


async def test_a_streamed_answer_is_priced_too(gateway: httpx.AsyncClient) -> None:
    body = chat(10) | {"stream": True, "stream_options": {"include_usage": True}}
    async with gateway.stream("POST", "/v1/chat/completions", json=body) as answer:
        assert answer.status_code == 200
        await answer.aread()
    [line] = (await gateway.get("/_usage")).json()["usage"]
    assert line["cost_micros"] == 15 + 4 + 72  # 10 × 1.5 + 5 × 0.75 (3.75, rounded with the rest) + 12 × 6


@pytest.mark.parametrize(
    ("price", "named"),
    [
        ({"per_hour": 2.5}, "[per_hour] needs [tokens_per_second]"),
        ({"per_hour": 2.5, "tokens_per_second": 100, "input": 1}, "gives both [per_hour] and ['input']"),
        ({"input": -1}, "[input] must be greater than or equal to [0]"),
        ({"input": "cheap"}, "field [input] is not of the expected type"),
    ],
)
async def test_a_bad_price_is_a_400_naming_the_field(
    gateway: httpx.AsyncClient, price: dict[str, object], named: str
) -> None:
    answer = await gateway.put("/_inference/chat_completion/coder/_update", json={"service_settings": {"price": price}})
    assert answer.status_code == 400
    assert named in answer.json()["error"]["reason"]
