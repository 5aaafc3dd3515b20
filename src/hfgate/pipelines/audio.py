"""Audio as requests send it (raw bytes, multipart, base64 in JSON), decoded to the samples a model hears.

Decoding uses PyAV (``av``): FFmpeg's decoders in a wheel, so every format a browser or a phone records
(wav, flac, mp3, ogg/opus, webm, m4a/aac) decodes with no system FFmpeg, and its resampler gives the
model's rate and one channel in the same pass. soundfile (libsndfile) reads neither webm nor m4a, and
transformers' own ``ffmpeg_read`` runs an ``ffmpeg`` binary the machine may not have.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hfgate.errors import RequestValidationError
from hfgate.pipelines.files import InputFile, base64_of, file_input

__all__ = ["AudioFile", "Samples", "audio_input", "base64_of", "decode", "silence_wav"]

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


AudioFile = InputFile
"""An audio file as it came (:class:`~hfgate.pipelines.files.InputFile`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Samples:
    """Decoded audio: mono float32 samples in -1..1 at ``rate`` Hz."""

    array: NDArray[np.float32]
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.array) / self.rate


def audio_input(inputs: Any, *, name: str = "inputs") -> AudioFile:
    """A JSON body's ``inputs``: the audio file as base64 (what ``InferenceClient`` sends with parameters).

    Raises:
        RequestValidationError: not a base64 string.
    """
    return file_input(inputs, kind="audio", name=name)


def decode(audio: AudioFile, *, rate: int) -> Samples:
    """``audio``'s samples, resampled to ``rate`` Hz and mixed down to one channel.

    Raises:
        RequestValidationError: empty, not audio, truncated, or with no audio stream; names the field.
    """
    if not audio.data:
        raise _not_audio(audio, "is empty (0 bytes)")
    import av
    import numpy as np

    chunks: list[NDArray[Any]] = []
    try:
        with av.open(io.BytesIO(audio.data), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise _not_audio(audio, "holds no audio stream")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            for frame in container.decode(audio=0):
                chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    except av.FFmpegError as exc:
        raise _not_audio(audio, f"could not be decoded ({exc.strerror or type(exc).__name__})") from None
    if not chunks:
        raise _not_audio(audio, "holds no audio samples (a truncated or empty file)")
    return Samples(array=np.concatenate(chunks).astype(np.float32, copy=False), rate=rate)


def _not_audio(audio: AudioFile, problem: str) -> RequestValidationError:
    sent = f" (sent as {audio.content_type})" if audio.content_type else ""
    return RequestValidationError(
        [f"`{audio.field}`{sent} {problem}: send an audio file (wav, flac, mp3, ogg, webm or m4a)"], param=audio.field
    )


def silence_wav(seconds: float = 0.5, *, rate: int = 16000) -> bytes:
    """A WAV file of silence (16-bit mono PCM): what a create-time test call sends a speech model."""
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(b"\0\0" * int(seconds * rate))
    return out.getvalue()
