// items.wgsl — one workgroup: the work items of the face passes (lib/items.wgsl). setup.wgsl left in
// item_start[slot] each slot's item count at u.chunk pixels per item; this pass picks `chunk` (u.chunk,
// doubled until the items fit item_capacity(); ceil(ceil(n / c) / 2^k) = ceil(n / (c 2^k))), replaces the
// counts by their exclusive prefix sum in slot order (integers: exact), writes the total at
// item_start[n_slots] and chunk at item_start[n_slots + 1], and the indirect dispatch arguments of
// forward.wgsl and backward.wgsl: ceil(total / GROUP) workgroups as (x ≤ 65535, y).
// Dispatch: (1, 1, 1).

@group(0) @binding(0) var<uniform> u: RasterUniforms;
// item_start: num_views * num_faces + 2 (in: counts at u.chunk; out: first item per slot, total, chunk)
@group(0) @binding(1) var<storage, read_write> item_start: array<u32>;
// args: workgroups x, y, z for dispatch_workgroups_indirect
@group(0) @binding(2) var<storage, read_write> args: array<u32>;

const SCAN: u32 = 256u;
const MAX_X: u32 = 65535u;

var<workgroup> partial: array<u32, SCAN>;
var<workgroup> shared_total: u32;

fn sat_add(a: u32, b: u32) -> u32 {
    return select(a + b, 0xffffffffu, a + b < a);
}

// Items of a slot whose count at u.chunk is c, at chunk = u.chunk << shift.
fn scaled(c: u32, shift: u32) -> u32 {
    return (c + (1u << shift) - 1u) >> shift;
}

@compute @workgroup_size(SCAN)
fn main(@builtin(local_invocation_index) li: u32) {
    let n = u.num_views * u.num_faces;
    let per = (n + SCAN - 1u) / SCAN;
    let s0 = min(li * per, n);
    let s1 = min(s0 + per, n);
    let cap = item_capacity();
    var shift = 0u;
    loop {
        var t = 0u;
        for (var s = s0; s < s1; s++) {
            t = sat_add(t, scaled(item_start[s], shift));
        }
        partial[li] = t;
        workgroupBarrier();
        if (li == 0u) {
            var total = 0u;
            for (var k = 0u; k < SCAN; k++) {
                total = sat_add(total, partial[k]);
            }
            shared_total = total;
        }
        let total = workgroupUniformLoad(&shared_total);
        if (total <= cap || shift >= 31u) {
            break;
        }
        shift += 1u;
    }
    if (li == 0u) {
        var run = 0u;
        for (var k = 0u; k < SCAN; k++) {
            let t = partial[k];
            partial[k] = run;
            run += t;
        }
    }
    workgroupBarrier();
    var run = partial[li];
    for (var s = s0; s < s1; s++) {
        let c = scaled(item_start[s], shift);
        item_start[s] = run;
        run += c;
    }
    if (li == 0u) {
        let total = shared_total;
        item_start[n] = total;
        item_start[n + 1u] = u.chunk << shift;
        let groups = (total + GROUP - 1u) / GROUP;
        let y = (groups + MAX_X - 1u) / MAX_X;
        args[0] = select(0u, (groups + y - 1u) / y, y > 0u);
        args[1] = y;
        args[2] = 1u;
    }
}
