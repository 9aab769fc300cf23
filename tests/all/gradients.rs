//! The CPU reference's analytic gradient against central finite differences of its own forward.
use crate::common::*;
use glam::DVec3;
use softras::fit::reference::iou_loss_and_grad;
use softras::raster::{RasterSettings, cpu};
use softras::{Camera, Mesh};

fn loss(mesh: &Mesh, cams: &[Camera], s: &RasterSettings, masks: &[Vec<f64>]) -> f64 {
    let f = cpu::forward(mesh, cams, s);
    let n = s.pixels();
    masks.iter().enumerate().map(|(v, m)| iou_loss_and_grad(&f.sil[v * n..(v + 1) * n], m).0).sum::<f64>() / cams.len() as f64
}

fn check(mesh: &Mesh, cams: &[Camera], s: &RasterSettings) {
    let n = s.pixels();
    let masks: Vec<Vec<f64>> = (0..cams.len()).map(|v| disc_mask(s.width, s.height, 0.08 * v as f64, -0.05, 0.4)).collect();
    let fwd = cpu::forward(mesh, cams, s);
    let mut v_sil = Vec::new();
    for (v, m) in masks.iter().enumerate() {
        v_sil.extend(iou_loss_and_grad(&fwd.sil[v * n..(v + 1) * n], m).1.iter().map(|g| g / cams.len() as f64));
    }
    let grad = cpu::backward(mesh, cams, s, &fwd, &v_sil);
    let scale = grad.iter().map(|g| g.abs().max_element()).fold(0.0, f64::max);
    assert!(scale > 0.0);
    let h = 1e-6;
    let mut checked = 0;
    for (vi, g) in grad.iter().enumerate() {
        for k in 0..3 {
            if g[k].abs() < 1e-2 * scale {
                continue;
            }
            let mut plus = mesh.clone();
            let mut minus = mesh.clone();
            let mut d = DVec3::ZERO;
            d[k] = h;
            // perturb in f64 through f32 vertices: use the exact step that f32 can represent
            plus.vertices[vi] = (plus.vertices[vi].as_dvec3() + d).as_vec3();
            minus.vertices[vi] = (minus.vertices[vi].as_dvec3() - d).as_vec3();
            let step = (plus.vertices[vi][k] as f64) - (minus.vertices[vi][k] as f64);
            let fd = (loss(&plus, cams, s, &masks) - loss(&minus, cams, s, &masks)) / step;
            let rel = (g[k] - fd).abs() / fd.abs().max(g[k].abs());
            assert!(rel <= 1e-3, "vertex {vi} axis {k}: analytic {:e}, finite difference {fd:e}, relative error {rel:e}", g[k]);
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} components were large enough to check");
}

#[test]
fn silhouette_gradient_matches_finite_differences() {
    let cams = [Camera::new(2.732, 20.0, 30.0, 30.0).unwrap(), Camera::new(2.2, -40.0, -120.0, 25.0).unwrap()];
    // cull ε tiny: no range boundary inside the finite-difference step
    for (mesh, sigma, size) in [(blob(1, 2), 1e-2, 24u32), (blob(1, 3), 1e-3, 32), (random_soup(4, 6, 0.4), 3e-4, 32)] {
        let s = RasterSettings { cull_eps: 1e-30, ..RasterSettings::square(size, sigma) };
        check(&mesh, &cams, &s);
    }
}

#[test]
fn finite_difference_check_can_fail() {
    // A wrong analytic gradient (σ off by 10 % in the backward pass) must be caught.
    let cams = [Camera::new(2.732, 20.0, 30.0, 30.0).unwrap()];
    let mesh = blob(1, 2);
    let s = RasterSettings { cull_eps: 1e-30, ..RasterSettings::square(24, 1e-2) };
    let masks = [disc_mask(24, 24, 0.0, -0.05, 0.4)];
    let fwd = cpu::forward(&mesh, &cams, &s);
    let (_, v_sil) = iou_loss_and_grad(&fwd.sil, &masks[0]);
    let wrong = RasterSettings { sigma: 1.1e-2, ..s };
    let g = cpu::backward(&mesh, &cams, &wrong, &fwd, &v_sil);
    let (vi, k) = (0..mesh.vertices.len())
        .flat_map(|v| (0..3).map(move |k| (v, k)))
        .max_by(|a, b| g[a.0][a.1].abs().total_cmp(&g[b.0][b.1].abs()))
        .unwrap();
    let h = 1e-5f32;
    let (mut p, mut m) = (mesh.clone(), mesh.clone());
    p.vertices[vi][k] += h;
    m.vertices[vi][k] -= h;
    let step = p.vertices[vi][k] as f64 - m.vertices[vi][k] as f64;
    let fd = (loss(&p, &cams, &s, &masks) - loss(&m, &cams, &s, &masks)) / step;
    assert!((g[vi][k] - fd).abs() / fd.abs() > 1e-3);
}
