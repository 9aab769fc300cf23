//! The Views panel on the right: the target's views with their processed masks, angles, projection,
//! weight, invert and threshold (previewed live, applied when let go), remove; adding a picture with a
//! preset angle or typed angles; saving and opening the views as a CSV. Every edit continues the fit
//! from the current mesh ([`Session::edit_views`]); "Restart" starts over from the target's start.
use super::state::{AddAs, FileRequest, Fit, Layout, PanelSet, SelectedView, ViewsArea};
use crate::camera::Projection;
use crate::session::Session;
use crate::views::{Placement, View, sheet_presets};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

/// Side of a view's thumbnail, pixels.
const THUMB: u32 = 56;

pub fn plugin(app: &mut App) {
    app.init_resource::<Panel>().add_systems(EguiPrimaryContextPass, views.in_set(PanelSet::Views));
}

/// One view's settings as the widgets edit them, before they reach the fit.
#[derive(Clone, Debug, PartialEq)]
struct Draft {
    elevation: f64,
    azimuth: f64,
    weight: f32,
    invert: bool,
    threshold: Option<f32>,
}

impl Draft {
    fn of(v: &View) -> Draft {
        let (elevation, azimuth) = v.angles();
        // + 0.0: SoftRas's azimuths 0, −15, … start at −0, which the panel would show as "−0°"
        Draft { elevation: elevation + 0.0, azimuth: azimuth + 0.0, weight: v.weight, invert: v.invert, threshold: v.threshold }
    }

    /// `v` with these settings.
    fn apply(&self, v: &mut View) -> crate::Result<()> {
        (v.weight, v.invert, v.threshold) = (self.weight, self.invert, self.threshold);
        v.placement = match v.placement {
            Placement::Sheet { .. } => Placement::Sheet { elevation: self.elevation, azimuth: self.azimuth },
            Placement::Camera(c) => Placement::Camera(
                crate::Camera::new(c.distance, self.elevation, self.azimuth, c.view_angle)?.with_projection(c.projection)?,
            ),
            p @ Placement::Centred(_) => p,
        };
        Ok(())
    }
}

/// The panel's state: drafts and thumbnails of the session's views as of `epoch`.
#[derive(Resource, Default)]
struct Panel {
    epoch: Option<u64>,
    drafts: Vec<Draft>,
    thumbs: Vec<egui::TextureHandle>,
}

/// A mask as a gray egui image.
fn gray_image(values: &[f32], size: u32) -> egui::ColorImage {
    let bytes: Vec<u8> = values.iter().map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect();
    egui::ColorImage::from_gray([size as usize, size as usize], &bytes)
}

/// A target's mask `k` shrunk to a thumbnail.
fn thumbnail(s: &Session, k: usize) -> egui::ColorImage {
    let n = s.target.size;
    let npix = (n * n) as usize;
    let m = crate::target::Mask { width: n, height: n, values: s.target.masks[k * npix..(k + 1) * npix].to_vec() };
    match crate::target::resize_mask(&m, THUMB) {
        Ok(t) => gray_image(&t.values, THUMB),
        Err(_) => egui::ColorImage::filled([THUMB as usize; 2], egui::Color32::DARK_RED),
    }
}

impl Panel {
    /// Drafts and thumbnails follow the session after every restart (an edit, a new target).
    fn sync(&mut self, ctx: &egui::Context, s: &Session) {
        if self.epoch == Some(s.epoch) && self.drafts.len() == s.views().len() {
            return;
        }
        self.drafts = s.views().iter().map(Draft::of).collect();
        self.thumbs = (0..s.views().len())
            .map(|k| ctx.load_texture(format!("softras-view-{k}"), thumbnail(s, k), egui::TextureOptions::NEAREST))
            .collect();
        self.epoch = Some(s.epoch);
    }
}

/// What a frame's widgets asked for, done after the panel is drawn.
enum Action {
    None,
    /// Apply the drafts to the views (continue from the current mesh).
    Apply,
    Remove(usize),
    Restart,
}

/// The panel: one row per view, then adding, files and restart.
#[allow(clippy::too_many_arguments)]
fn views(
    mut contexts: EguiContexts,
    mut fit: ResMut<Fit>,
    mut panel: ResMut<Panel>,
    mut add_as: ResMut<AddAs>,
    mut request: ResMut<FileRequest>,
    mut selected: ResMut<SelectedView>,
    mut area: ResMut<ViewsArea>,
    mut layout: ResMut<Layout>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let s = &mut fit.0;
    panel.sync(&ctx, s);
    let mut root = layout.ui(&ctx, "softras-views");
    let mut action = Action::None;
    let shown = egui::Panel::right("views").resizable(false).exact_size(270.0).show(&mut root, |ui| {
        ui.heading(format!("Views ({})", s.views().len()));
        egui::ScrollArea::vertical().max_height((ui.available_height() - 230.0).max(120.0)).auto_shrink([false, true]).show(ui, |ui| {
            for k in 0..s.views().len() {
                let a = view_row(ui, s, &mut panel, k, &mut selected);
                if !matches!(a, Action::None) {
                    action = a;
                }
                ui.separator();
            }
        });
        add_controls(ui, &mut add_as, &mut request);
        ui.separator();
        ui.horizontal(|ui| {
            request.save_views |= ui.button("Save views…").clicked();
            request.open_views |= ui.button("Open views…").clicked();
            if ui.button("Restart").on_hover_text("start over from the target's start shape").clicked() {
                action = Action::Restart;
            }
        });
        for w in &s.view_warnings {
            ui.colored_label(egui::Color32::from_rgb(255, 190, 80), w);
        }
    });
    area.0 = Some(shown.response.rect);
    layout.took(&root);
    let result = match action {
        Action::None => Ok(()),
        Action::Apply => {
            let drafts = panel.drafts.clone();
            s.edit_views(|views| views.iter_mut().zip(&drafts).try_for_each(|(v, d)| d.apply(v)))
        }
        Action::Remove(k) => s.edit_views(|views| {
            views.remove(k);
            Ok(())
        }),
        Action::Restart => s.reset(),
    };
    if let Err(e) = result {
        s.error = Some(e.to_string());
        panel.epoch = None; // back to the views as they are
    }
    Ok(())
}

/// A view's row: thumbnail (click: select), label, angles, projection, weight, invert, threshold, remove.
fn view_row(ui: &mut egui::Ui, s: &Session, panel: &mut Panel, k: usize, selected: &mut SelectedView) -> Action {
    let v = &s.views()[k];
    let mut action = Action::None;
    ui.horizontal(|ui| {
        let thumb =
            egui::Image::new(&panel.thumbs[k]).fit_to_exact_size(egui::vec2(THUMB as f32, THUMB as f32)).sense(egui::Sense::click());
        let r = ui.add(thumb).on_hover_text("the processed mask; click to show this view");
        if r.clicked() {
            selected.0 = k;
        }
        if selected.0 == k {
            ui.painter().rect_stroke(r.rect, 0.0, egui::Stroke::new(2.0, egui::Color32::YELLOW), egui::StrokeKind::Outside);
        }
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                if ui.small_button("✖").on_hover_text("remove this view").clicked() {
                    action = Action::Remove(k);
                }
                // a long file name is cut to the panel's width (the whole name on hover)
                ui.add(egui::Label::new(egui::RichText::new(&v.name).strong()).truncate()).on_hover_text(v.shown());
            });
            let d = &mut panel.drafts[k];
            let camera = s.target.cameras.get(k);
            let projection = match camera.map(|c| c.projection) {
                Some(Projection::Orthographic { width }) => format!("orthographic, {width:.3} wide"),
                _ => "perspective".into(),
            };
            match v.placement {
                Placement::Centred(_) => {
                    ui.add(egui::Label::new(format!("the front, {projection}")).truncate());
                }
                _ => {
                    ui.horizontal(|ui| {
                        let e = ui.add(egui::DragValue::new(&mut d.elevation).range(-90.0..=90.0).speed(1.0).prefix("elev ").suffix("°"));
                        let a = ui.add(egui::DragValue::new(&mut d.azimuth).range(-360.0..=360.0).speed(1.0).prefix("azim ").suffix("°"));
                        if released(&e) || released(&a) {
                            action = Action::Apply;
                        }
                    });
                    let kind = if matches!(v.placement, Placement::Sheet { .. }) { "sheet" } else { "camera" };
                    ui.add(egui::Label::new(format!("{kind} · {projection}")).truncate());
                }
            }
            ui.horizontal(|ui| {
                let w = ui.add(egui::DragValue::new(&mut d.weight).range(0.0..=10.0).speed(0.02).prefix("weight "));
                let i = ui.checkbox(&mut d.invert, "invert");
                if released(&w) || i.changed() {
                    action = Action::Apply;
                }
            });
            ui.horizontal(|ui| {
                let mut fixed = d.threshold.is_some();
                if ui.checkbox(&mut fixed, "threshold").on_hover_text("off: automatic (alpha, or Otsu's)").changed() {
                    d.threshold = fixed.then_some(0.5);
                    action = Action::Apply;
                }
                if let Some(t) = &mut d.threshold {
                    let r = ui.add(egui::Slider::new(t, 0.0..=1.0).show_value(true));
                    if r.changed() {
                        // live preview of this view's mask alone; the fit takes it when the slider is let go
                        let mut draft = v.clone();
                        draft.threshold = Some(*t);
                        draft.invert = d.invert;
                        let image = match draft.preview(THUMB) {
                            Ok(m) => gray_image(&m.values, THUMB),
                            Err(_) => egui::ColorImage::filled([THUMB as usize; 2], egui::Color32::DARK_RED),
                        };
                        panel.thumbs[k].set(image, egui::TextureOptions::NEAREST);
                    }
                    if released(&r) {
                        action = Action::Apply;
                    }
                }
            });
            if let Some(iou) = s.view_ious.get(k) {
                ui.label(format!("soft IoU {iou:.4}"));
            }
        });
    });
    action
}

/// A value widget's edit is over: a drag let go, typing ended, or a click's change.
fn released(r: &egui::Response) -> bool {
    r.drag_stopped() || r.lost_focus() || (r.changed() && !r.dragged() && !r.has_focus())
}

/// The angle a picture is added at (a preset or typed) and how to add it.
fn add_controls(ui: &mut egui::Ui, add_as: &mut AddAs, request: &mut FileRequest) {
    ui.label("add a picture as:");
    ui.horizontal(|ui| {
        egui::ComboBox::from_id_salt("add-as").selected_text(add_as.name.clone()).width(80.0).show_ui(ui, |ui| {
            for (name, elevation, azimuth) in sheet_presets() {
                if ui.selectable_label(add_as.name == name, name).clicked() {
                    *add_as = AddAs { name: name.into(), elevation, azimuth };
                }
            }
            if ui.selectable_label(add_as.name == "custom", "custom").clicked() {
                add_as.name = "custom".into();
            }
        });
        let e = ui.add(egui::DragValue::new(&mut add_as.elevation).range(-90.0..=90.0).prefix("elev ").suffix("°"));
        let a = ui.add(egui::DragValue::new(&mut add_as.azimuth).range(-360.0..=360.0).prefix("azim ").suffix("°"));
        if e.changed() || a.changed() {
            add_as.name = "custom".into();
        }
    });
    request.add_view |= ui.button("Add picture…").clicked();
    ui.small("…or drop a picture on this panel. Dropped on the 3D view, a picture replaces the target.");
}
