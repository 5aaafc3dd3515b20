"""``automatic-speech-recognition`` and ``audio-classification`` on transformers' pipelines, over audio
decoded by PyAV (``hfgate.pipelines.audio``) at the model's own sampling rate.

Speech longer than the model's window is cut into 30 s windows with 5 s overlaps, and the pipeline joins
their texts and timestamps (its ``chunk_length_s``, the same for Whisper and CTC models).

On the CPU a Whisper model's greedy text moves to CTranslate2 where it decodes the same tokens faster
(``whisper_ct2.py``); the windows and their joining stay the pipeline's.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from hfgate.local.pipelines.base import TransformersRunner, plain, refuse
from hfgate.local.pipelines.text2text import within_positions
from hfgate.local.pipelines.whisper_ct2 import CTranslateWhisper, start_switch
from hfgate.pipelines import PipelineAnswer
from hfgate.pipelines.audio import Samples, decode
from hfgate.pipelines.audio_classification import AudioClassification
from hfgate.pipelines.automatic_speech_recognition import Transcription
from hfgate.tasks import Usage

WINDOW_SECONDS = 30.0
"""Audio longer than this is cut into windows (Whisper hears 30 s at a time)."""
WHISPER_START_TOKENS = 4
"""``<|startoftranscript|>``, the language, the task and ``<|notimestamps|>``: what Whisper's decoder is given
before it writes."""


class _AudioRunner(TransformersRunner[Any]):
    @property
    def rate(self) -> int:
        return int(self.pipe.feature_extractor.sampling_rate)

    def heard(self, samples: Samples) -> dict[str, Any]:
        return {"raw": samples.array, "sampling_rate": samples.rate}


class SpeechRecognizer(_AudioRunner):
    task = "automatic-speech-recognition"

    def __init__(self, path: Path, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self.ctranslate2: CTranslateWhisper | None = None
        self.switched = threading.Event()
        """Set once the engine is chosen: :attr:`ctranslate2` is the converted model, or ``None`` (transformers)."""
        if self.pipe.type == "seq2seq_whisper":
            threads, device = kwargs.get("threads", 0), kwargs.get("device", "cpu")
            start_switch(self, path, kwargs.get("cache_dir"), threads=threads, device=device)
        else:
            self.switched.set()

    @property
    def engine(self) -> str:
        """``ctranslate2`` once Whisper's greedy text runs there, otherwise ``transformers``."""
        return "transformers" if self.ctranslate2 is None else "ctranslate2"

    async def run(self, request: Transcription) -> PipelineAnswer:
        samples = decode(request.audio, rate=self.rate)
        parameters = self._parameters(request, seconds=samples.seconds)
        output = await self._compute.run(self._transcribe, samples, parameters)
        usage = Usage(completion_tokens=len(self.pipe.tokenizer(output["text"])["input_ids"]))
        return PipelineAnswer(body=output, usage=usage, audio_seconds=samples.seconds)

    def _transcribe(self, samples: Samples, parameters: dict[str, Any]) -> dict[str, Any]:
        converted = self.ctranslate2
        if converted is not None and self._converted_decodes(converted, parameters):
            output = plain(converted.transcribe(self.pipe, self.heard(samples), parameters))
        else:
            output = plain(self.pipe(self.heard(samples), **parameters))
        chunks = output.get("chunks")
        answer: dict[str, Any] = {"text": output["text"].strip() if chunks is None else output["text"]}
        if chunks is not None:
            answer["chunks"] = [{"text": c["text"], "timestamp": list(c["timestamp"])} for c in chunks]
        return answer

    @staticmethod
    def _converted_decodes(converted: CTranslateWhisper, parameters: dict[str, Any]) -> bool:
        """Whether CTranslate2 decodes this request as transformers does: greedy text, no timestamps and no
        prompt, the language given or detectable by CTranslate2."""
        generate = parameters.get("generate_kwargs", {})
        plain_text = "return_timestamps" not in parameters and not generate.get("do_sample")
        return plain_text and "prompt_ids" not in generate and (bool(generate.get("language")) or converted.detects())

    def _parameters(self, request: Transcription, *, seconds: float) -> dict[str, Any]:
        whisper = self.pipe.type == "seq2seq_whisper"
        parameters: dict[str, Any] = {}
        if request.timestamps is not None:
            parameters["return_timestamps"] = "word" if request.timestamps == "word" else (True if whisper else "word")
        if seconds > WINDOW_SECONDS:
            parameters["chunk_length_s"] = WINDOW_SECONDS
        generate = within_positions(dict(request.generate or {}), self.pipe.model.config)
        if request.language or request.translate or request.prompt or request.temperature is not None:
            if not whisper:
                raise refuse(
                    "parameters.language",
                    "language, task, prompt and temperature apply to Whisper models "
                    f"only; [{self.name}] transcribes in the language it was trained on",
                )
            generate |= self._whisper(request)
        if whisper:
            self._fit_positions(generate)
        if generate:
            parameters["generate_kwargs"] = generate
        return parameters

    def _whisper(self, request: Transcription) -> dict[str, Any]:
        generate: dict[str, Any] = {}
        if request.language:
            generate["language"] = self._language(request.language)
        if request.translate:
            generate["task"] = "translate"
        if request.temperature:
            generate |= {"temperature": request.temperature, "do_sample": True}
        if request.prompt:
            ids = self.pipe.tokenizer.get_prompt_ids(request.prompt, return_tensors="pt")
            # the prompt's last tokens only, as OpenAI's Whisper reads it ("only the final 224 tokens of the
            # prompt": half the decoder's positions, after <|startofprev|>)
            keep = int(self.pipe.model.config.max_target_positions) // 2 - 1
            generate["prompt_ids"] = ids if len(ids) <= keep + 1 else self._torch_cat(ids[:1], ids[-keep:])
        return generate

    @staticmethod
    def _torch_cat(first: Any, rest: Any) -> Any:
        import torch

        return torch.cat([first, rest])

    def _fit_positions(self, generate: dict[str, Any]) -> None:
        """Whisper's output cut to what its decoder holds after its start, language, task and timestamp tokens
        and the prompt's (transformers refuses more): ``max_new_tokens`` at most the positions left."""
        prompt = generate.get("prompt_ids")
        taken = WHISPER_START_TOKENS + (len(prompt) if prompt is not None else 0)
        limit = max(1, int(self.pipe.model.config.max_target_positions) - taken)
        wanted = generate.get("max_new_tokens") or self.pipe.model.generation_config.max_new_tokens
        if wanted is not None or prompt is not None:
            generate["max_new_tokens"] = min(wanted or limit, limit)

    def _language(self, language: str) -> str:
        known = getattr(self.pipe.model.generation_config, "lang_to_id", None) or {}
        token = f"<|{language.lower()}|>"
        if known and token not in known:
            codes = ", ".join(sorted(k.strip("<|>") for k in known)[:20])
            raise refuse("parameters.language", f"`language` [{language}] is not one of the model's: {codes}, …")
        return language.lower()


class AudioClassifier(_AudioRunner):
    task = "audio-classification"

    async def run(self, request: AudioClassification) -> PipelineAnswer:
        samples = decode(request.audio, rate=self.rate)
        labels = len(self.pipe.model.config.id2label)
        parameters: dict[str, Any] = {"top_k": request.top_k or labels}
        if request.function_to_apply is not None:
            parameters["function_to_apply"] = request.function_to_apply
        output = await self._compute.run(lambda: plain(self.pipe(self.heard(samples), **parameters)))
        return PipelineAnswer(body=output, audio_seconds=samples.seconds)
