// params.wgsl — SoftRas's parametrization, per vertex and coordinate:
//   b = log(|v0| / (1 - |v0|)), u = sigmoid(b + Δ) · sign(v0), k = tanh(c),
//   v = relu(u) (1 - k) - relu(-u) (k + 1) + k.
// Dispatch: (ceil(num_verts / GROUP), 1, 1).

@group(0) @binding(0) var<uniform> fu: FitUniforms;
@group(0) @binding(1) var<storage, read> v0: array<vec4f>;       // template, xyz
@group(0) @binding(2) var<storage, read> params: array<vec4f>;   // Δ per vertex, then c at num_verts
@group(0) @binding(3) var<storage, read_write> verts: array<vec4f>;

fn coord(p: f32, d: f32, k: f32) -> f32 {
    if (p == 0.0) {
        return k;
    }
    let a = abs(p);
    let u = sigmoid(log(a / (1.0 - a)) + d) * sign(p);
    return max(u, 0.0) * (1.0 - k) - max(-u, 0.0) * (k + 1.0) + k;
}

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    let i = gid.x;
    if (i >= fu.num_verts) {
        return;
    }
    let k = tanh(params[fu.num_verts].xyz);
    let p = v0[i].xyz;
    let d = params[i].xyz;
    verts[i] = vec4f(coord(p.x, d.x, k.x), coord(p.y, d.y, k.y), coord(p.z, d.z, k.z), 0.0);
}
