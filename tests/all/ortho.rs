//! Orthographic cameras (SoftRas's `LookAt(perspective=False, viewing_scale=s)`, s = 2 / width): the
//! projection by hand, the near-plane rule, the CPU gradient against finite differences, GPU against
//! CPU in batches that mix both projections, the depth prior, fits, the command line and views CSVs.
use crate::common::*;
use glam::DVec3;
use softras::camera::{Lens, Projection};
use softras::fit::depth::{DepthWeights, depth_loss, height_map, pixel_world_size};
use softras::fit::reference::iou_loss_and_grad;
use softras::fit::{FitParams, FitTarget, Fitter, cpu::CpuFitter, gpu::GpuFitter, icosphere_template};
use softras::raster::{RasterSettings, SoftRasterizer, cpu};
use softras::{Camera, Mesh};

fn ortho(d: f64, el: f64, az: f64, width: f64) -> Camera {
    Camera::new(d, el, az, 30.0).unwrap().with_projection(Projection::Orthographic { width }).unwrap()
}

/// Orthographic and perspective views, mixed in one batch.
fn mixed_cams() -> Vec<Camera> {
    vec![
        ortho(2.732, 30.0, 0.0, 2.0),
        Camera::new(2.0, -20.0, 135.0, 25.0).unwrap(),
        ortho(2.5, 90.0, 10.0, 1.6),
        ortho(1.5, -10.0, 200.0, 2.5),
    ]
}

#[test]
fn orthographic_projection_matches_a_hand_computation() {
    // eye (0, 0, −3), R = I: v_c = (x, y, z + 3); s = 2 / 2.5 = 0.8
    let c = ortho(3.0, 0.0, 0.0, 2.5);
    assert_eq!(c.ortho_scale(), Some(0.8));
    assert_eq!(c.lens(), Lens::Orthographic { scale: 0.8 });
    let m = Mesh { vertices: vec![[0.5, -0.25, 0.7].into(), [0.5, -0.25, -2.0].into(), [1.25, 0.0, 0.0].into()], faces: vec![[0, 1, 2]] };
    let p = cpu::project(&m, &c);
    let want = [DVec3::new(0.4, -0.2, 3.7), DVec3::new(0.4, -0.2, 1.0), DVec3::new(1.0, 0.0, 3.0)];
    for (got, want) in p.iter().zip(want) {
        assert!((*got - want).abs().max_element() < 1e-6, "{got} ≠ {want}");
    }
    // a rotated camera: x_s = s · R_x · (v − e), y_s = s · R_y · (v − e), no division by depth
    let c = ortho(2.0, 0.0, 90.0, 4.0);
    // eye (2, 0, 0) looking toward −x: camera z = −x, camera x = up × z = (0, 1, 0) × (−1, 0, 0) = (0, 0, 1)
    let m = Mesh { vertices: vec![[0.3, 0.6, -0.8].into(); 3], faces: vec![[0, 1, 2]] };
    let p = cpu::project(&m, &c)[0];
    assert!((p - DVec3::new(-0.4, 0.3, 1.7)).abs().max_element() < 1e-6, "{p}");
    // the perspective camera of the same pose puts it elsewhere (the test tells the two apart)
    let pp = cpu::project(&m, &Camera::new(2.0, 0.0, 90.0, 30.0).unwrap())[0];
    assert!((pp.x - p.x).abs() > 0.1, "{pp} {p}");
}

#[test]
fn orthographic_gradient_of_the_projection_is_s_times_the_rows() {
    let lens = Lens::Orthographic { scale: 0.8 };
    let g = lens.grad(DVec3::new(0.3, -0.1, 2.0), glam::DVec2::new(2.0, -1.0));
    assert_eq!(g, DVec3::new(1.6, -0.8, 0.0));
    let (rx, ry) = lens.lateral_rows(DVec3::X, DVec3::Y, 2.732);
    assert_eq!((rx, ry), (0.8 * DVec3::X, 0.8 * DVec3::Y));
    assert_eq!(lens.world_per_ndc(2.732), 1.25);
}

#[test]
fn bad_orthographic_widths_are_rejected() {
    let c = Camera::new(2.0, 0.0, 0.0, 30.0).unwrap();
    for w in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e300, 1e-9] {
        let e = c.with_projection(Projection::Orthographic { width: w }).unwrap_err().to_string();
        assert!(e.contains("orthographic width must be in"), "{w}: {e}");
    }
    assert!(c.with_projection(Projection::Orthographic { width: 2.5 }).is_ok());
}

#[test]
fn reports_name_the_projection_only_when_orthographic() {
    let p = serde_json::to_value(Camera::new(2.0, 0.0, 0.0, 30.0).unwrap()).unwrap();
    assert!(p.get("projection").is_none(), "{p}");
    let o = serde_json::to_value(ortho(2.0, 0.0, 0.0, 2.5)).unwrap();
    assert_eq!(o["projection"], serde_json::json!({"kind": "orthographic", "width": 2.5}), "{o}");
}

#[test]
fn near_plane_rule_holds_for_orthographic_cameras() {
    // the same triangle in front of the eye is drawn, behind it (z_c ≤ near) skipped, on both engines
    let c = ortho(2.0, 0.0, 0.0, 2.0);
    let tri = |z: f32| Mesh { vertices: vec![[-0.5, -0.5, z].into(), [0.5, -0.5, z].into(), [0.0, 0.5, z].into()], faces: vec![[0, 1, 2]] };
    let s = RasterSettings::square(32, 1e-4);
    let mut g = gpu_raster();
    for (z, drawn) in [(0.0, true), (-2.5, false), (-2.0 + 5e-4, false), (-2.0 + 0.1, true)] {
        let cpu_sil = cpu::forward(&tri(z), &[c], &s).sil;
        let gpu_sil = g.forward(&tri(z), &[c], &s).unwrap();
        let (nc, ng) = (cpu_sil.iter().filter(|&&v| v > 0.5).count(), gpu_sil.iter().filter(|&&v| v > 0.5).count());
        assert_eq!(nc > 0, drawn, "z {z}: {nc} pixels on the CPU");
        assert_eq!(ng > 0, drawn, "z {z}: {ng} pixels on the GPU");
        if drawn {
            // orthographic: the size does not change with depth (a perspective view's would)
            assert!((100..=200).contains(&nc), "z {z}: {nc} pixels");
        }
    }
}

fn loss(mesh: &Mesh, cams: &[Camera], s: &RasterSettings, masks: &[Vec<f64>]) -> f64 {
    let f = cpu::forward(mesh, cams, s);
    let n = s.pixels();
    masks.iter().enumerate().map(|(v, m)| iou_loss_and_grad(&f.sil[v * n..(v + 1) * n], m).0).sum::<f64>() / cams.len() as f64
}

#[test]
fn orthographic_gradient_matches_finite_differences() {
    let cams = [ortho(2.732, 20.0, 30.0, 2.0), ortho(2.2, -40.0, -120.0, 1.7), Camera::new(2.2, 10.0, 60.0, 25.0).unwrap()];
    for (mesh, sigma, size) in [(blob(1, 2), 1e-2, 24u32), (blob(1, 3), 1e-3, 32), (random_soup(4, 6, 0.4), 3e-4, 32)] {
        let s = RasterSettings { cull_eps: 1e-30, ..RasterSettings::square(size, sigma) };
        let n = s.pixels();
        let masks: Vec<Vec<f64>> = (0..cams.len()).map(|v| disc_mask(size, size, 0.08 * v as f64, -0.05, 0.4)).collect();
        let fwd = cpu::forward(&mesh, &cams, &s);
        let mut v_sil = Vec::new();
        for (v, m) in masks.iter().enumerate() {
            v_sil.extend(iou_loss_and_grad(&fwd.sil[v * n..(v + 1) * n], m).1.iter().map(|g| g / cams.len() as f64));
        }
        let grad = cpu::backward(&mesh, &cams, &s, &fwd, &v_sil);
        let scale = grad.iter().map(|g| g.abs().max_element()).fold(0.0, f64::max);
        assert!(scale > 0.0);
        let h = 1e-6;
        let mut checked = 0;
        for (vi, g) in grad.iter().enumerate() {
            for k in 0..3 {
                if g[k].abs() < 1e-2 * scale {
                    continue;
                }
                let (mut plus, mut minus) = (mesh.clone(), mesh.clone());
                let mut d = DVec3::ZERO;
                d[k] = h;
                plus.vertices[vi] = (plus.vertices[vi].as_dvec3() + d).as_vec3();
                minus.vertices[vi] = (minus.vertices[vi].as_dvec3() - d).as_vec3();
                let step = (plus.vertices[vi][k] as f64) - (minus.vertices[vi][k] as f64);
                let fd = (loss(&plus, &cams, &s, &masks) - loss(&minus, &cams, &s, &masks)) / step;
                let rel = (g[k] - fd).abs() / fd.abs().max(g[k].abs());
                assert!(
                    rel <= 1e-3,
                    "σ {sigma} vertex {vi} axis {k}: analytic {:e}, finite difference {fd:e}, relative error {rel:e}",
                    g[k]
                );
                checked += 1;
            }
        }
        assert!(checked >= 10, "only {checked} components were large enough to check");
    }
}

#[test]
fn gpu_matches_cpu_with_mixed_projections() {
    let c = mixed_cams();
    let mut g = gpu_raster();
    for (mesh, sigma, size) in
        [(blob(2, 3), 1e-3, 48u32), (blob(3, 4), 1e-4, 64), (random_soup(9, 30, 0.5), 1e-4, 40), (random_soup(2, 40, 0.6), 1e-5, 32)]
    {
        let s = RasterSettings::square(size, sigma);
        let fwd = cpu::forward(&mesh, &c, &s);
        let got = g.forward(&mesh, &c, &s).unwrap();
        let diff = max_abs_diff(&got, &fwd.sil);
        assert!(diff <= 1e-4, "σ={sigma}: max |S_gpu − S_cpu| = {diff:e}");
        let npix = s.pixels();
        for v in 0..c.len() {
            assert!(fwd.sil[v * npix..(v + 1) * npix].iter().any(|&x| x > 0.5), "view {v} is empty");
        }
        let mut v_sil = Vec::new();
        for v in 0..c.len() {
            let mask = disc_mask(size, size, 0.1, -0.05, 0.45);
            v_sil.extend(iou_loss_and_grad(&fwd.sil[v * npix..(v + 1) * npix], &mask).1);
        }
        let want = cpu::backward(&mesh, &c, &s, &fwd, &v_sil);
        let v32: Vec<f32> = v_sil.iter().map(|&x| x as f32).collect();
        let got = g.backward(&mesh, &c, &s, &v32).unwrap();
        let scale = want.iter().map(|g| g.abs().max_element()).fold(0.0, f64::max);
        assert!(scale > 0.0);
        let diff = got.iter().zip(&want).map(|(a, b)| (a.as_dvec3() - *b).abs().max_element()).fold(0.0, f64::max);
        assert!(diff <= 1e-4 * scale, "σ={sigma}: max |g_gpu − g_cpu| = {diff:e}, largest component {scale:e}");
    }
}

#[test]
fn orthographic_and_perspective_silhouettes_differ() {
    // the GPU-vs-CPU test could not fail if both engines ignored the projection: they must not
    let m = blob(3, 4);
    let s = RasterSettings::square(48, 1e-4);
    let o = ortho(2.0, 20.0, 30.0, 2.0);
    let p = Camera::new(2.0, 20.0, 30.0, 30.0).unwrap();
    let mut g = gpu_raster();
    let (so, sp) = (g.forward(&m, &[o], &s).unwrap(), g.forward(&m, &[p], &s).unwrap());
    let n = |v: &[f32]| v.iter().filter(|&&x| x > 0.5).count();
    assert!(n(&so).abs_diff(n(&sp)) > 50, "{} {}", n(&so), n(&sp));
}

fn disc_mask_f32(n: usize, cx: f64, cy: f64, rad: f64) -> Vec<f32> {
    let mut m = vec![0.0; n * n];
    for j in 0..n {
        for i in 0..n {
            if (i as f64 + 0.5 - cx).hypot(j as f64 + 0.5 - cy) <= rad {
                m[j * n + i] = 1.0;
            }
        }
    }
    m
}

#[test]
fn depth_prior_with_an_orthographic_camera() {
    // pixel world size 2 / (s W) = width / W
    let cam = ortho(2.732, 20.0, -60.0, 2.4);
    assert!((pixel_world_size(&cam, 48) - 0.05).abs() < 1e-15);
    let n = 48u32;
    let hmap = height_map(&disc_mask_f32(48, 22.0, 26.0, 17.0), n, &cam);
    let w = DepthWeights { lambda: 0.7, thickness: 0.8, near: 1e-3 };
    let mut r = rng(3);
    use rand::Rng;
    let x: Vec<DVec3> = (0..60)
        .map(|_| {
            let z = r.random_range(0.05..0.4) * if r.random_range(0.0..1.0) < 0.5 { -1.0 } else { 1.0 };
            DVec3::new(r.random_range(-0.5..0.5), r.random_range(-0.5..0.5), z)
        })
        .collect();
    let (loss, g) = depth_loss(&x, &cam, &hmap, n, w);
    assert!(loss > 0.0);
    let mut lateral = 0;
    for i in 0..x.len() {
        for a in 0..3 {
            let e = 1e-7;
            let (mut p, mut m) = (x.clone(), x.clone());
            p[i][a] += e;
            m[i][a] -= e;
            let fd = (depth_loss(&p, &cam, &hmap, n, w).0 - depth_loss(&m, &cam, &hmap, n, w).0) / (2.0 * e);
            let tol = 1e-4 * fd.abs().max(g[i][a].abs()) + 1e-9;
            assert!((fd - g[i][a]).abs() < tol, "vertex {i} axis {a}: analytic {:e} fd {fd:e}", g[i][a]);
        }
        // h is read at q = s·(x_c, y_c): a vertex moved across the image changes its loss
        if g[i].cross(cam.rotation().row(2)).length() > 1e-6 {
            lateral += 1;
        }
    }
    assert!(lateral > 10, "only {lateral} vertices feel the height map");
}

#[test]
fn gpu_depth_pass_matches_cpu_with_an_orthographic_camera() {
    let cam = ortho(2.732, 10.0, -30.0, 1.8);
    let size = 48;
    let target =
        FitTarget { size, cameras: vec![cam], masks: disc_mask_f32(48, 20.0, 27.0, 15.0), names: vec!["disc".into()], weights: vec![1.0] };
    let p = FitParams { size, sigma: 3e-4, template_level: 2, lambda_depth: Some(3.0), thickness: 0.8, ..FitParams::default() };
    let template = icosphere_template(p.template_level, p.template_radius).unwrap();
    let live = p.live();
    let mut g = GpuFitter::new(gpu(), &template, &target, &p).unwrap();
    let mut c = CpuFitter::new(&template, &target, &p).unwrap();
    for _ in 0..4 {
        g.step(&live).unwrap();
        c.step(&live).unwrap();
    }
    let (sg, sc) = (g.drain_stats().unwrap(), c.drain_stats().unwrap());
    assert_eq!(sg.len(), 4);
    for (a, b) in sg.iter().zip(&sc) {
        assert!(b.depth > 1e-3, "the prior is active: {}", b.depth);
        assert!((a.depth - b.depth).abs() < 1e-4 * b.depth.max(1e-2), "step {}: depth gpu {} cpu {}", a.step, a.depth, b.depth);
        assert!((a.loss - b.loss).abs() < 1e-4, "step {}: loss gpu {} cpu {}", a.step, a.loss, b.loss);
        assert!((a.grad_norm - b.grad_norm).abs() < 1e-3 * b.grad_norm, "step {}: |g| gpu {} cpu {}", a.step, a.grad_norm, b.grad_norm);
    }
    let (vg, vc) = (g.vertices(false).unwrap(), c.vertices(false).unwrap());
    let worst = vg.iter().zip(&vc).map(|(a, b)| (*a - *b).abs().max_element()).fold(0.0, f32::max);
    assert!(worst < 1e-4, "vertices differ by {worst}");
}

#[test]
fn a_fit_from_orthographic_views_reaches_the_silhouettes() {
    let cams = vec![ortho(2.732, 0.0, 0.0, 2.0), ortho(2.732, 30.0, -90.0, 2.0), Camera::new(2.732, -30.0, 45.0, 15.0).unwrap()];
    let mut e = Mesh::icosphere(3).unwrap();
    for v in &mut e.vertices {
        *v *= glam::Vec3::new(0.55, 0.35, 0.45);
        v.x += 0.05;
    }
    let size = 48;
    let sil = cpu::forward(&e, &cams, &RasterSettings::square(size, 1e-6)).sil;
    let target = FitTarget {
        size,
        cameras: cams.clone(),
        masks: sil.iter().map(|&x| x as f32).collect(),
        names: vec!["ellipsoid".into(); 3],
        weights: vec![1.0; 3],
    };
    let p = FitParams { steps: 200, size, sigma: 3e-4, template_level: 2, ..FitParams::default() };
    let template = icosphere_template(p.template_level, p.template_radius).unwrap();
    let mut f = GpuFitter::new(gpu(), &template, &target, &p).unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let out = softras::fit::run(&mut f, &p, &stop, |_, _| {}).unwrap();
    let (got, _) = f.evaluate(false, p.sigma).unwrap();
    let npix = (size * size) as usize;
    for v in 0..cams.len() {
        let r = v * npix..(v + 1) * npix;
        let hard = softras::target::hard_iou(&got[r.clone()], &target.masks[r]);
        assert!(hard > 0.9, "view {v}: hard IoU {hard} after {} steps", out.history.len());
    }
}

fn softras_code(args: &[&str]) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_softras")).args(args).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn cli_renders_and_fits_orthographic_views_and_refuses_bad_widths() {
    let d = crate::mesh::tempdir();
    let obj = d.join("mug.obj");
    write_shape("mug", &obj);
    let o = obj.to_str().unwrap();
    // render three orthographic views, then fit them from a views CSV with the new columns
    let mut rows = String::from("file,distance,elevation,azimuth,projection,width\n");
    for (k, (el, az)) in [(0.0, 0.0), (30.0, -90.0), (-20.0, 45.0)].iter().enumerate() {
        let png = d.join(format!("v{k}.png"));
        let cam = format!("2.732,{el},{az}");
        let (ok, _, err) = softras(&[
            "render",
            "--mesh",
            o,
            "--camera",
            &cam,
            "--projection",
            "orthographic",
            "--ortho-width",
            "2.5",
            "--size",
            "48",
            "--out",
            png.to_str().unwrap(),
        ]);
        assert!(ok, "{err}");
        rows += &format!("v{k}.png,2.732,{el},{az},orthographic,2.5\n");
    }
    let csv = d.join("views.csv");
    std::fs::write(&csv, rows).unwrap();
    let (out, rep) = (d.join("fit.obj"), d.join("r.json"));
    let (ok, _, err) = softras(&[
        "fit",
        "--views",
        csv.to_str().unwrap(),
        "--steps",
        "300",
        "--out",
        out.to_str().unwrap(),
        "--report",
        rep.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let r = read_report(&rep);
    let iou = r["hard_iou_mean"].as_f64().unwrap();
    assert!(iou > 0.9, "mug from three orthographic views: hard IoU {iou}");
    let ortho_mesh = softras::Mesh::load_obj(&out).unwrap();
    assert_eq!(r["views"][2]["projection"], serde_json::json!({"kind": "orthographic", "width": 2.5}), "{r}");
    // the same pictures read as perspective views do not fit as well: the CSV's columns are used
    std::fs::write(&csv, std::fs::read_to_string(&csv).unwrap().replace(",orthographic,2.5", ",,")).unwrap();
    let (ok, _, err) = softras(&[
        "fit",
        "--views",
        csv.to_str().unwrap(),
        "--steps",
        "300",
        "--out",
        out.to_str().unwrap(),
        "--report",
        rep.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let r = read_report(&rep);
    assert!(r["views"][0].get("projection").is_none(), "{r}");
    // read as perspective (2 · 2.732 · tan 15° ≈ 1.46 across at the centre instead of 2.5) the pictures
    // make a mesh about 0.59 times as large
    let extent = |m: &softras::Mesh| {
        let (lo, hi) = m.vertices.iter().fold((glam::Vec3::INFINITY, glam::Vec3::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        (hi - lo).max_element()
    };
    let ratio = extent(&softras::Mesh::load_obj(&out).unwrap()) / extent(&ortho_mesh);
    assert!((0.5..0.7).contains(&ratio), "read as perspective the mesh is {ratio} times the orthographic one's size");
    // fit's own flags: --projection orthographic --ortho-width 2.5 on a rendered mesh
    let (ok, _, err) = softras(&[
        "fit",
        "--target-mesh",
        o,
        "--num-views",
        "4",
        "--size",
        "32",
        "--steps",
        "20",
        "--projection",
        "orthographic",
        "--ortho-width",
        "2.5",
        "--out",
        out.to_str().unwrap(),
        "--report",
        rep.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let r = read_report(&rep);
    assert!(r["hard_iou_mean"].as_f64().unwrap() > 0.5, "{r}");
    // bad widths: a clear error naming the flag and exit 1, never a panic
    let png = d.join("x.png");
    for w in ["0", "-1", "nan", "inf", "1e300", "abc"] {
        for cmd in ["render", "fit"] {
            let mut args = vec![cmd, "--projection", "orthographic", "--ortho-width", w];
            match cmd {
                "render" => args.extend_from_slice(&["--shape", "sphere", "--camera", "2.732,0,0", "--out", png.to_str().unwrap()]),
                _ => args.extend_from_slice(&["--steps", "1", "--size", "16", "--out", out.to_str().unwrap()]),
            }
            let (code, err) = softras_code(&args);
            assert_eq!(code, Some(1), "{cmd} --ortho-width {w}: {err}");
            assert!(err.contains("--ortho-width") && !err.contains("panicked"), "{cmd} --ortho-width {w}: {err}");
        }
    }
    let (code, err) =
        softras_code(&["render", "--shape", "sphere", "--camera", "2.732,0,0", "--ortho-width", "2", "--out", png.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--ortho-width is for --projection orthographic"), "{err}");
    let (code, err) =
        softras_code(&["render", "--shape", "sphere", "--camera", "2.732,0,0", "--projection", "fisheye", "--out", png.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
}

#[test]
fn views_csv_with_and_without_projection_columns() {
    let dir = crate::mesh::tempdir();
    std::fs::write(dir.join("b.png"), b"x").unwrap();
    let csv = dir.join("views.csv");
    let load = |text: &str| {
        std::fs::write(&csv, text).unwrap();
        softras::target::load_views_csv(&csv)
    };
    // old CSVs still load, with no projection of their own
    let v = load("file,distance,elevation,azimuth\nb.png,2,0,0\n").unwrap();
    assert_eq!(v[0].projection, None);
    let v =
        load("file,distance,elevation,azimuth,Projection,WIDTH\nb.png,2,0,0,orthographic,2.5\nb.png,2,0,0,Perspective,\nb.png,2,0,0,,\n")
            .unwrap();
    assert_eq!(v[0].projection, Some(Projection::Orthographic { width: 2.5 }));
    assert_eq!(v[1].projection, Some(Projection::Perspective));
    assert_eq!(v[2].projection, None);
    let err = |text: &str| load(text).unwrap_err().to_string();
    let h = "file,distance,elevation,azimuth,projection,width\n";
    let e = err(&format!("{h}b.png,2,0,0,orthographic,\n"));
    assert!(e.contains("row 1: an orthographic view needs a width"), "{e}");
    let e = err(&format!("{h}b.png,2,0,0,orthographic,2\nb.png,2,0,0,orthographic,-1\n"));
    assert!(e.contains("row 2: width must be in"), "{e}");
    let e = err(&format!("{h}b.png,2,0,0,orthographic,nan\n"));
    assert!(e.contains("row 1: width \"nan\" is not a finite number"), "{e}");
    let e = err(&format!("{h}b.png,2,0,0,orthographic,1e9\n"));
    assert!(e.contains("row 1: width must be in"), "{e}");
    let e = err(&format!("{h}b.png,2,0,0,perspective,2\n"));
    assert!(e.contains("row 1: a width is only for rows whose projection is orthographic"), "{e}");
    let e = err(&format!("{h}b.png,2,0,0,fisheye,2\n"));
    assert!(e.contains("row 1: projection \"fisheye\" is neither"), "{e}");
}
