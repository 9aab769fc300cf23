// lib/camera.wgsl — a camera as the passes see it (Rust mirror: raster::passes::GpuCamera), and its
// projection: the only place that maps camera space to the screen (project, gather and depth use it;
// CPU mirror: camera::Lens).

// rows of R (r0.w: orthographic scale s = 2 / width, 0 for perspective),
// then (eye.xyz, tan of the half field of view; 0 for orthographic)
struct Camera {
    r0: vec4f,
    r1: vec4f,
    r2: vec4f,
    eye_tan: vec4f,
}

fn cam_is_ortho(cam: Camera) -> bool {
    return cam.r0.w > 0.0;
}

// screen (x_s, y_s) of camera-space point vc: perspective x_c / (z_c tan θ), orthographic s·x_c
fn cam_project(cam: Camera, vc: vec3f) -> vec2f {
    if (cam_is_ortho(cam)) {
        return cam.r0.w * vc.xy;
    }
    let s = vc.z * cam.eye_tan.w;
    return vec2f(vc.x / s, vc.y / s);
}

// ∂L/∂v_c from ∂L/∂(x_s, y_s) = g at the projected point pr = (x_s, y_s, z_c):
// perspective (g_x / (z_c tan θ), g_y / (z_c tan θ), −(g_x x_s + g_y y_s) / z_c), orthographic (s g, 0)
fn cam_project_grad(cam: Camera, pr: vec3f, g: vec2f) -> vec3f {
    if (cam_is_ortho(cam)) {
        return vec3f(cam.r0.w * g, 0.0);
    }
    let s = pr.z * cam.eye_tan.w;
    return vec3f(g.x / s, g.y / s, -(g.x * pr.x + g.y * pr.y) / pr.z);
}

// rows ∂q/∂v of the projection at a fixed depth z0 (weak perspective R_x / (z0 tan θ); orthographic s R_x)
fn cam_lateral_rows(cam: Camera, z0: f32) -> mat2x3f {
    if (cam_is_ortho(cam)) {
        return mat2x3f(cam.r0.w * cam.r0.xyz, cam.r0.w * cam.r1.xyz);
    }
    return mat2x3f(cam.r0.xyz / (z0 * cam.eye_tan.w), cam.r1.xyz / (z0 * cam.eye_tan.w));
}
