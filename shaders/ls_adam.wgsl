// ls_adam.wgsl — uniform Adam (large steps) on u: m, v as Adam with this step's gradient g_u (from
// cg.wgsl), then u ← u − lr · m̂ / (ε + max √v̂), the max over every entry of v (one scale for the
// whole tensor). A vertex with a non-finite gradient keeps its u, m and v. One workgroup: the max is
// a tree over the workgroup (deterministic). Betas, ε, bias corrections from the fit uniforms.
// Oracle: fit::large_steps::uniform_adam. Dispatch: (1, 1, 1).

@group(0) @binding(0) var<uniform> fu: FitUniforms;
@group(0) @binding(1) var<storage, read> gu: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> params: array<vec4f>;  // u per vertex
@group(0) @binding(3) var<storage, read_write> adam_m: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> adam_v: array<vec4f>;

fn finite3(v: vec3f) -> bool {
    return is_finite(v.x) && is_finite(v.y) && is_finite(v.z);
}

@compute @workgroup_size(REDUCE)
fn main(@builtin(local_invocation_index) t: u32) {
    let n = fu.num_verts;
    var vmax = 0.0;
    for (var i = t; i < n; i += REDUCE) {
        let g = gu[i].xyz;
        var v = adam_v[i].xyz;
        if (finite3(g)) {
            adam_m[i] = vec4f(fu.beta1 * adam_m[i].xyz + (1.0 - fu.beta1) * g, 0.0);
            v = fu.beta2 * v + (1.0 - fu.beta2) * g * g;
            adam_v[i] = vec4f(v, 0.0);
        }
        vmax = max(vmax, max(v.x, max(v.y, v.z)));
    }
    s_reduce[t] = vec4f(vmax);
    workgroupBarrier();
    for (var off = REDUCE / 2u; off > 0u; off = off / 2u) {
        if (t < off) {
            s_reduce[t] = max(s_reduce[t], s_reduce[t + off]);
        }
        workgroupBarrier();
    }
    let denom = sqrt(s_reduce[0].x) / sqrt(fu.bias2) + fu.adam_eps;
    for (var i = t; i < n; i += REDUCE) {
        if (finite3(gu[i].xyz)) {
            params[i] = vec4f(params[i].xyz - (fu.lr / fu.bias1) * adam_m[i].xyz / denom, 0.0);
        }
    }
}
