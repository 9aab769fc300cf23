// project.wgsl — per (vertex, view): camera space v_c = R (v - eye), screen (x_s, y_s) by the camera's
// projection (lib/camera.wgsl: perspective x_c / (z_c tan θ), orthographic s·x_c).
// Dispatch: (ceil(num_verts / GROUP), num_views, 1).

@group(0) @binding(0) var<uniform> u: RasterUniforms;
@group(0) @binding(1) var<storage, read> cams: array<Camera>;
@group(0) @binding(2) var<storage, read> verts: array<vec4f>;        // xyz, w unused
// proj: per (view, vertex) at view * num_verts + v: x_s, y_s, z_c, 0
@group(0) @binding(3) var<storage, read_write> proj: array<vec4f>;

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    let v = gid.x;
    let view = gid.y;
    if (v >= u.num_verts) {
        return;
    }
    let cam = cams[view];
    let d = verts[v].xyz - cam.eye_tan.xyz;
    let vc = vec3f(dot(cam.r0.xyz, d), dot(cam.r1.xyz, d), dot(cam.r2.xyz, d));
    proj[view * u.num_verts + v] = vec4f(cam_project(cam, vc), vc.z, 0.0);
}
