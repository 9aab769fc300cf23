//! `softras view` (the default command): the fit of `fit`'s flags, live in the Bevy viewer.
use super::args::FitArgs;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct ViewArgs {
    #[command(flatten)]
    fit: FitArgs,
    /// Save a screenshot of the window here after --after-steps steps, then exit (for tests and docs).
    #[arg(long)]
    screenshot: Option<PathBuf>,
    /// Steps to run before the screenshot.
    #[arg(long, default_value_t = 0, requires = "screenshot")]
    after_steps: u32,
    /// Start paused (Space plays).
    #[arg(long)]
    paused: bool,
    /// Steps per frame (turns the automatic choice off). Default: automatic on a real GPU (as many as keep
    /// the device busy between frames), 1 on a CPU adapter such as lavapipe.
    #[arg(long, conflicts_with = "auto_steps", value_parser = clap::value_parser!(u32).range(1..))]
    steps_per_frame: Option<u32>,
    /// Choose the steps per frame automatically, also on a CPU adapter.
    #[arg(long)]
    auto_steps: bool,
}

/// Opens the viewer. It always fits on the GPU: --backend is accepted (the flags are `fit`'s) and not used.
#[cfg(feature = "gui")]
pub fn run(a: ViewArgs) -> softras::Result<()> {
    use super::args::check_files;
    use super::targets::{load_targets, template};
    if !softras::viewer::display_available() {
        return Err(softras::Error::invalid(
            "no display to open the viewer on (DISPLAY/WAYLAND_DISPLAY unset): run `softras fit` for the same fit \
             without a window, or use xvfb-run",
        ));
    }
    check_files(&a.fit, false, &[("--screenshot", a.screenshot.as_deref())])?;
    let mut params = a.fit.params();
    params.validate()?;
    let (target, _, views) = load_targets(&a.fit, &mut params)?;
    params.validate()?;
    // a user's --template is kept for every restart; otherwise each target gets its default start
    let template = match &a.fit.template {
        Some(_) => Some(template(&a.fit, &params, &target)?),
        None => None,
    };
    let ctx = softras::gpu::GpuContext::shared()?;
    let mut session = softras::session::Session::with_views(ctx, params, views, template)?;
    session.playing = !a.paused;
    if let Some(n) = a.steps_per_frame {
        (session.steps_per_frame, session.auto_steps) = (n, false);
    }
    session.auto_steps |= a.auto_steps;
    softras::viewer::run(session, softras::viewer::ViewerOptions { screenshot: a.screenshot, after_steps: a.after_steps })
}

/// Without the `gui` feature there is no viewer: says so.
#[cfg(not(feature = "gui"))]
pub fn run(_: ViewArgs) -> softras::Result<()> {
    Err(softras::Error::invalid(
        "this softras was built without the viewer (cargo feature `gui`): run `softras fit` for the same fit without a window",
    ))
}
