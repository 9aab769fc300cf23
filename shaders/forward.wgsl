// forward.wgsl — the soft silhouette S = 1 - Π_f (1 - D_f), kept as log T = -Σ_f softplus(x_f) with
// x_f = δ d² / σ. One workgroup per TILE×TILE pixel tile and view. The faces are scanned in chunks of
// CHUNK, in face order: chunks whose bounds miss the tile are skipped whole, the others are compacted
// (a workgroup prefix sum keeps face order) into shared memory and every pixel of the tile sums them.
// Face order is fixed, so the sum, and S, are bit-identical from run to run.
// Dispatch: (tiles_x, tiles_y, num_views).

@group(0) @binding(0) var<uniform> u: RasterUniforms;
@group(0) @binding(1) var<storage, read> recs: array<FaceRec>;        // see setup.wgsl
@group(0) @binding(2) var<storage, read> chunk_bounds: array<vec4i>;  // see setup.wgsl
// log_t, sil: per (view, pixel) at view * W * H + j * W + i
@group(0) @binding(3) var<storage, read_write> log_t: array<f32>;
@group(0) @binding(4) var<storage, read_write> sil: array<f32>;

var<workgroup> s_recs: array<FaceRec, CHUNK>;
var<workgroup> s_scan: array<u32, CHUNK>;
var<workgroup> s_go: u32;
var<workgroup> s_count: u32;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) t: u32) {
    let view = wid.z;
    let tile = vec4i(i32(wid.x * TILE), i32(wid.x * TILE + TILE - 1u),
                     i32(wid.y * TILE), i32(wid.y * TILE + TILE - 1u));
    let i = i32(wid.x * TILE + lid.x);
    let j = i32(wid.y * TILE + lid.y);
    let p = pixel_center(i, j, f32(u.width), f32(u.height));
    let inv_sigma = 1.0 / u.sigma;
    var acc = 0.0;  // Σ softplus(x_f) = -log T

    for (var chunk = 0u; chunk < u.num_chunks; chunk++) {
        if (t == 0u) {
            s_go = select(0u, 1u, ranges_overlap(chunk_bounds[view * u.num_chunks + chunk], tile));
        }
        if (workgroupUniformLoad(&s_go) == 0u) {
            continue;
        }
        let f = chunk * CHUNK + t;
        var rec: FaceRec;
        var flag = 0u;
        if (f < u.num_faces) {
            rec = recs[view * u.num_faces + f];
            flag = select(0u, 1u, ranges_overlap(rec.range, tile));
        }
        // inclusive prefix sum of the flags (Hillis–Steele)
        s_scan[t] = flag;
        workgroupBarrier();
        for (var off = 1u; off < CHUNK; off = off * 2u) {
            var v = s_scan[t];
            if (t >= off) {
                v += s_scan[t - off];
            }
            workgroupBarrier();
            s_scan[t] = v;
            workgroupBarrier();
        }
        if (flag == 1u) {
            s_recs[s_scan[t] - 1u] = rec;
        }
        if (t == CHUNK - 1u) {
            s_count = s_scan[t];
        }
        let count = workgroupUniformLoad(&s_count);
        for (var k = 0u; k < count; k++) {
            let r = s_recs[k];
            if (range_contains(r.range, i, j)) {
                let a = r.ab.xy;
                let b = r.ab.zw;
                let c = r.c_flags.xy;
                let d2 = nearest_edge(p, a, b, c).z;
                var x = -d2 * inv_sigma;
                if (r.c_flags.z > 0.5 && inside(p, a, b, c)) {
                    x = -x;
                }
                acc += softplus(x);
            }
        }
        workgroupBarrier();
    }
    if (i < i32(u.width) && j < i32(u.height)) {
        let idx = view * u.width * u.height + u32(j) * u.width + u32(i);
        log_t[idx] = -acc;
        sil[idx] = one_minus_exp(-acc);
    }
}
