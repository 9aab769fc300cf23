//! `softras bench`: forward and forward+backward times, GPU against the CPU reference, in one run.
use clap::Args;
use softras::raster::cpu;
use softras::raster::gpu::{GpuContext, GpuRaster};
use softras::raster::{RasterSettings, iou_loss_and_grad};
use softras::{Camera, Mesh};
use std::time::Instant;

#[derive(Args)]
pub struct BenchArgs {
    /// Icosphere levels to time.
    #[arg(long, value_delimiter = ',', default_value = "3,4,5,6")]
    levels: Vec<u32>,
    /// Image sizes to time.
    #[arg(long, value_delimiter = ',', default_value = "64,128,256,512,1024")]
    sizes: Vec<u32>,
    /// Timed repetitions per case (the median is reported).
    #[arg(long, default_value_t = 7)]
    reps: usize,
    /// Skip the CPU reference where faces × pixels exceeds this (0: never run it).
    #[arg(long, default_value_t = 1e11)]
    cpu_budget: f64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(serde::Serialize)]
struct Row {
    level: u32,
    faces: usize,
    size: u32,
    gpu_forward_ms: f64,
    gpu_forward_backward_ms: f64,
    cpu_forward_ms: Option<f64>,
    cpu_forward_backward_ms: Option<f64>,
    /// CPU time / GPU time for forward + backward.
    speedup: Option<f64>,
}

fn median_ms(reps: usize, mut f: impl FnMut() -> softras::Result<()>) -> softras::Result<f64> {
    f()?; // warm-up
    let mut t: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let s = Instant::now();
            f().map(|_| s.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<softras::Result<_>>()?;
    t.sort_by(f64::total_cmp);
    Ok(t[t.len() / 2])
}

pub fn run(a: BenchArgs) -> softras::Result<()> {
    let ctx = GpuContext::shared()?;
    let mut gpu = GpuRaster::new(ctx.clone())?;
    let cam = Camera::new(2.732, 30.0, 0.0, 30.0)?;
    let mut rows = Vec::new();
    if !a.json {
        println!("adapter: {}", ctx.describe());
        println!("camera 2.732,30,0, view angle 30, sigma 1e-4; median of {} runs; times in ms", a.reps);
        println!("{:>5} {:>6} {:>5} {:>10} {:>10} {:>10} {:>10} {:>9}", "level", "faces", "size", "gpu fwd", "gpu f+b", "cpu fwd", "cpu f+b", "cpu/gpu");
    }
    for &level in &a.levels {
        let mesh = Mesh::icosphere(level)?;
        for &size in &a.sizes {
            let s = RasterSettings::square(size, 1e-4);
            let cams = [cam];
            // ∂L/∂S of an IoU loss against a disc, so the backward pass does real work everywhere.
            let mask: Vec<f64> = (0..s.pixels())
                .map(|k| {
                    let (x, y) = softras::raster::pixel_center((k % size as usize) as i64, (k / size as usize) as i64, size, size);
                    if x * x + y * y < 0.25 { 1.0 } else { 0.0 }
                })
                .collect();
            let fwd = cpu::forward(&mesh, &cams, &s);
            let (_, v_sil) = iou_loss_and_grad(&fwd.sil, &mask);
            let v_sil32: Vec<f32> = v_sil.iter().map(|&x| x as f32).collect();
            gpu.run(&mesh, &cams, &s, Some(&v_sil32))?;
            let gf = median_ms(a.reps, || gpu.submit(false))?;
            let gfb = median_ms(a.reps, || gpu.submit(true))?;
            let cpu_ok = (mesh.faces.len() as f64) * (s.pixels() as f64) <= a.cpu_budget;
            let (cf, cfb) = if cpu_ok {
                let r = a.reps.min(3);
                let cf = median_ms(r, || {
                    std::hint::black_box(cpu::forward(&mesh, &cams, &s));
                    Ok(())
                })?;
                let cfb = median_ms(r, || {
                    let f = cpu::forward(&mesh, &cams, &s);
                    std::hint::black_box(cpu::backward(&mesh, &cams, &s, &f, &v_sil));
                    Ok(())
                })?;
                (Some(cf), Some(cfb))
            } else {
                (None, None)
            };
            let row = Row {
                level,
                faces: mesh.faces.len(),
                size,
                gpu_forward_ms: gf,
                gpu_forward_backward_ms: gfb,
                cpu_forward_ms: cf,
                cpu_forward_backward_ms: cfb,
                speedup: cfb.map(|c| c / gfb),
            };
            if !a.json {
                let o = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.2}"));
                println!(
                    "{:>5} {:>6} {:>5} {:>10.2} {:>10.2} {:>10} {:>10} {:>9}",
                    row.level, row.faces, row.size, row.gpu_forward_ms, row.gpu_forward_backward_ms, o(row.cpu_forward_ms), o(row.cpu_forward_backward_ms),
                    row.speedup.map_or("-".into(), |x| format!("{x:.1}×"))
                );
            }
            rows.push(row);
        }
    }
    if a.json {
        let out = serde_json::json!({
            "adapter": ctx.describe(),
            "camera": {"distance": 2.732, "elevation": 30.0, "azimuth": 0.0, "view_angle": 30.0},
            "sigma": 1e-4,
            "reps": a.reps,
            "rows": rows,
        });
        println!("{}", serde_json::to_string_pretty(&out).expect("plain data serializes"));
    }
    Ok(())
}
