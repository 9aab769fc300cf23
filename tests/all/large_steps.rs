//! The large-steps optimizer: M = I + λL against its definition, the CG solve's residual (icosphere and
//! a mesh with a boundary), uniform Adam's step, settings, and small fits on the CPU.
use crate::common::*;
use glam::DVec3;
use rand::Rng;
use softras::fit::large_steps as ls;
use softras::fit::topology::Topology;
use softras::fit::{FitParams, FitTarget, Fitter, Optimizer, cpu::CpuFitter, gpu::GpuFitter, icosphere_template};
use softras::raster::{RasterSettings, cpu as raster_cpu};
use softras::{Camera, Mesh};

/// An icosphere with the faces above z = 0.3 removed: a boundary, and vertices in no face (degree 0).
fn open_mesh(level: u32) -> Mesh {
    let mut m = Mesh::icosphere(level).unwrap();
    let verts = m.vertices.clone();
    m.faces.retain(|f| f.iter().all(|&i| verts[i as usize].z < 0.3));
    m
}

fn random_rhs(n: usize, seed: u64) -> Vec<DVec3> {
    let mut r = rng(seed);
    (0..n).map(|_| DVec3::new(r.random_range(-1.0..1.0), r.random_range(-1.0..1.0), r.random_range(-1.0..1.0))).collect()
}

/// M x from the faces directly: x + λ Σ over unique edges (i, j) of (x_i − x_j) into i and (x_j − x_i) into j.
fn apply_from_faces(m: &Mesh, lambda: f64, x: &[DVec3]) -> Vec<DVec3> {
    let mut edges = std::collections::BTreeSet::new();
    for f in &m.faces {
        for k in 0..3 {
            let (a, b) = (f[k], f[(k + 1) % 3]);
            edges.insert((a.min(b), a.max(b)));
        }
    }
    let mut y = x.to_vec();
    for (a, b) in edges {
        let d = x[a as usize] - x[b as usize];
        y[a as usize] += lambda * d;
        y[b as usize] -= lambda * d;
    }
    y
}

#[test]
fn system_matrix_is_identity_plus_lambda_times_the_combinatorial_laplacian() {
    for m in [Mesh::icosphere(2).unwrap(), open_mesh(2)] {
        let x = random_rhs(m.vertices.len(), 3);
        let (got, want) = (ls::apply(&Topology::new(&m), 19.0, &x), apply_from_faces(&m, 19.0, &x));
        let d = got.iter().zip(&want).map(|(a, b)| (*a - *b).abs().max_element()).fold(0.0, f64::max);
        assert!(d < 1e-12, "M x differs from its definition by {d}");
        assert_eq!(ls::apply(&Topology::new(&m), 0.0, &x), x, "λ = 0 is the identity");
    }
}

#[test]
fn cg_solves_to_the_stated_residual_on_closed_and_open_meshes() {
    for (m, what) in [(Mesh::icosphere(3).unwrap(), "icosphere"), (open_mesh(3), "open mesh")] {
        let topo = Topology::new(&m);
        assert!(m.faces.len() < Mesh::icosphere(3).unwrap().faces.len() || what == "icosphere");
        for lambda in [0.5, 19.0, 1e4] {
            let b = random_rhs(m.vertices.len(), 7);
            let mut x = vec![DVec3::ZERO; b.len()];
            let (iters, rel) = ls::cg_solve(&topo, lambda, &b, &mut x, 1e-8, 2000);
            assert!(rel <= 1e-8, "{what} λ={lambda}: recurrence residual {rel:e} after {iters} iterations");
            let res = ls::relative_residual(&topo, lambda, &x, &b);
            assert!(res <= 1e-7, "{what} λ={lambda}: ‖M x − b‖/‖b‖ = {res:e} after {iters} iterations");
            // M (M⁻¹ b) = b, entry by entry
            let mb = ls::apply(&topo, lambda, &x);
            let d = mb.iter().zip(&b).map(|(a, b)| (*a - *b).abs().max_element()).fold(0.0, f64::max);
            assert!(d < 1e-6, "{what} λ={lambda}: |M M⁻¹ b − b| = {d:e}");
            // warm-started from its own solution it does (almost) nothing
            let before = x.clone();
            let (again, _) = ls::cg_solve(&topo, lambda, &b, &mut x, 1e-6, 2000);
            assert_eq!((again, &x), (0, &before), "{what} λ={lambda}: a solved system is solved again");
            // a stricter tolerance takes more iterations than a looser one (the tolerance is honoured)
            let mut y = vec![DVec3::ZERO; b.len()];
            let (loose, rel_loose) = ls::cg_solve(&topo, lambda, &b, &mut y, 1e-2, 2000);
            assert!(rel_loose <= 1e-2 && (lambda < 1.0 || loose < iters), "{what} λ={lambda}: {loose} vs {iters} iterations");
        }
    }
}

#[test]
fn uniform_adam_moves_the_largest_entry_by_the_learning_rate() {
    let n = 50;
    let g = random_rhs(n, 11);
    let gmax = g.iter().map(|v| v.abs().max_element()).fold(0.0, f64::max);
    let mut u = vec![DVec3::ONE; n];
    let (mut m, mut v) = (vec![DVec3::ZERO; n], vec![DVec3::ZERO; n]);
    ls::uniform_adam(&mut u, &mut m, &mut v, &g, 1, 0.1);
    // step 1: m̂ = g, √v̂ = |g|, so u moves by lr · g / max |g| (one scale for every entry)
    for (ui, gi) in u.iter().zip(&g) {
        let want = DVec3::ONE - 0.1 * *gi / (gmax + ls::EPS);
        assert!((*ui - want).abs().max_element() < 1e-12, "{ui} vs {want}");
    }
    // a non-finite gradient leaves its vertex alone
    let mut g2 = g.clone();
    g2[3] = DVec3::new(f64::NAN, 0.0, 0.0);
    let (u_before, m_before) = (u.clone(), m.clone());
    ls::uniform_adam(&mut u, &mut m, &mut v, &g2, 2, 0.1);
    assert_eq!((u[3], m[3]), (u_before[3], m_before[3]));
    assert!(u[4] != u_before[4]);
}

#[test]
fn smoothness_is_validated_by_its_setting_name() {
    for bad in [f64::NAN, -1.0, f64::INFINITY, 2e4] {
        let p = FitParams { smoothness: bad, ..FitParams::default() };
        let e = p.validate().unwrap_err().to_string();
        assert!(e.contains("smoothness"), "{bad}: {e}");
    }
    for good in [0.0, 19.0, 1e4] {
        FitParams { smoothness: good, optimizer: Optimizer::LargeSteps, ..FitParams::default() }.validate().unwrap();
    }
}

pub fn ellipsoid_target(cams: &[Camera], size: u32) -> FitTarget {
    let mut e = Mesh::icosphere(3).unwrap();
    for v in &mut e.vertices {
        *v *= glam::Vec3::new(0.55, 0.35, 0.4);
    }
    let s = RasterSettings::square(size, 1e-6);
    let sil = raster_cpu::forward(&e, cams, &s).sil;
    FitTarget {
        size,
        cameras: cams.to_vec(),
        masks: sil.iter().map(|&x| x as f32).collect(),
        names: vec!["ellipsoid".into(); cams.len()],
        weights: vec![1.0; cams.len()],
    }
}

pub fn ls_params(size: u32) -> FitParams {
    FitParams { size, sigma: 3e-4, template_level: 2, optimizer: Optimizer::LargeSteps, lr: ls::DEFAULT_LR, ..FitParams::default() }
}

#[test]
fn a_small_large_steps_fit_converges_on_the_cpu() {
    let cams = vec![Camera::new(2.732, 0.0, 0.0, 15.0).unwrap(), Camera::new(2.732, 30.0, -90.0, 15.0).unwrap()];
    let target = ellipsoid_target(&cams, 32);
    let p = FitParams { steps: 40, ..ls_params(32) };
    let template = icosphere_template(p.template_level, p.template_radius).unwrap();
    let mut f = CpuFitter::new(&template, &target, &p).unwrap();
    assert_eq!(f.vertices(false).unwrap(), template.vertices, "x starts at the template");
    for _ in 0..p.steps {
        f.step(&p.live()).unwrap();
    }
    let h = f.drain_stats().unwrap();
    let (first, last) = (h[0].soft_iou_mean, h.last().unwrap().soft_iou_mean);
    assert!(last > 0.9 && last > first + 0.1, "soft IoU {first} → {last}");
    // the vertices are M⁻¹ u: smooth, with no vertex far from its neighbours' mean
    let v = f.vertices(false).unwrap();
    assert!(v.iter().zip(&template.vertices).any(|(a, b)| (*a - *b).length() > 0.05), "the mesh did not move");
}

/// ‖M y − b‖/‖b‖ in f64 of the device's f32 vectors.
fn residual_f32(topo: &Topology, lambda: f64, y: &[glam::Vec3], b: &[glam::Vec3]) -> f64 {
    let d = |v: &[glam::Vec3]| v.iter().map(|x| x.as_dvec3()).collect::<Vec<_>>();
    ls::relative_residual(topo, lambda, &d(y), &d(b))
}

/// Runs one more step and checks its two solves: x = M⁻¹ u (u as before the step's update) and g_u = M⁻¹ g_x.
fn check_device_solves(g: &mut GpuFitter, template: &Mesh, p: &FitParams, what: &str) {
    let (topo, lambda) = (Topology::new(template), p.smoothness);
    let u = g.large_steps_state().unwrap().expect("a large-steps fitter").u;
    g.step(&p.live()).unwrap();
    let st = g.large_steps_state().unwrap().unwrap();
    assert_ne!(st.u, u, "{what}: the step did not move u");
    for (k, (iters, rel)) in st.solves.iter().enumerate() {
        assert!(*iters < ls::MAX_ITERS && *rel <= ls::GPU_TOL, "{what}: solve {k}: {iters} iterations, residual {rel:e}");
    }
    let rx = residual_f32(&topo, lambda, &st.x, &u);
    let rg = residual_f32(&topo, lambda, &st.g_u, &st.g_x);
    assert!(rx <= 2.0 * ls::GPU_TOL && rg <= 2.0 * ls::GPU_TOL, "{what}: ‖M x − u‖/‖u‖ = {rx:e}, ‖M g_u − g_x‖/‖g_x‖ = {rg:e}");
    assert!(st.g_x.iter().any(|v| v.length() > 0.0), "{what}: zero gradient");
}

#[test]
fn gpu_large_steps_match_the_cpu_and_solve_to_the_residual() {
    let cams = vec![Camera::new(2.732, 0.0, 0.0, 15.0).unwrap(), Camera::new(2.732, 30.0, -90.0, 15.0).unwrap()];
    let target = ellipsoid_target(&cams, 48);
    let p = ls_params(48);
    let template = icosphere_template(p.template_level, p.template_radius).unwrap();
    let live = p.live();
    let mut g = GpuFitter::new(gpu(), &template, &target, &p).unwrap();
    let mut c = CpuFitter::new(&template, &target, &p).unwrap();
    for _ in 0..5 {
        g.step(&live).unwrap();
        c.step(&live).unwrap();
    }
    check_device_solves(&mut g, &template, &p, "icosphere");
    c.step(&live).unwrap();
    let (sg, sc) = (g.drain_stats().unwrap(), c.drain_stats().unwrap());
    assert_eq!(sg.len(), 6);
    for (a, b) in sg.iter().zip(&sc) {
        assert_eq!(a.step, b.step);
        assert!((a.loss - b.loss).abs() < 1e-4, "step {}: loss gpu {} cpu {}", a.step, a.loss, b.loss);
        assert!((a.grad_norm - b.grad_norm).abs() < 1e-3 * b.grad_norm, "step {}: |g| gpu {} cpu {}", a.step, a.grad_norm, b.grad_norm);
    }
    let (vg, vc) = (g.vertices(false).unwrap(), c.vertices(false).unwrap());
    let d = vg.iter().zip(&vc).map(|(a, b)| (*a - *b).abs().max_element()).fold(0.0f32, f32::max);
    assert!(d < 2e-5, "vertices after 6 steps differ by {d}");
    let moved = vg.iter().zip(&template.vertices).map(|(a, b)| (*a - *b).length()).fold(0.0f32, f32::max);
    assert!(moved > 0.02, "the mesh moved only {moved}");
    // roll-back: snapshot, step, restore, step again gives the same vertices bit for bit
    g.snapshot().unwrap();
    g.step(&live).unwrap();
    let once = g.vertices(false).unwrap();
    g.restore().unwrap();
    assert_eq!(g.vertices(false).unwrap(), vg, "restore brings x back");
    g.step(&live).unwrap();
    let _ = g.drain_stats();
    assert_eq!(g.vertices(false).unwrap(), once);
}

#[test]
fn gpu_large_steps_solve_on_an_open_template() {
    let mut template = open_mesh(2);
    for v in &mut template.vertices {
        *v = softras::fit::template_rotation() * *v * 0.5;
    }
    let cams = vec![Camera::new(2.732, 0.0, 0.0, 15.0).unwrap()];
    let target = ellipsoid_target(&cams, 32);
    let p = ls_params(32);
    let mut g = GpuFitter::new(gpu(), &template, &target, &p).unwrap();
    for _ in 0..3 {
        g.step(&p.live()).unwrap();
    }
    check_device_solves(&mut g, &template, &p, "open mesh");
}

#[test]
fn gpu_large_steps_fit_is_deterministic_and_converges() {
    let cams = vec![Camera::new(2.732, 0.0, 0.0, 15.0).unwrap()];
    let target = ellipsoid_target(&cams, 48);
    let p = FitParams { steps: 100, ..ls_params(48) };
    let template = icosphere_template(p.template_level, p.template_radius).unwrap();
    let run = || {
        let mut f = GpuFitter::new(gpu(), &template, &target, &p).unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        let out = softras::fit::run(&mut f, &p, &stop, |_, _| {}).unwrap();
        let v = f.vertices(false).unwrap();
        let (sil, _) = f.evaluate(false, p.sigma).unwrap();
        (out, v, sil)
    };
    let (o1, v1, sil) = run();
    let (o2, v2, _) = run();
    let bits = |v: &[glam::Vec3]| v.iter().flat_map(|x| x.to_array().map(f32::to_bits)).collect::<Vec<_>>();
    assert_eq!(bits(&v1), bits(&v2), "two identical fits differ");
    assert_eq!(
        o1.history.iter().map(|s| s.loss.to_bits()).collect::<Vec<_>>(),
        o2.history.iter().map(|s| s.loss.to_bits()).collect::<Vec<_>>()
    );
    let hard = softras::target::hard_iou(&sil, &target.masks);
    assert!(hard > 0.9, "hard IoU after 100 steps: {hard}");
}

#[test]
fn cli_runs_large_steps_and_names_the_smoothness_flag() {
    let (ok, _, err) = softras(&["fit", "--optimizer", "large-steps", "--smoothness", "-1", "--steps", "1"]);
    assert!(!ok && err.contains("--smoothness"), "{err}");
    let dir = std::env::temp_dir().join(format!("softras-ls-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (out, report) = (dir.join("r.obj"), dir.join("r.json"));
    let args = ["fit", "--optimizer", "large-steps", "--steps", "3", "--size", "32", "--template-level", "2"];
    let (ok, _, err) = softras(&[&args[..], &["--out", out.to_str().unwrap(), "--report", report.to_str().unwrap()]].concat());
    assert!(ok, "{err}");
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let fit = &r["params"]["fit"];
    assert_eq!((fit["optimizer"].as_str(), fit["lr"].as_f64(), fit["smoothness"].as_f64()), (Some("large-steps"), Some(0.03), Some(19.0)));
    std::fs::remove_dir_all(&dir).ok();
}
