//! The CPU reference: forward and backward of MATH.md in plain f64, no tiling, with the same per-face
//! ε cull as the GPU (a face visits only the pixels of its bounding box grown by r), so the two engines
//! differ only by rounding. It is the oracle of the tests and the fallback engine without a GPU.
use super::{RasterSettings, SoftRasterizer, pixel_center, pixel_range, validate_inputs};
use crate::camera::Camera;
use crate::error::Result;
use crate::mesh::Mesh;
use glam::{DVec2, DVec3, Vec3};

/// Projected vertex: screen x_s, y_s and camera depth z_c (perspective or orthographic, [`Camera::lens`]).
pub fn project(mesh: &Mesh, cam: &Camera) -> Vec<DVec3> {
    let (r, eye, lens) = (cam.rotation(), cam.eye(), cam.lens());
    mesh.vertices
        .iter()
        .map(|v| {
            let vc = r * (v.as_dvec3() - eye);
            lens.project(vc).extend(vc.z)
        })
        .collect()
}

/// A face as the rasterizer sees it in one view.
#[derive(Clone, Copy, Debug)]
pub struct FaceSetup {
    pub corners: [DVec2; 3],
    /// |2A| > 1e-12: the face may contain pixels (δ = +1); else it is only ever "outside".
    pub can_inside: bool,
    /// Inclusive pixel range (i0, i1, j0, j1) of the bbox grown by r; None if skipped or off-image.
    pub range: Option<(i64, i64, i64, i64)>,
}

pub const MIN_DOUBLE_AREA: f64 = 1e-12;
/// The backward pass skips pixels with T < T_SKIP (as backward.wgsl): their terms T·D/σ are at most
/// 1e-8 of those of a pixel on the silhouette's boundary.
pub const T_SKIP: f64 = 1e-8;

pub fn setup_faces(mesh: &Mesh, proj: &[DVec3], s: &RasterSettings) -> Vec<FaceSetup> {
    let r = s.cull_radius();
    mesh.faces
        .iter()
        .map(|f| {
            let p = f.map(|k| proj[k as usize]);
            let corners = p.map(|q| DVec2::new(q.x, q.y));
            let drawn = p.iter().all(|q| q.z > s.near && q.x.is_finite() && q.y.is_finite());
            let [a, b, c] = corners;
            let can_inside = (b - a).perp_dot(c - a).abs() > MIN_DOUBLE_AREA;
            let range = drawn
                .then(|| {
                    let lo = a.min(b).min(c) - r;
                    let hi = a.max(b).max(c) + r;
                    pixel_range((lo.x, lo.y), (hi.x, hi.y), s.width, s.height)
                })
                .flatten();
            FaceSetup { corners, can_inside, range }
        })
        .collect()
}

/// Nearest edge of the triangle to p, first minimum in edge order (a,b), (b,c), (c,a):
/// (edge index k, t, d²); the edge runs from corner k to corner (k+1) % 3.
pub fn nearest_edge(p: DVec2, c: &[DVec2; 3]) -> (usize, f64, f64) {
    let mut best = (0, 0.0, f64::INFINITY);
    for k in 0..3 {
        let (e0, e1) = (c[k], c[(k + 1) % 3]);
        let e = e1 - e0;
        let len2 = e.dot(e);
        let t = if len2 > 0.0 { ((p - e0).dot(e) / len2).clamp(0.0, 1.0) } else { 0.0 };
        let d = p - (e0 + t * e);
        let d2 = d.dot(d);
        if d2 < best.2 {
            best = (k, t, d2);
        }
    }
    best
}

/// Edge-function inside test, orientation-independent.
pub fn inside(p: DVec2, c: &[DVec2; 3]) -> bool {
    let w0 = (c[1] - c[0]).perp_dot(p - c[0]);
    let w1 = (c[2] - c[1]).perp_dot(p - c[1]);
    let w2 = (c[0] - c[2]).perp_dot(p - c[2]);
    (w0 >= 0.0 && w1 >= 0.0 && w2 >= 0.0) || (w0 <= 0.0 && w1 <= 0.0 && w2 <= 0.0)
}

/// δ and d² of face `f` at pixel centre `p`.
fn signed(p: DVec2, f: &FaceSetup) -> (f64, (usize, f64, f64)) {
    let hit = nearest_edge(p, &f.corners);
    let delta = if f.can_inside && inside(p, &f.corners) { 1.0 } else { -1.0 };
    (delta, hit)
}

pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 { 1.0 / (1.0 + (-x).exp()) } else { x.exp() / (1.0 + x.exp()) }
}

/// Forward result: log T and S per (view, pixel). A face counts at a pixel of its grown range unless it
/// is outside with d² > r² (then D < ε): the same cull as forward.wgsl.
pub struct Forward {
    pub log_t: Vec<f64>,
    pub sil: Vec<f64>,
}

/// S for every view (views × H × W), f64.
pub fn forward(mesh: &Mesh, cams: &[Camera], s: &RasterSettings) -> Forward {
    let npix = s.pixels();
    let mut log_t = vec![0.0; npix * cams.len()];
    for (v, cam) in cams.iter().enumerate() {
        let faces = setup_faces(mesh, &project(mesh, cam), s);
        let out = &mut log_t[v * npix..(v + 1) * npix];
        let r2 = s.cull_radius().powi(2);
        // Face-major order: each pixel still sums its faces in face order.
        for f in &faces {
            let Some((i0, i1, j0, j1)) = f.range else { continue };
            for j in j0..=j1 {
                for i in i0..=i1 {
                    let (px, py) = pixel_center(i, j, s.width, s.height);
                    let (delta, (_, _, d2)) = signed(DVec2::new(px, py), f);
                    if delta < 0.0 && d2 > r2 {
                        continue; // D < ε: culled
                    }
                    out[(j * s.width as i64 + i) as usize] -= softplus(delta * d2 / s.sigma);
                }
            }
        }
    }
    let sil = log_t.iter().map(|&l| -l.exp_m1()).collect();
    Forward { log_t, sil }
}

/// ∂L/∂vertex (f64) for ∂L/∂S = `v_sil` (views × H × W), given the forward's log T.
pub fn backward(mesh: &Mesh, cams: &[Camera], s: &RasterSettings, fwd: &Forward, v_sil: &[f64]) -> Vec<DVec3> {
    let npix = s.pixels();
    let mut v_verts = vec![DVec3::ZERO; mesh.vertices.len()];
    for (v, cam) in cams.iter().enumerate() {
        let proj = project(mesh, cam);
        let faces = setup_faces(mesh, &proj, s);
        // per-vertex screen-space gradient of this view
        let mut v_screen = vec![DVec2::ZERO; mesh.vertices.len()];
        let r2 = s.cull_radius().powi(2);
        for (f, tri) in faces.iter().zip(&mesh.faces) {
            let Some((i0, i1, j0, j1)) = f.range else { continue };
            let mut g = [DVec2::ZERO; 3];
            for j in j0..=j1 {
                for i in i0..=i1 {
                    let idx = v * npix + (j * s.width as i64 + i) as usize;
                    let vs = v_sil[idx];
                    let tp = fwd.log_t[idx].exp();
                    if vs == 0.0 || tp < T_SKIP {
                        continue;
                    }
                    let (px, py) = pixel_center(i, j, s.width, s.height);
                    let p = DVec2::new(px, py);
                    let (delta, (k0, t, d2)) = signed(p, f);
                    if delta < 0.0 && d2 > r2 {
                        continue; // D < ε: culled
                    }
                    let dd = sigmoid(delta * d2 / s.sigma);
                    let gs = vs * delta * tp * dd / s.sigma;
                    let k1 = (k0 + 1) % 3;
                    let q = f.corners[k0] + t * (f.corners[k1] - f.corners[k0]);
                    let w = -2.0 * gs * (p - q);
                    g[k0] += (1.0 - t) * w;
                    g[k1] += t * w;
                }
            }
            for k in 0..3 {
                v_screen[tri[k] as usize] += g[k];
            }
        }
        let (r, lens) = (cam.rotation(), cam.lens());
        for (vi, gs) in v_screen.iter().enumerate() {
            if *gs == DVec2::ZERO {
                continue;
            }
            v_verts[vi] += r.transpose() * lens.grad(proj[vi], *gs);
        }
    }
    v_verts
}

/// The CPU reference as an engine.
pub struct CpuRaster;

impl SoftRasterizer for CpuRaster {
    fn describe(&self) -> String {
        "cpu reference (f64)".into()
    }

    fn forward(&mut self, mesh: &Mesh, cams: &[Camera], s: &RasterSettings) -> Result<Vec<f32>> {
        validate_inputs(mesh, cams, s)?;
        Ok(forward(mesh, cams, s).sil.iter().map(|&x| x as f32).collect())
    }

    fn backward(&mut self, mesh: &Mesh, cams: &[Camera], s: &RasterSettings, v_silhouette: &[f32]) -> Result<Vec<Vec3>> {
        validate_inputs(mesh, cams, s)?;
        super::check_image_len(v_silhouette.len(), cams.len(), s)?;
        let fwd = forward(mesh, cams, s);
        let v: Vec<f64> = v_silhouette.iter().map(|&x| x as f64).collect();
        Ok(backward(mesh, cams, s, &fwd, &v).iter().map(|g| g.as_vec3()).collect())
    }
}
