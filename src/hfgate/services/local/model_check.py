"""Refusing, at create, a model that does not do the endpoint's task: a reranker for embeddings, a
sentence embedder for sparse vectors… (read from its config files, before any load)."""

from __future__ import annotations

from hfgate.errors import BadRequestError
from hfgate.local.catalog import ModelLocation
from hfgate.local.model_kind import ModelKind, hears, hub_tasks, model_kind, sees_and_reads
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import TaskType

_WANTED = {
    TaskType.TEXT_EMBEDDING: "a sentence embedding model (such as sentence-transformers/all-MiniLM-L6-v2)",
    TaskType.SPARSE_EMBEDDING: "a SPLADE model (a sentence-transformers SparseEncoder, or a *ForMaskedLM model)",
    TaskType.RERANK: "a cross-encoder (a sentence-transformers CrossEncoder, or a *ForSequenceClassification "
    "model with one label)",
    TaskType.COMPLETION: "a text generation model (a *ForCausalLM or *ForConditionalGeneration model, or a GGUF)",
    TaskType.CHAT_COMPLETION: "a text generation model (a *ForCausalLM or *ForConditionalGeneration model, or a GGUF)",
    TaskType.TEXT_CLASSIFICATION: "a classifier (a *ForSequenceClassification model)",
    TaskType.TOKEN_CLASSIFICATION: "a token classifier (a *ForTokenClassification model, such as an NER model)",
    TaskType.ZERO_SHOT_CLASSIFICATION: "a natural language inference model (a *ForSequenceClassification model with "
    "an entailment label, such as facebook/bart-large-mnli)",
    TaskType.FILL_MASK: "a masked language model (a *ForMaskedLM model)",
    TaskType.QUESTION_ANSWERING: "an extractive question answering model (a *ForQuestionAnswering model)",
    TaskType.TABLE_QUESTION_ANSWERING: "a table question answering model (TAPAS: a TapasForQuestionAnswering model)",
    TaskType.SUMMARIZATION: "an encoder-decoder model (BART, T5, Pegasus: a *ForConditionalGeneration model)",
    TaskType.TRANSLATION: "an encoder-decoder model (Marian, M2M100, NLLB, T5: a *ForConditionalGeneration model)",
    TaskType.SENTENCE_SIMILARITY: "a sentence embedding model (such as sentence-transformers/all-MiniLM-L6-v2)",
    TaskType.AUTOMATIC_SPEECH_RECOGNITION: "a speech recognition model (Whisper, or a *ForCTC model such as wav2vec2)",
    TaskType.AUDIO_CLASSIFICATION: "an audio classifier (a *ForAudioClassification model)",
    TaskType.IMAGE_CLASSIFICATION: "an image classifier (ViT, ConvNeXt, ResNet: a *ForImageClassification model)",
    TaskType.ZERO_SHOT_IMAGE_CLASSIFICATION: "an image-and-text model (CLIP, SigLIP: a CLIPModel or SiglipModel, "
    "such as openai/clip-vit-base-patch32)",
    TaskType.OBJECT_DETECTION: "an object detector (DETR, YOLOS: a *ForObjectDetection model, such as "
    "hustvl/yolos-small)",
}


def served_tasks(location: ModelLocation) -> frozenset[TaskType]:
    """Every task type the ``local`` service runs the model at ``location`` for: its kind's (an embedder's,
    a cross-encoder's…) and the Hub tasks its config says it does; a model that hears, or whose head is
    only a Hub task's, serves those alone. An image-and-text model (CLIP, SigLIP) keeps its kind's tasks
    (embedding texts and images) besides zero-shot image classification."""
    kind, hub = model_kind(location), hub_tasks(location)
    if hub and (hears(location.path) or (kind is ModelKind.PLAIN and not sees_and_reads(location.path))):
        return hub
    return kind.task_types | hub


def refuse_other_kind(endpoint: Endpoint, location: ModelLocation) -> None:
    """Nothing when the model at ``location`` serves ``endpoint``'s task type.

    Raises:
        BadRequestError: it does not; the message names ``service_settings.model``, what the model is,
            the task types it serves, and what the endpoint's task type needs.
    """
    served = served_tasks(location)
    if endpoint.task_type in served:
        return
    serves, kind = ", ".join(sorted(task.value for task in served)), model_kind(location).value
    raise BadRequestError(
        f"[service_settings.model] [{endpoint.service_settings['model']}] is {kind}, which serves "
        f"task type [{serves}], not [{endpoint.task_type.value}]; create a [{serves}] endpoint for it, or "
        f"give {_WANTED[endpoint.task_type]}",
        param="service_settings.model",
    )
