//! Files and shortcuts: Space plays or pauses, R resets, Ctrl+O opens a picture, Ctrl+S saves the mesh
//! (also the panels' buttons, through [`FileRequest`]), the Views panel's dialogs; dropped files;
//! `--screenshot`.
use super::state::{AddAs, FileRequest, Fit, Options, Timing, ViewerSet, ViewsArea};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use bevy::window::FileDragAndDrop;
use bevy_egui::EguiContexts;

pub fn plugin(app: &mut App) {
    app.add_systems(Update, (keyboard, drag_and_drop, dialogs).chain().in_set(ViewerSet::Input))
        .add_systems(Update, screenshot.in_set(ViewerSet::Scene));
}

/// Shortcuts, except while a text field (e.g. a slider's typed value) has the keyboard.
fn keyboard(keys: Res<ButtonInput<KeyCode>>, mut fit: ResMut<Fit>, mut request: ResMut<FileRequest>, mut contexts: EguiContexts) {
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
    request.open |= ctrl && keys.just_pressed(KeyCode::KeyO);
    request.save |= ctrl && keys.just_pressed(KeyCode::KeyS);
}

/// A picture dropped on the Views panel is added as a view ([`AddAs`]); anywhere else it replaces the
/// target. The pointer's place is the window's cursor, or egui's last pointer position when the window
/// does not know it during a drag.
fn drag_and_drop(
    mut drops: MessageReader<FileDragAndDrop>,
    mut fit: ResMut<Fit>,
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
    area: Res<ViewsArea>,
    add_as: Res<AddAs>,
    mut contexts: EguiContexts,
) {
    let pointer = windows
        .single()
        .ok()
        .and_then(|w| w.cursor_position())
        .map(|p| bevy_egui::egui::pos2(p.x, p.y))
        .or_else(|| contexts.ctx_mut().ok().and_then(|c| c.input(|i| i.pointer.latest_pos())));
    let on_panel = matches!((area.0, pointer), (Some(r), Some(p)) if r.contains(p));
    for d in drops.read() {
        if let FileDragAndDrop::DroppedFile { path_buf, .. } = d {
            if on_panel {
                add_view(&mut fit, path_buf, &add_as);
            } else {
                fit.0.load_picture(path_buf);
            }
        }
    }
}

fn add_view(fit: &mut Fit, path: &std::path::Path, add_as: &AddAs) {
    let label = (add_as.name != "custom").then_some(add_as.name.as_str());
    if let Err(e) = fit.0.add_picture(path, label, add_as.elevation, add_as.azimuth) {
        fit.0.error = Some(e.to_string());
    }
}

/// The picture formats the dialogs offer.
const PICTURES: [&str; 8] = ["png", "jpg", "jpeg", "bmp", "webp", "tif", "tiff", "gif"];

/// Native dialogs; with no desktop portal (e.g. under Xvfb) they return nothing: treated as cancelled.
fn dialogs(mut request: ResMut<FileRequest>, mut fit: ResMut<Fit>, add_as: Res<AddAs>) {
    if std::mem::take(&mut request.open)
        && let Some(p) = rfd::FileDialog::new().add_filter("images", &PICTURES).pick_file()
    {
        fit.0.load_picture(&p);
    }
    if std::mem::take(&mut request.add_view)
        && let Some(p) = rfd::FileDialog::new().add_filter("images", &PICTURES).pick_file()
    {
        add_view(&mut fit, &p, &add_as);
    }
    if std::mem::take(&mut request.save_views)
        && let Some(p) = rfd::FileDialog::new().add_filter("views CSV", &["csv"]).set_file_name("views.csv").save_file()
        && let Err(e) = fit.0.save_views(&p)
    {
        fit.0.error = Some(e.to_string());
    }
    if std::mem::take(&mut request.open_views)
        && let Some(p) = rfd::FileDialog::new().add_filter("views CSV", &["csv"]).pick_file()
        && let Err(e) = fit.0.open_views(&p)
    {
        fit.0.error = Some(e.to_string());
    }
    if std::mem::take(&mut request.save)
        && let Some(p) =
            rfd::FileDialog::new().add_filter("OBJ", &["obj"]).add_filter("PLY", &["ply"]).set_file_name("result.obj").save_file()
        && let Err(e) = fit.0.save_mesh(&p)
    {
        fit.0.error = Some(e.to_string());
    }
}

/// `--screenshot PATH --after-steps N`: once N steps are done and the scene has had time to build
/// (pipelines compile in the background on lavapipe), save the window and exit.
fn screenshot(
    mut commands: Commands,
    fit: Res<Fit>,
    options: Res<Options>,
    timing: Res<Timing>,
    mut state: Local<(u32, Option<u32>)>,
    mut exit: MessageWriter<AppExit>,
) {
    let Some(path) = options.0.screenshot.clone() else { return };
    state.0 += 1;
    let frame = state.0;
    match state.1 {
        None if fit.0.done() >= options.0.after_steps && frame >= 90 => {
            commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path));
            state.1 = Some(frame);
        }
        Some(at) if path.exists() && frame > at + 5 => {
            let s = &fit.0;
            eprintln!(
                "viewer: {} steps, {:.1} frames/s, {:.1} steps/s at exit ({} steps per frame{})",
                s.done(),
                timing.fps,
                timing.steps_per_second,
                if s.auto_steps { s.pacer.batch } else { s.steps_per_frame },
                if s.auto_steps { ", auto" } else { "" }
            );
            exit.write(AppExit::Success);
        }
        Some(at) if frame > at + 600 => {
            eprintln!("error: the screenshot was not written");
            exit.write(AppExit::from_code(1));
        }
        _ => {}
    }
}
