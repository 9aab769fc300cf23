//! The CPU reference's analytic gradient against central finite differences of its own forward.
use crate::common::*;
use glam::DVec3;
use softras::fit::reference::{iou_loss_and_grad, mean_iou, multiview_iou};
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
    check_fd(mesh, &grad, |m| loss(m, cams, s, &masks));
}

/// Every component of `grad` that is not tiny against central finite differences of `loss` (relative
/// error ≤ 1e-3; at least 10 components checked).
fn check_fd(mesh: &Mesh, grad: &[DVec3], loss: impl Fn(&Mesh) -> f64) {
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
            let fd = (loss(&plus) - loss(&minus)) / step;
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
fn weighted_silhouette_gradient_matches_finite_differences() {
    // L = 1 − Σ w_v IoU_v / Σ w_v with unequal weights (one of them 0), through the fitter's own
    // multiview_iou: its ∂L/∂S, back through the rasterizer, against finite differences of its loss
    let cams = [
        Camera::new(2.732, 20.0, 30.0, 30.0).unwrap(),
        Camera::new(2.2, -40.0, -120.0, 25.0).unwrap(),
        Camera::new(2.5, 60.0, 75.0, 30.0).unwrap(),
        Camera::new(2.732, 0.0, 180.0, 30.0).unwrap(),
    ];
    let weights = [0.3, 2.5, 1.0, 0.0];
    for (mesh, sigma, size) in [(blob(1, 2), 1e-2, 24u32), (blob(1, 3), 1e-3, 32), (random_soup(4, 6, 0.4), 3e-4, 32)] {
        let s = RasterSettings { cull_eps: 1e-30, ..RasterSettings::square(size, sigma) };
        let n = s.pixels();
        let masks: Vec<f64> = (0..cams.len()).flat_map(|v| disc_mask(size, size, 0.08 * v as f64, -0.05, 0.4)).collect();
        let weighted = |m: &Mesh| multiview_iou(&cpu::forward(m, &cams, &s).sil, &masks, n, &weights).0;
        let fwd = cpu::forward(&mesh, &cams, &s);
        let (l, ious, v_sil) = multiview_iou(&fwd.sil, &masks, n, &weights);
        // the loss is the weighted one, not the plain mean
        let want = 1.0 - ious.iter().zip(weights).map(|(i, w)| w * i).sum::<f64>() / weights.iter().sum::<f64>();
        assert!((l - want).abs() < 1e-15, "{l} vs {want}");
        assert!((l - (1.0 - mean_iou(&ious))).abs() > 1e-4, "the weights change nothing here: pick other views");
        let grad = cpu::backward(&mesh, &cams, &s, &fwd, &v_sil);
        check_fd(&mesh, &grad, weighted);
        // the weights are relative: × 7 gives the same loss and gradient
        let (l7, _, v7) = multiview_iou(&fwd.sil, &masks, n, &weights.map(|w| 7.0 * w));
        assert!((l7 - l).abs() < 1e-14);
        assert!(v7.iter().zip(&v_sil).all(|(a, b)| (a - b).abs() <= 1e-14 * b.abs()));
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
