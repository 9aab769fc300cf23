//! The WGSL files parse and validate, and the Rust mirrors of their structs and constants agree.
use softras::raster::gpu::{FaceRec, GROUP, PASS_SOURCES, RasterUniforms, pass_source};
use wgpu::naga;

fn module(name: &str) -> naga::Module {
    let src = pass_source(name).unwrap();
    let m = naga::front::wgsl::parse_str(&src).unwrap_or_else(|e| panic!("{name}.wgsl: {}", e.emit_to_string(&src)));
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
        .validate(&m)
        .unwrap_or_else(|e| panic!("{name}.wgsl does not validate: {e:?}"));
    m
}

fn struct_size(m: &naga::Module, name: &str) -> u32 {
    m.types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(name))
        .map(|(h, _)| {
            let mut layouter = naga::proc::Layouter::default();
            layouter.update(m.to_ctx()).unwrap();
            layouter[h].size
        })
        .unwrap_or_else(|| panic!("no struct {name}"))
}

#[test]
fn every_pass_validates_and_mirrors_match() {
    for (name, _) in PASS_SOURCES {
        let m = module(name);
        assert_eq!(struct_size(&m, "RasterUniforms") as usize, std::mem::size_of::<RasterUniforms>());
        assert_eq!(struct_size(&m, "FitUniforms") as usize, std::mem::size_of::<softras::fit::gpu::FitUniforms>());
        assert_eq!(struct_size(&m, "ReduceUniforms") as usize, std::mem::size_of::<softras::fit::gpu::ReduceUniforms>());
        assert_eq!(struct_size(&m, "FaceRec") as usize, std::mem::size_of::<FaceRec>());
        assert_eq!(struct_size(&m, "Camera") as usize, std::mem::size_of::<softras::camera::GpuCamera>());
        let consts: Vec<(String, String)> = m
            .constants
            .iter()
            .filter_map(|(_, c)| {
                let v = format!("{:?}", m.global_expressions[c.init]);
                c.name.clone().map(|n| (n, v))
            })
            .collect();
        let (_, v) = consts.iter().find(|(k, _)| k == "GROUP").unwrap();
        assert!(v.contains(&format!("U32({GROUP})")), "{name}: GROUP = {v}");
        // bindings: 0..n in group 0, as many as the Rust layout declares
        let bindings: Vec<u32> = m.global_variables.iter().filter_map(|(_, g)| g.binding.as_ref().map(|b| b.binding)).collect();
        let mut sorted = bindings.clone();
        sorted.sort();
        assert_eq!(sorted, (0..bindings.len() as u32).collect::<Vec<_>>(), "{name}");
        let want = match name {
            "forward" | "reduce" => 3,
            "resolve" | "backward" => 5,
            "project" | "setup" | "params" | "iou_reduce" | "iou_grad" | "laplacian" | "flatten" | "record" => 4,
            "adam" | "depth" => 6,
            "gather" => 7,
            "vertex_grad" => 9,
            _ => unreachable!("{name}"),
        };
        assert_eq!(bindings.len(), want, "{name}");
    }
}
