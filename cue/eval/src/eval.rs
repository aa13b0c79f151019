//! The evaluator: a lazily evaluated graph of vertices.
//!
//! A vertex holds the conjuncts unified into it (expression + environment +
//! closedness info) and, once expanded, its arcs in order and its scalar
//! part. Expansion (`arcs`) adds every conjunct: struct literals create arcs
//! with conjuncts of their own (not evaluated), references inline the
//! conjuncts of the vertex they name, scalars unify into `base`.
//! Comprehensions and dynamic labels run after the static declarations and
//! are retried while they make progress; disjunctions are expanded last by
//! re-expanding the vertex once per combination of choices.

use crate::intern::Interner;
use crate::ir::*;
use crate::num::{Number, int_divmod};
use crate::value::*;
use cue_syntax::Span;
use std::collections::HashMap;
use std::rc::Rc;

/// Maximum nesting of evaluation before reporting an error (guards the
/// native and wasm stacks).
pub const MAX_DEPTH: u32 = 100_000;
/// Default stack budget in bytes (wasm's default stack is 1 MiB).
pub const STACK_BUDGET: usize = 600 * 1024;

/// An address on the current stack.
#[inline(never)]
fn stack_pos() -> usize {
    let x = 0u8;
    std::hint::black_box(&x) as *const u8 as usize
}
/// Deepest value tree a validation walks: deeper values keep unfolding
/// (a structural cycle the inlining checks did not catch).
pub const MAX_TREE_DEPTH: u32 = 1000;
/// Maximum live combinations of one disjunction expansion.
pub const MAX_DISJUNCTS: usize = 4096;
/// Most conjuncts one API request may add before failing with an error.
pub const MAX_WORK: usize = 2_000_000;
/// Most vertices one validation walks before giving up with an error.
pub const MAX_VISIT: usize = 200_000;
/// Message prefix of a missing `x?` reference inside `try`.
const TRY_MISSING: &str = "try: ";

/// One frame of an environment.
#[derive(Debug)]
pub enum Frame {
    /// A struct literal added to a vertex.
    Struct(VId, Option<Rc<StructLit>>),
    /// Comprehension/pattern bindings.
    Bind(Vec<Val>),
}

/// A scope chain.
#[derive(Debug)]
pub struct EnvNode {
    /// Enclosing frames.
    pub parent: Env,
    /// This frame.
    pub frame: Frame,
}

/// An environment (None at the outermost level).
pub type Env = Option<Rc<EnvNode>>;

/// Closedness info of a conjunct.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CI {
    /// 0: open; 1: closed at this level (`close()`); 2: recursively (definition).
    pub closing: u8,
    /// The requirement group this conjunct gives evidence to (0: none).
    pub group: u32,
    /// Added as an embedding.
    pub embed: bool,
}

/// What a conjunct holds.
#[derive(Clone, Debug)]
pub enum CExpr {
    /// An expression in an environment.
    Expr(RExpr, Env),
    /// An evaluated value.
    Val(Val, Span),
}

/// A conjunct.
#[derive(Clone, Debug)]
pub struct Conj {
    /// Its content.
    pub x: CExpr,
    /// Closedness.
    pub ci: CI,
    /// The vertices whose conjuncts were inlined to produce this one
    /// (structural cycle detection).
    pub chain: Chain,
}

/// A linked list of inlined vertices.
pub type Chain = Option<Rc<ChainNode>>;

/// One element of a [`Chain`].
#[derive(Debug)]
pub struct ChainNode {
    /// The inlined vertex.
    pub v: VId,
    /// The rest.
    pub next: Chain,
}

fn chain_has(mut c: &Chain, v: VId) -> bool {
    while let Some(n) = c {
        if n.v == v {
            return true;
        }
        c = &n.next;
    }
    false
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum St {
    New,
    Adding,
    /// Re-adding conjuncts that were stuck on a reference cycle; the
    /// scalar found so far is visible to them.
    Deferring,
    Arcs,
    Done,
}

/// A closedness requirement: fields of the vertex must be evidenced here.
#[derive(Clone, Debug, Default)]
struct Req {
    key: u32,
    active: bool,
    open: bool,
    allowed: Vec<Label>,
    patterns: Vec<Val>,
}

#[derive(Clone, Debug)]
enum Pending {
    Comp(Rc<Comprehension>, Env, CI),
    Dyn(RExpr, ArcType, RExpr, Env, CI),
}

#[derive(Clone, Debug)]
enum DisjSrc {
    Exprs(Vec<(RExpr, bool)>, Env, CI),
    Vals(Rc<Vec<(Val, bool)>>, CI, Span),
}

/// A node of the value graph.
#[derive(Clone, Debug)]
pub struct Vertex {
    /// Parent vertex.
    pub parent: Option<VId>,
    /// Label in the parent.
    pub label: Label,
    /// Regular, optional or required.
    pub arc: ArcType,
    /// Conjuncts.
    pub conjs: Vec<Conj>,
    st: St,
    /// Child arcs in order.
    pub arcs: Vec<VId>,
    /// Scalar part.
    pub base: Val,
    base_spans: Vec<Span>,
    /// Saw a struct literal.
    pub is_struct: bool,
    /// Saw a list literal.
    pub is_list: bool,
    /// Positions of the struct and list literals.
    pub struct_spans: Vec<Span>,
    /// Positions of the field declarations that created this arc.
    pub label_spans: Vec<Span>,
    /// Positions of the list literals (for length errors).
    list_spans: Vec<Span>,
    list_lens: Vec<(u32, bool)>,
    list_types: Vec<(u32, Conj)>,
    patterns: Vec<(Val, Conj)>,
    reqs: Vec<Req>,
    pending: Vec<(Pending, Chain)>,
    disjs: Vec<DisjSrc>,
    choices: Option<Rc<Vec<usize>>>,
    choice_pos: usize,
    /// Errors found while expanding.
    pub err: Option<Rc<Err>>,
    /// Replaced by another vertex (a single surviving disjunct).
    pub forward: Option<VId>,
    /// Surviving disjuncts and their default marks.
    pub disj: Option<Vec<(VId, bool)>>,
    /// The disjunction had default marks.
    pub disj_has_default: bool,
    inlined: Vec<VId>,
    /// A reference cycle was seen.
    pub self_cycle: bool,
    /// Closed by `close()`.
    closed_call: bool,
    /// Validators to check against the final value.
    validators: Vec<(Rc<Validator>, Span)>,
    /// A trial copy made by a validator: its validators are not checked.
    no_validators: bool,
    /// Conjuncts stuck on a reference cycle, retried after the others.
    deferred: Vec<Conj>,
    /// Its value depended on a vertex still being built.
    provisional: bool,
    /// Index of the first conjunct position in the first file (for order).
    pub decl_span: Option<Span>,
    /// For a disjunct's trial copy: the vertex it stands for (so a
    /// reference back to that vertex is seen as structural).
    origin: Option<VId>,
}

impl Vertex {
    fn new(parent: Option<VId>, label: Label, arc: ArcType) -> Self {
        Vertex {
            parent,
            label,
            arc,
            conjs: Vec::new(),
            st: St::New,
            arcs: Vec::new(),
            base: Val::Top,
            base_spans: Vec::new(),
            is_struct: false,
            is_list: false,
            struct_spans: Vec::new(),
            label_spans: Vec::new(),
            list_spans: Vec::new(),
            list_lens: Vec::new(),
            list_types: Vec::new(),
            patterns: Vec::new(),
            reqs: Vec::new(),
            pending: Vec::new(),
            disjs: Vec::new(),
            choices: None,
            choice_pos: 0,
            err: None,
            forward: None,
            disj: None,
            disj_has_default: false,
            inlined: Vec::new(),
            self_cycle: false,
            closed_call: false,
            validators: Vec::new(),
            no_validators: false,
            deferred: Vec::new(),
            provisional: false,
            decl_span: None,
            origin: None,
        }
    }
}

/// The evaluation engine: the vertex arena and label interner.
#[derive(Default)]
pub struct Engine {
    /// Label interner.
    pub interner: Interner,
    /// All vertices.
    pub verts: Vec<Vertex>,
    depth: u32,
    next_group: u32,
    child_groups: HashMap<(u32, Label), u32>,
    /// The parent group and label of each child group.
    group_parent: HashMap<u32, (u32, Label)>,
    /// Groups whose declared fields also count as evidence for a group: a
    /// definition referenced as a conjunct of a field that an enclosing
    /// definition closes (`#C: {s: #S & {#V: 1}}`) declares fields of `s`
    /// too, so `#C`'s closing of `s` accepts what `#S` declares.
    group_also: HashMap<u32, Vec<u32>>,
    /// Groups whose own declarations (not what they accept through
    /// `group_also`) count as evidence for a group.
    group_direct: HashMap<u32, Vec<u32>>,
    /// The closing group each definition inlined into a vertex got, so a
    /// second reference to the same definition (through another field)
    /// still gives its evidence to the second reference's group.
    def_groups: HashMap<(VId, VId), u32>,
    /// Label sym for temporaries.
    temp_sym: Option<Sym>,
    /// Chain of the conjunct being added.
    cur_chain: Chain,
    /// Times a value was read from a vertex still being built.
    cycle_hits: u64,
    /// Nesting of validator checks.
    validator_depth: u32,
    /// Conjuncts added since the API entry.
    work: usize,
    /// A schema check was undecided (a required field is missing).
    validator_maybe: bool,
    /// Stack address at the API entry.
    stack_base: usize,
    /// Bytes of stack evaluation may use before failing with an error.
    pub stack_budget: usize,
    /// Packages registered by the loader (cue-load): import key -> root.
    pub packages: HashMap<Rc<str>, VId>,
    /// Positions of the arguments of the builtin call being evaluated
    /// (errors about one argument point at it).
    call_args: Vec<Span>,
    /// Argument positions of validators built by a call (keyed by the
    /// validator's address; the `Rc` keeps the key valid).
    validator_args: HashMap<usize, (Rc<Validator>, Vec<Span>)>,
}

fn env_frame(env: &Env, up: u32) -> Option<&Rc<EnvNode>> {
    let mut e = env.as_ref()?;
    for _ in 0..up {
        e = e.parent.as_ref()?;
    }
    Some(e)
}

fn incomplete(msg: impl Into<String>, span: Span) -> Val {
    Err::bottom(ErrorKind::Incomplete, msg, vec![span])
}

fn eval_err(msg: impl Into<String>, span: Span) -> Val {
    Err::bottom(ErrorKind::Eval, msg, vec![span])
}

impl Engine {
    /// A new engine.
    pub fn new() -> Self {
        Engine {
            next_group: 1,
            stack_budget: STACK_BUDGET,
            ..Default::default()
        }
    }

    /// Marks the stack position of an API entry and resets the work
    /// budget.
    pub fn enter(&mut self) {
        self.stack_base = stack_pos();
        self.work = 0;
    }

    /// Whether evaluation nests too deeply (by depth or stack use).
    pub fn too_deep(&mut self) -> bool {
        if self.stack_base == 0 {
            self.stack_base = stack_pos();
        }
        self.depth > MAX_DEPTH || self.stack_base.abs_diff(stack_pos()) > self.stack_budget
    }

    /// Allocates a vertex.
    pub fn alloc(&mut self, parent: Option<VId>, label: Label, arc: ArcType) -> VId {
        self.verts.push(Vertex::new(parent, label, arc));
        (self.verts.len() - 1) as VId
    }

    /// A temporary vertex holding conjuncts.
    pub fn temp(&mut self, parent: Option<VId>, mut conjs: Vec<Conj>) -> VId {
        for c in conjs.iter_mut() {
            if c.chain.is_none() {
                c.chain = self.cur_chain.clone();
            }
        }
        let sym = *self
            .temp_sym
            .get_or_insert_with(|| self.interner.intern("<temp>"));
        let id = self.alloc(parent, Label::Hidden(sym), ArcType::Regular);
        self.verts[id as usize].conjs = conjs;
        id
    }

    fn v(&self, id: VId) -> &Vertex {
        &self.verts[id as usize]
    }

    fn vm(&mut self, id: VId) -> &mut Vertex {
        &mut self.verts[id as usize]
    }

    /// Follows forwards.
    pub fn resolve(&self, mut id: VId) -> VId {
        while let Some(f) = self.v(id).forward {
            id = f;
        }
        id
    }

    fn new_group(&mut self) -> u32 {
        self.next_group += 1;
        self.next_group
    }

    fn child_group(&mut self, g: u32, l: Label) -> u32 {
        if let Some(&k) = self.child_groups.get(&(g, l)) {
            return k;
        }
        let k = self.new_group();
        self.child_groups.insert((g, l), k);
        self.group_parent.insert(k, (g, l));
        k
    }

    fn req(&mut self, v: VId, key: u32) -> &mut Req {
        let vx = self.vm(v);
        if let Some(i) = vx.reqs.iter().position(|r| r.key == key) {
            return &mut vx.reqs[i];
        }
        vx.reqs.push(Req {
            key,
            ..Default::default()
        });
        vx.reqs.last_mut().expect("just pushed")
    }

    /// The path of a vertex, `a.b.0.c`.
    pub fn path(&self, mut id: VId) -> String {
        let mut parts = Vec::new();
        loop {
            let v = self.v(id);
            let Some(p) = v.parent else { break };
            parts.push(self.label_text(v.label));
            id = p;
        }
        parts.reverse();
        parts.join(".")
    }

    /// A label as written in a path.
    pub fn label_text(&self, l: Label) -> String {
        match l {
            Label::Field(s) => {
                let n = self.interner.name(s);
                if is_ident(n) {
                    n.to_string()
                } else {
                    cue_syntax::literal::quote_string(n)
                }
            }
            Label::Def(s) | Label::Hidden(s) => self.interner.name(s).to_string(),
            Label::Index(i) => i.to_string(),
        }
    }

    fn is_ancestor(&self, a: VId, mut b: VId) -> bool {
        loop {
            let Some(p) = self.v(b).parent else {
                return false;
            };
            if p == a || self.v(p).origin == Some(a) {
                return true;
            }
            b = p;
        }
    }

    fn in_def(&self, mut id: VId) -> bool {
        loop {
            let v = self.v(id);
            if matches!(v.label, Label::Def(_)) || v.closed_call {
                return true;
            }
            match v.parent {
                Some(p) => id = p,
                None => return false,
            }
        }
    }

    /// Finds or creates an arc.
    pub fn arc(&mut self, v: VId, label: Label, arc: ArcType) -> VId {
        if let Some(&a) = self.v(v).arcs.iter().find(|&&a| self.v(a).label == label) {
            let cur = self.v(a).arc;
            let new = match (cur, arc) {
                (ArcType::Regular, _) | (_, ArcType::Regular) => ArcType::Regular,
                (ArcType::Required, _) | (_, ArcType::Required) => ArcType::Required,
                _ => ArcType::Optional,
            };
            self.vm(a).arc = new;
            return a;
        }
        let a = self.alloc(Some(v), label, arc);
        self.vm(v).arcs.push(a);
        a
    }

    /// Adds a conjunct to a vertex, re-opening it when already expanded.
    pub fn push_conj(&mut self, v: VId, mut c: Conj) {
        if c.chain.is_none() {
            c.chain = self.cur_chain.clone();
        }
        let st = self.v(v).st;
        if st >= St::Arcs {
            self.reset(v);
        }
        self.vm(v).conjs.push(c);
    }

    fn reset(&mut self, v: VId) {
        let old = self.v(v).clone();
        let mut n = Vertex::new(old.parent, old.label, old.arc);
        n.conjs = old.conjs;
        n.choices = old.choices;
        n.closed_call = old.closed_call;
        n.origin = old.origin;
        *self.vm(v) = n;
    }

    // ---- expansion -------------------------------------------------------

    /// Expands a vertex: its arcs and scalar part become known (children
    /// are not evaluated). Re-entrant calls while expanding return at once.
    pub fn arcs(&mut self, v: VId) -> VId {
        let v = self.resolve(v);
        if self.v(v).st != St::New {
            return v;
        }
        if self.too_deep() {
            self.set_err(
                v,
                Err::bottom(
                    ErrorKind::Eval,
                    "evaluation too deep (nesting limit reached)",
                    vec![],
                ),
            );
            self.vm(v).st = St::Done;
            return v;
        }
        self.depth += 1;
        let h0 = self.cycle_hits;
        self.vm(v).st = St::Adding;
        let mut i = 0;
        while i < self.v(v).conjs.len() {
            let c = self.v(v).conjs[i].clone();
            self.add(v, c);
            i += 1;
        }
        self.run_pending(v);
        let deferred = std::mem::take(&mut self.vm(v).deferred);
        if !deferred.is_empty() {
            self.vm(v).st = St::Deferring;
            for c in deferred {
                self.add(v, c);
            }
            self.vm(v).st = St::Adding;
        }
        self.apply_list_types(v);
        let disjs = std::mem::take(&mut self.vm(v).disjs);
        if !disjs.is_empty() {
            // Still "being built" while the disjuncts are tried, so
            // references back to it are seen as cycles.
            self.expand_disjunctions(v, disjs);
        }
        if self.v(v).st == St::Adding {
            self.vm(v).st = St::Arcs;
        }
        self.apply_patterns(v);
        self.depth -= 1;
        let v = self.resolve(v);
        if self.cycle_hits > h0 {
            let xv = self.v(v);
            let incomplete =
                |b: &Val| matches!(b, Val::Bottom(e) if e.kind == ErrorKind::Incomplete);
            if incomplete(&xv.base)
                || xv
                    .err
                    .as_ref()
                    .is_some_and(|e| e.kind == ErrorKind::Incomplete)
            {
                self.vm(v).provisional = true;
            }
        }
        v
    }

    fn set_err(&mut self, v: VId, e: Val) {
        if let Val::Bottom(e) = e {
            let vx = self.vm(v);
            if vx.err.is_none() {
                vx.err = Some(e);
            }
        }
    }

    fn add_base(&mut self, v: VId, val: Val, span: Span) {
        if let Val::Bottom(e) = &val
            && e.kind == ErrorKind::Incomplete
        {
            // Keep the reason, but an incomplete conjunct does not
            // override a conflict.
        }
        let mut spans = self.v(v).base_spans.clone();
        spans.push(span);
        let cur = self.v(v).base.clone();
        let u = unify(&cur, &val, &spans);
        let vx = self.vm(v);
        vx.base = u;
        vx.base_spans = spans;
    }

    fn add(&mut self, v: VId, c: Conj) {
        self.work += 1;
        if self.work > MAX_WORK {
            self.set_err(
                v,
                Err::bottom(
                    ErrorKind::Eval,
                    format!("evaluation too large (more than {MAX_WORK} conjuncts in one request)"),
                    vec![],
                ),
            );
            return;
        }
        if self.too_deep() {
            self.set_err(
                v,
                Err::bottom(
                    ErrorKind::Eval,
                    "evaluation too deep (nesting limit reached)",
                    vec![],
                ),
            );
            return;
        }
        self.depth += 1;
        let saved = std::mem::replace(&mut self.cur_chain, c.chain.clone());
        self.add_inner(v, c);
        self.cur_chain = saved;
        self.depth -= 1;
    }

    fn add_inner(&mut self, v: VId, c: Conj) {
        let (e, env) = match c.x {
            CExpr::Val(val, span) => return self.add_val(v, val, c.ci, span),
            CExpr::Expr(e, env) => (e, env),
        };
        if self.v(v).decl_span.is_none() {
            self.vm(v).decl_span = Some(e.span);
        }
        match &e.kind {
            ExprKind::Struct(lit) => self.add_struct(v, lit.clone(), env, c.ci, e.span),
            ExprKind::List(lit) => {
                self.vm(v).list_spans.push(e.span);
                self.add_list(v, lit.clone(), env, c.ci)
            }
            ExprKind::Unify(parts) => {
                // An embedded `#A & {x: 1}` is unified before it is
                // embedded: `#A` closes its operand, so its operands are
                // not embeddings themselves.
                // An embedded `#A & {x: 1}` is unified before it is
                // embedded: `#A` closes `{x: 1}`, not the struct it is
                // embedded in. `#A` gets a group of its own that accepts
                // what the enclosing literal declares; the other operands
                // give evidence only to the enclosing literal's group.
                // (Inside a definition every literal is closed already.)
                let split = c.ci.embed
                    && c.ci.group != 0
                    && c.ci.closing == 0
                    && parts.iter().any(is_def_ref);
                let (def_ci, other_ci) = if split {
                    let g = c.ci.group;
                    let (ga, g2) = (self.new_group(), self.new_group());
                    self.group_direct.entry(ga).or_default().push(g);
                    let also = self.group_also.entry(g).or_default();
                    also.push(ga);
                    also.push(g2);
                    (CI { group: ga, ..c.ci }, CI { group: g2, ..c.ci })
                } else {
                    (c.ci, c.ci)
                };
                for p in parts {
                    let ci = if is_def_ref(p) { def_ci } else { other_ci };
                    self.add(
                        v,
                        Conj {
                            x: CExpr::Expr(p.clone(), env.clone()),
                            ci,
                            chain: self.cur_chain.clone(),
                        },
                    );
                }
            }
            ExprKind::Disj(alts) => self.add_disj(v, DisjSrc::Exprs(alts.clone(), env, c.ci)),
            ExprKind::Top => {}
            _ => {
                let h0 = self.cycle_hits;
                let val = self.eval_ref(&e, &env);
                // Stuck on a cycle through this vertex: retry once the other
                // conjuncts are in (`a: b - 1, b: a + 1, a: 2`).
                if self.cycle_hits > h0
                    && self.v(v).st == St::Adding
                    && matches!(&val, Val::Bottom(er) if er.kind == ErrorKind::Incomplete)
                {
                    let chain = self.cur_chain.clone();
                    self.vm(v).deferred.push(Conj {
                        x: CExpr::Expr(e.clone(), env),
                        ci: c.ci,
                        chain,
                    });
                    return;
                }
                if self.cycle_hits > h0
                    && self.v(v).st == St::Deferring
                    && matches!(&val, Val::Bottom(er) if er.kind == ErrorKind::Incomplete)
                {
                    // Still cyclic after the other conjuncts: the cycle is
                    // resolved when they made the value concrete.
                    if !self.v(v).base.is_concrete_scalar() {
                        self.vm(v).self_cycle = true;
                    }
                    return;
                }
                self.add_val(v, val, c.ci, e.span);
            }
        }
    }

    fn add_disj(&mut self, v: VId, d: DisjSrc) {
        let vx = self.v(v);
        if let Some(ch) = vx.choices.clone() {
            let pos = vx.choice_pos;
            if pos < ch.len() {
                self.vm(v).choice_pos += 1;
                let pick = ch[pos];
                match d {
                    DisjSrc::Exprs(alts, env, ci) => {
                        let (e, _) = alts[pick].clone();
                        self.add(
                            v,
                            Conj {
                                x: CExpr::Expr(e, env),
                                ci,
                                chain: self.cur_chain.clone(),
                            },
                        );
                    }
                    DisjSrc::Vals(alts, ci, span) => {
                        let (val, _) = alts[pick].clone();
                        self.add_val(v, val, ci, span);
                    }
                }
                return;
            }
        }
        self.vm(v).disjs.push(d);
    }

    fn add_val(&mut self, v: VId, val: Val, ci: CI, span: Span) {
        // A bare package function returning bool (`net.IPv4`) is a validator.
        let val = crate::std_bridge::bare_validator(val);
        match val {
            Val::Validator(vd) => {
                // A validator taking schemas opens the struct it is in.
                if ci.group != 0 {
                    self.req(v, ci.group).open = true;
                }
                // Package validators do not recurse: trial copies check them.
                if !self.v(v).no_validators || matches!(vd.kind, VKind::Pkg(_)) {
                    self.vm(v).validators.push((vd, span));
                }
            }
            Val::Vertex(w) => self.inline(v, w, ci, span),
            Val::Disj(alts) => self.add_disj(v, DisjSrc::Vals(alts, ci, span)),
            Val::Bottom(ref e) if e.kind == ErrorKind::Cycle => {
                self.vm(v).self_cycle = true;
            }
            other => self.add_base(v, other, span),
        }
    }

    fn inline(&mut self, v: VId, w: VId, ci: CI, span: Span) {
        let w = self.resolve(w);
        if w == v {
            self.vm(v).self_cycle = true;
            return;
        }
        if self.is_ancestor(w, v) {
            let path = self.path(w);
            self.set_err(
                v,
                Err::bottom(
                    ErrorKind::StructuralCycle,
                    format!("structural cycle (reference to {path})"),
                    vec![span],
                ),
            );
            return;
        }
        if chain_has(&self.cur_chain, w) {
            let path = self.path(w);
            self.set_err(
                v,
                Err::bottom(
                    ErrorKind::StructuralCycle,
                    format!("structural cycle (reference to {path})"),
                    vec![span],
                ),
            );
            return;
        }
        if self.v(v).inlined.contains(&w) {
            // The conjuncts are already there; only the closedness evidence
            // of a definition is owed to this conjunct's group.
            if let Some(&g) = self.def_groups.get(&(v, w))
                && ci.group != 0
                && ci.group != g
            {
                let also = self.group_also.entry(ci.group).or_default();
                if !also.contains(&g) {
                    also.push(g);
                }
            }
            return;
        }
        self.vm(v).inlined.push(w);
        // Make sure the conjuncts of `w` are complete: its parent expanded.
        if let Some(p) = self.v(w).parent {
            self.arcs(p);
        }
        let w0 = w;
        let w = self.resolve(w);
        let def = self.in_def(w);
        let closing = if self.v(w).closed_call && !matches!(self.v(w).label, Label::Def(_)) {
            1
        } else {
            2
        };
        let new_ci = if def {
            if ci.embed && ci.group != 0 {
                self.req(v, ci.group).active = true;
                CI {
                    closing,
                    group: ci.group,
                    embed: false,
                }
            } else {
                let g = self.new_group();
                if ci.group != 0 && ci.closing == 2 {
                    self.group_also.entry(ci.group).or_default().push(g);
                }
                self.def_groups.insert((v, w0), g);
                CI {
                    closing,
                    group: g,
                    embed: false,
                }
            }
        } else {
            ci
        };
        let conjs = self.v(w).conjs.clone();
        if conjs.is_empty() {
            // A vertex built from values (JSON data) has arcs but no conjuncts.
            self.copy_arcs(v, w, new_ci);
            return;
        }
        let chain = Some(Rc::new(ChainNode {
            v: w,
            next: self.cur_chain.clone(),
        }));
        for c in conjs {
            let ci2 = if def { new_ci } else { merge_ci(ci, c.ci) };
            self.add(
                v,
                Conj {
                    x: c.x,
                    ci: ci2,
                    chain: chain.clone(),
                },
            );
        }
    }

    fn copy_arcs(&mut self, v: VId, w: VId, ci: CI) {
        let wv = self.v(w).clone();
        if wv.is_struct {
            self.vm(v).is_struct = true;
        }
        if wv.is_list {
            self.vm(v).is_list = true;
            let n = wv.arcs.len() as u32;
            self.vm(v).list_lens.push((n, false));
        }
        self.add_base(v, wv.base.clone(), Span::default());
        for a in wv.arcs {
            let av = self.v(a);
            let (label, arc) = (av.label, av.arc);
            let na = self.arc(v, label, arc);
            self.push_conj(
                na,
                Conj {
                    x: CExpr::Val(Val::Vertex(a), Span::default()),
                    ci: CI {
                        closing: ci.closing,
                        group: 0,
                        embed: false,
                    },
                    chain: self.cur_chain.clone(),
                },
            );
        }
    }

    fn add_struct(&mut self, v: VId, lit: Rc<StructLit>, env: Env, ci: CI, span: Span) {
        // `{2}` and `{2, #x: 1}` are the scalar 2: a literal that only
        // embeds (besides definitions, hidden fields and lets) is a struct
        // only if an embedding makes it one.
        let only_embeds = lit.decls.iter().any(|d| matches!(d, Decl::Embed(_)))
            && lit.decls.iter().all(|d| match d {
                Decl::Embed(_) => true,
                Decl::Field { label, .. } => !matches!(label, Label::Field(_)),
                _ => false,
            });
        if !only_embeds {
            self.vm(v).is_struct = true;
            self.vm(v).struct_spans.push(span);
        }
        let env2: Env = Some(Rc::new(EnvNode {
            parent: env,
            frame: Frame::Struct(v, Some(lit.clone())),
        }));
        let has_embed = lit.decls.iter().any(|d| matches!(d, Decl::Embed(_)));
        let g = if ci.closing > 0 {
            let g = if ci.group != 0 {
                ci.group
            } else {
                self.new_group()
            };
            self.req(v, g).active = true;
            g
        } else if ci.group != 0 && ci.embed {
            ci.group
        } else if has_embed {
            self.new_group()
        } else {
            0
        };
        for d in lit.decls.iter() {
            match d {
                Decl::Field {
                    label,
                    arc,
                    value,
                    span: fspan,
                } => {
                    if g != 0 {
                        let r = self.req(v, g);
                        if !r.allowed.contains(label) {
                            r.allowed.push(*label);
                        }
                    }
                    let a = self.arc(v, *label, *arc);
                    self.vm(a).label_spans.push(*fspan);
                    let child_ci = self.child_ci(ci, g, *label);
                    self.push_conj(
                        a,
                        Conj {
                            x: CExpr::Expr(value.clone(), env2.clone()),
                            ci: child_ci,
                            chain: self.cur_chain.clone(),
                        },
                    );
                }
                Decl::DynField { label, arc, value } => {
                    let chain = self.cur_chain.clone();
                    self.vm(v).pending.push((
                        Pending::Dyn(
                            label.clone(),
                            *arc,
                            value.clone(),
                            env2.clone(),
                            CI { group: g, ..ci },
                        ),
                        chain,
                    ))
                }
                Decl::Embed(e) => self.add(
                    v,
                    Conj {
                        x: CExpr::Expr(e.clone(), env2.clone()),
                        ci: CI {
                            closing: ci.closing,
                            group: g,
                            embed: true,
                        },
                        chain: self.cur_chain.clone(),
                    },
                ),
                Decl::Pattern { pat, value } => {
                    let pv = self.eval(pat, &env2);
                    if g != 0 {
                        self.req(v, g).patterns.push(pv.clone());
                    }
                    let child_ci = self.child_ci(ci, g, Label::Index(u32::MAX));
                    let chain = self.cur_chain.clone();
                    self.vm(v).patterns.push((
                        pv,
                        Conj {
                            x: CExpr::Expr(value.clone(), env2.clone()),
                            ci: child_ci,
                            chain,
                        },
                    ));
                }
                Decl::Ellipsis => {
                    if g != 0 {
                        self.req(v, g).open = true;
                    }
                }
                Decl::Comprehension(c) => {
                    let chain = self.cur_chain.clone();
                    self.vm(v).pending.push((
                        Pending::Comp(
                            c.clone(),
                            env2.clone(),
                            CI {
                                group: g,
                                embed: true,
                                ..ci
                            },
                        ),
                        chain,
                    ))
                }
            }
        }
    }

    fn child_ci(&mut self, ci: CI, g: u32, label: Label) -> CI {
        if matches!(label, Label::Def(_)) && ci.closing < 2 {
            return CI {
                closing: 2,
                group: self.child_group(0, label),
                embed: false,
            };
        }
        if ci.closing == 2 {
            CI {
                closing: 2,
                group: self.child_group(g, label),
                embed: false,
            }
        } else {
            CI::default()
        }
    }

    fn add_list(&mut self, v: VId, lit: Rc<ListLit>, env: Env, ci: CI) {
        self.vm(v).is_list = true;
        let mut i = 0u32;
        let mut has_comp = false;
        for el in &lit.elems {
            match el {
                ListElem::Expr(e) => {
                    let a = self.arc(v, Label::Index(i), ArcType::Regular);
                    let cci = self.child_ci(ci, 0, Label::Index(0));
                    self.push_conj(
                        a,
                        Conj {
                            x: CExpr::Expr(e.clone(), env.clone()),
                            ci: cci,
                            chain: self.cur_chain.clone(),
                        },
                    );
                    i += 1;
                }
                ListElem::Comp(c) => {
                    has_comp = true;
                    // Comprehensions yield at the end of the static part.
                    let n = self.run_list_comp(v, c.clone(), env.clone(), ci, i);
                    match n {
                        Ok(k) => i += k,
                        Err(e) => self.set_err(v, e),
                    }
                }
            }
        }
        let _ = has_comp;
        let open = lit.ellipsis.is_some();
        self.vm(v).list_lens.push((i, open));
        if let Some(Some(t)) = &lit.ellipsis {
            let cci = self.child_ci(ci, 0, Label::Index(0));
            let chain = self.cur_chain.clone();
            self.vm(v).list_types.push((
                i,
                Conj {
                    x: CExpr::Expr(t.clone(), env.clone()),
                    ci: cci,
                    chain,
                },
            ));
        }
    }

    fn apply_list_types(&mut self, v: VId) {
        let types = self.v(v).list_types.clone();
        if types.is_empty() {
            return;
        }
        let arcs = self.v(v).arcs.clone();
        for a in arcs {
            if let Label::Index(i) = self.v(a).label {
                for (from, c) in &types {
                    if i >= *from {
                        self.push_conj(a, c.clone());
                    }
                }
            }
        }
    }

    fn apply_patterns(&mut self, v: VId) {
        let v = self.resolve(v);
        let pats = self.v(v).patterns.clone();
        if pats.is_empty() {
            return;
        }
        let arcs = self.v(v).arcs.clone();
        for a in arcs {
            let label = self.v(a).label;
            let Label::Field(sym) = label else { continue };
            let name: Rc<str> = self.interner.name(sym).into();
            for (p, c) in &pats {
                if self.label_matches(p, &name) {
                    let CExpr::Expr(e, env) = &c.x else { continue };
                    let env2: Env = Some(Rc::new(EnvNode {
                        parent: env.clone(),
                        frame: Frame::Bind(vec![Val::Str(name.clone())]),
                    }));
                    self.push_conj(
                        a,
                        Conj {
                            x: CExpr::Expr(e.clone(), env2),
                            ci: c.ci,
                            chain: self.cur_chain.clone(),
                        },
                    );
                }
            }
        }
    }

    fn label_matches(&mut self, p: &Val, name: &Rc<str>) -> bool {
        let s = Val::Str(name.clone());
        match p {
            Val::Vertex(_) => false,
            _ => !unify(p, &s, &[]).is_bottom(),
        }
    }

    // ---- comprehensions --------------------------------------------------

    fn run_pending(&mut self, v: VId) {
        loop {
            let pend = std::mem::take(&mut self.vm(v).pending);
            if pend.is_empty() {
                return;
            }
            let n = pend.len();
            let mut stuck = Vec::new();
            let mut errs = Vec::new();
            for p in pend {
                let saved = std::mem::replace(&mut self.cur_chain, p.1.clone());
                let r = self.run_one(v, &p.0);
                self.cur_chain = saved;
                match r {
                    Ok(()) => {}
                    Err(e) => {
                        if let Val::Bottom(er) = &e
                            && er.kind == ErrorKind::Incomplete
                        {
                            stuck.push(p);
                            errs.push(e);
                            continue;
                        }
                        self.set_err(v, e);
                    }
                }
            }
            let more = std::mem::take(&mut self.vm(v).pending);
            if stuck.is_empty() && more.is_empty() {
                return;
            }
            if stuck.len() == n && more.is_empty() {
                // No progress: report why.
                for e in errs {
                    self.set_err(v, e);
                }
                return;
            }
            stuck.extend(more);
            self.vm(v).pending = stuck;
        }
    }

    fn run_one(&mut self, v: VId, p: &Pending) -> Result<(), Val> {
        match p {
            Pending::Dyn(le, arc, value, env, ci) => {
                let l = self.eval(le, env);
                let name = match l {
                    Val::Str(s) => s,
                    Val::Bottom(_) => return Err(l),
                    other if !other.is_concrete_scalar() => {
                        return Err(incomplete(
                            format!(
                                "key value of dynamic field must be concrete, found {}",
                                scalar_text(&other)
                            ),
                            le.span,
                        ));
                    }
                    Val::Num(Number::Int(_)) => {
                        return Err(eval_err("integer fields not supported", le.span));
                    }
                    other => {
                        return Err(eval_err(
                            format!("invalid label type {}", kind_name(other.kind())),
                            le.span,
                        ));
                    }
                };
                let label = Label::Field(self.interner.intern(&name));
                if ci.group != 0 {
                    let r = self.req(v, ci.group);
                    r.allowed.push(label);
                }
                let a = self.arc(v, label, *arc);
                self.vm(a).label_spans.push(le.span);
                let cci = self.child_ci(*ci, ci.group, label);
                self.push_conj(
                    a,
                    Conj {
                        x: CExpr::Expr(value.clone(), env.clone()),
                        ci: cci,
                        chain: self.cur_chain.clone(),
                    },
                );
                Ok(())
            }
            Pending::Comp(c, env, ci) => {
                let mut out = Vec::new();
                self.comp_iter(c, 0, env.clone(), &mut out)?;
                if out.is_empty()
                    && let Some(e) = &c.else_body
                {
                    self.add(
                        v,
                        Conj {
                            x: CExpr::Expr(e.clone(), env.clone()),
                            ci: *ci,
                            chain: self.cur_chain.clone(),
                        },
                    );
                }
                for env2 in out {
                    self.add(
                        v,
                        Conj {
                            x: CExpr::Expr(c.body.clone(), env2),
                            ci: *ci,
                            chain: self.cur_chain.clone(),
                        },
                    );
                }
                Ok(())
            }
        }
    }

    fn run_list_comp(
        &mut self,
        v: VId,
        c: Rc<Comprehension>,
        env: Env,
        ci: CI,
        start: u32,
    ) -> Result<u32, Val> {
        let mut out = Vec::new();
        self.comp_iter(&c, 0, env, &mut out)?;
        let mut i = start;
        for env2 in out {
            let a = self.arc(v, Label::Index(i), ArcType::Regular);
            let cci = self.child_ci(ci, 0, Label::Index(0));
            self.push_conj(
                a,
                Conj {
                    x: CExpr::Expr(c.body.clone(), env2),
                    ci: cci,
                    chain: self.cur_chain.clone(),
                },
            );
            i += 1;
        }
        Ok(i - start)
    }

    /// Runs the clauses from `idx`, collecting one environment per yield.
    fn comp_iter(
        &mut self,
        c: &Comprehension,
        idx: usize,
        env: Env,
        out: &mut Vec<Env>,
    ) -> Result<(), Val> {
        let Some(cl) = c.clauses.get(idx) else {
            out.push(env);
            return Ok(());
        };
        match cl {
            Clause::If(cond, cspan) => {
                let (cv, w) = self.eval_keep_ref(cond, &env);
                let cv = self.default_of(cv);
                let mut spans = vec![*cspan];
                if let Some(w) = w {
                    spans.extend(self.decl_spans(w));
                }
                match cv {
                    Val::Bool(true) => self.comp_iter(c, idx + 1, env, out),
                    Val::Bool(false) => Ok(()),
                    Val::Bottom(e) => Err(Val::Bottom(e)),
                    other if !other.is_concrete_scalar() && other.kind() & K_BOOL != 0 => {
                        Err(Err::bottom(
                            ErrorKind::Incomplete,
                            format!("incomplete bool: {}", scalar_text(&other)),
                            spans,
                        ))
                    }
                    other => {
                        let k = self.kind_of(&other);
                        let shown = self.short(&other);
                        Err(Err::bottom(
                            ErrorKind::Eval,
                            format!("cannot use {shown} (type {k}) as type bool"),
                            spans,
                        ))
                    }
                }
            }
            Clause::Try(Some(e)) => {
                let val = self.eval_ref(e, &env);
                if self.is_try_missing(&val) {
                    return Ok(());
                }
                let env2 = Some(Rc::new(EnvNode {
                    parent: env,
                    frame: Frame::Bind(vec![val]),
                }));
                self.comp_iter(c, idx + 1, env2, out)
            }
            Clause::Try(None) => {
                // The body must evaluate without a missing `x?` anywhere.
                let p = Self::env_vertex(&env);
                let t = self.temp(
                    p,
                    vec![Conj {
                        x: CExpr::Expr(c.body.clone(), env.clone()),
                        ci: CI::default(),
                        chain: self.cur_chain.clone(),
                    }],
                );
                if self.has_try_missing(t) {
                    return Ok(());
                }
                self.comp_iter(c, idx + 1, env, out)
            }
            Clause::Let(e) => {
                let val = self.eval_ref(e, &env);
                let env2 = Some(Rc::new(EnvNode {
                    parent: env,
                    frame: Frame::Bind(vec![val]),
                }));
                self.comp_iter(c, idx + 1, env2, out)
            }
            Clause::For(src) => {
                let (sv, sw) = self.eval_keep_ref(src, &env);
                let sv = self.default_of(sv);
                let w = match sv {
                    Val::Vertex(w) => w,
                    Val::Bottom(_) => return Err(sv),
                    other
                        if !other.is_concrete_scalar()
                            && other.kind() & (K_STRUCT | K_LIST) != 0 =>
                    {
                        let mut spans = vec![src.span];
                        if let Some(w) = sw {
                            spans.extend(self.decl_spans(w));
                        }
                        return Err(Err::bottom(
                            ErrorKind::Incomplete,
                            format!(
                                "cannot range over {} (incomplete type {})",
                                src_text(src).unwrap_or_else(|| scalar_text(&other)),
                                scalar_text(&other)
                            ),
                            spans,
                        ));
                    }
                    other => {
                        return Err(eval_err(
                            format!(
                                "cannot range over {} (found {}, want list or struct)",
                                scalar_text(&other),
                                kind_name(other.kind())
                            ),
                            src.span,
                        ));
                    }
                };
                let w = self.arcs(w);
                let arcs = self.v(w).arcs.clone();
                for a in arcs {
                    let av = self.v(a);
                    if av.arc != ArcType::Regular || !av.label.is_regular() {
                        continue;
                    }
                    let key = match av.label {
                        Label::Index(i) => Val::Num(Number::Int(i.into())),
                        Label::Field(s) => Val::Str(self.interner.name(s).into()),
                        _ => continue,
                    };
                    let env2 = Some(Rc::new(EnvNode {
                        parent: env.clone(),
                        frame: Frame::Bind(vec![key, Val::Vertex(a)]),
                    }));
                    self.comp_iter(c, idx + 1, env2, out)?;
                }
                Ok(())
            }
        }
    }

    // ---- disjunctions ----------------------------------------------------

    fn expand_disjunctions(&mut self, v: VId, disjs: Vec<DisjSrc>) {
        let sizes: Vec<usize> = disjs
            .iter()
            .map(|d| match d {
                DisjSrc::Exprs(a, ..) => a.len(),
                DisjSrc::Vals(a, ..) => a.len(),
            })
            .collect();
        let marks: Vec<Vec<bool>> = disjs
            .iter()
            .map(|d| match d {
                DisjSrc::Exprs(a, ..) => a.iter().map(|x| x.1).collect(),
                DisjSrc::Vals(a, ..) => a.iter().map(|x| x.1).collect(),
            })
            .collect();
        let total: usize = sizes
            .iter()
            .try_fold(1usize, |acc, s| acc.checked_mul(*s))
            .unwrap_or(usize::MAX);
        if total > MAX_DISJUNCTS {
            self.set_err(
                v,
                Err::bottom(
                    ErrorKind::Eval,
                    format!("too many disjunct combinations ({total} > {MAX_DISJUNCTS})"),
                    vec![],
                ),
            );
            return;
        }
        let has_marks = marks.iter().any(|m| m.iter().any(|x| *x));
        let base_choices: Vec<usize> = self.v(v).choices.as_deref().cloned().unwrap_or_default();
        let mut survivors: Vec<(VId, bool)> = Vec::new();
        let mut last_err: Option<Val> = None;
        // Every position of every failed alternative, and the first
        // explicit error (its message is the one to show).
        let mut all_spans: Vec<Span> = Vec::new();
        let mut user_err: Option<Rc<Err>> = None;
        let mut n_failed = 0usize;
        // Alternatives that passed and those of them that are incomplete
        // errors.
        let mut n_pass = 0usize;
        let mut inc_errs: Vec<Rc<Err>> = Vec::new();
        let mut combo = vec![0usize; sizes.len()];
        if sizes.contains(&0) {
            return;
        }
        let (parent, label, arc) = {
            let x = self.v(v);
            (x.parent, x.label, x.arc)
        };
        loop {
            let mut ch = base_choices.clone();
            ch.extend(combo.iter().copied());
            // A combination is default when every disjunction with marks
            // contributes a marked alternative.
            let mut def = true;
            for (i, &c) in combo.iter().enumerate() {
                if marks[i].iter().any(|m| *m) && !marks[i][c] {
                    def = false;
                }
            }
            let y = self.alloc(parent, label, arc);
            {
                let conjs = self.v(v).conjs.clone();
                let closed_call = self.v(v).closed_call;
                let origin = self.v(v).origin.unwrap_or(v);
                let yv = self.vm(y);
                yv.origin = Some(origin);
                yv.conjs = conjs;
                yv.choices = Some(Rc::new(ch));
                yv.closed_call = closed_call;
            }
            let y = self.arcs(y);
            match self.first_error(y, true) {
                Some(e) => {
                    n_failed += 1;
                    for sp in &e.spans {
                        if !all_spans.contains(sp) {
                            all_spans.push(*sp);
                        }
                    }
                    if e.kind == ErrorKind::User {
                        user_err.get_or_insert_with(|| e.clone());
                    }
                    last_err = Some(Val::Bottom(e));
                }
                None => {
                    n_pass += 1;
                    if let Some(e) = self.own_error(y) {
                        inc_errs.push(e);
                    }
                    let yv = self.v(y);
                    // Nested defaults count when the alternative is marked
                    // or the outer disjunction has no marks at all.
                    if let Some(sub) = yv.disj.clone() {
                        let sub_marks = yv.disj_has_default;
                        for (z, m) in sub {
                            let d = if has_marks {
                                def && (!sub_marks || m)
                            } else {
                                sub_marks && m
                            };
                            self.push_survivor(&mut survivors, z, d);
                        }
                    } else {
                        self.push_survivor(&mut survivors, y, has_marks && def);
                    }
                }
            }
            // Next combination.
            let mut i = combo.len();
            loop {
                if i == 0 {
                    break;
                }
                i -= 1;
                combo[i] += 1;
                if combo[i] < sizes[i] {
                    break;
                }
                combo[i] = 0;
                if i == 0 {
                    i = usize::MAX;
                    break;
                }
            }
            if i == usize::MAX || combo.iter().all(|&c| c == 0) {
                break;
            }
        }
        let has_default = survivors.iter().any(|s| s.1);
        // Every alternative is an incomplete error (`x.a | x.b` with
        // neither field there yet): the disjunction is that error.
        if n_pass > 1 {
            let errs = inc_errs;
            if errs.len() == n_pass {
                let mut spans = Vec::new();
                for e in &errs {
                    for sp in &e.spans {
                        if !spans.contains(sp) {
                            spans.push(*sp);
                        }
                    }
                }
                let e = Err::bottom(
                    ErrorKind::Incomplete,
                    format!(
                        "{} errors in empty disjunction: {}",
                        errs.len(),
                        errs[0].msg
                    ),
                    spans,
                );
                self.set_err(v, e);
                self.vm(v).st = St::Done;
                return;
            }
        }
        match survivors.len() {
            0 => {
                let e = match user_err.or(match last_err {
                    Some(Val::Bottom(e)) => Some(e),
                    _ => None,
                }) {
                    Some(e) => {
                        let mut e2 = (*e).clone();
                        let n = sizes.iter().product::<usize>();
                        if !e2.msg.contains("empty disjunction") && n > 1 {
                            e2.msg = if n_failed > 1 {
                                format!("{n_failed} errors in empty disjunction: {}", e2.msg)
                            } else {
                                format!("empty disjunction: {}", e2.msg)
                            };
                        }
                        if n > 1 {
                            // An explicit error among alternatives is one
                            // reason the disjunction failed, not the kind.
                            if e2.kind == ErrorKind::User {
                                e2.kind = ErrorKind::Eval;
                            }
                            e2.spans = all_spans;
                        }
                        Val::Bottom(Rc::new(e2))
                    }
                    _ => Err::bottom(ErrorKind::Eval, "empty disjunction", vec![]),
                };
                self.set_err(v, e);
                self.vm(v).st = St::Done;
            }
            1 => {
                let y = survivors[0].0;
                self.vm(v).forward = Some(y);
            }
            _ => {
                let vx = self.vm(v);
                vx.disj = Some(survivors);
                vx.disj_has_default = has_default;
                vx.st = St::Done;
            }
        }
    }

    fn push_survivor(&mut self, out: &mut Vec<(VId, bool)>, y: VId, def: bool) {
        for s in out.iter_mut() {
            if self.equal_vertices(s.0, y) {
                s.1 |= def;
                return;
            }
        }
        out.push((y, def));
    }

    fn is_try_missing(&mut self, v: &Val) -> bool {
        match v {
            Val::Bottom(e) => e.msg.starts_with(TRY_MISSING),
            Val::Vertex(w) => {
                let w = *w;
                self.has_try_missing(w)
            }
            _ => false,
        }
    }

    /// Whether a missing `x?` reference is anywhere in a vertex.
    fn has_try_missing(&mut self, v: VId) -> bool {
        let mut stack = vec![v];
        let mut seen = 0;
        while let Some(x) = stack.pop() {
            seen += 1;
            if seen > 100_000 {
                return false;
            }
            let x = self.finalize(x);
            let val = self.value(x);
            if let Val::Bottom(e) = &val
                && e.msg.starts_with(TRY_MISSING)
            {
                return true;
            }
            if let Some(e) = self.own_error(x)
                && e.msg.starts_with(TRY_MISSING)
            {
                return true;
            }
            let arcs = self.v(x).arcs.clone();
            for a in arcs.into_iter().rev() {
                if self.v(a).label.is_regular()
                    || matches!(self.v(a).label, Label::Def(_) | Label::Hidden(_))
                {
                    stack.push(a);
                }
            }
        }
        false
    }

    /// Structural equality (via the CUE text of both).
    pub fn equal_vertices(&mut self, a: VId, b: VId) -> bool {
        let ta = crate::export::to_cue_text(self, a, false);
        let tb = crate::export::to_cue_text(self, b, false);
        ta == tb
    }

    /// The first non-incomplete error in a vertex or its regular
    /// descendants (evaluating them). With `fatal_only`, incomplete
    /// errors are ignored.
    pub fn first_error(&mut self, v: VId, fatal_only: bool) -> Option<Rc<Err>> {
        let mut stack = vec![(v, 0u32)];
        let mut visited = 0usize;
        while let Some((x, d)) = stack.pop() {
            visited += 1;
            if visited > MAX_VISIT {
                return Some(Rc::new(Err {
                    kind: ErrorKind::Eval,
                    msg: format!("value too large to check (more than {MAX_VISIT} nodes)"),
                    spans: vec![],
                    path: None,
                }));
            }
            if d > MAX_TREE_DEPTH {
                // Only a structure that keeps unfolding gets this deep.
                return Some(Rc::new(Err {
                    kind: ErrorKind::StructuralCycle,
                    msg: format!(
                        "structural cycle: value nested more than {MAX_TREE_DEPTH} levels deep"
                    ),
                    spans: vec![],
                    path: Some(self.path(x)),
                }));
            }
            let x = self.finalize(x);
            if let Some(e) = self.own_error(x)
                && (!fatal_only || e.kind != ErrorKind::Incomplete)
            {
                return Some(e);
            }
            let xv = self.v(x);
            if xv.disj.is_some() {
                continue;
            }
            let arcs = xv.arcs.clone();
            for a in arcs.into_iter().rev() {
                let av = self.v(a);
                if av.arc == ArcType::Optional || matches!(av.label, Label::Def(_)) {
                    continue;
                }
                stack.push((a, d + 1));
            }
        }
        None
    }

    fn own_error(&self, x: VId) -> Option<Rc<Err>> {
        let xv = self.v(x);
        if let Some(e) = &xv.err {
            return Some(e.clone());
        }
        if let Val::Bottom(e) = &xv.base {
            return Some(e.clone());
        }
        None
    }

    /// Expands and checks a vertex (closedness, list lengths, struct vs
    /// scalar); children are not evaluated.
    pub fn finalize(&mut self, v: VId) -> VId {
        let v = self.arcs(v);
        if self.v(v).st != St::Arcs {
            return v;
        }
        self.vm(v).st = St::Done;
        self.check_closed(v);
        self.check_list(v);
        let vals = self.v(v).validators.clone();
        for (vd, span) in vals {
            if let Some(e) = self.check_validator(v, &vd, span) {
                self.set_err(v, e);
                break;
            }
        }
        let xv = self.v(v);
        if (xv.is_struct || xv.is_list) && xv.err.is_none() {
            let k = if xv.is_struct { K_STRUCT } else { K_LIST };
            let base = xv.base.clone();
            let bad = match &base {
                Val::Top | Val::Bottom(_) => false,
                Val::Constr(c) => c.kind & k == 0 && c.kind != K_TOP,
                _ => true,
            };
            if xv.is_struct && xv.is_list {
                let spans = xv.base_spans.clone();
                self.set_err(
                    v,
                    Err::bottom(
                        ErrorKind::Eval,
                        "conflicting values struct and list (mismatched types struct and list)",
                        spans,
                    ),
                );
            } else if bad {
                let mut spans = xv.base_spans.clone();
                spans.extend(xv.struct_spans.iter().copied());
                let msg = format!(
                    "conflicting values {} and {} (mismatched types {} and {})",
                    scalar_text(&base),
                    if k == K_STRUCT { "{...}" } else { "[...]" },
                    kind_name(base.kind()),
                    kind_name(k)
                );
                self.set_err(v, Err::bottom(ErrorKind::Eval, msg, spans));
            }
        }
        v
    }

    fn check_closed(&mut self, v: VId) {
        let reqs: Vec<Req> = self
            .v(v)
            .reqs
            .iter()
            .filter(|r| r.active && !r.open)
            .cloned()
            .collect();
        if reqs.is_empty() {
            return;
        }
        let arcs = self.v(v).arcs.clone();
        for a in arcs {
            let label = self.v(a).label;
            let Label::Field(sym) = label else { continue };
            let name: Rc<str> = self.interner.name(sym).into();
            for r in &reqs {
                let ok = r.allowed.contains(&label)
                    || r.patterns.iter().any(|p| self.label_matches(p, &name))
                    || self.allowed_by_also(v, r.key, label, &name, 0);
                if !ok {
                    let spans = self.v(a).label_spans.clone();
                    let e = Err::bottom(ErrorKind::Eval, "field not allowed".to_string(), spans);
                    self.set_err(a, e);
                    self.vm(a).st = St::Done;
                    break;
                }
            }
        }
    }

    /// Whether a group that gives evidence for group `g` (see
    /// `group_also`), directly or through the same label path below groups
    /// that do, allows `label` on `v`.
    fn allowed_by_also(
        &mut self,
        v: VId,
        g: u32,
        label: Label,
        name: &Rc<str>,
        depth: u32,
    ) -> bool {
        if depth > 32 {
            return false;
        }
        for a in self.group_direct.get(&g).cloned().unwrap_or_default() {
            let Some(r) = self.v(v).reqs.iter().find(|r| r.key == a).cloned() else {
                continue;
            };
            if r.allowed.contains(&label) || r.patterns.iter().any(|p| self.label_matches(p, name))
            {
                return true;
            }
        }
        let mut also = self.group_also.get(&g).cloned().unwrap_or_default();
        if let Some(&(pg, l)) = self.group_parent.get(&g) {
            for a in self.also_closure(pg, depth + 1) {
                if let Some(&k) = self.child_groups.get(&(a, l)) {
                    also.push(k);
                }
            }
        }
        for a in also {
            let Some(r) = self.v(v).reqs.iter().find(|r| r.key == a).cloned() else {
                continue;
            };
            if r.open
                || r.allowed.contains(&label)
                || r.patterns.iter().any(|p| self.label_matches(p, name))
                || self.allowed_by_also(v, a, label, name, depth + 1)
            {
                return true;
            }
        }
        false
    }

    /// The groups that give evidence for `g`, transitively, including
    /// those inherited from parent groups along the label path.
    fn also_closure(&self, g: u32, depth: u32) -> Vec<u32> {
        if depth > 32 {
            return Vec::new();
        }
        let mut out = self.group_also.get(&g).cloned().unwrap_or_default();
        if let Some(&(pg, l)) = self.group_parent.get(&g) {
            for a in self.also_closure(pg, depth + 1) {
                if let Some(&k) = self.child_groups.get(&(a, l)) {
                    out.push(k);
                }
            }
        }
        let mut i = 0;
        while i < out.len() && out.len() < 256 {
            if let Some(more) = self.group_also.get(&out[i]) {
                out.extend(more.iter().copied());
            }
            i += 1;
        }
        out
    }

    /// Whether `v` unified with `schema` has no conflict.
    fn matches_schema(&mut self, v: VId, schema: &Val) -> bool {
        if let Val::Validator(vd) = schema {
            let vd = vd.clone();
            return self.check_validator(v, &vd, Span::default()).is_none();
        }
        let p = self.v(v).parent;
        let t = self.alloc(p, self.v(v).label, ArcType::Regular);
        self.vm(t).no_validators = true;
        self.vm(t).conjs = vec![
            Conj {
                x: CExpr::Val(Val::Vertex(v), Span::default()),
                ci: CI::default(),
                chain: None,
            },
            Conj {
                x: CExpr::Val(schema.clone(), Span::default()),
                ci: CI::default(),
                chain: None,
            },
        ];
        if self.first_error(t, true).is_some() {
            return false;
        }
        // A required field the value lacks is a mismatch, but only an
        // incomplete one (the field may still come).
        let t = self.resolve(t);
        let arcs = self.v(t).arcs.clone();
        if arcs.iter().any(|&a| self.v(a).arc == ArcType::Required) {
            self.validator_maybe = true;
            return false;
        }
        true
    }

    fn check_validator(&mut self, v: VId, vd: &Validator, span: Span) -> Option<Val> {
        // Recursive schemas (`#S: matchN(1, [{n?: #S}])`): stop nesting
        // checks instead of expanding forever.
        if self.validator_depth >= 3 {
            return None;
        }
        self.validator_depth += 1;
        let r = self.check_validator_inner(v, vd, span);
        self.validator_depth -= 1;
        r
    }

    fn check_validator_inner(&mut self, v: VId, vd: &Validator, span: Span) -> Option<Val> {
        let xv = self.v(v);
        if xv.err.is_some() || (!xv.is_struct && !xv.is_list && !xv.base.is_concrete_scalar()) {
            return None;
        }
        let b = match vd.kind {
            VKind::Pkg(b) => return crate::std_bridge::check_final(self, v, vd, b, span),
            VKind::Universe(b) => b,
        };
        let mut spans = vec![span];
        if b == Builtin::MatchN
            && let Some((_, args)) = self.validator_args.get(&(vd as *const Validator as usize))
            && let Some(a) = args.first()
        {
            spans.push(*a);
        }
        spans.extend(self.conj_spans(v));
        self.validator_maybe = false;
        let ok = match b {
            Builtin::MatchN => {
                let count = vd.args[1..]
                    .iter()
                    .filter(|s| self.matches_schema(v, s))
                    .count();
                let n = Val::Num(Number::Int(count.into()));
                !unify(&vd.args[0], &n, &[]).is_bottom()
            }
            _ => {
                if self.matches_schema(v, &vd.args[0]) {
                    self.matches_schema(v, &vd.args[1])
                } else {
                    self.matches_schema(v, &vd.args[2])
                }
            }
        };
        if ok || self.validator_maybe {
            return None;
        }
        let shown = crate::export::to_cue_text(self, v, false);
        Some(Err::bottom(
            ErrorKind::Eval,
            format!("invalid value {shown} (does not satisfy {})", vd.text),
            spans,
        ))
    }

    /// The validators unified into a vertex, with their positions.
    pub fn validators_of(&self, v: VId) -> Vec<(Rc<Validator>, Span)> {
        self.v(self.resolve(v)).validators.clone()
    }

    /// Positions of the values unified into a vertex: scalars, struct and
    /// list literals.
    pub fn value_spans(&self, v: VId) -> Vec<Span> {
        let xv = self.v(self.resolve(v));
        xv.base_spans
            .iter()
            .chain(&xv.struct_spans)
            .copied()
            .collect()
    }

    /// Whether a struct or list vertex may still get fields or elements:
    /// it is not closed (by a definition or `close`) or has a pattern
    /// constraint; for a list, every list literal in it ends with `...`.
    pub fn may_grow(&self, v: VId) -> bool {
        let xv = self.v(self.resolve(v));
        if xv.is_list {
            return xv.list_lens.iter().all(|&(_, open)| open);
        }
        let closed = self.in_def(v) || xv.reqs.iter().any(|r| r.active && !r.open);
        !closed || !xv.patterns.is_empty()
    }

    /// Positions of a vertex's conjuncts, with `a & b` split into its
    /// operands (where a referenced value was declared).
    fn decl_spans(&self, v: VId) -> Vec<Span> {
        let mut out = Vec::new();
        let mut stack: Vec<&RExpr> = Vec::new();
        for c in &self.v(v).conjs {
            match &c.x {
                CExpr::Expr(e, _) => stack.push(e),
                CExpr::Val(_, s) => out.push(*s),
            }
            while let Some(e) = stack.pop() {
                match &e.kind {
                    ExprKind::Unify(parts) => stack.extend(parts.iter().rev()),
                    _ => out.push(e.span),
                }
            }
        }
        out.retain(|s| s.is_valid());
        out
    }

    /// Positions of a vertex's conjuncts.
    pub fn conj_spans(&self, v: VId) -> Vec<Span> {
        self.v(v)
            .conjs
            .iter()
            .map(|c| match &c.x {
                CExpr::Expr(e, _) => e.span,
                CExpr::Val(_, s) => *s,
            })
            .filter(|s| s.is_valid())
            .collect()
    }

    fn check_list(&mut self, v: VId) {
        let xv = self.v(v);
        if !xv.is_list {
            return;
        }
        let n = xv.arcs.len() as u32;
        for &(len, open) in &xv.list_lens {
            if (!open && len != n) || (open && n < len) {
                let (a, b) = if n > len { (len, n) } else { (n, len) };
                let e = Err::bottom(
                    ErrorKind::Eval,
                    format!("incompatible list lengths ({a} and {b})"),
                    xv.list_spans.clone(),
                );
                self.set_err(v, e);
                return;
            }
        }
    }

    // ---- expressions -----------------------------------------------------

    /// The value of a vertex: its scalar, itself for structs and lists, a
    /// disjunction of its survivors, or its error.
    pub fn value(&mut self, v: VId) -> Val {
        let r = self.value_inner(v);
        let v = self.resolve(v);
        if self.v(v).provisional && self.v(v).st == St::Done {
            // Computed while a vertex it depends on was still being
            // built: forget it so the next use recomputes it.
            self.reset(v);
        }
        r
    }

    fn value_inner(&mut self, v: VId) -> Val {
        if self.v(self.resolve(v)).st == St::Adding {
            self.cycle_hits += 1;
        }
        let v = self.finalize(v);
        let xv = self.v(v);
        if let Some(e) = &xv.err {
            return Val::Bottom(e.clone());
        }
        if let Some(d) = &xv.disj {
            let has = xv.disj_has_default;
            let d = d.clone();
            let mut out = Vec::new();
            for (y, m) in d {
                let val = self.value(y);
                out.push((val, m && has));
            }
            return Val::Disj(Rc::new(out));
        }
        if xv.is_struct || xv.is_list {
            return Val::Vertex(v);
        }
        if xv.self_cycle
            && !xv.base.is_concrete_scalar()
            && !xv.base.is_bottom()
            && matches!(xv.base, Val::Top)
        {
            return Val::Top;
        }
        xv.base.clone()
    }

    /// Evaluates an expression to a value (references are followed,
    /// defaults are not chosen).
    pub fn eval(&mut self, e: &RExpr, env: &Env) -> Val {
        let r = self.eval_ref(e, env);
        match r {
            Val::Vertex(w) => self.value(w),
            other => other,
        }
    }

    fn env_vertex(env: &Env) -> Option<VId> {
        let mut e = env.as_ref();
        while let Some(n) = e {
            if let Frame::Struct(v, _) = n.frame {
                return Some(v);
            }
            e = n.parent.as_ref();
        }
        None
    }

    /// Evaluates an expression; references yield the (unevaluated) vertex.
    pub fn eval_ref(&mut self, e: &RExpr, env: &Env) -> Val {
        if self.too_deep() {
            return eval_err("evaluation too deep (nesting limit reached)", e.span);
        }
        self.depth += 1;
        let r = self.eval_inner(e, env);
        self.depth -= 1;
        r
    }

    fn eval_inner(&mut self, e: &RExpr, env: &Env) -> Val {
        let span = e.span;
        match &e.kind {
            ExprKind::Top => Val::Top,
            ExprKind::Bottom => Err::bottom(
                ErrorKind::User,
                "explicit error (_|_ literal) in source",
                vec![span],
            ),
            ExprKind::Null => Val::Null,
            ExprKind::Bool(b) => Val::Bool(*b),
            ExprKind::Num(n) => Val::Num(n.clone()),
            ExprKind::Str(s) => Val::Str(s.clone()),
            ExprKind::Bytes(b) => Val::Bytes(b.clone()),
            ExprKind::Basic(k) => Val::basic(*k),
            ExprKind::Error(m) => Err::bottom(ErrorKind::Eval, m.to_string(), vec![span]),
            ExprKind::Bound(op, x) => {
                let b = self.eval(x, env);
                let b = self.default_of(b);
                if !b.is_concrete_scalar() && !b.is_bottom() && !matches!(b, Val::Vertex(_)) {
                    return incomplete(
                        format!(
                            "non-concrete value {} for bound {}",
                            src_text(x).unwrap_or_else(|| scalar_text(&b)),
                            op.as_str()
                        ),
                        x.span,
                    );
                }
                make_bound(*op, b, span)
            }
            ExprKind::Struct(_) | ExprKind::List(_) | ExprKind::Unify(_) | ExprKind::Disj(_) => {
                let p = Self::env_vertex(env);
                let t = self.temp(
                    p,
                    vec![Conj {
                        x: CExpr::Expr(e.clone(), env.clone()),
                        ci: CI::default(),
                        chain: self.cur_chain.clone(),
                    }],
                );
                let t = self.arcs(t);
                let tv = self.v(t);
                if !tv.is_struct && !tv.is_list && tv.disj.is_none() && tv.err.is_none() {
                    return tv.base.clone();
                }
                Val::Vertex(t)
            }
            ExprKind::FieldRef { up, label, name } => {
                let Some(f) = env_frame(env, *up) else {
                    return eval_err(format!("reference {name} not found"), span);
                };
                let Frame::Struct(v, _) = f.frame else {
                    return eval_err(format!("reference {name} not found"), span);
                };
                self.lookup(v, *label, name, span)
            }
            ExprKind::LetRef { up, idx, name } => {
                let Some(f) = env_frame(env, *up) else {
                    return eval_err(format!("let {name} not found"), span);
                };
                let Frame::Struct(_, Some(lit)) = &f.frame else {
                    return eval_err(format!("let {name} not found"), span);
                };
                let le = lit.lets[*idx as usize].clone();
                let fenv: Env = Some(f.clone());
                self.eval_ref(&le, &fenv)
            }
            ExprKind::BindRef { up, idx } => {
                let Some(f) = env_frame(env, *up) else {
                    return eval_err("binding not found", span);
                };
                match &f.frame {
                    Frame::Bind(vals) => vals.get(*idx as usize).cloned().unwrap_or(Val::Top),
                    _ => eval_err("binding not found", span),
                }
            }
            ExprKind::Select(x, label, name, sel_span) => {
                let span = *sel_span;
                let xv = self.eval(x, env);
                let xv = self.default_of(xv);
                match xv {
                    Val::Vertex(w) => self.lookup(w, *label, name, span),
                    Val::Bottom(_) => xv,
                    Val::Disj(_) => {
                        let k = kind_name(xv.kind());
                        incomplete(
                            format!("unresolved disjunction {} (type {k})", self.short(&xv)),
                            span,
                        )
                    }
                    other if !other.is_concrete_scalar() => incomplete(
                        format!(
                            "{} undefined as {} is incomplete",
                            name,
                            scalar_text(&other)
                        ),
                        span,
                    ),
                    other => eval_err(
                        format!(
                            "invalid selector {name} for value of type {}",
                            kind_name(other.kind())
                        ),
                        span,
                    ),
                }
            }
            ExprKind::Index(x, i) => self.eval_index(x, i, env, span),
            ExprKind::Slice(x, lo, hi) => self.eval_slice(x, lo.as_ref(), hi.as_ref(), env, span),
            ExprKind::Call(f, args) => self.eval_call(f, args, env, span),
            ExprKind::Builtin(b) => Val::Func(Func::Builtin(*b)),
            ExprKind::OptRef(x) => {
                let v = self.eval_ref(x, env);
                match &v {
                    Val::Bottom(e) if e.kind == ErrorKind::Incomplete => Err::bottom(
                        ErrorKind::Incomplete,
                        format!("{TRY_MISSING}{}", e.msg),
                        e.spans.clone(),
                    ),
                    _ => v,
                }
            }
            // Loader seam (cue-load, issue 7): an import the loader registered
            // resolves lazily to that package's root; others are builtins.
            ExprKind::PkgFunc(p, n) => match self.packages.get(p).copied() {
                Some(root) => {
                    let label = crate::compile::ident_label(&mut self.interner, n);
                    self.lookup(root, label, n, span)
                }
                None => crate::std_bridge::constant(self, p, n, span)
                    .unwrap_or_else(|| Val::Func(Func::Pkg(p.clone(), n.clone()))),
            },
            ExprKind::Import(p) => match self.packages.get(p).copied() {
                Some(root) => Val::Vertex(root),
                None => eval_err(format!("package {p} used as a value"), span),
            },
            ExprKind::Interp(parts, is_bytes) => {
                let mut out: Vec<u8> = Vec::new();
                for p in parts {
                    match p {
                        InterpPart::Lit(s) => out.extend_from_slice(s.as_bytes()),
                        InterpPart::Expr(x) => {
                            let (v, w) = self.eval_keep_ref(x, env);
                            let v = self.default_of(v);
                            match v {
                                Val::Str(s) => out.extend_from_slice(s.as_bytes()),
                                Val::Bytes(b) => out.extend_from_slice(&b),
                                Val::Num(n) => out.extend_from_slice(n.to_string().as_bytes()),
                                Val::Bool(b) => out.extend_from_slice(b.to_string().as_bytes()),
                                Val::Bottom(e) => {
                                    if e.msg.starts_with(TRY_MISSING) {
                                        return Val::Bottom(e);
                                    }
                                    let mut e2 = (*e).clone();
                                    if !e2.msg.starts_with("invalid interpolation") {
                                        e2.msg = format!("invalid interpolation: {}", e2.msg);
                                    }
                                    e2.spans.insert(0, span);
                                    return Val::Bottom(Rc::new(e2));
                                }
                                Val::Vertex(_) | Val::Null => {
                                    let k = self.kind_of(&v);
                                    let shown = self.short(&v);
                                    return Err::bottom(
                                        ErrorKind::Eval,
                                        format!(
                                            "invalid interpolation: cannot use {shown} (type {k})"
                                        ),
                                        vec![span, x.span],
                                    );
                                }
                                other => {
                                    let mut spans = vec![span, x.span];
                                    if let Some(w) = w {
                                        spans.extend(self.decl_spans(w));
                                    }
                                    return Err::bottom(
                                        ErrorKind::Incomplete,
                                        format!(
                                            "invalid interpolation: non-concrete value {}",
                                            scalar_text(&other)
                                        ),
                                        spans,
                                    );
                                }
                            }
                        }
                    }
                }
                if *is_bytes {
                    Val::Bytes(out.into())
                } else {
                    Val::Str(String::from_utf8_lossy(&out).into())
                }
            }
            ExprKind::Unary(op, x) => {
                let (v, w) = self.eval_keep_ref(x, env);
                let v = self.default_of(v);
                let (sym, wants) = match op {
                    UnOp::Neg => ("-", K_NUMBER),
                    UnOp::Plus => ("+", K_NUMBER),
                    UnOp::Not => ("!", K_BOOL),
                };
                match (op, v) {
                    (_, b @ Val::Bottom(_)) => b,
                    (UnOp::Neg, Val::Num(n)) => Val::Num(n.neg()),
                    (UnOp::Plus, Val::Num(n)) => Val::Num(n),
                    (UnOp::Not, Val::Bool(b)) => Val::Bool(!b),
                    (_, v) if !v.is_concrete_scalar() && !matches!(v, Val::Vertex(_)) => {
                        if v.kind() & wants == 0 {
                            return eval_err(
                                format!(
                                    "invalid operand {} ('{sym}' requires concrete value)",
                                    scalar_text(&v)
                                ),
                                x.span,
                            );
                        }
                        let mut spans = vec![x.span];
                        if let Some(w) = w {
                            spans.extend(self.decl_spans(w));
                        }
                        Err::bottom(
                            ErrorKind::Incomplete,
                            format!(
                                "operand {} of '{sym}' not concrete",
                                src_text(x).unwrap_or_else(|| scalar_text(&v))
                            ),
                            spans,
                        )
                    }
                    (_, v) => {
                        let k = self.kind_of(&v);
                        let shown = self.short(&v);
                        eval_err(format!("invalid operation {sym}{shown} ({sym} {k})"), span)
                    }
                }
            }
            ExprKind::Binary(op, a, b) => self.eval_binary(*op, a, b, env, span),
        }
    }

    /// Looks an arc up by label.
    pub fn lookup(&mut self, v: VId, label: Label, name: &str, span: Span) -> Val {
        let mut v = self.arcs(v);
        if let Some(d) = self.v(v).disj.clone() {
            let defs: Vec<_> = d.iter().filter(|x| x.1).collect();
            if defs.len() == 1 && self.v(v).disj_has_default {
                v = self.arcs(defs[0].0);
            } else {
                return incomplete(format!("unresolved disjunction (selecting {name})"), span);
            }
        }
        let found = self
            .v(v)
            .arcs
            .iter()
            .copied()
            .find(|&a| self.v(a).label == label);
        match found {
            Some(a) => {
                if self.v(a).arc == ArcType::Optional {
                    return incomplete(format!("cannot reference optional field: {name}"), span);
                }
                Val::Vertex(a)
            }
            None => {
                if let Some(e) = &self.v(v).err {
                    return Val::Bottom(e.clone());
                }
                let xv = self.v(v);
                if xv.is_list {
                    return eval_err(format!("undefined field: {name}"), span);
                }
                if !xv.is_struct && !xv.is_list && xv.base.is_concrete_scalar() {
                    return eval_err(
                        format!(
                            "invalid selector {name} for value of type {}",
                            kind_name(xv.base.kind())
                        ),
                        span,
                    );
                }
                // A closed struct can never get the field: not incomplete.
                if matches!(label, Label::Field(_))
                    && self.pending_free(v)
                    && !self.under_temp(v)
                    && self.closed_against(v, label)
                {
                    return eval_err(format!("undefined field: {name}"), span);
                }
                incomplete(format!("undefined field: {name}"), span)
            }
        }
    }

    /// Whether nothing may still add fields to `v` (no comprehension or
    /// dynamic field left pending).
    fn pending_free(&self, v: VId) -> bool {
        let xv = self.v(v);
        xv.pending.is_empty() && xv.st >= St::Arcs
    }

    /// Whether `v` is (inside) the value of an expression rather than a
    /// field: the reference leaves missing fields there incomplete.
    fn under_temp(&self, mut v: VId) -> bool {
        let Some(t) = self.temp_sym else {
            return false;
        };
        loop {
            let x = self.v(v);
            if x.label == Label::Hidden(t) {
                return true;
            }
            match x.parent {
                Some(p) => v = p,
                None => return false,
            }
        }
    }

    /// Whether a closing of `v` rules out a regular field `label`.
    fn closed_against(&mut self, v: VId, label: Label) -> bool {
        let Label::Field(sym) = label else {
            return false;
        };
        let reqs: Vec<Req> = self
            .v(v)
            .reqs
            .iter()
            .filter(|r| r.active && !r.open)
            .cloned()
            .collect();
        if reqs.is_empty() {
            return false;
        }
        let name: Rc<str> = self.interner.name(sym).into();
        reqs.iter().any(|r| {
            !(r.allowed.contains(&label)
                || r.patterns.iter().any(|p| self.label_matches(p, &name))
                || self.allowed_by_also(v, r.key, label, &name, 0))
        })
    }

    /// The default of a value (disjunctions with one default).
    pub fn default_of(&mut self, v: Val) -> Val {
        match v {
            Val::Disj(d) => {
                let defs: Vec<&(Val, bool)> = d.iter().filter(|x| x.1).collect();
                if defs.len() == 1 {
                    return defs[0].0.clone();
                }
                Val::Disj(d)
            }
            other => other,
        }
    }

    fn eval_index(&mut self, x: &RExpr, i: &RExpr, env: &Env, _span: Span) -> Val {
        // Positions follow the reference: a missing element or field is
        // reported at the index, a bad operand at the operand, a bad index
        // at both.
        let (sx, si) = (x.span, i.span);
        let xv = self.eval(x, env);
        let xv = self.default_of(xv);
        let iv = self.eval(i, env);
        let iv = self.default_of(iv);
        if let Val::Bottom(_) = xv {
            return xv;
        }
        if let Val::Bottom(_) = iv {
            return iv;
        }
        match (&xv, &iv) {
            (Val::Vertex(w), Val::Num(Number::Int(n))) => {
                let w = self.arcs(*w);
                if !self.v(w).is_list {
                    let found = if self.v(w).is_struct { "struct" } else { "_" };
                    return eval_err(format!("invalid index {n} (found {found}, want list)"), si);
                }
                let idx: Option<u32> = num_traits::ToPrimitive::to_u32(n);
                match idx {
                    Some(k) => {
                        let found = self
                            .v(w)
                            .arcs
                            .iter()
                            .copied()
                            .find(|&a| self.v(a).label == Label::Index(k));
                        match found {
                            Some(a) => Val::Vertex(a),
                            None => eval_err(
                                format!(
                                    "index out of range [{k}] with length {}",
                                    self.v(w).arcs.len()
                                ),
                                si,
                            ),
                        }
                    }
                    None => Err::bottom(
                        ErrorKind::Eval,
                        format!("invalid index {n} (index must be non-negative)"),
                        vec![sx, si],
                    ),
                }
            }
            (Val::Vertex(w), Val::Str(s)) => {
                let w = self.arcs(*w);
                if self.v(w).is_list {
                    return eval_err(format!("undefined field: {s}"), si);
                }
                let sym = self.interner.intern(s);
                self.lookup(w, Label::Field(sym), &s.clone(), si)
            }
            (Val::Str(s), Val::Num(Number::Int(n))) => {
                let _ = s;
                eval_err(format!("invalid operation: index {n} of string"), sx)
            }
            (Val::Bytes(b), Val::Num(Number::Int(n))) => {
                match num_traits::ToPrimitive::to_usize(n).and_then(|k| b.get(k)) {
                    Some(byte) => Val::Num(Number::Int((*byte).into())),
                    None => eval_err("index out of range", si),
                }
            }
            _ if !xv.is_concrete_scalar() && !matches!(xv, Val::Vertex(_)) => {
                incomplete("index of incomplete value", sx)
            }
            (_, Val::Disj(_)) => incomplete(
                format!(
                    "unresolved disjunction {} (type {})",
                    scalar_text(&iv),
                    kind_name(iv.kind())
                ),
                si,
            ),
            _ if !iv.is_concrete_scalar() => incomplete("incomplete index", si),
            (Val::Vertex(_), _) => Err::bottom(
                ErrorKind::Eval,
                format!(
                    "invalid index {} (invalid type {})",
                    scalar_text(&iv),
                    kind_name(iv.kind())
                ),
                vec![sx, si],
            ),
            _ => eval_err(
                format!(
                    "invalid operand {} (found {}, want list or struct)",
                    scalar_text(&xv),
                    kind_name(xv.kind())
                ),
                sx,
            ),
        }
    }

    fn eval_slice(
        &mut self,
        x: &RExpr,
        lo: Option<&RExpr>,
        hi: Option<&RExpr>,
        env: &Env,
        span: Span,
    ) -> Val {
        let xv = self.eval(x, env);
        let bound = |e: Option<&RExpr>, s: &mut Self| -> Result<Option<usize>, Val> {
            match e {
                None => Ok(None),
                Some(e) => match s.eval(e, env) {
                    Val::Num(Number::Int(n)) => num_traits::ToPrimitive::to_usize(&n)
                        .map(Some)
                        .ok_or_else(|| {
                            eval_err(format!("cannot convert negative number {n} to int"), span)
                        }),
                    Val::Bottom(b) => Err(Val::Bottom(b)),
                    other if !other.is_concrete_scalar() => {
                        Err(incomplete("non-concrete slice index", e.span))
                    }
                    other => Err(Err::bottom(
                        ErrorKind::Eval,
                        format!(
                            "cannot use {} (type {}) as int",
                            scalar_text(&other),
                            kind_name(other.kind())
                        ),
                        vec![span, e.span],
                    )),
                },
            }
        };
        let l = match bound(lo, self) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let h = match bound(hi, self) {
            Ok(v) => v,
            Err(e) => return e,
        };
        match xv {
            Val::Vertex(w) => {
                let w = self.arcs(w);
                let arcs = self.v(w).arcs.clone();
                let n = arcs.len();
                let (l, h) = (l.unwrap_or(0), h.unwrap_or(n));
                if l > n {
                    return eval_err(
                        format!("index {l} out of range [{l}:{h}] (length {n})"),
                        span,
                    );
                }
                if h > n {
                    return eval_err(
                        format!("index {h} out of range [{l}:{h}] (length {n})"),
                        span,
                    );
                }
                if l > h {
                    return eval_err(format!("invalid slice index [{l}:{h}] (length {n})"), span);
                }
                let p = Self::env_vertex(env);
                let t = self.temp(p, vec![]);
                self.vm(t).is_list = true;
                for (k, a) in arcs[l..h].iter().enumerate() {
                    let na = self.arc(t, Label::Index(k as u32), ArcType::Regular);
                    let chain = self.cur_chain.clone();
                    self.vm(na).conjs.push(Conj {
                        x: CExpr::Val(Val::Vertex(*a), span),
                        ci: CI::default(),
                        chain,
                    });
                }
                self.vm(t).st = St::Arcs;
                Val::Vertex(t)
            }
            Val::Bottom(_) => xv,
            Val::Bytes(b) => {
                let (l, h) = (l.unwrap_or(0), h.unwrap_or(b.len()));
                if l > h || h > b.len() {
                    return eval_err("slice out of range", span);
                }
                Val::Bytes(b[l..h].into())
            }
            other => eval_err(format!("cannot slice {}", scalar_text(&other)), span),
        }
    }

    fn eval_binary(&mut self, op: BinOp, a: &RExpr, b: &RExpr, env: &Env, span: Span) -> Val {
        // `x == _|_` and `x != _|_` test for errors.
        if matches!(op, BinOp::Eq | BinOp::Ne) {
            let bot = |e: &RExpr| matches!(e.kind, ExprKind::Bottom);
            if bot(a) || bot(b) {
                let other = if bot(a) { b } else { a };
                let v = self.eval(other, env);
                let is_bot = match &v {
                    Val::Bottom(_) => true,
                    Val::Vertex(w) => self.first_error(*w, true).is_some(),
                    _ => false,
                };
                return Val::Bool(if op == BinOp::Eq { is_bot } else { !is_bot });
            }
        }
        let (av, aw) = self.eval_keep_ref(a, env);
        let av = self.default_of(av);
        // Short-circuit logic.
        if op == BinOp::And && matches!(av, Val::Bool(false)) {
            return Val::Bool(false);
        }
        if op == BinOp::Or && matches!(av, Val::Bool(true)) {
            return Val::Bool(true);
        }
        let (bv, bw) = self.eval_keep_ref(b, env);
        let bv = self.default_of(bv);
        let _ = span;
        let a_concrete = av.is_concrete_scalar() || matches!(av, Val::Vertex(_));
        let r = self.binary_vals(op, av, bv, a.span, b.span);
        match r {
            // A non-concrete operand: point at it and at where the value
            // it refers to was declared.
            Val::Bottom(e)
                if e.kind == ErrorKind::Incomplete && e.msg.starts_with("non-concrete value") =>
            {
                // The reference reports the operation (at its start) and
                // where the non-concrete value was declared.
                let w = if a_concrete { bw } else { aw };
                let mut spans = vec![a.span];
                if let Some(w) = w {
                    spans.extend(self.decl_spans(w));
                }
                let mut e2 = (*e).clone();
                e2.spans = spans;
                Val::Bottom(Rc::new(e2))
            }
            r => r,
        }
    }

    /// Evaluates an expression, also returning the vertex a reference
    /// named (for error positions).
    fn eval_keep_ref(&mut self, e: &RExpr, env: &Env) -> (Val, Option<VId>) {
        match self.eval_ref(e, env) {
            Val::Vertex(w) => (self.value(w), Some(w)),
            other => (other, None),
        }
    }

    fn binary_vals(&mut self, op: BinOp, av: Val, bv: Val, sa: Span, sb: Span) -> Val {
        let span = sa;
        if let Val::Bottom(_) = av {
            return av;
        }
        if let Val::Bottom(_) = bv {
            return bv;
        }
        // Distribute over disjunctions without a default.
        if let Val::Disj(d) = &av {
            let out: Vec<(Val, bool)> = d
                .iter()
                .map(|(x, m)| (self.binary_vals(op, x.clone(), bv.clone(), sa, sb), *m))
                .filter(|(v, _)| !v.is_bottom())
                .collect();
            return Val::Disj(Rc::new(out));
        }
        if let Val::Disj(d) = &bv {
            let out: Vec<(Val, bool)> = d
                .iter()
                .map(|(x, m)| (self.binary_vals(op, av.clone(), x.clone(), sa, sb), *m))
                .filter(|(v, _)| !v.is_bottom())
                .collect();
            return Val::Disj(Rc::new(out));
        }
        if matches!(op, BinOp::Eq | BinOp::Ne)
            && let (Val::Vertex(x), Val::Vertex(y)) = (&av, &bv)
        {
            let (x, y) = (*x, *y);
            let eq = crate::export::to_cue_text(self, x, false)
                == crate::export::to_cue_text(self, y, false);
            return Val::Bool(if op == BinOp::Eq { eq } else { !eq });
        }
        let concrete = |v: &Val| v.is_concrete_scalar();
        if !concrete(&av) || !concrete(&bv) {
            if matches!(av, Val::Vertex(_)) || matches!(bv, Val::Vertex(_)) {
                if matches!(op, BinOp::Eq | BinOp::Ne) && (concrete(&av) || concrete(&bv)) {
                    // Values of different kinds are never equal.
                    return Val::Bool(op == BinOp::Ne);
                }
                if concrete(&av)
                    || concrete(&bv)
                    || (matches!(av, Val::Vertex(_)) && matches!(bv, Val::Vertex(_)))
                {
                    return Err::bottom(
                        ErrorKind::Eval,
                        format!(
                            "invalid operands {} and {} to '{}' (type {} and {})",
                            self.short(&av),
                            self.short(&bv),
                            op.as_str(),
                            self.kind_of(&av),
                            self.kind_of(&bv)
                        ),
                        vec![sa, sb],
                    );
                }
            }
            let nc = if !concrete(&av) { &av } else { &bv };
            return incomplete(
                format!(
                    "non-concrete value {} in operand to {}",
                    self.short(nc),
                    op.as_str()
                ),
                span,
            );
        }
        let mismatch = |s: &Self| {
            Err::bottom(
                ErrorKind::Eval,
                format!(
                    "invalid operands {} and {} to '{}' (type {} and {})",
                    scalar_text(&av),
                    scalar_text(&bv),
                    op.as_str(),
                    s.kind_of(&av),
                    s.kind_of(&bv)
                ),
                vec![sa, sb],
            )
        };
        use BinOp::*;
        match op {
            Add | Sub | Mul | Div => match (&av, &bv) {
                (Val::Num(x), Val::Num(y)) => match op {
                    Add => Val::Num(x.add(y)),
                    Sub => Val::Num(x.sub(y)),
                    Mul => Val::Num(x.mul(y)),
                    _ => match x.div(y) {
                        Some(n) => Val::Num(n),
                        None if x.is_zero() => eval_err("division undefined", span),
                        None => eval_err("division by zero", span),
                    },
                },
                (Val::Str(x), Val::Str(y)) if op == Add => Val::Str(format!("{x}{y}").into()),
                (Val::Bytes(x), Val::Bytes(y)) if op == Add => {
                    let mut v = x.to_vec();
                    v.extend_from_slice(y);
                    Val::Bytes(v.into())
                }
                (Val::Str(s), Val::Num(Number::Int(n)))
                | (Val::Num(Number::Int(n)), Val::Str(s))
                    if op == Mul =>
                {
                    match num_traits::ToPrimitive::to_usize(n) {
                        Some(k) => Val::Str(s.repeat(k).into()),
                        None => eval_err("negative repeat count", span),
                    }
                }
                (Val::Bytes(s), Val::Num(Number::Int(n)))
                | (Val::Num(Number::Int(n)), Val::Bytes(s))
                    if op == Mul =>
                {
                    match num_traits::ToPrimitive::to_usize(n) {
                        Some(k) => Val::Bytes(s.repeat(k).into()),
                        None => eval_err("negative repeat count", span),
                    }
                }
                _ => mismatch(self),
            },
            Eq | Ne => {
                let comparable = av.kind() == bv.kind()
                    || (av.kind() & K_NUMBER != 0 && bv.kind() & K_NUMBER != 0)
                    || matches!(av, Val::Null)
                    || matches!(bv, Val::Null);
                if !comparable {
                    return Val::Bool(op == Ne);
                }
                let eq = match (&av, &bv) {
                    (Val::Num(x), Val::Num(y)) => x.cmp_num(y) == std::cmp::Ordering::Equal,
                    _ => scalar_eq(&av, &bv),
                };
                Val::Bool(if op == Eq { eq } else { !eq })
            }
            Lt | Le | Gt | Ge => {
                let ord = match (&av, &bv) {
                    (Val::Num(x), Val::Num(y)) => x.cmp_num(y),
                    (Val::Str(x), Val::Str(y)) => x.as_ref().cmp(y.as_ref()),
                    (Val::Bytes(x), Val::Bytes(y)) => x.as_ref().cmp(y.as_ref()),
                    _ => return mismatch(self),
                };
                use std::cmp::Ordering::*;
                Val::Bool(match op {
                    Lt => ord == Less,
                    Le => ord != Greater,
                    Gt => ord == Greater,
                    _ => ord != Less,
                })
            }
            Match | NotMatch => match (&av, &bv) {
                (Val::Str(s), Val::Str(p)) => match crate::value::regex(p) {
                    Ok(r) => Val::Bool(r.is_match(s) == (op == Match)),
                    Err(e) => eval_err(format!("invalid regular expression: {e}"), span),
                },
                (Val::Str(_), other) | (other, Val::Str(_)) => Err::bottom(
                    ErrorKind::Eval,
                    format!(
                        "cannot use {} (type {}) as type string",
                        scalar_text(other),
                        self.kind_of(other)
                    ),
                    vec![sa, sb],
                ),
                _ => mismatch(self),
            },
            And | Or => match (&av, &bv) {
                (Val::Bool(x), Val::Bool(y)) => {
                    Val::Bool(if op == And { *x && *y } else { *x || *y })
                }
                _ => mismatch(self),
            },
        }
    }

    fn kind_of(&self, v: &Val) -> String {
        match v {
            Val::Vertex(w) => {
                if self.v(self.resolve(*w)).is_list {
                    "list".into()
                } else {
                    "struct".into()
                }
            }
            other => kind_name(other.kind()),
        }
    }

    fn short(&mut self, v: &Val) -> String {
        match v {
            Val::Vertex(w) => crate::export::to_cue_text(self, *w, false),
            other => scalar_text(other),
        }
    }

    fn eval_call(&mut self, f: &RExpr, args: &[RExpr], env: &Env, span: Span) -> Val {
        let fv = self.eval(f, env);
        let func = match fv {
            Val::Func(func) => func,
            Val::Bottom(_) => return fv,
            other => {
                return eval_err(
                    format!("cannot call non-function {}", scalar_text(&other)),
                    span,
                );
            }
        };
        let saved = std::mem::replace(&mut self.call_args, args.iter().map(|a| a.span).collect());
        let r = match func {
            Func::Builtin(b) => crate::builtins::call(self, b, args, env, span),
            Func::Pkg(p, n) => crate::builtins::call_pkg(self, &p, &n, args, env, span),
        };
        self.call_args = saved;
        if let Val::Validator(vd) = &r {
            // Remember where the arguments were written: a failed check
            // points at them.
            let spans = args.iter().map(|a| a.span).collect();
            self.validator_args
                .insert(Rc::as_ptr(vd) as usize, (vd.clone(), spans));
        }
        r
    }

    /// Integer division helpers for builtins.
    pub fn int_op(&mut self, a: Val, b: Val, euclid: bool, quotient: bool, span: Span) -> Val {
        match (a, b) {
            (Val::Num(Number::Int(x)), Val::Num(Number::Int(y))) => {
                match int_divmod(&x, &y, euclid) {
                    Some((q, r)) => Val::Num(Number::Int(if quotient { q } else { r })),
                    None => eval_err("division by zero", span),
                }
            }
            (b @ Val::Bottom(_), _) | (_, b @ Val::Bottom(_)) => b,
            (x, y) if !x.is_concrete_scalar() || !y.is_concrete_scalar() => {
                incomplete("non-concrete argument", span)
            }
            (x, y) => {
                // Point at the first argument that is not an int.
                let bad_first = !matches!(x, Val::Num(Number::Int(_)));
                let at = self
                    .call_args
                    .get(if bad_first { 0 } else { 1 })
                    .copied()
                    .unwrap_or(span);
                let bad = if bad_first { &x } else { &y };
                eval_err(
                    format!(
                        "cannot use {} (type {}) as int",
                        scalar_text(bad),
                        kind_name(bad.kind())
                    ),
                    at,
                )
            }
        }
    }

    /// Marks a vertex as closed by `close()`.
    pub fn mark_closed(&mut self, v: VId) {
        self.vm(v).closed_call = true;
    }

    /// Whether a vertex is a list (after expansion).
    pub fn is_list(&mut self, v: VId) -> bool {
        let v = self.arcs(v);
        self.v(v).is_list
    }

    /// The arcs of a vertex (after expansion).
    pub fn arc_list(&mut self, v: VId) -> Vec<VId> {
        let v = self.arcs(v);
        self.v(v).arcs.clone()
    }

    /// Read access to a vertex.
    pub fn vertex(&self, v: VId) -> &Vertex {
        self.v(self.resolve(v))
    }

    /// Builds a vertex from JSON data.
    pub fn build_json(&mut self, parent: Option<VId>, label: Label, j: &serde_json::Value) -> VId {
        let v = self.alloc(parent, label, ArcType::Regular);
        let mut stack = vec![(v, j)];
        while let Some((v, j)) = stack.pop() {
            match j {
                serde_json::Value::Object(m) => {
                    self.vm(v).is_struct = true;
                    for (k, x) in m {
                        let sym = self.interner.intern(k);
                        let a = self.arc(v, Label::Field(sym), ArcType::Regular);
                        stack.push((a, x));
                    }
                }
                serde_json::Value::Array(xs) => {
                    self.vm(v).is_list = true;
                    for (i, x) in xs.iter().enumerate() {
                        let a = self.arc(v, Label::Index(i as u32), ArcType::Regular);
                        stack.push((a, x));
                    }
                    let n = xs.len() as u32;
                    self.vm(v).list_lens.push((n, false));
                }
                other => {
                    let val = match other {
                        serde_json::Value::Null => Val::Null,
                        serde_json::Value::Bool(b) => Val::Bool(*b),
                        serde_json::Value::Number(n) => match Number::parse(&n.to_string()) {
                            Some(n) => Val::Num(n),
                            None => Val::Top,
                        },
                        serde_json::Value::String(s) => Val::Str(s.as_str().into()),
                        _ => Val::Top,
                    };
                    self.vm(v).base = val;
                }
            }
            self.vm(v).st = St::Arcs;
        }
        v
    }

    /// A finished list vertex holding values.
    pub fn list_of(&mut self, vals: Vec<Val>, span: Span) -> VId {
        let t = self.temp(None, vec![]);
        self.vm(t).is_list = true;
        let n = vals.len() as u32;
        for (i, v) in vals.into_iter().enumerate() {
            let a = self.arc(t, Label::Index(i as u32), ArcType::Regular);
            self.vm(a).conjs.push(Conj {
                x: CExpr::Val(v, span),
                ci: CI::default(),
                chain: None,
            });
        }
        self.vm(t).list_lens.push((n, false));
        self.vm(t).st = St::Arcs;
        t
    }

    /// Sets the conjuncts of a fresh vertex.
    pub fn vm_conjs(&mut self, v: VId, conjs: Vec<Conj>) {
        self.vm(v).conjs = conjs;
    }

    /// Marks a fresh vertex as a struct.
    pub fn set_struct(&mut self, v: VId) {
        self.vm(v).is_struct = true;
    }

    /// Returns the self-cycle flag of a vertex.
    pub fn has_cycle(&self, v: VId) -> bool {
        self.v(self.resolve(v)).self_cycle
    }
}

/// Whether an expression names a definition (`#A`, `x.#A`, `pkg.#A`).
fn is_def_ref(e: &RExpr) -> bool {
    match &e.kind {
        ExprKind::FieldRef { label, .. } | ExprKind::Select(_, label, _, _) => {
            matches!(label, Label::Def(_))
        }
        ExprKind::PkgFunc(_, n) => n.starts_with('#'),
        _ => false,
    }
}

/// The source text of a reference (`a`, `a.b`), for messages.
fn src_text(e: &RExpr) -> Option<String> {
    match &e.kind {
        ExprKind::FieldRef { name, .. } => Some(name.to_string()),
        ExprKind::Select(x, _, name, _) => Some(format!("{}.{name}", src_text(x)?)),
        _ => None,
    }
}

fn merge_ci(outer: CI, inner: CI) -> CI {
    if outer.closing > 0 || outer.group != 0 {
        outer
    } else {
        inner
    }
}

/// Whether a label can be written without quotes.
pub fn is_ident(s: &str) -> bool {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) if c.is_alphabetic() || c == '_' || c == '$' || c == '#' => {}
        _ => return false,
    }
    cs.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}
