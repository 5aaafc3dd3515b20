#!/usr/bin/env bash
# #54's last line on a lent GPU machine that has no vLLM: generation through hfgate's managed vLLM against
# transformers' generate (bench/gpu_bench.py generate --llm-engine vllm), with vLLM's CUDA build carried in.
#
# vLLM's wheel and what it needs beyond that machine's packages do not fit in one call's 64 MiB, so they come in
# two calls on the same warm machine; this script does, each time, what the payload present allows, and keeps
# what it unpacked in /tmp for the next call:
#   .gpu/   (call 1) whl/ (hfgate's wheels), stubs/, smollm2.tar.xz, bench-data.tar.xz and vsite.tar.xz
#           (vLLM and its pure-Python and small native needs, installed with --target, without
#           _C_stable_libtorch, the FlashAttention-2 and MoE kernels: Hopper runs FlashAttention 3)
#   .gpu-c/ (call 2) _C_stable_libtorch.abi3.so.xz (vLLM's own kernels, 53 MiB compressed)
# bench/gpu/vllm_payload.sh builds both here. Once everything is in place it runs the bench, writing
# bench.jsonl, the log of a vLLM started by hand and the GPU's use under $OUT.
set -u
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
T0=$(date +%s); say() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
G=${G:-/tmp/g} SITE=${SITE:-/tmp/site} VSITE=${VSITE:-/tmp/vsite} PY=${PY:-$(command -v python3)}
C_LIB=$VSITE/vllm/_C_stable_libtorch.abi3.so
if [ -f .gpu/vsite.tar.xz ] && [ ! -d "$VSITE/vllm" ]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  lscpu | grep -E "^Model name|^CPU\(s\)"
  mkdir -p "$G" "$SITE" "$VSITE"
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" .gpu/whl/*.whl || exit 1
  for t in smollm2 bench-data; do xz -dc ".gpu/$t.tar.xz" | tar x -C "$G" || exit 1; done
  xz -dc .gpu/vsite.tar.xz | tar x -C "$VSITE" || exit 1
  cp -r .gpu/stubs "$G/stubs"
  PYTHONPATH="$SITE:$PWD/src" $PY bench/gpu/prepare.py "$G" "$SITE" || exit 1
  say "unpacked: hfgate's wheels, vLLM without its kernels, the model ($(du -sh "$VSITE" | cut -f1) of vLLM)"
fi
if [ -f .gpu-c/_C_stable_libtorch.abi3.so.xz ] && [ ! -f "$C_LIB" ]; then
  xz -dc .gpu-c/_C_stable_libtorch.abi3.so.xz >"$C_LIB.part" && mv "$C_LIB.part" "$C_LIB" || exit 1
  say "unpacked vLLM's kernels"
fi
[ -d "$VSITE/vllm" ] || { say "no vLLM here: carry .gpu first"; exit 3; }
# the interpreter hfgate starts vLLM with: the machine's Python (torch) with vLLM's folder in front; FlashInfer
# is not carried, and vLLM's sampler imports it unless told not to
cat >/tmp/vllm-python <<EOF
#!/bin/sh
export PYTHONPATH=$VSITE VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1 VLLM_USE_FLASHINFER_SAMPLER=0
exec $PY "\$@"
EOF
chmod +x /tmp/vllm-python
/tmp/vllm-python -c "import vllm, torch; print('vllm', vllm.__version__, 'torch', torch.__version__)" 2>&1 | tail -3
[ -f "$C_LIB" ] || { say "vLLM's kernels missing: carry .gpu-c next"; exit 0; }
LLM=$G/smollm2-random HAND=http://127.0.0.1:18200
# a vLLM started by hand on the same snapshot: fails fast if vLLM cannot run here, warms torch.compile's cache,
# and is what the managed server's greedy answers must equal
/tmp/vllm-python -m vllm.entrypoints.openai.api_server --model "$LLM" --served-model-name hand --dtype bfloat16 \
  --host 127.0.0.1 --port 18200 --gpu-memory-utilization 0.25 >"$OUT/vllm-by-hand.log" 2>&1 &
HAND_PID=$!
up() { $PY -c "import urllib.request; urllib.request.urlopen('$HAND/health', timeout=2)" 2>/dev/null; }
for _ in $(seq 1 "${HAND_WAIT:-150}"); do
  up && break
  kill -0 $HAND_PID 2>/dev/null || break
  sleep 2
done
up || { say "vLLM by hand did not come up:"; tail -60 "$OUT/vllm-by-hand.log"; kill $HAND_PID; exit 4; }
say "vLLM by hand answers"
export PYTHONPATH="$SITE:$PWD/src:$PWD:$G/stubs" HFGATE_BENCH_DATA="$G/bench-data" HFGATE_VLLM_PYTHON=/tmp/vllm-python
export HFGATE_VLLM_GPU_MEMORY_SHARE=0.6  # beside the one by hand (0.25)
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
(nvidia-smi dmon -s u -d 1 >"$OUT/gpu-use.log" 2>&1 &)
timeout -k 5 "${BENCH_S:-420}" $PY bench/gpu_bench.py --device cuda --model none --llm "$LLM" \
  --out "$OUT/bench.jsonl" generate --llm-engine vllm --seconds "${SECONDS_EACH:-6}" --port 18130 --compare-url $HAND
say "bench rc $?"
kill $HAND_PID; pkill -f "nvidia-smi dmon"; sleep 3
