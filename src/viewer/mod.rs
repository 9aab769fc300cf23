//! The Bevy viewer (feature `gui`): the deforming mesh in 3D, the target and the live silhouette, egui
//! controls that act on the next step. It owns no math: every frame it asks the [`Session`] for a few
//! steps and uploads the vertices that have come back into the Bevy mesh; no frame waits for the device.
//! One plugin per concern (scene, frusta, panels, strip, plot, files); their shared state is in
//! [`state`], which they all import and which imports none of them.
mod files;
mod frusta;
mod panels;
mod pixels;
mod plot;
mod scene;
mod state;
mod strip;
mod views;

use crate::session::Session;
use bevy::prelude::*;
use bevy_egui::EguiPrimaryContextPass;
pub use state::ViewerOptions;
use state::{
    AddAs, FileRequest, Fit, Layout, Options, PanelSet, SceneArea, SelectedView, SingleStep, Timing, ViewerSet, ViewsArea, Wireframe,
};

/// Whether a display is there to open a window on.
pub fn display_available() -> bool {
    std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// Opens the window and runs until it is closed (or the screenshot is taken).
pub fn run(session: Session, options: ViewerOptions) -> crate::Result<()> {
    if !display_available() {
        return Err(crate::Error::invalid(
            "no display (neither DISPLAY nor WAYLAND_DISPLAY is set): run `softras fit` for the same fit without a window, \
             or start the viewer under X (e.g. xvfb-run -a softras view)",
        ));
    }
    let screenshot = options.screenshot.clone();
    let exit = App::new()
        .add_plugins(
            DefaultPlugins
                .build()
                .set(WindowPlugin {
                    primary_window: Some(Window {
                        title: "softras — soft rasterizer mesh fitting".into(),
                        resolution: (1280u32, 800u32).into(),
                        ..default()
                    }),
                    ..default()
                })
                // `log` and `tracing` both end here (RUST_LOG overrides the filter)
                .set(bevy::log::LogPlugin {
                    level: bevy::log::Level::WARN,
                    filter: "warn,winit=error,bevy_egui=error".into(),
                    ..default()
                }),
        )
        .add_plugins(plugin)
        .insert_resource(Fit(session))
        .insert_resource(Options(options))
        .run();
    if let AppExit::Error(code) = exit {
        return Err(crate::Error::Gpu(format!("the viewer stopped with code {code} (see the messages above)")));
    }
    match screenshot {
        Some(p) if !p.exists() => Err(crate::Error::Gpu(format!(
            "the viewer closed before writing the screenshot {} (a rendering error? see the messages above)",
            p.display()
        ))),
        _ => Ok(()),
    }
}

/// The root plugin: the shared state, the order of a frame set once, the fit's step, one child plugin
/// per concern.
pub fn plugin(app: &mut App) {
    use PanelSet::*;
    app.init_resource::<Timing>()
        .init_resource::<SingleStep>()
        .init_resource::<Wireframe>()
        .init_resource::<SelectedView>()
        .init_resource::<FileRequest>()
        .init_resource::<AddAs>()
        .init_resource::<ViewsArea>()
        .init_resource::<SceneArea>()
        .init_resource::<Layout>()
        .configure_sets(Update, (ViewerSet::Input, ViewerSet::Fit, ViewerSet::Scene).chain())
        .configure_sets(EguiPrimaryContextPass, (Begin, Controls, Views, Plot, Strip, Images, End).chain())
        .add_systems(Update, fit_step.in_set(ViewerSet::Fit))
        .add_plugins((scene::plugin, frusta::plugin, panels::plugin, strip::plugin, plot::plugin, files::plugin, views::plugin));
}

/// Takes the results that came back and queues this frame's steps, without waiting for the device
/// (one step when the panels' single-step button set `SingleStep`).
fn fit_step(mut fit: ResMut<Fit>, mut single: ResMut<SingleStep>, mut timing: ResMut<Timing>) {
    let s = &mut fit.0;
    if let Err(e) = s.frame(std::mem::take(&mut single.0)) {
        s.error = Some(e.to_string());
        s.playing = false;
    }
    let now = std::time::Instant::now();
    timing.frames += 1;
    match timing.last {
        Some((t, f, st)) if now.duration_since(t).as_secs_f64() >= 2.0 => {
            let dt = now.duration_since(t).as_secs_f64();
            timing.fps = (timing.frames - f) as f64 / dt;
            timing.steps_per_second = (s.done().saturating_sub(st)) as f64 / dt;
            timing.last = Some((now, timing.frames, s.done()));
        }
        None => timing.last = Some((now, timing.frames, s.done())),
        _ => {}
    }
}
