// iou_reduce.wgsl — per view: I = Σ S·M and U = Σ (S + M − S·M) + 1e-6 over its pixels, one workgroup
// per view, fixed summation order (strided per thread, then a tree): deterministic.
// Dispatch: (num_views, 1, 1).

@group(0) @binding(0) var<uniform> fu: FitUniforms;
@group(0) @binding(1) var<storage, read> sil: array<f32>;     // see forward.wgsl
@group(0) @binding(2) var<storage, read> masks: array<f32>;   // same layout, values in [0, 1]
@group(0) @binding(3) var<storage, read_write> iou: array<vec2f>;  // per view: (I, U)


@compute @workgroup_size(REDUCE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
    let base = wid.x * fu.num_pixels;
    var acc = vec2f(0.0);
    for (var k = t; k < fu.num_pixels; k += REDUCE) {
        let s = sil[base + k];
        let m = masks[base + k];
        acc += vec2f(s * m, s + m - s * m);
    }
    let total = workgroup_sum(t, vec4f(acc, 0.0, 0.0)).xy;
    if (t == 0u) {
        iou[wid.x] = total + vec2f(0.0, 1e-6);
    }
}
