// forward.wgsl — face-parallel splat of softplus(x_f), x_f = δ d² / σ, into the pixels of the face's
// grown range where D_f ≥ ε (x_f ≥ −r²/σ): Σ_f softplus(x_f) = −log T. The per-pixel sums are exact 64-bit fixed point (32 integer
// bits, 32 fraction bits) built from two u32 atomics with a carry, so the result does not depend on the
// order in which faces arrive: bit-identical from run to run, with no float atomics and no ordered bins.
// A term is capped at SOFTPLUS_CAP: beyond it T < e^-88 is already 0 in f32, so nothing changes.
// The accumulator must be zero before this pass (the engine clears it); resolve.wgsl reads it.
// One invocation per work item (lib/items.wgsl): a piece of at most `chunk` pixels of one face's range,
// so that a large face is shared by many invocations; the sums are exact, so the split changes no bit.
// Dispatch: indirect, from items.wgsl (ceil(items / GROUP) workgroups as x × y); with whole faces
// (lib/items.wgsl: WHOLE_FACES) (ceil(num_faces / GROUP), num_views, 1).

@group(0) @binding(0) var<uniform> u: RasterUniforms;
@group(0) @binding(1) var<storage, read> recs: array<FaceRec>;        // see setup.wgsl
// acc: per (view, pixel) at 2 * (view * W * H + j * W + i): fraction word, then integer word
@group(0) @binding(2) var<storage, read_write> acc: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read> item_start: array<u32>;      // see items.wgsl

const SOFTPLUS_CAP: f32 = 100.0;

fn add_fixed(slot: u32, v: f32) {
    let whole = floor(v);
    let frac = u32((v - whole) * 4294967296.0);
    if (frac != 0u) {
        let old = atomicAdd(&acc[slot], frac);
        if (old > 0xffffffffu - frac) {
            atomicAdd(&acc[slot + 1u], 1u);  // carry out of the fraction word
        }
    }
    if (whole > 0.0) {
        atomicAdd(&acc[slot + 1u], u32(whole));
    }
}

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
    let work = face_work(gid, nwg);
    if (!work.valid) {
        return;
    }
    let slot = work.slot;
    let r = recs[slot];
    if (r.c_flags.w < 0.5) {
        return;
    }
    let view = bitcast<u32>(r.inv_len2.w);
    let piece = item_pixels(work.part, work.chunk, r.range);
    let inv_sigma = 1.0 / u.sigma;
    let w = f32(u.width);
    let h = f32(u.height);
    let base = view * u.width * u.height;
    let x_cull = -u.cull_r * u.cull_r * inv_sigma;  // outside and d² > r²: D < ε, not counted
    let n = piece.z;
    var ij = piece.xy;
    for (var k = 0; k < n; k++) {
        ij = next_pixel(ij, r.range);
        let i = ij.x;
        let j = ij.y;
        let x = face_x(pixel_center(i, j, w, h), r, inv_sigma).x;
        if (x >= x_cull) {
            add_fixed(2u * (base + u32(j) * u.width + u32(i)), min(softplus(x), SOFTPLUS_CAP));
        }
    }
}
