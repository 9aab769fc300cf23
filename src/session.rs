//! A live fit that a user steers while it runs (the viewer's engine, with no Bevy in it): settings act
//! on the very next step, a new target restarts the fit, a bad file leaves the current fit running.
use crate::error::{Error, Result};
use crate::fit::{FitParams, FitTarget, Fitter, Live, StepStats, gpu::GpuFitter, icosphere_template};
use crate::mesh::Mesh;
use crate::raster::gpu::GpuContext;
use crate::target::{self, Polarity};
use crate::Camera;
use glam::Vec3;
use std::path::Path;
use std::sync::Arc;

/// Settings that need a restart of the fit from the template.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RestartSettings {
    pub size: u32,
    pub template_level: u32,
}

pub struct Session {
    ctx: Arc<GpuContext>,
    pub params: FitParams,
    /// Acts on the next step: σ, learning rate, λ_lap, λ_flat.
    pub live: Live,
    pub steps_per_frame: u32,
    pub playing: bool,
    pub template: Mesh,
    pub target: FitTarget,
    /// Where the picture came from (None: the embedded default), to reload it at another size.
    source: Option<(Vec<u8>, String)>,
    fitter: GpuFitter,
    pub step: u32,
    pub history: Vec<StepStats>,
    /// The last error to show (a bad file, a failed save); the fit goes on.
    pub error: Option<String>,
    pub vertices: Vec<Vec3>,
}

impl Session {
    /// A session on `target` with `params` (an icosphere template of `params.template_level`).
    pub fn new(ctx: Arc<GpuContext>, params: FitParams, target: FitTarget, template: Option<Mesh>) -> Result<Session> {
        params.validate()?;
        let template = match template {
            Some(t) => t,
            None => icosphere_template(params.template_level, params.template_radius)?,
        };
        let fitter = GpuFitter::new(ctx.clone(), &template, &target, &params)?;
        let live = Live { lr: params.lr, sigma: params.sigma, lambda_lap: params.lambda_lap, lambda_flat: params.lambda_flat };
        let vertices = template.vertices.clone();
        Ok(Session {
            ctx,
            params,
            live,
            steps_per_frame: 1,
            playing: true,
            template,
            target,
            source: None,
            fitter,
            step: 0,
            history: Vec::new(),
            error: None,
            vertices,
        })
    }

    /// One frame's work: `steps_per_frame` steps when playing (or one when `single`), then the numbers
    /// and the current vertices read back.
    pub fn frame(&mut self, single: bool) -> Result<()> {
        let n = if single { 1 } else if self.playing { self.steps_per_frame.max(1) } else { 0 };
        if n == 0 {
            return Ok(());
        }
        for _ in 0..n {
            self.fitter.step(&self.live)?;
            self.step += 1;
        }
        let stats = self.fitter.drain_stats()?;
        if let Some(bad) = stats.iter().find(|s| !s.is_finite()) {
            // no NaN reaches the mesh: Adam skipped those updates; slow down and say so
            self.live.lr *= 0.5;
            self.error = Some(format!("step {}: the loss became non-finite; learning rate halved to {:.2e}", bad.step, self.live.lr));
        }
        self.history.extend(stats.into_iter().filter(StepStats::is_finite));
        self.vertices = self.fitter.vertices(false)?;
        Ok(())
    }

    /// Current soft silhouettes (views × size²) and per-view soft IoU, rendered at the live σ.
    pub fn silhouettes(&mut self) -> Result<(Vec<f32>, Vec<f64>)> {
        self.fitter.evaluate(false, self.live.sigma)
    }

    /// Back to the template, same target and settings.
    pub fn reset(&mut self) -> Result<()> {
        self.fitter = GpuFitter::new(self.ctx.clone(), &self.template, &self.target, &self.params)?;
        self.step = 0;
        self.history.clear();
        self.vertices = self.template.vertices.clone();
        Ok(())
    }

    /// Changes image size or template level: restarts from the template.
    pub fn restart_with(&mut self, r: RestartSettings) -> Result<()> {
        let params = FitParams { size: r.size, template_level: r.template_level, ..self.params.clone() };
        params.validate()?;
        let target = match &self.source {
            Some((bytes, name)) => single_target(&target::picture_from_bytes(bytes, r.size, Polarity::Auto, name)?, &params)?,
            None if self.target.cameras.len() == 1 => {
                single_target(&target::picture_from_bytes(crate::DEFAULT_TARGET, r.size, Polarity::Auto, "default target")?, &params)?
            }
            None => return Err(Error::invalid("size changes are only supported for single pictures")),
        };
        let template = icosphere_template(params.template_level, params.template_radius)?;
        let fitter = GpuFitter::new(self.ctx.clone(), &template, &target, &params)?;
        (self.params, self.target, self.template, self.fitter) = (params, target, template, fitter);
        self.step = 0;
        self.history.clear();
        self.vertices = self.template.vertices.clone();
        Ok(())
    }

    /// Loads a picture (drag and drop, Open…) and restarts on it; on error the current fit goes on and
    /// the message is kept in `error`.
    pub fn load_picture(&mut self, path: &Path) -> bool {
        let result = (|| -> Result<(FitTarget, Vec<u8>, String)> {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            let name = path.display().to_string();
            let mask = target::picture_from_bytes(&bytes, self.params.size, Polarity::Auto, &name)?;
            Ok((single_target(&mask, &self.params)?, bytes, name))
        })()
        .and_then(|(target, bytes, name)| {
            let fitter = GpuFitter::new(self.ctx.clone(), &self.template, &target, &self.params)?;
            Ok((target, fitter, bytes, name))
        });
        match result {
            Ok((target, fitter, bytes, name)) => {
                (self.target, self.fitter, self.source) = (target, fitter, Some((bytes, name)));
                self.step = 0;
                self.history.clear();
                self.vertices = self.template.vertices.clone();
                self.error = None;
                true
            }
            Err(e) => {
                self.error = Some(e.to_string());
                false
            }
        }
    }

    /// Writes the current mesh as OBJ (atomically).
    pub fn save_obj(&mut self, path: &Path) -> Result<()> {
        Mesh { vertices: self.vertices.clone(), faces: self.template.faces.clone() }.save_obj(path)
    }

    pub fn adapter(&self) -> String {
        self.ctx.describe()
    }
}

/// A one-picture target seen from the front at the parameters' distance and view angle.
pub fn single_target(mask: &target::Mask, params: &FitParams) -> Result<FitTarget> {
    Ok(FitTarget {
        size: mask.width,
        cameras: vec![Camera::new(params.distance, 0.0, 0.0, params.view_angle)?],
        masks: mask.values.clone(),
        names: vec!["picture".into()],
    })
}
