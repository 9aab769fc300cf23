//! The side panels: egui's own camera over the window, the controls on the left (settings that act on
//! the next step, restart, files, readouts), and above the strip the target, the live silhouette, their
//! difference and the mesh seen from beside; what they leave is the 3D view's.
use super::pixels::{blank_image, diff_rgba, gray_rgba};
use super::state::{FileRequest, Fit, Layout, PanelSet, SceneArea, SelectedView, SingleStep, Timing, Wireframe};
use crate::fit::Optimizer;
use crate::session::{RestartSettings, Session};
use bevy::camera::CameraOutputMode;
use bevy::camera::visibility::RenderLayers;
use bevy::prelude::*;
use bevy::render::render_resource::BlendState;
use bevy_egui::{EguiContexts, EguiGlobalSettings, EguiPlugin, EguiPrimaryContextPass, EguiTextureHandle, PrimaryEguiContext, egui};

/// Pending edits of the settings that restart the fit.
#[derive(Resource)]
struct Restart(RestartSettings);

/// The image panels' Bevy images shown by egui (target, silhouette, difference, side view),
/// refreshed when new results arrive.
#[derive(Resource, Default)]
struct Images {
    /// (Bevy image, egui id) of each; rebuilt when the image size changes.
    slots: Vec<(Handle<Image>, egui::TextureId)>,
    /// The image size the slots were made for.
    size: u32,
    /// The session's `version` and the selected view last drawn.
    drawn: (u64, usize),
    /// The same for the side view, and when it was last rendered (on the CPU, at most 4 times a second).
    side_drawn: (u64, usize, Option<std::time::Instant>),
}

/// Width kept for the legend beside the images.
const LEGEND_WIDTH: f32 = 140.0;

/// Side of the side-view image (the mesh seen from 90° beside the selected view).
const SIDE: u32 = 96;

pub fn plugin(app: &mut App) {
    app.add_plugins(EguiPlugin::default())
        .init_resource::<Images>()
        .add_systems(Startup, setup)
        .add_systems(EguiPrimaryContextPass, begin.in_set(PanelSet::Begin))
        .add_systems(EguiPrimaryContextPass, controls.in_set(PanelSet::Controls))
        .add_systems(EguiPrimaryContextPass, images.in_set(PanelSet::Images))
        .add_systems(EguiPrimaryContextPass, end.in_set(PanelSet::End));
}

/// egui gets a camera of its own over the whole window, so that the 3D camera can render into the
/// area the panels leave free (bevy_egui's side_panel example).
fn setup(mut commands: Commands, fit: Res<Fit>, mut egui_settings: ResMut<EguiGlobalSettings>) {
    egui_settings.auto_create_primary_context = false;
    commands.spawn((
        PrimaryEguiContext,
        Camera2d,
        RenderLayers::none(),
        Camera {
            order: 1,
            output_mode: CameraOutputMode::Write { blend_state: Some(BlendState::ALPHA_BLENDING), clear_color: ClearColorConfig::None },
            clear_color: ClearColorConfig::Custom(Color::NONE),
            ..default()
        },
    ));
    let p = &fit.0.params;
    commands.insert_resource(Restart(RestartSettings::of(p)));
}

/// The whole window is free; a target of another size or number of views selects view 1 again.
fn begin(
    mut contexts: EguiContexts,
    fit: Res<Fit>,
    mut layout: ResMut<Layout>,
    mut selected: ResMut<SelectedView>,
    mut shape: Local<(u32, usize)>,
) -> Result {
    *layout = Layout { free: contexts.ctx_mut()?.viewport_rect(), plot: None };
    let now = (fit.0.target.size, fit.0.target.cameras.len());
    if *shape != now {
        (*shape, selected.0) = (now, 0);
    }
    Ok(())
}

/// What the panels left is the 3D view's; the orbit camera takes the pointer only there.
fn end(mut contexts: EguiContexts, layout: Res<Layout>, mut area: ResMut<SceneArea>) -> Result {
    let ctx = contexts.ctx_mut()?;
    area.rect = Some(layout.free);
    area.pointer_free = !ctx.egui_is_using_pointer() && ctx.pointer_hover_pos().is_some_and(|p| layout.free.contains(p));
    Ok(())
}

fn log_slider(ui: &mut egui::Ui, label: &str, value: &mut f64, range: std::ops::RangeInclusive<f64>) -> bool {
    ui.add(egui::Slider::new(value, range).logarithmic(true).text(label)).changed()
}

/// The left panel; the room left under it is the plot's.
#[allow(clippy::too_many_arguments)]
fn controls(
    mut contexts: EguiContexts,
    mut fit: ResMut<Fit>,
    mut single: ResMut<SingleStep>,
    mut restart: ResMut<Restart>,
    mut wire: ResMut<Wireframe>,
    mut request: ResMut<FileRequest>,
    mut layout: ResMut<Layout>,
    timing: Res<Timing>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let mut root = layout.ui(ctx, "softras-controls");
    let plot = egui::Panel::left("controls").resizable(false).exact_size(330.0).show(&mut root, |ui| {
        let s = &mut fit.0;
        header(ui, s, &mut single, &mut wire);
        live_settings(ui, s);
        ui.separator();
        ui.label("restart the fit from the template:");
        ui.add(egui::Slider::new(&mut restart.0.size, 16..=512).text("image size"));
        ui.add(egui::Slider::new(&mut restart.0.template_level, 0..=6).text("template level"));
        ui.horizontal(|ui| {
            ui.label("optimizer:");
            ui.radio_value(&mut restart.0.optimizer, Optimizer::Adam, "Adam");
            ui.radio_value(&mut restart.0.optimizer, Optimizer::LargeSteps, "large steps");
        });
        if restart.0.optimizer == Optimizer::LargeSteps {
            ui.add(egui::Slider::new(&mut restart.0.smoothness, 0.0..=100.0).text("smoothness λ"));
        }
        if ui.button("Restart with these").clicked()
            && let Err(e) = s.restart_with(restart.0)
        {
            s.error = Some(e.to_string());
        }
        ui.separator();
        ui.horizontal(|ui| {
            request.open |= ui.button("Open image… (Ctrl+O)").clicked();
            request.save |= ui.button("Save mesh… (Ctrl+S)").clicked();
        });
        ui.separator();
        readouts(ui, s, &timing);
        ui.available_rect_before_wrap()
    });
    layout.plot = Some(plot.inner);
    layout.took(&root);
    Ok(())
}

/// The fit's size, play/pause, step, reset, wireframe.
fn header(ui: &mut egui::Ui, s: &mut Session, single: &mut SingleStep, wire: &mut Wireframe) {
    ui.heading("softras");
    ui.label(format!("adapter: {}", s.adapter()));
    ui.label(format!(
        "{} vertices, {} faces, {} view(s) at {}²",
        s.template.vertices.len(),
        s.template.faces.len(),
        s.target.cameras.len(),
        s.target.size
    ));
    ui.separator();
    ui.horizontal(|ui| {
        if ui.button(if s.playing { "⏸ Pause" } else { "▶ Play" }).clicked() {
            s.playing = !s.playing;
        }
        if ui.button("Step").clicked() {
            single.0 = true;
        }
        if ui.button("Reset").clicked()
            && let Err(e) = s.reset()
        {
            s.error = Some(e.to_string());
        }
        ui.checkbox(&mut wire.0, "wireframe");
    });
}

/// The settings that act on the next step, and the steps per frame.
fn live_settings(ui: &mut egui::Ui, s: &mut Session) {
    ui.label("acts on the next step:");
    let d = &mut s.driver;
    ui.checkbox(&mut d.schedule.on, "σ schedule (log-linear from start to end)");
    if d.schedule.on {
        log_slider(ui, "σ start", &mut d.schedule.start, 1e-6..=1e-1);
        log_slider(ui, "σ end", &mut d.schedule.end, 1e-6..=1e-1);
        ui.add(egui::Slider::new(&mut d.schedule.steps, 2..=10000).logarithmic(true).text("over steps"));
        ui.label(format!("σ now: {:.2e}", d.live.sigma));
    } else {
        log_slider(ui, "σ", &mut d.live.sigma, 1e-6..=1e-1);
    }
    log_slider(ui, "learning rate", &mut d.live.lr, 1e-5..=1.0);
    ui.add(egui::Slider::new(&mut d.live.lambda_lap, 0.0..=1.0).text("λ_lap"));
    ui.add(egui::Slider::new(&mut d.live.lambda_flat, 0.0..=0.01).text("λ_flat"));
    if s.params.has_depth_prior(s.target.cameras.len()) {
        // the depth prior (one view): how strongly depth is held, and how deep the inflation is
        ui.add(egui::Slider::new(&mut d.live.lambda_depth, 0.0..=10.0).text("λ_depth"));
        ui.add(egui::Slider::new(&mut d.live.thickness, 0.05..=3.0).text("thickness"));
    }
    ui.horizontal(|ui| {
        ui.checkbox(&mut s.auto_steps, "auto");
        if s.auto_steps {
            ui.label(format!("{} steps per frame (keeps the device busy)", s.pacer.batch));
        } else {
            ui.add(egui::Slider::new(&mut s.steps_per_frame, 1..=200).text("steps per frame"));
        }
    });
}

/// Step, loss, IoU, rates and the last error.
fn readouts(ui: &mut egui::Ui, s: &Session, timing: &Timing) {
    let last = s.history().last();
    ui.label(format!(
        "step {}   loss {}   IoU {}",
        s.done(),
        last.map_or("-".into(), |h| format!("{:.4}", h.loss)),
        last.map_or("-".into(), |h| format!("{:.4}", h.soft_iou_mean))
    ));
    ui.label(format!("{:.1} steps/s   {:.1} frames/s", timing.steps_per_second, timing.fps));
    if let Some(n) = &s.notice {
        ui.weak(n);
    }
    if let Some(e) = &s.error {
        ui.colored_label(egui::Color32::from_rgb(255, 90, 80), e);
    }
}

/// Makes the images for the current image size and redraws them when new results came back or another
/// view was picked; the side view at most 4 times a second (it is rendered on the CPU).
fn update_images(images: &mut Images, contexts: &mut EguiContexts, s: &Session, sel: usize, assets: &mut Assets<Image>) {
    let size = s.target.size;
    if images.size != size || images.slots.is_empty() {
        for (h, _) in std::mem::take(&mut images.slots) {
            contexts.remove_image(&h);
        }
        for side in [size, size, size, SIDE] {
            let h = assets.add(blank_image(side, side));
            images.slots.push((h.clone(), contexts.add_image(EguiTextureHandle::Strong(h))));
        }
        (images.size, images.drawn, images.side_drawn) = (size, (u64::MAX, 0), (u64::MAX, 0, None));
    }
    let npix = (size * size) as usize;
    if images.drawn != (s.version, sel) && s.silhouettes.len() == s.target.cameras.len() * npix {
        let (target, sil) = (&s.target.masks[sel * npix..(sel + 1) * npix], &s.silhouettes[sel * npix..(sel + 1) * npix]);
        for (k, bytes) in [gray_rgba(target), gray_rgba(sil), diff_rgba(target, sil)].into_iter().enumerate() {
            if let Some(mut img) = assets.get_mut(&images.slots[k].0) {
                img.data = Some(bytes);
            }
        }
        images.drawn = (s.version, sel);
    }
    let due = images.side_drawn.2.is_none_or(|t| t.elapsed().as_secs_f64() > 0.25);
    if (images.side_drawn.0, images.side_drawn.1) != (s.version, sel) && due && !s.vertices.is_empty() {
        if let Some(mut img) = assets.get_mut(&images.slots[3].0) {
            img.data = Some(gray_rgba(&s.side_silhouette(sel, SIDE)));
        }
        images.side_drawn = (s.version, sel, Some(std::time::Instant::now()));
    }
}

/// The bottom panel: target, silhouette, difference and side view of the selected view, with a legend.
fn images(
    mut contexts: EguiContexts,
    fit: Res<Fit>,
    mut images: ResMut<Images>,
    selected: Res<SelectedView>,
    mut layout: ResMut<Layout>,
    mut assets: ResMut<Assets<Image>>,
) -> Result {
    let s = &fit.0;
    let views = s.target.cameras.len();
    let sel = selected.0.min(views - 1);
    update_images(&mut images, &mut contexts, s, sel, &mut assets);
    let ids: Vec<egui::TextureId> = images.slots.iter().map(|(_, id)| *id).collect();
    let ctx = contexts.ctx_mut()?;
    let mut root = layout.ui(ctx, "softras-images");
    egui::Panel::bottom("images").resizable(false).exact_size(190.0).show(&mut root, |ui| {
        // four images and the legend across the width the side panels leave (at most 160 px each)
        let side = ((ui.available_width() - LEGEND_WIDTH) / 4.0 - ui.spacing().item_spacing.x).clamp(96.0, 160.0);
        let side_label = format!("from 90° beside (azimuth {:.0}°)", s.side_camera(sel).azimuth + 0.0);
        let names = ["target", "soft silhouette", "difference", side_label.as_str()];
        ui.horizontal(|ui| {
            for (name, id) in names.iter().zip(&ids) {
                ui.vertical(|ui| {
                    // each column as wide as its image; a longer title is cut (whole on hover)
                    ui.set_width(side);
                    ui.add(egui::Label::new(*name).truncate());
                    ui.image((*id, egui::vec2(side, side)));
                });
            }
            ui.vertical(|ui| {
                ui.set_min_width(LEGEND_WIDTH - 10.0);
                legend(ui, s, sel)
            });
        });
    });
    layout.took(&root);
    Ok(())
}

/// The difference colours, σ, and the selected view's camera and soft IoU.
fn legend(ui: &mut egui::Ui, s: &Session, sel: usize) {
    ui.label("blue: target only");
    ui.label("red: mesh only");
    ui.label("white: both");
    ui.label(format!("silhouettes at σ = {:.2e}", s.shown_sigma));
    let views = s.target.cameras.len();
    if views > 1 {
        let c = &s.target.cameras[sel];
        ui.label(format!(
            "view {} of {views} ({}): elevation {:.0}°, azimuth {:.0}°",
            sel + 1,
            s.target.names[sel],
            c.elevation + 0.0,
            c.azimuth + 0.0
        ));
    }
    if let Some(iou) = s.view_ious.get(sel) {
        ui.label(format!("soft IoU of this view: {iou:.4}"));
    }
}
