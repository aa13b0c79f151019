//! The CUE syntax tree.
//!
//! Plain owned tree (`Box`/`Vec`). Every expression, field and clause carries
//! a [`Span`] and a [`NodeId`]; node ids are unique within one parsed file and
//! assigned in source order, so `(span.file, id)` is a stable key the
//! evaluator can use to cache per-node work.
//!
//! Sugar is kept as written: `a: b: c` is a field whose value is a brace-less
//! [`StructLit`] (`braces == false`), parentheses are [`ExprKind::Paren`], and
//! literals keep their source text next to their decoded value.

use crate::literal::{NumberLit, StringLit};
use crate::span::Span;

/// Identifies a node within one parsed file (assigned in source order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// A comment `// ...` (text without the slashes), kept in a side table.
#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    /// Where the comment is, including `//`.
    pub span: Span,
    /// The text after `//`.
    pub text: String,
}

/// A parsed source file.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    /// The whole file.
    pub span: Span,
    /// Attributes before the package clause (`@if(x)`, `@extern(embed)`).
    pub header_attrs: Vec<Attribute>,
    /// `package name`, if any.
    pub package: Option<Ident>,
    /// Import specs, from every `import` declaration, in order.
    pub imports: Vec<ImportSpec>,
    /// Top-level declarations (file-level attributes are `Decl::Attribute`).
    pub decls: Vec<Decl>,
    /// All comments of the file, in order.
    pub comments: Vec<Comment>,
}

/// One import: `import name "path:qualifier"`.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportSpec {
    /// The whole spec.
    pub span: Span,
    /// Local name, when given explicitly.
    pub name: Option<Ident>,
    /// Decoded import path, including a `:qualifier` if written.
    pub path: String,
    /// Span of the path string.
    pub path_span: Span,
}

impl ImportSpec {
    /// The name the import binds: the explicit name, the `:qualifier`, or
    /// the last path element.
    pub fn local_name(&self) -> &str {
        if let Some(n) = &self.name {
            return &n.name;
        }
        if let Some((_, q)) = self.path.rsplit_once(':') {
            return q;
        }
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// The path without a `:qualifier`.
    pub fn path_only(&self) -> &str {
        match self.path.rsplit_once(':') {
            Some((p, _)) => p,
            None => &self.path,
        }
    }
}

/// An identifier, as written (`x`, `#Def`, `_hidden`, `_#hiddenDef`, `_`).
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// Node id.
    pub id: NodeId,
    /// Source range.
    pub span: Span,
    /// The name as written.
    pub name: String,
}

impl Ident {
    /// `#X` or `_#X`.
    pub fn is_definition(&self) -> bool {
        is_definition_name(&self.name)
    }

    /// `_x` or `_#x` (but not `_` itself).
    pub fn is_hidden(&self) -> bool {
        is_hidden_name(&self.name)
    }
}

/// Whether a name is a definition (`#X`, `_#X`).
pub fn is_definition_name(name: &str) -> bool {
    name.starts_with('#') || name.starts_with("_#")
}

/// Whether a name is hidden (`_x`, `_#x`; `_` alone is top, not hidden).
pub fn is_hidden_name(name: &str) -> bool {
    name.starts_with('_') && name != "_"
}

/// A declaration inside a struct or file.
// Fields are by far the most common declaration: boxing them would cost
// an allocation each for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Decl {
    /// `label: value @attr(...)`.
    Field(Field),
    /// An embedded expression (`#Base`, `{a: 1}`, `X={...}`).
    Embed(Expr),
    /// `let X = expr`.
    Let(LetClause),
    /// `for ... if ... let ... { ... }`.
    Comprehension(Comprehension),
    /// `...` or `...T`.
    Ellipsis(Ellipsis),
    /// An attribute on its own line, e.g. `@test(eq, {...})`.
    Attribute(Attribute),
    /// Text that did not parse (an error was reported for it).
    Bad(Span),
}

impl Decl {
    /// The source range of the declaration.
    pub fn span(&self) -> Span {
        match self {
            Decl::Field(f) => f.span,
            Decl::Embed(e) => e.span,
            Decl::Let(l) => l.span,
            Decl::Comprehension(c) => c.span,
            Decl::Ellipsis(e) => e.span,
            Decl::Attribute(a) => a.span,
            Decl::Bad(s) => *s,
        }
    }
}

/// Whether a field is regular, optional (`?`) or required (`!`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Constraint {
    /// `a: x`.
    #[default]
    Regular,
    /// `a?: x`.
    Optional,
    /// `a!: x`.
    Required,
}

/// A field declaration `X=label?: value @attr()`.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Node id.
    pub id: NodeId,
    /// From the label (or its alias) to the end of the value/attributes.
    pub span: Span,
    /// `X` in `X=label: value` (refers to the field's value).
    pub alias: Option<Ident>,
    /// The label.
    pub label: Label,
    /// `label~X` / `label~(K,V)` (`@experiment(aliasv2)`).
    pub postfix_alias: Option<PostfixAlias>,
    /// `?` / `!` marker.
    pub constraint: Constraint,
    /// The value; for `a: b: c` a brace-less struct holding `b: c`.
    pub value: Expr,
    /// Attributes after the value, in order.
    pub attrs: Vec<Attribute>,
}

/// A postfix alias after a label (`@experiment(aliasv2)`).
#[derive(Clone, Debug, PartialEq)]
pub enum PostfixAlias {
    /// `label~X` or `label~(X)`.
    Single(Ident),
    /// `label~(K,V)`; `_` is written as `None`.
    Dual {
        /// `K`: binds the label.
        label: Option<Ident>,
        /// `V`: binds the field.
        value: Option<Ident>,
    },
}

/// A field label.
#[derive(Clone, Debug, PartialEq)]
pub enum Label {
    /// `name`, `#Def`, `_hidden`, `_#hd`, or a keyword used as a label.
    Ident(Ident),
    /// `"quoted"` (an [`ExprKind::String`]) or `"interp\(x)"` (an
    /// [`ExprKind::Interpolation`]).
    String(Expr),
    /// `(expr)`: a dynamic label, the expression without the parentheses.
    Dynamic(Expr),
    /// `[expr]` or `[X=expr]`: a pattern constraint.
    Pattern {
        /// Span of the whole `[...]`.
        span: Span,
        /// `X` in `[X=expr]` (refers to the matched label).
        alias: Option<Ident>,
        /// The pattern.
        expr: Expr,
    },
}

impl Label {
    /// The span of the label.
    pub fn span(&self) -> Span {
        match self {
            Label::Ident(i) => i.span,
            Label::String(e) | Label::Dynamic(e) => e.span,
            Label::Pattern { span, .. } => *span,
        }
    }

    /// The static name of the label: the identifier or the decoded string;
    /// `None` for interpolations, dynamic and pattern labels.
    pub fn name(&self) -> Option<&str> {
        match self {
            Label::Ident(i) => Some(&i.name),
            Label::String(Expr {
                kind: ExprKind::String(s),
                ..
            }) => s.as_str(),
            _ => None,
        }
    }
}

/// `let X = expr` (as a declaration or a comprehension clause).
#[derive(Clone, Debug, PartialEq)]
pub struct LetClause {
    /// Node id.
    pub id: NodeId,
    /// From `let` to the end of the expression.
    pub span: Span,
    /// The bound name.
    pub name: Ident,
    /// The value.
    pub expr: Expr,
}

/// `...` or `...T` in a struct or list.
#[derive(Clone, Debug, PartialEq)]
pub struct Ellipsis {
    /// Node id.
    pub id: NodeId,
    /// Source range.
    pub span: Span,
    /// `T` in `...T`.
    pub ty: Option<Box<Expr>>,
}

/// A comprehension: clauses followed by a struct body.
#[derive(Clone, Debug, PartialEq)]
pub struct Comprehension {
    /// Node id.
    pub id: NodeId,
    /// From the first clause to the closing brace.
    pub span: Span,
    /// At least one clause; the first is `for` or `if`.
    pub clauses: Vec<Clause>,
    /// The `{...}` yielded for each iteration (an [`ExprKind::Struct`]).
    pub body: Box<Expr>,
    /// `else { ... }` / `fallback { ... }` (`@experiment(try)`).
    pub else_clause: Option<ElseClause>,
}

/// Which keyword introduced an [`ElseClause`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElseKind {
    /// `else { ... }`: yielded when a `try`/`if` produced nothing.
    Else,
    /// `fallback { ... }`: yielded when a `for` produced nothing.
    Fallback,
}

/// The alternative body of a comprehension (`@experiment(try)`).
#[derive(Clone, Debug, PartialEq)]
pub struct ElseClause {
    /// From the keyword to the closing brace.
    pub span: Span,
    /// `else` or `fallback`.
    pub kind: ElseKind,
    /// The struct literal.
    pub body: Box<Expr>,
}

/// One comprehension clause.
#[derive(Clone, Debug, PartialEq)]
pub enum Clause {
    /// `for key, value in source` (key optional).
    For {
        /// Node id.
        id: NodeId,
        /// Source range.
        span: Span,
        /// `k` in `for k, v in`.
        key: Option<Ident>,
        /// `v`.
        value: Ident,
        /// The iterated value.
        source: Expr,
    },
    /// `if cond`.
    If {
        /// Node id.
        id: NodeId,
        /// Source range.
        span: Span,
        /// The condition.
        cond: Expr,
    },
    /// `let x = expr`.
    Let(LetClause),
    /// `try` or `try x = expr` (`@experiment(try)`).
    Try {
        /// Node id.
        id: NodeId,
        /// Source range.
        span: Span,
        /// `x = expr` when given.
        binding: Option<(Ident, Expr)>,
    },
}

impl Clause {
    /// The span of the clause.
    pub fn span(&self) -> Span {
        match self {
            Clause::For { span, .. } | Clause::If { span, .. } | Clause::Try { span, .. } => *span,
            Clause::Let(l) => l.span,
        }
    }
}

/// An attribute `@name(body)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// From `@` to `)`.
    pub span: Span,
    /// The name after `@`.
    pub name: String,
    /// The raw text between the parentheses.
    pub body: String,
    /// Span of the body text.
    pub body_span: Span,
}

/// An expression node.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// Node id (unique within the file).
    pub id: NodeId,
    /// Source range.
    pub span: Span,
    /// What kind of expression.
    pub kind: ExprKind,
}

/// Elements of a list literal.
#[derive(Clone, Debug, PartialEq)]
pub enum ListElem {
    /// A plain element.
    Expr(Expr),
    /// `for x in y { ... }` producing elements.
    Comprehension(Comprehension),
    /// `...` or `...T` (must be last).
    Ellipsis(Ellipsis),
}

/// A struct literal `{ decls }`.
#[derive(Clone, Debug, PartialEq)]
pub struct StructLit {
    /// The declarations.
    pub decls: Vec<Decl>,
    /// False for the implicit struct of a `a: b: c` chain.
    pub braces: bool,
}

/// A part of an interpolated string.
#[derive(Clone, Debug, PartialEq)]
pub enum InterpPart {
    /// Decoded literal text (bytes for byte literals, UTF-8 otherwise).
    Lit(Vec<u8>),
    /// An interpolated expression `\(x)`.
    Expr(Expr),
}

/// The kinds of expressions.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An identifier reference (including `_`, `int`, `string`, ...).
    Ident(String),
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// `_|_`.
    Bottom,
    /// A number literal.
    Number(NumberLit),
    /// A string or bytes literal without interpolations.
    String(StringLit),
    /// A string or bytes literal with interpolations.
    Interpolation {
        /// `'...'` rather than `"..."`.
        is_bytes: bool,
        /// Literal text and expressions, alternating (starts and ends with
        /// a `Lit`, possibly empty).
        parts: Vec<InterpPart>,
    },
    /// `{...}` (or the brace-less value of a `a: b: c` chain).
    Struct(StructLit),
    /// `[...]`.
    List(Vec<ListElem>),
    /// `x.sel` (`sel` an identifier or a decoded string label).
    Selector {
        /// The operand.
        x: Box<Expr>,
        /// The selected label (a [`Label::Ident`] or [`Label::String`]).
        sel: Box<Label>,
    },
    /// `x[i]`.
    Index {
        /// The operand.
        x: Box<Expr>,
        /// The index.
        index: Box<Expr>,
    },
    /// `x[lo:hi]`.
    Slice {
        /// The operand.
        x: Box<Expr>,
        /// Lower bound.
        lo: Option<Box<Expr>>,
        /// Upper bound.
        hi: Option<Box<Expr>>,
    },
    /// `f(args)`.
    Call {
        /// The function.
        func: Box<Expr>,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// Unary operator, incl. bounds `<x` and the default marker `*x`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        x: Box<Expr>,
    },
    /// Binary operator.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `(x)`.
    Paren(Box<Expr>),
    /// `x...` (`@experiment(explicitopen)`) or `x?` (`@experiment(try)`).
    Postfix {
        /// The operator.
        op: PostfixOp,
        /// The operand.
        x: Box<Expr>,
    },
    /// `X=expr` in a value or embedding position.
    Alias {
        /// The name.
        name: Ident,
        /// The aliased expression.
        expr: Box<Expr>,
    },
    /// Text that did not parse (an error was reported for it).
    Bad,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `+x`
    Plus,
    /// `-x`
    Neg,
    /// `!x`
    Not,
    /// `*x` (default marker)
    Default,
    /// `==x`
    Eq,
    /// `!=x`
    Ne,
    /// `<x`
    Lt,
    /// `<=x`
    Le,
    /// `>x`
    Gt,
    /// `>=x`
    Ge,
    /// `=~x`
    Match,
    /// `!~x`
    NotMatch,
}

impl UnaryOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            UnaryOp::Plus => "+",
            UnaryOp::Neg => "-",
            UnaryOp::Not => "!",
            UnaryOp::Default => "*",
            UnaryOp::Eq => "==",
            UnaryOp::Ne => "!=",
            UnaryOp::Lt => "<",
            UnaryOp::Le => "<=",
            UnaryOp::Gt => ">",
            UnaryOp::Ge => ">=",
            UnaryOp::Match => "=~",
            UnaryOp::NotMatch => "!~",
        }
    }
}

/// Postfix operators of language experiments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PostfixOp {
    /// `x...`: opens a closed struct (`explicitopen`).
    Open,
    /// `x?`: an optional reference (`try`).
    Optional,
}

impl PostfixOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            PostfixOp::Open => "...",
            PostfixOp::Optional => "?",
        }
    }
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `|` (disjunction)
    Or,
    /// `&` (unification)
    And,
    /// `||`
    LogOr,
    /// `&&`
    LogAnd,
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
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl BinaryOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "|",
            BinaryOp::And => "&",
            BinaryOp::LogOr => "||",
            BinaryOp::LogAnd => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Match => "=~",
            BinaryOp::NotMatch => "!~",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    /// Binding strength per the spec: `|` 1, `&` 2, `||` 3, `&&` 4,
    /// comparisons 5, `+ -` 6, `* /` 7.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::LogOr => 3,
            BinaryOp::LogAnd => 4,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::Match
            | BinaryOp::NotMatch => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div => 7,
        }
    }
}
