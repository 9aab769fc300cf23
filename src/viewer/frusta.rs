//! The target cameras drawn as small frusta in the 3D view, the selected view's larger and yellow
//! (multi-view fits); redrawn when the fit restarts on another target.
use super::state::{Fit, SelectedView, ViewerSet};
use bevy::asset::RenderAssetUsages;
use bevy::mesh::PrimitiveTopology;
use bevy::prelude::*;

/// The target cameras' frusta.
#[derive(Component)]
struct Frusta;

/// The frustum of the view shown in the image panels, drawn larger over the others.
#[derive(Component)]
struct Highlight;

pub fn plugin(app: &mut App) {
    app.add_systems(Startup, setup).add_systems(Update, draw_cameras.in_set(ViewerSet::Scene));
}

/// Camera frustum lines for a target view (SoftRas's camera: eye, looking at the origin); an
/// orthographic view's is a box of its width.
/// `depth`: how far the drawn frustum reaches (0.25 for all views, more for the highlighted one).
fn frustum(cam: &crate::Camera, depth: f32) -> Vec<[f32; 3]> {
    let eye = cam.eye().as_vec3();
    let r = cam.rotation();
    let (x, y, z) = (r.row(0).as_vec3(), r.row(1).as_vec3(), r.row(2).as_vec3());
    let (t0, t) = match cam.ortho_scale() {
        None => (0.0, cam.tan_half_fov() as f32 * depth),
        Some(s) => ((1.0 / s) as f32, (1.0 / s) as f32),
    };
    let corners =
        |d: f32, t: f32| [eye + d * z + t * (x + y), eye + d * z + t * (x - y), eye + d * z - t * (x + y), eye + d * z - t * (x - y)];
    let (n, c) = (corners(0.0, t0), corners(depth, t));
    let mut out = Vec::new();
    for k in 0..4 {
        out.extend_from_slice(&[n[k].to_array(), c[k].to_array(), c[k].to_array(), c[(k + 1) % 4].to_array()]);
    }
    out
}

fn lines(points: Vec<[f32; 3]>) -> Mesh {
    let mut m = Mesh::new(PrimitiveTopology::LineList, RenderAssetUsages::default());
    m.insert_attribute(Mesh::ATTRIBUTE_POSITION, points);
    m
}

fn setup(mut commands: Commands, fit: Res<Fit>, mut meshes: ResMut<Assets<Mesh>>, mut materials: ResMut<Assets<StandardMaterial>>) {
    let cams = &fit.0.target.cameras;
    commands.spawn((
        Mesh3d(meshes.add(lines(cams.iter().flat_map(|c| frustum(c, 0.25)).collect()))),
        MeshMaterial3d(materials.add(StandardMaterial { base_color: Color::srgb(0.3, 0.8, 1.0), unlit: true, ..default() })),
        Frusta,
    ));
    commands.spawn((
        Mesh3d(meshes.add(lines(frustum(&cams[0], 0.4)))),
        MeshMaterial3d(materials.add(StandardMaterial { base_color: Color::srgb(1.0, 0.86, 0.0), unlit: true, ..default() })),
        Visibility::Hidden,
        Highlight,
    ));
}

/// Redraws the frusta when the target changes and the highlight when another view is picked.
fn draw_cameras(
    fit: Res<Fit>,
    selected: Res<SelectedView>,
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
