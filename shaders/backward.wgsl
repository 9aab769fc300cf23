// backward.wgsl — face-parallel gradient of the loss with respect to each face's corners.
// For each pixel p in the face's grown range: g = v_sil(p) · δ · T(p) · D_f(p) / σ, and the nearest
// edge [e0, e1] (t, q) gets ∂d²/∂e0 = -2 (1 - t)(p - q), ∂d²/∂e1 = -2 t (p - q), times g.
// As in the forward pass, pixels where the face is outside with d² > r² (D < ε) are not counted.
// Pixels with T < T_SKIP are skipped: their terms are below 1e-8 of a boundary pixel's.
// One invocation per work item (lib/items.wgsl: a piece of at most `chunk` pixels of one face's range);
// each writes its partial sums, in the pixel order of its piece, to its own item slot, and
// backward_sum.wgsl adds a face's items in item order into the face's slot; the one item of a face of one
// item writes the face's slot itself (its sums as they are). No float atomics; with backward_sum, every
// face slot is written on every run.
// Dispatch: indirect, from items.wgsl (ceil(items / GROUP) workgroups as x × y); with whole faces
// (lib/items.wgsl: WHOLE_FACES) (ceil(num_faces / GROUP), num_views, 1).

@group(0) @binding(0) var<uniform> u: RasterUniforms;
@group(0) @binding(1) var<storage, read> recs: array<FaceRec>;   // see setup.wgsl
@group(0) @binding(2) var<storage, read> trans: array<f32>;      // T per pixel, see resolve.wgsl
@group(0) @binding(3) var<storage, read> v_sil: array<f32>;      // ∂L/∂S, same layout as trans
@group(0) @binding(4) var<storage, read> item_start: array<u32>; // see items.wgsl
// v_item: this item's part of ∂L/∂(corner a, b, c) in NDC, at item * 3 + corner
@group(0) @binding(5) var<storage, read_write> v_item: array<vec2f>;
// v_face: ∂L/∂(corner a, b, c) in NDC per face, see backward_sum.wgsl (written here for faces of one item)
@group(0) @binding(6) var<storage, read_write> v_face: array<vec2f>;

const T_SKIP: f32 = 1e-8;

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
    let work = face_work(gid, nwg);
    if (!work.valid) {
        return;
    }
    let slot = work.slot;
    let item = work.item;
    let r = recs[slot];
    let view = bitcast<u32>(r.inv_len2.w);
    let piece = item_pixels(work.part, work.chunk, r.range);
    var g0 = vec2f(0.0);
    var g1 = vec2f(0.0);
    var g2 = vec2f(0.0);
    if (r.c_flags.w > 0.5) {
        let a = r.ab.xy;
        let b = r.ab.zw;
        let c = r.c_flags.xy;
        let inv_sigma = 1.0 / u.sigma;
        let w = f32(u.width);
        let h = f32(u.height);
        let base = view * u.width * u.height;
        let x_cull = -u.cull_r * u.cull_r * inv_sigma;
        let n = piece.z;
        var ij = piece.xy;
        for (var k = 0; k < n; k++) {
            ij = next_pixel(ij, r.range);
            let i = ij.x;
            let j = ij.y;
            {
                let idx = base + u32(j) * u.width + u32(i);
                let vs = v_sil[idx];
                let tp = trans[idx];
                if (vs == 0.0 || tp < T_SKIP) {
                    continue;
                }
                let p = pixel_center(i, j, w, h);
                let xh = face_x(p, r, inv_sigma);     // x, edge, t, d²
                if (xh.x < x_cull) {
                    continue;
                }
                let delta = select(-1.0, 1.0, xh.x > 0.0);
                let gs = vs * delta * tp * sigmoid(xh.x) * inv_sigma;
                let k0 = u32(xh.y);
                let e0 = select(select(c, b, k0 == 1u), a, k0 == 0u);
                let e1 = select(select(a, c, k0 == 1u), b, k0 == 0u);
                let q = e0 + xh.z * (e1 - e0);
                let wv = -2.0 * gs * (p - q);
                let w0 = (1.0 - xh.z) * wv;  // to corner k0
                let w1 = xh.z * wv;          // to corner k1
                if (k0 == 0u) {
                    g0 += w0;
                    g1 += w1;
                } else if (k0 == 1u) {
                    g1 += w0;
                    g2 += w1;
                } else {
                    g2 += w0;
                    g0 += w1;
                }
            }
        }
    }
    if (u.chunk >= WHOLE_FACES || item_start[slot + 1u] - item_start[slot] == 1u) {
        let out = ((slot - view * u.num_faces) * u.num_views + view) * 3u;
        v_face[out] = g0;
        v_face[out + 1u] = g1;
        v_face[out + 2u] = g2;
        return;
    }
    v_item[item * 3u] = g0;
    v_item[item * 3u + 1u] = g1;
    v_item[item * 3u + 2u] = g2;
}
