//! The live session behind the viewer, tested without a window: settings reach the engine on the next
//! step, a bad file leaves the fit running, reset returns to the template.
use softras::fit::FitParams;
use softras::session::{Session, single_target};
use softras::target::{Polarity, picture_from_bytes};

fn session() -> Session {
    let params = FitParams { size: 48, template_level: 2, ..FitParams::default() };
    let mask = picture_from_bytes(softras::DEFAULT_TARGET, params.size, Polarity::Auto, "default").unwrap();
    let target = single_target(&mask, &params).unwrap();
    Session::new(crate::common::gpu(), params, target, None).unwrap()
}

#[test]
fn settings_act_on_the_next_step() {
    let mut s = session();
    s.steps_per_frame = 3;
    s.frame(false).unwrap();
    assert_eq!(s.step, 3);
    assert_eq!(s.history.len(), 3);
    let before = s.vertices.clone();
    // a learning rate of (almost) zero freezes the mesh on the very next step
    s.live.lr = 1e-30;
    s.frame(false).unwrap();
    let moved = s.vertices.iter().zip(&before).map(|(a, b)| (*a - *b).length()).fold(0.0f32, f32::max);
    assert!(moved < 1e-6, "moved {moved} with lr 0");
    // and a real one moves it again
    s.live.lr = 0.05;
    s.frame(false).unwrap();
    let moved = s.vertices.iter().zip(&before).map(|(a, b)| (*a - *b).length()).fold(0.0f32, f32::max);
    assert!(moved > 1e-4);
    // σ reaches the renderer: a much softer silhouette has a different soft IoU
    let (_, iou_sharp) = s.silhouettes().unwrap();
    s.live.sigma = 1e-2;
    let (_, iou_soft) = s.silhouettes().unwrap();
    assert!((iou_sharp[0] - iou_soft[0]).abs() > 1e-3, "{iou_sharp:?} vs {iou_soft:?}");
    // paused: no steps; single step: exactly one
    s.playing = false;
    let n = s.step;
    s.frame(false).unwrap();
    assert_eq!(s.step, n);
    s.frame(true).unwrap();
    assert_eq!(s.step, n + 1);
}

#[test]
fn a_bad_dropped_file_leaves_the_fit_running() {
    let mut s = session();
    s.frame(false).unwrap();
    let d = crate::mesh::tempdir();
    let bad = d.join("bad.png");
    std::fs::write(&bad, b"not an image").unwrap();
    assert!(!s.load_picture(&bad));
    assert!(s.error.as_deref().unwrap_or("").contains("bad.png"), "{:?}", s.error);
    let n = s.step;
    s.frame(false).unwrap();
    assert_eq!(s.step, n + 1, "the fit goes on");
    // a good one restarts on it
    let good = d.join("disc.png");
    image::GrayImage::from_fn(40, 40, |x, y| image::Luma([if (x as i32 - 20).pow(2) + (y as i32 - 20).pow(2) < 150 { 255 } else { 0 }])).save(&good).unwrap();
    assert!(s.load_picture(&good));
    assert_eq!((s.step, s.error.clone()), (0, None));
    s.frame(false).unwrap();
    // reset goes back to the template
    s.reset().unwrap();
    assert_eq!(s.vertices, s.template.vertices);
    // saving writes an OBJ with the template's faces
    let out = d.join("m.obj");
    s.save_obj(&out).unwrap();
    assert_eq!(softras::Mesh::load_obj(&out).unwrap().faces.len(), s.template.faces.len());
}
