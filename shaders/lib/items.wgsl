// lib/items.wgsl — the work items of forward.wgsl and backward.wgsl (uses lib/raster.wgsl and
// lib/pixels.wgsl; the pass declares `item_start`, see items.wgsl). A drawn (view, face) slot whose grown
// range has n pixels owns ceil(n / chunk) consecutive items, each of at most `chunk` pixels of the range
// in row-major order; a range of at most u.chunk pixels (CHUNK = 1024 unless a test sets another) is always
// one item, walked exactly as one face invocation walked it before items existed. items.wgsl doubles
// chunk from u.chunk while the items exceed the capacity.

// u.chunk >= WHOLE_FACES (raster/gpu.rs: WHOLE_FACES, the CPU adapters' default): no items at all; the
// face passes run one invocation per (face, view) over a (faces, views) grid, as before work items, and
// neither items.wgsl nor backward_sum.wgsl is dispatched.
const WHOLE_FACES: u32 = 1073741824u;

// The capacity's unit (raster/gpu.rs: CHUNK).
const CHUNK: u32 = 1024u;

// Items the buffers hold: one per slot, plus 16 covers of every view's image in CHUNK-pixel pieces.
// RasterBuffers::new allocates the same number (raster/gpu.rs: item_capacity).
fn item_capacity() -> u32 {
    let per_view = (u.width * u.height + CHUNK - 1u) / CHUNK;
    return u.num_views * u.num_faces + 16u * u.num_views * per_view;
}

// The slot (view * num_faces + face) owning `item` < total: the last slot whose first item is <= item.
// Fast path: slot `item` itself (every slot one item, as in ordinary fits); else a binary search.
fn item_slot(item: u32, n_slots: u32) -> u32 {
    if (item < n_slots && item_start[item] <= item && item < item_start[item + 1u]) {
        return item;
    }
    var lo = 0u;      // item_start[lo] <= item
    var hi = n_slots; // item < item_start[hi] (item_start[n_slots] is the total)
    while (hi - lo > 1u) {
        let mid = (lo + hi) / 2u;
        if (item_start[mid] <= item) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

// What one invocation of a face pass (forward.wgsl, backward.wgsl) works on.
struct FaceWork {
    valid: bool,  // false past the last face or item: the invocation returns
    slot: u32,    // (view, face) slot: view * num_faces + face
    item: u32,    // its work item (0 with whole faces)
    part: u32,    // the item's piece of the slot's range (0-based)
    chunk: u32,   // pixels per piece
}

// With whole faces (u.chunk >= WHOLE_FACES) the (ceil(num_faces / GROUP), num_views) grid, one invocation
// per face; otherwise the indirect grid of items written by items.wgsl, `nwg.x` workgroups wide.
fn face_work(gid: vec3u, nwg: vec3u) -> FaceWork {
    var w = FaceWork(true, 0u, 0u, 0u, u.chunk);
    let n_slots = u.num_views * u.num_faces;
    if (u.chunk >= WHOLE_FACES) {
        w.valid = gid.x < u.num_faces;
        w.slot = gid.y * u.num_faces + gid.x;
    } else {
        w.item = gid.y * nwg.x * GROUP + gid.x;
        w.valid = w.item < item_start[n_slots];
        if (w.valid) {
            w.slot = item_slot(w.item, n_slots);
            w.part = w.item - item_start[w.slot];
            w.chunk = item_start[n_slots + 1u];
        }
    }
    return w;
}

// Piece `part` (0-based) of range r cut in `chunk`-pixel pieces: (i, j) to start next_pixel from, and
// its number of pixels. No division for a first piece (lavapipe divides per SIMD lane).
fn item_pixels(part: u32, chunk: u32, r: vec4i) -> vec3i {
    if (part == 0u) {
        return vec3i(r.x - 1, r.z, min(i32(min(chunk, 0x7fffffffu)), range_count(r)));
    }
    let k0 = i32(part * chunk);
    let n = min(i32(chunk), range_count(r) - k0);
    let rw = r.y - r.x + 1;
    let row = k0 / rw;
    return vec3i(r.x + (k0 - row * rw) - 1, r.z + row, n);
}
