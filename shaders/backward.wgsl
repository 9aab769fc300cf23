// backward.wgsl — face-parallel gradient of the loss with respect to each face's projected corners.
// For each pixel p in the face's grown range: g = v_sil(p) · δ · T(p) · D_f(p) / σ, and the nearest
// edge [e0, e1] (t, q) gets ∂d²/∂e0 = -2 (1 - t)(p - q), ∂d²/∂e1 = -2 t (p - q), times g.
// Every slot is written on every run (zeros for skipped faces): nothing relies on cleared memory,
// and no float atomics are needed — gather.wgsl sums the slots per vertex.
// Dispatch: (ceil(num_faces / GROUP), num_views, 1).

@group(0) @binding(0) var<uniform> u: RasterUniforms;
@group(0) @binding(1) var<storage, read> recs: array<FaceRec>;   // see setup.wgsl
@group(0) @binding(2) var<storage, read> log_t: array<f32>;      // see forward.wgsl
@group(0) @binding(3) var<storage, read> v_sil: array<f32>;      // ∂L/∂S, same layout as log_t
// v_face: ∂L/∂(corner a, b, c) in NDC, 3 per (view, face) at (view * num_faces + face) * 3 + corner
@group(0) @binding(4) var<storage, read_write> v_face: array<vec2f>;

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    let f = gid.x;
    let view = gid.y;
    if (f >= u.num_faces) {
        return;
    }
    let slot = view * u.num_faces + f;
    let r = recs[slot];
    var g = array<vec2f, 3>(vec2f(0.0), vec2f(0.0), vec2f(0.0));
    if (r.c_flags.w > 0.5) {
        let corners = array<vec2f, 3>(r.ab.xy, r.ab.zw, r.c_flags.xy);
        let inv_sigma = 1.0 / u.sigma;
        let w = f32(u.width);
        let h = f32(u.height);
        let base = view * u.width * u.height;
        for (var j = r.range.z; j <= r.range.w; j++) {
            for (var i = r.range.x; i <= r.range.y; i++) {
                let idx = base + u32(j) * u.width + u32(i);
                let vs = v_sil[idx];
                if (vs == 0.0) {
                    continue;
                }
                let p = pixel_center(i, j, w, h);
                let xh = face_x(p, r, inv_sigma);     // x, edge, t, d²
                let delta = select(-1.0, 1.0, xh.x > 0.0);
                let gs = vs * delta * exp(log_t[idx]) * sigmoid(xh.x) * inv_sigma;
                let k0 = u32(xh.y);
                let k1 = (k0 + 1u) % 3u;
                let q = corners[k0] + xh.z * (corners[k1] - corners[k0]);
                let wv = -2.0 * gs * (p - q);
                g[k0] += (1.0 - xh.z) * wv;
                g[k1] += xh.z * wv;
            }
        }
    }
    v_face[slot * 3u] = g[0];
    v_face[slot * 3u + 1u] = g[1];
    v_face[slot * 3u + 2u] = g[2];
}
