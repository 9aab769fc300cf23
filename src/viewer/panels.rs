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

/// The image panels: three Bevy images shown by egui, refreshed every few frames.
#[derive(Resource, Default)]
struct Images {
    /// (Bevy image, egui id) for target, silhouette, difference; rebuilt when the size changes.
    slots: Vec<(Handle<Image>, egui::TextureId)>,
    size: u32,
    ious: Vec<f64>,
    frame: u32,
}

pub fn plugin(app: &mut App) {
    app.add_plugins(EguiPlugin::default())
        .init_resource::<SingleStep>()
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
    values.iter().flat_map(|v| {
        let g = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        [g, g, g, 255]
    }).collect()
}

/// Target only: blue; mesh only: red; both: white.
fn diff_rgba(target: &[f32], sil: &[f32]) -> Vec<u8> {
    target
        .iter()
        .zip(sil)
        .flat_map(|(&t, &s)| match (t > 0.5, s > 0.5) {
            (true, true) => [255, 255, 255, 255],
            (true, false) => [60, 120, 255, 255],
            (false, true) => [255, 70, 50, 255],
            (false, false) => [0, 0, 0, 255],
        })
        .collect()
}

fn blank_image(size: u32) -> Image {
    use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
    Image::new_fill(
        Extent3d { width: size, height: size, depth_or_array_layers: 1 },
        TextureDimension::D2,
        &[0, 0, 0, 255],
        TextureFormat::Rgba8UnormSrgb,
        bevy::asset::RenderAssetUsages::default(),
    )
}

fn keyboard(keys: Res<ButtonInput<KeyCode>>, mut fit: ResMut<Fit>) {
    let ctrl = keys.any_pressed([KeyCode::ControlLeft, KeyCode::ControlRight]);
    if keys.just_pressed(KeyCode::Space) {
        fit.0.playing = !fit.0.playing;
    }
    if keys.just_pressed(KeyCode::KeyR) && !ctrl {
        if let Err(e) = fit.0.reset() {
            fit.0.error = Some(e.to_string());
        }
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
    if let Some(p) = rfd::FileDialog::new().add_filter("OBJ", &["obj"]).set_file_name("result.obj").save_file() {
        if let Err(e) = fit.0.save_obj(&p) {
            fit.0.error = Some(e.to_string());
        }
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
    mut wire: ResMut<Wireframe>,
    timing: Res<Timing>,
    mut assets: ResMut<Assets<Image>>,
) -> Result {
    // refresh the image panels every 3 frames (one extra forward pass)
    images.frame += 1;
    let size = fit.0.target.size;
    if images.size != size {
        for (h, _) in std::mem::take(&mut images.slots) {
            contexts.remove_image(&h);
        }
        for _ in 0..3 {
            let h = assets.add(blank_image(size));
            let id = contexts.add_image(bevy_egui::EguiTextureHandle::Strong(h.clone()));
            images.slots.push((h, id));
        }
        images.size = size;
        images.frame = 0;
    }
    if images.frame % 3 == 0 {
        let npix = (size * size) as usize;
        let target: Vec<f32> = fit.0.target.masks[..npix].to_vec();
        match fit.0.silhouettes() {
            Ok((sil, ious)) => {
                let s0 = &sil[..npix];
                for (k, bytes) in [gray_rgba(&target), gray_rgba(s0), diff_rgba(&target, s0)].into_iter().enumerate() {
                    if let Some(mut img) = assets.get_mut(&images.slots[k].0) {
                        img.data = Some(bytes);
                    }
                }
                images.ious = ious;
            }
            Err(e) => fit.0.error = Some(e.to_string()),
        }
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
        ui.label(format!("{} vertices, {} faces, {} view(s) at {}²", s.template.vertices.len(), s.template.faces.len(), s.target.cameras.len(), s.target.size));
        ui.separator();
        ui.horizontal(|ui| {
            if ui.button(if s.playing { "⏸ Pause" } else { "▶ Play" }).clicked() {
                s.playing = !s.playing;
            }
            if ui.button("Step").clicked() {
                single.0 = true;
            }
            if ui.button("Reset").clicked() {
                if let Err(e) = s.reset() {
                    s.error = Some(e.to_string());
                }
            }
            ui.checkbox(&mut wire.0, "wireframe");
        });
        ui.label("acts on the next step:");
        log_slider(ui, "σ", &mut s.live.sigma, 1e-6..=1e-1);
        log_slider(ui, "learning rate", &mut s.live.lr, 1e-5..=1.0);
        ui.add(egui::Slider::new(&mut s.live.lambda_lap, 0.0..=1.0).text("λ_lap"));
        ui.add(egui::Slider::new(&mut s.live.lambda_flat, 0.0..=0.01).text("λ_flat"));
        ui.add(egui::Slider::new(&mut s.steps_per_frame, 1..=50).text("steps per frame"));
        ui.separator();
        ui.label("restart the fit from the template:");
        ui.add(egui::Slider::new(&mut restart.0.size, 16..=512).text("image size"));
        ui.add(egui::Slider::new(&mut restart.0.template_level, 0..=6).text("template level"));
        if ui.button("Restart with these").clicked() {
            if let Err(e) = s.restart_with(restart.0) {
                s.error = Some(e.to_string());
            }
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
        let last = s.history.last();
        ui.label(format!(
            "step {}   loss {}   IoU {}",
            s.step,
            last.map_or("-".into(), |h| format!("{:.4}", h.loss)),
            last.map_or("-".into(), |h| format!("{:.4}", h.soft_iou_mean))
        ));
        ui.label(format!("{:.1} steps/s   {:.1} frames/s", timing.steps_per_second, timing.fps));
        if let Some(e) = &s.error {
            ui.colored_label(egui::Color32::from_rgb(255, 90, 80), e);
        }
        let loss: egui_plot::PlotPoints = s.history.iter().map(|h| [h.step as f64, h.loss]).collect();
        let iou: egui_plot::PlotPoints = s.history.iter().map(|h| [h.step as f64, h.soft_iou_mean]).collect();
        egui_plot::Plot::new("history").height(150.0).legend(egui_plot::Legend::default()).show(ui, |p| {
            p.line(egui_plot::Line::new("loss", loss));
            p.line(egui_plot::Line::new("soft IoU", iou));
        });
    });
    egui::Panel::bottom("images").resizable(false).exact_size(190.0).show(&mut root, |ui| {
        ui.horizontal(|ui| {
            for (name, id) in ["target", "soft silhouette", "difference"].iter().zip(&ids) {
                ui.vertical(|ui| {
                    ui.label(*name);
                    ui.image((*id, egui::vec2(160.0, 160.0)));
                });
            }
            ui.vertical(|ui| {
                ui.label("blue: target only");
                ui.label("red: mesh only");
                ui.label("white: both");
                if images.ious.len() > 1 {
                    ui.label(format!("{} views, IoU of view 0 shown: {:.3}", images.ious.len(), images.ious[0]));
                }
            });
        });
    });
    Ok(())
}
