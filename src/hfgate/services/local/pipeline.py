"""The ``local`` service's model objects for the Hub's tasks (``hfgate.pipelines``): a runner of the
endpoint's task (``local/pipelines/``) loaded once per process into the shared model cache, and sentence
similarity on the endpoint's sentence embedder."""

from __future__ import annotations

from functools import partial

from hfgate.local.catalog import ModelLocation
from hfgate.local.pipelines import RUNNERS, Runner
from hfgate.pipelines import PipelineAnswer, PipelineRequest
from hfgate.pipelines.sentence_similarity import SentenceSimilarity
from hfgate.registry.endpoint import Endpoint
from hfgate.services.local.base import LocalModel
from hfgate.services.local.embedding import LocalEmbedder
from hfgate.tasks import EmbedRequest, TaskType

PIPELINES = frozenset(RUNNERS)
SIMILARITY = frozenset({TaskType.SENTENCE_SIMILARITY})


def pipeline_key(task: TaskType, location: ModelLocation) -> str:
    return f"pipeline:{task.value}:{location.path}"


class LocalPipeline(LocalModel[Runner]):
    """Answers the endpoint's Hub task with its runner."""

    async def load(self) -> None:
        await self.runner()

    async def pipeline(self, request: PipelineRequest) -> PipelineAnswer:
        return await (await self.runner()).run(request)

    async def checked(self) -> Endpoint:
        """Load the model, as Elasticsearch's create runs one call: a model its runner refuses fails here."""
        await self.runner()
        return self.endpoint

    async def runner(self) -> Runner:
        """The endpoint's loaded runner."""
        task = self.endpoint.task_type
        kind = partial(RUNNERS[task], cache_dir=self.models.context.settings.data_dir / "models")
        return await self.batched(kind, key=lambda location: pipeline_key(task, location))


class LocalSimilarity(LocalEmbedder):
    """Sentence similarity: the cosine of the source sentence's vector with each other's."""

    async def pipeline(self, request: PipelineRequest) -> PipelineAnswer:
        assert isinstance(request, SentenceSimilarity)
        texts = (request.source_sentence, *request.sentences)
        result = await self.embed(EmbedRequest(texts=texts, normalize=True, timeout=request.timeout))
        source, *others = list(result.embeddings)
        scores = [sum(a * b for a, b in zip(source, other, strict=True)) for other in others]
        return PipelineAnswer(body=scores, usage=result.usage)
