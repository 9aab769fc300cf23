#!/usr/bin/env bash
# One-view fits of any meshes (issue 11; docs/results.md "One view of real meshes"): each OBJ is
# centred on its bounding box and scaled to a longest side of 1.2, seen from elevation 0 at azimuth 0
# and 90, one view each, 128², STEPS steps (default 500), and fitted three ways: without the prior
# (--lambda-depth 0), the prior's own start alone (1 step) and the default (prior on). Prints a Markdown
# table of voxel IoU, hard silhouette IoU and F-score against the whole mesh.
# Usage: scripts/single_view_meshes.sh A.obj [B.obj …]   (STEPS=N to change the length)
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 A.obj [B.obj …]" >&2; exit 2; }
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/target/release/softras"
OUT="$ROOT/out/single_view_meshes"
mkdir -p "$OUT"
names=()
for src in "$@"; do
  name="$(basename "${src%.*}")"
  names+=("$name")
  python3 - "$src" "$OUT/$name.obj" <<'PY'
import sys
src, dst = sys.argv[1], sys.argv[2]
V, F = [], []
for line in open(src):
    p = line.split()
    if p and p[0] == "v":
        V.append([float(x) for x in p[1:4]])
    elif p and p[0] == "f":
        F.append([x.split("/")[0] for x in p[1:]])
lo = [min(v[i] for v in V) for i in range(3)]
hi = [max(v[i] for v in V) for i in range(3)]
c = [(a + b) / 2 for a, b in zip(lo, hi)]
s = 1.2 / max(b - a for a, b in zip(lo, hi))
with open(dst, "w") as o:
    for v in V:
        o.write("v %.6f %.6f %.6f\n" % tuple((v[i] - c[i]) * s for i in range(3)))
    for f in F:
        o.write("f " + " ".join(f) + "\n")
PY
  for az in 0 90; do
    for mode in noprior start prior; do
      case $mode in
        noprior) extra=(--lambda-depth 0 --steps "${STEPS:-500}") ;;
        start) extra=(--steps 1) ;;
        prior) extra=(--steps "${STEPS:-500}") ;;
      esac
      "$BIN" fit --target-mesh "$OUT/$name.obj" --elevations 0 --azimuths "$az" --size 128 "${extra[@]}" \
        --out "$OUT/${name}_${az}_$mode.obj" --report "$OUT/${name}_${az}_$mode.json" 2> "$OUT/${name}_${az}_$mode.log"
    done
  done
done
python3 - "$OUT" "${names[@]}" <<'PY'
import json, sys
out, names = sys.argv[1], sys.argv[2:]
modes = ["noprior", "start", "prior"]
print("| mesh | azimuth | voxel IoU, no prior | prior's start alone | fit with the prior | hard silhouette IoU, no prior | start | with the prior | F-score, no prior | with the prior |")
print("|---|---|---|---|---|---|---|---|---|---|")
vox = {m: [] for m in modes}
sil = {m: [] for m in modes}
for n in names:
    for az in ["0", "90"]:
        r = {m: json.load(open(f"{out}/{n}_{az}_{m}.json")) for m in modes}
        for m in modes:
            vox[m].append(r[m]["metrics"]["voxel_iou"])
            sil[m].append(r[m]["hard_iou_mean"])
        cells = [f"{r[m]['metrics']['voxel_iou']:.3f}" for m in modes] + [f"{r[m]['hard_iou_mean']:.3f}" for m in modes]
        cells += [f"{r[m]['metrics']['fscore']:.3f}" for m in ("noprior", "prior")]
        print(f"| {n} | {az} | " + " | ".join(cells) + " |")
k = len(vox["prior"])
means = " | ".join(f"{sum(vox[m]) / k:.3f}" for m in modes)
lows = " | ".join(f"lowest {min(sil[m]):.3f}" for m in modes)
print(f"| mean of {k} | | {means} | {lows} | | |")
PY
