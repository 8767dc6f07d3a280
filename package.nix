# pydoctor for a plain `callPackage ./package.nix { }`.
{
  lib,
  rustPlatform,
  python3,
  patchelf,
}:

rustPlatform.buildRustPackage {
  pname = "pydoctor";
  version = "0.1.0";

  src = lib.cleanSource ./.;
  cargoLock.lockFile = ./Cargo.lock;

  # The test suite builds ELF fixtures with the C compiler from stdenv and runs a real CPython.
  nativeCheckInputs = [
    python3
    patchelf
  ];
  # Tests that need root, namespaces or PyPI skip themselves in the build sandbox.
  env.PYDOCTOR_OFFLINE = "1";

  meta = {
    description = "Doctor for Python import failures caused by native code";
    license = lib.licenses.mit;
    mainProgram = "pydoctor";
    platforms = lib.platforms.linux;
  };
}
