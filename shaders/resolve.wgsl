// resolve.wgsl — per (pixel, view): log T = −(integer + fraction · 2^-32) from forward.wgsl's exact sum,
// T itself (what backward.wgsl needs, one exp per pixel instead of one per face and pixel), and
// S = 1 − T (computed from log T, accurate near 0).
// Dispatch: (min(ceil(W * H / GROUP), 65535), num_views, 1); a grid-stride loop covers the rest.

@group(0) @binding(0) var<uniform> u: RasterUniforms;
@group(0) @binding(1) var<storage, read> acc: array<u32>;               // see forward.wgsl
// log_t, sil: per (view, pixel) at view * W * H + j * W + i
@group(0) @binding(2) var<storage, read_write> log_t: array<f32>;
@group(0) @binding(3) var<storage, read_write> sil: array<f32>;
@group(0) @binding(4) var<storage, read_write> trans: array<f32>;

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let npix = u.width * u.height;
    for (var k = gid.x; k < npix; k += groups.x * GROUP) {
        let idx = gid.y * npix + k;
        let sum = f32(acc[2u * idx + 1u]) + f32(acc[2u * idx]) * (1.0 / 4294967296.0);
        log_t[idx] = -sum;
        trans[idx] = exp(-sum);
        sil[idx] = one_minus_exp(-sum);
    }
}
