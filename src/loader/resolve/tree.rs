//! The walk as the JSON contract's nested `objects` tree: each object's needs listed where
//! it first appears, depth first; later meetings marked `repeated`.

use crate::elf::{self, ElfSummary};

use super::super::error::ResolveError;
use super::super::report::{ElfFacts, FoundVia, NeededLibrary};
use super::walk::{Edge, Node, Target};
use super::{Resolver, path_string};

/// How deep the `objects` tree nests (real closures are under 10 levels). Two JSON levels per
/// tree level keeps the output within the common 128-level limit of JSON readers.
const MAX_TREE_DEPTH: usize = 32;

impl Resolver {
    /// The nested tree: each object's needs listed where it first appears, depth first.
    pub(super) fn tree(&self, nodes: &[Node]) -> Vec<NeededLibrary> {
        let mut seen = vec![false; nodes.len()];
        seen[0] = true;
        self.subtree(nodes, 0, &mut seen, 0)
    }

    fn subtree(
        &self,
        nodes: &[Node],
        i: usize,
        seen: &mut [bool],
        depth: usize,
    ) -> Vec<NeededLibrary> {
        let mut out = Vec::with_capacity(nodes[i].edges.len());
        for edge in &nodes[i].edges {
            let mut lib = blank(edge);
            match &edge.target {
                Target::Node(j) => {
                    let n = &nodes[*j];
                    lib.path = Some(n.path.clone());
                    lib.found_via = n.via;
                    lib.latent = n.latent;
                    lib.executable_stack = self.refuses_stack(n);
                    if depth + 1 >= MAX_TREE_DEPTH && !n.edges.is_empty() {
                        // A chain this deep is built to exhaust stacks (ours, and every JSON
                        // reader's nesting limit): stop nesting and say so.
                        lib.error = Some(ResolveError::TreeTooDeep(MAX_TREE_DEPTH));
                    } else if !std::mem::replace(&mut seen[*j], true) {
                        lib.needed = self.subtree(nodes, *j, seen, depth + 1);
                    } else {
                        lib.repeated = true;
                    }
                }
                Target::Preloaded { index, latent } => {
                    lib.path = Some(path_string(&self.ctx.preloaded[*index].path));
                    lib.found_via = Some(FoundVia::AlreadyLoaded);
                    lib.latent = *latent;
                }
                Target::NotFound(search) => {
                    lib.tried = search.tried.clone();
                    lib.tried_via = search.tried_via.clone();
                    lib.rejected = search.rejected.clone();
                    lib.cache_searched = search.cache_searched.clone();
                    lib.error = search.error.clone();
                }
            }
            out.push(lib);
        }
        out
    }
}

/// An edge's library before it is known where its name led.
fn blank(edge: &Edge) -> NeededLibrary {
    NeededLibrary {
        soname: edge.name.clone(),
        path: None,
        found_via: None,
        tried: Vec::new(),
        tried_via: Vec::new(),
        needed: Vec::new(),
        error: None,
        rejected: Vec::new(),
        cache_searched: None,
        version_problems: edge.version_problems.clone(),
        repeated: false,
        latent: false,
        executable_stack: false,
    }
}

pub(super) fn elf_facts(s: &ElfSummary) -> ElfFacts {
    ElfFacts {
        class: match s.class {
            elf::ElfClass::Elf32 => "elf32".into(),
            elf::ElfClass::Elf64 => "elf64".into(),
        },
        machine: s.machine,
        soname: s.soname.clone(),
        interpreter: s.interpreter.clone(),
        rpath: s.rpath.clone(),
        runpath: s.runpath.clone(),
        nodeflib: s.nodeflib,
        wants_executable_stack: s.executable_stack,
    }
}
