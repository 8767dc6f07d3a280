//! Facts about the machine and the interpreter (NixOS, python kind, nix-ld).

pub mod classify;
