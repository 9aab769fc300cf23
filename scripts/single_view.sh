#!/usr/bin/env bash
# Single-view reconstruction table (issue 11): each built-in shape seen from elevation 0 at azimuth 0
# and 90, ONE view each, fitted for STEPS steps at 128², then scored in 3D against the whole shape.
# Runs every fit twice: without the depth prior (--lambda-depth 0, the old behaviour) and with the
# defaults (or with the flags in $SV_AFTER). Usage: scripts/single_view.sh [STEPS] [EXTRA FIT FLAGS…]   (prints a Markdown table)
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS="${1:-500}"
shift || true
BIN=target/release/softras
OUT=out/single_view
mkdir -p "$OUT"
for shape in chair animal mug duck sphere plate capsule; do
  "$BIN" shape "$shape" "$OUT/$shape.obj"
  for az in 0 90; do
    for mode in before after; do
      extra=()
      [ "$mode" = before ] && extra=(--lambda-depth 0)
      # the "before" fits do not depend on the prior's settings: reuse them (SV_FRESH=1 reruns)
      [ "$mode" = before ] && [ -s "$OUT/${shape}_${az}_before.json" ] && [ -z "${SV_FRESH:-}" ] && continue
      [ "$mode" = after ] && [ -n "${SV_AFTER:-}" ] && extra=($SV_AFTER)
      "$BIN" fit --target-mesh "$OUT/$shape.obj" --elevations 0 --azimuths "$az" --size 128 --steps "$STEPS" \
        --out "$OUT/${shape}_${az}_${mode}.obj" --report "$OUT/${shape}_${az}_${mode}.json" "${extra[@]}" "$@" \
        2> "$OUT/${shape}_${az}_${mode}.log"
    done
  done
done
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
print("| shape | azimuth | voxel IoU before | voxel IoU after | hard silhouette IoU before | after | F-score before | after |")
print("|---|---|---|---|---|---|---|---|")
sums = {"before": [], "after": []}
for shape in ["chair", "animal", "mug", "duck", "sphere", "plate", "capsule"]:
    for az in [0, 90]:
        r = {m: json.load(open(f"{out}/{shape}_{az}_{m}.json")) for m in ["before", "after"]}
        v = {m: r[m]["metrics"]["voxel_iou"] for m in r}
        for m in r:
            sums[m].append((shape, v[m], r[m]["hard_iou_mean"]))
        print(f"| {shape} | {az} | {v['before']:.3f} | {v['after']:.3f} | {r['before']['hard_iou_mean']:.3f} | "
              f"{r['after']['hard_iou_mean']:.3f} | {r['before']['metrics']['fscore']:.3f} | {r['after']['metrics']['fscore']:.3f} |")
for m in ["before", "after"]:
    core = [v for s, v, _ in sums[m] if s in ("chair", "animal", "mug", "duck", "sphere")]
    allv = [v for _, v, _ in sums[m]]
    print(f"\n{m}: mean voxel IoU {sum(core)/len(core):.3f} over the 10 fits of chair, animal, mug, duck, sphere; "
          f"{sum(allv)/len(allv):.3f} over all {len(allv)}; lowest silhouette IoU {min(h for _, _, h in sums[m]):.3f}")
PY
