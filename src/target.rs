//! Target masks for silhouette fitting, made from the user's images.
//!
//! Two kinds of input:
//! - **a single picture without a camera** ([`picture_from_bytes`], [`load_picture`]): any PNG, JPEG, BMP,
//!   WebP, TIFF or GIF, 8/16-bit or float, gray/RGB with or without alpha, any size. The object is found
//!   (alpha, or luminance thresholded with Otsu's method), cropped to its bounding box, centred in a
//!   square so that its longer side is 80% of the square, and resized to `size`×`size`.
//! - **views with cameras** ([`view_from_bytes`], [`load_view`], listed by [`load_views_csv`]): used as
//!   they are (no crop, no padding, no threshold, no polarity, which would break their cameras), only
//!   resized when they are not already `size`×`size`.
//!
//! Luminance is Rec. 709, `Y = 0.2126 R + 0.7152 G + 0.0722 B`, on the stored (gamma-encoded) samples
//! scaled to f32 in [0, 1] (u8 / 255, u16 / 65535, floats clamped); a gray image's luminance is its gray.
use crate::error::{Error, Result, write_atomic};
use image::imageops::FilterType;
use image::{DynamicImage, ImageBuffer, Luma};
use std::path::{Path, PathBuf};

/// A target mask: row-major, row 0 at the top, values in [0, 1] (1 = object).
#[derive(Clone, Debug, PartialEq)]
pub struct Mask {
    pub width: u32,
    pub height: u32,
    pub values: Vec<f32>,
}

/// Which side of a picture is the object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Polarity {
    /// Thresholded pictures: the image border is background (if more than half of the outermost ring of
    /// pixels comes out bright, dark is the object). Alpha masks: opaque is the object.
    #[default]
    Auto,
    /// Bright is the object (alpha masks: opaque is the object).
    Normal,
    /// Dark is the object (alpha masks: transparent is the object): the user's `--invert`.
    Inverted,
}

/// One camera view from a CSV or `--view` flag. `file` is resolved (relative to the CSV's folder).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ViewSpec {
    pub file: PathBuf,
    pub distance: f64,
    pub elevation: f64,
    pub azimuth: f64,
    /// The row's own projection (columns `projection` and `width`); None: the command's.
    pub projection: Option<crate::camera::Projection>,
    /// The view's weight in the silhouette loss (column `weight`; 1 when absent or empty).
    pub weight: f64,
}

/// The fraction of the square that the object's longer side fills after [`picture_from_bytes`].
pub const OBJECT_FRACTION: f64 = 0.8;

/// Reads a picture file and makes its centred target mask, see [`picture_from_bytes`].
pub fn load_picture(path: &Path, size: u32, polarity: Polarity) -> Result<Mask> {
    let bytes = crate::files::read_capped(path)?;
    picture_from_bytes(&bytes, size, polarity, &path.display().to_string())
}

/// Makes a `size`×`size` target mask from a picture without a camera (`name` is used in messages).
///
/// 1. The mask is the alpha channel, kept soft, when the image has real transparency (some pixel with
///    alpha < 0.5); otherwise the Rec. 709 luminance thresholded with Otsu's method (a 256-bin histogram
///    spanning the image's own luminance range, so any two distinct levels separate), giving 0/1.
/// 2. Polarity, see [`Polarity`].
/// 3. An empty mask (no value > 0.5) or one that covers every pixel is an error.
/// 4. Specks are dropped (set to 0): 8-connected groups of values > 0.5 smaller than 1% of the largest
///    group, so that a few noisy pixels far from the object do not widen its bounding box.
/// 5. The bounding box of the values > 0.5 is centred in a square (padded with 0 beyond the image) whose
///    side is 1.25× the box's longer side, so that the object fills 80% of it (to within half a source
///    pixel, as is its centring), then resized to `size`×`size` (triangle filter) and clamped to [0, 1].
pub fn picture_from_bytes(bytes: &[u8], size: u32, polarity: Polarity, name: &str) -> Result<Mask> {
    check_size(size)?;
    Picture::decode(bytes, name)?.centred(size, polarity, None, name)
}

/// A picture's object mask at the picture's own resolution (steps 1–4 of [`picture_from_bytes`]) and
/// the object's bounding box (values > 0.5), inclusive.
pub struct ObjectMask {
    pub width: u32,
    pub height: u32,
    pub values: Vec<f32>,
    /// x0, y0, x1, y1 in pixels, inclusive.
    pub bbox: [usize; 4],
}

impl ObjectMask {
    /// Width of the bounding box in pixels.
    pub fn bw(&self) -> usize {
        self.bbox[2] - self.bbox[0] + 1
    }

    /// Height of the bounding box in pixels.
    pub fn bh(&self) -> usize {
        self.bbox[3] - self.bbox[1] + 1
    }
}

/// Steps 1–4 of [`picture_from_bytes`]: decode, mask, polarity, checks, specks; and the bounding box.
pub fn object_mask(bytes: &[u8], polarity: Polarity, name: &str) -> Result<ObjectMask> {
    Picture::decode(bytes, name)?.object(polarity, None, name)
}

/// A decoded picture at its own resolution: its luminance and, when it has real transparency (some
/// pixel with alpha < 0.5), its alpha; row-major, row 0 at the top. Decoded once, masked many times
/// (the viewer's threshold and invert act on it live).
#[derive(Clone, Debug)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub luminance: Vec<f32>,
    pub alpha: Option<Vec<f32>>,
}

impl Picture {
    /// Decodes a picture (any supported format; `name` is used in messages).
    pub fn decode(bytes: &[u8], name: &str) -> Result<Picture> {
        let img = decode(bytes, name)?;
        let (width, height) = (img.width(), img.height());
        let (luminance, alpha) = luminance_alpha(&img);
        drop(img);
        let alpha = alpha.filter(|a| a.iter().any(|&v| v < 0.5));
        Ok(Picture { width, height, luminance, alpha })
    }

    /// Steps 1–4 of [`picture_from_bytes`] and the object's bounding box. `threshold` replaces Otsu's
    /// threshold by a fixed one in [0, 1] (luminance > t is bright; with alpha, alpha > t is opaque,
    /// and the mask becomes hard); None keeps the automatic rule.
    pub fn object(&self, polarity: Polarity, threshold: Option<f32>, name: &str) -> Result<ObjectMask> {
        let (w, h) = (self.width, self.height);
        let mut values;
        if let Some(a) = &self.alpha {
            values = match threshold {
                Some(t) => a.iter().map(|&v| if v > t { 1.0 } else { 0.0 }).collect(),
                None => a.clone(),
            };
            if polarity == Polarity::Inverted {
                values.iter_mut().for_each(|v| *v = 1.0 - *v);
            }
        } else {
            values = self.luminance.clone();
            match threshold {
                Some(t) => values.iter_mut().for_each(|v| *v = if *v > t { 1.0 } else { 0.0 }),
                None => {
                    let (lo, hi) = values.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
                    if hi <= lo {
                        return Err(Error::invalid(format!(
                            "the mask of {name} is empty: no object found (the image has a single gray level {lo:.3}; \
                             use a picture of the object on a contrasting background)"
                        )));
                    }
                    let bin = |v: f32| (((v - lo) / (hi - lo)) * 256.0).floor().clamp(0.0, 255.0) as usize;
                    let mut hist = [0u64; 256];
                    values.iter().for_each(|&v| hist[bin(v)] += 1);
                    let t = otsu_threshold(&hist);
                    values.iter_mut().for_each(|v| *v = if bin(*v) > t { 1.0 } else { 0.0 });
                }
            }
            let invert = match polarity {
                Polarity::Normal => false,
                Polarity::Inverted => true,
                Polarity::Auto => {
                    let (fg, n) = border_count(&values, w as usize, h as usize);
                    2 * fg > n
                }
            };
            if invert {
                values.iter_mut().for_each(|v| *v = 1.0 - *v);
            }
        }
        check_not_empty_or_full(&values, name, "")?;
        drop_specks(&mut values, w as usize, h as usize);
        // bounding box of the object
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0usize, 0usize);
        for (y, row) in values.chunks_exact(w as usize).enumerate() {
            if let Some(first) = row.iter().position(|&v| v > 0.5) {
                let last = row.iter().rposition(|&v| v > 0.5).unwrap_or(first);
                x0 = x0.min(first);
                x1 = x1.max(last);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
        }
        Ok(ObjectMask { width: w, height: h, values, bbox: [x0, y0, x1, y1] })
    }

    /// [`picture_from_bytes`] of this picture, with `threshold` as in [`Picture::object`].
    pub fn centred(&self, size: u32, polarity: Polarity, threshold: Option<f32>, name: &str) -> Result<Mask> {
        check_size(size)?;
        let obj = self.object(polarity, threshold, name)?;
        let long = obj.bw().max(obj.bh());
        let side = ((long as f64 / OBJECT_FRACTION).round() as usize).max(long + 1);
        crop_square(obj, side, size, name)
    }

    /// [`view_from_bytes`] of this picture: the values as they are (alpha, or luminance over its
    /// maximum), resized to `size`×`size`.
    pub fn as_is(&self, size: u32, name: &str) -> Result<Mask> {
        check_size(size)?;
        let values = match &self.alpha {
            Some(a) => a.clone(),
            None => {
                let max = self.luminance.iter().fold(0f32, |m, &v| m.max(v));
                if max <= 0.0 {
                    return Err(Error::invalid(format!("the mask of {name} is empty: no object found (the image is all black)")));
                }
                self.luminance.iter().map(|v| (*v / max).clamp(0.0, 1.0)).collect()
            }
        };
        check_not_empty_or_full(&values, name, "")?;
        let (w, h) = (self.width, self.height);
        let mask = resize_square(values, w, h, size)?;
        if (w, h) != (size, size) {
            check_not_empty_or_full(&mask.values, name, &format!(" after resizing to {size}×{size}"))?;
        }
        Ok(mask)
    }
}

/// Step 5 of [`picture_from_bytes`]: a `side`-pixel square centred on the object's bounding box (to
/// within half a pixel; padded with 0 beyond the picture), resized to `size`×`size`.
pub fn crop_square(obj: ObjectMask, side: usize, size: u32, name: &str) -> Result<Mask> {
    let (bw, bh) = (obj.bw() as i64, obj.bh() as i64);
    let ObjectMask { width: w, height: h, values, bbox: [x0, y0, ..] } = obj;
    // floor division: the same offsets as before for side ≥ the box, and defined for a smaller side
    let ox = x0 as i64 - (side as i64 - bw).div_euclid(2);
    let oy = y0 as i64 - (side as i64 - bh).div_euclid(2);
    if side > MAX_PADDED_SIDE {
        // a long thin picture (16 × 15632) would pad to a square of 19540² (1.5 GB of f32): box-average
        // straight into a MAX_PADDED_SIDE² square instead (memory bounded, same picture)
        let n = MAX_PADDED_SIDE;
        let f = side as f64 / n as f64;
        let edge = |k: usize, o: i64| o + (k as f64 * f).floor() as i64;
        let mut square = vec![0f32; n * n];
        for (r, out) in square.chunks_exact_mut(n).enumerate() {
            let (ya, yb) = (edge(r, oy), edge(r + 1, oy));
            let (y0, y1) = (ya.max(0), yb.min(h as i64));
            if y0 >= y1 {
                continue;
            }
            for (c, o) in out.iter_mut().enumerate() {
                let (xa, xb) = (edge(c, ox), edge(c + 1, ox));
                let (x0, x1) = (xa.max(0), xb.min(w as i64));
                if x0 >= x1 {
                    continue;
                }
                let mut sum = 0f64;
                for y in y0..y1 {
                    let row = &values[y as usize * w as usize..][..w as usize];
                    sum += row[x0 as usize..x1 as usize].iter().map(|&v| v as f64).sum::<f64>();
                }
                *o = (sum / ((yb - ya) * (xb - xa)).max(1) as f64) as f32;
            }
        }
        drop(values);
        let mask = resize_square(square, n as u32, n as u32, size)?;
        check_not_empty_or_full(&mask.values, name, &format!(" after resizing to {size}×{size}"))?;
        return Ok(mask);
    }
    let mut square = vec![0f32; side * side];
    for (r, out) in square.chunks_exact_mut(side).enumerate() {
        let sy = oy + r as i64;
        if sy < 0 || sy >= h as i64 {
            continue;
        }
        let row = &values[sy as usize * w as usize..][..w as usize];
        let a = ox.max(0);
        let b = (ox + side as i64).min(w as i64);
        if a < b {
            out[(a - ox) as usize..(b - ox) as usize].copy_from_slice(&row[a as usize..b as usize]);
        }
    }
    drop(values);
    let mask = resize_square(square, side as u32, side as u32, size)?;
    check_not_empty_or_full(&mask.values, name, &format!(" after resizing to {size}×{size}"))?;
    Ok(mask)
}

/// Largest side of the padded square a picture is cropped into before resizing (4096² f32 = 64 MB);
/// larger squares are box-averaged down to it first.
const MAX_PADDED_SIDE: usize = 4096;

/// Reads a view image file, see [`view_from_bytes`].
pub fn load_view(path: &Path, size: u32) -> Result<Mask> {
    let bytes = crate::files::read_capped(path)?;
    view_from_bytes(&bytes, size, &path.display().to_string())
}

/// Makes a `size`×`size` target mask from a view that has a camera, used as it is: no crop, no padding,
/// no threshold, no polarity. Values stay soft in [0, 1]: the alpha channel when the image has real
/// transparency (some pixel with alpha < 0.5), otherwise the luminance divided by its maximum. The image
/// is resized (triangle filter) only when it is not already `size`×`size`; a non-square image is
/// stretched to a square, which distorts it (its camera should then have been square too).
/// A mask with no value > 0.5, or with every value > 0.5, is an error.
pub fn view_from_bytes(bytes: &[u8], size: u32, name: &str) -> Result<Mask> {
    check_size(size)?;
    Picture::decode(bytes, name)?.as_is(size, name)
}

/// Reads a views CSV with the header `file,distance,elevation,azimuth` (any order, case-insensitive,
/// extra columns ignored). Files are relative to the CSV's folder and must exist; distance must be > 0
/// and every number finite. Errors name the 1-based data row.
///
/// Optional columns `projection` (`perspective` or `orthographic`, case-insensitive) and `width` (world
/// units across the image, for orthographic rows, which need it): a row whose projection cell is empty
/// or absent takes the command's projection (`ViewSpec::projection` None).
///
/// Optional column `weight`: the view's weight in the silhouette loss, 1 − Σ w IoU / Σ w (an empty cell
/// or no column: 1). A weight must be a finite number ≥ 0 (at most f32's largest), and not every row's
/// weight may be 0.
pub fn load_views_csv(path: &Path) -> Result<Vec<ViewSpec>> {
    let shown = path.display();
    let csv_err = |e: csv::Error| -> Error {
        if e.is_io_error() {
            match e.into_kind() {
                csv::ErrorKind::Io(io) => Error::io(path, io),
                k => Error::invalid(format!("views CSV {shown}: {k:?}")),
            }
        } else {
            Error::invalid(format!("views CSV {shown}: {e}"))
        }
    };
    let bytes = crate::files::read_capped(path)?;
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(bytes.as_slice());
    let headers = reader.headers().map_err(csv_err)?.clone();
    let col = |name: &str| -> Result<usize> {
        headers.iter().position(|h| h.eq_ignore_ascii_case(name)).ok_or_else(|| {
            Error::invalid(format!(
                "views CSV {shown}: missing column \"{name}\" (the header must name file, distance, elevation, azimuth; it has {:?})",
                headers.iter().collect::<Vec<_>>()
            ))
        })
    };
    let (cf, cd, ce, ca) = (col("file")?, col("distance")?, col("elevation")?, col("azimuth")?);
    let optional = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (cp, cw, cweight) = (optional("projection"), optional("width"), optional("weight"));
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut views = Vec::new();
    // the 1-based data row of each view, for messages
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 1;
        let record = record.map_err(csv_err)?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let field = |c: usize, name: &str| -> Result<&str> {
            record.get(c).ok_or_else(|| Error::invalid(format!("views CSV {shown}: row {row}: no {name} (too few fields)")))
        };
        let number = |c: usize, name: &str| -> Result<f64> {
            let s = field(c, name)?;
            let v: f64 = s.parse().map_err(|_| Error::invalid(format!("views CSV {shown}: row {row}: {name} \"{s}\" is not a number")))?;
            if !v.is_finite() {
                return Err(Error::invalid(format!("views CSV {shown}: row {row}: {name} \"{s}\" is not a finite number")));
            }
            Ok(v)
        };
        let file = field(cf, "file")?;
        if file.is_empty() {
            return Err(Error::invalid(format!("views CSV {shown}: row {row}: the file name is empty")));
        }
        let (distance, elevation, azimuth) = (number(cd, "distance")?, number(ce, "elevation")?, number(ca, "azimuth")?);
        if distance <= 0.0 {
            return Err(Error::invalid(format!("views CSV {shown}: row {row}: distance must be > 0, got {distance}")));
        }
        let kind = cp.and_then(|c| record.get(c)).filter(|s| !s.is_empty());
        let width = match cw {
            Some(c) if record.get(c).is_some_and(|s| !s.is_empty()) => Some(number(c, "width")?),
            _ => None,
        };
        use crate::camera::Projection;
        let only_ortho =
            || Error::invalid(format!("views CSV {shown}: row {row}: a width is only for rows whose projection is orthographic"));
        let projection = match kind {
            None if width.is_none() => None,
            None => return Err(only_ortho()),
            Some(k) if k.eq_ignore_ascii_case("perspective") => match width {
                None => Some(Projection::Perspective),
                Some(_) => return Err(only_ortho()),
            },
            Some(k) if k.eq_ignore_ascii_case("orthographic") => {
                let Some(width) = width else {
                    return Err(Error::invalid(format!(
                        "views CSV {shown}: row {row}: an orthographic view needs a width (world units across the image)"
                    )));
                };
                let p = Projection::Orthographic { width };
                if let Some(problem) = p.width_problem() {
                    return Err(Error::invalid(format!("views CSV {shown}: row {row}: width {problem}")));
                }
                Some(p)
            }
            Some(k) => {
                return Err(Error::invalid(format!(
                    "views CSV {shown}: row {row}: projection \"{k}\" is neither perspective nor orthographic"
                )));
            }
        };
        let weight = match cweight {
            Some(c) if record.get(c).is_some_and(|s| !s.is_empty()) => number(c, "weight")?,
            _ => 1.0,
        };
        if weight < 0.0 {
            return Err(Error::invalid(format!("views CSV {shown}: row {row}: weight must be ≥ 0, got {}", crate::error::num(weight))));
        }
        if weight > f32::MAX as f64 {
            return Err(Error::invalid(format!(
                "views CSV {shown}: row {row}: weight {} is too large (at most {:e})",
                crate::error::num(weight),
                f32::MAX
            )));
        }
        let full = dir.join(file);
        match std::fs::metadata(&full) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(Error::invalid(format!("views CSV {shown}: row {row}: {file} is not a file ({})", full.display())));
            }
            Err(_) => {
                return Err(Error::invalid(format!("views CSV {shown}: row {row}: {file} does not exist (looked for {})", full.display())));
            }
        }
        views.push(ViewSpec { file: full, distance, elevation, azimuth, projection, weight });
        rows.push(row);
    }
    if views.is_empty() {
        return Err(Error::invalid(format!("views CSV {shown} has no views: add rows under the header file,distance,elevation,azimuth")));
    }
    // as f32, what the fit takes: a weight below f32's smallest counts as 0
    if views.iter().all(|v| v.weight as f32 == 0.0) {
        let which = match rows.as_slice() {
            [one] => format!("row {one}'s weight is 0"),
            [first, .., last] => format!("every row's weight (rows {first} to {last}) is 0"),
            [] => unreachable!("views is not empty"),
        };
        return Err(Error::invalid(format!("views CSV {shown}: {which}: at least one view needs a weight > 0")));
    }
    Ok(views)
}

/// Writes a mask as a 16-bit grayscale PNG (65535 = 1), atomically.
pub fn save_mask_png(path: &Path, m: &Mask) -> Result<()> {
    if m.width == 0 || m.height == 0 || m.values.len() as u64 != m.width as u64 * m.height as u64 {
        return Err(Error::invalid(format!(
            "cannot save {}: mask of {}×{} has {} values",
            path.display(),
            m.width,
            m.height,
            m.values.len()
        )));
    }
    let clean: Vec<f32> = m.values.iter().map(|&v| if v.is_nan() { 0.0 } else { v }).collect();
    write_atomic(path, &crate::output::png16_bytes(&clean, m.width, m.height)?)
}

/// Intersection over union of `(a > 0.5)` and `(b > 0.5)`. Two empty masks give 1.0; masks of
/// different lengths give 0.0.
pub fn hard_iou(a: &[f32], b: &[f32]) -> f64 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut inter, mut union) = (0u64, 0u64);
    for (&x, &y) in a.iter().zip(b) {
        let (p, q) = (x > 0.5, y > 0.5);
        inter += (p && q) as u64;
        union += (p || q) as u64;
    }
    if union == 0 { 1.0 } else { inter as f64 / union as f64 }
}

/// Otsu's threshold over a histogram: the bin `t` maximizing the between-class variance of
/// `{bins ≤ t}` and `{bins > t}` (the first maximum). Foreground is `bin > t`.
pub fn otsu_threshold(hist: &[u64; 256]) -> usize {
    let total: f64 = hist.iter().map(|&c| c as f64).sum();
    let sum: f64 = hist.iter().enumerate().map(|(i, &c)| i as f64 * c as f64).sum();
    let (mut w_b, mut sum_b, mut best, mut t_best) = (0.0f64, 0.0f64, -1.0f64, 0usize);
    for (t, &c) in hist.iter().enumerate() {
        w_b += c as f64;
        sum_b += t as f64 * c as f64;
        let w_f = total - w_b;
        if w_b == 0.0 {
            continue;
        }
        if w_f == 0.0 {
            break;
        }
        let d = sum_b / w_b - (sum - sum_b) / w_f;
        let var = w_b * w_f * d * d;
        if var > best {
            best = var;
            t_best = t;
        }
    }
    t_best
}

fn check_size(size: u32) -> Result<()> {
    let max = crate::raster::MAX_IMAGE_SIZE;
    if size == 0 || size > max {
        return Err(Error::invalid(format!("target size {size} must be in 1..={max}")));
    }
    Ok(())
}

/// Largest picture side and pixel count decoded (checked from the header, before decoding).
pub const MAX_DECODE_SIDE: u32 = 16384;
pub const MAX_DECODE_PIXELS: u64 = 1 << 28;

/// Width and height from an image's header, without decoding it; refuses pictures beyond
/// [`MAX_DECODE_SIDE`] per side or [`MAX_DECODE_PIXELS`] pixels.
pub fn image_dimensions(bytes: &[u8], name: &str) -> Result<(u32, u32)> {
    if bytes.is_empty() {
        return Err(Error::invalid(format!("cannot read image {name}: the file is empty")));
    }
    let (w, h) = guarded(name, || {
        image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(image::ImageError::IoError)?.into_dimensions()
    })?;
    if w > MAX_DECODE_SIDE || h > MAX_DECODE_SIDE || w as u64 * h as u64 > MAX_DECODE_PIXELS {
        return Err(Error::invalid(format!(
            "image {name} is too large ({w}×{h}): at most {MAX_DECODE_SIDE} pixels per side and {MAX_DECODE_PIXELS} pixels are read"
        )));
    }
    Ok((w, h))
}

/// Runs an image decoder so that neither its errors nor a bug in it (a panic) escape as anything but
/// an error naming the file.
fn guarded<T>(name: &str, f: impl FnOnce() -> image::ImageResult<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| Error::invalid(format!("cannot read image {name}: the decoder failed on it (malformed file)")))?
        .map_err(|e| Error::invalid(format!("cannot read image {name}: {e}")))
}

/// Reads an image file's size from its header (a regular file of bounded size), see [`image_dimensions`].
pub fn file_image_dimensions(path: &Path) -> Result<(u32, u32)> {
    image_dimensions(&crate::files::read_capped(path)?, &path.display().to_string())
}

fn decode(bytes: &[u8], name: &str) -> Result<DynamicImage> {
    image_dimensions(bytes, name)?;
    let img = guarded(name, || {
        image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(image::ImageError::IoError)?.decode()
    })?;
    if img.width() < 2 || img.height() < 2 {
        return Err(Error::invalid(format!(
            "image {name} is too small ({}×{}): at least 2×2 pixels are needed",
            img.width(),
            img.height()
        )));
    }
    Ok(img)
}

/// Rec. 709 luminance of every pixel in [0, 1], and the alpha channel when the image has one.
fn luminance_alpha(img: &DynamicImage) -> (Vec<f32>, Option<Vec<f32>>) {
    fn split<T: Copy>(raw: &[T], n: usize, alpha: bool, f: impl Fn(T) -> f32) -> (Vec<f32>, Option<Vec<f32>>) {
        let f = |v: T| {
            let x = f(v);
            if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
        };
        let lum = raw
            .chunks_exact(n)
            .map(|p| if n >= 3 { 0.2126 * f(p[0]) + 0.7152 * f(p[1]) + 0.0722 * f(p[2]) } else { f(p[0]) })
            .map(|y: f32| y.clamp(0.0, 1.0))
            .collect();
        let a = alpha.then(|| raw.chunks_exact(n).map(|p| f(p[n - 1])).collect());
        (lum, a)
    }
    let u8f = |v: u8| v as f32 / 255.0;
    let u16f = |v: u16| v as f32 / 65535.0;
    match img {
        DynamicImage::ImageLuma8(b) => split(b.as_raw(), 1, false, u8f),
        DynamicImage::ImageLumaA8(b) => split(b.as_raw(), 2, true, u8f),
        DynamicImage::ImageRgb8(b) => split(b.as_raw(), 3, false, u8f),
        DynamicImage::ImageRgba8(b) => split(b.as_raw(), 4, true, u8f),
        DynamicImage::ImageLuma16(b) => split(b.as_raw(), 1, false, u16f),
        DynamicImage::ImageLumaA16(b) => split(b.as_raw(), 2, true, u16f),
        DynamicImage::ImageRgb16(b) => split(b.as_raw(), 3, false, u16f),
        DynamicImage::ImageRgba16(b) => split(b.as_raw(), 4, true, u16f),
        DynamicImage::ImageRgb32F(b) => split(b.as_raw(), 3, false, |v| v),
        DynamicImage::ImageRgba32F(b) => split(b.as_raw(), 4, true, |v| v),
        other => split(other.to_rgba32f().as_raw(), 4, other.color().has_alpha(), |v| v),
    }
}

/// (foreground pixels on the outermost ring, ring length) of a w×h 0/1 mask, w, h ≥ 2.
fn border_count(values: &[f32], w: usize, h: usize) -> (usize, usize) {
    let fg = |v: &f32| (*v > 0.5) as usize;
    let top: usize = values[..w].iter().map(fg).sum();
    let bottom: usize = values[(h - 1) * w..].iter().map(fg).sum();
    let sides: usize = (1..h - 1).map(|y| fg(&values[y * w]) + fg(&values[y * w + w - 1])).sum();
    (top + bottom + sides, 2 * w + 2 * (h - 2))
}

/// Zeroes the 8-connected components of `values > 0.5` whose area is below 1% of the largest one.
fn drop_specks(values: &mut [f32], w: usize, h: usize) {
    let mut labels = vec![0u32; values.len()];
    let mut areas: Vec<usize> = vec![0];
    let mut stack: Vec<usize> = Vec::new();
    for start in 0..values.len() {
        if labels[start] != 0 || values[start] <= 0.5 {
            continue;
        }
        let id = areas.len() as u32;
        let mut area = 0usize;
        labels[start] = id;
        stack.push(start);
        while let Some(i) = stack.pop() {
            area += 1;
            let (x, y) = (i % w, i / w);
            for ny in y.saturating_sub(1)..(y + 2).min(h) {
                for nx in x.saturating_sub(1)..(x + 2).min(w) {
                    let j = ny * w + nx;
                    if labels[j] == 0 && values[j] > 0.5 {
                        labels[j] = id;
                        stack.push(j);
                    }
                }
            }
        }
        areas.push(area);
    }
    let largest = areas.iter().copied().max().unwrap_or(0);
    if areas.len() <= 2 {
        return;
    }
    for (v, &l) in values.iter_mut().zip(&labels) {
        if l != 0 && areas[l as usize] * 100 < largest {
            *v = 0.0;
        }
    }
}

/// Refuses an empty or a full mask; the messages name the setting `invert` ([`Polarity::Inverted`]).
pub(crate) fn check_not_empty_or_full(values: &[f32], name: &str, when: &str) -> Result<()> {
    if !values.iter().any(|&v| v > 0.5) {
        return Err(Error::mentioning(
            format!("the mask of {name} is empty{when}: no object found (no pixel is foreground; check the polarity ("),
            "invert",
            ") or use a picture with more contrast)",
        ));
    }
    if values.iter().all(|&v| v > 0.5) {
        return Err(Error::mentioning(
            format!(
                "the mask of {name} covers the whole image{when}: the object must not fill the picture (leave a background \
                 margin around it, or check the polarity ("
            ),
            "invert",
            "))",
        ));
    }
    Ok(())
}

/// Resizes a w×h mask to size×size (triangle filter) unless it is that size already; clamps to [0, 1].
/// A square mask resized to `size`×`size` (triangle filter; unchanged at its own size).
pub fn resize_mask(m: &Mask, size: u32) -> Result<Mask> {
    check_size(size)?;
    resize_square(m.values.clone(), m.width, m.height, size)
}

fn resize_square(values: Vec<f32>, w: u32, h: u32, size: u32) -> Result<Mask> {
    if (w, h) == (size, size) {
        return Ok(Mask { width: size, height: size, values });
    }
    let buf = ImageBuffer::<Luma<f32>, Vec<f32>>::from_raw(w, h, values)
        .ok_or_else(|| Error::invalid("mask buffer size does not match width × height"))?;
    let out = image::imageops::resize(&buf, size, size, FilterType::Triangle);
    let values = out.into_raw().into_iter().map(|v| if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) }).collect();
    Ok(Mask { width: size, height: size, values })
}
