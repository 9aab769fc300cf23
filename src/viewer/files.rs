//! Files and shortcuts: Space plays or pauses, R resets, Ctrl+O opens a picture, Ctrl+S saves the mesh
//! (also the panels' buttons, through [`FileRequest`]), the Views panel's dialogs; dropped files;
//! `--screenshot`.
use super::state::{AddAs, FileRequest, Fit, Options, Timing, ViewerSet, ViewsArea};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use bevy::window::FileDragAndDrop;
use bevy_egui::EguiContexts;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

pub fn plugin(app: &mut App) {
    app.init_resource::<Background>()
        .add_systems(Update, (keyboard, drag_and_drop, dialogs).chain().in_set(ViewerSet::Input))
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
                add_view(&mut fit.0, path_buf, &add_as);
            } else {
                fit.0.load_picture(path_buf);
            }
        }
    }
}

fn add_view(s: &mut crate::session::Session, path: &std::path::Path, add_as: &AddAs) {
    let label = (add_as.name != "custom").then_some(add_as.name.as_str());
    if let Err(e) = s.add_picture(path, label, add_as.elevation, add_as.azimuth) {
        s.error = Some(e.to_string());
    }
}

/// The picture formats the dialogs offer.
const PICTURES: [&str; 8] = ["png", "jpg", "jpeg", "bmp", "webp", "tif", "tiff", "gif"];

/// What a dialog or a save on its own thread reports back.
enum Done {
    /// A picture chosen to replace the target.
    Picture(PathBuf),
    /// A picture chosen to add as a view.
    AddView(PathBuf),
    /// Where to save the mesh.
    SaveMesh(PathBuf),
    /// Where to save the views.
    SaveViews(PathBuf),
    /// A views CSV to open.
    OpenViews(PathBuf),
    /// A save finished: what was written, or why not.
    Saved(crate::Result<String>),
}

/// Dialogs and saves in flight. Each runs on a thread of its own and reports through the channel, so
/// the window keeps drawing (and the fit running) while a dialog is open or a file is written.
#[derive(Resource)]
struct Background {
    tx: Sender<Done>,
    rx: Mutex<Receiver<Done>>,
}

impl Default for Background {
    fn default() -> Self {
        let (tx, rx) = channel();
        Background { tx, rx: Mutex::new(rx) }
    }
}

impl Background {
    fn spawn(&self, work: impl FnOnce() -> Option<Done> + Send + 'static) {
        let tx = self.tx.clone();
        let _ = std::thread::Builder::new().name("softras-files".into()).spawn(move || {
            if let Some(d) = work() {
                let _ = tx.send(d);
            }
        });
    }

    /// A native dialog, opened here (on the main thread, as rfd recommends) and awaited on a thread (with
    /// no desktop portal, e.g. under Xvfb, it returns nothing: cancelled).
    fn dialog(&self, dialog: rfd::AsyncFileDialog, save: bool, then: fn(PathBuf) -> Done) {
        type Pick = std::pin::Pin<Box<dyn std::future::Future<Output = Option<rfd::FileHandle>> + Send>>;
        let pick: Pick = if save { Box::pin(dialog.save_file()) } else { Box::pin(dialog.pick_file()) };
        self.spawn(move || pollster::block_on(pick).map(|f| then(f.path().to_path_buf())));
    }
}

/// Opens the dialogs asked for, and acts on what the dialogs and saves report.
fn dialogs(mut request: ResMut<FileRequest>, mut fit: ResMut<Fit>, add_as: Res<AddAs>, bg: Res<Background>) {
    use rfd::AsyncFileDialog as D;
    let r = &mut *request;
    if std::mem::take(&mut r.open) {
        bg.dialog(D::new().add_filter("images", &PICTURES), false, Done::Picture);
    }
    if std::mem::take(&mut r.add_view) {
        bg.dialog(D::new().add_filter("images", &PICTURES), false, Done::AddView);
    }
    if std::mem::take(&mut r.save) {
        bg.dialog(D::new().add_filter("OBJ", &["obj"]).add_filter("PLY", &["ply"]).set_file_name("result.obj"), true, Done::SaveMesh);
    }
    if std::mem::take(&mut r.save_views) {
        bg.dialog(D::new().add_filter("views CSV", &["csv"]).set_file_name("views.csv"), true, Done::SaveViews);
    }
    if std::mem::take(&mut r.open_views) {
        bg.dialog(D::new().add_filter("views CSV", &["csv"]), false, Done::OpenViews);
    }
    let done: Vec<Done> = bg.rx.lock().map(|rx| rx.try_iter().collect()).unwrap_or_default();
    let s = &mut fit.0;
    for d in done {
        match d {
            Done::Picture(p) => {
                s.load_picture(&p);
            }
            Done::AddView(p) => add_view(s, &p, &add_as),
            Done::OpenViews(p) => {
                if let Err(e) = s.open_views(&p) {
                    s.error = Some(e.to_string());
                }
            }
            Done::SaveMesh(p) => {
                // the mesh as last shown, written on its own thread
                let mesh = s.current_mesh();
                bg.spawn(move || Some(Done::Saved(mesh.save(&p).map(|_| format!("saved {}", p.display())))));
            }
            Done::SaveViews(p) => {
                let (target, inputs) = (s.target.clone(), s.view_files());
                bg.spawn(move || {
                    let saved = crate::views::save_csv(&p, &target, &inputs);
                    Some(Done::Saved(saved.map(|m| format!("saved {} and {} masks beside it", p.display(), m.len()))))
                });
            }
            Done::Saved(Ok(msg)) => s.notice = Some(msg),
            Done::Saved(Err(e)) => s.error = Some(e.to_string()),
        }
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
