//! `softras shape NAME OUT`: one of the built-in test shapes as OBJ (or PLY for a `.ply` name).
use clap::Args;
use softras::{Error, Mesh, Result, shapes};
use std::path::PathBuf;

#[derive(Args)]
pub struct ShapeArgs {
    /// The shape's name.
    name: String,
    /// Where to write it: OBJ, or binary PLY when the name ends in .ply.
    out: PathBuf,
}

/// The built-in shape `name`, or an error listing the names (also `render --shape`).
pub fn by_name(name: &str) -> Result<Mesh> {
    shapes::by_name(name).ok_or_else(|| Error::invalid(format!("unknown shape {name:?} (one of {})", shapes::ALL_NAMES.join(", "))))
}

pub fn run(a: ShapeArgs) -> Result<()> {
    let m = by_name(&a.name)?;
    softras::files::Files::new().output("OUT", Some(&a.out)).check()?;
    m.save(&a.out)
}
