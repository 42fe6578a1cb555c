//! The C allocator's memory. Rust's allocations go to mimalloc, but the bundled SQLite
//! allocates with glibc's malloc, which gives each thread that allocates an arena of
//! its own and keeps freed memory there: after searches at 1M registrations most of
//! the server's resident memory was free space held in about fifteen such arenas
//! (`malloc_trim` took 94 MB back to 48 MB). Elsewhere (not glibc) these do nothing.

/// Caps glibc at two arenas, unless `MALLOC_ARENA_MAX` is set (glibc reads it then).
/// Call before any thread starts.
pub fn bound() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only changes a tunable of the allocator; no other thread
        // exists yet to allocate meanwhile.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// Gives the C allocator's free memory back to the system.
pub fn trim() {
    // SAFETY: malloc_trim takes each arena's lock; it is safe from any thread.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}
