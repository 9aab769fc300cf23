//! Reference sheets: pictures of different sizes and margins laid out at one shared scale.
use glam::DVec3;
use softras::camera::Projection;
use softras::fit::{FitParams, FitTarget, depth::start_template, icosphere_template};
use softras::sheets::{SHEET_WIDTH, SheetView, layout, preset};
use softras::target::{Polarity, object_mask};
use softras::{Camera, Mesh};
use std::collections::{HashMap, HashSet};

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

/// A white picture w×h with black rectangles (x0, y0, bw, bh), as PNG bytes.
fn rects_png(w: u32, h: u32, rects: &[(u32, u32, u32, u32)]) -> Vec<u8> {
    let img = image::GrayImage::from_fn(w, h, |x, y| {
        let inside = rects.iter().any(|&(x0, y0, bw, bh)| (x0..x0 + bw).contains(&x) && (y0..y0 + bh).contains(&y));
        image::Luma([if inside { 0 } else { 255 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// The target of `fit --sheet` from these views: the laid-out masks, orthographic cameras of the
/// sheet's width.
fn sheet_target(views: Vec<SheetView>, size: u32) -> FitTarget {
    let ortho = Projection::Orthographic { width: SHEET_WIDTH };
    let cameras: Vec<Camera> =
        views.iter().map(|v| Camera::new(2.732, v.elevation, v.azimuth, 15.0).unwrap().with_projection(ortho).unwrap()).collect();
    let names = views.iter().map(|v| v.name.clone()).collect();
    let l = layout(views, size).unwrap();
    let weights = vec![1.0; cameras.len()];
    FitTarget { size, cameras, masks: l.masks.iter().flat_map(|m| m.values.iter().copied()).collect(), names, weights }
}

/// The default start of a fit of `target` (what `fit` and the viewer use without --template).
fn start(target: &FitTarget) -> Mesh {
    start_template(&FitParams { size: target.size, ..FitParams::default() }.for_views(target.cameras.len()), target).unwrap()
}

/// The smallest and largest coordinates of `m`'s vertices.
fn bounding_box(m: &Mesh) -> (DVec3, DVec3) {
    m.vertices.iter().fold((DVec3::INFINITY, DVec3::NEG_INFINITY), |(lo, hi), v| (lo.min(v.as_dvec3()), hi.max(v.as_dvec3())))
}

fn signed_volume(m: &Mesh) -> f64 {
    m.faces.iter().map(|f| f.map(|k| m.vertices[k as usize].as_dvec3())).map(|[a, b, c]| a.dot(b.cross(c)) / 6.0).sum()
}

/// Checks that `m` is a closed, consistently wound 2-manifold without degenerate or repeated faces
/// and returns its Euler characteristic V − E + F (2 for a sphere, 0 for a torus).
fn closed_manifold(m: &Mesh) -> i64 {
    closed_manifold_with(m, 0.01)
}

/// [`closed_manifold`] with every face's area above `least` × the mean.
fn closed_manifold_with(m: &Mesh, least: f64) -> i64 {
    // every directed edge once and its reverse once: closed, two faces per edge, one winding
    let mut directed: HashMap<(u32, u32), usize> = HashMap::new();
    for (i, f) in m.faces.iter().enumerate() {
        for k in 0..3 {
            let e = (f[k], f[(k + 1) % 3]);
            assert!(e.0 != e.1, "face {i} {f:?} repeats a vertex");
            assert!(directed.insert(e, i).is_none(), "directed edge {e:?} in two faces (a non-manifold edge or flipped winding)");
        }
    }
    for &(a, b) in directed.keys() {
        assert!(directed.contains_key(&(b, a)), "edge ({a}, {b}) has one face: the mesh is open");
    }
    let sorted: HashSet<[u32; 3]> = m
        .faces
        .iter()
        .map(|f| {
            let mut f = *f;
            f.sort_unstable();
            f
        })
        .collect();
    assert_eq!(sorted.len(), m.faces.len(), "repeated faces");
    // around every vertex its faces make one fan (no two cones touching at a vertex)
    let mut next: HashMap<u32, HashMap<u32, u32>> = HashMap::new();
    for f in &m.faces {
        for k in 0..3 {
            next.entry(f[k]).or_default().insert(f[(k + 1) % 3], f[(k + 2) % 3]);
        }
    }
    assert_eq!(next.len(), m.vertices.len(), "unused vertices");
    for (v, ring) in &next {
        let first = *ring.keys().next().unwrap();
        let (mut at, mut n) = (first, 0);
        loop {
            at = ring[&at];
            n += 1;
            if at == first {
                break;
            }
        }
        assert_eq!(n, ring.len(), "vertex {v}: its {} faces make more than one fan", ring.len());
    }
    // no degenerate faces: every area above 1 % of the mean
    let areas: Vec<f64> =
        m.faces.iter().map(|f| f.map(|k| m.vertices[k as usize].as_dvec3())).map(|[a, b, c]| (b - a).cross(c - a).length() / 2.0).collect();
    let mean = areas.iter().sum::<f64>() / areas.len() as f64;
    let smallest = areas.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(smallest > least * mean, "a face of area {smallest:e}, the mean {mean:e}");
    m.vertices.len() as i64 - (directed.len() / 2) as i64 + m.faces.len() as i64
}

#[test]
fn a_box_sheet_starts_from_its_visual_hull_closed_manifold_and_outward() {
    let m = start(&sheet_target(box_sheet(140), 128));
    assert_eq!(closed_manifold(&m), 2, "a box is a sphere");
    // about the icosphere template's face count (level 4: 5120)
    assert!((2560..10240).contains(&m.faces.len()), "{} faces", m.faces.len());
    // its bounding box is the box's (within a pixel: 1.25 / 128 world units), centred as the sheet puts it
    let (lo, hi) = bounding_box(&m);
    let half = DVec3::new(1.0 / 6.0, 1.0 / 3.0, 0.5);
    let px = SHEET_WIDTH / 128.0;
    assert!((hi - half).abs().max_element() < px && (lo + half).abs().max_element() < px, "bounding box {lo} … {hi}, want ±{half}");
    // the box's volume, and every face wound counter-clockwise seen from outside like the icosphere's
    // (a convex box: each face's normal points away from its centre)
    let vol = signed_volume(&m);
    assert!((vol / (2.0 / 9.0) - 1.0).abs() < 0.05, "volume {vol}, the box's 2/9");
    assert!(signed_volume(&icosphere_template(4, 0.5).unwrap()) > 0.0);
    for f in &m.faces {
        let [a, b, c] = f.map(|k| m.vertices[k as usize].as_dvec3());
        assert!((b - a).cross(c - a).dot(a + b + c) > 0.0, "face {f:?} faces inward");
    }
    // SoftRas's parametrization: no coordinate exactly 0, all inside (−1, 1)
    assert!(m.vertices.iter().all(|v| v.to_array().iter().all(|&x| x != 0.0 && x.abs() < 0.999)));
}

#[test]
fn a_frame_starts_with_its_hole() {
    // a square frame 1 × 1 × 0.2 with a 0.6 × 0.6 hole through it along Z, at 100 pixels per unit:
    // the front picture shows the hole, the side and the top see a bar
    let frame = [(20, 20, 100, 20), (20, 100, 100, 20), (20, 40, 20, 60), (100, 40, 20, 60)];
    let views = vec![
        view("front", rects_png(140, 140, &frame)),
        view("right", rects_png(60, 140, &[(20, 20, 20, 100)])),
        view("top", rects_png(140, 60, &[(20, 20, 100, 20)])),
    ];
    let m = start(&sheet_target(views, 96));
    assert_eq!(closed_manifold(&m), 0, "a frame has one hole (genus 1)");
    // the hole is empty, the bars are solid (the mesh's own winding number)
    let w = |p: DVec3| softras::shapes::winding_number(&m, p);
    assert!(w(DVec3::ZERO).abs() < 0.1, "the hole's centre: winding number {}", w(DVec3::ZERO));
    for p in [DVec3::new(0.4, 0.0, 0.0), DVec3::new(0.0, -0.4, 0.0), DVec3::new(-0.4, 0.4, 0.05)] {
        assert!(w(p) > 0.9, "inside a bar at {p}: winding number {}", w(p));
    }
}

/// A target of `mesh` seen by SoftRas's perspective cameras at elevations −30, 0, 30 and eight
/// azimuths, rendered at `size`² by the CPU reference with σ 1e-8 (hard edges).
fn perspective_target(mesh: &Mesh, size: u32) -> FitTarget {
    let cameras: Vec<Camera> =
        [-30.0, 0.0, 30.0].iter().flat_map(|&e| (0..8).map(move |k| Camera::new(2.732, e, -45.0 * k as f64, 15.0).unwrap())).collect();
    let sil = softras::raster::cpu::forward(mesh, &cameras, &softras::raster::RasterSettings::square(size, 1e-8)).sil;
    let names = (0..cameras.len()).map(|k| format!("view {k}")).collect();
    let weights = vec![1.0; cameras.len()];
    FitTarget { size, cameras, masks: sil.iter().map(|&s| s as f32).collect(), names, weights }
}

#[test]
fn perspective_views_start_from_their_visual_hull() {
    // a box 0.4 × 0.6 × 0.8: the hull of 24 views of a convex box is the box with its corners cut
    // less than exactly, so a little larger than it, never smaller
    let half = DVec3::new(0.2, 0.3, 0.4);
    let cuboid = softras::shapes::cuboid(glam::Vec3::ZERO, half.as_vec3());
    // masks above 512² are read box-filtered to at most 512 across: the same hull within a pixel
    let big = start(&perspective_target(&cuboid, 640));
    let m = start(&perspective_target(&cuboid, 96));
    let ((a, b), (c, d)) = (bounding_box(&big), bounding_box(&m));
    assert!((a - c).abs().max_element() < 0.015 && (b - d).abs().max_element() < 0.015, "at 640²: {a} … {b}, at 96²: {c} … {d}");
    // slanted sides leave Surface Nets' quads bent, and some of their triangles thin (the sheet's
    // axis-aligned sides do not): no face of zero area, the fit's Laplacian evens them out
    assert_eq!(closed_manifold_with(&m, 1e-9), 2, "a box is a sphere");
    assert!((2560..10240).contains(&m.faces.len()), "{} faces", m.faces.len());
    let (lo, hi) = bounding_box(&m);
    // it holds the box (less a pixel: 2 · 2.732 · tan 15° / 96 ≈ 0.015 world units at the centre) and
    // is at most a grid spacing (about 0.03 here) larger: with perspective views the grid's points
    // within half a spacing of every mask count as inside
    let (over_hi, over_lo) = (hi - half, -half - lo);
    assert!(
        over_hi.min(over_lo).min_element() > -0.015 && over_hi.max(over_lo).max_element() < 0.05,
        "bounding box {lo} … {hi}, want ±{half}"
    );
    let (vol, want) = (signed_volume(&m), 8.0 * half.x * half.y * half.z);
    assert!((0.97..1.3).contains(&(vol / want)), "volume {vol}, the box's {want}");
    // a torus around Z, seen through its hole from azimuth 0 and 180: the hull keeps the hole
    let torus = softras::shapes::torus(glam::Vec3::ZERO, 0.35, 0.12, 32, 16, softras::shapes::Axis::Z);
    let m = start(&perspective_target(&torus, 96));
    assert_eq!(closed_manifold_with(&m, 1e-9), 0, "a torus has one hole (genus 1)");
    let w = |p: DVec3| softras::shapes::winding_number(&m, p);
    assert!(w(DVec3::ZERO).abs() < 0.1, "the hole's centre: winding number {}", w(DVec3::ZERO));
    assert!(w(DVec3::new(0.35, 0.0, 0.0)) > 0.9 && w(DVec3::new(0.0, -0.35, 0.0)) > 0.9, "the tube is solid");
    // views that share no point (the top view's object in a corner of its picture, off the others'
    // rays): no hull, the icosphere
    let mut apart = perspective_target(&torus, 32);
    let top = 16 * 32 * 32; // elevation 30, azimuth 0
    for (i, m) in apart.masks[top..top + 32 * 32].iter_mut().enumerate() {
        *m = if i % 32 < 3 && i / 32 < 3 { 1.0 } else { 0.0 };
    }
    let from = start(&apart);
    assert_eq!(from.faces.len(), 5120);
    let p = FitParams { size: 32, ..FitParams::default() }.for_views(apart.cameras.len());
    assert_eq!(softras::fit::depth::describe_start(&p, &apart, &from), "icosphere level 4 radius 0.5", "the report names it");
    // one view with the depth prior: the outline inflated, its hole included (elevation 0, azimuth 0
    // looks through the torus)
    let all = perspective_target(&torus, 64);
    let k = 8;
    let one = FitTarget {
        size: 64,
        cameras: vec![all.cameras[k]],
        masks: all.masks[k * 64 * 64..(k + 1) * 64 * 64].to_vec(),
        names: vec!["front".into()],
        weights: vec![1.0],
    };
    assert_eq!((all.cameras[k].elevation, all.cameras[k].azimuth), (0.0, -0.0));
    let p = FitParams { size: 64, ..FitParams::default() }.for_views(1);
    let m = start_template(&p, &one).unwrap();
    assert_eq!(closed_manifold_with(&m, 1e-9), 0, "the inflated ring has one hole (genus 1)");
    let w = |p: DVec3| softras::shapes::winding_number(&m, p);
    assert!(w(DVec3::ZERO).abs() < 0.1 && w(DVec3::new(0.35, 0.0, 0.0)) > 0.9, "the hole is empty, the ring solid");
    assert!(softras::fit::depth::describe_start(&p, &one, &m).starts_with("the outline inflated by the depth prior"));
    // one view alone has no hull: the fit starts from the squeezed icosphere's face count
    let mut one = perspective_target(&torus, 32);
    one.cameras.truncate(1);
    one.masks.truncate(32 * 32);
    one.names.truncate(1);
    one.weights.truncate(1);
    let p = FitParams { size: 32, lambda_depth: Some(0.0), ..FitParams::default() }.for_views(1);
    assert_eq!(start_template(&p, &one).unwrap().faces.len(), 5120);
}
