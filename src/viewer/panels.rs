//! egui panels: controls that act on the next step, readouts, the loss/IoU plot, the target, the live
//! silhouette and their difference; files (open, drag and drop, save) and keyboard shortcuts.
use super::scene::Wireframe;
use super::{Fit, Timing, ViewerSet};
use crate::session::RestartSettings;
use bevy::prelude::*;
use bevy::window::FileDragAndDrop;
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass, egui};

/// Set by the "Step" button: one step on the next frame.
#[derive(Resource, Default)]
pub struct SingleStep(pub bool);

/// Pending edits of the settings that restart the fit.
#[derive(Resource)]
struct Restart(RestartSettings);

/// The image panels: target, silhouette and difference of the selected view, and for multi-view fits
/// a strip of every view's difference; Bevy images shown by egui, refreshed when new results arrive.
#[derive(Resource, Default)]
struct Images {
    /// (Bevy image, egui id) for target, silhouette, difference, strip; rebuilt when the layout changes.
    slots: Vec<(Handle<Image>, egui::TextureId)>,
    /// (image size, views) the slots were made for.
    layout: (u32, usize),
    /// The session's `version` and the selected view last drawn.
    drawn: (u64, usize),
    /// The same for the side view, and when it was last rendered (on the CPU, at most 4 times a second).
    side_drawn: (u64, usize, Option<std::time::Instant>),
}

/// Side of the side-view image (the mesh seen from 90° beside the selected view).
const SIDE: u32 = 96;

/// What the panels leave of the window for the 3D view (egui points), and whether the pointer may
/// steer the orbit camera (it is over that area and not dragging a widget).
#[derive(Resource, Default)]
pub struct SceneArea {
    pub rect: Option<egui::Rect>,
    pub pointer_free: bool,
}

/// The view shown in the image panels (and framed in the 3D view).
#[derive(Resource, Default)]
pub struct SelectedView(pub usize);

/// Thumbnails of the strip: at most this many pixels a side, this many a row.
const THUMB: u32 = 48;
const STRIP_COLUMNS: usize = 30;

/// Strip layout for `views` views of `size`²: (thumbnail side, columns, rows).
fn strip_layout(size: u32, views: usize) -> (u32, usize, usize) {
    let cols = views.clamp(1, STRIP_COLUMNS);
    (size.min(THUMB), cols, views.div_ceil(cols))
}

/// Every view's difference image, shrunk (nearest pixel) into one atlas; the selected one framed in yellow.
fn strip_rgba(target: &[f32], sil: &[f32], size: u32, views: usize, selected: usize) -> Vec<u8> {
    let (t, cols, rows) = strip_layout(size, views);
    let (t, size) = (t as usize, size as usize);
    let (w, h) = (cols * t, rows * t);
    let npix = size * size;
    let mut out = vec![0u8; w * h * 4];
    for v in 0..views.min(sil.len() / npix.max(1)) {
        let (ox, oy) = ((v % cols) * t, (v / cols) * t);
        for y in 0..t {
            for x in 0..t {
                let src = v * npix + (y * size / t) * size + x * size / t;
                let edge = x == 0 || y == 0 || x + 1 == t || y + 1 == t;
                let px = if v == selected && edge { [255, 220, 0, 255] } else { diff_pixel(target[src], sil[src]) };
                let dst = ((oy + y) * w + ox + x) * 4;
                out[dst..dst + 4].copy_from_slice(&px);
            }
        }
    }
    out
}

pub fn plugin(app: &mut App) {
    app.add_plugins(EguiPlugin::default())
        .init_resource::<SingleStep>()
        .init_resource::<SelectedView>()
        .init_resource::<SceneArea>()
        .init_resource::<Images>()
        .add_systems(Startup, |mut commands: Commands, fit: Res<Fit>| {
            let p = &fit.0.params;
            commands.insert_resource(Restart(RestartSettings { size: p.size, template_level: p.template_level }));
        })
        .add_systems(Update, (keyboard, drag_and_drop).in_set(ViewerSet::Input))
        .add_systems(EguiPrimaryContextPass, ui);
}

/// RGBA8 bytes of a gray image in [0, 1].
fn gray_rgba(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|v| {
            let g = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            [g, g, g, 255]
        })
        .collect()
}

/// Target only: blue; mesh only: red; both: white.
fn diff_pixel(t: f32, s: f32) -> [u8; 4] {
    match (t > 0.5, s > 0.5) {
        (true, true) => [255, 255, 255, 255],
        (true, false) => [60, 120, 255, 255],
        (false, true) => [255, 70, 50, 255],
        (false, false) => [0, 0, 0, 255],
    }
}

fn diff_rgba(target: &[f32], sil: &[f32]) -> Vec<u8> {
    target.iter().zip(sil).flat_map(|(&t, &s)| diff_pixel(t, s)).collect()
}

fn blank_image(width: u32, height: u32) -> Image {
    use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
    Image::new_fill(
        Extent3d { width, height, depth_or_array_layers: 1 },
        TextureDimension::D2,
        &[0, 0, 0, 255],
        TextureFormat::Rgba8UnormSrgb,
        bevy::asset::RenderAssetUsages::default(),
    )
}

/// Shortcuts, except while a text field (e.g. a slider's typed value) has the keyboard.
fn keyboard(keys: Res<ButtonInput<KeyCode>>, mut fit: ResMut<Fit>, mut contexts: EguiContexts) {
    if contexts.ctx_mut().is_ok_and(|c| c.egui_wants_keyboard_input()) {
        return;
    }
    let ctrl = keys.any_pressed([KeyCode::ControlLeft, KeyCode::ControlRight]);
    if keys.just_pressed(KeyCode::Space) {
        fit.0.playing = !fit.0.playing;
    }
    if keys.just_pressed(KeyCode::KeyR)
        && !ctrl
        && let Err(e) = fit.0.reset()
    {
        fit.0.error = Some(e.to_string());
    }
    if ctrl && keys.just_pressed(KeyCode::KeyO) {
        open_dialog(&mut fit);
    }
    if ctrl && keys.just_pressed(KeyCode::KeyS) {
        save_dialog(&mut fit);
    }
}

fn drag_and_drop(mut drops: MessageReader<FileDragAndDrop>, mut fit: ResMut<Fit>) {
    for d in drops.read() {
        if let FileDragAndDrop::DroppedFile { path_buf, .. } = d {
            fit.0.load_picture(path_buf);
        }
    }
}

/// A native dialog; with no desktop portal (e.g. under Xvfb) it returns nothing: treated as cancelled.
fn open_dialog(fit: &mut Fit) {
    if let Some(p) = rfd::FileDialog::new().add_filter("images", &["png", "jpg", "jpeg", "bmp", "webp", "tif", "tiff", "gif"]).pick_file() {
        fit.0.load_picture(&p);
    }
}

fn save_dialog(fit: &mut Fit) {
    if let Some(p) = rfd::FileDialog::new().add_filter("OBJ", &["obj"]).set_file_name("result.obj").save_file()
        && let Err(e) = fit.0.save_obj(&p)
    {
        fit.0.error = Some(e.to_string());
    }
}

fn log_slider(ui: &mut egui::Ui, label: &str, value: &mut f64, range: std::ops::RangeInclusive<f64>) -> bool {
    ui.add(egui::Slider::new(value, range).logarithmic(true).text(label)).changed()
}

#[allow(clippy::too_many_arguments)]
fn ui(
    mut contexts: EguiContexts,
    mut fit: ResMut<Fit>,
    mut single: ResMut<SingleStep>,
    mut restart: ResMut<Restart>,
    mut images: ResMut<Images>,
    mut selected: ResMut<SelectedView>,
    mut area: ResMut<SceneArea>,
    mut wire: ResMut<Wireframe>,
    timing: Res<Timing>,
    mut assets: ResMut<Assets<Image>>,
) -> Result {
    let (size, views) = (fit.0.target.size, fit.0.target.cameras.len());
    if images.layout != (size, views) {
        for (h, _) in std::mem::take(&mut images.slots) {
            contexts.remove_image(&h);
        }
        // target, silhouette, difference, side view; the strip only for several views
        let (t, cols, rows) = strip_layout(size, views);
        let strip = (views > 1).then_some((t * cols as u32, t * rows as u32));
        for (w, h) in [(size, size); 3].into_iter().chain([(SIDE, SIDE)]).chain(strip) {
            let h = assets.add(blank_image(w, h));
            let id = contexts.add_image(bevy_egui::EguiTextureHandle::Strong(h.clone()));
            images.slots.push((h, id));
        }
        images.layout = (size, views);
        selected.0 = 0;
        images.drawn = (u64::MAX, 0);
        images.side_drawn = (u64::MAX, 0, None);
    }
    // redraw when new results came back or another view was picked
    let npix = (size * size) as usize;
    let sel = selected.0.min(views - 1);
    if images.drawn != (fit.0.version, sel) && fit.0.silhouettes.len() == views * npix {
        let s = &fit.0;
        let (target, sil) = (&s.target.masks[sel * npix..(sel + 1) * npix], &s.silhouettes[sel * npix..(sel + 1) * npix]);
        let all = vec![gray_rgba(target), gray_rgba(sil), diff_rgba(target, sil)];
        for (k, bytes) in all.into_iter().enumerate() {
            if let Some(mut img) = assets.get_mut(&images.slots[k].0) {
                img.data = Some(bytes);
            }
        }
        if views > 1
            && let Some(mut img) = assets.get_mut(&images.slots[4].0)
        {
            img.data = Some(strip_rgba(&s.target.masks, &s.silhouettes, size, views, sel));
        }
        images.drawn = (s.version, sel);
    }
    // the side view: rendered on the CPU when the mesh changed, at most 4 times a second
    let due = images.side_drawn.2.is_none_or(|t| t.elapsed().as_secs_f64() > 0.25);
    if (images.side_drawn.0, images.side_drawn.1) != (fit.0.version, sel) && due && !fit.0.vertices.is_empty() {
        let side = fit.0.side_silhouette(sel, SIDE);
        if let Some(mut img) = assets.get_mut(&images.slots[3].0) {
            img.data = Some(gray_rgba(&side));
        }
        images.side_drawn = (fit.0.version, sel, Some(std::time::Instant::now()));
    }
    let ids: Vec<egui::TextureId> = images.slots.iter().map(|(_, id)| *id).collect();
    let ctx = contexts.ctx_mut()?;
    // panels live in a background Ui over the whole window (egui 0.36 shows panels inside a Ui)
    let mut root = egui::Ui::new(
        ctx.clone(),
        "softras-root".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    egui::Panel::left("controls").resizable(false).exact_size(330.0).show(&mut root, |ui| {
        let s = &mut fit.0;
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
        ui.label("acts on the next step:");
        ui.checkbox(&mut s.driver.schedule.on, "σ schedule (log-linear from start to end)");
        if s.driver.schedule.on {
            log_slider(ui, "σ start", &mut s.driver.schedule.start, 1e-6..=1e-1);
            log_slider(ui, "σ end", &mut s.driver.schedule.end, 1e-6..=1e-1);
            ui.add(egui::Slider::new(&mut s.driver.schedule.steps, 2..=10000).logarithmic(true).text("over steps"));
            ui.label(format!("σ now: {:.2e}", s.driver.live.sigma));
        } else {
            log_slider(ui, "σ", &mut s.driver.live.sigma, 1e-6..=1e-1);
        }
        log_slider(ui, "learning rate", &mut s.driver.live.lr, 1e-5..=1.0);
        ui.add(egui::Slider::new(&mut s.driver.live.lambda_lap, 0.0..=1.0).text("λ_lap"));
        ui.add(egui::Slider::new(&mut s.driver.live.lambda_flat, 0.0..=0.01).text("λ_flat"));
        if s.params.has_depth_prior(s.target.cameras.len()) {
            // the depth prior (one view): how strongly depth is held, and how deep the inflation is
            ui.add(egui::Slider::new(&mut s.driver.live.lambda_depth, 0.0..=10.0).text("λ_depth"));
            ui.add(egui::Slider::new(&mut s.driver.live.thickness, 0.05..=3.0).text("thickness"));
        }
        ui.horizontal(|ui| {
            ui.checkbox(&mut s.auto_steps, "auto");
            if s.auto_steps {
                ui.label(format!("{} steps per frame (keeps the device busy)", s.pacer.batch));
            } else {
                ui.add(egui::Slider::new(&mut s.steps_per_frame, 1..=200).text("steps per frame"));
            }
        });
        ui.separator();
        ui.label("restart the fit from the template:");
        ui.add(egui::Slider::new(&mut restart.0.size, 16..=512).text("image size"));
        ui.add(egui::Slider::new(&mut restart.0.template_level, 0..=6).text("template level"));
        if ui.button("Restart with these").clicked()
            && let Err(e) = s.restart_with(restart.0)
        {
            s.error = Some(e.to_string());
        }
        ui.separator();
        ui.horizontal(|ui| {
            if ui.button("Open image… (Ctrl+O)").clicked() {
                open_dialog(&mut fit);
            }
            if ui.button("Save OBJ… (Ctrl+S)").clicked() {
                save_dialog(&mut fit);
            }
        });
        let s = &mut fit.0;
        ui.separator();
        let last = s.history().last();
        ui.label(format!(
            "step {}   loss {}   IoU {}",
            s.done(),
            last.map_or("-".into(), |h| format!("{:.4}", h.loss)),
            last.map_or("-".into(), |h| format!("{:.4}", h.soft_iou_mean))
        ));
        ui.label(format!("{:.1} steps/s   {:.1} frames/s", timing.steps_per_second, timing.fps));
        if let Some(e) = &s.error {
            ui.colored_label(egui::Color32::from_rgb(255, 90, 80), e);
        }
        let loss: egui_plot::PlotPoints = s.history().iter().map(|h| [h.step as f64, h.loss]).collect();
        let iou: egui_plot::PlotPoints = s.history().iter().map(|h| [h.step as f64, h.soft_iou_mean]).collect();
        egui_plot::Plot::new("history").height(150.0).legend(egui_plot::Legend::default()).show(ui, |p| {
            p.line(egui_plot::Line::new("loss", loss));
            p.line(egui_plot::Line::new("soft IoU", iou));
        });
    });
    let strip = views > 1;
    let (t, cols, rows) = strip_layout(size, views);
    let strip_height = (rows as f32 * t as f32 + 24.0).min(170.0);
    egui::Panel::bottom("images").resizable(false).exact_size(190.0 + if strip { strip_height } else { 0.0 }).show(&mut root, |ui| {
        let s = &fit.0;
        ui.horizontal(|ui| {
            for (name, id) in ["target", "soft silhouette", "difference"].iter().zip(&ids) {
                ui.vertical(|ui| {
                    ui.label(*name);
                    ui.image((*id, egui::vec2(160.0, 160.0)));
                });
            }
            ui.vertical(|ui| {
                ui.label(format!("mesh from 90° beside (azimuth {:.0}°)", s.side_camera(sel).azimuth + 0.0));
                ui.image((ids[3], egui::vec2(160.0, 160.0)));
            });
            ui.vertical(|ui| {
                ui.label("blue: target only");
                ui.label("red: mesh only");
                ui.label("white: both");
                ui.label(format!("silhouettes at σ = {:.2e}", s.shown_sigma));
                if strip {
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
            });
        });
        if strip {
            ui.label("all views (click one to show it above):");
            egui::ScrollArea::both().max_height(strip_height).show(ui, |ui| {
                let img = egui::Image::new((ids[4], egui::vec2((t as usize * cols) as f32, (t as usize * rows) as f32)))
                    .sense(egui::Sense::click());
                let r = ui.add(img);
                if let Some(p) = r.interact_pointer_pos().filter(|_| r.clicked()) {
                    let (x, y) = ((p.x - r.rect.min.x) / t as f32, (p.y - r.rect.min.y) / t as f32);
                    let v = y.max(0.0) as usize * cols + (x.max(0.0) as usize).min(cols - 1);
                    if v < views {
                        selected.0 = v;
                    }
                }
            });
        }
    });
    let free = root.available_rect_before_wrap();
    area.rect = Some(free);
    area.pointer_free = !ctx.egui_is_using_pointer() && ctx.pointer_hover_pos().is_some_and(|p| free.contains(p));
    Ok(())
}
