//! The commands of the `softras` binary, one module each; `args` holds what several of them share (the
//! fit's flags and the names of settings as flags), `backend` the choice of engine.
pub mod args;
pub mod backend;
pub mod bench;
pub mod eval;
pub mod fit;
pub mod info;
pub mod panic;
pub mod render;
pub mod shape;
pub mod targets;
pub mod view;

/// Pretty JSON of a report with its keys sorted at every level, the order the reports have always had
/// (a `serde_json::Value`'s maps are ordered by key).
pub fn sorted_json(report: &impl serde::Serialize) -> String {
    let value = serde_json::to_value(report).expect("plain data serializes");
    serde_json::to_string_pretty(&value).expect("plain data serializes")
}
