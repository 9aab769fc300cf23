//! Reference sheets: pictures of different sizes and margins laid out at one shared scale.
use softras::sheets::{SHEET_WIDTH, SheetView, layout, preset};
use softras::target::{Polarity, object_mask};

/// A white picture w×h with a black bw×bh rectangle at (x0, y0), as PNG bytes.
pub fn rect_png(w: u32, h: u32, x0: u32, y0: u32, bw: u32, bh: u32) -> Vec<u8> {
    let img = image::GrayImage::from_fn(w, h, |x, y| {
        let inside = (x0..x0 + bw).contains(&x) && (y0..y0 + bh).contains(&y);
        image::Luma([if inside { 0 } else { 255 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn view(name: &str, png: Vec<u8>) -> SheetView {
    let (elevation, azimuth) = preset(name).unwrap();
    SheetView { name: name.into(), elevation, azimuth, object: object_mask(&png, Polarity::Auto, name).unwrap() }
}

/// Width and height in pixels of the part of a mask above 0.5.
fn extent(m: &softras::target::Mask) -> (usize, usize) {
    let w = m.width as usize;
    let on: Vec<(usize, usize)> = m.values.iter().enumerate().filter(|(_, v)| **v > 0.5).map(|(k, _)| (k % w, k / w)).collect();
    let (x0, x1) = (on.iter().map(|p| p.0).min().unwrap(), on.iter().map(|p| p.0).max().unwrap());
    let (y0, y1) = (on.iter().map(|p| p.1).min().unwrap(), on.iter().map(|p| p.1).max().unwrap());
    (x1 - x0 + 1, y1 - y0 + 1)
}

/// A 1 × 2 × 3 box (width × height × depth) drawn at three different scales and margins.
fn box_sheet(side_height_px: u32) -> Vec<SheetView> {
    vec![
        // front: width 1, height 2 at 100 px per unit
        view("front", rect_png(300, 500, 40, 120, 100, 200)),
        // right: depth 3 (screen x), height 2 at 70 px per unit (or a wrong height)
        view("right", rect_png(800, 700, 300, 50, 210, side_height_px)),
        // top: width 1 (screen x), depth 3 (screen y) at 50 px per unit
        view("top", rect_png(120, 400, 10, 200, 50, 150)),
    ]
}

#[test]
fn a_box_drawn_at_three_scales_gets_one_scale_and_its_proportions() {
    let size = 120;
    let l = layout(box_sheet(140), size).unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let want = [1.0 / 3.0, 2.0 / 3.0, 1.0];
    for (e, w) in l.extents.iter().zip(want) {
        assert!((e - w).abs() < 0.01, "extents {:?}, want {want:?}", l.extents);
    }
    // each mask spans SHEET_WIDTH world units: the box's sides in pixels follow
    let px = |world: f64| world / SHEET_WIDTH * size as f64;
    for (m, (ew, eh)) in l.masks.iter().zip([(want[0], want[1]), (want[2], want[1]), (want[0], want[2])]) {
        let (w, h) = extent(m);
        assert!((w as f64 - px(ew)).abs() <= 1.5 && (h as f64 - px(eh)).abs() <= 1.5, "{w}×{h} px, want {}×{}", px(ew), px(eh));
    }
}

#[test]
fn views_that_disagree_are_reported_with_their_numbers() {
    // the side drawn twice as tall as the front says
    // (with three views tied in a cycle, the least-squares scales spread the error over every axis)
    let l = layout(box_sheet(280), 64).unwrap();
    let w = l.warnings.iter().find(|w| w.contains("height")).unwrap_or_else(|| panic!("{:?}", l.warnings));
    assert!(w.contains("front 0.") && w.contains("right 1.") && w.contains("mean"), "{w}");
}

#[test]
fn a_view_that_shares_no_extent_is_an_error() {
    let mut views = box_sheet(140);
    views[1].elevation = 30.0;
    views[1].azimuth = 45.0;
    let e = layout(views, 64).unwrap_err().to_string();
    assert!(e.contains("right") && e.contains("shares no extent"), "{e}");
}

#[test]
fn presets_follow_softras_camera() {
    // azimuth 90 puts the eye on +X: the right side; elevation 90 looks down from +Y
    let eye = |name: &str| {
        let (e, a) = preset(name).unwrap();
        softras::Camera::new(2.0, e, a, 15.0).unwrap().eye()
    };
    assert!(eye("right").x > 1.99 && eye("left").x < -1.99 && eye("top").y > 1.99 && eye("front").z < -1.99 && eye("back").z > 1.99);
    assert!(preset("Top").is_some() && preset("diagonal").is_none());
}
