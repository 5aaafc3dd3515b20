"""Every one of Elasticsearch's ``inference`` and ``api_key`` YAML REST tests that hfgate does not run, and
why: the one list (``docs/testing.md`` lists it for readers).

Three kinds of entry:

- ``FILES``: whole files, by their path in the elasticsearch repository; none of their tests can apply.
- ``TESTS``: single tests of the files that run (``sources.TESTS``), by file and test name.
- ``NOOPS``: APIs a file's ``setup``/``teardown`` calls to prepare a cluster, answered here as done: they
  prepare nothing a gateway has, and the tests that run do not read what they would have made.
"""

from __future__ import annotations

_INFERENCE = "x-pack/plugin/inference/src/yamlRestTest/resources/rest-api-spec/test/inference/"
_INFERENCE_QA = "x-pack/plugin/inference/qa/"
_QA_SECURITY = _INFERENCE_QA + "inference-with-security/src/yamlRestTest/resources/rest-api-spec/test/inference/"
_QA_MULTI_NODE = _INFERENCE_QA + "multi-node/src/yamlRestTest/resources/rest-api-spec/test/inference/"
_XPACK = "x-pack/plugin/src/yamlRestTest/resources/rest-api-spec/test/"

_INDICES = (
    "needs Elasticsearch indices, mappings or search (semantic_text and semantic fields, retrievers, "
    "highlighters, kNN query vector builders, field caps): a gateway holds no documents"
)
_USERS = (
    "authenticates as users of Elasticsearch's native realm (security.put_user, security.put_role, Basic "
    "auth with a password) and uses user-level privileges (manage_own_api_key, index privileges): hfgate "
    "has gateway keys, not users or passwords"
)
_INDEX_PRIVILEGES = (
    "creates a key whose role_descriptors grant index privileges: hfgate has no indices and refuses what it "
    "cannot express with a 400 naming the field, by design"
)

_BY_REASON: dict[str, tuple[str, ...]] = {
    _INDICES: (*(_INFERENCE + name for name in (
        "100_semantic_text_auto_prefiltering.yml", "100_semantic_text_field_caps.yml",
        "100_semantic_text_multi_match.yml", "10_semantic_text_field_mapping.yml",
        "10_semantic_text_field_mapping_bwc.yml", "10_semantic_text_inference.yml",
        "110_embedding_query_vector_builder.yml", "120_semantic_field_mapping.yml", "130_semantic_field_query.yml",
        "140_semantic_field_query_vector_builder.yml", "150_semantic_field_inference.yml",
        "15_field_caps_inference.yml", "15_semantic_text_default_elser_selection.yml",
        "160_semantic_field_highlighter.yml", "160_semantic_field_source.yml",
        "170_semantic_field_doc_values_source.yml", "171_semantic_field_columnar_source.yml",
        "172_semantic_field_doc_values_source.yml", "173_semantic_field_columnar_source.yml",
        "180_semantic_text_doc_values_source.yml", "181_semantic_text_columnar_source.yml",
        "190_semantic_field_auto_prefiltering.yml", "20_semantic_text_field_mapper.yml",
        "20_semantic_text_field_mapping_incompatible_field_mapping.yml",
        "20_semantic_text_field_mapping_incompatible_field_mapping_bwc.yml",
        "20_semantic_text_field_mapping_incompatible_field_mapping_inference_metadata_fields.yml",
        "25_semantic_text_field_mapping_chunking.yml", "25_semantic_text_field_mapping_chunking_bwc.yml",
        "30_semantic_text_eis_default.yml", "30_semantic_text_inference.yml", "30_semantic_text_inference_bwc.yml",
        "30_semantic_text_inference_incompatible_models.yml", "30_semantic_text_query.yml",
        "31_semantic_text_ml_fallback.yml", "40_semantic_text_query.yml", "45_semantic_text_match.yml",
        "46_semantic_text_sparse_vector.yml", "47_semantic_text_knn.yml", "48_semantic_text_multi_match.yml",
        "50_semantic_text_query_inference_endpoint_changes.yml", "60_semantic_text_inference_update.yml",
        "60_semantic_text_inference_update_bwc.yml", "70_semantic_text_diversifty_retriever.yml",
        "70_semantic_text_diversify_retriever.yml", "70_semantic_text_exists_query.yml",
        "70_text_similarity_rank_retriever.yml", "75_text_similarity_rank_retriever_telemetry.yml",
        "80_random_rerank_retriever.yml", "90_semantic_text_highlighter.yml", "90_semantic_text_highlighter_bwc.yml",
        "90_semantic_text_source_filtering.yml", "semantic_text_byo.yml",
    )),
        _QA_SECURITY + "70_text_similarity_rank_retriever.yml",
        _QA_MULTI_NODE + "10_retriever_extended_telemetry.yml",
        _QA_MULTI_NODE + "10_text_similarity_reranker_cluster_stats.yml",
        _QA_MULTI_NODE + "20_knn_query_vector_builder_without_nlp.yml",
        _INFERENCE_QA + "rest/src/yamlRestTest/resources/rest-api-spec/test/inference/10_semantic_text_inference.yml",
    ),
    "runs Elasticsearch's own test service (streaming_completion_test_service), a plugin of its test "
    "cluster that hfgate does not have": (_INFERENCE + "200_chat_completion_non_streaming.yml",),
    "inference region policies (inference.put_region_policy, 9.5: the geographic areas or cloud regions "
    "inference may use; the audit file reads them back from an index), an API hfgate does not implement": (
        _INFERENCE + "170_region_policy_crud.yml",
        _INFERENCE + "175_region_policy_audit.yml",
        _QA_SECURITY + "80_region_policy_crud.yml",
    ),
    "reads xpack.usage (the cluster's feature usage, semantic_text fields per index)": (
        _XPACK + "inference/inference_usage.yml",
    ),
    _USERS: tuple(_XPACK + "api_key/" + name for name in (
        "10_basic.yml", "11_invalidation.yml", "20_query.yml", "21_query_with_aggs.yml", "30_update.yml",
        "40_view_role_descriptors.yml",
    )),
    "grants keys for a user by that user's password or access token (security.grant_api_key): hfgate has no "
    "users to grant for": tuple(_XPACK + "api_key/" + name for name in (
        "10_grant.yml", "12_grant.yml", "13_bulk_grant.yml", "30_grant.yml",
    )),
    "cross-cluster API keys (access to a remote cluster's indices)": (_XPACK + "api_key/50_cross_cluster.yml",),
}  # fmt: skip
FILES: dict[str, str] = {path: reason for reason, paths in _BY_REASON.items() for path in paths}

_ADMIN_USER = _XPACK + "api_key/60_admin_user.yml"
TESTS: dict[tuple[str, str], str] = {
    (_ADMIN_USER, "Test create api key"): _INDEX_PRIVILEGES,
    (_ADMIN_USER, "Test get api key (with role descriptors + metadata)"): _INDEX_PRIVILEGES,
    (_ADMIN_USER, "Test has privileges API for api key"): _INDEX_PRIVILEGES,
}

NOOPS: dict[str, str] = {
    "cluster.health": "waits for the cluster's shards (wait_for_status: yellow); a gateway has no shards",
    "security.put_privileges": "registers Elasticsearch application privileges; hfgate's one application "
    "(hfgate) has fixed privileges, its roles",
    "security.delete_privileges": "removes what security.put_privileges registered",
}
