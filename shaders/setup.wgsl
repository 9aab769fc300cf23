// setup.wgsl — per (face, view): the face record: corners, flags, and the inclusive pixel range of its
// screen bounding box grown by cull_r (outside it D_f < ε). Faces with a vertex at z_c <= near, or a
// non-finite corner, are not drawn (empty range). It also leaves in item_start[slot] the slot's number of
// work items at u.chunk pixels each (lib/items.wgsl; 0 if not drawn), which items.wgsl turns into offsets.
// Dispatch: (ceil(num_faces / GROUP), num_views, 1).

@group(0) @binding(0) var<uniform> u: RasterUniforms;
@group(0) @binding(1) var<storage, read> proj: array<vec4f>;          // see project.wgsl
@group(0) @binding(2) var<storage, read> faces: array<u32>;           // 3 vertex indices per face
@group(0) @binding(3) var<storage, read_write> recs: array<FaceRec>;  // view * num_faces + face
@group(0) @binding(4) var<storage, read_write> item_start: array<u32>; // see items.wgsl

const EMPTY: vec4i = vec4i(0, -1, 0, -1);

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

fn inv_len2(e: vec2f) -> f32 {
    let l = dot(e, e);
    return select(0.0, 1.0 / l, l > 0.0);
}

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    let f = gid.x;
    let view = gid.y;
    if (f >= u.num_faces) {
        return;
    }
    let base = view * u.num_verts;
    let pa = proj[base + faces[3u * f]];
    let pb = proj[base + faces[3u * f + 1u]];
    let pc = proj[base + faces[3u * f + 2u]];
    let a = pa.xy;
    let b = pb.xy;
    let c = pc.xy;
    let drawn = pa.z > u.near && pb.z > u.near && pc.z > u.near
        && is_finite(a.x) && is_finite(a.y) && is_finite(b.x) && is_finite(b.y) && is_finite(c.x) && is_finite(c.y);
    var can_inside = 0.0;
    var range = EMPTY;
    if (drawn) {
        if (abs(cross2(b - a, c - a)) > MIN_DOUBLE_AREA) {
            can_inside = 1.0;
        }
        range = pixel_range(min(a, min(b, c)) - vec2f(u.cull_r), max(a, max(b, c)) + vec2f(u.cull_r));
    }
    item_start[view * u.num_faces + f] = (u32(range_count(range)) + u.chunk - 1u) / u.chunk;
    recs[view * u.num_faces + f] = FaceRec(vec4f(a, b), vec4f(c, can_inside, select(0.0, 1.0, drawn)), range,
        vec4f(inv_len2(b - a), inv_len2(c - b), inv_len2(a - c), bitcast<f32>(view)));
}
