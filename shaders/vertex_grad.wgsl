// vertex_grad.wgsl — per vertex: the total ∂L/∂v = silhouette term (gather.wgsl; the depth prior,
//   depth.wgsl, is already added into it)
//   + λ_lap · 2 (ℓ_i − Σ_{j∈N(i)} ℓ_j / deg_j) + λ_flat · Σ of its flatten slots,
// then back through the parametrization (params.wgsl): ∂L/∂Δ into grads[i], and this vertex's share of
// ∂L/∂c (summed by reduce.wgsl) into vstats[i].xyz, |ℓ_i|² into vstats[i].w, |∂L/∂Δ_i|² into
// vstats[num_verts + i].x. With large steps (fu.large_steps), ∂L/∂v itself into grads[i], 0 for c.
// Dispatch: (ceil(num_verts / GROUP), 1, 1).

@group(0) @binding(0) var<uniform> fu: FitUniforms;
@group(0) @binding(1) var<storage, read> v0: array<vec4f>;
@group(0) @binding(2) var<storage, read> params: array<vec4f>;
@group(0) @binding(3) var<storage, read> v_verts: array<vec4f>;       // gather.wgsl (+ depth.wgsl)
@group(0) @binding(4) var<storage, read> lap: array<vec4f>;           // see laplacian.wgsl
@group(0) @binding(5) var<storage, read> topo: array<u32>;            // layout: the "topo" comment in lib/fit.wgsl
@group(0) @binding(6) var<storage, read> edge_grads: array<vec4f>;    // see flatten.wgsl
@group(0) @binding(7) var<storage, read_write> grads: array<vec4f>;   // ∂L/∂Δ per vertex
@group(0) @binding(8) var<storage, read_write> vstats: array<vec4f>;  // 2 per vertex, see above

// (∂v/∂Δ, ∂v/∂k) of one coordinate
fn coord_grad(p: f32, d: f32, k: f32) -> vec2f {
    if (p == 0.0) {
        return vec2f(0.0, 1.0);
    }
    let a = abs(p);
    let sg = sigmoid(log(a / (1.0 - a)) + d);
    let s = sign(p);
    let u = sg * s;
    let du = s * sg * (1.0 - sg);
    if (u > 0.0) {
        return vec2f((1.0 - k) * du, 1.0 - u);
    }
    return vec2f((k + 1.0) * du, u + 1.0);
}

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    let i = gid.x;
    if (i >= fu.num_verts) {
        return;
    }
    var g = v_verts[i].xyz;
    // Laplacian: 2 (ℓ_i − Σ_j ℓ_j / deg_j)
    let n = fu.num_verts;
    let nb = n + 1u;                 // neighbours start
    let so = nb + topo[n];           // slot offsets start
    let sl = so + n + 1u;            // slots start
    var back = vec3f(0.0);
    for (var e = topo[i]; e < topo[i + 1u]; e++) {
        let j = topo[nb + e];
        back += lap[j].xyz / f32(topo[j + 1u] - topo[j]);
    }
    g += fu.lambda_lap * 2.0 * (lap[i].xyz - back);
    // flatten
    var gf = vec3f(0.0);
    for (var e = topo[so + i]; e < topo[so + i + 1u]; e++) {
        gf += edge_grads[topo[sl + e]].xyz;
    }
    g += fu.lambda_flat * gf;
    if (fu.large_steps != 0u) {
        // positions are the parameters: ∂L/∂v itself, nothing for c
        grads[i] = vec4f(g, 0.0);
        vstats[i] = vec4f(0.0, 0.0, 0.0, lap[i].w);
        vstats[fu.num_verts + i] = vec4f(dot(g, g), 0.0, 0.0, 0.0);
        return;
    }
    // parametrization
    let k = tanh(params[fu.num_verts].xyz);
    let p = v0[i].xyz;
    let d = params[i].xyz;
    let cx = coord_grad(p.x, d.x, k.x);
    let cy = coord_grad(p.y, d.y, k.y);
    let cz = coord_grad(p.z, d.z, k.z);
    let gd = g * vec3f(cx.x, cy.x, cz.x);
    let gk = g * vec3f(cx.y, cy.y, cz.y) * (vec3f(1.0) - k * k);
    grads[i] = vec4f(gd, 0.0);
    vstats[i] = vec4f(gk, lap[i].w);
    vstats[fu.num_verts + i] = vec4f(dot(gd, gd), 0.0, 0.0, 0.0);
}
