//! Every pass declaration agrees with its WGSL (bindings: names, numbers, access), every WGSL file in
//! shaders/ is declared once and validates, and the Rust mirrors of the WGSL structs have the WGSL's
//! size and member offsets.
use softras::fit::passes::{CgUniforms, FitUniforms, ReduceUniforms};
use softras::gpu::{Bind, GROUP, PassInfo};
use softras::raster::passes::{FaceRec, GpuCamera, RasterUniforms};
use std::mem::offset_of;
use wgpu::naga;

fn all() -> Vec<&'static PassInfo> {
    softras::raster::passes::ALL.into_iter().chain(softras::fit::passes::ALL).collect()
}

fn module(p: &PassInfo) -> naga::Module {
    let src = p.full_source();
    let m = naga::front::wgsl::parse_str(&src).unwrap_or_else(|e| panic!("{}.wgsl: {}", p.file, e.emit_to_string(&src)));
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
        .validate(&m)
        .unwrap_or_else(|e| panic!("{}.wgsl does not validate: {e:?}", p.file));
    m
}

#[test]
fn every_declaration_matches_its_wgsl() {
    for p in all() {
        let m = module(p);
        let mut found: Vec<(u32, String, Bind)> = m
            .global_variables
            .iter()
            .filter_map(|(_, g)| {
                let b = g.binding.as_ref()?;
                assert_eq!(b.group, 0, "{}: {:?} is not in group 0", p.file, g.name);
                let bind = match g.space {
                    naga::AddressSpace::Uniform => Bind::Uniform,
                    naga::AddressSpace::Storage { access } if access.contains(naga::StorageAccess::STORE) => Bind::ReadWrite,
                    naga::AddressSpace::Storage { .. } => Bind::Read,
                    other => panic!("{}: {:?} in {other:?}", p.file, g.name),
                };
                Some((b.binding, g.name.clone().unwrap_or_default(), bind))
            })
            .collect();
        found.sort_by_key(|(b, _, _)| *b);
        let declared: Vec<(u32, String, Bind)> =
            p.bindings.iter().enumerate().map(|(i, (name, bind))| (i as u32, name.to_string(), *bind)).collect();
        assert_eq!(found, declared, "{}.wgsl against its declaration", p.file);
        let group = m.constants.iter().find(|(_, c)| c.name.as_deref() == Some("GROUP")).map(|(_, c)| c.init).expect("GROUP");
        assert!(format!("{:?}", m.global_expressions[group]).contains(&format!("U32({GROUP})")), "{}", p.file);
    }
}

#[test]
fn every_wgsl_file_is_declared_once() {
    let mut files: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".wgsl").map(str::to_owned))
        .collect();
    files.sort();
    let mut declared: Vec<String> = all().iter().map(|p| p.file.to_owned()).collect();
    declared.sort();
    assert_eq!(files, declared);
    // and every shared file is used by some pass
    for (lib, _) in softras::gpu::pass::LIBS {
        assert!(all().iter().any(|p| p.uses.contains(&lib)), "shaders/lib/{lib}.wgsl is used by no pass");
    }
}

/// (size, member name → offset) of a WGSL struct as naga lays it out.
fn wgsl_layout(m: &naga::Module, name: &str) -> (u32, Vec<(String, u32)>) {
    let (h, t) = m.types.iter().find(|(_, t)| t.name.as_deref() == Some(name)).unwrap_or_else(|| panic!("no struct {name}"));
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(m.to_ctx()).unwrap();
    let naga::TypeInner::Struct { members, .. } = &t.inner else { panic!("{name} is not a struct") };
    (layouter[h].size, members.iter().map(|x| (x.name.clone().unwrap_or_default(), x.offset)).collect())
}

macro_rules! check_mirror {
    ($m:expr, $wgsl:literal, $ty:ty { $($field:ident),* }) => {{
        let (size, members) = wgsl_layout($m, $wgsl);
        assert_eq!(size as usize, std::mem::size_of::<$ty>(), "size of {}", $wgsl);
        $(
            let (_, off) = members.iter().find(|(n, _)| n == stringify!($field))
                .unwrap_or_else(|| panic!("{} has no member {}", $wgsl, stringify!($field)));
            assert_eq!(*off as usize, offset_of!($ty, $field), "{}.{}", $wgsl, stringify!($field));
        )*
        assert_eq!(members.iter().filter(|(n, _)| !n.starts_with('_')).count(), [$(stringify!($field)),*].len(), "{}", $wgsl);
    }};
}

#[test]
fn rust_mirrors_match_the_wgsl_structs() {
    let of = |file: &str| module(all().into_iter().find(|p| p.file == file).unwrap());
    let (forward, gather, depth, reduce) = (of("forward"), of("gather"), of("depth"), of("reduce"));
    check_mirror!(
        &forward,
        "RasterUniforms",
        RasterUniforms { width, height, num_views, num_verts, num_faces, sigma, cull_r, near, chunk }
    );
    check_mirror!(&forward, "FaceRec", FaceRec { ab, c_flags, range, inv_len2 });
    check_mirror!(&gather, "Camera", GpuCamera { r0, r1, r2, eye_tan });
    check_mirror!(&reduce, "ReduceUniforms", ReduceUniforms { n, offset, stride, out_index });
    check_mirror!(
        &depth,
        "FitUniforms",
        FitUniforms {
            num_verts,
            num_edges,
            num_views,
            num_pixels,
            lr,
            beta1,
            beta2,
            adam_eps,
            bias1,
            bias2,
            lambda_lap,
            lambda_flat,
            history_slot,
            lambda_depth,
            depth_z0,
            depth_size,
            depth_near,
            thickness,
            large_steps,
            weight_sum
        }
    );
    check_mirror!(&of("cg"), "CgUniforms", CgUniforms { n, max_iters, lambda, tol2, out_index });
}
