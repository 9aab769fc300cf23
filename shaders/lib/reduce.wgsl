// lib/reduce.wgsl — deterministic sums over one workgroup, and reduce.wgsl's settings.

// Settings of one use of reduce.wgsl: sum in[offset + k * stride], k < n, into out[out_index].
struct ReduceUniforms {
    n: u32,
    offset: u32,
    stride: u32,
    out_index: u32,
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
