//! Pictures for the image panels and the strip: gray masks, difference colours, blank Bevy images.
use bevy::prelude::*;

/// RGBA8 bytes of a gray image in [0, 1].
pub fn gray_rgba(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|v| {
            let g = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            [g, g, g, 255]
        })
        .collect()
}

/// Target only: blue; mesh only: red; both: white.
pub fn diff_pixel(t: f32, s: f32) -> [u8; 4] {
    match (t > 0.5, s > 0.5) {
        (true, true) => [255, 255, 255, 255],
        (true, false) => [60, 120, 255, 255],
        (false, true) => [255, 70, 50, 255],
        (false, false) => [0, 0, 0, 255],
    }
}

pub fn diff_rgba(target: &[f32], sil: &[f32]) -> Vec<u8> {
    target.iter().zip(sil).flat_map(|(&t, &s)| diff_pixel(t, s)).collect()
}

pub fn blank_image(width: u32, height: u32) -> Image {
    use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
    Image::new_fill(
        Extent3d { width, height, depth_or_array_layers: 1 },
        TextureDimension::D2,
        &[0, 0, 0, 255],
        TextureFormat::Rgba8UnormSrgb,
        bevy::asset::RenderAssetUsages::default(),
    )
}
