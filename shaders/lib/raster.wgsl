// lib/raster.wgsl — the rasterizer passes' uniforms and face records.
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
    chunk: u32,        // pixels per work item before doubling (lib/items.wgsl; CHUNK unless a test sets it)
}

// Per (view, face), written by setup:
//   ab:      corners a.xy, b.xy (NDC)
//   c_flags: c.xy, z = 1 if the face may be "inside" (|2A| > 1e-12), w = 1 if the face is drawn
//   range:   pixel range of the bbox grown by cull_r, inclusive: i0, i1, j0, j1 (empty: i0 > i1)
//   inv_len2: 1 / |e|² of the edges (a,b), (b,c), (c,a) (0 for a zero-length edge), w: the view's
//             index as bits (bitcast<u32>), so that an item finds its view without a division
struct FaceRec {
    ab: vec4f,
    c_flags: vec4f,
    range: vec4i,
    inv_len2: vec4f,
}

const MIN_DOUBLE_AREA: f32 = 1e-12;
