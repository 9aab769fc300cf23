//! Helpers shared by the test modules: the GPU, random and degenerate meshes.
#![allow(dead_code)]
use glam::Vec3;
use rand::{Rng, SeedableRng, rngs::StdRng};
use softras::gpu::GpuContext;
use softras::raster::gpu::GpuRaster;
use softras::{Camera, Mesh};
use std::sync::Arc;

/// A JSON report (`fit --report`) as written.
pub fn read_report(p: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// Runs the softras binary: (success, stdout, stderr).
pub fn softras(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_softras")).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// The shared GPU context. A missing adapter is a test failure, with the reason.
pub fn gpu() -> Arc<GpuContext> {
    match GpuContext::shared() {
        Ok(c) => c,
        Err(e) => panic!("GPU tests need an adapter (in CI: Mesa's lavapipe, apt-get install mesa-vulkan-drivers): {e}"),
    }
}

pub fn gpu_raster() -> GpuRaster {
    GpuRaster::new(gpu()).expect("pipelines build")
}

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// A soup of random triangles in [-s, s]³.
pub fn random_soup(seed: u64, faces: usize, s: f32) -> Mesh {
    let mut r = rng(seed);
    let mut vertices = Vec::new();
    let mut fs = Vec::new();
    for f in 0..faces {
        let c = Vec3::new(r.random_range(-s..s), r.random_range(-s..s), r.random_range(-s..s));
        for _ in 0..3 {
            vertices.push(c + 0.3 * Vec3::new(r.random_range(-1.0..1.0), r.random_range(-1.0..1.0), r.random_range(-1.0..1.0)));
        }
        let b = (3 * f) as u32;
        fs.push([b, b + 1, b + 2]);
    }
    Mesh { vertices, faces: fs }
}

/// Random faces plus every awkward case: zero-area faces (a repeated vertex, collinear corners),
/// faces behind the camera and straddling its plane, faces partly off screen.
pub fn degenerate_mesh(seed: u64, cam: &Camera) -> Mesh {
    let mut m = random_soup(seed, 12, 0.6);
    let eye = cam.eye().as_vec3();
    let fwd = (-eye).normalize();
    let add = |m: &mut Mesh, pts: [Vec3; 3]| {
        let b = m.vertices.len() as u32;
        m.vertices.extend_from_slice(&pts);
        m.faces.push([b, b + 1, b + 2]);
    };
    let (a, b) = (Vec3::new(0.1, 0.2, 0.0), Vec3::new(-0.3, -0.1, 0.1));
    add(&mut m, [a, b, a]); // repeated vertex
    add(&mut m, [a, b, (a + b) * 0.5]); // collinear
    add(&mut m, [a, a, a]); // a point
    // behind the eye
    add(&mut m, [eye - fwd, eye - fwd + Vec3::X * 0.3, eye - fwd + Vec3::Y * 0.3]);
    // straddling the camera plane: one vertex behind the eye
    add(&mut m, [Vec3::new(0.2, 0.1, 0.0), Vec3::new(-0.2, 0.3, 0.0), eye - 0.5 * fwd]);
    // partly off screen (large in x and y)
    add(&mut m, [Vec3::new(-0.2, -0.2, 0.0), Vec3::new(3.0, 0.1, 0.0), Vec3::new(0.1, 3.0, 0.2)]);
    m
}

/// A closed sphere with every coordinate non-zero and a little asymmetry.
pub fn blob(level: u32, seed: u64) -> Mesh {
    let mut m = Mesh::icosphere(level).unwrap().scaled(0.5);
    let mut r = rng(seed);
    for v in &mut m.vertices {
        *v = *v * r.random_range(0.9..1.1) + Vec3::new(0.03, -0.02, 0.01);
    }
    m
}

pub fn max_abs_diff(a: &[f32], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(&x, &y)| (x as f64 - y).abs()).fold(0.0, f64::max)
}

/// A disc-shaped soft mask (the loss target of the gradient tests).
pub fn disc_mask(w: u32, h: u32, cx: f64, cy: f64, r: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity((w * h) as usize);
    for j in 0..h as i64 {
        for i in 0..w as i64 {
            let (x, y) = softras::raster::pixel_center(i, j, w, h);
            out.push(if (x - cx).powi(2) + (y - cy).powi(2) < r * r { 1.0 } else { 0.0 });
        }
    }
    out
}

/// Writes the built-in shape `name` (`softras shape NAME`) as OBJ at `path`: a target mesh for a test.
pub fn write_shape(name: &str, path: &std::path::Path) {
    softras::shapes::by_name(name).unwrap_or_else(|| panic!("no shape {name}")).save_obj(path).unwrap();
}
