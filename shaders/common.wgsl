// common.wgsl — declarations shared by every pass (prepended to each pass's source).
// Conventions (docs/conventions.md, ../MATH): NDC in [-1, 1]^2, pixel (i, j) has centre
// ((2i + 1)/W - 1, 1 - (2j + 1)/H), row 0 at the top. d2 is always the *squared* distance.

struct RasterUniforms {
    width: u32,
    height: u32,
    num_views: u32,
    num_verts: u32,
    num_faces: u32,
    sigma: f32,
    cull_r: f32,       // sqrt(sigma * ln(1/eps - 1)): the face bbox grows by this much (NDC)
    near: f32,         // faces with a vertex at z_c <= near are skipped
}

// rows of R, then (eye.xyz, tan of the half field of view)
struct Camera {
    r0: vec4f,
    r1: vec4f,
    r2: vec4f,
    eye_tan: vec4f,
}

// Per (view, face), written by setup:
//   ab:      corners a.xy, b.xy (NDC)
//   c_flags: c.xy, z = 1 if the face may be "inside" (|2A| > 1e-12), w = 1 if the face is drawn
//   range:   pixel range of the bbox grown by cull_r, inclusive: i0, i1, j0, j1 (empty: i0 > i1)
//   inv_len2: 1 / |e|² of the edges (a,b), (b,c), (c,a) (0 for a zero-length edge), w unused
struct FaceRec {
    ab: vec4f,
    c_flags: vec4f,
    range: vec4i,
    inv_len2: vec4f,
}

const GROUP: u32 = 64u;   // workgroup size of every pass
const MIN_DOUBLE_AREA: f32 = 1e-12;

fn pixel_center(i: i32, j: i32, w: f32, h: f32) -> vec2f {
    return vec2f((2.0 * f32(i) + 1.0) / w - 1.0, 1.0 - (2.0 * f32(j) + 1.0) / h);
}

// log(1 + y) for y in [0, 1], accurate for small y
fn log1p_small(y: f32) -> f32 {
    if (y < 1e-4) {
        return y - 0.5 * y * y;
    }
    return log(1.0 + y);
}

// softplus(x) = log(1 + e^x), stable for any x
fn softplus(x: f32) -> f32 {
    return max(x, 0.0) + log1p_small(exp(-abs(x)));
}

fn sigmoid(x: f32) -> f32 {
    if (x >= 0.0) {
        return 1.0 / (1.0 + exp(-x));
    }
    let e = exp(x);
    return e / (1.0 + e);
}

// 1 - e^l for l <= 0, accurate when l is near 0 (S from log T)
fn one_minus_exp(l: f32) -> f32 {
    if (l > -1e-3) {
        return -l * (1.0 + l * (0.5 + l / 6.0));
    }
    return 1.0 - exp(l);
}

fn cross2(u: vec2f, v: vec2f) -> f32 {
    return u.x * v.y - u.y * v.x;
}

// Nearest point of segment [e0, e1] to p, given 1 / |e1 - e0|² (0 for a zero-length edge):
// returns (t, |p - q|^2) with q = e0 + t (e1 - e0).
fn segment_t_d2(p: vec2f, e0: vec2f, e1: vec2f, inv_len2: f32) -> vec2f {
    let e = e1 - e0;
    let t = clamp(dot(p - e0, e) * inv_len2, 0.0, 1.0);
    let d = p - (e0 + t * e);
    return vec2f(t, dot(d, d));
}

// The nearest edge of triangle (a, b, c) to p, first minimum in edge order (a,b), (b,c), (c,a):
// returns (edge index, t, d2).
fn nearest_edge(p: vec2f, a: vec2f, b: vec2f, c: vec2f, inv_len2: vec4f) -> vec3f {
    var best = vec3f(0.0, segment_t_d2(p, a, b, inv_len2.x));
    let e1 = segment_t_d2(p, b, c, inv_len2.y);
    if (e1.y < best.z) {
        best = vec3f(1.0, e1);
    }
    let e2 = segment_t_d2(p, c, a, inv_len2.z);
    if (e2.y < best.z) {
        best = vec3f(2.0, e2);
    }
    return best;
}

// Edge-function inside test, independent of orientation.
fn inside(p: vec2f, a: vec2f, b: vec2f, c: vec2f) -> bool {
    let w0 = cross2(b - a, p - a);
    let w1 = cross2(c - b, p - b);
    let w2 = cross2(a - c, p - c);
    return (w0 >= 0.0 && w1 >= 0.0 && w2 >= 0.0) || (w0 <= 0.0 && w1 <= 0.0 && w2 <= 0.0);
}

// Number of pixels of an inclusive range (i0, i1, j0, j1).
fn range_count(r: vec4i) -> i32 {
    return (r.y - r.x + 1) * (r.w - r.z + 1);
}

// The pixel after (i, j) in row-major order inside range r; start from (r.x - 1, r.z). No integer
// division: lavapipe runs it per SIMD lane.
fn next_pixel(ij: vec2i, r: vec4i) -> vec2i {
    if (ij.x + 1 > r.y) {
        return vec2i(r.x, ij.y + 1);
    }
    return vec2i(ij.x + 1, ij.y);
}

// x_f = δ d² / σ of a face at pixel p, with the nearest edge (edge index, t, d²) for the backward pass.
fn face_x(p: vec2f, r: FaceRec, inv_sigma: f32) -> vec4f {
    let a = r.ab.xy;
    let b = r.ab.zw;
    let c = r.c_flags.xy;
    let hit = nearest_edge(p, a, b, c, r.inv_len2);
    var delta = -1.0;
    if (r.c_flags.z > 0.5 && inside(p, a, b, c)) {
        delta = 1.0;
    }
    return vec4f(delta * hit.z * inv_sigma, hit);
}

// Settings of one optimisation step (fit passes only; rewritten before every step).
struct FitUniforms {
    num_verts: u32,
    num_edges: u32,
    num_views: u32,
    num_pixels: u32,   // per view
    lr: f32,
    beta1: f32,
    beta2: f32,
    adam_eps: f32,
    bias1: f32,        // 1 - beta1^t
    bias2: f32,        // 1 - beta2^t
    lambda_lap: f32,
    lambda_flat: f32,
    history_slot: u32, // where record.wgsl writes this step's numbers
    lambda_depth: f32, // depth prior (depth.wgsl); 0: off
    depth_z0: f32,     // camera-space depth of the template centre in view 0
    depth_size: u32,   // side of the height map (the target's size)
    depth_near: f32,   // vertices at z_c <= this get no depth term
    thickness: f32,    // scales the height map (depth.wgsl)
    _pad0: u32,
    _pad1: u32,
}

// Settings of one use of reduce.wgsl: sum in[offset + k * stride], k < n, into out[out_index].
struct ReduceUniforms {
    n: u32,
    offset: u32,
    stride: u32,
    out_index: u32,
}

fn is_finite(x: f32) -> bool {
    // exponent bits all ones means inf or NaN; `x != x` may be optimised away
    return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

const REDUCE: u32 = 256u;  // workgroup size of the reductions (one workgroup each)

var<workgroup> s_reduce: array<vec4f, REDUCE>;

// Sum of `v` over the REDUCE invocations of a workgroup (invocation index t), as a tree in a fixed
// order: deterministic. Every invocation must call it (it has barriers).
fn workgroup_sum(t: u32, v: vec4f) -> vec4f {
    s_reduce[t] = v;
    workgroupBarrier();
    for (var off = REDUCE / 2u; off > 0u; off = off / 2u) {
        if (t < off) {
            s_reduce[t] += s_reduce[t + off];
        }
        workgroupBarrier();
    }
    return s_reduce[0];
}

// topo (fit passes): one u32 array holding, one after another,
//   nbr_offsets[num_verts + 1] | neighbors[nbr_offsets[num_verts]] |
//   slot_offsets[num_verts + 1] | edge_slots[...]  (slot = edge * 4 + role, roles v0, v1, v2, v3);
// offsets are relative to the start of their list.  // workgroup size of the reductions (one workgroup each)
