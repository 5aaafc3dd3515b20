"""What ``/v1/audio/transcriptions`` and ``/v1/audio/translations`` answer, by ``response_format``, from the
speech recognition task's answer (``{"text", "chunks": [{"text", "timestamp": [start, end]}]}``).

Shapes from OpenAI's API reference and the openai SDK's types (``Transcription``, ``TranscriptionVerbose``):
``json`` is ``{"text", "usage": {"type": "duration", "seconds"}}``; ``verbose_json`` adds ``task``,
``language``, ``duration``, ``segments`` (``id``, ``seek``, ``start``, ``end``, ``text``, ``temperature``;
not the decoder's ``tokens``, ``avg_logprob``, ``compression_ratio`` or ``no_speech_prob``, which the
task's answer does not carry) and ``words`` (``word``, ``start``, ``end``); ``text``, ``srt`` and ``vtt``
are plain text. A chunk whose end the model did not give (Whisper cut short) ends with the audio. Streamed
(``stream=true``), the text is OpenAI's ``TranscriptionStreamEvent``s: ``transcript.text.delta`` then
``transcript.text.done``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hfgate.api.sse import sse


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of the text and when it is said, in seconds."""

    text: str
    start: float
    end: float


def spans(body: Any, *, seconds: float) -> list[Span]:
    """The answer's chunks, each with its start and end; the whole text over the whole audio without them."""
    chunks = body.get("chunks")
    if chunks is None:
        return [Span(str(body["text"]).strip(), 0.0, round(seconds, 3))]
    out = []
    for chunk in chunks:
        start, end = chunk["timestamp"]
        start = 0.0 if start is None else float(start)
        out.append(Span(str(chunk["text"]).strip(), start, float(end) if end is not None else round(seconds, 3)))
    return out


def usage(seconds: float) -> dict[str, Any]:
    """OpenAI's usage of a model billed by the audio's length."""
    return {"type": "duration", "seconds": round(seconds, 3)}


def verbose(
    text: str,
    *,
    task: str,
    language: str,
    seconds: float,
    segments: Sequence[Span] | None,
    words: Sequence[Span] | None,
    temperature: float,
) -> dict[str, Any]:
    """``verbose_json``: the text, its segments and (when asked) its words, with their times."""
    answer: dict[str, Any] = {"task": task, "language": language, "duration": round(seconds, 3), "text": text}
    if segments is not None:
        answer["segments"] = [
            {"id": i, "seek": 0, "start": s.start, "end": s.end, "text": s.text, "temperature": temperature}
            for i, s in enumerate(segments)
        ]
    if words is not None:
        answer["words"] = [{"word": w.text, "start": w.start, "end": w.end} for w in words]
    answer["usage"] = usage(seconds)
    return answer


def text_events(text: str) -> list[bytes]:
    """The streamed answer: the text as one ``transcript.text.delta``, then ``transcript.text.done``."""
    return [sse({"type": "transcript.text.delta", "delta": text}), sse({"type": "transcript.text.done", "text": text})]


def srt(segments: Sequence[Span]) -> str:
    """SubRip subtitles: numbered cues, ``HH:MM:SS,mmm --> HH:MM:SS,mmm``."""
    cues = (f"{i}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n{s.text}\n" for i, s in enumerate(segments, 1))
    return "\n".join(cues)


def vtt(segments: Sequence[Span]) -> str:
    """WebVTT subtitles: the ``WEBVTT`` header, then cues ``HH:MM:SS.mmm --> HH:MM:SS.mmm``."""
    cues = (f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{s.text}\n" for s in segments)
    return "WEBVTT\n\n" + "\n".join(cues)


def _clock(seconds: float, point: str) -> str:
    """``01:02:03,456`` (SRT, ``point`` a comma) or ``01:02:03.456`` (WebVTT)."""
    millis = round(max(seconds, 0.0) * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{point}{millis:03d}"
