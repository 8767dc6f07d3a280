//! Machine facts read under a temporary root: NixOS detection and what the FHS loader path is,
//! with real files and real symlinks.

use std::os::unix::fs::symlink;
use std::path::Path;

use pydoctor::env::system::{classify_fhs_loader, is_nixos};
use pydoctor::env::{EnvOptions, probe};
use pydoctor::evidence::FhsLoaderKind;
use pydoctor::request::Request;

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_root_with_nixos_os_release_is_nixos() {
    let t = tempfile::tempdir().unwrap();
    write(
        &t.path().join("etc/os-release"),
        b"BUILD_ID=\"24.11\"\nID=nixos\nNAME=NixOS\n",
    );
    let request = Request {
        cwd: t.path().into(),
        ..Request::default()
    };
    let options = EnvOptions {
        root: t.path().into(),
        ..EnvOptions::default()
    };
    let env = probe(None, &request.env_settings(), &options).environment;
    assert_eq!(env.os.nixos, Some(true));
    assert_eq!(env.nix_ld.fhs_loader, Some(FhsLoaderKind::Absent));
    assert_eq!(env.nix_ld.shim, Some(false));
    assert_eq!(
        is_nixos(Path::new("/")),
        Some(false),
        "this machine is Debian"
    );
}

#[test]
fn the_fhs_loader_is_classified_by_its_link_target_and_contents() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let store = root.join("nix/store");
    let nix_ld = store.join("abc-nix-ld-2.0.4/libexec/nix-ld");
    let stub = store.join("def-stub-ld-x86_64-linux/bin/stub-ld");
    let anon = store.join("ghi-loader/bin/ld");
    write(&nix_ld, b"\x7fELF not really");
    write(&stub, b"\x7fELF not really");
    write(
        &anon,
        b"\x7fELF...Could not start dynamically linked executable\0NixOS cannot run dynamically linked executables intended for generic linux environments out of the box.",
    );
    let case = |name: &str, target: &Path| {
        let link = root.join(name);
        symlink(target, &link).unwrap();
        classify_fhs_loader(&link)
    };
    let (kind, target) = case("nix-ld", &nix_ld);
    assert_eq!(kind, FhsLoaderKind::NixLd);
    assert_eq!(
        target.as_deref(),
        Some(nix_ld.canonicalize().unwrap().as_path())
    );
    assert_eq!(case("stub", &stub).0, FhsLoaderKind::StubLd);
    assert_eq!(case("anon-stub", &anon).0, FhsLoaderKind::StubLd);
    assert_eq!(
        case("glibc", Path::new("/lib64/ld-linux-x86-64.so.2")).0,
        FhsLoaderKind::Glibc
    );
    assert_eq!(
        case("dangling", &root.join("nowhere")).0,
        FhsLoaderKind::Absent
    );
    assert_eq!(
        case("not-a-loader", Path::new("/bin/sh")).0,
        FhsLoaderKind::Other
    );
    assert_eq!(
        classify_fhs_loader(&root.join("missing")).0,
        FhsLoaderKind::Absent
    );
}
