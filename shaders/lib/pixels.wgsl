// lib/pixels.wgsl — pixel centres, nearest edges, inside tests and the pixel loop over a face's range
// (uses lib/raster.wgsl's FaceRec and lib/math.wgsl's cross2).
// Conventions (docs/conventions.md, ../MATH): NDC in [-1, 1]^2, pixel (i, j) has centre
// ((2i + 1)/W - 1, 1 - (2j + 1)/H), row 0 at the top. d2 is always the *squared* distance.

fn pixel_center(i: i32, j: i32, w: f32, h: f32) -> vec2f {
    return vec2f((2.0 * f32(i) + 1.0) / w - 1.0, 1.0 - (2.0 * f32(j) + 1.0) / h);
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
