// reduce.wgsl — one workgroup sums in[offset + k * stride] for k < n into out[out_index], in a fixed
// order (strided per thread, then a tree): deterministic.
// Dispatch: (1, 1, 1).

@group(0) @binding(0) var<uniform> ru: ReduceUniforms;
@group(0) @binding(1) var<storage, read> src: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4f>;


@compute @workgroup_size(REDUCE)
fn main(@builtin(local_invocation_index) t: u32) {
    var acc = vec4f(0.0);
    for (var k = t; k < ru.n; k += REDUCE) {
        acc += src[ru.offset + k * ru.stride];
    }
    let total = workgroup_sum(t, acc);
    if (t == 0u) {
        dst[ru.out_index] = total;
    }
}
