//! The target's views as the viewer edits them: the same target as `fit` from the same pictures, edits
//! that continue from the current mesh, threshold and invert, saving and opening a views CSV.
use crate::mesh::tempdir;
use crate::sheets::rect_png;
use softras::fit::FitParams;
use softras::session::Session;
use softras::views::{self, Placement, View};
use std::path::{Path, PathBuf};

/// A 1 × 2 × 3 box drawn as front, right and top pictures of different sizes and margins, written to
/// `dir`; (label, file, elevation, azimuth) each.
fn box_pictures(dir: &Path) -> Vec<(&'static str, PathBuf, f64, f64)> {
    let pics = [
        ("front", rect_png(300, 500, 40, 120, 100, 200), 0.0, 0.0),
        ("right", rect_png(800, 700, 300, 50, 210, 140), 0.0, 90.0),
        ("top", rect_png(120, 400, 10, 200, 50, 150), 90.0, 0.0),
    ];
    pics.into_iter()
        .map(|(name, png, e, a)| {
            let f = dir.join(format!("{name}.png"));
            std::fs::write(&f, png).unwrap();
            (name, f, e, a)
        })
        .collect()
}

fn sheet_views(pics: &[(&'static str, PathBuf, f64, f64)]) -> Vec<View> {
    pics.iter()
        .map(|(name, f, elevation, azimuth)| {
            let mut v = View::from_file(f, Placement::Sheet { elevation: *elevation, azimuth: *azimuth }).unwrap();
            v.name = name.to_string();
            v
        })
        .collect()
}

fn params() -> FitParams {
    FitParams { size: 48, template_level: 2, steps: 20, ..FitParams::default() }
}

/// Runs a session to its step limit.
fn run(s: &mut Session, steps: u32) {
    (s.auto_steps, s.steps_per_frame, s.driver.limit) = (false, 5, Some(steps));
    while s.step() < steps {
        s.frame(false).unwrap();
        s.finish().unwrap();
    }
}

/// `softras fit --sheet …` and the viewer's session on the same pictures write the same OBJ, byte for byte.
#[test]
fn the_viewer_and_fit_give_the_same_mesh_for_a_sheet() {
    let d = tempdir();
    let pics = box_pictures(&d);
    let out = d.join("fit.obj");
    let mut args: Vec<String> = vec!["fit".into()];
    for (name, f, _, _) in &pics {
        args.extend(["--sheet".into(), format!("{name}={}", f.display())]);
    }
    args.extend(["--size", "48", "--template-level", "2", "--steps", "20", "--backend", "gpu", "--out"].map(String::from));
    args.push(out.display().to_string());
    let report = d.join("report.json");
    args.extend(["--report".to_string(), report.display().to_string()]);
    let (ok, _, err) = crate::common::softras(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{err}");
    let r = crate::common::read_report(&report);
    let start = r["params"]["template"].as_str().unwrap();
    assert!(start.starts_with("visual hull of the 3 views"), "the report names the start: {start}");
    // the σ that `fit` (and `view`) give a fit that starts from the hull
    let p = FitParams { sigma: softras::fit::depth::HULL_SIGMA, ..params() };
    let mut s = Session::with_views(crate::common::gpu(), p, sheet_views(&pics), None).unwrap();
    run(&mut s, 20);
    let saved = d.join("viewer.obj");
    s.save_mesh(&saved).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&saved).unwrap(), "the viewer's mesh is fit's");
}

#[test]
fn an_edit_continues_from_the_current_mesh_and_restart_starts_over() {
    let d = tempdir();
    let pics = box_pictures(&d);
    let mut s = Session::with_views(crate::common::gpu(), params(), sheet_views(&pics[..2]), None).unwrap();
    let start = s.template.vertices.clone();
    run(&mut s, 10);
    let current = s.vertices.clone();
    assert_ne!(current, start);
    // adding the top view: three views, the fit goes on from the mesh it had
    s.add_picture(&pics[2].1, Some("top"), 90.0, 0.0).unwrap();
    assert_eq!((s.views().len(), s.target.cameras.len(), s.done()), (3, 3, 0));
    assert_eq!(s.views()[2].name, "top");
    let moved = s.vertices.iter().zip(&current).map(|(a, b)| (*a - *b).length()).fold(0.0f32, f32::max);
    assert!(moved <= 1e-4, "the fit continues from the current mesh (moved {moved})");
    run(&mut s, 5);
    assert_eq!(s.done(), 5);
    // a weight: the same views, the same number of cameras
    s.edit_views(|v| {
        v[0].weight = 2.0;
        Ok(())
    })
    .unwrap();
    assert_eq!((s.views()[0].weight, s.target.weights[0]), (2.0, 2.0), "the weight reaches the loss");
    // removing a view; the last one cannot be removed, and a failed edit changes nothing
    s.edit_views(|v| {
        v.remove(1);
        Ok(())
    })
    .unwrap();
    assert_eq!(s.target.cameras.len(), 2);
    let before = s.target.masks.clone();
    assert!(
        s.edit_views(|v| {
            v.clear();
            Ok(())
        })
        .is_err()
    );
    assert_eq!((s.views().len(), &s.target.masks), (2, &before));
    // restart: the start shape of these views, not the current mesh
    s.reset().unwrap();
    let fresh = softras::fit::depth::start_template(&s.params, &s.target).unwrap();
    assert_eq!(s.vertices, fresh.vertices);
}

/// A picture added to the one picture of a fit makes a sheet: the fit goes on from the current mesh at
/// the hull's σ (σ was the default); a σ the user chose stays.
#[test]
fn a_session_becomes_a_sheet_at_the_hulls_sigma() {
    let d = tempdir();
    let pics = box_pictures(&d);
    let camera = softras::Camera::new(2.732, 0.0, 0.0, 15.0).unwrap();
    let one = || vec![View::from_file(&pics[0].1, Placement::Centred(camera)).unwrap()];
    let mut s = Session::with_views(crate::common::gpu(), params(), one(), None).unwrap();
    assert_eq!(s.driver.live.sigma, FitParams::default().sigma);
    s.add_picture(&pics[1].1, Some("right"), 0.0, 90.0).unwrap();
    assert_eq!((s.driver.live.sigma, s.params.sigma), (softras::fit::depth::HULL_SIGMA, softras::fit::depth::HULL_SIGMA));
    assert!(s.target.cameras.iter().all(|c| c.ortho_scale().is_some()), "a sheet: orthographic views");
    let mut s = Session::with_views(crate::common::gpu(), params(), one(), None).unwrap();
    s.driver.live.sigma = 3e-5;
    s.add_picture(&pics[1].1, None, 0.0, 90.0).unwrap();
    assert_eq!(s.driver.live.sigma, 3e-5);
}

#[test]
fn a_picture_added_to_one_picture_makes_a_sheet() {
    let d = tempdir();
    let pics = box_pictures(&d);
    let camera = softras::Camera::new(2.732, 0.0, 0.0, 15.0).unwrap();
    let mut list = vec![View::from_file(&pics[0].1, Placement::Centred(camera)).unwrap()];
    views::add_picture(&mut list, View::from_file(&pics[1].1, Placement::Centred(camera)).unwrap(), 0.0, 90.0).unwrap();
    assert!(matches!(list[0].placement, Placement::Sheet { elevation: 0.0, azimuth: 0.0 }));
    assert!(matches!(list[1].placement, Placement::Sheet { elevation: 0.0, azimuth: 90.0 }));
    let built = views::build(&list, 48, &params()).unwrap();
    let e = built.extents.unwrap();
    assert!((e[1] / e[2] - 2.0 / 3.0).abs() < 0.02, "height : depth from the two views, {e:?}");
    // beside views with cameras, a picture is one more camera view like the first
    let mut cams = vec![View::from_file(&pics[0].1, Placement::Camera(camera)).unwrap()];
    views::add_picture(&mut cams, View::from_file(&pics[1].1, Placement::Centred(camera)).unwrap(), 10.0, 45.0).unwrap();
    let Placement::Camera(c) = cams[1].placement else { panic!("{:?}", cams[1].placement) };
    assert_eq!((c.distance, c.elevation, c.azimuth, c.view_angle), (2.732, 10.0, 45.0, 15.0));
}

#[test]
fn threshold_and_invert_change_the_mask() {
    let d = tempdir();
    // a gray ramp on white: Otsu's threshold and a fixed one keep different parts of it
    let img = image::GrayImage::from_fn(100, 100, |x, y| {
        let inside = (20..80).contains(&x) && (20..80).contains(&y);
        image::Luma([if inside { (x * 3) as u8 } else { 255 }])
    });
    let f = d.join("ramp.png");
    img.save(&f).unwrap();
    let camera = softras::Camera::new(2.732, 0.0, 0.0, 15.0).unwrap();
    let mut v = View::from_file(&f, Placement::Camera(camera)).unwrap();
    let area = |v: &View| views::build(std::slice::from_ref(v), 50, &params()).unwrap().target.masks.iter().filter(|m| **m > 0.5).count();
    let as_is = area(&v);
    v.threshold = Some(0.3);
    let fixed = area(&v);
    v.invert = true;
    let inverted = area(&v);
    assert_eq!(fixed + inverted, 50 * 50, "invert complements the thresholded mask");
    assert_ne!(as_is, fixed);
    // a threshold that leaves nothing is an error naming the view
    v.threshold = Some(1.0);
    v.invert = false;
    let e = views::build(std::slice::from_ref(&v), 50, &params()).unwrap_err().to_string();
    assert!(e.contains("ramp.png") && e.contains("empty"), "{e}");
    v.threshold = Some(1.5);
    assert!(views::build(std::slice::from_ref(&v), 50, &params()).is_err());
}

#[test]
fn views_saved_as_csv_open_to_the_same_target() {
    let d = tempdir();
    let pics = box_pictures(&d);
    let mut list = sheet_views(&pics);
    list[1].weight = 0.5;
    let mut s = Session::with_views(crate::common::gpu(), params(), list, None).unwrap();
    let csv = d.join("saved.csv");
    let files = s.save_views(&csv).unwrap();
    assert_eq!(files.len(), 3);
    assert!(files.iter().all(|f| f.exists()));
    let (masks, cameras) = (s.target.masks.clone(), s.target.cameras.clone());
    s.open_views(&csv).unwrap();
    assert_eq!(s.target.cameras, cameras, "orthographic cameras of the sheet's width");
    let worst = s.target.masks.iter().zip(&masks).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "16-bit masks: {worst}");
    assert_eq!(s.target.weights, [1.0, 0.5, 1.0]);
    // `fit --views` takes the same file
    let (ok, _, err) = crate::common::softras(&[
        "fit",
        "--views",
        csv.to_str().unwrap(),
        "--steps",
        "2",
        "--template-level",
        "1",
        "--out",
        d.join("o.obj").to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    // saving never writes over a view's picture
    let clash = d.join("front.csv"); // its masks would be front_01.png …, beside front.png: allowed
    s.save_views(&clash).unwrap();
    let pic = d.join("p_01.png");
    std::fs::copy(&pics[0].1, &pic).unwrap();
    s.replace_views(vec![View::from_file(&pic, Placement::Sheet { elevation: 0.0, azimuth: 0.0 }).unwrap()]).unwrap();
    let e = s.save_views(&d.join("p.csv")).unwrap_err().to_string();
    assert!(e.contains("p_01.png") && e.contains("overwrite"), "{e}");
}
