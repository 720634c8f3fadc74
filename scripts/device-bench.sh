#!/usr/bin/env bash
# Every GPU figure of issue 13 in one command on a lent GPU machine (docs/BENCHMARKS.md, "On a lent GPU").
#
#   bash scripts/device-bench.sh pack            here: Node, the runtime node_modules (Dawn for linux-x64
#                                                only) and the Vulkan loader's .deb into .device/ (ignored)
#   bash scripts/device-bench.sh run [--quick]   there (the device tool's `run`, carry [".device"]):
#                                                unpacks them, then writes every record under $OUT
#
# The device machine reaches no package registry (no npm ci there), so Node and the modules travel
# in .device/ (about 40 MiB of the 64 MiB a call may carry). `run --quick` is the same script at the
# smoke sizes: test it here on SwiftShader in a copy of the tree (see the docs).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
pack_dir=.device

pack() {
  rm -rf "$pack_dir" && mkdir -p "$pack_dir"
  echo "node $(node --version) -> $pack_dir/node.xz"
  xz -T0 -6 -c "$(command -v node)" >"$pack_dir/node.xz"
  # The runtime dependencies (npm's own list), Dawn for linux-x64 only; dev tools (vite, TF.js, Playwright) stay behind.
  npm ls --omit=dev --all --parseable 2>/dev/null | sed "s|^$here/||" | grep '^node_modules/' | sort -u >"$pack_dir/modules.txt"
  tar -cf - --exclude='node_modules/webgpu/dist/darwin-*' --exclude='node_modules/webgpu/dist/win32-*' \
    --exclude='node_modules/webgpu/dist/linux-arm64' --exclude='*.map' -T "$pack_dir/modules.txt" | xz -T0 -6 >"$pack_dir/modules.tar.xz"
  (cd "$pack_dir" && apt-get download libvulkan1 >/dev/null 2>&1) || echo "note: apt-get download libvulkan1 failed; the GPU machine must have its own Vulkan loader"
  du -sh "$pack_dir"/*
}

# xz may be missing there; Python's lzma is not.
unxz_to() { if command -v xz >/dev/null; then xz -dc "$1" >"$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"; fi; }

run() {
  local quick=() measure=(--measure-ms 800) started=$SECONDS
  [[ "${1:-}" == "--quick" ]] && quick=(--quick) && measure=()
  local out="${OUT:-$here/.device/out}"
  mkdir -p "$out"
  local log="$out/log.txt"
  : >"$log"
  say() { echo "[$((SECONDS - started)) s] $*" | tee -a "$log"; }

  local tools=/tmp/fusetune-device
  mkdir -p "$tools"
  if [[ -f "$pack_dir/node.xz" ]]; then
    unxz_to "$pack_dir/node.xz" "$tools/node" && chmod +x "$tools/node" && export PATH="$tools:$PATH"
  fi
  if [[ ! -d node_modules && -f "$pack_dir/modules.tar.xz" ]]; then
    if command -v xz >/dev/null; then tar -xJf "$pack_dir/modules.tar.xz"; else unxz_to "$pack_dir/modules.tar.xz" "$tools/modules.tar" && tar -xf "$tools/modules.tar"; fi
  fi
  command -v node >/dev/null || { say "no node: run 'bash scripts/device-bench.sh pack' here and carry .device"; return 1; }
  [[ -d node_modules ]] || { say "no node_modules and no .device/modules.tar.xz"; return 1; }
  # The Vulkan loader: the system's, else the carried Debian package unpacked beside the tools (not into /).
  if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
    for deb in "$pack_dir"/libvulkan1_*.deb; do [[ -f "$deb" ]] && dpkg -x "$deb" "$tools/vulkan"; done
    [[ -d "$tools/vulkan" ]] && export LD_LIBRARY_PATH="$tools/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  # NVIDIA's driver manifest where the device image keeps it, when no standard folder lists one.
  local nvidia=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [[ -f "$nvidia" && -z "${VK_DRIVER_FILES:-}" ]] && ! ls /etc/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json >/dev/null 2>&1; then
    export VK_DRIVER_FILES="$nvidia" VK_ICD_FILENAMES="$nvidia"
  fi
  export FUSETUNE_NO_SETUP=1
  local ft=(node bin/fusetune.js)
  say "node $(node --version); $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi')"

  "${ft[@]}" device --json >"$out/device.json" 2>>"$log" || { say "no WebGPU adapter"; return 1; }
  say "adapter: $(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(r.description||r.device, "| features:", r.features.join(" "))' "$out/device.json")"

  # 1. Every kernel and every matmul core this adapter can compile, against the float64 references.
  "${ft[@]}" check --json --seed 13 >"$out/check.jsonl" 2>>"$log"
  say "check: exit $?, $(grep -c '"ok":true' "$out/check.jsonl") of $(wc -l <"$out/check.jsonl") pass"

  # 2. The ceilings, every matmul core (squares to 1024³ and the fused shapes), fused scaling to T = 256
  #    at batch 32…256 with knees, the per-dispatch profile, fixed costs: one file, the engine's default core.
  "${ft[@]}" bench copy peak matmul fused profile fixed --no-browser --json "${quick[@]}" "${measure[@]}" --out "$out/bench.jsonl" >/dev/null 2>>"$log"
  say "bench: exit $?, $(wc -l <"$out/bench.jsonl") records"

  # 3. The default study end to end as a user runs it (process start included).
  local t0=$SECONDS
  rm -rf "$tools/run-default"
  "${ft[@]}" run --out "$tools/run-default" >>"$log" 2>&1
  say "fusetune run (default study): exit $?, $((SECONDS - t0)) s wall"

  node --import ./bin/register.js scripts/bench-report.ts "$out"/bench*.jsonl >"$out/tables.md" 2>>"$log"

  # 4. The profile (one-pass step time and its breakdown for T = 1…256 at batch 64) with each other GPU
  #    core end to end, while time is left (the run tool allows 600 s).
  for core in splitk subgroup tile128; do
    if ((SECONDS - started > 400)) && ((${#quick[@]} == 0)); then say "skipped the $core profile: out of time"; continue; fi
    if [[ "$core" == subgroup ]] && ! grep -q '"subgroups"' "$out/device.json"; then say "skipped the subgroup profile: the adapter has no subgroups"; continue; fi
    "${ft[@]}" bench peak profile --no-browser --json --matmul "$core" "${quick[@]}" "${measure[@]}" --out "$out/bench-$core.jsonl" >/dev/null 2>>"$log"
    say "bench profile --matmul $core: exit $?, $(wc -l <"$out/bench-$core.jsonl" 2>/dev/null || echo 0) records"
  done

  node --import ./bin/register.js scripts/bench-report.ts "$out"/bench*.jsonl >"$out/tables.md" 2>>"$log"
  say "done: $(ls "$out" | tr '\n' ' ')"
}

case "${1:-}" in
  pack) pack ;;
  run) shift && run "$@" ;;
  *) echo "usage: bash scripts/device-bench.sh pack | run [--quick]" >&2 && exit 2 ;;
esac
