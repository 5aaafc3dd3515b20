"""The web page in a real browser against a live hfgate: add, list, try, stream, fail, update, delete."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.api.ui.conftest import put_endpoint, screenshot
from tests.fakes.hf_server import TOKEN, FakeHF, answer_for

EMBEDDING_ID = "ui-minilm"
LOCAL_MINILM = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2"}}


def add_local_embedding(page: Page, base_url: str, inference_id: str) -> None:
    page.goto(f"{base_url}/ui/new")
    page.get_by_label("Embeddings", exact=True).check()
    page.get_by_label("Local model, run by hfgate itself").check()
    page.get_by_label("Endpoint id").fill(inference_id)
    page.get_by_label("Model id or directory").fill("all-MiniLM-L6-v2")
    page.get_by_label("Max chunk size (words)").fill("20")
    page.get_by_role("button", name="Check and add").click()
    finished(page)
    outcome = page.locator("#outcome").inner_text()
    assert page.locator("#outcome-title").inner_text() == f"Endpoint {inference_id} added", outcome


def finished(page: Page) -> None:
    """Wait until the add form has the server's answer."""
    expect(page.get_by_role("button", name="Check and add")).to_be_enabled(timeout=60_000)


def test_form_adds_a_local_embedding_endpoint_and_the_table_lists_it(page: Page, base_url: str) -> None:
    add_local_embedding(page, base_url, EMBEDDING_ID)
    checks = page.locator("#checks > li")
    expect(checks).to_have_count(3)
    expect(checks.nth(0)).to_contain_text("The settings are complete and valid: passed")
    expect(checks.nth(1)).to_contain_text("The endpoint id is free: passed")
    expect(checks.nth(2)).to_contain_text("The model answered a test call: passed")
    expect(checks.nth(2)).to_contain_text("Vector dimensions: 384")
    screenshot(page, "add-model-success")

    page.get_by_role("link", name="See all endpoints").click()
    row = page.locator(f'tr[data-id="{EMBEDDING_ID}"]')
    expect(row).to_contain_text("Embeddings")
    expect(row.locator('td[data-label="Dimensions"]')).to_have_text("384")
    expect(row.locator('td[data-label="Chunking"]')).to_have_text("sentence, 20 words, overlap 1")
    expect(row.locator('td[data-label="Model or URL"]')).to_have_text("all-MiniLM-L6-v2")


def test_add_form_shows_only_the_fields_the_combination_needs(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/ui/new")
    page.get_by_label("Embeddings", exact=True).check()
    page.get_by_label("Local model, run by hfgate itself").check()
    expect(page.get_by_label("Hugging Face access token")).to_be_visible()  # for a gated or private Hub model
    expect(page.get_by_label("Strategy")).to_be_visible()
    page.get_by_label("Inference Endpoint, or a TEI / TGI server").check()
    expect(page.get_by_label("Hugging Face access token")).to_be_visible()
    expect(page.get_by_label("User or organization (optional)")).to_be_visible()
    expect(page.get_by_label("Generation task")).to_be_hidden()
    page.get_by_label("Text generation").check()
    expect(page.get_by_label("Generation task")).to_be_visible()
    expect(page.get_by_label("Strategy")).to_be_hidden()
    expect(page.get_by_label("User or organization (optional)")).to_be_hidden()
    page.get_by_label("Hugging Face hosted model").check()
    expect(page.get_by_label("Generation task")).to_be_hidden()
    expect(page.get_by_label("Model id on the Hub")).to_be_visible()


def test_validation_failure_is_explained_and_what_was_typed_stays(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/ui/new")
    page.get_by_label("Embeddings", exact=True).check()
    page.get_by_label("Hugging Face hosted model").check()
    page.get_by_label("Endpoint id").fill("ui-no-token")
    page.get_by_label("Model id on the Hub").fill("BAAI/bge-small-en-v1.5")
    page.get_by_role("button", name="Check and add").click()
    finished(page)
    expect(page.locator("#outcome-title")).to_have_text("The endpoint was not added")
    checks = page.locator("#checks > li")
    expect(checks.nth(0)).to_contain_text("The settings are complete and valid: failed")
    expect(checks.nth(0)).to_contain_text("[secret_settings] does not contain the required setting [api_key]")
    expect(checks.nth(1)).to_contain_text("not run")
    expect(checks.nth(2)).to_contain_text("not run")
    expect(page.get_by_label("Endpoint id")).to_have_value("ui-no-token")
    expect(page.get_by_label("Model id on the Hub")).to_have_value("BAAI/bge-small-en-v1.5")
    screenshot(page, "add-model-validation-failure")

    # A model that cannot be loaded passes the settings check and fails the test call, in words.
    page.get_by_label("Local model, run by hfgate itself").check()
    page.get_by_label("Endpoint id").fill("ui-missing-model")
    page.get_by_label("Model id or directory").fill("/nonexistent/model-dir")
    page.get_by_role("button", name="Check and add").click()
    finished(page)
    expect(checks.nth(2)).to_contain_text("The model answered a test call: failed")
    expect(checks.nth(0)).to_contain_text("passed")
    expect(page.get_by_label("Model id or directory")).to_have_value("/nonexistent/model-dir")
    assert httpx.get(f"{base_url}/_inference/ui-missing-model").status_code == 404


def test_playground_embeds_texts_with_dimensions_and_similarity_heat_map(page: Page, base_url: str) -> None:
    _ensure_embedding_endpoint(base_url)
    page.goto(f"{base_url}/ui/endpoints/{EMBEDDING_ID}/playground")
    page.get_by_role("button", name="Embed").click()
    expect(page.locator("#embed-summary")).to_have_text("Vectors: 3. Dimensions: 384.", timeout=30_000)
    cells = page.locator("#heatmap tbody td")
    expect(cells).to_have_count(9)
    diagonal = [float(cells.nth(i).inner_text()) for i in (0, 4, 8)]
    assert diagonal == [1.0, 1.0, 1.0]
    cat_kitten, cat_stocks = float(cells.nth(1).inner_text()), float(cells.nth(2).inner_text())
    assert cat_kitten > cat_stocks, "similar sentences must score higher than unrelated ones"

    page.get_by_role("button", name="Show chunks").click()
    expect(page.locator("#chunk-summary")).to_contain_text("(strategy: sentence)")
    assert page.locator("#chunked-text .chunk-no").count() >= 2
    assert page.locator("#chunked-text mark.overlap").count() >= 1
    screenshot(page, "playground-embeddings")

    page.goto(f"{base_url}/ui/")
    status = page.locator(f'tr[data-id="{EMBEDDING_ID}"] td[data-label="Last call"]')
    expect(status).to_contain_text("ok at")
    screenshot(page, "endpoints")


def test_streamed_generation_appears_token_by_token(page: Page, base_url: str, fake_hf_server: FakeHF) -> None:
    put_endpoint(
        base_url,
        "completion/ui-tgi",
        {"service": "hugging_face", "service_settings": {"url": f"{fake_hf_server.base}/tgi", "api_key": TOKEN}},
    )
    page.goto(f"{base_url}/ui/endpoints/ui-tgi/playground")
    prompt = "Tell me a story about a brave little robot"
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_label("Max new tokens").fill("8")
    # Count the output's changes as they happen: one per streamed token, not one at the end.
    page.evaluate(
        """() => {
            window.tokenMutations = 0;
            new MutationObserver((records) => { window.tokenMutations += records.length; })
                .observe(document.getElementById("output"), { childList: true });
        }"""
    )
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#gen-status")).to_contain_text("Done: 8 tokens")
    expected = "".join(answer_for(prompt)[:8])
    expect(page.locator("#output")).to_have_text(expected)
    assert page.locator("#output .token").count() == 8
    assert page.evaluate("window.tokenMutations") == 8
    screenshot(page, "playground-generation")


def test_settings_page_updates_secret_rate_limit_and_never_shows_the_secret(
    page: Page, base_url: str, fake_hf_server: FakeHF
) -> None:
    put_endpoint(
        base_url,
        "text_embedding/ui-tei",
        {"service": "hugging_face", "service_settings": {"url": f"{fake_hf_server.base}/tei", "api_key": TOKEN}},
    )
    page.goto(f"{base_url}/ui/endpoints/ui-tei")
    expect(page.locator("dl.summary")).to_contain_text("api_key stored encrypted, never shown")
    assert TOKEN not in page.content()
    page.get_by_label("New access token").fill("hf_rotated_token")
    page.get_by_label("Rate limit (requests per minute)").fill("120")
    page.get_by_label("Strategy").select_option("word")
    page.get_by_label("Max chunk size (words)").fill("40")
    page.get_by_label("Overlap (words)").fill("10")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#update-status")).to_have_text("Saved. New calls use these settings.")
    expect(page.get_by_label("New access token")).to_have_value("")
    screenshot(page, "endpoint-settings")

    stored = httpx.get(f"{base_url}/_inference/ui-tei").json()["endpoints"][0]
    assert stored["service_settings"]["rate_limit"] == {"requests_per_minute": 120}
    assert stored["chunking_settings"] == {"strategy": "word", "max_chunk_size": 40, "overlap": 10}
    page.reload()
    assert "hf_rotated_token" not in page.content()

    page.get_by_label("Overlap (words)").fill("30")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#update-status")).to_contain_text("Not saved:")
    expect(page.locator("#update-status")).to_contain_text("overlap")


def test_delete_asks_for_confirmation_then_removes_the_endpoint(page: Page, base_url: str) -> None:
    put_endpoint(
        base_url, "text_embedding/ui-doomed", {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2"}}
    )
    page.goto(f"{base_url}/ui/")
    delete = page.get_by_role("button", name="Delete ui-doomed")
    delete.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete ui-doomed?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator('tr[data-id="ui-doomed"]')).to_have_count(1)
    assert httpx.get(f"{base_url}/_inference/ui-doomed").status_code == 200

    delete.click()
    dialog.get_by_role("button", name="Delete").click()
    expect(page.locator("#status")).to_have_text("Deleted endpoint ui-doomed.")
    expect(page.locator('tr[data-id="ui-doomed"]')).to_have_count(0)
    assert httpx.get(f"{base_url}/_inference/ui-doomed").status_code == 404


def test_every_control_has_a_label_and_pages_fit_a_narrow_screen(page: Page, base_url: str) -> None:
    _ensure_embedding_endpoint(base_url)
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in (
        ("/ui/", "endpoints-narrow"),
        ("/ui/new", "add-model-narrow"),
        (f"/ui/endpoints/{EMBEDDING_ID}", None),
        (f"/ui/endpoints/{EMBEDDING_ID}/playground", None),
        ("/ui/batches", None),
    ):
        page.goto(f"{base_url}{path}")
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
                .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || el.textContent.trim()))
                .map((el) => el.id || el.name || el.outerHTML)"""
        )
        assert unlabelled == [], f"{path}: controls without a label: {unlabelled}"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is wider than the screen by {overflow}px"
        if name:
            screenshot(page, name)


def test_keyboard_alone_reaches_and_uses_the_delete_dialog(page: Page, base_url: str) -> None:
    put_endpoint(
        base_url, "text_embedding/ui-keys", {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2"}}
    )
    page.goto(f"{base_url}/ui/")
    page.get_by_role("button", name="Delete ui-keys").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    focused = page.evaluate("document.activeElement.dataset.delete")
    assert focused == "ui-keys", "focus must return to the button that opened the dialog"


def _ensure_embedding_endpoint(base_url: str) -> None:
    if httpx.get(f"{base_url}/_inference/{EMBEDDING_ID}").status_code == 404:
        put_endpoint(
            base_url,
            f"text_embedding/{EMBEDDING_ID}",
            {
                "service": "local",
                "service_settings": {"model": "all-MiniLM-L6-v2"},
                "chunking_settings": {"strategy": "sentence", "max_chunk_size": 20, "sentence_overlap": 1},
            },
        )


def test_chat_streams_the_reply_and_keeps_the_conversation(page: Page, base_url: str, fake_hf_server: FakeHF) -> None:
    put_endpoint(
        base_url,
        "chat_completion/ui-chat",
        {"service": "hugging_face", "service_settings": {"url": f"{fake_hf_server.base}/tgi", "api_key": TOKEN}},
    )
    page.goto(f"{base_url}/ui/endpoints/ui-chat/playground")
    page.get_by_label("Your message").fill("Hello there")
    page.get_by_label("Max new tokens").fill("4")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#gen-status")).to_contain_text("Done: 4 tokens")
    reply = page.locator(".message.assistant").last
    expect(reply.locator(".token")).to_have_count(4)
    expect(page.get_by_label("Your message")).to_have_value("")

    page.get_by_label("Your message").fill("And again")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".message")).to_have_count(4)
    expect(page.locator("#gen-status")).to_contain_text("Done:")
    sent = [r.body for r in fake_hf_server.hits("/tgi/v1/chat/completions")][-1]
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    screenshot(page, "playground-chat")
