//! The strip of views (multi-view fits): every view's difference image in one atlas at the bottom of
//! the window, the selected view framed in yellow; a click selects a view.
use super::pixels::{blank_image, diff_pixel};
use super::state::{Fit, Layout, PanelSet, SelectedView};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, EguiTextureHandle, egui};

/// Thumbnails of the strip: at most this many pixels a side, this many a row.
const THUMB: u32 = 48;
const STRIP_COLUMNS: usize = 30;

/// The strip's image: (Bevy image, egui id), the (image size, views) it was made for, and the
/// session's `version` and the selected view last drawn.
#[derive(Resource, Default)]
struct Strip {
    slot: Option<(Handle<Image>, egui::TextureId)>,
    layout: (u32, usize),
    drawn: (u64, usize),
}

pub fn plugin(app: &mut App) {
    app.init_resource::<Strip>().add_systems(EguiPrimaryContextPass, strip.in_set(PanelSet::Strip));
}

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

/// Makes the strip's image for the current target (none for one view) and redraws it when new results
/// came back or another view was picked.
fn update_image(strip: &mut Strip, contexts: &mut EguiContexts, fit: &Fit, sel: usize, assets: &mut Assets<Image>) {
    let (size, views) = (fit.0.target.size, fit.0.target.cameras.len());
    if strip.layout != (size, views) {
        if let Some((h, _)) = strip.slot.take() {
            contexts.remove_image(&h);
        }
        if views > 1 {
            let (t, cols, rows) = strip_layout(size, views);
            let h = assets.add(blank_image(t * cols as u32, t * rows as u32));
            strip.slot = Some((h.clone(), contexts.add_image(EguiTextureHandle::Strong(h))));
        }
        (strip.layout, strip.drawn) = ((size, views), (u64::MAX, 0));
    }
    let s = &fit.0;
    if strip.drawn != (s.version, sel)
        && s.silhouettes.len() == views * (size * size) as usize
        && let Some(mut img) = strip.slot.as_ref().and_then(|(h, _)| assets.get_mut(h))
    {
        img.data = Some(strip_rgba(&s.target.masks, &s.silhouettes, size, views, sel));
        strip.drawn = (s.version, sel);
    }
}

fn strip(
    mut contexts: EguiContexts,
    fit: Res<Fit>,
    mut strip: ResMut<Strip>,
    mut selected: ResMut<SelectedView>,
    mut layout: ResMut<Layout>,
    mut assets: ResMut<Assets<Image>>,
) -> Result {
    let (size, views) = (fit.0.target.size, fit.0.target.cameras.len());
    update_image(&mut strip, &mut contexts, &fit, selected.0.min(views - 1), &mut assets);
    let Some((_, id)) = strip.slot else { return Ok(()) };
    let (t, cols, rows) = strip_layout(size, views);
    let height = (rows as f32 * t as f32 + 24.0).min(170.0);
    let ctx = contexts.ctx_mut()?;
    let mut root = layout.ui(ctx, "softras-strip");
    egui::Panel::bottom("strip").resizable(false).exact_size(height + 6.0).show(&mut root, |ui| {
        ui.label("all views (click one to show it above):");
        egui::ScrollArea::both().max_height(height).show(ui, |ui| {
            let img =
                egui::Image::new((id, egui::vec2((t as usize * cols) as f32, (t as usize * rows) as f32))).sense(egui::Sense::click());
            let r = ui.add(img);
            if let Some(p) = r.interact_pointer_pos().filter(|_| r.clicked()) {
                let (x, y) = ((p.x - r.rect.min.x) / t as f32, (p.y - r.rect.min.y) / t as f32);
                let v = y.max(0.0) as usize * cols + (x.max(0.0) as usize).min(cols - 1);
                if v < views {
                    selected.0 = v;
                }
            }
        });
    });
    layout.took(&root);
    Ok(())
}
