"""The settings the ``hugging_face`` service accepts, and how they must combine.

An endpoint is reached either by ``url`` (an Inference Endpoint, or any TEI / TGI / vLLM / SGLang /
llama.cpp / OpenAI-compatible server), by ``urls`` (several replicas of one such deployment, balanced)
or by ``model_id`` (a model served by Hugging Face's Inference Providers) — exactly one of them.
"""

from __future__ import annotations

from hfgate.services.embedding_shape import EMBEDDING_SHAPE_SETTINGS
from hfgate.services.price_setting import SPEND_SETTINGS
from hfgate.services.spec import CACHE_SETTING, GENERATION_TASK_SETTINGS, RERANK_TASK_SETTINGS, SettingSpec
from hfgate.tasks import TaskType
from hfgate.upstream.engines import ENGINES

EMBEDDING = frozenset({TaskType.TEXT_EMBEDDING})
COMPLETION = frozenset({TaskType.COMPLETION})
CHAT = frozenset({TaskType.CHAT_COMPLETION})
RERANK = frozenset({TaskType.RERANK})
DEFAULT_REQUESTS_PER_MINUTE = 3000
GENERATION_TASKS = ("text-generation", "text2text-generation", "conversational")
SPARSE = frozenset({TaskType.SPARSE_EMBEDDING})

SERVICE_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        name="url",
        updatable=True,
        label="Endpoint URL",
        description="An Inference Endpoint, or a TEI / TGI / vLLM / SGLang / llama.cpp / OpenAI-compatible server "
        "(give this or model_id); what serves it is detected again when it changes.",
    ),
    SettingSpec(
        name="urls",
        kind="list[str]",
        label="Endpoint URLs",
        description="Several replicas of one TEI / TGI / Inference Endpoint deployment: requests go to the least "
        "busy, a failing one is ejected for a while (give this, url or model_id).",
    ),
    SettingSpec(
        name="session_affinity",
        kind="bool",
        updatable=True,
        task_types=COMPLETION | CHAT,
        label="Session affinity",
        description="true (the default): with several urls, a session's requests go to the same replica "
        "(rendezvous hashing of its session id, else of its first messages), where its prompt prefix is cached; "
        "false: every request goes to the least busy.",
    ),
    SettingSpec(
        name="engine",
        choices=tuple(ENGINES),
        recorded=True,
        updatable=True,
        label="Engine",
        description="What serves url: detected at create (TEI and TGI by /info, vLLM, SGLang, llama.cpp and other "
        "OpenAI-compatible servers by /v1/models; pipeline posts to the url as given); give it to override.",
    ),
    SettingSpec(
        name="model_name",
        recorded=True,
        updatable=True,
        label="Served model name",
        description="The name the server at url checks in [model] (from its /v1/models); recorded at create.",
    ),
    SettingSpec(
        name="fallback",
        updatable=True,
        label="Fallback endpoint",
        description="Another inference endpoint of the same task type, used when all of this one's upstreams fail.",
    ),
    SettingSpec(
        name="model_id",
        label="Model id",
        description="A model served by Hugging Face's Inference Providers, e.g. meta-llama/Llama-3.1-8B-Instruct "
        "(give this or url).",
    ),
    SettingSpec(
        name="provider",
        default="auto",
        label="Inference Provider",
        description="For a model_id: auto (the first provider of the Hub's inferenceProviderMapping serving the task), "
        "a provider's name (together, groq, hf-inference…), or a router policy for chat: fastest, cheapest, preferred.",
    ),
    SettingSpec(
        name="served_by",
        recorded=True,
        label="Chosen provider",
        description="The provider chosen at create for a model_id (by provider and the Hub's mapping).",
    ),
    SettingSpec(
        name="provider_model",
        recorded=True,
        label="Provider's model id",
        description="The model's id at the chosen provider (the Hub mapping's providerId).",
    ),
    SettingSpec(
        name="api_key",
        secret=True,
        required=True,
        updatable=True,
        label="Access token",
        description="A Hugging Face access token (hf_…), sent as a bearer token.",
    ),
    SettingSpec(
        name="rate_limit",
        kind="object",
        updatable=True,
        default={"requests_per_minute": DEFAULT_REQUESTS_PER_MINUTE},
        label="Rate limit",
        description="Requests hfgate sends per minute to this url or model with this token.",
        children=(
            SettingSpec(
                name="requests_per_minute",
                kind="int",
                minimum=1,
                default=DEFAULT_REQUESTS_PER_MINUTE,
                label="Requests per minute",
                description="Default 3000.",
            ),
        ),
    ),
    SettingSpec(
        name="namespace",
        task_types=EMBEDDING,
        label="User / organization",
        description="Owner of the Inference Endpoint at url; when given, the endpoints API confirms the url "
        "belongs to it and serves an embedding model.",
    ),
    *EMBEDDING_SHAPE_SETTINGS,
    SettingSpec(
        name="max_input_tokens",
        kind="int",
        minimum=1,
        task_types=EMBEDDING | SPARSE,
        label="Max input tokens",
        description="Inputs are cut to 3 characters per token before sending.",
    ),
    SettingSpec(
        name="context_window",
        kind="int",
        minimum=1,
        recorded=True,
        updatable=True,
        label="Context window",
        description="The most tokens one input may hold on the server at url (TEI's /info, vLLM's /v1/models); "
        "recorded at create. Longer inputs are truncated by the server, as a local model truncates them.",
    ),
    SettingSpec(
        name="takes_images",
        kind="bool",
        recorded=True,
        updatable=True,
        task_types=EMBEDDING,
        label="Takes images",
        description="Whether the model at url embeds images in its texts' space (infinity's /models lists "
        "image_embed for a CLIP or SigLIP model); recorded at create. Images are sent only to an engine that "
        "embeds them (docs/services/hugging-face.md, Images on the hugging_face service).",
    ),
    SettingSpec(
        name="task",
        choices=GENERATION_TASKS,
        recorded=True,
        task_types=COMPLETION,
        label="Generation task",
        description="text-generation or text2text-generation; for hosted models it is taken from the Hub "
        "(conversational when the model is offered only for chat).",
    ),
    SettingSpec(
        name="served_model",
        recorded=True,
        label="Served model",
        description="The model a url serves (from the endpoints API or the server's /info); recorded at "
        "create, used to count tokens with its tokenizer.",
    ),
    CACHE_SETTING,
    *SPEND_SETTINGS,
)

_TGI_EXTRAS: tuple[SettingSpec, ...] = (
    SettingSpec(name="best_of", kind="int", minimum=1, task_types=COMPLETION, updatable=True),
    SettingSpec(name="decoder_input_details", kind="bool", task_types=COMPLETION, updatable=True),
    SettingSpec(name="frequency_penalty", kind="float", task_types=COMPLETION | CHAT, updatable=True),
    SettingSpec(name="presence_penalty", kind="float", task_types=CHAT, updatable=True),
    SettingSpec(name="top_n_tokens", kind="int", minimum=0, task_types=COMPLETION, updatable=True),
    SettingSpec(name="truncate", kind="int", minimum=1, task_types=COMPLETION, updatable=True),
    SettingSpec(name="typical_p", kind="float", minimum=0, task_types=COMPLETION, updatable=True),
    SettingSpec(name="watermark", kind="bool", task_types=COMPLETION, updatable=True),
)
TASK_SETTINGS: tuple[SettingSpec, ...] = GENERATION_TASK_SETTINGS + _TGI_EXTRAS + RERANK_TASK_SETTINGS
