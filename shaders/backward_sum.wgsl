// backward_sum.wgsl — per (face, view): ∂L/∂(corner a, b, c) of the face, the sum of its work items'
// parts (backward.wgsl) in item order, i.e. in the order of the pieces of its range: ((i0 + i1) + i2) …
// A face of one item is left alone: backward.wgsl wrote its sums to the face's slot unchanged (the order
// of a whole-face loop); a face of none (not drawn, or an empty range) gets zeros. With backward.wgsl,
// every slot is written on every run.
// Dispatch: (ceil(num_faces / GROUP), num_views, 1).

@group(0) @binding(0) var<uniform> u: RasterUniforms;
@group(0) @binding(1) var<storage, read> item_start: array<u32>;  // see items.wgsl
@group(0) @binding(2) var<storage, read> v_item: array<vec2f>;    // see backward.wgsl
// v_face: ∂L/∂(corner a, b, c) in NDC, face-major so that gather.wgsl reads one face's views
// contiguously: at (face * num_views + view) * 3 + corner
@group(0) @binding(3) var<storage, read_write> v_face: array<vec2f>;

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    let f = gid.x;
    let view = gid.y;
    if (f >= u.num_faces) {
        return;
    }
    let slot = view * u.num_faces + f;
    let i0 = item_start[slot];
    let i1 = item_start[slot + 1u];  // the last slot's end: the total
    if (i1 - i0 == 1u) {
        return;
    }
    var g0 = vec2f(0.0);
    var g1 = vec2f(0.0);
    var g2 = vec2f(0.0);
    if (i1 > i0 + 1u) {
        g0 = v_item[i0 * 3u];
        g1 = v_item[i0 * 3u + 1u];
        g2 = v_item[i0 * 3u + 2u];
        for (var it = i0 + 1u; it < i1; it++) {
            g0 += v_item[it * 3u];
            g1 += v_item[it * 3u + 1u];
            g2 += v_item[it * 3u + 2u];
        }
    }
    let out = (f * u.num_views + view) * 3u;
    v_face[out] = g0;
    v_face[out + 1u] = g1;
    v_face[out + 2u] = g2;
}
