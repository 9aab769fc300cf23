//! The target views of a fit as a list that can be edited (the viewer's Views panel) and made into a
//! [`FitTarget`]. `softras fit` builds its targets from pictures, sheets and views through this same
//! list, so the viewer and `fit` give the same masks, cameras and mesh.
//!
//! A view is a source (a decoded picture, or a mask rendered from a mesh), a placement (how the
//! picture becomes a mask with a camera) and its own settings: weight in the loss, invert, threshold.
use crate::camera::{Camera, Projection};
use crate::error::{Error, Result, write_atomic};
use crate::fit::{FitParams, FitTarget};
use crate::sheets::{SHEET_WIDTH, SheetView};
use crate::target::{Mask, Picture, Polarity};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a view's mask comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A picture, decoded once.
    Picture(Arc<Picture>),
    /// A mask made elsewhere (a mesh rendered from the view's camera), any square size.
    Mask(Arc<Mask>),
}

/// How a view's picture becomes a mask, and its camera.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Placement {
    /// The one picture of a fit without cameras: cropped to its object, centred (it fills 80 %), seen by
    /// this camera (the front one).
    Centred(Camera),
    /// One view of a reference sheet: orthographic, cropped at the scale the sheet's views share
    /// ([`crate::sheets`]), from this elevation and azimuth (degrees).
    Sheet { elevation: f64, azimuth: f64 },
    /// A view with its own camera, used as it is (no crop): a row of a views CSV, a `--view`, a view
    /// rendered from a mesh.
    Camera(Camera),
}

/// One target view.
#[derive(Clone, Debug)]
pub struct View {
    /// Its label: a sheet view's `front`, …, or the file's name.
    pub name: String,
    /// The file it was read from, if any (saving never writes over it).
    pub file: Option<PathBuf>,
    pub source: Source,
    pub placement: Placement,
    /// Its weight in the loss (1: as every other view).
    pub weight: f32,
    /// Dark (or transparent) is the object.
    pub invert: bool,
    /// A fixed threshold in [0, 1] instead of the automatic one (Otsu's, or a soft alpha / a view's
    /// values as they are); the mask becomes hard.
    pub threshold: Option<f32>,
}

impl View {
    /// A view of `source` with weight 1, no invert, the automatic threshold.
    pub fn new(name: impl Into<String>, file: Option<PathBuf>, source: Source, placement: Placement) -> View {
        View { name: name.into(), file, source, placement, weight: 1.0, invert: false, threshold: None }
    }

    /// Reads and decodes a picture file into a view labelled by the file's name.
    pub fn from_file(path: &Path, placement: Placement) -> Result<View> {
        let bytes = crate::files::read_capped(path)?;
        let picture = Picture::decode(&bytes, &path.display().to_string())?;
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        Ok(View::new(name, Some(path.to_path_buf()), Source::Picture(Arc::new(picture)), placement))
    }

    /// (elevation, azimuth) of the view in degrees.
    pub fn angles(&self) -> (f64, f64) {
        match self.placement {
            Placement::Centred(c) | Placement::Camera(c) => (c.elevation, c.azimuth),
            Placement::Sheet { elevation, azimuth } => (elevation, azimuth),
        }
    }

    /// What messages and the target's names call it: its file, or its label.
    pub fn shown(&self) -> String {
        self.file.as_ref().map_or_else(|| self.name.clone(), |f| f.display().to_string())
    }

    fn polarity(&self) -> Polarity {
        if self.invert { Polarity::Inverted } else { Polarity::Auto }
    }

    /// The view's own mask at `size` where it needs no other view (a centred picture, a camera view);
    /// a sheet view alone, centred as a picture would be (its place on the sheet's scale needs the other
    /// views: [`build`]). [`build`]'s mask of every view that is not on a sheet; the viewer's live
    /// preview of a threshold.
    pub fn preview(&self, size: u32) -> Result<Mask> {
        match (&self.source, self.placement) {
            (Source::Picture(p), Placement::Centred(_) | Placement::Sheet { .. }) => {
                p.centred(size, self.polarity(), self.threshold, &self.shown())
            }
            _ => self.as_is(size),
        }
    }

    /// A camera view's mask: the values as they are, resized, then the threshold and invert.
    fn as_is(&self, size: u32) -> Result<Mask> {
        let mut m = match &self.source {
            Source::Picture(p) => p.as_is(size, &self.shown())?,
            Source::Mask(m) => crate::target::resize_mask(m, size)?,
        };
        if let Some(t) = self.threshold {
            m.values.iter_mut().for_each(|v| *v = if *v > t { 1.0 } else { 0.0 });
        }
        if self.invert {
            m.values.iter_mut().for_each(|v| *v = 1.0 - *v);
        }
        if self.threshold.is_some() || self.invert {
            crate::target::check_not_empty_or_full(&m.values, &self.shown(), " after its threshold and invert")?;
        }
        Ok(m)
    }
}

/// The named sheet views and the angles of [`crate::sheets::PRESETS`], for menus.
pub fn sheet_presets() -> impl Iterator<Item = (&'static str, f64, f64)> {
    crate::sheets::PRESETS.iter().copied()
}

/// A list of views made into a fit's target.
#[derive(Clone, Debug)]
pub struct Built {
    pub target: FitTarget,
    /// The sheet's extents along world X, Y, Z (largest 1), when the views hold a sheet.
    pub extents: Option<[f64; 3]>,
    /// Disagreements between a sheet's views, each a sentence with its numbers.
    pub warnings: Vec<String>,
}

/// Makes the target of `views` at `size`×`size`: each view's mask by its placement, the sheet views laid
/// out together at their shared scale with orthographic cameras [`SHEET_WIDTH`] wide at `params`'
/// distance and view angle. Errors name the view.
pub fn build(views: &[View], size: u32, params: &FitParams) -> Result<Built> {
    if views.is_empty() {
        return Err(Error::invalid("a fit needs at least one view"));
    }
    if let Some(v) = views.iter().find(|v| v.threshold.is_some_and(|t| !(0.0..=1.0).contains(&t))) {
        return Err(Error::invalid(format!("view {}: its threshold must be in [0, 1]", v.name)));
    }
    let mut masks: Vec<Option<Mask>> = vec![None; views.len()];
    let mut cameras = Vec::with_capacity(views.len());
    let ortho = Projection::Orthographic { width: SHEET_WIDTH };
    for v in views {
        cameras.push(match v.placement {
            Placement::Centred(c) | Placement::Camera(c) => c,
            Placement::Sheet { elevation, azimuth } => {
                Camera::new(params.distance, elevation, azimuth, params.view_angle)?.with_projection(ortho)?
            }
        });
    }
    // the sheet's views together
    let sheet: Vec<usize> = (0..views.len()).filter(|&k| matches!(views[k].placement, Placement::Sheet { .. })).collect();
    let (mut extents, mut warnings) = (None, Vec::new());
    if !sheet.is_empty() {
        let mut parts = Vec::with_capacity(sheet.len());
        for &k in &sheet {
            let v = &views[k];
            let Source::Picture(p) = &v.source else {
                return Err(Error::invalid(format!("view {}: a sheet view needs a picture", v.name)));
            };
            let (elevation, azimuth) = v.angles();
            let object = p.object(v.polarity(), v.threshold, &v.shown())?;
            parts.push(SheetView { name: v.name.clone(), elevation, azimuth, object });
        }
        let layout = crate::sheets::layout(parts, size)?;
        for (&k, m) in sheet.iter().zip(layout.masks) {
            masks[k] = Some(m);
        }
        (extents, warnings) = (Some(layout.extents), layout.warnings);
    }
    for (k, v) in views.iter().enumerate() {
        if masks[k].is_none() {
            masks[k] = Some(v.preview(size)?);
        }
    }
    let mut values = Vec::with_capacity(views.len() * size as usize * size as usize);
    for m in masks.into_iter().flatten() {
        values.extend_from_slice(&m.values);
    }
    let names = views.iter().map(View::shown).collect();
    let target = FitTarget { size, cameras, masks: values, names, weights: views.iter().map(|v| v.weight).collect() };
    target.validate()?;
    Ok(Built { target, extents, warnings })
}

/// The views of a target that is already made (its masks, as they are, with their cameras).
pub fn from_target(target: &FitTarget) -> Vec<View> {
    let npix = target.size as usize * target.size as usize;
    target
        .cameras
        .iter()
        .zip(&target.names)
        .zip(target.masks.chunks_exact(npix.max(1)))
        .zip(&target.weights)
        .map(|(((c, name), m), &weight)| {
            let mask = Mask { width: target.size, height: target.size, values: m.to_vec() };
            View { weight, ..View::new(name.clone(), None, Source::Mask(Arc::new(mask)), Placement::Camera(*c)) }
        })
        .collect()
}

/// Adds a picture to `views` from (elevation, azimuth). Added to a sheet (or to the single centred
/// picture, which then becomes the sheet's front view), it is a sheet view; added to views with
/// cameras, it is one more camera view like the first (its distance, view angle and projection), used
/// as it is.
pub fn add_picture(views: &mut Vec<View>, mut view: View, elevation: f64, azimuth: f64) -> Result<()> {
    let first = views.first().map(|v| v.placement);
    view.placement = match first {
        Some(Placement::Camera(c)) => {
            Placement::Camera(Camera::new(c.distance, elevation, azimuth, c.view_angle)?.with_projection(c.projection)?)
        }
        _ => Placement::Sheet { elevation, azimuth },
    };
    for v in views.iter_mut() {
        if let Placement::Centred(c) = v.placement {
            v.placement = Placement::Sheet { elevation: c.elevation, azimuth: c.azimuth };
        }
    }
    views.push(view);
    Ok(())
}

/// Saves `target` as a views CSV (the format of `fit --views`) with its processed masks beside it as
/// 16-bit PNGs named `<csv stem>_NN.png`, with the views' weights. Every file is written atomically;
/// none may be one of `inputs` (outputs never overwrite inputs). Returns the mask files written.
pub fn save_csv(csv: &Path, target: &FitTarget, inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let dir = csv.parent().map(Path::to_path_buf).unwrap_or_default();
    let stem = csv.file_stem().and_then(|s| s.to_str()).filter(|s| !s.is_empty()).unwrap_or("views");
    let npix = target.size as usize * target.size as usize;
    let files: Vec<PathBuf> = (0..target.cameras.len()).map(|k| dir.join(format!("{stem}_{:02}.png", k + 1))).collect();
    let mut check = crate::files::Files::new();
    for i in inputs {
        check.input("the view picture", Some(i));
    }
    check.output("the views CSV", Some(csv));
    for f in &files {
        check.output("the view mask", Some(f));
    }
    check.check()?;
    let mut text = String::from("file,distance,elevation,azimuth,projection,width,weight\n");
    for (k, c) in target.cameras.iter().enumerate() {
        let mask = Mask { width: target.size, height: target.size, values: target.masks[k * npix..(k + 1) * npix].to_vec() };
        crate::target::save_mask_png(&files[k], &mask)?;
        let (projection, width) = match c.projection {
            Projection::Perspective => ("perspective", String::new()),
            Projection::Orthographic { width } => ("orthographic", format!("{width}")),
        };
        let name = files[k].file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let weight = target.weights.get(k).copied().unwrap_or(1.0);
        text += &format!("{name},{},{},{},{projection},{width},{weight}\n", c.distance, c.elevation, c.azimuth);
    }
    write_atomic(csv, text.as_bytes())?;
    Ok(files)
}

/// Reads a views CSV (the format of `fit --views`) into camera views at `params`' view angle;
/// `projection` for rows without their own.
pub fn load_csv(csv: &Path, params: &FitParams, projection: Projection) -> Result<Vec<View>> {
    let mut views = Vec::new();
    for spec in crate::target::load_views_csv(csv)? {
        let camera = Camera::new(spec.distance, spec.elevation, spec.azimuth, params.view_angle)?
            .with_projection(spec.projection.unwrap_or(projection))?;
        let mut v = View::from_file(&spec.file, Placement::Camera(camera))?;
        v.weight = spec.weight as f32;
        views.push(v);
    }
    if views.is_empty() {
        return Err(Error::invalid(format!("views CSV {}: no views", csv.display())));
    }
    Ok(views)
}
