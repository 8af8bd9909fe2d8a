//! Timing helper for `scripts/bench-oci.sh` (not a criterion bench): one operation per run, its
//! wall-clock seconds printed on stdout.
//!
//! - `oci_2gib add <file> <layout> link|copy`: `Layout::add_file` into a fresh layout, through a
//!   hard link (hash only) or a copy (hash + write in one pass, fsynced).
//! - `oci_2gib prepare <file> <layout> <tag>`: writes a modelpack artifact holding the file as a
//!   raw layer (not timed).
//! - `oci_2gib push <layout> <tag> <reference>`: pushes the tag with the crate's registry client.
//!
//! Under `cargo bench` (argument `--bench` and nothing else) it does nothing.

use std::path::Path;
use std::time::Instant;

use ggufpack_oci_artifact::{
    push, write_modelpack, ArtifactOptions, Layout, ModelBundle, PushOptions, Role,
};

type AnyResult = Result<(), Box<dyn std::error::Error>>;

fn main() -> AnyResult {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        [] => Ok(()),
        ["add", file, layout, mode] => {
            let l = Layout::create(layout)?.with_hard_links(*mode == "link");
            let t = Instant::now();
            let info = l.add_file(file)?;
            println!("{:.3} {}", t.elapsed().as_secs_f64(), info.digest);
            Ok(())
        }
        ["prepare", file, layout, tag] => {
            let l = Layout::create(layout)?;
            let b = ModelBundle::new().file_at(Role::Other, Path::new(file), "model.bin");
            let d = write_modelpack(&l, tag, &b, &ArtifactOptions::default())?;
            println!("{}", d.digest());
            Ok(())
        }
        ["push", layout, tag, reference] => {
            let l = Layout::open(layout)?;
            let t = Instant::now();
            let d = push(&l, tag, reference, &PushOptions::default())?;
            println!("{:.3} {}", t.elapsed().as_secs_f64(), d.digest());
            Ok(())
        }
        _ => Err(format!("usage: oci_2gib add|prepare|push …, got {args:?}").into()),
    }
}
