{
  description = "pydoctor: a doctor for Python import failures caused by native code";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (pkgs: rec {
        pydoctor = pkgs.callPackage ./package.nix { };
        default = pydoctor;
      });

      apps = forAllSystems (pkgs: rec {
        pydoctor = {
          type = "app";
          program = "${self.packages.${pkgs.system}.pydoctor}/bin/pydoctor";
        };
        default = pydoctor;
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.system}.pydoctor ];
          packages = with pkgs; [
            cargo
            rustc
            clippy
            rustfmt
            patchelf
            libtree
            python3
          ];
        };
      });

      # `nix flake check` builds the package, which runs `cargo test` (doCheck).
      checks = forAllSystems (pkgs: {
        pydoctor = self.packages.${pkgs.system}.pydoctor;
      });
    };
}
