//! Work items of the face passes (issue 14): a large face is cut into pieces of its pixel range, each
//! its own invocation. GPU against the CPU reference where faces are split; bit-identity where they are
//! not (every face one item, the walk of the face-parallel passes before items); the split's own order.
use crate::common::*;
use softras::fit::reference::iou_loss_and_grad;
use softras::raster::gpu::{CHUNK, GpuRaster, WHOLE_FACES, Work};
use softras::raster::{RasterSettings, SoftRasterizer, cpu};
use softras::{Camera, Mesh};

fn cams() -> Vec<Camera> {
    vec![Camera::new(2.732, 30.0, 0.0, 30.0).unwrap(), Camera::new(2.0, -20.0, 135.0, 25.0).unwrap()]
}

/// ∂L/∂S of the soft IoU against a disc, per view, from the CPU's silhouettes.
fn v_sil(mesh: &Mesh, c: &[Camera], s: &RasterSettings) -> (cpu::Forward, Vec<f64>) {
    let fwd = cpu::forward(mesh, c, s);
    let npix = s.pixels();
    let mut v = Vec::new();
    for k in 0..c.len() {
        let mask = disc_mask(s.width, s.height, 0.1, -0.05, 0.45);
        v.extend(iou_loss_and_grad(&fwd.sil[k * npix..(k + 1) * npix], &mask).1);
    }
    (fwd, v)
}

fn work(g: &GpuRaster) -> Work {
    g.buffers().expect("ran").work(&g.ctx).unwrap()
}

/// GPU vs CPU, forward and backward; returns the GPU's work distribution.
fn check_against_cpu(g: &mut GpuRaster, mesh: &Mesh, c: &[Camera], s: &RasterSettings, what: &str) -> Work {
    let sil = g.forward(mesh, c, s).unwrap();
    let (fwd, vs) = v_sil(mesh, c, s);
    let d = max_abs_diff(&sil, &fwd.sil);
    assert!(d <= 1e-4, "{what}: max |S_gpu − S_cpu| = {d:e}");
    let want = cpu::backward(mesh, c, s, &fwd, &vs);
    let v32: Vec<f32> = vs.iter().map(|&x| x as f32).collect();
    let got = g.backward(mesh, c, s, &v32).unwrap();
    let scale = want.iter().map(|v| v.abs().max_element()).fold(0.0, f64::max);
    assert!(scale > 0.0, "{what}: no gradient");
    let diff = got.iter().zip(&want).map(|(a, b)| (a.as_dvec3() - *b).abs().max_element()).fold(0.0, f64::max);
    assert!(diff <= 1e-4 * scale, "{what}: max |g_gpu − g_cpu| = {diff:e}, largest component {scale:e}");
    work(g)
}

#[test]
fn very_large_faces_are_split_and_match_cpu() {
    // an icosahedron (20 faces) filling most of a 512² image: faces of thousands of pixels each
    let mesh = blob(0, 3).scaled(1.6);
    let s = RasterSettings::square(512, 1e-4);
    let mut g = gpu_raster();
    g.set_chunk(CHUNK); // the GPU default (a CPU adapter keeps whole faces)
    let w = check_against_cpu(&mut g, &mesh, &cams(), &s, "icosahedron at 512²");
    assert_eq!(w.chunk, CHUNK as u64, "{w:?}");
    assert!(w.longest_face > 8 * w.chunk, "faces should span many items: {w:?}");
    assert!(w.items > 4 * w.slots, "{w:?}");
    assert_eq!(w.longest_item, w.chunk);
}

#[test]
fn small_chunks_and_chunk_doubling_match_cpu() {
    let c = cams();
    let mesh = blob(1, 4).scaled(1.5);
    let s = RasterSettings::square(96, 1e-3);
    // small pieces: more items than the buffers hold at 16 pixels, so the chunk doubles from 16 until
    // they fit (16 covers of the image at 1024 pixels per item, plus one per slot), and faces still split
    let capacity = 2 * 80 + 16 * 2 * (96u64 * 96).div_ceil(CHUNK as u64);
    let mut g = gpu_raster();
    g.set_chunk(16);
    let w = check_against_cpu(&mut g, &mesh, &c, &s, "chunk 16");
    assert!(w.chunk > 16 && w.items <= capacity && w.items > w.slots && w.longest_item == w.chunk, "{w:?}");
    // the GPU chunk (CHUNK) needs no doubling here, and still splits the largest faces
    g.set_chunk(CHUNK);
    let w = check_against_cpu(&mut g, &mesh, &c, &s, "chunk 1024");
    assert!(w.chunk == CHUNK as u64 && w.items > w.slots, "{w:?}");
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn gbits(v: &[glam::Vec3]) -> Vec<u32> {
    v.iter().flat_map(|x| x.to_array().map(f32::to_bits)).collect()
}

/// (S, ∂L/∂v) of one GPU run with pieces of `chunk` pixels, and its work.
fn run(chunk: u32, mesh: &Mesh, c: &[Camera], s: &RasterSettings, vs: &[f32]) -> (Vec<f32>, Vec<glam::Vec3>, Work) {
    let mut g = gpu_raster();
    g.set_chunk(chunk);
    let sil = g.forward(mesh, c, s).unwrap();
    let grad = g.backward(mesh, c, s, vs).unwrap();
    (sil, grad, work(&g))
}

#[test]
fn ordinary_fit_output_is_unchanged_by_items() {
    // a fit's usual problem: every face's range fits one item, so the output is bit for bit that of one
    // invocation walking each whole face (WHOLE_FACES: the face-parallel passes before work items)
    let c = cams();
    let mesh = blob(4, 6);
    let s = RasterSettings::square(64, 1e-4);
    let vs: Vec<f32> = v_sil(&mesh, &c, &s).1.iter().map(|&x| x as f32).collect();
    let (s_items, g_items, w) = run(CHUNK, &mesh, &c, &s, &vs);
    assert!(w.longest_face <= CHUNK as u64 && w.items <= w.slots, "{w:?}");
    let (s_whole, g_whole, w_whole) = run(WHOLE_FACES, &mesh, &c, &s, &vs);
    assert_eq!(w_whole.items, w_whole.slots);
    assert_eq!(bits(&s_items), bits(&s_whole), "forward changed");
    assert_eq!(gbits(&g_items), gbits(&g_whole), "backward changed");
}

#[test]
fn splitting_keeps_the_forward_exact_and_the_backward_deterministic() {
    let c = cams();
    let mesh = blob(1, 2).scaled(1.5);
    let s = RasterSettings::square(256, 1e-4);
    let vs: Vec<f32> = v_sil(&mesh, &c, &s).1.iter().map(|&x| x as f32).collect();
    let (s_whole, g_whole, w_whole) = run(WHOLE_FACES, &mesh, &c, &s, &vs);
    let (s_split, g_split, w) = run(CHUNK, &mesh, &c, &s, &vs);
    assert!(w.items > w_whole.items && w.longest_face > CHUNK as u64, "{w:?}");
    // exact fixed-point sums: the same bits however faces are cut
    assert_eq!(bits(&s_split), bits(&s_whole), "forward changed by the split");
    // the backward pass sums a split face's pieces in their own order: close, not identical
    let scale = g_whole.iter().map(|v| v.abs().max_element()).fold(0.0f32, f32::max);
    let diff = g_split.iter().zip(&g_whole).map(|(a, b)| (*a - *b).abs().max_element()).fold(0.0f32, f32::max);
    assert!(diff <= 1e-5 * scale, "split vs whole: {diff:e} of {scale:e}");
    // and the same on every run
    let (s2, g2, _) = run(CHUNK, &mesh, &c, &s, &vs);
    assert_eq!(bits(&s2), bits(&s_split));
    assert_eq!(gbits(&g2), gbits(&g_split));
}
