//! Fitting: deform a template mesh until its soft silhouettes match target masks (SoftRas's
//! deformation demo). One place decides the defaults ([`FitParams`]); two engines implement one step
//! ([`gpu::GpuFitter`], all on the device, and [`cpu::CpuFitter`], the f64 reference); one
//! [`Driver`] holds the policy (batches, σ schedule, roll-back, history, best mesh, stop reasons) that
//! [`run`] and the viewer's session both follow.
pub mod cpu;
pub mod depth;
pub mod driver;
pub mod gpu;
pub mod hull;
pub mod large_steps;
pub mod passes;
pub mod reference;
pub mod topology;

use crate::camera::Camera;
use crate::error::{Error, Result};
use crate::mesh::Mesh;
use crate::raster::{DEFAULT_NEAR, RasterSettings};
pub use driver::{Check, Driver, Ending, FitOutcome, MAX_ROLLBACKS, SigmaSchedule, run};
pub use large_steps::Optimizer;

/// Cull threshold while fitting: ε = 1e-4 as SoftRas's `dist_eps` (r² ≈ 9.2 σ). `render` keeps the
/// tighter 1e-5 for exact comparisons; an optimisation loses nothing to a 1e-4 tail and runs ~15 % faster.
pub const FIT_CULL_EPS: f64 = 1e-4;
use glam::{Quat, Vec3};

/// Every setting of a fit, with SoftRas's deformation-demo values as defaults.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FitParams {
    pub steps: u32,
    /// Image size (square).
    pub size: u32,
    pub sigma: f64,
    /// σ at the last step (log-linear schedule from `sigma`); None keeps σ fixed.
    pub sigma_end: Option<f64>,
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub adam_eps: f64,
    pub lambda_lap: f64,
    pub lambda_flat: f64,
    /// Weight of the depth prior (view 0's inflated silhouette, [`depth`]); None: on with
    /// [`depth::DEFAULT_LAMBDA_DEPTH`] for a one-view fit, off for several views ([`FitParams::for_views`]).
    pub lambda_depth: Option<f64>,
    /// Thickness t of the inflated depth prior (1: a disc becomes a sphere).
    pub thickness: f64,
    /// Half field of view, degrees.
    pub view_angle: f64,
    /// Camera distance for views given without one.
    pub distance: f64,
    pub template_level: u32,
    pub template_radius: f64,
    /// Read the loss back every this many steps.
    pub check_every: u32,
    pub cull_eps: f64,
    pub near: f64,
    /// Adam on SoftRas's parametrization, or large steps ([`large_steps`]).
    pub optimizer: Optimizer,
    /// λ of the large-steps system M = I + λL (unused by Adam).
    pub smoothness: f64,
}

impl Default for FitParams {
    fn default() -> Self {
        FitParams {
            steps: 1000,
            size: 128,
            sigma: 1e-4,
            sigma_end: None,
            lr: 0.01,
            beta1: 0.5,
            beta2: 0.99,
            adam_eps: 1e-8,
            lambda_lap: 0.03,
            lambda_flat: 0.0003,
            lambda_depth: None,
            thickness: 1.0,
            view_angle: 15.0,
            distance: 2.732,
            template_level: 4,
            template_radius: 0.5,
            check_every: 10,
            cull_eps: FIT_CULL_EPS,
            near: DEFAULT_NEAR,
            optimizer: Optimizer::Adam,
            smoothness: large_steps::DEFAULT_SMOOTHNESS,
        }
    }
}

impl FitParams {
    /// Checks every setting before any work, with a message naming the setting (its field name).
    pub fn validate(&self) -> Result<()> {
        let pos = |name: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::setting(name, format!("must be finite and > 0, got {}", crate::error::num(v))))
            }
        };
        let nonneg = |name: &'static str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(Error::setting(name, format!("must be finite and ≥ 0, got {}", crate::error::num(v))))
            }
        };
        let at_most = |name: &'static str, v: f64, max: f64| {
            if v <= max { Ok(()) } else { Err(Error::setting(name, format!("must be at most {max}, got {}", crate::error::num(v)))) }
        };
        pos("sigma", self.sigma)?;
        at_most("sigma", self.sigma, crate::raster::MAX_SIGMA)?;
        if let Some(s) = self.sigma_end {
            pos("sigma_end", s)?;
            at_most("sigma_end", s, crate::raster::MAX_SIGMA)?;
        }
        pos("lr", self.lr)?;
        at_most("lr", self.lr, 10.0)?;
        nonneg("lambda_lap", self.lambda_lap)?;
        at_most("lambda_lap", self.lambda_lap, 1e6)?;
        nonneg("lambda_flat", self.lambda_flat)?;
        at_most("lambda_flat", self.lambda_flat, 1e6)?;
        if let Some(l) = self.lambda_depth {
            nonneg("lambda_depth", l)?;
            at_most("lambda_depth", l, 1e6)?;
        }
        nonneg("smoothness", self.smoothness)?;
        at_most("smoothness", self.smoothness, large_steps::MAX_SMOOTHNESS)?;
        pos("thickness", self.thickness)?;
        at_most("thickness", self.thickness, 100.0)?;
        pos("distance", self.distance)?;
        at_most("distance", self.distance, crate::camera::MAX_DISTANCE)?;
        if !(self.beta1 >= 0.0 && self.beta1 < 1.0 && self.beta2 >= 0.0 && self.beta2 < 1.0) {
            return Err(Error::invalid("Adam betas must be in [0, 1)"));
        }
        if self.steps == 0 {
            return Err(Error::setting("steps", "must be at least 1"));
        }
        if self.template_level > crate::mesh::MAX_ICOSPHERE_LEVEL {
            return Err(Error::setting("template_level", format!("must be 0..={}", crate::mesh::MAX_ICOSPHERE_LEVEL)));
        }
        if self.check_every == 0 {
            return Err(Error::invalid("check interval must be at least 1"));
        }
        if self.size < 2 {
            return Err(Error::setting("size", format!("must be at least 2, got {}", self.size)));
        }
        self.raster_at(self.sigma).validate()?;
        Camera::new(self.distance, 0.0, 0.0, self.view_angle).map(|_| ())
    }

    /// The settings of the first step (σ at step 0, lr, λs); later steps may change them.
    pub fn live(&self) -> Live {
        Live {
            lr: self.lr,
            sigma: self.sigma,
            lambda_lap: self.lambda_lap,
            lambda_flat: self.lambda_flat,
            lambda_depth: self.lambda_depth.unwrap_or(0.0),
            thickness: self.thickness,
        }
    }

    /// These settings for a fit of `views` views: an unset depth weight becomes
    /// [`depth::DEFAULT_LAMBDA_DEPTH`] for one view and 0 for several.
    pub fn for_views(mut self, views: usize) -> FitParams {
        if self.lambda_depth.is_none() {
            self.lambda_depth = Some(if views == 1 { depth::DEFAULT_LAMBDA_DEPTH } else { 0.0 });
        }
        self
    }

    /// Whether a fit of `views` views carries a depth prior (so its weight may be changed live).
    pub fn has_depth_prior(&self, views: usize) -> bool {
        views == 1 || self.lambda_depth.is_some_and(|l| l > 0.0)
    }

    /// σ at step `step` (0-based): log-linear from `sigma` to `sigma_end`.
    pub fn sigma_at(&self, step: u32) -> f64 {
        match self.sigma_end {
            Some(end) if self.steps > 1 => driver::log_linear(self.sigma, end, self.steps, step),
            _ => self.sigma,
        }
    }

    /// The rasterizer's settings of this fit at σ: the one way σ reaches the rasterizer's passes (its
    /// uniforms are written from these settings alone). σ itself comes from `Live::sigma`, which the
    /// driver sets from the schedule ([`FitParams::sigma_at`]) or the viewer's slider.
    pub fn raster_at(&self, sigma: f64) -> RasterSettings {
        RasterSettings { width: self.size, height: self.size, sigma, cull_eps: self.cull_eps, near: self.near }
    }
}

/// A fixed rotation that leaves no icosphere vertex with a zero coordinate (MATH.md's trap: a zero
/// coordinate can never move under SoftRas's parametrization).
pub fn template_rotation() -> Quat {
    Quat::from_euler(glam::EulerRot::XYZ, 0.31, 0.47, 0.13)
}

/// The default template: an icosphere of `level`, rotated by [`template_rotation`], radius `radius`.
pub fn icosphere_template(level: u32, radius: f64) -> Result<Mesh> {
    let mut m = Mesh::icosphere(level)?;
    let q = template_rotation();
    for v in &mut m.vertices {
        *v = q * *v * radius as f32;
    }
    Ok(m)
}

/// Makes a user's template usable: every coordinate strictly inside (−1, 1), exact zeros nudged to
/// ±1e-4 (returns how many were nudged).
pub fn prepare_template(mut m: Mesh) -> Result<(Mesh, usize)> {
    m.validate().map_err(Error::Invalid)?;
    if let Some(v) = m.vertices.iter().find(|v| v.abs().max_element() >= 0.999) {
        return Err(Error::invalid(format!(
            "the template must lie inside (−1, 1)³ (SoftRas's parametrization), but it has a vertex at {v}: scale it down"
        )));
    }
    let mut nudged = 0;
    for v in &mut m.vertices {
        for a in 0..3 {
            if v[a] == 0.0 {
                v[a] = 1e-4;
                nudged += 1;
            }
        }
    }
    Ok((m, nudged))
}

/// The view indices round(i · total / n), i = 0 … n − 1 (the setting `num_views`).
pub fn keep_views(total: usize, n: usize) -> Result<Vec<usize>> {
    if n == 0 || n > total {
        return Err(Error::setting("num_views", format!("must be between 1 and {total}, got {n}")));
    }
    Ok((0..n).map(|i| ((i * total) as f64 / n as f64).round() as usize).map(|k| k.min(total - 1)).collect())
}

/// Targets of a fit: one mask per view (views × size × size), with its camera and its weight.
#[derive(Clone, Debug)]
pub struct FitTarget {
    pub size: u32,
    pub cameras: Vec<Camera>,
    pub masks: Vec<f32>,
    /// Where each view came from (a file name or a description).
    pub names: Vec<String>,
    /// One weight per view in the silhouette loss L = 1 − Σ_v w_v IoU_v / Σ_v w_v (finite, ≥ 0, sum > 0;
    /// all equal: the plain mean). Only the loss and its gradient are weighted; the reported soft IoU
    /// stays the plain mean over the views.
    pub weights: Vec<f32>,
}

/// σ of silhouettes rendered as targets (`fit --target-mesh`, benchmarks): near-hard.
pub const TARGET_SIGMA: f64 = 1e-6;

impl FitTarget {
    /// `mesh`'s silhouettes from `cameras` at σ = [`TARGET_SIGMA`], each view named `name`.
    pub fn rendered(
        engine: &mut dyn crate::raster::SoftRasterizer,
        mesh: &Mesh,
        cameras: Vec<Camera>,
        size: u32,
        name: &str,
    ) -> Result<FitTarget> {
        let sil = engine.forward(mesh, &cameras, &RasterSettings::square(size, TARGET_SIGMA))?;
        let masks = sil.iter().map(|v| v.clamp(0.0, 1.0)).collect();
        Ok(FitTarget { size, names: vec![name.to_string(); cameras.len()], weights: vec![1.0; cameras.len()], cameras, masks })
    }

    pub fn validate(&self) -> Result<()> {
        let npix = self.size as usize * self.size as usize;
        if self.cameras.is_empty() || self.masks.len() != self.cameras.len() * npix || self.names.len() != self.cameras.len() {
            return Err(Error::invalid("target masks, cameras and names do not match"));
        }
        if let Some(x) = self.masks.iter().find(|x| !(x.is_finite() && (0.0..=1.0).contains(*x))) {
            return Err(Error::invalid(format!("target mask values must be in [0, 1], found {x}")));
        }
        if self.weights.len() != self.cameras.len() {
            return Err(Error::invalid(format!(
                "target weights: {} weight(s) for {} view(s), there must be one per view",
                self.weights.len(),
                self.cameras.len()
            )));
        }
        if let Some((v, w)) = self.weights.iter().enumerate().find(|(_, w)| !(w.is_finite() && **w >= 0.0)) {
            return Err(Error::invalid(format!(
                "target weights: the weight of view {} of {} ({}) must be finite and ≥ 0, got {}",
                v + 1,
                self.weights.len(),
                self.names[v],
                crate::error::num(*w as f64)
            )));
        }
        if self.weights.iter().all(|&w| w == 0.0) {
            return Err(Error::invalid("target weights: every view's weight is 0, at least one must be > 0"));
        }
        Ok(())
    }

    /// The weights as the GPU takes them: divided by the largest (so in [0, 1], the largest 1, and their
    /// f32 sum neither overflows nor underflows; the loss does not change) and that sum. All equal
    /// weights give exactly 1 each and the number of views as the sum.
    pub fn scaled_weights(&self) -> (Vec<f32>, f32) {
        let max = self.weights.iter().fold(0.0f64, |m, &w| m.max(w as f64));
        let scaled: Vec<f32> = self.weights.iter().map(|&w| (w as f64 / max) as f32).collect();
        let sum = scaled.iter().map(|&w| w as f64).sum::<f64>() as f32;
        (scaled, sum)
    }
}

/// Numbers of one step (the loss of the parameters before that step's update).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct StepStats {
    /// 1-based step number.
    pub step: u32,
    pub loss: f64,
    pub soft_iou_mean: f64,
    pub grad_norm: f64,
    pub lap: f64,
    pub flat: f64,
    /// The depth prior's term, weighted (0 without one).
    pub depth: f64,
}

impl StepStats {
    pub fn is_finite(&self) -> bool {
        self.loss.is_finite() && self.grad_norm.is_finite() && self.soft_iou_mean.is_finite()
    }
}

/// The settings that may change between steps without a restart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Live {
    pub lr: f64,
    pub sigma: f64,
    pub lambda_lap: f64,
    pub lambda_flat: f64,
    pub lambda_depth: f64,
    /// Thickness of the depth prior (scales the height map).
    pub thickness: f64,
}

/// One fitting engine.
pub trait Fitter {
    fn describe(&self) -> String;
    /// Runs one step (forward, loss, backward, regularizers, Adam) with these settings.
    fn step(&mut self, live: &Live) -> Result<()>;
    /// Numbers of the steps run since the last call, oldest first (one readback).
    fn drain_stats(&mut self) -> Result<Vec<StepStats>>;
    /// Keeps the current parameters and optimizer state as the roll-back point.
    fn snapshot(&mut self) -> Result<()>;
    /// Returns to the roll-back point.
    fn restore(&mut self) -> Result<()>;
    /// Keeps the current parameters as the best so far.
    fn keep_best(&mut self) -> Result<()>;
    /// Vertex positions of the current (or the best kept) parameters.
    fn vertices(&mut self, best: bool) -> Result<Vec<Vec3>>;
    /// Renders the current (or the best kept) parameters at σ without changing any state:
    /// soft silhouettes (views × size × size) and per-view soft IoU.
    fn evaluate(&mut self, best: bool, sigma: f64) -> Result<(Vec<f32>, Vec<f64>)>;
    /// Most steps whose stats the engine keeps between two `drain_stats` ([`Driver`] checks at least
    /// this often, so that no step is lost from the history).
    fn max_pending(&self) -> u32 {
        u32::MAX
    }
}
