//! The 3D scene: the fitted mesh (lit, optional wireframe look), a light, an orbit camera, the target
//! cameras drawn as small frusta; the screenshot mode.
use super::{Fit, Options, ViewerSet};
use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
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
        .add_systems(Update, (update_mesh, highlight_view, screenshot).chain().in_set(ViewerSet::Scene));
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
fn frustum(cam: &crate::Camera) -> Vec<[f32; 3]> {
    let eye = cam.eye().as_vec3();
    let r = cam.rotation();
    let (x, y, z) = (r.row(0).as_vec3(), r.row(1).as_vec3(), r.row(2).as_vec3());
    let t = cam.tan_half_fov() as f32 * 0.25;
    let c = [eye + 0.25 * z + t * (x + y), eye + 0.25 * z + t * (x - y), eye + 0.25 * z - t * (x + y), eye + 0.25 * z - t * (x - y)];
    let mut out = Vec::new();
    for k in 0..4 {
        out.extend_from_slice(&[eye.to_array(), c[k].to_array(), c[k].to_array(), c[(k + 1) % 4].to_array()]);
    }
    out
}

fn setup(mut commands: Commands, fit: Res<Fit>, mut meshes: ResMut<Assets<Mesh>>, mut materials: ResMut<Assets<StandardMaterial>>) {
    let s = &fit.0;
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
    let pts: Vec<[f32; 3]> = s.target.cameras.iter().flat_map(frustum).collect();
    lines.insert_attribute(Mesh::ATTRIBUTE_POSITION, pts);
    commands.spawn((
        Mesh3d(meshes.add(lines)),
        MeshMaterial3d(materials.add(StandardMaterial { base_color: Color::srgb(0.3, 0.8, 1.0), unlit: true, ..default() })),
    ));
    let mut selected = Mesh::new(PrimitiveTopology::LineList, RenderAssetUsages::default());
    selected.insert_attribute(Mesh::ATTRIBUTE_POSITION, frustum(&s.target.cameras[0]));
    commands.spawn((
        Mesh3d(meshes.add(selected)),
        MeshMaterial3d(materials.add(StandardMaterial { base_color: Color::srgb(1.0, 0.86, 0.0), unlit: true, ..default() })),
        Visibility::Hidden,
        Highlight,
    ));
    commands.spawn((DirectionalLight { illuminance: 8000.0, ..default() }, Transform::from_xyz(2.0, 4.0, 3.0).looking_at(Vec3::ZERO, Vec3::Y)));
    commands.insert_resource(GlobalAmbientLight { brightness: 400.0, ..default() });
    // From +z the image's x runs along world +x, as from SoftRas's default eye at −z: the silhouette
    // on screen matches the target (seen from behind).
    commands.spawn((Transform::from_xyz(0.0, 0.6, 3.2), PanOrbitCamera { focus: Vec3::ZERO, ..default() }));
}

/// The frustum of the view shown in the image panels, drawn over the others (multi-view fits).
#[derive(Component)]
struct Highlight;

fn highlight_view(
    fit: Res<Fit>,
    selected: Res<super::panels::SelectedView>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut highlight: Query<(&Mesh3d, &mut Visibility), With<Highlight>>,
    mut drawn: Local<Option<usize>>,
) {
    let cams = &fit.0.target.cameras;
    let sel = selected.0.min(cams.len().saturating_sub(1));
    if *drawn == Some(sel) {
        return;
    }
    *drawn = Some(sel);
    for (h, mut vis) in &mut highlight {
        *vis = if cams.len() > 1 { Visibility::Visible } else { Visibility::Hidden };
        if let (Some(mut m), Some(cam)) = (meshes.get_mut(&h.0), cams.get(sel)) {
            m.insert_attribute(Mesh::ATTRIBUTE_POSITION, frustum(cam));
        }
    }
}

fn update_mesh(
    fit: Res<Fit>,
    wire: Res<Wireframe>,
    mut meshes: ResMut<Assets<Mesh>>,
    solid: Query<&Mesh3d, With<FittedMesh>>,
    mut overlay: Query<(&Mesh3d, &mut Visibility), With<WireOverlay>>,
    mut drawn: Local<Option<(u64, bool)>>,
) {
    if *drawn == Some((fit.0.version, wire.0)) {
        return;
    }
    *drawn = Some((fit.0.version, wire.0));
    let s = &fit.0;
    let pos: Vec<[f32; 3]> = s.vertices.iter().map(|v| v.to_array()).collect();
    for h in &solid {
        if let Some(mut m) = meshes.get_mut(&h.0) {
            m.insert_attribute(Mesh::ATTRIBUTE_POSITION, pos.clone());
            m.compute_smooth_normals();
        }
    }
    for (h, mut vis) in &mut overlay {
        *vis = if wire.0 { Visibility::Visible } else { Visibility::Hidden };
        if wire.0 {
            if let Some(mut m) = meshes.get_mut(&h.0) {
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
        None if fit.0.done >= options.0.after_steps && frame >= 90 => {
            commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path));
            state.1 = Some(frame);
        }
        Some(at) if path.exists() && frame > at + 5 => {
            eprintln!(
                "viewer: {} steps, {:.1} frames/s, {:.1} steps/s at exit ({} steps per frame{})",
                fit.0.done,
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
