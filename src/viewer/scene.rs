//! The 3D scene: the fitted mesh (lit, optional wireframe look), a light, an orbit camera that renders
//! into the area the panels leave free.
use super::state::{Fit, SceneArea, ViewerSet, Wireframe};
use bevy::asset::RenderAssetUsages;
use bevy::camera::Viewport;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_panorbit_camera::{PanOrbitCamera, PanOrbitCameraPlugin};

#[derive(Component)]
pub struct FittedMesh;

#[derive(Component)]
struct WireOverlay;

pub fn plugin(app: &mut App) {
    app.add_plugins(PanOrbitCameraPlugin)
        .add_systems(Startup, setup)
        .add_systems(Update, (fit_viewport, update_mesh).chain().in_set(ViewerSet::Scene));
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
    commands
        .spawn((DirectionalLight { illuminance: 8000.0, ..default() }, Transform::from_xyz(2.0, 4.0, 3.0).looking_at(Vec3::ZERO, Vec3::Y)));
    commands.insert_resource(GlobalAmbientLight { brightness: 400.0, ..default() });
    // From +z the image's x runs along world +x, as from SoftRas's default eye at −z: the silhouette
    // on screen matches the target (seen from behind).
    // farther out when several target cameras surround the mesh (and the image strip takes more room)
    let back = if s.target.cameras.len() > 1 { 1.4 } else { 1.0 };
    commands.spawn((Transform::from_xyz(0.0, 0.6 * back, 3.2 * back), PanOrbitCamera { focus: Vec3::ZERO, ..default() }));
}

/// Renders the 3D view into the area the panels leave free, and lets the orbit camera take the pointer
/// only there (dragging a slider does not spin the mesh).
fn fit_viewport(area: Res<SceneArea>, window: Single<&Window, With<PrimaryWindow>>, mut camera: Query<(&mut Camera, &mut PanOrbitCamera)>) {
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

/// Uploads the vertices that came back (only when the session's `version` moved), and shows or hides
/// the wireframe.
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
