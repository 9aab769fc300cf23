//! Reference sheets: several pictures of one object drawn at one scale (front, side, top, …), each
//! cropped to its object at a scale **shared by the whole sheet**.
//!
//! A picture's scale (pixels per world unit) is unknown, but views share extents: every screen axis that
//! is a world axis (elevation 0: the vertical axis is world Y, so all views at elevation 0 share the
//! height; front and top share the width; side and top share the depth) sees the object's extent along
//! that axis. The scales k_v and extents E_i solve `pixels(v, i) = k_v · E_i` in the least-squares sense
//! of the logarithms (alternating geometric means), the extents normalised so that the largest is 1.
//! Every view's mask is then a square of [`SHEET_WIDTH`] world units around its object's bounding box,
//! so that one orthographic camera width fits all of them. Extents that disagree by more than
//! [`TOLERANCE`] are reported with their numbers; the fit uses their mean.
use crate::camera::{Camera, world_axis};
use crate::error::{Error, Result};
use crate::target::{Mask, ObjectMask, crop_square};

/// World units the sheet's square images span (the object's largest extent is 1: it fills 80 %).
pub const SHEET_WIDTH: f64 = 1.25;

/// Relative disagreement between two views' extents of one axis beyond which it is reported.
pub const TOLERANCE: f64 = 0.05;

/// The named sheet views and their (elevation, azimuth) in degrees, SoftRas's convention
/// (azimuth 0 puts the eye on −Z, azimuth 90 on +X; elevation 90 looks down from +Y).
pub const PRESETS: [(&str, f64, f64); 6] =
    [("front", 0.0, 0.0), ("back", 0.0, 180.0), ("right", 0.0, 90.0), ("left", 0.0, -90.0), ("top", 90.0, 0.0), ("bottom", -90.0, 0.0)];

/// (elevation, azimuth) of a named view; `side` is `right`.
pub fn preset(name: &str) -> Option<(f64, f64)> {
    let name = if name.eq_ignore_ascii_case("side") { "right" } else { name };
    PRESETS.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(name)).map(|&(_, e, a)| (e, a))
}

/// One picture of a sheet: its object mask at the picture's resolution and its view.
pub struct SheetView {
    pub name: String,
    pub elevation: f64,
    pub azimuth: f64,
    pub object: ObjectMask,
}

/// The sheet's views at one scale.
#[derive(Debug)]
pub struct SheetLayout {
    /// One `size`×`size` mask per view, each spanning [`SHEET_WIDTH`] world units.
    pub masks: Vec<Mask>,
    /// The object's extents along world X, Y, Z (largest 1; NaN where no view sees the axis).
    pub extents: [f64; 3],
    /// Pixels per world unit of each picture.
    pub scales: Vec<f64>,
    /// Disagreements between views, each a sentence with its numbers.
    pub warnings: Vec<String>,
}

/// Lays out a sheet: shared scale, extents, and each view's mask at `size`.
pub fn layout(views: Vec<SheetView>, size: u32) -> Result<SheetLayout> {
    if views.is_empty() {
        return Err(Error::invalid("a sheet needs at least one picture"));
    }
    // observations (view, world axis, pixels)
    let mut obs: Vec<(usize, usize, f64)> = Vec::new();
    for (k, v) in views.iter().enumerate() {
        let r = Camera::new(2.732, v.elevation, v.azimuth, 15.0)?.rotation();
        if let Some(i) = world_axis(r.row(0)) {
            obs.push((k, i, v.object.bw() as f64));
        }
        if let Some(i) = world_axis(r.row(1)) {
            obs.push((k, i, v.object.bh() as f64));
        }
    }
    // every view must be tied to the first through shared axes
    let mut linked = vec![false; views.len()];
    linked[0] = true;
    let mut axes = [false; 3];
    for _ in 0..views.len() {
        for &(k, i, _) in &obs {
            if linked[k] {
                axes[i] = true;
            }
        }
        for &(k, i, _) in &obs {
            if axes[i] {
                linked[k] = true;
            }
        }
    }
    if views.len() > 1
        && let Some(k) = linked.iter().position(|l| !l)
    {
        return Err(Error::invalid(format!(
            "sheet view {} (elevation {}, azimuth {}) shares no extent with {}: a sheet's pictures are tied \
             by the extents they see along world axes (views at elevation 0 share the height; front and top \
             the width; side and top the depth)",
            views[k].name, views[k].elevation, views[k].azimuth, views[0].name
        )));
    }
    // alternating geometric means: E_i from the scales, then the scales from E
    let mut scale = vec![1.0f64; views.len()];
    let mut ext = [f64::NAN; 3];
    let geo = |xs: &mut dyn Iterator<Item = f64>| {
        let (s, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x.ln(), n + 1));
        (s / n as f64).exp()
    };
    for _ in 0..200 {
        for (i, e) in ext.iter_mut().enumerate() {
            if obs.iter().any(|o| o.1 == i) {
                *e = geo(&mut obs.iter().filter(|o| o.1 == i).map(|&(k, _, p)| p / scale[k]));
            }
        }
        for (k, s) in scale.iter_mut().enumerate() {
            if obs.iter().any(|o| o.0 == k) {
                *s = geo(&mut obs.iter().filter(|o| o.0 == k).map(|&(_, i, p)| p / ext[i]));
            }
        }
    }
    // a view with no axis of its own (one oblique picture alone): its longer side is the unit
    for (k, v) in views.iter().enumerate() {
        if !obs.iter().any(|o| o.0 == k) {
            scale[k] = v.object.bw().max(v.object.bh()) as f64;
        }
    }
    let mut warnings = Vec::new();
    let largest = ext.iter().copied().filter(|e| e.is_finite()).fold(0.0f64, f64::max);
    let largest = if largest > 0.0 { largest } else { 1.0 };
    for (i, axis) in ["width (X)", "height (Y)", "depth (Z)"].iter().enumerate() {
        let seen: Vec<(usize, f64)> = obs.iter().filter(|o| o.1 == i).map(|&(k, _, p)| (k, p / scale[k] / largest)).collect();
        let (lo, hi) = seen.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &(_, e)| (lo.min(e), hi.max(e)));
        if seen.len() > 1 && hi > lo * (1.0 + TOLERANCE) {
            let each: Vec<String> = seen.iter().map(|&(k, e)| format!("{} {e:.3}", views[k].name)).collect();
            let mean = seen.iter().map(|s| s.1).sum::<f64>() / seen.len() as f64;
            warnings.push(format!(
                "the sheet's views disagree on the object's {axis}: {} (relative to the largest extent); the fit uses \
                 their mean {mean:.3}",
                each.join(", ")
            ));
        }
    }
    let extents = ext.map(|e| e / largest);
    for s in &mut scale {
        *s *= largest;
    }
    let mut masks = Vec::with_capacity(views.len());
    for (v, &k) in views.into_iter().zip(&scale) {
        let side = ((SHEET_WIDTH * k).round() as usize).max(1);
        masks.push(crop_square(v.object, side, size, &v.name)?);
    }
    Ok(SheetLayout { masks, extents, scales: scale, warnings })
}
