//! `softras eval A B`: 3D metrics of mesh A against target mesh B, as lines or JSON.
use clap::Args;
use softras::Mesh;
use std::path::PathBuf;

#[derive(Args)]
pub struct EvalArgs {
    /// The mesh to evaluate (e.g. a fit result), OBJ.
    a: PathBuf,
    /// The target mesh, OBJ.
    b: PathBuf,
    /// Print JSON instead of one `name: value` line per metric.
    #[arg(long)]
    json: bool,
}

pub fn run(a: EvalArgs) -> softras::Result<()> {
    let (ma, mb) = (Mesh::load_obj(&a.a)?, Mesh::load_obj(&a.b)?);
    for (m, p) in [(&ma, &a.a), (&mb, &a.b)] {
        if let Some(w) = softras::metrics::watertight_warning(m, &p.display().to_string()) {
            eprintln!("warning: {w}");
        }
    }
    let (na, nb) = (a.a.display().to_string(), a.b.display().to_string());
    let m = softras::metrics::compare_named(&ma, &mb, [&na, &nb])?;
    if a.json {
        // the JSON is the library's `Metrics`: voxel_iou, chamfer, fscore, fscore_threshold
        println!("{}", serde_json::to_string_pretty(&m).expect("plain data serializes"));
    } else {
        println!("voxel_iou: {:.4}", m.voxel_iou);
        println!("chamfer: {:.6}", m.chamfer);
        println!("fscore: {:.4}", m.fscore);
    }
    Ok(())
}
