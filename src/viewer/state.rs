//! The viewer's shared state: the resources the plugins read and write, and the order of a frame.
//! Every plugin imports this module and none imports another plugin.
use crate::session::Session;
use bevy::prelude::*;
use bevy_egui::egui;
use std::path::PathBuf;

/// Options of `softras view` besides the fit's own.
#[derive(Clone, Debug, Default)]
pub struct ViewerOptions {
    /// Take a screenshot after `after_steps` steps, then exit.
    pub screenshot: Option<PathBuf>,
    pub after_steps: u32,
}

/// The session, as a Bevy resource.
#[derive(Resource)]
pub struct Fit(pub Session);

#[derive(Resource, Clone, Default)]
pub struct Options(pub ViewerOptions);

/// Frame and step timing for the readouts.
#[derive(Resource, Default)]
pub struct Timing {
    pub frames: u32,
    pub fps: f64,
    pub steps_per_second: f64,
    /// When the rates were last measured: (time, frames, steps done).
    pub last: Option<(std::time::Instant, u32, u32)>,
}

/// One chained set per frame in `Update`: input → fit → scene.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum ViewerSet {
    Input,
    Fit,
    Scene,
}

/// The egui systems, chained: each panel takes its side of what the ones before left ([`Layout`]);
/// the first panel added is the outermost.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum PanelSet {
    /// The whole window is free.
    Begin,
    /// The controls on the left, with room for the plot under them.
    Controls,
    /// The views editor on the right.
    Views,
    Plot,
    /// The strip of every view's difference, at the bottom (multi-view fits).
    Strip,
    /// Target, silhouette, difference and side view, above the strip.
    Images,
    /// What is left is the 3D view's ([`SceneArea`]).
    End,
}

/// Set by the "Step" button: one step on the next frame.
#[derive(Resource, Default)]
pub struct SingleStep(pub bool);

/// Show the mesh's edges (a second, line-list mesh over the same vertices).
#[derive(Resource, Default)]
pub struct Wireframe(pub bool);

/// The view shown in the image panels (and framed in the 3D view and the strip).
#[derive(Resource, Default)]
pub struct SelectedView(pub usize);

/// A file dialog asked for by a button or a shortcut, opened by the files plugin.
#[derive(Resource, Default)]
pub struct FileRequest {
    /// A picture to fit instead of the target.
    pub open: bool,
    pub save: bool,
    /// A picture to add as a view ([`AddAs`]).
    pub add_view: bool,
    /// The views as a CSV with their masks.
    pub save_views: bool,
    pub open_views: bool,
}

/// How the Views panel adds the next picture (a button's dialog, or a picture dropped on the panel).
#[derive(Resource, Clone, Debug)]
pub struct AddAs {
    /// A sheet preset's name (front, side, top, …) or "custom".
    pub name: String,
    pub elevation: f64,
    pub azimuth: f64,
}

impl Default for AddAs {
    fn default() -> Self {
        AddAs { name: "right".into(), elevation: 0.0, azimuth: 90.0 }
    }
}

/// Where the Views panel is this frame (egui points): a picture dropped there is added as a view,
/// anywhere else it replaces the target.
#[derive(Resource, Default)]
pub struct ViewsArea(pub Option<egui::Rect>);

/// What the panels leave of the window for the 3D view (egui points), and whether the pointer may
/// steer the orbit camera (it is over that area and not dragging a widget).
#[derive(Resource, Default)]
pub struct SceneArea {
    pub rect: Option<egui::Rect>,
    pub pointer_free: bool,
}

/// The window's layout as the egui systems build it this frame.
#[derive(Resource)]
pub struct Layout {
    /// What the panels shown so far have left.
    pub free: egui::Rect,
    /// The room under the controls, for the plot.
    pub plot: Option<egui::Rect>,
}

impl Default for Layout {
    fn default() -> Self {
        Layout { free: egui::Rect::NOTHING, plot: None }
    }
}

impl Layout {
    /// A background Ui over what is free, for one panel (`id` unique per system): egui 0.36 shows
    /// panels inside a Ui.
    pub fn ui(&self, ctx: &egui::Context, id: &'static str) -> egui::Ui {
        egui::Ui::new(ctx.clone(), id.into(), egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(self.free))
    }

    /// What `ui` has left after its panel becomes the free area.
    pub fn took(&mut self, ui: &egui::Ui) {
        self.free = ui.available_rect_before_wrap();
    }
}
