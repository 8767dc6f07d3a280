# pydoctor for a plain `callPackage ./package.nix { }`.
{
  lib,
  stdenv,
  rustPlatform,
  python3,
  patchelf,
  strace,
  nix,
}:

rustPlatform.buildRustPackage {
  pname = "pydoctor";
  version = "0.1.0";

  src = lib.cleanSource ./.;
  cargoLock.lockFile = ./Cargo.lock;

  # The test suite builds ELF fixtures with the C compiler from stdenv, runs a real CPython (the
  # python3 on PATH; its headers come with it), compares with glibc's `ldd`, patches ELF files
  # with patchelf, traces the binary with strace and parses the Nix files with
  # nix-instantiate (`--store dummy://`: no store is opened).
  nativeCheckInputs = [
    python3
    patchelf
    strace
    nix
    (lib.getBin stdenv.cc.libc)
  ];
  # No network in the sandbox: tests that need PyPI skip loudly, as do those that need root
  # (mount namespaces) or an FHS python; none needs HOME, a fixed uid or a path outside the
  # build dir (their scratch and cache dirs are under target/).
  env.PYDOCTOR_OFFLINE = "1";

  meta = {
    description = "Doctor for Python import failures caused by native code";
    license = lib.licenses.mit;
    mainProgram = "pydoctor";
    platforms = lib.platforms.linux;
  };
}
