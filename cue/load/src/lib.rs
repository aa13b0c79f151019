//! Loads CUE packages from an in-memory file map, the way `cue` loads them
//! from a directory: module root and name from `cue.mod/module.cue`,
//! packages by directory and `package` clause, imports resolved inside the
//! module and then in `cue.mod/{pkg,gen,usr}`, `@if` build attributes,
//! `@tag` injection and `@embed` of files in the map (in files marked
//! `@extern(embed)`).
//!
//! Pure: no file system, network, clock or environment. The caller reads
//! the files; a [`Loader`] keeps one evaluation [`cue_eval::Runtime`] and
//! caches parsed files and compiled packages by content hash, so a module
//! built for many instances and clusters parses (and compiles) once.
//!
//! ```
//! use std::collections::BTreeMap;
//! let mut files = BTreeMap::new();
//! files.insert("cue.mod/module.cue".to_string(), b"module: \"ex.com/m\"\n".to_vec());
//! files.insert("a.cue".to_string(), b"package m\nname: string @tag(name)\n".to_vec());
//! let mut loader = cue_load::Loader::new();
//! let cfg = cue_load::Config { tags: vec!["name=demo".into()], ..Default::default() };
//! let inst = loader.load(&files, &cfg).unwrap();
//! assert_eq!(inst.value.lookup("name").unwrap().to_json_string(false).unwrap(), "\"demo\"");
//! ```

mod buildattr;
mod embed;
mod error;
mod loader;
mod module;
mod session;
mod tags;

use std::collections::BTreeMap;

pub use error::{LoadError, LoadErrors};
pub use loader::{Instance, Loader, LoaderStats};
pub use module::module_name;

/// Files by path relative to the module root, `/`-separated.
pub type FileMap = BTreeMap<String, Vec<u8>>;

/// What to load and how.
#[derive(Clone, Debug)]
pub struct Config {
    /// Directory of the package, relative to the module root (`.`, `./x`,
    /// `x/y`).
    pub dir: String,
    /// Package name to load; `None`: the one package in the directory.
    pub package: Option<String>,
    /// Tags as given to `-t`: `key=value` injects into `@tag(key)` fields;
    /// a bare `flag` sets a build tag for `@if(flag)` or selects a
    /// `short=` value.
    pub tags: Vec<String>,
    /// Tag variables (`@tag(x, var=moduleVersion)`); `None` disables
    /// variable injection (like `cue` without `-T`).
    pub tag_vars: Option<BTreeMap<String, String>>,
    /// Files added or replaced before loading.
    pub overlays: FileMap,
    /// Prepended to every path in positions (e.g. `./` or the module's
    /// directory as the user wrote it).
    pub file_prefix: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dir: ".".into(),
            package: None,
            tags: Vec::new(),
            tag_vars: None,
            overlays: FileMap::new(),
            file_prefix: String::new(),
        }
    }
}

impl Config {
    /// The configuration Timoni uses for a module: package `main` in the
    /// module root, tags `name` and `namespace`, variables `moduleVersion`
    /// and `kubeVersion`.
    pub fn timoni(name: &str, namespace: &str, module_version: &str, kube_version: &str) -> Self {
        let mut vars = BTreeMap::new();
        vars.insert("moduleVersion".to_string(), module_version.to_string());
        vars.insert("kubeVersion".to_string(), kube_version.to_string());
        Config {
            package: Some("main".into()),
            tags: vec![format!("name={name}"), format!("namespace={namespace}")],
            tag_vars: Some(vars),
            ..Default::default()
        }
    }
}
