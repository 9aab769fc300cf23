// iou_grad.wgsl — ∂L/∂S per pixel for L = 1 − Σ_v w_v I_v / U_v / Σ_v w_v:
//   v_sil = −w_v (M U − I (1 − M)) / (U² · Σ w).
// With every weight 1 (Σ w = num_views) this is exactly the unweighted −(M U − I (1 − M)) / (U² · num_views).
// A view of weight 0 gets ±0 everywhere.
// Dispatch: (min(ceil(num_pixels / GROUP), 65535), num_views, 1); grid-stride loop.

@group(0) @binding(0) var<uniform> fu: FitUniforms;
@group(0) @binding(1) var<storage, read> masks: array<f32>;
@group(0) @binding(2) var<storage, read> iou: array<vec2f>;        // see iou_reduce.wgsl
@group(0) @binding(3) var<storage, read> weights: array<f32>;      // per view, summing to fu.weight_sum
@group(0) @binding(4) var<storage, read_write> v_sil: array<f32>;

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let view = gid.y;
    let iu = iou[view];
    let scale = -weights[view] / (iu.y * iu.y * fu.weight_sum);
    for (var k = gid.x; k < fu.num_pixels; k += groups.x * GROUP) {
        let idx = view * fu.num_pixels + k;
        let m = masks[idx];
        v_sil[idx] = scale * (m * iu.y - iu.x * (1.0 - m));
    }
}
