//! Writing silhouettes: 16-bit grayscale PNG (65535 = fully covered) and NumPy `.npy` (`<f4`, C order,
//! shape (H, W), row 0 at the top). Both are written atomically.
use crate::error::{Error, Result, write_atomic};
use std::path::Path;

/// Encodes an H×W image of values in [0, 1] as a 16-bit grayscale PNG.
pub fn png16_bytes(values: &[f32], width: u32, height: u32) -> Result<Vec<u8>> {
    let px: Vec<u16> = values.iter().map(|&v| (v.clamp(0.0, 1.0) * 65535.0).round() as u16).collect();
    let img = image::ImageBuffer::<image::Luma<u16>, Vec<u16>>::from_raw(width, height, px)
        .ok_or_else(|| Error::invalid("image buffer size does not match width × height"))?;
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).map_err(|e| Error::invalid(format!("PNG encoding failed: {e}")))?;
    Ok(out.into_inner())
}

pub fn save_png16(path: &Path, values: &[f32], width: u32, height: u32) -> Result<()> {
    write_atomic(path, &png16_bytes(values, width, height)?)
}

/// NumPy format version 1.0: magic, header length, a Python-dict header padded to 64 bytes, data.
pub fn npy_bytes(values: &[f32], shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_txt = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_txt}, }}");
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat(total.next_multiple_of(64) - total));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + values.len() * 4);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

pub fn save_npy(path: &Path, values: &[f32], shape: &[usize]) -> Result<()> {
    write_atomic(path, &npy_bytes(values, shape))
}

/// Reads back a `<f4` .npy written by [`npy_bytes`]: (shape, values).
pub fn parse_npy(bytes: &[u8]) -> Result<(Vec<usize>, Vec<f32>)> {
    let bad = |m: &str| Error::invalid(format!("not a softras .npy file: {m}"));
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("no magic"));
    }
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header =
        std::str::from_utf8(bytes.get(10..10 + hlen).ok_or_else(|| bad("short header"))?).map_err(|_| bad("header is not text"))?;
    if !header.contains("'<f4'") || !header.contains("'fortran_order': False") {
        return Err(bad("only <f4 in C order is read"));
    }
    let s = header.split("'shape': (").nth(1).and_then(|r| r.split(')').next()).ok_or_else(|| bad("no shape"))?;
    let shape: Vec<usize> =
        s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(|t| t.parse().map_err(|_| bad("shape"))).collect::<Result<_>>()?;
    let data = &bytes[10 + hlen..];
    let values: Vec<f32> = data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    if values.len() != shape.iter().product::<usize>() {
        return Err(bad("data length does not match the shape"));
    }
    Ok((shape, values))
}
