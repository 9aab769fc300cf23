//! The command line: outputs, and bad input giving a clear error and a non-zero exit, never a panic.
use crate::mesh::tempdir;

use crate::common::softras;

#[test]
fn render_writes_png16_and_npy() {
    let d = tempdir();
    let (png, npy) = (d.join("s.png"), d.join("s.npy"));
    let (ok, _, err) = softras(&[
        "render",
        "--icosphere",
        "3",
        "--size",
        "40",
        "--camera",
        "2.732,30,-15",
        "--out",
        png.to_str().unwrap(),
        "--npy",
        npy.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let img = image::open(&png).unwrap();
    assert_eq!(img.color(), image::ColorType::L16);
    let img = img.into_luma16();
    assert_eq!(img.dimensions(), (40, 40));
    let (shape, values) = softras::output::parse_npy(&std::fs::read(&npy).unwrap()).unwrap();
    assert_eq!(shape, vec![40, 40]);
    for (k, v) in values.iter().enumerate() {
        let p = img.as_raw()[k];
        assert_eq!(p, (v.clamp(0.0, 1.0) * 65535.0).round() as u16);
    }
    // inside the sphere's outline S is near 1 (not exactly: pixels on interior edges keep a little T)
    assert!(img.get_pixel(20, 20).0[0] > 64000, "the sphere covers the centre");
    assert_eq!(img.get_pixel(0, 0).0[0], 0);
    // the CPU engine writes the same picture within f32 rounding
    let npy2 = d.join("c.npy");
    let (ok, _, err) = softras(&[
        "render",
        "--icosphere",
        "3",
        "--size",
        "40",
        "--camera",
        "2.732,30,-15",
        "--backend",
        "cpu",
        "--npy",
        npy2.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let (_, v2) = softras::output::parse_npy(&std::fs::read(&npy2).unwrap()).unwrap();
    assert!(values.iter().zip(&v2).all(|(a, b)| (a - b).abs() < 1e-4));
}

#[test]
fn bad_input_is_a_clear_error() {
    let d = tempdir();
    let write = |name: &str, bytes: &[u8]| {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    };
    let good = write("good.obj", b"v 0 0 0\nv 0.5 0 0\nv 0 0.5 0\nf 1 2 3\n");
    let corrupt = write("corrupt.obj", b"\x00\xff\xfe binary junk\nf 1 2\n");
    let nofaces = write("nofaces.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\n");
    let nan = write("nan.obj", b"v 0 0 0\nv NaN 0 0\nv 0 1 0\nf 1 2 3\n");
    let out = d.join("o.png");
    let out = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--mesh", "/nonexistent/m.obj"], "nonexistent"),
        (vec!["--mesh", &corrupt], "corrupt.obj"),
        (vec!["--mesh", &nofaces], "no faces"),
        (vec!["--mesh", &nan], "non-finite"),
        (vec!["--mesh", &good, "--size", "0"], "size"),
        (vec!["--mesh", &good, "--size", "1000000"], "too large"),
        (vec!["--mesh", &good, "--sigma", "0"], "sigma"),
        (vec!["--mesh", &good, "--sigma", "-1e-4"], "sigma"),
        (vec!["--mesh", &good, "--sigma", "NaN"], "sigma"),
        (vec!["--mesh", &good, "--view-angle", "95"], "view angle"),
        (vec!["--mesh", &good, "--camera", "2,x,0"], "not a number"),
        (vec!["--mesh", &good, "--camera", "0,0,0"], "distance"),
    ];
    for (extra, want) in cases {
        let mut args = vec!["render", "--out", out];
        if !extra.contains(&"--camera") {
            args.extend(["--camera", "2.732,0,0"]);
        }
        args.extend(extra.iter().copied());
        let (ok, _, err) = softras(&args);
        assert!(!ok, "{extra:?} succeeded");
        assert!(!err.contains("panicked"), "{extra:?} panicked: {err}");
        assert!(err.to_lowercase().contains(&want.to_lowercase()), "{extra:?}: {err}");
        assert!(!std::path::Path::new(out).exists(), "{extra:?} left a file");
    }
    // no output requested
    let (ok, _, err) = softras(&["render", "--mesh", &good, "--camera", "2,0,0"]);
    assert!(!ok && err.contains("--out"), "{err}");
    // the viewer's own flags
    let (ok, _, err) = softras(&["view", "--steps-per-frame", "0"]);
    assert!(!ok && err.contains("--steps-per-frame") && !err.contains("panicked"), "{err}");
    let (ok, _, err) = softras(&["view", "--steps-per-frame", "2", "--auto-steps"]);
    assert!(!ok && err.contains("cannot be used with"), "{err}");
}

#[test]
fn info_names_the_adapter() {
    let (ok, out, err) = softras(&["info"]);
    assert!(ok, "{err}");
    assert!(out.contains("adapter:") && out.contains("backend:"), "{out}");
}

/// `bench viewer` runs the viewer's engine against `fit` and prints one row per case with its ratio.
#[test]
fn bench_viewer_compares_the_viewer_engine_with_fit() {
    let (ok, out, err) = softras(&["bench", "viewer", "--viewer-steps", "3", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for r in rows {
        assert!(r["steps"].as_u64().unwrap() >= 3, "{r}");
        let (fit, view) = (r["fit_steps_per_second"].as_f64().unwrap(), r["viewer_steps_per_second"].as_f64().unwrap());
        assert!(fit > 0.0 && view > 0.0 && (r["ratio"].as_f64().unwrap() - view / fit).abs() < 1e-9, "{r}");
    }
}

/// `bench fit --passes` times every pass of the demo step and the fitter's setup with and without
/// compiled pipelines; it applies to `bench fit` only.
#[test]
fn bench_fit_passes_profiles_every_pass() {
    let (ok, out, err) = softras(&["bench", "fit", "--passes", "--fit-steps", "2", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let passes = v["passes"].as_array().unwrap();
    let names: Vec<&str> = passes.iter().map(|p| p["pass"].as_str().unwrap()).collect();
    for pass in ["params", "project", "setup", "forward", "resolve", "iou_reduce", "iou_grad", "backward", "gather", "adam", "record"] {
        assert!(names.contains(&pass), "{pass} missing: {names:?}");
    }
    let sum: f64 = passes.iter().map(|p| p["ms"].as_f64().unwrap()).sum();
    assert!(sum > 0.0 && (v["sum_of_passes_ms"].as_f64().unwrap() - sum).abs() < 1e-9, "{v}");
    assert!(v["setup_first_ms"].as_f64().unwrap() > 0.0 && v["setup_again_ms"].as_f64().unwrap() > 0.0, "{v}");
    let (ok, _, err) = softras(&["bench", "raster", "--passes"]);
    assert!(!ok && err.contains("--passes"), "{err}");
}

/// `bench` (raster) reports pass times apart from the readback, ns per covered pixel, and with `--work`
/// the work distribution: a large face of level 1 at 256² is cut into several items of `--chunk` pixels.
#[test]
fn bench_raster_reports_passes_readback_and_work() {
    let args = ["bench", "--levels", "1", "--sizes", "256", "--reps", "1", "--cpu-budget", "0", "--chunk", "1024", "--json"];
    let (ok, out, err) = softras(&args);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r = &v["rows"][0];
    for key in ["gpu_forward_passes_ms", "gpu_forward_backward_passes_ms", "readback_ms", "ns_per_covered_pixel"] {
        assert!(r[key].as_f64().unwrap() > 0.0, "{key}: {r}");
    }
    let w = &r["work"];
    assert_eq!(w["slots"].as_u64().unwrap(), 80, "{r}");
    assert!(w["longest_face"].as_u64().unwrap() > w["chunk"].as_u64().unwrap(), "{r}");
    assert!(w["items"].as_u64().unwrap() > 80 && w["longest_item"].as_u64().unwrap() <= w["chunk"].as_u64().unwrap(), "{r}");
    assert_eq!(r["covered_pixels"], w["covered"]);
    let (ok, out, err) = softras(&["bench", "--levels", "1", "--sizes", "64", "--reps", "1", "--work"]);
    assert!(ok && out.contains("ns/cov px") && out.contains("longest loop"), "{out}{err}");
    let (ok, _, err) = softras(&["bench", "fit", "--work"]);
    assert!(!ok && err.contains("--work"), "{err}");
    let (ok, _, err) = softras(&["bench", "--chunk", "0"]);
    assert!(!ok && err.contains("--chunk"), "{err}");
}

/// Runs the softras binary: (exit code, stdout, stderr).
fn softras_code(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_softras")).args(args).envs(env.iter().copied()).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// Usage errors exit 1 like all bad input (help and version 0); an internal error is one line and exit
/// 101; no panic message ever reaches the user.
#[test]
fn exit_codes_are_0_1_or_101_and_no_panic_reaches_the_user() {
    let (code, _, err) = softras_code(&["fit", "--bogus-flag"], &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--bogus-flag"), "{err}");
    let (code, out, _) = softras_code(&["--help"], &[]);
    assert!(code == Some(0) && out.contains("Usage"), "{out}");
    let (code, out, _) = softras_code(&["--version"], &[]);
    assert!(code == Some(0) && out.contains(env!("CARGO_PKG_VERSION")), "{out}");
    let (code, _, err) = softras_code(&["info"], &[("SOFTRAS_TEST_INTERNAL_PANIC", "1")]);
    assert_eq!(code, Some(101), "{err}");
    assert!(err.starts_with("error: internal error: ") && err.contains("report this as a bug") && err.lines().count() == 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // numbers that used to panic or abort in the benchmarks
    for (args, want) in [
        (vec!["bench", "viewer", "--fps", "0"], "--fps"),
        (vec!["bench", "viewer", "--fps", "NaN"], "--fps"),
        (vec!["bench", "--levels", "3", "--sizes", "1000000"], "--sizes"),
        (vec!["bench", "--levels", "9", "--sizes", "64"], "--levels"),
        (vec!["bench", "--reps", "0"], "--reps"),
    ] {
        let (code, _, err) = softras_code(&args, &[]);
        assert_eq!(code, Some(1), "{args:?}: {err}");
        assert!(err.starts_with("error: ") && err.contains(want) && !err.contains("panicked"), "{args:?}: {err}");
    }
}

/// A reader that goes away before softras prints (`softras eval a b | head -c0`) ends it quietly.
#[test]
fn a_closed_stdout_ends_quietly_with_exit_0() {
    let d = tempdir();
    let m = d.join("m.obj");
    crate::common::write_shape("sphere", &m);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_softras"))
        .args(["eval", m.to_str().unwrap(), m.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked") && !err.contains("error"), "{err}");
}

/// Every number has both bounds, so that the GPU and CPU engines agree on what they accept.
#[test]
fn numbers_out_of_range_are_refused_with_both_bounds() {
    let d = tempdir();
    let good = d.join("good.obj");
    std::fs::write(&good, b"v 0 0 0\nv 0.5 0 0\nv 0 0.5 0\nf 1 2 3\n").unwrap();
    let huge = d.join("huge.obj");
    std::fs::write(&huge, b"v 0 0 0\nv 1e30 0 0\nv 0 0.5 0\nf 1 2 3\n").unwrap();
    let (good, huge) = (good.to_str().unwrap(), huge.to_str().unwrap());
    let out = d.join("o.png");
    let out = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--mesh", good, "--sigma", "1e39"], "sigma"),
        (vec!["--mesh", good, "--sigma", "0.5"], "0.1"),
        (vec!["--mesh", good, "--camera", "1e-300,0,0"], "distance"),
        (vec!["--mesh", good, "--camera", "1e5,0,0"], "distance"),
        (vec!["--mesh", good, "--camera", "2,1e300,0"], "elevation"),
        (vec!["--mesh", good, "--camera", "2,0,-1e7"], "azimuth"),
        (vec!["--mesh", good, "--view-angle", "1e-30"], "view angle"),
        (vec!["--mesh", good, "--near", "1e300"], "near"),
        (vec!["--mesh", huge], "1e6"),
    ];
    for (extra, want) in cases {
        let mut args = vec!["render", "--out", out, "--size", "16"];
        if !extra.contains(&"--camera") {
            args.extend(["--camera", "2.732,0,0"]);
        }
        args.extend(extra.iter().copied());
        let (ok, _, err) = softras(&args);
        assert!(!ok, "{extra:?} succeeded: {err}");
        assert!(err.starts_with("error: ") && err.contains(want), "{extra:?}: {err}");
        assert!(!std::path::Path::new(out).exists(), "{extra:?} left a file");
    }
    let o = d.join("o.obj");
    let o = o.to_str().unwrap();
    for (extra, want) in [
        (vec!["--lr", "100"], "--lr"),
        (vec!["--lambda-lap", "1e7"], "--lambda-lap"),
        (vec!["--lambda-flat", "1e300"], "--lambda-flat"),
        (vec!["--sigma", "1"], "--sigma"),
        (vec!["--sigma-end", "1"], "--sigma-end"),
        (vec!["--distance", "1e5"], "--distance"),
        (vec!["--view-angle", "0.001"], "view angle"),
        (vec!["--template", huge], "1e6"),
    ] {
        let mut args = vec!["fit", "--steps", "5", "--size", "16", "--out", o];
        args.extend(extra.iter().copied());
        let (ok, _, err) = softras(&args);
        assert!(!ok, "{extra:?} succeeded: {err}");
        assert!(err.starts_with("error: ") && err.contains(want), "{extra:?}: {err}");
        assert!(!std::path::Path::new(o).exists(), "{extra:?} wrote an OBJ");
    }
}

/// Empty or degenerate results are errors (or, for a render, a warning), never a silent 1.0 or a fit of
/// empty masks.
#[test]
fn empty_or_degenerate_results_are_reported() {
    use glam::Vec3;
    let d = tempdir();
    let p = |n: &str| d.join(n).to_str().unwrap().to_string();
    // a sphere far outside every view
    let mut far = softras::shapes::sphere();
    far.vertices.iter_mut().for_each(|v| *v += Vec3::new(100.0, 0.0, 0.0));
    far.save_obj(std::path::Path::new(&p("far.obj"))).unwrap();
    let (ok, _, err) =
        softras(&["fit", "--target-mesh", &p("far.obj"), "--num-views", "4", "--size", "16", "--steps", "5", "--out", &p("o.obj")]);
    assert!(!ok && err.starts_with("error: ") && err.contains("outside every view"), "{err}");
    assert!(!d.join("o.obj").exists());
    // a mesh beyond the unit cube (a public mesh in its own units) is fitted with a warning; one inside
    // the cube has none
    for (scale, warned) in [(5.0, true), (1.0, false)] {
        let mut big = softras::shapes::sphere();
        big.vertices.iter_mut().for_each(|v| *v *= scale);
        big.save_obj(std::path::Path::new(&p("big.obj"))).unwrap();
        let (ok, _, err) =
            softras(&["fit", "--target-mesh", &p("big.obj"), "--num-views", "2", "--size", "16", "--steps", "2", "--out", &p("o.obj")]);
        assert!(ok, "{err}");
        assert_eq!(err.contains("warning") && err.contains("outside the unit cube"), warned, "scale {scale}: {err}");
    }
    // a render that covers no pixel says so
    let (ok, _, err) = softras(&["render", "--mesh", &p("far.obj"), "--camera", "2.732,0,0", "--size", "16", "--out", &p("far.png")]);
    assert!(ok && err.contains("warning") && err.contains("no pixel"), "{err}");
    // a flat (zero-volume) mesh has no inside: no voxel IoU of 1.0
    std::fs::write(d.join("flat.obj"), "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 3\nf 2 4 3\n").unwrap();
    let (ok, out, err) = softras(&["eval", &p("flat.obj"), &p("flat.obj")]);
    assert!(!ok && err.contains("error: ") && err.contains("flat.obj has no inside"), "{out}{err}");
    let cube = softras::shapes::cuboid(Vec3::ZERO, Vec3::splat(0.5));
    cube.save_obj(std::path::Path::new(&p("cube.obj"))).unwrap();
    let (ok, _, err) = softras(&["eval", &p("cube.obj"), &p("flat.obj")]);
    assert!(!ok && err.contains("flat.obj") && !err.contains("cube.obj has"), "{err}");
    // inward-facing (clockwise) closed cubes offset by half a side: IoU ≈ 1/3 like outward ones
    let mut shifted = softras::shapes::cuboid(Vec3::new(0.5, 0.0, 0.0), Vec3::splat(0.5));
    shifted.save_obj(std::path::Path::new(&p("shifted.obj"))).unwrap();
    let mut inward = cube.clone();
    inward.faces.iter_mut().for_each(|f| f.swap(1, 2));
    shifted.faces.iter_mut().for_each(|f| f.swap(1, 2));
    inward.save_obj(std::path::Path::new(&p("in_cube.obj"))).unwrap();
    shifted.save_obj(std::path::Path::new(&p("in_shifted.obj"))).unwrap();
    for (a, b) in [("cube.obj", "shifted.obj"), ("in_cube.obj", "in_shifted.obj"), ("cube.obj", "in_shifted.obj")] {
        let (ok, out, err) = softras(&["eval", &p(a), &p(b), "--json"]);
        assert!(ok, "{a} {b}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let iou = v["voxel_iou"].as_f64().unwrap();
        assert!((iou - 1.0 / 3.0).abs() < 0.02, "{a} vs {b}: voxel IoU {iou}");
    }
}
