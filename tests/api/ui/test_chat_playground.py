"""The chat playground on the OpenAI face: system prompt, tools (declared, called, answered), tool_choice,
images, the page's session on /v1, and the Persian page, on the real SmolLM2-135M-Instruct."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from hfgate.api.ui.i18n import COOKIE as LOCALE_COOKIE
from tests.api.ui.conftest import API_KEY, put_endpoint, screenshot
from tests.api.ui.test_locales import _t, _untranslated
from tests.fakes.hf_server import TOKEN, FakeHF, Fault

CHAT_ID = "ui-chat-smollm"
WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}
# A 1x1 PNG, attached as a file.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _local_chat(base: str) -> str:
    """A chat_completion endpoint on the embedded SmolLM2 (the default one is a completion endpoint)."""
    if httpx.get(f"{base}/_inference/{CHAT_ID}").status_code == 404:
        body = {"service": "local", "service_settings": {"model": "HuggingFaceTB/SmolLM2-135M-Instruct"}}
        put_endpoint(base, f"chat_completion/{CHAT_ID}", body)
    return f"{base}/ui/endpoints/{CHAT_ID}/playground"


def _record_chat_requests(page: Page) -> list[dict[str, Any]]:
    """The bodies the page sends to the OpenAI face's chat, as they leave the browser."""
    sent: list[dict[str, Any]] = []

    def seen(request: Request) -> None:
        if request.url.endswith("/v1/chat/completions"):
            sent.append(request.post_data_json)

    page.on("request", seen)
    return sent


def _declare_tool(page: Page, *, name: str, parameters: str) -> None:
    page.locator("#tools-panel summary").click()
    page.get_by_role("button", name="Add a tool").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Description").fill("The current weather in a city")
    page.get_by_label("Parameters (JSON Schema)").fill(parameters)


def test_a_named_tool_is_called_answered_and_the_model_answers_after_the_result(page: Page, base_url: str) -> None:
    page.goto(_local_chat(base_url))
    sent = _record_chat_requests(page)
    _declare_tool(page, name="get_weather", parameters=json.dumps(WEATHER_SCHEMA))
    page.get_by_label("Tool choice").select_option(label="call get_weather")
    page.get_by_label("Your message").fill("What is the weather in Paris?")
    page.get_by_label("Max new tokens").fill("40")
    page.get_by_label("Temperature").fill("0")
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.locator(".call-name")).to_have_text("get_weather", timeout=120_000)
    expect(page.locator("#gen-status")).to_contain_text("Done:", timeout=120_000)
    arguments = json.loads(page.locator(".call-args").text_content() or "")
    assert arguments == {"city": "Paris"}
    assert sent[0]["stream"] is True
    assert sent[0]["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    function = {"name": "get_weather", "description": "The current weather in a city", "parameters": WEATHER_SCHEMA}
    assert sent[0]["tools"] == [{"type": "function", "function": function}]
    # Until the call is answered, only its result can be sent; the forced choice went back to auto.
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_disabled()
    expect(page.get_by_label("Tool choice")).to_have_value("auto")
    expect(page.get_by_label("Result of get_weather")).to_be_focused()
    screenshot(page, "playground-chat-tool-call")

    page.get_by_label("Result of get_weather").fill("Sunny, 21 °C")
    page.get_by_label("Tool choice").select_option("none")
    page.get_by_role("button", name="Send the results").click()
    answer = page.locator(".message.assistant").nth(1)
    expect(answer.locator(".token").first).to_be_visible(timeout=120_000)
    expect(page.locator("#gen-status")).to_contain_text("Done:", timeout=120_000)
    assert answer.locator(".token").count() >= 3
    call = sent[1]["messages"][-2]
    assert call["role"] == "assistant"
    assert call["content"] is None
    assert [c["function"]["name"] for c in call["tool_calls"]] == ["get_weather"]
    assert json.loads(call["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}
    result = sent[1]["messages"][-1]
    assert result == {"role": "tool", "tool_call_id": call["tool_calls"][0]["id"], "content": "Sunny, 21 °C"}
    assert sent[1]["tool_choice"] == "none"
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_enabled()
    screenshot(page, "playground-chat-tool-result")


def test_the_system_prompt_goes_first_in_every_request(page: Page, base_url: str) -> None:
    page.goto(_local_chat(base_url))
    sent = _record_chat_requests(page)
    page.get_by_label("System prompt").fill("You answer in one word.")
    page.get_by_label("Your message").fill("Hello")
    page.get_by_label("Max new tokens").fill("4")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#gen-status")).to_contain_text("Done:", timeout=120_000)
    page.get_by_label("System prompt").fill("You answer in French.")
    page.get_by_label("Your message").fill("Again")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".message")).to_have_count(4)
    expect(page.locator("#gen-status")).to_contain_text("Done:", timeout=120_000)
    first, second = sent
    assert first["messages"] == [
        {"role": "system", "content": "You answer in one word."},
        {"role": "user", "content": "Hello"},
    ]
    assert first["max_completion_tokens"] == 4
    assert "tools" not in first
    assert "tool_choice" not in first
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert second["messages"][0]["content"] == "You answer in French."


@pytest.mark.parametrize(
    ("name", "parameters", "error"),
    [
        ("get_weather", '{"type": "object", "properties": {', "The parameters are not valid JSON:"),
        ("get_weather", '["city"]', "The parameters must be a JSON Schema object"),
        ("get weather", "{}", "A tool's name is 1 to 64 letters, digits, _ or -."),
    ],
)
def test_an_invalid_tool_shows_its_error_and_sends_nothing(
    page: Page, base_url: str, name: str, parameters: str, error: str
) -> None:
    page.goto(_local_chat(base_url))
    sent = _record_chat_requests(page)
    _declare_tool(page, name=name, parameters=parameters)
    page.get_by_role("button", name="Send", exact=True).click()
    tool = page.locator("fieldset.tool")
    expect(tool.get_by_role("alert")).to_contain_text(error)
    expect(tool.locator('[aria-invalid="true"]')).to_be_focused()
    expect(page.locator("#error")).to_contain_text("nothing was sent")
    expect(page.locator(".message")).to_have_count(0)
    assert sent == []
    if "JSON:" in error:
        screenshot(page, "playground-chat-invalid-schema")


def test_the_image_control_is_disabled_for_a_local_model_and_says_why(page: Page, base_url: str) -> None:
    page.goto(_local_chat(base_url))
    expect(page.get_by_label("Attach an image file")).to_be_disabled()
    expect(page.get_by_label("or an image URL")).to_be_disabled()
    expect(page.locator("#image-hint")).to_contain_text("reads text only: the server refuses images to it")
    expect(page.get_by_role("group", name="Image")).to_have_attribute("aria-describedby", "image-hint")


def test_an_image_reaches_a_hugging_face_upstream_as_an_image_url_part(
    page: Page, base_url: str, fake_hf_server: FakeHF
) -> None:
    put_endpoint(
        base_url,
        "chat_completion/ui-chat-vision",
        {"service": "hugging_face", "service_settings": {"url": f"{fake_hf_server.base}/tgi", "api_key": TOKEN}},
    )
    page.goto(f"{base_url}/ui/endpoints/ui-chat-vision/playground")
    expect(page.get_by_label("Attach an image file")).to_be_enabled()
    page.get_by_label("Attach an image file").set_input_files(
        files=[{"name": "pixel.png", "mimeType": "image/png", "buffer": PIXEL}]
    )
    expect(page.locator("#image-preview img")).to_be_visible()
    page.get_by_label("Your message").fill("What is in this picture?")
    page.get_by_label("Max new tokens").fill("4")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#gen-status")).to_contain_text("Done: 4 tokens")
    expect(page.locator(".message.user img.attached")).to_be_visible()
    data_url = "data:image/png;base64," + base64.b64encode(PIXEL).decode()
    sent = [r.body for r in fake_hf_server.hits("/tgi/v1/chat/completions")][-1]
    assert sent["messages"][-1]["content"] == [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": data_url}},
    ]
    screenshot(page, "playground-chat-image")

    page.get_by_label("or an image URL").fill("http://example.com/cat.png")
    page.get_by_label("Your message").fill("And this one?")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#error")).to_contain_text("An image URL must start with https://")
    expect(page.get_by_label("or an image URL")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("or an image URL").fill("https://example.com/cat.png")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".message")).to_have_count(4)
    expect(page.locator("#gen-status")).to_contain_text("Done:")
    sent = [r.body for r in fake_hf_server.hits("/tgi/v1/chat/completions")][-1]
    assert sent["messages"][-1]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "https://example.com/cat.png"},
    }


def test_after_login_the_chat_streams_through_v1_with_the_page_session(page: Page, keyed_url: str) -> None:
    page.goto(f"{keyed_url}/ui/login?next=/ui/")
    page.get_by_label("Gateway API key").fill(API_KEY)
    page.get_by_role("button", name="Log in").click()
    put = httpx.put(
        f"{keyed_url}/_inference/chat_completion/{CHAT_ID}",
        json={"service": "local", "service_settings": {"model": "HuggingFaceTB/SmolLM2-135M-Instruct"}},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=120,
    )
    assert put.status_code in (200, 400), put.text  # 400: made by an earlier run of this module
    page.goto(f"{keyed_url}/ui/endpoints/{CHAT_ID}/playground")
    page.get_by_label("Your message").fill("Hello")
    page.get_by_label("Max new tokens").fill("4")
    with page.expect_response("**/v1/chat/completions") as answered:
        page.get_by_role("button", name="Send", exact=True).click()
    assert answered.value.status == 200
    assert "authorization" not in answered.value.request.headers
    expect(page.locator("#gen-status")).to_contain_text("Done:", timeout=120_000)


def test_the_persian_chat_playground_is_right_to_left_with_its_controls_translated(page: Page, base_url: str) -> None:
    url = _local_chat(base_url)
    page.context.add_cookies([{"name": LOCALE_COOKIE, "value": "fa", "url": base_url}])
    page.goto(url)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_label(_t("fa", "System prompt"))).to_have_attribute("dir", "auto")
    page.locator("#tools-panel summary").click()
    page.get_by_role("button", name=_t("fa", "Add a tool")).click()
    page.get_by_label(_t("fa", "Name"), exact=True).fill("get_weather")
    page.get_by_label(_t("fa", "Parameters (JSON Schema)")).fill("{")
    page.get_by_role("button", name=_t("fa", "Send"), exact=True).click()
    expect(page.locator("fieldset.tool").get_by_role("alert")).to_contain_text(
        _t("fa", "The parameters are not valid JSON: {reason}", reason="").strip()
    )
    expect(page.get_by_label(_t("fa", "Tool choice"))).to_contain_text(_t("fa", "call {name}", name="get_weather"))
    # The page's start is on the right: the system prompt label's words sit right of its box's middle.
    words = page.evaluate(
        """() => {
            const range = document.createRange();
            range.selectNodeContents(document.querySelector('label[for="system-prompt"]'));
            return range.getBoundingClientRect().left;
        }"""
    )
    box = page.locator("#system-prompt").bounding_box()
    assert box is not None
    assert words > box["x"] + box["width"] / 2
    assert _untranslated(page) == []
    screenshot(page, "locale-fa-chat-playground")


def test_a_refused_turn_shows_the_reason_and_puts_the_message_back(
    page: Page, base_url: str, fake_hf_server: FakeHF
) -> None:
    put_endpoint(
        base_url,
        "chat_completion/ui-chat-refused",
        {"service": "hugging_face", "service_settings": {"url": f"{fake_hf_server.base}/tgi", "api_key": TOKEN}},
    )
    page.goto(f"{base_url}/ui/endpoints/ui-chat-refused/playground")
    fake_hf_server.inject("/tgi/v1/chat/completions", Fault(status=422, body={"error": "Input validation error"}))
    page.get_by_label("Your message").fill("Hello there")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#error")).to_contain_text("Input validation error")
    expect(page.locator(".message")).to_have_count(0)
    expect(page.get_by_label("Your message")).to_have_value("Hello there")
    page.get_by_label("Max new tokens").fill("4")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#gen-status")).to_contain_text("Done: 4 tokens")
    sent = [r.body for r in fake_hf_server.hits("/tgi/v1/chat/completions")][-1]
    assert [m["role"] for m in sent["messages"]] == ["user"]
