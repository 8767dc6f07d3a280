//! The breadth-first load of one file's DT_NEEDED closure: each name looked up among the
//! objects already mapped (preloaded, then this walk's), else searched and mapped; then each
//! object's version needs checked against what its names resolved to.

use std::sync::Arc;

use super::super::report::{FoundVia, VersionProblem};
use super::super::versions;
use super::files::ObjectInfo;
use super::search::Search;
use super::{Resolver, path_string};

/// An object mapped by this dlopen.
pub(super) struct Node {
    pub(super) path: String,
    pub(super) names: Vec<String>,
    pub(super) id: Option<(u64, u64)>,
    pub(super) info: Arc<ObjectInfo>,
    pub(super) parent: Option<usize>,
    pub(super) via: Option<FoundVia>,
    pub(super) latent: bool,
    pub(super) edges: Vec<Edge>,
}

/// What one DT_NEEDED name of a node resolved to.
pub(super) enum Target {
    Node(usize),
    Preloaded { index: usize, latent: bool },
    NotFound(Box<Search>),
}

pub(super) struct Edge {
    pub(super) name: String,
    pub(super) target: Target,
    pub(super) version_problems: Vec<VersionProblem>,
}

impl Resolver {
    /// The breadth-first load: nodes in load order, root first.
    pub(super) fn walk(
        &self,
        root: &str,
        info: Arc<ObjectInfo>,
        id: Option<(u64, u64)>,
    ) -> Vec<Node> {
        let mut names = vec![root.to_string()];
        if let Ok(Some(s)) = info.summary.as_ref().as_ref().map(|s| s.soname.clone()) {
            names.push(s);
        }
        let mut nodes = vec![Node {
            path: root.to_string(),
            names,
            id,
            info,
            parent: None,
            via: None,
            latent: false,
            edges: Vec::new(),
        }];
        self.walk_from(&mut nodes, 0);
        self.check_versions(&mut nodes);
        nodes
    }

    /// Load the needs of `nodes[start..]`, and of what they bring, breadth first.
    pub(super) fn walk_from(&self, nodes: &mut Vec<Node>, start: usize) {
        let mut i = start;
        while i < nodes.len() {
            let info = nodes[i].info.clone();
            let needed = match info.summary.as_ref() {
                Ok(s) => s.needed.as_slice(),
                Err(_) => &[],
            };
            for name in needed {
                let target = self.load(nodes, i, name);
                nodes[i].edges.push(Edge {
                    name: name.clone(),
                    target,
                    version_problems: Vec::new(),
                });
            }
            i += 1;
        }
    }

    /// One DT_NEEDED name of node `i`: already loaded, or searched and mapped.
    pub(super) fn load(&self, nodes: &mut Vec<Node>, i: usize, name: &str) -> Target {
        if let Some(index) = self.preloaded_index(name) {
            let latent = !self.ctx.preloaded[index].at_startup
                && self.search(nodes, i, name, false).found.is_none();
            return Target::Preloaded { index, latent };
        }
        if let Some(j) = nodes.iter().position(|n| n.names.iter().any(|x| x == name)) {
            return Target::Node(j);
        }
        let search = self.search(nodes, i, name, false);
        let Some((path, via, id)) = search.found.clone() else {
            return Target::NotFound(Box::new(search));
        };
        // Same file under another name: the loader reuses the mapped object (dev, inode).
        if let Some(id) = id {
            if let Some(index) = self.preloaded_ids.iter().position(|p| *p == Some(id)) {
                return Target::Preloaded {
                    index,
                    latent: false,
                };
            }
            if let Some(j) = nodes.iter().position(|n| n.id == Some(id)) {
                nodes[j].names.push(name.to_string());
                return Target::Node(j);
            }
        }
        let info = self.object(&path);
        let latent =
            via == FoundVia::LdLibraryPath && self.search(nodes, i, name, true).found.is_none();
        let mut names = vec![path.clone(), name.to_string()];
        if let Ok(Some(s)) = info.summary.as_ref().as_ref().map(|s| s.soname.clone()) {
            names.push(s);
        }
        nodes.push(Node {
            path,
            names,
            id,
            info,
            parent: Some(i),
            via: Some(via),
            latent,
            edges: Vec::new(),
        });
        Target::Node(nodes.len() - 1)
    }

    fn preloaded_index(&self, name: &str) -> Option<usize> {
        self.ctx
            .preloaded
            .iter()
            .position(|p| p.names.iter().any(|n| n == name))
    }

    /// Every object's version needs, checked against the object each name resolved to.
    pub(super) fn check_versions(&self, nodes: &mut [Node]) {
        for i in 0..nodes.len() {
            let info = nodes[i].info.clone();
            let needs = match info.summary.as_ref() {
                Ok(s) => &s.version_needs,
                Err(_) => continue,
            };
            let requirer = nodes[i].path.clone();
            for need in needs {
                let Some(e) = nodes[i].edges.iter().position(|e| e.name == need.file) else {
                    continue;
                };
                let provider = match &nodes[i].edges[e].target {
                    Target::Node(j) => nodes[*j].info.clone(),
                    Target::Preloaded { index, .. } => {
                        self.object(&path_string(&self.ctx.preloaded[*index].path))
                    }
                    Target::NotFound(_) => continue,
                };
                let Ok(defs) = provider.summary.as_ref() else {
                    continue;
                };
                let problems = versions::missing(need, &defs.version_defs, &requirer);
                nodes[i].edges[e].version_problems.extend(problems);
            }
        }
    }

    /// The object asks for an executable stack and this loader refuses one.
    pub(super) fn refuses_stack(&self, node: &Node) -> bool {
        self.exec_stack_refused
            && node
                .info
                .summary
                .as_ref()
                .as_ref()
                .is_ok_and(|s| s.executable_stack)
    }
}
