//! `--backend auto|gpu|cpu` of `render` and `fit`: the one place that picks an engine, the rasterizer or
//! the fitter.
use super::targets::check_fit_memory;
use softras::fit::{FitParams, FitTarget, Fitter, cpu::CpuFitter, gpu::GpuFitter};
use softras::gpu::GpuContext;
use softras::raster::gpu::GpuRaster;
use softras::raster::{SoftRasterizer, cpu::CpuRaster};
use softras::{Error, Mesh, Result};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    // the GPU when an adapter exists, else the CPU reference (with a note saying so)
    Auto,
    Gpu,
    // the f64 CPU reference (slow)
    Cpu,
}

impl Backend {
    /// The GPU context to run on, or None for the CPU reference; with `auto` and no adapter, also the
    /// note that says so.
    fn resolve(self) -> Result<(Option<Arc<GpuContext>>, Option<String>)> {
        match self {
            Backend::Cpu => Ok((None, None)),
            Backend::Gpu => match GpuContext::shared() {
                Ok(ctx) => Ok((Some(ctx), None)),
                // the library's message suggests the CPU backend: say which flag chooses it
                Err(Error::Gpu(m)) if m.contains("no GPU adapter found") => Err(Error::Gpu(format!("{m} (--backend cpu)"))),
                Err(e) => Err(e),
            },
            Backend::Auto => match GpuContext::shared() {
                Ok(ctx) => Ok((Some(ctx), None)),
                Err(e) => Ok((None, Some(format!("backend auto: no GPU adapter ({e}); using the CPU reference (slow)")))),
            },
        }
    }

    /// The rasterizer, and with `auto` a note saying which engine it chose.
    pub fn rasterizer(self) -> Result<(Box<dyn SoftRasterizer>, Option<String>)> {
        match self.resolve()? {
            (Some(ctx), _) => {
                let e = GpuRaster::new(ctx)?;
                let note = (self == Backend::Auto).then(|| format!("backend auto: using {}", e.describe()));
                Ok((Box::new(e), note))
            }
            (None, note) => Ok((Box::new(CpuRaster), note)),
        }
    }

    /// The fitter of `template` toward `target`; prints the note when `auto` falls back to the CPU, whose
    /// fit is refused if it would not fit in memory.
    pub fn fitter(self, template: &Mesh, target: &FitTarget, params: &FitParams) -> Result<Box<dyn Fitter>> {
        let (ctx, note) = self.resolve()?;
        if let Some(n) = note {
            eprintln!("{n}");
        }
        match ctx {
            Some(ctx) => Ok(Box::new(GpuFitter::new(ctx, template, target, params)?)),
            None => {
                check_fit_memory(target.cameras.len(), target.size, Backend::Cpu)?;
                Ok(Box::new(CpuFitter::new(template, target, params)?))
            }
        }
    }
}
