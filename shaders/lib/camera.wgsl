// lib/camera.wgsl — a camera as the passes see it (Rust mirror: raster::passes::GpuCamera).

// rows of R, then (eye.xyz, tan of the half field of view)
struct Camera {
    r0: vec4f,
    r1: vec4f,
    r2: vec4f,
    eye_tan: vec4f,
}
