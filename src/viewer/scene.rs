//! The 3D scene: the fitted mesh (lit, optional wireframe look), a light, an orbit camera, the target
//! cameras drawn as small frusta; the screenshot mode.
use super::{Fit, Options, ViewerSet};
use bevy::asset::RenderAssetUsages;
use bevy::camera::visibility::RenderLayers;
use bevy::camera::{CameraOutputMode, Viewport};
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use bevy::render::render_resource::BlendState;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use bevy::window::PrimaryWindow;
use bevy_egui::{EguiGlobalSettings, PrimaryEguiContext};
use bevy_panorbit_camera::{PanOrbitCamera, PanOrbitCameraPlugin};

#[derive(Component)]
pub struct FittedMesh;

/// Show the mesh's edges (a second, line-list mesh over the same vertices).
#[derive(Resource, Default)]
pub struct Wireframe(pub bool);

#[derive(Component)]
struct WireOverlay;

pub fn plugin(app: &mut App) {
    app.add_plugins(PanOrbitCameraPlugin)
        .init_resource::<Wireframe>()
        .add_systems(Startup, setup)
        .add_systems(Update, (fit_viewport, update_mesh, draw_cameras, screenshot).chain().in_set(ViewerSet::Scene));
}

fn triangle_mesh(vertices: &[Vec3], faces: &[[u32; 3]]) -> Mesh {
    let mut m = Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::default());
    m.insert_attribute(Mesh::ATTRIBUTE_POSITION, vertices.iter().map(|v| v.to_array()).collect::<Vec<_>>());
    m.insert_indices(Indices::U32(faces.iter().flatten().copied().collect()));
    m.compute_smooth_normals();
    m
}

fn edge_mesh(vertices: &[Vec3], faces: &[[u32; 3]]) -> Mesh {
    let mut m = Mesh::new(PrimitiveTopology::LineList, RenderAssetUsages::default());
    m.insert_attribute(Mesh::ATTRIBUTE_POSITION, vertices.iter().map(|v| v.to_array()).collect::<Vec<_>>());
    let mut idx = Vec::with_capacity(faces.len() * 6);
    for f in faces {
        idx.extend_from_slice(&[f[0], f[1], f[1], f[2], f[2], f[0]]);
    }
    m.insert_indices(Indices::U32(idx));
    m
}

/// Camera frustum lines for a target view (SoftRas's camera: eye, looking at the origin).
/// `depth`: how far the drawn frustum reaches (0.25 for all views, more for the highlighted one).
fn frustum(cam: &crate::Camera, depth: f32) -> Vec<[f32; 3]> {
    let eye = cam.eye().as_vec3();
    let r = cam.rotation();
    let (x, y, z) = (r.row(0).as_vec3(), r.row(1).as_vec3(), r.row(2).as_vec3());
    let t = cam.tan_half_fov() as f32 * depth;
    let c = [eye + depth * z + t * (x + y), eye + depth * z + t * (x - y), eye + depth * z - t * (x + y), eye + depth * z - t * (x - y)];
    let mut out = Vec::new();
    for k in 0..4 {
        out.extend_from_slice(&[eye.to_array(), c[k].to_array(), c[k].to_array(), c[(k + 1) % 4].to_array()]);
    }
    out
}

fn setup(
    mut commands: Commands,
    fit: Res<Fit>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut egui_settings: ResMut<EguiGlobalSettings>,
) {
    let s = &fit.0;
    // egui gets a camera of its own over the whole window, so that the 3D camera can render into the
    // area the panels leave free (bevy_egui's side_panel example)
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
    commands.spawn((
        Mesh3d(meshes.add(triangle_mesh(&s.vertices, &s.template.faces))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color: Color::srgb(0.85, 0.62, 0.25),
            perceptual_roughness: 0.6,
            double_sided: true,
            cull_mode: None,
            ..default()
        })),
        FittedMesh,
    ));
    commands.spawn((
        Mesh3d(meshes.add(edge_mesh(&s.vertices, &s.template.faces))),
        MeshMaterial3d(materials.add(StandardMaterial { base_color: Color::BLACK, unlit: true, ..default() })),
        Visibility::Hidden,
        WireOverlay,
    ));
    let mut lines = Mesh::new(PrimitiveTopology::LineList, RenderAssetUsages::default());
    let pts: Vec<[f32; 3]> = s.target.cameras.iter().flat_map(|c| frustum(c, 0.25)).collect();
    lines.insert_attribute(Mesh::ATTRIBUTE_POSITION, pts);
    commands.spawn((
        Mesh3d(meshes.add(lines)),
        MeshMaterial3d(materials.add(StandardMaterial { base_color: Color::srgb(0.3, 0.8, 1.0), unlit: true, ..default() })),
        Frusta,
    ));
    let mut selected = Mesh::new(PrimitiveTopology::LineList, RenderAssetUsages::default());
    selected.insert_attribute(Mesh::ATTRIBUTE_POSITION, frustum(&s.target.cameras[0], 0.4));
    commands.spawn((
        Mesh3d(meshes.add(selected)),
        MeshMaterial3d(materials.add(StandardMaterial { base_color: Color::srgb(1.0, 0.86, 0.0), unlit: true, ..default() })),
        Visibility::Hidden,
        Highlight,
    ));
    commands
        .spawn((DirectionalLight { illuminance: 8000.0, ..default() }, Transform::from_xyz(2.0, 4.0, 3.0).looking_at(Vec3::ZERO, Vec3::Y)));
    commands.insert_resource(GlobalAmbientLight { brightness: 400.0, ..default() });
    // From +z the image's x runs along world +x, as from SoftRas's default eye at −z: the silhouette
    // on screen matches the target (seen from behind).
    // farther out when several target cameras surround the mesh (and the image strip takes more room)
    let back = if s.target.cameras.len() > 1 { 1.4 } else { 1.0 };
    commands.spawn((Transform::from_xyz(0.0, 0.6 * back, 3.2 * back), PanOrbitCamera { focus: Vec3::ZERO, ..default() }));
}

/// The target cameras' frusta.
#[derive(Component)]
struct Frusta;

/// The frustum of the view shown in the image panels, drawn larger over the others (multi-view fits).
#[derive(Component)]
struct Highlight;

/// Redraws the frusta when the target changes and the highlight when another view is picked.
fn draw_cameras(
    fit: Res<Fit>,
    selected: Res<super::panels::SelectedView>,
    mut meshes: ResMut<Assets<Mesh>>,
    frusta: Query<&Mesh3d, With<Frusta>>,
    mut highlight: Query<(&Mesh3d, &mut Visibility), With<Highlight>>,
    mut drawn: Local<Option<(u64, usize)>>,
) {
    let cams = &fit.0.target.cameras;
    let sel = selected.0.min(cams.len().saturating_sub(1));
    let now = (fit.0.epoch, sel);
    if *drawn == Some(now) {
        return;
    }
    if drawn.is_some_and(|(epoch, _)| epoch != fit.0.epoch) {
        for h in &frusta {
            if let Some(mut m) = meshes.get_mut(&h.0) {
                m.insert_attribute(Mesh::ATTRIBUTE_POSITION, cams.iter().flat_map(|c| frustum(c, 0.25)).collect::<Vec<_>>());
            }
        }
    }
    *drawn = Some(now);
    for (h, mut vis) in &mut highlight {
        *vis = if cams.len() > 1 { Visibility::Visible } else { Visibility::Hidden };
        if let (Some(mut m), Some(cam)) = (meshes.get_mut(&h.0), cams.get(sel)) {
            m.insert_attribute(Mesh::ATTRIBUTE_POSITION, frustum(cam, 0.4));
        }
    }
}

/// Renders the 3D view into the area the panels leave free, and lets the orbit camera take the pointer
/// only there (dragging a slider does not spin the mesh).
fn fit_viewport(
    area: Res<super::panels::SceneArea>,
    window: Single<&Window, With<PrimaryWindow>>,
    mut camera: Query<(&mut Camera, &mut PanOrbitCamera)>,
) {
    let Some(rect) = area.rect else { return };
    let scale = window.scale_factor();
    let (w, h) = (window.physical_width(), window.physical_height());
    let pos = UVec2::new((rect.min.x * scale).max(0.0) as u32, (rect.min.y * scale).max(0.0) as u32).min(UVec2::new(w, h));
    let size = UVec2::new((rect.width() * scale) as u32, (rect.height() * scale) as u32).min(UVec2::new(w, h) - pos);
    for (mut cam, mut orbit) in &mut camera {
        if orbit.enabled != area.pointer_free {
            orbit.enabled = area.pointer_free;
        }
        let same = cam.viewport.as_ref().is_some_and(|v| v.physical_position == pos && v.physical_size == size);
        if size.x >= 16 && size.y >= 16 && !same {
            cam.viewport = Some(Viewport { physical_position: pos, physical_size: size, ..default() });
        }
    }
}

fn update_mesh(
    fit: Res<Fit>,
    wire: Res<Wireframe>,
    mut meshes: ResMut<Assets<Mesh>>,
    solid: Query<&Mesh3d, With<FittedMesh>>,
    mut overlay: Query<(&Mesh3d, &mut Visibility), With<WireOverlay>>,
    mut drawn: Local<Option<(u64, u64, bool)>>,
) {
    let s = &fit.0;
    let now = (s.epoch, s.version, wire.0);
    if *drawn == Some(now) {
        return;
    }
    // a restart may bring another template (other faces): rebuild the meshes then
    let rebuild = drawn.is_some_and(|(epoch, _, _)| epoch != s.epoch);
    *drawn = Some(now);
    let pos: Vec<[f32; 3]> = s.vertices.iter().map(|v| v.to_array()).collect();
    for h in &solid {
        if let Some(mut m) = meshes.get_mut(&h.0) {
            if rebuild {
                *m = triangle_mesh(&s.vertices, &s.template.faces);
            } else {
                m.insert_attribute(Mesh::ATTRIBUTE_POSITION, pos.clone());
                m.compute_smooth_normals();
            }
        }
    }
    for (h, mut vis) in &mut overlay {
        *vis = if wire.0 { Visibility::Visible } else { Visibility::Hidden };
        if let Some(mut m) = meshes.get_mut(&h.0) {
            if rebuild {
                *m = edge_mesh(&s.vertices, &s.template.faces);
            } else if wire.0 {
                m.insert_attribute(Mesh::ATTRIBUTE_POSITION, pos.clone());
            }
        }
    }
}

/// `--screenshot PATH --after-steps N`: once N steps are done and the scene has had time to build
/// (pipelines compile in the background on lavapipe), save the window and exit.
fn screenshot(
    mut commands: Commands,
    fit: Res<Fit>,
    options: Res<Options>,
    timing: Res<super::Timing>,
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
            eprintln!(
                "viewer: {} steps, {:.1} frames/s, {:.1} steps/s at exit ({} steps per frame{})",
                fit.0.done(),
                timing.fps,
                timing.steps_per_second,
                if fit.0.auto_steps { fit.0.pacer.batch } else { fit.0.steps_per_frame },
                if fit.0.auto_steps { ", auto" } else { "" }
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
