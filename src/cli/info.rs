//! `softras info`: the GPU adapter softras would use, and its limits; or why there is none.
pub fn run() -> softras::Result<()> {
    let ctx = softras::gpu::GpuContext::shared()?;
    let i = &ctx.info;
    println!("adapter: {}", i.name);
    println!("backend: {:?}", i.backend);
    println!("type:    {:?}", i.device_type);
    println!("driver:  {} {}", i.driver, i.driver_info);
    let l = ctx.device.limits();
    println!(
        "max storage binding: {} bytes, max workgroups per dimension: {}",
        l.max_storage_buffer_binding_size, l.max_compute_workgroups_per_dimension
    );
    Ok(())
}
