//! A `dlopen(name)` called from one loaded object: the search the loader runs for a name that
//! no DT_NEEDED entry holds (a library loaded lazily, as torch loads `libcuda.so.1`, or
//! through ctypes). The caller's RPATH (unless it has a RUNPATH), then LD_LIBRARY_PATH, the
//! caller's RUNPATH, ld.so.cache and the default dirs; the library found is then walked like
//! any other, so its own needs are in the answer.

use std::path::Path;

use super::super::report::NeededLibrary;
use super::walk::{Edge, Node};
use super::{Resolver, absolute, file_id};

impl Resolver {
    /// What `dlopen(name)` from the object at `caller` would map, or where it looked.
    pub fn dlopen_from(&self, caller: &Path, name: &str) -> NeededLibrary {
        let abs = absolute(&self.ctx.cwd, caller);
        let info = self.object(&abs);
        let mut nodes = vec![Node {
            names: vec![abs.clone()],
            id: file_id(&abs),
            path: abs,
            info,
            parent: None,
            via: None,
            latent: false,
            edges: Vec::new(),
        }];
        let target = self.load(&mut nodes, 0, name);
        nodes[0].edges.push(Edge {
            name: name.to_string(),
            target,
            version_problems: Vec::new(),
        });
        self.walk_from(&mut nodes, 1);
        self.check_versions(&mut nodes);
        self.tree(&nodes)
            .pop()
            .expect("the one edge of the caller is in its tree")
    }
}
