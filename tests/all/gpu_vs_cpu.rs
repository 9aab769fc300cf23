//! GPU (f32) against the CPU reference (f64): forward, gradient, determinism, culling, a closed form.
use crate::common::*;
use softras::fit::reference::iou_loss_and_grad;
use softras::raster::{RasterSettings, SoftRasterizer, cpu};
use softras::{Camera, Mesh};

fn cams() -> Vec<Camera> {
    vec![
        Camera::new(2.732, 30.0, 0.0, 30.0).unwrap(),
        Camera::new(2.0, -20.0, 135.0, 25.0).unwrap(),
        Camera::new(2.5, 90.0, 10.0, 30.0).unwrap(),
    ]
}

/// Bound on |S_gpu − S_cpu| that f32 screen coordinates allow. A corner carries an absolute error
/// η ≈ 8 ulp of its magnitude (≤ 2 for the faces that matter); d² then moves by 2 d η (+ η²), so
/// x = δ d²/σ moves by 2 d η / σ. S moves by at most T·D(1−D)·|Δx| per face, and
/// D(1−D) ≤ e^{−d²/σ} for outside pixels, so per face |ΔS| ≤ max_d 2 d η e^{−d²/σ} / σ
/// = η √(2/σ) e^{−1/2}. Up to K = 4 faces are near any one pixel here (shared edges and corners),
/// plus the cull ε where the two engines round a range boundary differently, plus f32 rounding of S.
fn f32_bound(sigma: f64, cull_eps: f64) -> f64 {
    let eta = 8.0 * f32::EPSILON as f64 * 2.0;
    let k = 4.0;
    k * eta * (2.0 / sigma).sqrt() * (-0.5f64).exp() + 2.0 * cull_eps + 1e-6
}

fn check_forward(mesh: &Mesh, cams: &[Camera], s: &RasterSettings, what: &str) {
    let mut g = gpu_raster();
    let got = g.forward(mesh, cams, s).unwrap();
    let want = cpu::forward(mesh, cams, s).sil;
    let diff = max_abs_diff(&got, &want);
    let tol = if s.sigma >= 1e-5 { 1e-4 } else { f32_bound(s.sigma, s.cull_eps) };
    assert!(diff <= tol, "{what}: {}×{} σ={}: max |S_gpu − S_cpu| = {diff:e} > {tol:e}", s.width, s.height, s.sigma);
    assert!(want.iter().any(|&v| v > 0.5), "{what}: the test image is empty");
}

#[test]
fn forward_matches_cpu_on_random_meshes() {
    for (seed, (w, h)) in [(1u64, (32u32, 32u32)), (2, (64, 48)), (3, (23, 71)), (4, (128, 128))] {
        let mesh = random_soup(seed, 40, 0.6);
        for sigma in [1e-2, 1e-3, 1e-4, 1e-5, 1e-6] {
            let s = RasterSettings { width: w, height: h, ..RasterSettings::square(w, sigma) };
            check_forward(&mesh, &cams(), &s, &format!("soup {seed}"));
        }
    }
}

#[test]
fn forward_matches_cpu_on_closed_and_degenerate_meshes() {
    let c = cams();
    for sigma in [1e-2, 1e-4, 1e-5, 1e-6] {
        let s = RasterSettings::square(64, sigma);
        check_forward(&blob(3, 7), &c, &s, "icosphere level 3");
        check_forward(&degenerate_mesh(5, &c[0]), &c[..1], &s, "degenerate");
    }
}

#[test]
fn f32_bound_is_tight_enough_to_fail() {
    // The bound must be able to catch a real error: one corner moved by a pixel breaks it.
    let mesh = random_soup(11, 20, 0.5);
    let c = &cams()[..1];
    let s = RasterSettings::square(64, 1e-6);
    let mut moved = mesh.clone();
    moved.vertices[0].x += 2.0 / 64.0;
    let got = gpu_raster().forward(&moved, c, &s).unwrap();
    let want = cpu::forward(&mesh, c, &s).sil;
    assert!(max_abs_diff(&got, &want) > f32_bound(s.sigma, s.cull_eps));
}

#[test]
fn gradient_matches_cpu() {
    let c = cams();
    for (mesh, sigma, size) in [(blob(2, 3), 1e-3, 48u32), (blob(3, 4), 1e-4, 64), (random_soup(9, 30, 0.5), 1e-4, 40)] {
        let s = RasterSettings::square(size, sigma);
        let fwd = cpu::forward(&mesh, &c, &s);
        let npix = s.pixels();
        let mut v_sil = Vec::new();
        for v in 0..c.len() {
            let mask = disc_mask(size, size, 0.1, -0.05, 0.45);
            v_sil.extend(iou_loss_and_grad(&fwd.sil[v * npix..(v + 1) * npix], &mask).1);
        }
        let want = cpu::backward(&mesh, &c, &s, &fwd, &v_sil);
        let v32: Vec<f32> = v_sil.iter().map(|&x| x as f32).collect();
        let got = gpu_raster().backward(&mesh, &c, &s, &v32).unwrap();
        let scale = want.iter().map(|g| g.abs().max_element()).fold(0.0, f64::max);
        assert!(scale > 0.0);
        let diff = got.iter().zip(&want).map(|(a, b)| (a.as_dvec3() - *b).abs().max_element()).fold(0.0, f64::max);
        assert!(diff <= 1e-4 * scale, "σ={sigma}: max |g_gpu − g_cpu| = {diff:e}, largest component {scale:e}");
    }
}

#[test]
fn runs_are_bit_identical_and_buffers_are_reused_cleanly() {
    let c = cams();
    let s = RasterSettings::square(64, 1e-4);
    let (a, b) = (blob(3, 1), blob(3, 2));
    let v_sil: Vec<f32> = (0..c.len() * s.pixels()).map(|k| ((k % 97) as f32 - 48.0) * 1e-4).collect();
    let mut g = gpu_raster();
    let s1 = g.forward(&a, &c, &s).unwrap();
    let g1 = g.backward(&a, &c, &s, &v_sil).unwrap();
    // run another mesh through the same buffers, then the first again
    let _ = g.backward(&b, &c, &s, &v_sil).unwrap();
    let s2 = g.forward(&a, &c, &s).unwrap();
    let g2 = g.backward(&a, &c, &s, &v_sil).unwrap();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let gbits = |v: &[glam::Vec3]| v.iter().flat_map(|x| x.to_array().map(f32::to_bits)).collect::<Vec<_>>();
    assert_eq!(bits(&s1), bits(&s2), "forward is not deterministic");
    assert_eq!(gbits(&g1), gbits(&g2), "backward is not deterministic");
    // and a fresh engine gives the same bits
    let g3 = gpu_raster().backward(&a, &c, &s, &v_sil).unwrap();
    assert_eq!(gbits(&g1), gbits(&g3));
}

#[test]
fn culling_changes_s_by_less_than_eps() {
    let c = &cams()[..1];
    let eps = softras::raster::DEFAULT_CULL_EPS;
    // a single triangle: the culled D are each < ε, so S moves by < ε
    let tri = Mesh { vertices: vec![[-0.3, -0.2, 0.0].into(), [0.4, -0.1, 0.1].into(), [0.0, 0.35, 0.0].into()], faces: vec![[0, 1, 2]] };
    for sigma in [1e-2, 1e-3, 1e-4] {
        let culled = RasterSettings::square(64, sigma);
        let full = RasterSettings { cull_eps: 1e-300, ..culled };
        let a = cpu::forward(&tri, c, &culled).sil;
        let b = cpu::forward(&tri, c, &full).sil;
        let d = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
        assert!(d < eps, "σ={sigma}: culling moved S by {d:e} ≥ ε = {eps:e}");
        assert!(d > 0.0 || sigma < 1e-3, "the uncull comparison must see the culled tail");
    }
    // a whole mesh: at every pixel, each face outside its grown range has D < ε there
    let mesh = blob(2, 5);
    let s = RasterSettings::square(48, 1e-3);
    let faces = cpu::setup_faces(&mesh, &cpu::project(&mesh, &c[0]), &s);
    let mut checked = 0;
    for f in &faces {
        for j in 0..48i64 {
            for i in 0..48i64 {
                let inside_range = f.range.is_some_and(|(i0, i1, j0, j1)| i >= i0 && i <= i1 && j >= j0 && j <= j1);
                if inside_range {
                    continue;
                }
                let (x, y) = softras::raster::pixel_center(i, j, 48, 48);
                let p = glam::DVec2::new(x, y);
                let (_, _, d2) = cpu::nearest_edge(p, &f.corners);
                let delta = if f.can_inside && cpu::inside(p, &f.corners) { 1.0 } else { -1.0 };
                assert!(cpu::sigmoid(delta * d2 / s.sigma) < eps);
                checked += 1;
            }
        }
    }
    assert!(checked > 1000);
}

#[test]
fn large_triangle_hard_area_matches_projected_area() {
    let c = [Camera::new(2.732, 0.0, 0.0, 30.0).unwrap()];
    let tri = Mesh { vertices: vec![[-1.0, -0.8, 0.0].into(), [0.9, -0.7, 0.0].into(), [-0.1, 1.0, 0.0].into()], faces: vec![[0, 1, 2]] };
    let size = 256u32;
    let s = RasterSettings::square(size, 1e-6);
    let p = cpu::project(&tri, &c[0]);
    let px = |k: usize| glam::DVec2::new(p[k].x, p[k].y) * (size as f64 / 2.0);
    let (a, b, cc) = (px(0), px(1), px(2));
    let area = 0.5 * (b - a).perp_dot(cc - a).abs();
    let perimeter = (b - a).length() + (cc - b).length() + (a - cc).length();
    for (name, sil) in [
        ("gpu", gpu_raster().forward(&tri, &c, &s).unwrap().iter().map(|&v| v as f64).collect::<Vec<_>>()),
        ("cpu", cpu::forward(&tri, &c, &s).sil),
    ] {
        let hard = sil.iter().filter(|&&v| v > 0.5).count() as f64;
        assert!(
            (hard - area).abs() <= perimeter / 2.0,
            "{name}: {hard} pixels, projected area {area:.1}, half perimeter {:.1}",
            perimeter / 2.0
        );
        assert!(area > 0.1 * (size * size) as f64, "the triangle should be large: {area:.0} pixels");
    }
}

#[test]
fn gpu_engine_rejects_bad_settings_before_dispatch() {
    let mut g = gpu_raster();
    let m = blob(1, 1);
    let c = cams();
    for s in [
        RasterSettings::square(0, 1e-4),
        RasterSettings::square(64, 0.0),
        RasterSettings::square(64, f64::NAN),
        RasterSettings::square(100_000, 1e-4),
    ] {
        assert!(g.forward(&m, &c, &s).is_err(), "{s:?} accepted");
    }
    // too big for the device's buffers: a clear error, not a wgpu panic
    let s = RasterSettings::square(16384, 1e-4);
    let many: Vec<Camera> = (0..64).map(|k| Camera::new(2.7, 0.0, k as f64, 30.0).unwrap()).collect();
    let e = g.forward(&m, &many, &s).unwrap_err().to_string();
    assert!(e.contains("lower"), "{e}");
    // the engine still works afterwards
    assert!(g.forward(&m, &c, &RasterSettings::square(32, 1e-4)).is_ok());
}
