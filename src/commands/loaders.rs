//! The request turned into what builds loader contexts, once per command (here, not in
//! `request.rs`: `env` reads the request, so the request may not name `env`).

use crate::env::loader_facts::Loaders;
use crate::loader::Settings;
use crate::request::Request;

impl Loaders {
    /// Loader contexts for this request's environment, remembering loaders' answers in
    /// [`Request::cache_dir`].
    pub fn from_request(request: &Request) -> Loaders {
        Loaders {
            settings: Settings::from_request(request),
            cache_dir: request.cache_dir(),
        }
    }
}
