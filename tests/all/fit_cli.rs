//! `softras fit` end to end: outputs, determinism, quality on the project's own targets, bad input.
use crate::mesh::tempdir;
use std::path::Path;

use crate::common::softras;

fn report(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn default_target_reaches_hard_iou_097_in_500_steps() {
    let d = tempdir();
    let (out, rep, hist) = (d.join("r.obj"), d.join("r.json"), d.join("h.csv"));
    let (sil, masks) = (d.join("sil"), d.join("masks"));
    let (ok, _, err) = softras(&["fit", "--steps", "500", "--size", "128", "--out", out.to_str().unwrap(), "--report", rep.to_str().unwrap(),
        "--history", hist.to_str().unwrap(), "--save-silhouettes", sil.to_str().unwrap(), "--save-masks", masks.to_str().unwrap()]);
    assert!(ok, "{err}");
    let r = report(&rep);
    let keys: Vec<&str> = r.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    let mut want = vec!["steps", "seconds", "steps_per_second", "loss", "soft_iou_mean", "hard_iou_mean", "views", "params"];
    want.sort();
    let mut got = keys.clone();
    got.sort();
    assert_eq!(got, want, "report keys");
    assert_eq!(r["steps"], 500);
    let hard = r["hard_iou_mean"].as_f64().unwrap();
    assert!(hard >= 0.97, "hard IoU {hard}");
    let v = &r["views"][0];
    for k in ["file", "distance", "elevation", "azimuth", "soft_iou", "hard_iou"] {
        assert!(!v[k].is_null(), "views[0].{k} missing: {v}");
    }
    assert_eq!(r["params"]["fit"]["lambda_lap"], 0.03);
    let h = std::fs::read_to_string(&hist).unwrap();
    assert!(h.starts_with("step,loss,soft_iou_mean\n"));
    assert_eq!(h.lines().count(), 501, "one history row per step");
    assert!(sil.join("view_000.png").exists() && masks.join("view_000.png").exists());
    let m = softras::Mesh::load_obj(&out).unwrap();
    assert_eq!(m.vertices.len(), 2562);
}

#[test]
fn two_identical_fits_write_identical_obj_bytes() {
    let d = tempdir();
    let (a, b) = (d.join("a.obj"), d.join("b.obj"));
    for p in [&a, &b] {
        let (ok, _, err) = softras(&["fit", "--steps", "40", "--size", "48", "--template-level", "2", "--out", p.to_str().unwrap()]);
        assert!(ok, "{err}");
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn multi_view_fit_of_a_chair_reaches_hard_iou_095() {
    // 24 of SoftRas's demo views (elevations −30, 0, 30 × azimuths 0, −45, …, −315) of the project's chair
    let d = tempdir();
    let mut csv = String::from("file,distance,elevation,azimuth\n");
    let chair = softras::shapes::chair();
    let mut k = 0;
    for el in [-30.0, 0.0, 30.0] {
        for a in 0..8 {
            let az = -45.0 * a as f64;
            let f = format!("v{k}.png");
            let (ok, _, err) = softras(&["render", "--shape", "chair", "--size", "64", "--sigma", "1e-6", "--view-angle", "15",
                "--camera", &format!("2.732,{el},{az}"), "--out", d.join(&f).to_str().unwrap()]);
            assert!(ok, "{err}");
            csv.push_str(&format!("{f},2.732,{el},{az}\n"));
            k += 1;
        }
    }
    let _ = chair;
    std::fs::write(d.join("views.csv"), csv).unwrap();
    let rep = d.join("r.json");
    let (ok, _, err) = softras(&["fit", "--views", d.join("views.csv").to_str().unwrap(), "--steps", "600",
        "--out", d.join("chair.obj").to_str().unwrap(), "--report", rep.to_str().unwrap()]);
    assert!(ok, "{err}");
    let r = report(&rep);
    assert_eq!(r["views"].as_array().unwrap().len(), 24);
    let hard = r["hard_iou_mean"].as_f64().unwrap();
    assert!(hard >= 0.95, "hard IoU mean {hard}");
}

#[test]
fn bad_fit_input_is_a_clear_error_and_writes_no_obj() {
    let d = tempdir();
    let w = |name: &str, bytes: &[u8]| {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    };
    let corrupt = w("corrupt.png", b"\x89PNG\r\n\x1a\n not really");
    let empty = w("empty.png", b"");
    let tiny = d.join("tiny.png");
    image::GrayImage::from_pixel(1, 1, image::Luma([255])).save(&tiny).unwrap();
    let blank = d.join("blank.png");
    image::GrayImage::from_pixel(32, 32, image::Luma([0])).save(&blank).unwrap();
    let (tiny, blank) = (tiny.to_str().unwrap().to_string(), blank.to_str().unwrap().to_string());
    let good = d.join("good.png");
    image::GrayImage::from_fn(32, 32, |x, y| image::Luma([if (x as i32 - 16).pow(2) + (y as i32 - 16).pow(2) < 80 { 255 } else { 0 }])).save(&good).unwrap();
    let good = good.to_str().unwrap().to_string();
    let missing_csv = w("missing.csv", b"file,distance,elevation,azimuth\nnope.png,2.7,0,0\n");
    let nocol_csv = w("nocol.csv", b"file,distance,elevation\ngood.png,2.7,0\n");
    let nan_csv = w("nan.csv", b"file,distance,elevation,azimuth\ngood.png,2.7,abc,0\n");
    let out = d.join("o.obj");
    let o = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![&corrupt], "corrupt.png"),
        (vec![&empty], "empty.png"),
        (vec![&tiny], "small"),
        (vec![&blank], "empty"),
        (vec!["/nonexistent/x.png"], "x.png"),
        (vec!["--views", &missing_csv], "nope.png"),
        (vec!["--views", &nocol_csv], "azimuth"),
        (vec!["--views", &nan_csv], "abc"),
        (vec![&good, "--sigma", "0"], "sigma"),
        (vec![&good, "--sigma", "NaN"], "sigma"),
        (vec![&good, "--lr", "0"], "lr"),
        (vec![&good, "--lr", "-1"], "lr"),
        (vec![&good, "--lambda-lap", "-1"], "lambda-lap"),
        (vec![&good, "--steps", "0"], "steps"),
        (vec![&good, "--size", "1"], "size"),
        (vec![&good, "--size", "100000"], "size"),
        (vec![&good, "--view", "a.png:1:2"], "either"),
        (vec!["--view", "a.png:x:2"], "not a number"),
    ];
    for (extra, want) in cases {
        let mut args = vec!["fit", "--out", o];
        if !extra.contains(&"--steps") {
            args.extend(["--steps", "5"]);
        }
        args.extend(extra.iter().copied());
        let (ok, _, err) = softras(&args);
        assert!(!ok, "{extra:?} succeeded");
        assert!(!err.contains("panicked"), "{extra:?} panicked: {err}");
        assert!(err.to_lowercase().contains(&want.to_lowercase()), "{extra:?}: {err}");
        assert!(!out.exists(), "{extra:?} wrote an OBJ");
    }
    // a full-foreground picture
    let full = d.join("full.png");
    image::GrayImage::from_pixel(32, 32, image::Luma([255])).save(&full).unwrap();
    let (ok, _, err) = softras(&["fit", full.to_str().unwrap(), "--steps", "5", "--out", o]);
    // a uniform picture has no object to find: either message is clear
    assert!(!ok && (err.contains("whole image") || err.contains("single gray level")), "{err}");
    // an all-foreground view (views are not thresholded) is rejected as such
    let csv = w("full.csv", b"file,distance,elevation,azimuth\nfull.png,2.7,0,0\n");
    let (ok, _, err) = softras(&["fit", "--views", &csv, "--steps", "5", "--out", o]);
    assert!(!ok && err.contains("whole image"), "{err}");
    assert!(!out.exists());
}

#[test]
fn num_views_keeps_round_i_total_over_n() {
    use softras::fit::keep_views;
    assert_eq!(keep_views(120, 4).unwrap(), vec![0, 30, 60, 90]);
    assert_eq!(keep_views(120, 120).unwrap(), (0..120).collect::<Vec<_>>());
    assert_eq!(keep_views(120, 7).unwrap(), vec![0, 17, 34, 51, 69, 86, 103]);
    assert!(keep_views(120, 0).is_err() && keep_views(120, 121).is_err());
}

#[test]
fn reconstruction_from_a_target_mesh_reports_3d_metrics() {
    let d = tempdir();
    let (target, rep, out) = (d.join("sphere.obj"), d.join("r.json"), d.join("fit.obj"));
    let (ok, _, err) = softras(&["shape", "sphere", target.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, _, err) = softras(&["fit", "--target-mesh", target.to_str().unwrap(), "--num-views", "12", "--size", "32",
        "--template-level", "2", "--steps", "150", "--out", out.to_str().unwrap(), "--report", rep.to_str().unwrap()]);
    assert!(ok, "{err}");
    let r = report(&rep);
    assert_eq!(r["views"].as_array().unwrap().len(), 12);
    assert_eq!(r["views"][1]["azimuth"], -150.0, "view 1 is index round(120/12) = 10: elevation −60, azimuth −150");
    assert_eq!(r["views"][1]["elevation"], -60.0);
    let m = &r["metrics"];
    let (iou, chamfer, f) = (m["voxel_iou"].as_f64().unwrap(), m["chamfer"].as_f64().unwrap(), m["fscore"].as_f64().unwrap());
    assert!(iou > 0.8, "voxel IoU {iou}");
    assert!(chamfer < 1e-3, "chamfer {chamfer}");
    assert!(f > 0.3, "fscore {f}");
    assert!(r["hard_iou_mean"].as_f64().unwrap() > 0.9);
    // --num-views beyond the camera count is a clear error
    let (ok, _, err) = softras(&["fit", "--target-mesh", target.to_str().unwrap(), "--num-views", "121", "--out", d.join("x.obj").to_str().unwrap()]);
    assert!(!ok && err.contains("--num-views"), "{err}");
}
