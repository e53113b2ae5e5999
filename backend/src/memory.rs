//! How the process gives memory back.
//!
//! Hashing a password with argon2id takes a 19 MiB block (its memory cost), on whichever
//! blocking thread runs it. glibc serves a block that large with mmap and unmaps it when
//! freed — but after the first such free it raises its mmap threshold to the block's size,
//! so every later hash takes its 19 MiB from a thread's heap arena, which keeps it. Each
//! sign-up, log-in or Web Connector password left the server about 19 MiB bigger, up to one
//! block per arena. A fixed threshold turns that adjustment off: large blocks are always
//! mapped and always returned.

/// Blocks from this size up are mapped on their own and unmapped when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 256 * 1024;

/// Call once, early in `main`.
pub fn return_large_blocks_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is safe to call at any time
    // (glibc takes its own lock) and a refused setting is only a missed optimisation.
    unsafe {
        if libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 0 {
            tracing::warn!("could not set the allocator's mmap threshold: memory freed after hashing may be kept");
        }
    }
}
