//! Per-view weights in the silhouette loss, L = 1 − Σ_v w_v IoU_v / Σ_v w_v: the GPU step against the
//! CPU step with unequal weights, a view of weight 0 changing nothing, weights being relative, the
//! checks of `FitTarget::validate`, and `fit --views` with a `weight` column. (The finite-difference
//! check of the weighted gradient is in gradients.rs, the CSV reader's column in target.rs.)
use crate::common::*;
use crate::large_steps::ellipsoid_target;
use crate::mesh::tempdir;
use glam::{DVec3, Vec3};
use softras::Camera;
use softras::fit::{FitParams, FitTarget, Fitter, Live, StepStats, cpu::CpuFitter, gpu::GpuFitter, icosphere_template};

fn cams3() -> Vec<Camera> {
    vec![
        Camera::new(2.732, 0.0, 0.0, 15.0).unwrap(),
        Camera::new(2.732, 30.0, -90.0, 15.0).unwrap(),
        Camera::new(2.732, -30.0, -200.0, 15.0).unwrap(),
    ]
}

fn small_params(size: u32) -> FitParams {
    FitParams { size, sigma: 3e-4, template_level: 2, ..FitParams::default() }
}

fn with_weights(mut t: FitTarget, w: &[f32]) -> FitTarget {
    t.weights = w.to_vec();
    t
}

/// `steps` GPU steps: their numbers and the vertices after them.
fn gpu_steps(target: &FitTarget, p: &FitParams, steps: u32) -> (Vec<StepStats>, Vec<Vec3>) {
    let template = icosphere_template(p.template_level, p.template_radius).unwrap();
    let mut g = GpuFitter::new(gpu(), &template, target, p).unwrap();
    for _ in 0..steps {
        g.step(&p.live()).unwrap();
    }
    (g.drain_stats().unwrap(), g.vertices(false).unwrap())
}

fn bits(v: &[Vec3]) -> Vec<u32> {
    v.iter().flat_map(|x| x.to_array().map(f32::to_bits)).collect()
}

/// The silhouette part of a step's loss (its regularizer terms taken off).
fn sil_loss(s: &StepStats, live: &Live) -> f64 {
    s.loss - live.lambda_lap * s.lap - live.lambda_flat * s.flat - s.depth
}

#[test]
fn gpu_step_matches_cpu_step_with_unequal_weights() {
    let weights = [0.25, 2.0, 1.0];
    let target = with_weights(ellipsoid_target(&cams3(), 48), &weights);
    let p = small_params(48);
    let live = p.live();
    let template = icosphere_template(p.template_level, p.template_radius).unwrap();
    let mut c = CpuFitter::new(&template, &target, &p).unwrap();
    // at the start: the loss is the weighted one, the reported soft IoU the plain mean
    let zero = vec![DVec3::ZERO; template.vertices.len()];
    let (s0, _, ious, _) = c.loss_and_grad(&zero, DVec3::ZERO, &live);
    let weighted = 1.0 - ious.iter().zip(weights).map(|(i, w)| w as f64 * i).sum::<f64>() / 3.25;
    let plain = ious.iter().sum::<f64>() / 3.0;
    assert!((sil_loss(&s0, &live) - weighted).abs() < 1e-12, "{} vs {weighted}", sil_loss(&s0, &live));
    assert_eq!(s0.soft_iou_mean, plain);
    assert!((weighted - (1.0 - plain)).abs() > 1e-2, "the weights must matter for this test: {weighted} vs {}", 1.0 - plain);

    let (sg, vg) = gpu_steps(&target, &p, 5);
    for _ in 0..5 {
        c.step(&live).unwrap();
    }
    let sc = c.drain_stats().unwrap();
    assert_eq!(sg.len(), 5);
    assert!((sg[0].loss - s0.loss).abs() < 1e-4, "step 1: loss gpu {} cpu {}", sg[0].loss, s0.loss);
    for (a, b) in sg.iter().zip(&sc) {
        assert_eq!(a.step, b.step);
        assert!((a.loss - b.loss).abs() < 1e-4, "step {}: loss gpu {} cpu {}", a.step, a.loss, b.loss);
        assert!((a.soft_iou_mean - b.soft_iou_mean).abs() < 1e-4, "step {}: {a:?} {b:?}", a.step);
        assert!((a.grad_norm - b.grad_norm).abs() < 1e-3 * b.grad_norm, "step {}: |g| gpu {} cpu {}", a.step, a.grad_norm, b.grad_norm);
    }
    let vc = c.vertices(false).unwrap();
    let d = vg.iter().zip(&vc).map(|(a, b)| (*a - *b).abs().max_element()).fold(0.0f32, f32::max);
    assert!(d < 1e-4, "vertices after 5 steps differ by {d}");
    // and the weights changed the steps: the unweighted fit goes elsewhere
    let (_, v1) = gpu_steps(&with_weights(target.clone(), &[1.0; 3]), &p, 5);
    let moved = v1.iter().zip(&vg).map(|(a, b)| (*a - *b).abs().max_element()).fold(0.0f32, f32::max);
    assert!(moved > 1e-3, "weighted and unweighted steps differ by only {moved}");
}

#[test]
fn a_view_of_weight_zero_has_no_influence() {
    let p = small_params(40);
    let live = p.live();
    let target = with_weights(ellipsoid_target(&cams3(), 40), &[1.0, 0.0, 2.0]);
    // view 1's mask replaced by its complement: with weight 0 nothing but the readout may change
    let npix = 40 * 40;
    let mut other = target.clone();
    other.masks[npix..2 * npix].iter_mut().for_each(|m| *m = 1.0 - *m);
    // and the fit without view 1 at all
    let without = FitTarget {
        cameras: vec![target.cameras[0], target.cameras[2]],
        masks: [&target.masks[..npix], &target.masks[2 * npix..]].concat(),
        names: vec!["a".into(), "c".into()],
        weights: vec![1.0, 2.0],
        ..target.clone()
    };

    // CPU: the same loss and gradient, exactly, at parameters away from the start
    let template = icosphere_template(p.template_level, p.template_radius).unwrap();
    let n = template.vertices.len();
    let delta: Vec<DVec3> = (0..n).map(|i| DVec3::new(0.2 * (i as f64).sin(), -0.1 * (i as f64).cos(), 0.05)).collect();
    let c = DVec3::new(0.05, -0.03, 0.02);
    let at = |t: &FitTarget| CpuFitter::new(&template, t, &p).unwrap().loss_and_grad(&delta, c, &live);
    let (sa, _, ia, (ga, gca)) = at(&target);
    let (sb, _, ib, (gb, gcb)) = at(&other);
    let (sw, _, _, (gw, gcw)) = at(&without);
    assert!(ga.iter().any(|g| g.length() > 0.0));
    assert_eq!(sa.loss, sb.loss);
    assert_eq!(sa.loss, sw.loss);
    assert!((ga.clone(), gca) == (gb, gcb), "view 1's mask changed the gradient");
    assert!((ga, gca) == (gw, gcw), "view 1 (weight 0) changed the gradient");
    // the soft IoU readout is the plain mean over all three views, view 1 included
    assert!((ia[1] - ib[1]).abs() > 0.1 && sa.soft_iou_mean != sb.soft_iou_mean);

    // GPU: bit-identical steps whatever view 1's mask
    let (s1, v1) = gpu_steps(&target, &p, 3);
    let (s2, v2) = gpu_steps(&other, &p, 3);
    assert_eq!(bits(&v1), bits(&v2), "view 1 (weight 0) changed the GPU steps");
    assert_eq!(s1.iter().map(|s| s.loss.to_bits()).collect::<Vec<_>>(), s2.iter().map(|s| s.loss.to_bits()).collect::<Vec<_>>());
    assert!((s1[0].soft_iou_mean - s2[0].soft_iou_mean).abs() > 0.01, "{} {}", s1[0].soft_iou_mean, s2[0].soft_iou_mean);
    assert!(v1.iter().zip(&template.vertices).any(|(a, b)| (*a - *b).length() > 1e-3), "the mesh did not move");
}

#[test]
fn weights_are_relative() {
    let p = small_params(32);
    let all = cams3();
    let cams = &all[..2];
    let base = ellipsoid_target(cams, 32);
    let (sa, va) = gpu_steps(&with_weights(base.clone(), &[1.0, 3.0]), &p, 3);
    for w in [[2.0, 6.0], [0.5, 1.5]] {
        let (sb, vb) = gpu_steps(&with_weights(base.clone(), &w), &p, 3);
        assert_eq!(bits(&va), bits(&vb), "{w:?}");
        assert_eq!(sa, sb, "{w:?}");
    }
    // what the GPU is given: divided by the largest, and their sum; all equal → exactly 1 each and n
    let t = |w: &[f32]| with_weights(FitTarget { cameras: vec![cams[0]; w.len()], names: vec![String::new(); w.len()], ..base.clone() }, w);
    assert_eq!(t(&[1.0; 5]).scaled_weights(), (vec![1.0; 5], 5.0));
    assert_eq!(t(&[4.0; 3]).scaled_weights(), (vec![1.0; 3], 3.0));
    assert_eq!(t(&[1.0, 3.0]).scaled_weights(), (vec![(1.0f64 / 3.0) as f32, 1.0], (1.0 + (1.0f64 / 3.0) as f32 as f64) as f32));
    // extreme but valid weights stay finite and nonzero on the GPU's f32
    let (w, sum) = t(&[f32::MAX, f32::MAX, 0.0]).scaled_weights();
    assert_eq!((w, sum), (vec![1.0, 1.0, 0.0], 2.0));
    let (w, sum) = t(&[1e-40, 2e-40]).scaled_weights();
    assert!((w[0] - 0.5).abs() < 1e-3 && w[1] == 1.0 && (sum - 1.5).abs() < 1e-3, "{w:?} {sum}");
}

#[test]
fn bad_weights_are_refused_before_any_work() {
    let target = ellipsoid_target(&cams3()[..2], 16);
    let p = small_params(16);
    let template = icosphere_template(p.template_level, p.template_radius).unwrap();
    let err = |w: Vec<f32>| {
        let t = FitTarget { weights: w.clone(), ..target.clone() };
        let e = t.validate().unwrap_err().to_string();
        // both engines refuse it the same way, before any step
        assert_eq!(CpuFitter::new(&template, &t, &p).err().map(|e| e.to_string()), Some(e.clone()), "{w:?}");
        assert_eq!(GpuFitter::new(gpu(), &template, &t, &p).err().map(|e| e.to_string()), Some(e.clone()), "{w:?}");
        e
    };
    let e = err(vec![1.0]);
    assert!(e.contains("1 weight(s) for 2 view(s)"), "{e}");
    let e = err(vec![1.0, 1.0, 1.0]);
    assert!(e.contains("3 weight(s) for 2 view(s)"), "{e}");
    let e = err(vec![]);
    assert!(e.contains("0 weight(s) for 2 view(s)"), "{e}");
    let e = err(vec![1.0, -0.5]);
    assert!(e.contains("view 2 of 2 (ellipsoid) must be finite and ≥ 0, got -0.5"), "{e}");
    let e = err(vec![f32::NAN, 1.0]);
    assert!(e.contains("view 1 of 2") && e.contains("NaN"), "{e}");
    let e = err(vec![1.0, f32::INFINITY]);
    assert!(e.contains("view 2 of 2") && e.contains("inf"), "{e}");
    let e = err(vec![0.0, 0.0]);
    assert!(e.contains("every view's weight is 0"), "{e}");
    let e = err(vec![-0.0, 0.0]);
    assert!(e.contains("every view's weight is 0"), "{e}");
    // one zero among others, and any positive scale, are fine
    for ok in [vec![0.0, 1.0], vec![1e-30, 1e30], vec![f32::MAX, f32::MIN_POSITIVE]] {
        FitTarget { weights: ok.clone(), ..target.clone() }.validate().unwrap_or_else(|e| panic!("{ok:?}: {e}"));
    }
}

#[test]
fn fit_views_csv_takes_a_weight_column() {
    let d = tempdir();
    let mut rows = Vec::new();
    for (k, (el, az)) in [(0.0, 0.0), (30.0, -90.0)].into_iter().enumerate() {
        let f = format!("v{k}.png");
        let cam = format!("2.732,{el},{az}");
        let args = ["render", "--shape", "duck", "--size", "32", "--sigma", "1e-6", "--view-angle", "15", "--camera", &cam];
        let (ok, _, err) = softras(&[&args[..], &["--out", d.join(&f).to_str().unwrap()]].concat());
        assert!(ok, "{err}");
        rows.push(format!("{f},2.732,{el},{az}"));
    }
    let fit = |name: &str, header: &str, cells: [&str; 2]| {
        let csv = d.join(format!("{name}.csv"));
        let body: String = rows.iter().zip(cells).map(|(r, c)| format!("{r}{c}\n")).collect();
        std::fs::write(&csv, format!("file,distance,elevation,azimuth{header}\n{body}")).unwrap();
        let (obj, rep) = (d.join(format!("{name}.obj")), d.join(format!("{name}.json")));
        let (ok, _, err) = softras(&[
            "fit",
            "--views",
            csv.to_str().unwrap(),
            "--steps",
            "5",
            "--template-level",
            "2",
            "--out",
            obj.to_str().unwrap(),
            "--report",
            rep.to_str().unwrap(),
        ]);
        (ok, err, obj, rep)
    };
    let weights = |rep: &std::path::Path| -> Vec<f64> {
        read_report(rep)["views"].as_array().unwrap().iter().map(|v| v["weight"].as_f64().unwrap()).collect()
    };
    let (ok, err, plain, rep) = fit("plain", "", ["", ""]);
    assert!(ok, "{err}");
    assert_eq!(weights(&rep), [1.0, 1.0]);
    // a weight column of ones (one cell empty: 1) is the same fit, byte for byte
    let (ok, err, ones, rep) = fit("ones", ",weight", [",1", ","]);
    assert!(ok, "{err}");
    assert_eq!(weights(&rep), [1.0, 1.0]);
    assert_eq!(std::fs::read(&plain).unwrap(), std::fs::read(&ones).unwrap());
    // unequal weights reach the fit
    let (ok, err, heavy, rep) = fit("heavy", ",Weight", [",3", ",0.5"]);
    assert!(ok, "{err}");
    assert_eq!(weights(&rep), [3.0, 0.5]);
    assert_ne!(std::fs::read(&plain).unwrap(), std::fs::read(&heavy).unwrap());
    // bad weights: an error naming the row, no OBJ
    for (name, cells, want) in [
        ("neg", [",1", ",-2"], "row 2: weight must be ≥ 0, got -2"),
        ("zero", [",0", ",0"], "every row's weight (rows 1 to 2) is 0"),
        ("nan", [",NaN", ",1"], "row 1: weight \"NaN\" is not a finite number"),
    ] {
        let (ok, err, obj, _) = fit(name, ",weight", cells);
        assert!(!ok && err.contains(want), "{name}: {err}");
        assert!(!obj.exists(), "{name} wrote an OBJ");
    }
}
