/// mimalloc: the pipeline makes millions of small allocations (articles, rows, strings) and
/// frees most of them between stages; glibc's allocator kept gigabytes of freed memory
/// resident at a million articles, and was slower at it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tidings::cli::main()
}
