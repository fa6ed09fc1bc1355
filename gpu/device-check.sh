#!/usr/bin/env bash
# The CUDA backend's check on a lent GPU machine (see /work/.library/device/README.md and gpu/README.md).
#
#   gpu/device-check.sh pack   here (JDK 25 + Maven): builds core+gpu, puts under gpu/target-gpu/device/ the jars
#                              (core, gpu, their test classes, Jackson; no DJL, no OpenBLAS natives), a jlink'ed Java 25
#                              runtime (runtime.tgz) and a copy of ../shared/models/stories260k; checks it fits 64 MiB
#   gpu/device-check.sh smoke  here, after pack: the packed runtime and jars run the CPU side of the check (the
#                              checkpoints, the CPU engine, the comparison) and report that no GPU is present
#   gpu/device-check.sh run    on the GPU machine (no JDK, no Maven, no network), with gpu/target-gpu/device carried:
#                              every hook GPU vs CPU engine at fp32/tf32/bf16, then the 32x256 throughput runs, then the
#                              same shapes in HF transformers (gpu/device-bench-hf.py); results under $OUT
#
# The run step, as one device call:
#   run(command="gpu/device-check.sh run", carry=["gpu/target-gpu/device"], timeout_s=600)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
dev="$here/target-gpu/device"

pack() {
  local jdk="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
  (cd "$repo" && JAVA_HOME="$jdk" mvn -q -o -Dmesascope.buildDir=target-gpu -pl gpu -am package -DskipTests)
  rm -rf "$dev" && mkdir -p "$dev/lib"
  cp "$repo"/core/target-gpu/mesascope-core-*-SNAPSHOT.jar "$repo"/core/target-gpu/mesascope-core-*-tests.jar "$dev/lib/"
  cp "$repo"/gpu/target-gpu/mesascope-gpu-*-SNAPSHOT.jar "$dev/lib/"
  "$jdk/bin/jar" --create --file "$dev/lib/mesascope-gpu-tests.jar" -C "$repo/gpu/target-gpu/test-classes" .
  # Jackson (config.json, the random checkpoints' writer): the versions the build resolved
  (cd "$repo" && JAVA_HOME="$jdk" mvn -q -o -Dmesascope.buildDir=target-gpu -pl gpu dependency:build-classpath \
      -Dmdep.outputFile="$dev/classpath.txt" -Dmdep.includeScope=test)
  tr ':' '\n' < "$dev/classpath.txt" | grep '/com/fasterxml/jackson/' | while read -r j; do cp "$j" "$dev/lib/"; done
  rm "$dev/classpath.txt"
  local modules
  modules="$("$jdk/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps "$dev"/lib/*.jar)"
  # the CPU engine's Vector API is loaded reflectively (--add-modules), which jdeps cannot see
  case ",$modules," in *,jdk.incubator.vector,*) ;; *) modules="$modules,jdk.incubator.vector" ;; esac
  "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=zip-9 \
      --output "$dev/runtime"
  tar -C "$dev" -czf "$dev/runtime.tgz" runtime && rm -rf "$dev/runtime"
  if [ -d "$repo/../shared/models/stories260k" ]; then cp -r "$repo/../shared/models/stories260k" "$dev/"; fi
  echo "modules: $modules"
  du -sh "$dev"/lib "$dev"/runtime.tgz "$dev"/stories260k 2>/dev/null || true
  local total; total=$(du -sb "$dev" | cut -f1)
  echo "device payload: $((total / 1024 / 1024)) MiB (limit 64 MiB with the working tree)"
  [ "$total" -lt $((56 * 1024 * 1024)) ] || { echo "too large for the device" >&2; exit 1; }
}

run() {
  local out="${OUT:-/tmp/mesascope-out}"
  mkdir -p "$out" /tmp/mesascope-jre
  tar -C /tmp/mesascope-jre -xzf "$dev/runtime.tgz"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt" || true
  ls /usr/lib/x86_64-linux-gnu/libcublas.so* /usr/local/cuda*/lib64/libcublas.so* 2>/dev/null | tee -a "$out/gpu.txt" || true
  set +e
  /tmp/mesascope-jre/runtime/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
      -Dmesascope.gemm=java -Xmx48g -cp "$dev/lib/*" org.mesascope.gpu.DeviceCheck \
      --stories "$dev/stories260k" --out "$out/device-check.txt" "$@" 2>&1 | tee "$out/device-check.log"
  local status=${PIPESTATUS[0]}
  if [ "${MESASCOPE_SKIP_HF:-0}" != 1 ]; then
    PYTHONUNBUFFERED=1 python3 "$here/device-bench-hf.py" 2>&1 | tee "$out/hf-bench.txt"
  fi
  exit "$status"
}

smoke() {
  local jre; jre="$(mktemp -d)"
  tar -C "$jre" -xzf "$dev/runtime.tgz"
  "$jre/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dmesascope.gemm=java \
      -cp "$dev/lib/*" org.mesascope.gpu.DeviceCheck --cpu-self-check --stories "$dev/stories260k"
  local status=$?
  rm -rf "$jre"
  return $status
}

case "${1:-}" in
  pack) pack ;;
  smoke) smoke ;;
  run) shift; run "$@" ;;
  *) echo "usage: gpu/device-check.sh pack|smoke|run [DeviceCheck arguments]" >&2; exit 64 ;;
esac
