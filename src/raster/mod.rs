//! The soft rasterizer: settings, the conventions shared by both engines, and the one trait that the
//! GPU engine ([`gpu::GpuRaster`]) and the f64 CPU reference ([`cpu::CpuRaster`]) implement.
pub mod cpu;
pub mod gpu;
pub mod passes;

use crate::camera::Camera;
use crate::error::{Error, Result};
use crate::mesh::Mesh;
use glam::Vec3;

/// Cull threshold: a face outside a pixel with D_f < ε there is not visited. ε = 1e-5 gives
/// r² = σ·ln(1/ε − 1) ≈ 11.5 σ.
pub const DEFAULT_CULL_EPS: f64 = 1e-5;
/// Faces with a vertex at camera depth z_c ≤ near are skipped (they would project through infinity).
pub const DEFAULT_NEAR: f64 = 1e-3;
/// Largest accepted image edge, before any device limit is looked at.
pub const MAX_IMAGE_SIZE: u32 = 16384;
/// Largest accepted σ: beyond it every face covers every pixel (the soft silhouette is no longer a
/// silhouette), and the f32 and f64 engines part ways.
pub const MAX_SIGMA: f64 = 0.1;

/// What a rasterization needs besides the mesh and cameras.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct RasterSettings {
    pub width: u32,
    pub height: u32,
    /// Sharpness σ of D = sigmoid(δ d² / σ), d in NDC units.
    pub sigma: f64,
    /// Cull threshold ε (see [`DEFAULT_CULL_EPS`]).
    pub cull_eps: f64,
    /// Near plane (camera-space depth).
    pub near: f64,
}

impl RasterSettings {
    pub fn square(size: u32, sigma: f64) -> Self {
        RasterSettings { width: size, height: size, sigma, cull_eps: DEFAULT_CULL_EPS, near: DEFAULT_NEAR }
    }

    pub fn validate(&self) -> Result<()> {
        if self.width == 0 || self.height == 0 {
            return Err(Error::invalid(format!("image size must be at least 1×1, got {}×{}", self.width, self.height)));
        }
        if self.width > MAX_IMAGE_SIZE || self.height > MAX_IMAGE_SIZE {
            return Err(Error::invalid(format!(
                "image size {}×{} is too large (at most {MAX_IMAGE_SIZE} per side)",
                self.width, self.height
            )));
        }
        if !(self.sigma.is_finite() && self.sigma > 0.0 && self.sigma <= MAX_SIGMA) {
            return Err(Error::invalid(format!("sigma must be in (0, {MAX_SIGMA}], got {}", crate::error::num(self.sigma))));
        }
        if (self.sigma as f32) < f32::MIN_POSITIVE * 1e6 {
            return Err(Error::invalid(format!("sigma {} is too small for f32 arithmetic (use ≥ 1e-30)", self.sigma)));
        }
        if !(self.cull_eps > 0.0 && self.cull_eps < 0.5) {
            return Err(Error::invalid(format!("cull epsilon must be in (0, 0.5), got {}", self.cull_eps)));
        }
        if !(self.near.is_finite() && self.near > 0.0 && self.near <= 1e3) {
            return Err(Error::invalid(format!("near plane must be in (0, 1000], got {}", crate::error::num(self.near))));
        }
        Ok(())
    }

    /// r = sqrt(σ · ln(1/ε − 1)): the distance beyond which an outside face has D < ε.
    pub fn cull_radius(&self) -> f64 {
        (self.sigma * (1.0 / self.cull_eps - 1.0).ln()).sqrt()
    }

    pub fn pixels(&self) -> usize {
        self.width as usize * self.height as usize
    }
}

/// Centre of pixel (i, j) in NDC: ((2i + 1)/W − 1, 1 − (2j + 1)/H); row 0 is the top.
pub fn pixel_center(i: i64, j: i64, w: u32, h: u32) -> (f64, f64) {
    ((2.0 * i as f64 + 1.0) / w as f64 - 1.0, 1.0 - (2.0 * j as f64 + 1.0) / h as f64)
}

/// Inclusive pixel range (i0, i1, j0, j1) whose centres lie in the NDC box [lo, hi]; None if empty.
/// setup.wgsl evaluates the same expressions in f32.
pub fn pixel_range(lo: (f64, f64), hi: (f64, f64), w: u32, h: u32) -> Option<(i64, i64, i64, i64)> {
    let (wf, hf) = (w as f64, h as f64);
    let fi0 = ((lo.0 + 1.0) * 0.5 * wf - 0.5).ceil();
    let fi1 = ((hi.0 + 1.0) * 0.5 * wf - 0.5).floor();
    let fj0 = ((1.0 - hi.1) * 0.5 * hf - 0.5).ceil();
    let fj1 = ((1.0 - lo.1) * 0.5 * hf - 0.5).floor();
    let r = (fi0.clamp(0.0, wf) as i64, fi1.clamp(-1.0, wf - 1.0) as i64, fj0.clamp(0.0, hf) as i64, fj1.clamp(-1.0, hf - 1.0) as i64);
    (r.0 <= r.1 && r.2 <= r.3).then_some(r)
}

/// Checks a mesh and cameras before any work.
pub fn validate_inputs(mesh: &Mesh, cams: &[Camera], s: &RasterSettings) -> Result<()> {
    s.validate()?;
    mesh.validate().map_err(Error::Invalid)?;
    if cams.is_empty() {
        return Err(Error::invalid("at least one camera is needed"));
    }
    for c in cams {
        c.validate()?;
    }
    Ok(())
}

/// One soft rasterizer engine. Images are `views × height × width` f32, row 0 at the top.
pub trait SoftRasterizer {
    /// "gpu: <adapter>" or "cpu reference".
    fn describe(&self) -> String;
    /// Soft silhouettes S of every view.
    fn forward(&mut self, mesh: &Mesh, cams: &[Camera], s: &RasterSettings) -> Result<Vec<f32>>;
    /// Forward, then ∂L/∂vertex for the given ∂L/∂S (`v_silhouette`, same layout as the images).
    fn backward(&mut self, mesh: &Mesh, cams: &[Camera], s: &RasterSettings, v_silhouette: &[f32]) -> Result<Vec<Vec3>>;
}

/// Checks that a per-pixel buffer has views × H × W entries.
pub fn check_image_len(len: usize, views: usize, s: &RasterSettings) -> Result<()> {
    if len != views * s.pixels() {
        return Err(Error::invalid(format!(
            "expected {} per-pixel values ({views} views × {}×{}), got {len}",
            views * s.pixels(),
            s.width,
            s.height
        )));
    }
    Ok(())
}
