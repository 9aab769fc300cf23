// record.wgsl — this step's numbers into its history slot (read back every few steps, not every step):
//   history[2 slot]     = (total loss, soft IoU mean over views, |∂L/∂params|², 0)
//   history[2 slot + 1] = (L_lap, L_flat, silhouette loss 1 − Σ w IoU / Σ w, weighted depth prior term)
// The soft IoU mean is the plain mean (a readout); only the loss is weighted by the views' weights.
// The loss is that of the parameters *before* this step's Adam update.
// Dispatch: (1, 1, 1).

@group(0) @binding(0) var<uniform> fu: FitUniforms;
@group(0) @binding(1) var<storage, read> iou: array<vec2f>;       // see iou_reduce.wgsl
@group(0) @binding(2) var<storage, read> weights: array<f32>;     // per view, summing to fu.weight_sum
@group(0) @binding(3) var<storage, read> stats: array<vec4f>;     // reduce.wgsl outputs 0..3
@group(0) @binding(4) var<storage, read_write> history: array<vec4f>;


@compute @workgroup_size(REDUCE)
fn main(@builtin(local_invocation_index) t: u32) {
    var acc = vec2f(0.0);
    for (var v = t; v < fu.num_views; v += REDUCE) {
        let iou_v = iou[v].x / iou[v].y;
        acc += vec2f(iou_v, weights[v] * iou_v);
    }
    let total = workgroup_sum(t, vec4f(acc, 0.0, 0.0)).xy;
    if (t == 0u) {
        let iou_mean = total.x / f32(fu.num_views);
        let lap = stats[0].w;
        let flat = stats[2].w;
        // with every weight 1, total.y == total.x and weight_sum == num_views: 1 − mean IoU exactly
        let sil_loss = 1.0 - total.y / fu.weight_sum;
        // stats[3] is the depth prior's sum (depth.wgsl, already weighted); stale when it is off
        let depth = select(0.0, stats[3].x, fu.lambda_depth > 0.0);
        let loss = sil_loss + fu.lambda_lap * lap + fu.lambda_flat * flat + depth;
        let c = stats[0].xyz;
        history[2u * fu.history_slot] = vec4f(loss, iou_mean, stats[1].x + dot(c, c), 0.0);
        history[2u * fu.history_slot + 1u] = vec4f(lap, flat, sil_loss, depth);
    }
}
