//! Fitting: the regularizers and the parametrization against finite differences, the GPU step against
//! the CPU step, determinism, and a small end-to-end fit.
use crate::common::*;
use glam::DVec3;
use softras::fit::reference as r;
use softras::fit::topology::Topology;
use softras::fit::{FitParams, FitTarget, Fitter, Live, cpu::CpuFitter, gpu::GpuFitter, icosphere_template};
use softras::raster::{RasterSettings, cpu as raster_cpu};
use softras::{Camera, Mesh};

fn perturbed(level: u32, seed: u64) -> Vec<DVec3> {
    let m = blob(level, seed);
    m.vertices.iter().map(|v| v.as_dvec3()).collect()
}

/// Central differences of `f` at `x` along every coordinate, compared with `g`.
fn check_fd(x: &[DVec3], g: &[DVec3], f: impl Fn(&[DVec3]) -> f64, what: &str) {
    let scale = g.iter().map(|v| v.abs().max_element()).fold(0.0, f64::max);
    assert!(scale > 0.0, "{what}: zero gradient");
    let h = 1e-6;
    let mut n = 0;
    for i in 0..x.len() {
        for a in 0..3 {
            if g[i][a].abs() < 1e-3 * scale {
                continue;
            }
            let (mut p, mut m) = (x.to_vec(), x.to_vec());
            p[i][a] += h;
            m[i][a] -= h;
            let fd = (f(&p) - f(&m)) / (2.0 * h);
            let rel = (fd - g[i][a]).abs() / fd.abs().max(g[i][a].abs());
            assert!(rel < 1e-5, "{what}: vertex {i} axis {a}: analytic {:e} vs fd {fd:e}", g[i][a]);
            n += 1;
        }
    }
    assert!(n > 20, "{what}: only {n} components checked");
}

#[test]
fn laplacian_and_flatten_gradients_match_finite_differences() {
    let m = Mesh::icosphere(1).unwrap();
    let topo = Topology::new(&m);
    assert_eq!(topo.edges.len(), m.faces.len() * 3 / 2, "closed mesh: every edge interior");
    let x = perturbed(1, 3);
    let (_, g) = r::laplacian_loss(&topo, &x);
    check_fd(&x, &g, |v| r::laplacian_loss(&topo, v).0, "laplacian");
    let (_, g) = r::flatten_loss(&topo, &x);
    check_fd(&x, &g, |v| r::flatten_loss(&topo, v).0, "flatten");
}

#[test]
fn flatten_is_zero_for_coplanar_faces_and_positive_for_a_fold() {
    let flat = [DVec3::ZERO, DVec3::X, DVec3::new(0.5, 1.0, 0.0), DVec3::new(0.5, -1.0, 0.0)];
    assert!(r::flatten_edge(flat).0 < 1e-9);
    let folded = [DVec3::ZERO, DVec3::X, DVec3::new(0.5, 1.0, 0.0), DVec3::new(0.5, 0.0, 1.0)];
    assert!((r::flatten_edge(folded).0 - 1.0).abs() < 1e-6, "a right-angle fold has c = 0, term 1");
}

#[test]
fn parametrization_gradient_matches_finite_differences() {
    let v0: Vec<DVec3> = icosphere_template(1, 0.5).unwrap().vertices.iter().map(|v| v.as_dvec3()).collect();
    assert!(v0.iter().all(|v| v.abs().min_element() > 1e-3), "template has a zero coordinate");
    let delta: Vec<DVec3> = (0..v0.len()).map(|i| DVec3::new(0.1 * (i as f64).sin(), 0.2 * (i as f64).cos(), -0.05)).collect();
    let c = DVec3::new(0.1, -0.2, 0.05);
    let w: Vec<DVec3> = (0..v0.len()).map(|i| DVec3::new(1.0, -0.5 * i as f64 / 7.0, 0.3)).collect();
    let lin = |d: &[DVec3], c: DVec3| r::vertices(&v0, d, c).iter().zip(&w).map(|(v, w)| v.dot(*w)).sum::<f64>();
    let (gd, gc) = r::param_backward(&v0, &delta, c, &w);
    check_fd(&delta, &gd, |d| lin(d, c), "∂/∂Δ");
    for a in 0..3 {
        let h = 1e-6;
        let (mut p, mut m) = (c, c);
        p[a] += h;
        m[a] -= h;
        let fd = (lin(&delta, p) - lin(&delta, m)) / (2.0 * h);
        assert!((fd - gc[a]).abs() <= 1e-6 * fd.abs().max(1.0), "∂/∂c[{a}]: {} vs {fd}", gc[a]);
    }
    // every vertex stays inside [−1, 1]³ whatever the parameters
    let wild: Vec<DVec3> = delta.iter().map(|d| *d * 100.0).collect();
    assert!(r::vertices(&v0, &wild, DVec3::splat(30.0)).iter().all(|v| v.abs().max_element() <= 1.0));
}

/// A target rendered by the project: an ellipsoid seen from `cams`.
fn ellipsoid_target(cams: &[Camera], size: u32) -> FitTarget {
    let mut e = Mesh::icosphere(3).unwrap();
    for v in &mut e.vertices {
        *v *= glam::Vec3::new(0.55, 0.35, 0.45);
        v.x += 0.05;
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

fn small_params(size: u32) -> FitParams {
    FitParams { size, sigma: 3e-4, template_level: 2, ..FitParams::default() }
}

#[test]
fn gpu_step_matches_cpu_step() {
    let cams = vec![Camera::new(2.732, 0.0, 0.0, 15.0).unwrap(), Camera::new(2.732, 30.0, -90.0, 15.0).unwrap()];
    let target = ellipsoid_target(&cams, 48);
    let p = small_params(48);
    let template = icosphere_template(p.template_level, p.template_radius).unwrap();
    let live = p.live();
    let mut g = GpuFitter::new(gpu(), &template, &target, &p).unwrap();
    let mut c = CpuFitter::new(&template, &target, &p).unwrap();
    for _ in 0..5 {
        g.step(&live).unwrap();
        c.step(&live).unwrap();
    }
    let (sg, sc) = (g.drain_stats().unwrap(), c.drain_stats().unwrap());
    assert_eq!(sg.len(), 5);
    for (a, b) in sg.iter().zip(&sc) {
        assert_eq!(a.step, b.step);
        assert!((a.loss - b.loss).abs() < 1e-4, "step {}: loss gpu {} cpu {}", a.step, a.loss, b.loss);
        assert!((a.soft_iou_mean - b.soft_iou_mean).abs() < 1e-4);
        assert!((a.lap - b.lap).abs() < 1e-4 * b.lap.max(1.0) && (a.flat - b.flat).abs() < 1e-3 * b.flat.max(1.0), "{a:?} {b:?}");
        assert!((a.grad_norm - b.grad_norm).abs() < 1e-3 * b.grad_norm, "step {}: |g| gpu {} cpu {}", a.step, a.grad_norm, b.grad_norm);
    }
    let (vg, vc) = (g.vertices(false).unwrap(), c.vertices(false).unwrap());
    let d = vg.iter().zip(&vc).map(|(a, b)| (*a - *b).abs().max_element()).fold(0.0f32, f32::max);
    assert!(d < 1e-4, "vertices after 5 steps differ by {d}");
    assert!(vg.iter().zip(&template.vertices).any(|(a, b)| (*a - *b).length() > 1e-3), "the mesh did not move");
}

#[test]
fn gpu_fit_is_deterministic_and_converges() {
    let cams = vec![Camera::new(2.732, 0.0, 0.0, 15.0).unwrap()];
    let target = ellipsoid_target(&cams, 48);
    let p = FitParams { steps: 150, ..small_params(48) };
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
    assert_eq!(o1.history.len(), 150);
    assert_eq!(
        o1.history.iter().map(|s| s.loss.to_bits()).collect::<Vec<_>>(),
        o2.history.iter().map(|s| s.loss.to_bits()).collect::<Vec<_>>()
    );
    let first = o1.history[0].soft_iou_mean;
    let hard = softras::target::hard_iou(&sil, &target.masks);
    assert!(hard > 0.9, "hard IoU after 150 steps: {hard} (soft IoU went {first} → {})", o1.history.last().unwrap().soft_iou_mean);
}

#[test]
fn a_profiled_step_is_the_same_step_and_a_second_fitter_compiles_nothing() {
    let cams = vec![Camera::new(2.732, 0.0, 0.0, 15.0).unwrap(), Camera::new(2.732, 30.0, -90.0, 15.0).unwrap()];
    let target = ellipsoid_target(&cams, 32);
    // one-view depth prior on, so that its pass is among the profiled ones
    let p = FitParams { lambda_depth: Some(3.0), ..small_params(32) };
    let template = icosphere_template(p.template_level, p.template_radius).unwrap();
    let live = p.live();
    // a device of its own: its pipeline cache starts empty
    let ctx = std::sync::Arc::new(softras::gpu::GpuContext::new().unwrap());
    assert!(ctx.pipelines().is_empty());
    let mut plain = GpuFitter::new(ctx.clone(), &template, &target, &p).unwrap();
    let compiled = ctx.pipelines().len();
    // every pass an Adam fit uses (all but the large-steps optimizer's), compiled once
    let adam_passes = softras::fit::passes::ALL.iter().filter(|p| !["cg", "ls_adam"].contains(&p.file)).count();
    assert_eq!(compiled, softras::raster::passes::ALL.len() + adam_passes, "every pass compiled once");
    let mut profiled = GpuFitter::new(ctx.clone(), &template, &target, &p).unwrap();
    assert_eq!(ctx.pipelines().len(), compiled, "a second fitter compiled pipelines again");
    let mut names = Vec::new();
    for _ in 0..3 {
        plain.step(&live).unwrap();
        names = profiled.profile_step(&live).unwrap().into_iter().map(|(n, _)| n).collect();
    }
    for pass in ["params", "forward", "backward", "gather", "depth", "adam", "record"] {
        assert!(names.contains(&pass), "{pass} missing from the profile {names:?}");
    }
    let bits = |v: Vec<glam::Vec3>| v.iter().flat_map(|x| x.to_array().map(f32::to_bits)).collect::<Vec<_>>();
    assert_eq!(bits(plain.vertices(false).unwrap()), bits(profiled.vertices(false).unwrap()), "profiled steps differ");
    let (a, b) = (plain.drain_stats().unwrap(), profiled.drain_stats().unwrap());
    assert_eq!(a.iter().map(|s| s.loss.to_bits()).collect::<Vec<_>>(), b.iter().map(|s| s.loss.to_bits()).collect::<Vec<_>>());
}

/// A fitter whose loss turns NaN at chosen steps, to drive the roll-back logic.
struct Flaky {
    t: u32,
    saved: u32,
    nan_when_lr_above: f64,
    pending: Vec<softras::fit::StepStats>,
    lrs: Vec<f64>,
    restores: u32,
    /// Step at which the engine fails as a lost GPU device does (0: never).
    lose_device_at: u32,
}

impl Fitter for Flaky {
    fn describe(&self) -> String {
        "flaky".into()
    }
    fn step(&mut self, live: &Live) -> softras::Result<()> {
        if self.t == self.lose_device_at {
            return Err(softras::Error::Gpu("the GPU device was lost (test)".into()));
        }
        self.lrs.push(live.lr);
        let loss = if live.lr > self.nan_when_lr_above { f64::NAN } else { 1.0 / self.t as f64 };
        self.pending.push(softras::fit::StepStats {
            step: self.t,
            loss,
            soft_iou_mean: 0.5,
            grad_norm: 1.0,
            lap: 0.0,
            flat: 0.0,
            depth: 0.0,
        });
        self.t += 1;
        Ok(())
    }
    fn drain_stats(&mut self) -> softras::Result<Vec<softras::fit::StepStats>> {
        Ok(std::mem::take(&mut self.pending))
    }
    fn snapshot(&mut self) -> softras::Result<()> {
        self.saved = self.t;
        Ok(())
    }
    fn restore(&mut self) -> softras::Result<()> {
        self.t = self.saved;
        self.pending.clear();
        self.restores += 1;
        Ok(())
    }
    fn keep_best(&mut self) -> softras::Result<()> {
        Ok(())
    }
    fn vertices(&mut self, best: bool) -> softras::Result<Vec<glam::Vec3>> {
        // the step count as a vertex, so a test can tell which state was copied
        Ok(if best { vec![glam::Vec3::splat(self.t as f32)] } else { vec![] })
    }
    fn evaluate(&mut self, _: bool, _: f64) -> softras::Result<(Vec<f32>, Vec<f64>)> {
        Ok((vec![], vec![]))
    }
}

#[test]
fn non_finite_steps_roll_back_halve_the_rate_and_finally_stop() {
    let p = FitParams { steps: 50, check_every: 10, lr: 0.04, ..FitParams::default() };
    let stop = std::sync::atomic::AtomicBool::new(false);
    // NaN while lr > 0.011: two roll-backs (0.04 → 0.02 → 0.01), then the fit completes
    let mut f = Flaky { t: 1, saved: 1, nan_when_lr_above: 0.011, pending: vec![], lrs: vec![], restores: 0, lose_device_at: 0 };
    let out = softras::fit::run(&mut f, &p, &stop, |_, _| {}).unwrap();
    assert_eq!(out.ending, softras::fit::Ending::Done);
    assert_eq!((out.rollbacks, f.restores), (2, 2));
    assert!((out.lr - 0.01).abs() < 1e-12);
    assert_eq!(out.steps, 50);
    assert_eq!(out.history.len(), 50, "rolled-back steps are not in the history");
    assert!(out.history.iter().all(|s| s.loss.is_finite()));
    assert_eq!(out.history.iter().map(|s| s.step).collect::<Vec<_>>(), (1..=50).collect::<Vec<_>>());
    // always NaN: stops after MAX_ROLLBACKS with a message naming the settings to change
    let mut f = Flaky { t: 1, saved: 1, nan_when_lr_above: 0.0, pending: vec![], lrs: vec![], restores: 0, lose_device_at: 0 };
    let out = softras::fit::run(&mut f, &p, &stop, |_, _| {}).unwrap();
    match &out.ending {
        softras::fit::Ending::Diverged(msg) => assert!(msg.contains("--lr") && msg.contains("--sigma"), "{msg}"),
        e => panic!("expected a divergence, got {e:?}"),
    }
    assert_eq!(out.rollbacks, softras::fit::MAX_ROLLBACKS + 1);
    // a stop request ends the fit between steps
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut f = Flaky { t: 1, saved: 1, nan_when_lr_above: 1.0, pending: vec![], lrs: vec![], restores: 0, lose_device_at: 0 };
    let out = softras::fit::run(&mut f, &p, &stop, |_, _| {}).unwrap();
    assert_eq!(out.ending, softras::fit::Ending::Interrupted);
    assert_eq!(f.lrs.len(), 0);
}

#[test]
fn a_lost_device_mid_fit_ends_it_with_the_best_mesh_kept_on_the_host() {
    let p = FitParams { steps: 50, check_every: 10, ..FitParams::default() };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut f = Flaky { t: 1, saved: 1, nan_when_lr_above: 1.0, pending: vec![], lrs: vec![], restores: 0, lose_device_at: 25 };
    let out = softras::fit::run(&mut f, &p, &stop, |_, _| {}).unwrap();
    match &out.ending {
        softras::fit::Ending::Failed(msg) => assert!(msg.contains("lost"), "{msg}"),
        e => panic!("expected a failure, got {e:?}"),
    }
    assert_eq!(out.steps, 20, "the last checked step");
    // the best state's copy was taken at the check after step 20 (t = 21 then)
    assert_eq!(out.best_vertices, Some(vec![glam::Vec3::splat(21.0)]));
    // a failure before anything was kept stays an error
    let mut f = Flaky { t: 1, saved: 1, nan_when_lr_above: 1.0, pending: vec![], lrs: vec![], restores: 0, lose_device_at: 3 };
    assert!(softras::fit::run(&mut f, &p, &stop, |_, _| {}).is_err());
}

/// The driver rolls back to the engine's last roll-back point, not just to the last kept batch: the
/// viewer's session keeps one only when no batch is on its way.
#[test]
fn the_driver_rolls_back_to_the_last_snapshot() {
    use softras::fit::{Check, Driver, StepStats};
    let p = FitParams { steps: 100, lr: 0.04, ..FitParams::default() };
    let mut d = Driver::unbounded(&p);
    let stats = |from: u32, n: u32, loss: f64| -> Vec<StepStats> {
        (from..from + n).map(|step| StepStats { step, loss, soft_iou_mean: 0.5, grad_norm: 1.0, lap: 0.0, flat: 0.0, depth: 0.0 }).collect()
    };
    d.snapshot_taken();
    assert_eq!(d.next_batch(5).len(), 5);
    assert_eq!(d.check(stats(1, 5, 2.0), || Ok(vec![glam::Vec3::ONE])).unwrap(), Check::Kept);
    d.snapshot_taken();
    // two batches on their way at once, the first kept, the second not
    assert_eq!((d.next_batch(5).len(), d.next_batch(5).len()), (5, 5));
    assert_eq!(d.check(stats(6, 5, 1.0), || Ok(vec![glam::Vec3::X])).unwrap(), Check::Kept);
    assert_eq!((d.kept(), d.history().len(), d.best().map(|b| b.step)), (10, 10, Some(10)));
    assert_eq!(d.check(stats(11, 5, f64::NAN), || unreachable!()).unwrap(), Check::RolledBack);
    assert_eq!((d.planned(), d.kept(), d.history().len(), d.last().map(|l| l.step)), (5, 5, 5, Some(5)));
    assert_eq!(d.live.lr, 0.02);
    // the best mesh stays the best one seen (a host copy)
    assert_eq!(d.best_vertices(), Some(&[glam::Vec3::X][..]));
    // the next batch starts after the roll-back point, at the halved rate
    let lives = d.next_batch(3);
    assert_eq!((lives.len(), lives[0].lr, d.planned()), (3, 0.02, 8));
    for k in 0..softras::fit::MAX_ROLLBACKS {
        assert_eq!(
            d.check(stats(6, 3, f64::INFINITY), || unreachable!()).unwrap(),
            if k + 1 < softras::fit::MAX_ROLLBACKS { Check::RolledBack } else { Check::Diverged },
            "{k}"
        );
    }
    assert!(matches!(d.ending(), Some(softras::fit::Ending::Diverged(_))));
    assert!(d.next_batch(3).is_empty(), "an ended fit plans nothing");
    d.resume();
    assert_eq!((d.next_batch(3).len(), d.rollbacks()), (3, 0));
}
