// laplacian.wgsl — ℓ_i = v_i − mean of its neighbours (uniform Laplacian); w = |ℓ_i|².
// Dispatch: (ceil(num_verts / GROUP), 1, 1).

@group(0) @binding(0) var<uniform> fu: FitUniforms;
@group(0) @binding(1) var<storage, read> verts: array<vec4f>;
@group(0) @binding(2) var<storage, read> topo: array<u32>;          // layout: the "topo" comment in lib/fit.wgsl
@group(0) @binding(3) var<storage, read_write> lap: array<vec4f>;   // ℓ_i xyz, |ℓ_i|²

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    let i = gid.x;
    if (i >= fu.num_verts) {
        return;
    }
    let n0 = topo[i];
    let n1 = topo[i + 1u];
    let nb = fu.num_verts + 1u;
    var l = vec3f(0.0);
    if (n1 > n0) {
        var s = vec3f(0.0);
        for (var e = n0; e < n1; e++) {
            s += verts[topo[nb + e]].xyz;
        }
        l = verts[i].xyz - s / f32(n1 - n0);
    }
    lap[i] = vec4f(l, dot(l, l));
}
