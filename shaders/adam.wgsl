// adam.wgsl — torch.optim.Adam on every parameter: Δ per vertex (gradient from vertex_grad.wgsl) and the
// centre c at index num_verts (gradient = stats[0].xyz from reduce.wgsl). While the depth prior is on
// (lambda_depth > 0) c is held, parameters and moments untouched (fit::cpu::CpuFitter::step, the
// oracle). A non-finite gradient leaves
// its parameter and moments untouched, so no NaN reaches the mesh; the host sees it in the stats and
// rolls back.
// Dispatch: (ceil((num_verts + 1) / GROUP), 1, 1).

@group(0) @binding(0) var<uniform> fu: FitUniforms;
@group(0) @binding(1) var<storage, read> grads: array<vec4f>;
@group(0) @binding(2) var<storage, read> stats: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> params: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> adam_m: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> adam_v: array<vec4f>;

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    let i = gid.x;
    if (i > fu.num_verts) {
        return;
    }
    var g = grads[i].xyz;
    if (i == fu.num_verts) {
        if (fu.lambda_depth > 0.0) {
            return;
        }
        g = stats[0].xyz;
    }
    if (!(is_finite(g.x) && is_finite(g.y) && is_finite(g.z))) {
        return;
    }
    let m = fu.beta1 * adam_m[i].xyz + (1.0 - fu.beta1) * g;
    let v = fu.beta2 * adam_v[i].xyz + (1.0 - fu.beta2) * g * g;
    let denom = sqrt(v) / sqrt(fu.bias2) + vec3f(fu.adam_eps);
    adam_m[i] = vec4f(m, 0.0);
    adam_v[i] = vec4f(v, 0.0);
    params[i] = vec4f(params[i].xyz - (fu.lr / fu.bias1) * m / denom, 0.0);
}
