"""The playground's views of the Hub's tasks, in Chromium, on the tiny random models of
``tests/pipelines/tiny_models.py`` served by a live hfgate: a WAV uploaded and transcribed with its chunks'
timestamps, named entities marked in their text, labels as score bars, the answer marked in its context or
its table; an image's labels as score bars (typed labels for zero-shot) and its objects as boxes drawn over
it; and the endpoints list keeping an id on one line."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, Playwright, expect

from hfgate.api.ui.i18n import COOKIE as LOCALE_COOKIE
from hfgate.config import Settings
from tests.api.ui.conftest import CHROMIUM, CHROMIUM_ARGS, screenshot
from tests.api.ui.test_translations import LATIN_NAMES, TRANSLATED, _VisibleText
from tests.pipelines.tiny_models import build, tone_wav
from tests.vision.tiny_vision import LABELS, clip_model, picture, vit_classifier, yolos_detector

ENDPOINTS = {
    "ui-whisper": ("automatic-speech-recognition", "whisper"),
    "ui-kws": ("audio-classification", "audio_classifier"),
    "ui-ner": ("token-classification", "ner"),
    "ui-clf": ("text-classification", "classifier"),
    "ui-nli": ("zero-shot-classification", "nli"),
    "ui-qa": ("question-answering", "qa"),
    "ui-tqa": ("table-question-answering", "tapas"),
    "ui-mlm": ("fill-mask", "masked"),
    "ui-sum": ("summarization", "seq2seq"),
    "ui-mt": ("translation", "translator"),
    "ui-sim": ("sentence-similarity", None),
    "ui-img": ("image-classification", "vit"),
    "ui-zsic": ("zero-shot-image-classification", "clip"),
    "ui-det": ("object-detection", "yolos"),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live hfgate with its default endpoints and one ``local`` endpoint per task of :data:`ENDPOINTS`."""
    from tests.support.live_server import live_server

    tiny = build(tmp_path_factory.mktemp("tiny-models"))
    vision = {
        "vit": vit_classifier(tmp_path_factory.mktemp("tiny-vit")),
        "clip": clip_model(tmp_path_factory.mktemp("tiny-clip")),
        "yolos": yolos_detector(tmp_path_factory.mktemp("tiny-yolos")),
    }
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("ui-tasks"), log_format="text", log_level="warning", preload_models=False
    )
    with live_server(settings) as url:
        for inference_id, (task, model) in ENDPOINTS.items():
            path = (
                "sentence-transformers/all-MiniLM-L6-v2"
                if model is None
                else str(vision.get(model) or getattr(tiny, model))
            )
            body = {"service": "local", "service_settings": {"model": path}}
            created = httpx.put(f"{url}/_inference/{task}/{inference_id}?timeout=240s", json=body, timeout=300)
            assert created.status_code == 200, created.text
        yield url


def _playground(page: Page, base: str, inference_id: str) -> None:
    page.goto(f"{base}/ui/endpoints/{inference_id}/playground")


def test_an_uploaded_wav_is_transcribed_with_the_timestamps_of_its_chunks(page: Page, served: str) -> None:
    _playground(page, served, "ui-whisper")
    page.get_by_label("Audio file").set_input_files(
        {"name": "tone.wav", "mimeType": "audio/wav", "buffer": tone_wav(1.0)}
    )
    expect(page.locator("#audio-status")).to_contain_text("tone.wav")
    with page.expect_request(lambda r: r.url.endswith("/hf/ui-whisper")) as asked:
        page.get_by_role("button", name="Transcribe").click()
    expect(page.locator("#transcript")).not_to_be_empty(timeout=120_000)
    expect(page.locator("#speech-chunks li").first).to_contain_text(" s", timeout=5_000)
    sent = asked.value.post_data_json or {}
    assert sent["parameters"] == {"return_timestamps": True}
    assert str(sent["inputs"]).startswith("data:audio/wav;base64,")
    screenshot(page, "playground-speech-recognition")


def test_without_timestamps_the_wav_is_the_raw_body_with_its_content_type(page: Page, served: str) -> None:
    _playground(page, served, "ui-whisper")
    page.get_by_label("Audio file").set_input_files(
        {"name": "tone.wav", "mimeType": "audio/wav", "buffer": tone_wav(1.0)}
    )
    page.get_by_label("Timestamps for each chunk").uncheck()
    with page.expect_request(lambda r: r.url.endswith("/hf/ui-whisper")) as asked:
        page.get_by_role("button", name="Transcribe").click()
    expect(page.locator("#transcript")).not_to_be_empty(timeout=120_000)
    assert asked.value.headers["content-type"] == "audio/wav"
    # (Chromium does not report a Blob body to Playwright; the transcript shows the server decoded it.)
    expect(page.locator("#speech-chunks li")).to_have_count(0)


def test_a_recording_from_the_microphone_is_sent_as_recorded(playwright_driver: Playwright, served: str) -> None:
    """Chromium's fake microphone (a beep): MediaRecorder's webm goes out as the raw body with its type."""
    fake_microphone = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + fake_microphone)
    try:
        page = browser.new_context(permissions=["microphone"]).new_page()
        _playground(page, served, "ui-whisper")
        page.get_by_role("button", name="Record from the microphone").click()
        expect(page.locator("#audio-status")).to_contain_text("Recording")
        page.wait_for_timeout(1500)
        page.get_by_role("button", name="Stop recording").click()
        expect(page.locator("#audio-status")).to_contain_text("Recorded:")
        page.get_by_label("Timestamps for each chunk").uncheck()
        with page.expect_request(lambda r: r.url.endswith("/hf/ui-whisper")) as asked:
            page.get_by_role("button", name="Transcribe").click()
        expect(page.locator("#transcript-result")).to_be_visible(timeout=120_000)
        assert asked.value.headers["content-type"].startswith(("audio/webm", "audio/ogg"))
        expect(page.locator("#error")).to_be_hidden()
    finally:
        browser.close()


def test_audio_classification_shows_a_bar_per_label(page: Page, served: str) -> None:
    _playground(page, served, "ui-kws")
    page.get_by_label("Audio file").set_input_files(
        {"name": "tone.wav", "mimeType": "audio/wav", "buffer": tone_wav(1.0)}
    )
    page.get_by_role("button", name="Classify").click()
    expect(page.locator("#scores li")).to_have_count(4, timeout=120_000)
    assert sorted(page.locator("#scores .text").all_text_contents()) == ["down", "no", "up", "yes"]


def test_image_classification_shows_the_image_and_a_bar_per_label(page: Page, served: str) -> None:
    _playground(page, served, "ui-img")
    page.get_by_label("Image file").set_input_files({"name": "cat.png", "mimeType": "image/png", "buffer": picture(3)})
    shown = page.get_by_role("img", name="The image chosen")
    expect(shown).to_be_visible()
    page.wait_for_function("document.getElementById('image-preview').naturalWidth === 48")  # decoded, not its alt
    with page.expect_request(lambda request: request.url.endswith("/hf/ui-img")) as asked:
        page.get_by_role("button", name="Classify").click()
    assert asked.value.headers["content-type"] == "image/png"
    expect(page.locator("#scores li")).to_have_count(4, timeout=120_000)
    assert sorted(page.locator("#scores .text").all_text_contents()) == sorted(LABELS)
    screenshot(page, "playground-image-classification")


def test_zero_shot_image_classification_sends_the_typed_labels_and_shows_their_bars(page: Page, served: str) -> None:
    _playground(page, served, "ui-zsic")
    page.get_by_label("Image file").set_input_files({"name": "cat.png", "mimeType": "image/png", "buffer": picture(3)})
    page.wait_for_function("document.getElementById('image-preview').naturalWidth === 48")
    page.get_by_label("Candidate labels, separated by commas").fill("cat, dog, sports car")
    with page.expect_request(lambda request: request.url.endswith("/hf/ui-zsic")) as asked:
        page.get_by_role("button", name="Classify").click()
    sent = json.loads(asked.value.post_data or "{}")
    assert sent["parameters"] == {"candidate_labels": ["cat", "dog", "sports car"]}
    assert base64.b64decode(sent["inputs"]) == picture(3)
    expect(page.locator("#scores li")).to_have_count(3, timeout=120_000)
    assert sorted(page.locator("#scores .text").all_text_contents()) == ["cat", "dog", "sports car"]


def test_object_detection_draws_a_box_over_the_image_for_each_object(page: Page, served: str) -> None:
    image = picture(3)
    expected = httpx.post(
        f"{served}/hf/ui-det", json={"inputs": base64.b64encode(image).decode(), "parameters": {"threshold": 0.2}}
    ).json()
    assert expected, "the tiny detector should find something at 0.2"
    _playground(page, served, "ui-det")
    page.get_by_label("Image file").set_input_files({"name": "street.png", "mimeType": "image/png", "buffer": image})
    page.wait_for_function("document.getElementById('image-preview').naturalWidth === 48")
    page.get_by_label("Lowest score shown (0 to 1)").fill("0.2")
    page.get_by_role("button", name="Detect objects").click()
    expect(page.locator("#detections li")).to_have_count(len(expected), timeout=120_000)
    boxes = page.locator("#detections-view .box")
    expect(boxes).to_have_count(len(expected))
    expect(page.get_by_role("img", name="The image with a box around each object found")).to_be_visible()
    first = expected[0]["box"]
    style = boxes.first.evaluate("(box) => [box.style.left, box.style.top, box.style.width, box.style.height]")
    wanted = [
        first["xmin"] / 48,
        first["ymin"] / 40,
        (first["xmax"] - first["xmin"]) / 48,
        (first["ymax"] - first["ymin"]) / 40,
    ]
    assert [float(value.rstrip("%")) for value in style] == pytest.approx([100 * w for w in wanted], abs=1e-3)
    assert str(page.locator("#detections-view .box span").first.text_content()).startswith(expected[0]["label"])
    screenshot(page, "playground-object-detection")


def test_named_entities_are_marked_in_the_text_with_a_legend(page: Page, served: str) -> None:
    _playground(page, served, "ui-ner")
    text = page.get_by_label("Text").input_value()
    page.get_by_role("button", name="Find entities").click()
    expect(page.locator("#entities-result")).to_be_visible(timeout=120_000)
    marks = page.locator("#entities mark.entity")
    assert marks.count() >= 1
    # The marked text is the text itself, cut at the answer's offsets, with nothing lost or added.
    assert page.locator("#entities").text_content() == text
    assert page.locator("#legend li").count() >= 1
    groups = {str(page.locator("#legend li").nth(i).text_content()) for i in range(page.locator("#legend li").count())}
    assert groups <= {"PER", "LOC", "O"}
    screenshot(page, "playground-token-classification")


def test_text_classification_shows_a_bar_per_label(page: Page, served: str) -> None:
    _playground(page, served, "ui-clf")
    page.get_by_role("button", name="Classify").click()
    expect(page.locator("#scores li")).to_have_count(3, timeout=120_000)
    assert sorted(page.locator("#scores .text").all_text_contents()) == ["negative", "neutral", "positive"]
    widths = page.locator("#scores .bar").evaluate_all("bars => bars.map((b) => b.getBoundingClientRect().width)")
    assert all(w > 0 for w in widths)
    screenshot(page, "playground-text-classification")


def test_zero_shot_scores_the_labels_typed_in(page: Page, served: str) -> None:
    _playground(page, served, "ui-nli")
    page.get_by_label("Candidate labels, separated by commas").fill("sport, music")
    page.get_by_role("button", name="Classify").click()
    expect(page.locator("#scores li")).to_have_count(2, timeout=120_000)
    assert sorted(page.locator("#scores .text").all_text_contents()) == ["music", "sport"]


def test_the_answer_is_marked_in_its_context_with_its_score(page: Page, served: str) -> None:
    _playground(page, served, "ui-qa")
    context = page.get_by_label("Context").input_value()
    with page.expect_response(lambda r: r.url.endswith("/hf/ui-qa"), timeout=120_000) as answered:
        page.get_by_role("button", name="Answer").click()
    answer = answered.value.json()
    expect(page.locator("#qa-result")).to_be_visible()
    mark = page.locator("#qa-highlighted mark.answer")
    expect(mark).to_have_text(context[int(str(answer["start"])) : int(str(answer["end"]))])
    expect(page.locator("#qa-summary")).to_contain_text(f"{answer['score']:.3f}")
    screenshot(page, "playground-question-answering")


def test_the_answer_cells_are_marked_in_the_table_typed_in(page: Page, served: str) -> None:
    _playground(page, served, "ui-tqa")
    page.get_by_label("Table").fill("City, Inhabitants\nParis, 2100000\nLyon, 520000")
    with page.expect_response(lambda r: r.url.endswith("/hf/ui-tqa"), timeout=120_000) as answered:
        page.get_by_role("button", name="Answer").click()
    asked, answer = answered.value.request.post_data_json, answered.value.json()
    assert asked["inputs"]["table"] == {"City": ["Paris", "Lyon"], "Inhabitants": ["2100000", "520000"]}
    expect(page.locator("#table-result")).to_be_visible()
    expect(page.locator("#answer-table th")).to_have_text(["City", "Inhabitants"])
    expect(page.locator("#answer-table mark.answer")).to_have_text(answer["cells"])
    screenshot(page, "playground-table-question-answering")
    page.get_by_label("Table").fill("City, Inhabitants\nParis")
    page.get_by_role("button", name="Answer").click()
    expect(page.locator("#error")).to_contain_text("2 cells")


def test_the_endpoint_list_keeps_an_id_on_one_line_at_1280_px(page: Page, served: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{served}/ui/")
    link = page.locator("#endpoints tbody th a", has_text=".smollm2-135m-instruct")
    lines = link.evaluate("a => a.querySelector('bdi').getClientRects().length")
    assert lines == 1
    height, line_height = link.evaluate(
        "a => [a.querySelector('bdi').getBoundingClientRect().height, parseFloat(getComputedStyle(a).lineHeight)]"
    )
    assert height <= line_height * 1.2
    # ...and the table still fits the page: the model column and the buttons give the width instead.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, "endpoints-1280")


def test_fill_mask_summarization_translation_and_similarity_show_their_outputs(page: Page, served: str) -> None:
    _playground(page, served, "ui-mlm")
    page.get_by_role("button", name="Fill the mask").click()
    expect(page.locator("#scores li").first).to_be_visible(timeout=120_000)
    assert "[MASK]" not in str(page.locator("#scores .text").first.text_content())
    for inference_id, button in [("ui-sum", "Summarize"), ("ui-mt", "Translate")]:
        _playground(page, served, inference_id)
        page.get_by_role("button", name=button).click()
        expect(page.locator("#rewrite-result")).to_be_visible(timeout=120_000)
    _playground(page, served, "ui-sim")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#scores li")).to_have_count(2, timeout=120_000)
    scores = [float(s) for s in page.locator("#scores .score").all_text_contents()]
    assert scores[0] > scores[1]  # the kitten is closer to the cat than the stock market is
    screenshot(page, "playground-sentence-similarity")


def test_a_refusal_shows_the_servers_reason(page: Page, served: str) -> None:
    _playground(page, served, "ui-mt")
    page.get_by_label("Source language").fill("en")
    page.get_by_role("button", name="Translate").click()
    expect(page.locator("#error")).to_contain_text("tgt_lang", timeout=120_000)


@pytest.mark.parametrize("tag", TRANSLATED)
def test_every_task_view_is_translated(tag: str, served: str) -> None:
    for inference_id in ENDPOINTS:
        response = httpx.get(
            f"{served}/ui/endpoints/{inference_id}/playground", cookies={LOCALE_COOKIE: tag}, timeout=30
        )
        parser = _VisibleText()
        parser.feed(response.text)
        english = sorted({word for word in parser.words if word not in LATIN_NAMES})
        assert not english, f"{tag} {inference_id}: untranslated words {english}"


def test_the_persian_page_marks_entities_right_to_left(page: Page, served: str) -> None:
    page.context.add_cookies([{"name": LOCALE_COOKIE, "value": "fa", "url": served}])
    _playground(page, served, "ui-ner")
    page.get_by_role("button", name="یافتن موجودیت‌ها").click()
    expect(page.locator("#entities-result")).to_be_visible(timeout=120_000)
    assert page.locator("#entities").text_content() == page.get_by_label("متن").input_value()
    screenshot(page, "playground-token-classification-fa")


def test_every_task_view_fits_a_phone_with_every_control_labelled(page: Page, served: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    for inference_id in ENDPOINTS:
        _playground(page, served, inference_id)
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
                .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || el.textContent.trim()))
                .map((el) => el.id || el.outerHTML)"""
        )
        assert unlabelled == [], f"{inference_id}: controls without a label: {unlabelled}"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{inference_id} is wider than the screen by {overflow}px"
    screenshot(page, "playground-sentence-similarity-narrow")
