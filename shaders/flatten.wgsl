// flatten.wgsl — per interior edge [v0, v1] with opposite vertices v2, v3: p, q = perpendiculars from
// v2, v3 onto the edge's line (p = b − t e, t = e·b / (e·e + ε)), c = p·q / (√(|p|²+ε) √(|q|²+ε)),
// term (c + 1)² (0 when the two faces are coplanar), and its gradient for v0..v3 into the edge's 4
// slots (vertex_grad.wgsl gathers them). Slot 0's w holds the term.
// Dispatch: (ceil(num_edges / GROUP), 1, 1).

@group(0) @binding(0) var<uniform> fu: FitUniforms;
@group(0) @binding(1) var<storage, read> verts: array<vec4f>;
@group(0) @binding(2) var<storage, read> edges: array<vec4u>;             // v0, v1, v2, v3
@group(0) @binding(3) var<storage, read_write> edge_grads: array<vec4f>;  // 4 per edge

const FLAT_EPS: f32 = 1e-6;

// (∂L/∂b, ∂L/∂e) from ∂L/∂p for p = b − t e
fn perp_back(gp: vec3f, e: vec3f, b: vec3f, t: f32, n: f32) -> array<vec3f, 2> {
    let ge = dot(gp, e);
    return array<vec3f, 2>(gp - ge * e / n, -t * gp - ge * (b - 2.0 * t * e) / n);
}

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    let k = gid.x;
    if (k >= fu.num_edges) {
        return;
    }
    let ed = edges[k];
    let x0 = verts[ed.x].xyz;
    let e = verts[ed.y].xyz - x0;
    let b1 = verts[ed.z].xyz - x0;
    let b2 = verts[ed.w].xyz - x0;
    let n = dot(e, e) + FLAT_EPS;
    let t1 = dot(e, b1) / n;
    let t2 = dot(e, b2) / n;
    let p = b1 - t1 * e;
    let q = b2 - t2 * e;
    let lp = sqrt(dot(p, p) + FLAT_EPS);
    let lq = sqrt(dot(q, q) + FLAT_EPS);
    let c = dot(p, q) / (lp * lq);
    let dl = 2.0 * (c + 1.0);
    let gp = dl * (q / (lp * lq) - c * p / (lp * lp));
    let gq = dl * (p / (lp * lq) - c * q / (lq * lq));
    let r1 = perp_back(gp, e, b1, t1, n);
    let r2 = perp_back(gq, e, b2, t2, n);
    let ge = r1[1] + r2[1];
    edge_grads[4u * k] = vec4f(-(r1[0] + r2[0] + ge), (c + 1.0) * (c + 1.0));
    edge_grads[4u * k + 1u] = vec4f(ge, 0.0);
    edge_grads[4u * k + 2u] = vec4f(r1[0], 0.0);
    edge_grads[4u * k + 3u] = vec4f(r2[0], 0.0);
}
