//! Label interning: each distinct label string gets a small integer.

use crate::ir::Sym;
use std::collections::HashMap;
use std::rc::Rc;

/// Maps label strings to symbols and back.
#[derive(Default, Debug)]
pub struct Interner {
    map: HashMap<Rc<str>, Sym>,
    names: Vec<Rc<str>>,
}

impl Interner {
    /// The symbol of a string, adding it when new.
    pub fn intern(&mut self, s: &str) -> Sym {
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
