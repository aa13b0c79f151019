//! Label interning: each distinct label string gets a small integer.

use crate::ir::Sym;
use std::collections::HashMap;
use std::rc::Rc;

/// Maps label strings to symbols and back.
///
/// Hidden labels (`_x`, `_#X`) belong to their package: while a package
/// other than the main one is compiled (see [`Interner::set_scope`]), a
/// name starting with `_` gets a symbol of its own for that package, which
/// prints the same but is a different label.
#[derive(Default, Debug)]
pub struct Interner {
    map: HashMap<Rc<str>, Sym>,
    names: Vec<Rc<str>>,
    scope: Option<Rc<str>>,
    scoped: HashMap<(Rc<str>, Rc<str>), Sym>,
}

impl Interner {
    /// Sets the package whose hidden names are interned from now on
    /// (`None`: the main package).
    pub fn set_scope(&mut self, scope: Option<Rc<str>>) {
        self.scope = scope;
    }

    /// The symbol of a string, adding it when new.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(scope) = &self.scope
            && s.starts_with('_')
        {
            let key = (scope.clone(), Rc::<str>::from(s));
            if let Some(&id) = self.scoped.get(&key) {
                return id;
            }
            let id = self.names.len() as Sym;
            self.names.push(key.1.clone());
            self.scoped.insert(key, id);
            return id;
        }
        if let Some(&id) = self.map.get(s) {
            return id;
        }
        let rc: Rc<str> = s.into();
        let id = self.names.len() as Sym;
        self.names.push(rc.clone());
        self.map.insert(rc, id);
        id
    }

    /// The string of a symbol.
    pub fn name(&self, sym: Sym) -> &str {
        &self.names[sym as usize]
    }
}
