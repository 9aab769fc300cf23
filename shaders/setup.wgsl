// setup.wgsl — per (face, view): the face record (corners, flags, grown pixel range), and per chunk of
// CHUNK faces the union of their pixel ranges, which lets the forward pass skip whole chunks.
// Dispatch: (num_chunks, num_views, 1), one workgroup per chunk.

@group(0) @binding(0) var<uniform> u: RasterUniforms;
@group(0) @binding(1) var<storage, read> proj: array<vec4f>;          // see project.wgsl
@group(0) @binding(2) var<storage, read> faces: array<u32>;           // 3 vertex indices per face
@group(0) @binding(3) var<storage, read_write> recs: array<FaceRec>;  // view * num_faces + face
// chunk_bounds: per (view, chunk) at view * num_chunks + chunk: union of the ranges (i0, i1, j0, j1)
@group(0) @binding(4) var<storage, read_write> chunk_bounds: array<vec4i>;

const EMPTY: vec4i = vec4i(2147483647, -2147483647, 2147483647, -2147483647);
var<workgroup> s_bounds: array<vec4i, CHUNK>;

fn finite(x: f32) -> bool {
    // exponent bits all ones means inf or NaN; `x != x` may be optimised away
    return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// Pixel range of the NDC box [lo, hi], the same formula as the CPU reference (raster/mod.rs).
fn pixel_range(lo: vec2f, hi: vec2f) -> vec4i {
    let w = f32(u.width);
    let h = f32(u.height);
    let fi0 = ceil((lo.x + 1.0) * 0.5 * w - 0.5);
    let fi1 = floor((hi.x + 1.0) * 0.5 * w - 0.5);
    let fj0 = ceil((1.0 - hi.y) * 0.5 * h - 0.5);
    let fj1 = floor((1.0 - lo.y) * 0.5 * h - 0.5);
    let r = vec4i(
        i32(clamp(fi0, 0.0, w)), i32(clamp(fi1, -1.0, w - 1.0)),
        i32(clamp(fj0, 0.0, h)), i32(clamp(fj1, -1.0, h - 1.0)));
    if (r.x > r.y || r.z > r.w) {
        return EMPTY;
    }
    return r;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
    let chunk = wid.x;
    let view = wid.y;
    let f = chunk * CHUNK + t;
    var range = EMPTY;
    if (f < u.num_faces) {
        let base = view * u.num_verts;
        let pa = proj[base + faces[3u * f]];
        let pb = proj[base + faces[3u * f + 1u]];
        let pc = proj[base + faces[3u * f + 2u]];
        let a = pa.xy;
        let b = pb.xy;
        let c = pc.xy;
        let drawn = pa.z > u.near && pb.z > u.near && pc.z > u.near
            && finite(a.x) && finite(a.y) && finite(b.x) && finite(b.y) && finite(c.x) && finite(c.y);
        var can_inside = 0.0;
        if (drawn) {
            if (abs(cross2(b - a, c - a)) > MIN_DOUBLE_AREA) {
                can_inside = 1.0;
            }
            let lo = min(a, min(b, c)) - vec2f(u.cull_r);
            let hi = max(a, max(b, c)) + vec2f(u.cull_r);
            range = pixel_range(lo, hi);
        }
        recs[view * u.num_faces + f] = FaceRec(vec4f(a, b), vec4f(c, can_inside, select(0.0, 1.0, drawn)), range);
    }
    s_bounds[t] = range;
    workgroupBarrier();
    for (var off = CHUNK / 2u; off > 0u; off = off / 2u) {
        if (t < off) {
            let o = s_bounds[t + off];
            let m = s_bounds[t];
            s_bounds[t] = vec4i(min(m.x, o.x), max(m.y, o.y), min(m.z, o.z), max(m.w, o.w));
        }
        workgroupBarrier();
    }
    if (t == 0u) {
        chunk_bounds[view * u.num_chunks + chunk] = s_bounds[0];
    }
}
