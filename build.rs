//! Re-runs the build when a migration file is added or changed, because they are embedded
//! with `include_str!` and cargo would not notice a new file on its own.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
