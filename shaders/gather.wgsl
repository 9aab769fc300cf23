// gather.wgsl — per vertex and view: sum the NDC gradients of its corners (backward.wgsl) over its
// faces (CSR vertex→face list, face order), take the sum through that view's projection —
// ∂L/∂v_c from cam_project_grad (lib/camera.wgsl; perspective: ∂L/∂x_c = g_x / (z_c tan θ),
// ∂L/∂z_c = −(g_x x_s + g_y y_s) / z_c; orthographic: s g, 0), ∂L/∂v = Rᵀ ∂L/∂v_c — and sum the views, all in a fixed order: deterministic.
// Dispatch: (ceil(num_verts / GROUP), 1, 1).

@group(0) @binding(0) var<uniform> u: RasterUniforms;
@group(0) @binding(1) var<storage, read> cams: array<Camera>;
@group(0) @binding(2) var<storage, read> proj: array<vec4f>;        // see project.wgsl
@group(0) @binding(3) var<storage, read> vf_offsets: array<u32>;    // num_verts + 1
@group(0) @binding(4) var<storage, read> vf_entries: array<u32>;    // face * 3 + corner
@group(0) @binding(5) var<storage, read> v_face: array<vec2f>;      // see backward.wgsl
// v_verts: ∂L/∂v per vertex, xyz (w = 0)
@group(0) @binding(6) var<storage, read_write> v_verts: array<vec4f>;

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    let v = gid.x;
    if (v >= u.num_verts) {
        return;
    }
    let e0 = vf_offsets[v];
    let e1 = vf_offsets[v + 1u];
    var acc = vec3f(0.0);
    for (var view = 0u; view < u.num_views; view++) {
        var gs = vec2f(0.0);
        for (var e = e0; e < e1; e++) {
            let entry = vf_entries[e];
            gs += v_face[((entry / 3u) * u.num_views + view) * 3u + entry % 3u];
        }
        if (gs.x == 0.0 && gs.y == 0.0) {
            continue;
        }
        let pr = proj[view * u.num_verts + v];
        let cam = cams[view];
        let dc = cam_project_grad(cam, pr.xyz, gs);
        acc += dc.x * cam.r0.xyz + dc.y * cam.r1.xyz + dc.z * cam.r2.xyz;
    }
    v_verts[v] = vec4f(acc, 0.0);
}
