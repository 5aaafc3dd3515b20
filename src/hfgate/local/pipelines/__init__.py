"""In-process runners of the Hub's tasks (``hfgate.pipelines``), one module per task or family of tasks,
found by task type through :data:`RUNNERS`."""

from __future__ import annotations

from collections.abc import Callable

from hfgate.local.pipelines.base import PipelineRunner, Runner
from hfgate.local.pipelines.fill_mask import MaskFiller
from hfgate.local.pipelines.question_answering import QuestionAnswerer
from hfgate.local.pipelines.speech import AudioClassifier, SpeechRecognizer
from hfgate.local.pipelines.table import TableQuestionAnswerer
from hfgate.local.pipelines.text2text import Summarizer, Translator
from hfgate.local.pipelines.text_classifier import TextClassifier
from hfgate.local.pipelines.token_classifier import TokenClassifier
from hfgate.local.pipelines.vision import ImageClassifier, ObjectDetector, ZeroShotImageClassifier
from hfgate.local.pipelines.zero_shot import ZeroShotClassifier
from hfgate.tasks import TaskType

__all__ = ["RUNNERS", "PipelineRunner", "Runner"]

RUNNERS: dict[TaskType, Callable[..., Runner]] = {
    TaskType.TEXT_CLASSIFICATION: TextClassifier,
    TaskType.TOKEN_CLASSIFICATION: TokenClassifier,
    TaskType.ZERO_SHOT_CLASSIFICATION: ZeroShotClassifier,
    TaskType.FILL_MASK: MaskFiller,
    TaskType.QUESTION_ANSWERING: QuestionAnswerer,
    TaskType.TABLE_QUESTION_ANSWERING: TableQuestionAnswerer,
    TaskType.SUMMARIZATION: Summarizer,
    TaskType.TRANSLATION: Translator,
    TaskType.AUTOMATIC_SPEECH_RECOGNITION: SpeechRecognizer,
    TaskType.AUDIO_CLASSIFICATION: AudioClassifier,
    TaskType.IMAGE_CLASSIFICATION: ImageClassifier,
    TaskType.ZERO_SHOT_IMAGE_CLASSIFICATION: ZeroShotImageClassifier,
    TaskType.OBJECT_DETECTION: ObjectDetector,
}
"""The runner of each Hub task the ``local`` service runs in-process (sentence-similarity is its embedder's)."""
