//! The compiled form of CUE expressions.
//!
//! The compiler ([`crate::compile`]) resolves every identifier once: a
//! reference names how many scope frames to go up and what to find there, so
//! evaluation never searches scopes by name.

use crate::num::Number;
use cue_syntax::Span;
use std::rc::Rc;

/// An interned label string.
pub type Sym = u32;

/// A field label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    /// A regular field (identifier or quoted string).
    Field(Sym),
    /// A definition `#x` or `_#x`.
    Def(Sym),
    /// A hidden field `_x`.
    Hidden(Sym),
    /// A list element.
    Index(u32),
}

impl Label {
    /// Regular fields and list elements (exported, subject to closedness).
    pub fn is_regular(self) -> bool {
        matches!(self, Label::Field(_) | Label::Index(_))
    }
}

/// Optional/required/regular marker of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArcType {
    /// `a: x`
    Regular,
    /// `a!: x`
    Required,
    /// `a?: x`
    Optional,
}

/// Basic type bit set.
pub type Kind = u16;
/// `null`
pub const K_NULL: Kind = 1;
/// `bool`
pub const K_BOOL: Kind = 2;
/// `int`
pub const K_INT: Kind = 4;
/// `float`
pub const K_FLOAT: Kind = 8;
/// `string`
pub const K_STRING: Kind = 16;
/// `bytes`
pub const K_BYTES: Kind = 32;
/// struct
pub const K_STRUCT: Kind = 64;
/// list
pub const K_LIST: Kind = 128;
/// `number`
pub const K_NUMBER: Kind = K_INT | K_FLOAT;
/// `_`
pub const K_TOP: Kind = 255;

/// Comparison operators of bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `!=`
    Ne,
    /// `=~`
    Match,
    /// `!~`
    NotMatch,
}

impl BoundOp {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            BoundOp::Lt => "<",
            BoundOp::Le => "<=",
            BoundOp::Gt => ">",
            BoundOp::Ge => ">=",
            BoundOp::Ne => "!=",
            BoundOp::Match => "=~",
            BoundOp::NotMatch => "!~",
        }
    }
}

/// Binary operators other than `&` and `|`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=~`
    Match,
    /// `!~`
    NotMatch,
    /// `&&`
    And,
    /// `||`
    Or,
}

impl BinOp {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Match => "=~",
            BinOp::NotMatch => "!~",
            BinOp::And => "&&",
            BinOp::Or => "||",
        }
    }
}

/// Unary operators (bounds are [`ExprKind::Bound`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `+x`
    Plus,
    /// `!x`
    Not,
}

/// Builtin functions of the universe scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `len(x)`
    Len,
    /// `close(x)`
    Close,
    /// `and(list)`
    And,
    /// `or(list)`
    Or,
    /// `div(a, b)`
    Div,
    /// `mod(a, b)`
    Mod,
    /// `quo(a, b)`
    Quo,
    /// `rem(a, b)`
    Rem,
    /// `matchN(n, [schemas])`
    MatchN,
    /// `matchIf(if, then, else)`
    MatchIf,
    /// `error(msg)`
    Error,
}

impl Builtin {
    /// The name as written.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Len => "len",
            Builtin::Close => "close",
            Builtin::And => "and",
            Builtin::Or => "or",
            Builtin::Div => "div",
            Builtin::Mod => "mod",
            Builtin::Quo => "quo",
            Builtin::Rem => "rem",
            Builtin::MatchN => "matchN",
            Builtin::MatchIf => "matchIf",
            Builtin::Error => "error",
        }
    }
}

/// A shared compiled expression.
pub type RExpr = Rc<Expr>;

/// A compiled expression with its source span.
#[derive(Debug)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

/// Compiled expression kinds.
#[derive(Debug)]
pub enum ExprKind {
    /// `_`
    Top,
    /// `_|_`
    Bottom,
    /// `null`
    Null,
    /// `true`/`false`
    Bool(bool),
    /// A number.
    Num(Number),
    /// A string.
    Str(Rc<str>),
    /// Bytes.
    Bytes(Rc<[u8]>),
    /// A basic type (`int`, `string`, `number`, ...).
    Basic(Kind),
    /// A bound `<x`, `=~x` ...
    Bound(BoundOp, RExpr),
    /// A unary operator.
    Unary(UnOp, RExpr),
    /// A binary operator.
    Binary(BinOp, RExpr, RExpr),
    /// `a & b & ...`
    Unify(Vec<RExpr>),
    /// `a | *b | ...` (flag: marked default).
    Disj(Vec<(RExpr, bool)>),
    /// A struct literal.
    Struct(Rc<StructLit>),
    /// A list literal.
    List(Rc<ListLit>),
    /// A field of the struct `up` frames out.
    FieldRef {
        /// Frames to go up.
        up: u32,
        /// The field.
        label: Label,
        /// Name as written (for messages).
        name: Rc<str>,
    },
    /// A `let` of the struct `up` frames out.
    LetRef {
        /// Frames to go up.
        up: u32,
        /// Index into the struct's lets.
        idx: u32,
        /// Name (for messages).
        name: Rc<str>,
    },
    /// A comprehension variable or pattern alias in a binding frame.
    BindRef {
        /// Frames to go up.
        up: u32,
        /// Index of the binding in the frame.
        idx: u32,
    },
    /// `x.label`
    Select(RExpr, Label, Rc<str>, Span),
    /// `x[i]`
    Index(RExpr, RExpr),
    /// `x[a:b]`
    Slice(RExpr, Option<RExpr>, Option<RExpr>),
    /// `f(args)`
    Call(RExpr, Vec<RExpr>),
    /// A universe builtin function.
    Builtin(Builtin),
    /// A function of an imported package (`strings.Join`): package path and name.
    PkgFunc(Rc<str>, Rc<str>),
    /// An imported package by path (resolved with the loader; issue 7).
    Import(Rc<str>),
    /// Interpolated string or bytes.
    Interp(Vec<InterpPart>, bool),
    /// A compile error (an unresolved reference ...).
    Error(Rc<str>),
    /// `x?` (`@experiment(try)`): a reference that may be missing.
    OptRef(RExpr),
}

/// A part of an interpolation.
#[derive(Debug)]
pub enum InterpPart {
    /// Literal text.
    Lit(Rc<str>),
    /// An expression.
    Expr(RExpr),
}

/// A compiled struct literal: one scope frame.
#[derive(Debug, Default)]
pub struct StructLit {
    /// Declarations in order.
    pub decls: Vec<Decl>,
    /// `let` expressions, referenced by index.
    pub lets: Vec<RExpr>,
}

/// A struct declaration.
#[derive(Debug)]
pub enum Decl {
    /// A field with a static label.
    Field {
        /// Label.
        label: Label,
        /// Marker.
        arc: ArcType,
        /// Value.
        value: RExpr,
        /// Span of the field.
        span: Span,
    },
    /// A field with a computed label (`(e): v`, `"\(x)": v`).
    DynField {
        /// Label expression.
        label: RExpr,
        /// Marker.
        arc: ArcType,
        /// Value.
        value: RExpr,
    },
    /// An embedded expression.
    Embed(RExpr),
    /// `[pat]: value`; the value is compiled in an extra binding frame
    /// holding the matched label.
    Pattern {
        /// The label pattern.
        pat: RExpr,
        /// The constraint.
        value: RExpr,
    },
    /// `...` (an optional `...T` type is not applied to struct fields).
    Ellipsis,
    /// A comprehension.
    Comprehension(Rc<Comprehension>),
}

/// `for`/`if`/`let` clauses and a body.
#[derive(Debug)]
pub struct Comprehension {
    /// Clauses; `For` and `Let` push a binding frame.
    pub clauses: Vec<Clause>,
    /// The body (a struct literal expression).
    pub body: RExpr,
    /// `else { ... }`: yielded when the clauses yield nothing.
    pub else_body: Option<RExpr>,
}

/// A comprehension clause.
#[derive(Debug)]
pub enum Clause {
    /// `for k, v in src` (frame: [key, value]).
    For(RExpr),
    /// `if cond` and the clause's position.
    If(RExpr, Span),
    /// `let x = e` (frame: [x]).
    Let(RExpr),
    /// `try` (None) or `try x = e` (frame: [x]).
    Try(Option<RExpr>),
}

/// A list literal.
#[derive(Debug, Default)]
pub struct ListLit {
    /// Elements.
    pub elems: Vec<ListElem>,
    /// `...` or `...T` at the end.
    pub ellipsis: Option<Option<RExpr>>,
}

/// A list element.
#[derive(Debug)]
pub enum ListElem {
    /// A plain element.
    Expr(RExpr),
    /// A comprehension yielding elements.
    Comp(Rc<Comprehension>),
}

impl Expr {
    /// A new shared expression.
    pub fn new(kind: ExprKind, span: Span) -> RExpr {
        Rc::new(Expr { kind, span })
    }
}
