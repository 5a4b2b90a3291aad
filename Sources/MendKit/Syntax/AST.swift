/// The syntax tree. Every node carries the span of the source it came from.

public enum Literal {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case duration(Int)
    case size(Int)
}

public enum BinaryOp: String {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%"
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case `in` = "in", notIn = "not in"

    var isComparison: Bool {
        switch self {
        case .add, .sub, .mul, .div, .mod: return false
        default: return true
        }
    }
}

public enum UnaryOp: String {
    case negate = "-", not = "not"
}

public final class Expr {
    public let kind: ExprKind
    public let span: Span
    init(_ kind: ExprKind, _ span: Span) {
        self.kind = kind
        self.span = span
    }
}

public enum InterpolationPart {
    case text(String)
    case expr(Expr)
}

public enum MapEntryKey {
    case name(String)
    case expr(Expr)
}

public struct CallArgument {
    public let label: String?
    public let value: Expr
    public let span: Span
}

public indirect enum ExprKind {
    case literal(Literal)
    case interpolated([InterpolationPart])
    case name(String)
    case list([Expr])
    case map([(key: MapEntryKey, value: Expr)])
    case unary(UnaryOp, Expr)
    case binary(BinaryOp, Expr, Expr)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case call(Expr, [CallArgument])
    case member(Expr, String, Span)
    case index(Expr, Expr)
    case function(FunctionDecl)
}

public struct ParamDecl {
    public let name: String
    public let span: Span
    public let defaultValue: Expr?
}

public final class FunctionDecl {
    public let name: String?
    public let nameSpan: Span
    public let params: [ParamDecl]
    public let body: Block
    public let span: Span
    init(name: String?, nameSpan: Span, params: [ParamDecl], body: Block, span: Span) {
        self.name = name
        self.nameSpan = nameSpan
        self.params = params
        self.body = body
        self.span = span
    }
}

public struct Block {
    public let statements: [Stmt]
    public let span: Span
}

public struct StepDecl {
    public let name: Expr
    public let when: Expr?
    public let timeout: Expr?
    public let confirm: Expr?
    public let body: Block
    public let rollback: Block?
}

public final class Stmt {
    public let kind: StmtKind
    public let span: Span
    init(_ kind: StmtKind, _ span: Span) {
        self.kind = kind
        self.span = span
    }
}

public indirect enum StmtKind {
    case expr(Expr)
    case `let`(name: String, nameSpan: Span, value: Expr)
    case assign(target: Expr, value: Expr)
    case `if`(branches: [(condition: Expr, body: Block)], otherwise: Block?)
    case `for`(names: [(String, Span)], iterable: Expr, body: Block)
    case `while`(condition: Expr, body: Block)
    case `break`
    case `continue`
    case `return`(Expr?)
    case function(FunctionDecl)
    case `try`(body: Block, errorName: (String, Span)?, handler: Block)
    case `import`(path: String, alias: String, aliasSpan: Span)
    case runbook(title: Expr)
    case param(name: String, nameSpan: Span, defaultValue: Expr, secret: Bool)
    case require(condition: Expr, message: Expr?)
    case step(StepDecl)
    case assert(condition: Expr, message: Expr?)
    case check(condition: Expr, message: Expr?)
}

/// A parsed file.
public struct Program {
    public let file: SourceFile
    public let statements: [Stmt]
}
