/// Recursive-descent parser. It recovers at statement boundaries and reports up to
/// ``Parser/maxErrors`` errors in one pass; nesting is bounded so no input can overflow the stack.
public struct Parser {
    public static let maxErrors = 20
    /// Deepest nesting of blocks, brackets and operator chains.
    public static let maxDepth = 200

    private let file: SourceFile
    private var tokens: [Token]
    private var pos = 0
    private var depth = 0
    private var diagnostics: [Diagnostic] = []
    /// In `if`/`while`/`for`/`step` headers a `{` opens the block, not a map literal.
    private var noBraceLiteral = false
    private var stepDepth = 0
    /// Above 0 while parsing the expression of a `${…}`: its end is the `}`, not the end of the input.
    private var interpolationDepth = 0
    /// Where the innermost enclosing step starts, for "a step cannot contain another step".
    private var enclosingStep = 0
    /// Set when nesting went too deep: the rest of the file is not parsed.
    private var abandoned = false

    private struct Abort: Error {}

    /// Parses a whole file. Throws ``Diagnostics`` with every error found.
    public static func parse(_ file: SourceFile) throws(Diagnostics) -> Program {
        if let d = file.validate() { throw Diagnostics([d]) }
        let (tokens, lexErrors) = Lexer.tokenize(file)
        var parser = Parser(file: file, tokens: tokens)
        parser.diagnostics = Array(lexErrors.prefix(maxErrors))
        let statements = parser.parseFile()
        if !parser.diagnostics.isEmpty {
            throw Diagnostics(Array(parser.diagnostics.sorted { $0.span.start < $1.span.start }.prefix(maxErrors)))
        }
        return Program(file: file, statements: statements)
    }

    /// True when `text` ends inside an open bracket, block or string, after a trailing operator
    /// or a `\`: the REPL then asks for another line.
    public static func isIncomplete(_ text: String) -> Bool {
        let file = SourceFile(name: "<input>", text: text)
        do {
            _ = try parse(file)
            return false
        } catch {
            // A `"…"` string or `${` must end on its line: more lines cannot finish them.
            return error.items.contains {
                let lineBound = $0.message.hasPrefix("unterminated string") || $0.message.hasPrefix("unterminated interpolation")
                // A `\` ending the text continues it on the next line.
                let continued = $0.message.contains("a '\\' outside a string") && $0.span.end >= file.bytes.count
                return continued || !lineBound && ($0.span.start >= file.bytes.count || $0.message.hasPrefix("unterminated")
                    || $0.message.hasSuffix("found the end of the input"))
            }
        }
    }

    private init(file: SourceFile, tokens: [Token]) {
        self.file = file
        self.tokens = tokens
    }

    // MARK: token helpers

    private var tok: Token { tokens[pos] }
    private func peek(_ k: Int = 1) -> Token { tokens[min(pos + k, tokens.count - 1)] }

    @discardableResult
    private mutating func advance() -> Token {
        let t = tokens[pos]
        if pos < tokens.count - 1 { pos += 1 }
        return t
    }

    private func span(_ t: Token) -> Span { Span(file, t.start, t.end) }
    private func span(from start: Int) -> Span {
        let prev = pos > 0 ? tokens[pos - 1].end : start
        return Span(file, start, max(start, prev))
    }

    private mutating func fail(_ t: Token, _ message: String) -> Abort {
        // The lexer already reported an invalid token: one mistake, one diagnostic.
        if !t.isInvalid { record(Diagnostic(errorSpan(t), message)) }
        return Abort()
    }

    /// Where an error at `t` points: at the token, or for the end of the input just after the
    /// last token, so the line shown is the one that is unfinished rather than an empty one.
    private func errorSpan(_ t: Token) -> Span {
        guard t.isEOF else { return span(t) }
        var k = pos
        while k >= 0, k < tokens.count, tokens[k].isEOF || tokens[k].isNewline { k -= 1 }
        guard k >= 0, k < tokens.count else { return span(t) }
        return Span(file, tokens[k].end, tokens[k].end)
    }

    /// ` (is the '[' at 3:9 missing its ']'?)` when the token that broke a bracketed list starts a
    /// later line: the bracket was most likely left open.
    private func unclosedHint(_ open: Token, _ close: String) -> String {
        guard pos > 0, tokens[pos - 1].isNewline || tok.isEOF else { return "" }
        let (line, col) = file.location(of: open.start)
        return " (is the '\(file.decode(open.start, open.end))' at \(line):\(col) missing its '\(close)'?)"
    }

    /// "a number" is vague in "expected …, found a number": show the literal itself when short.
    private func describe(_ t: Token) -> String {
        switch t.kind {
        case .int, .float, .duration, .size:
            let text = file.decode(t.start, t.end)
            return text.count <= 20 ? "'\(text)'" : t.describe
        case .eof where interpolationDepth > 0:
            return "the '}' that ends the interpolation"
        default:
            return t.describe
        }
    }

    private mutating func record(_ d: Diagnostic) {
        if diagnostics.count < Parser.maxErrors { diagnostics.append(d) }
    }

    private mutating func expect(_ p: Punct, _ context: String) throws(Abort) -> Token {
        guard tok.isPunct(p) else { throw fail(tok, "expected '\(p.rawValue)' \(context), found \(describe(tok))") }
        return advance()
    }

    private mutating func skipNewlines() {
        while tok.isNewline { advance() }
    }

    /// Counts one level of nesting (a bracket, block, function, interpolation, unary operator or
    /// a binary operator of a chain); past ``maxDepth`` the parse stops.
    private mutating func enter(_ t: Token) throws(Abort) {
        depth += 1
        if depth > Parser.maxDepth {
            record(Diagnostic(errorSpan(t), "too deeply nested: more than \(Parser.maxDepth) levels of brackets, blocks and operators "
                              + "(split the expression with 'let', or the code into functions)"))
            // Nothing sensible can follow: stop the whole parse.
            abandoned = true
            pos = tokens.count - 1
            throw Abort()
        }
    }

    private mutating func leave() { depth -= 1 }

    private var tooManyErrors: Bool { diagnostics.count >= Parser.maxErrors || abandoned }

    // MARK: statements

    private mutating func parseFile() -> [Stmt] {
        var statements: [Stmt] = []
        skipSeparators()
        while !tok.isEOF, !tooManyErrors {
            if tok.isPunct(.rbrace) {
                record(Diagnostic(span(tok), "unexpected '}' with no block open"))
                advance()
            } else if let s = parseStatementRecovering() {
                statements.append(s)
            }
            skipSeparators()
        }
        return statements
    }

    private mutating func skipSeparators() {
        while tok.isNewline || tok.isPunct(.semicolon) { advance() }
    }

    private mutating func parseStatementRecovering() -> Stmt? {
        let startDepth = depth
        let savedNoBrace = noBraceLiteral
        let savedStepDepth = stepDepth
        let savedEnclosingStep = enclosingStep
        do {
            let s = try parseStatement()
            if !(tok.isNewline || tok.isPunct(.semicolon) || tok.isPunct(.rbrace) || tok.isEOF) {
                // `stpe "x" {`: a lone word where a statement starts is most likely a misspelt keyword.
                if case .expr(let e) = s.kind, case .name(let word) = e.kind,
                   let keyword = Suggest.closest(to: word, in: Keyword.allCases.map(\.rawValue)) {
                    throw fail(tok, "'\(word)' followed by \(describe(tok)) is not a statement (did you mean '\(keyword)'?)")
                }
                throw fail(tok, "expected the end of the statement, found \(describe(tok)) (put one statement per line, or separate them with ';')")
            }
            return s
        } catch {
            depth = startDepth
            noBraceLiteral = savedNoBrace
            stepDepth = savedStepDepth
            enclosingStep = savedEnclosingStep
            synchronize()
            return nil
        }
    }

    /// Skips to the end of the current statement: a newline or `;` outside brackets, or a `}`
    /// that closes the enclosing block.
    private mutating func synchronize() {
        var nesting = 0
        while !tok.isEOF {
            if nesting == 0, tok.isNewline || tok.isPunct(.semicolon) { return }
            if tok.isPunct(.lparen) || tok.isPunct(.lbracket) || tok.isPunct(.lbrace) { nesting += 1 }
            if tok.isPunct(.rparen) || tok.isPunct(.rbracket) || tok.isPunct(.rbrace) {
                if nesting == 0 { if tok.isPunct(.rbrace) { return } } else { nesting -= 1 }
            }
            advance()
        }
    }

    private mutating func parseBlock(_ context: String) throws(Abort) -> Block {
        let open = tok
        guard open.isPunct(.lbrace) else {
            throw fail(tok, "expected '{' to open \(context), found \(describe(tok))")
        }
        try enter(open)
        defer { leave() }
        advance()
        let savedNoBrace = noBraceLiteral
        noBraceLiteral = false
        defer { noBraceLiteral = savedNoBrace }
        var statements: [Stmt] = []
        skipSeparators()
        while !tok.isPunct(.rbrace) {
            if tooManyErrors { throw Abort() }
            if tok.isEOF {
                record(Diagnostic(span(open), "unterminated block: the '{' opening \(context) is never closed"))
                throw Abort()
            }
            if let s = parseStatementRecovering() { statements.append(s) }
            skipSeparators()
        }
        let close = advance()
        return Block(statements: statements, span: Span(file, open.start, close.end))
    }

    private mutating func parseStatement() throws(Abort) -> Stmt {
        let t = tok
        let start = t.start
        switch t.kind {
        case .keyword(.let):
            advance()
            let (name, nameSpan) = try parseName("after 'let'")
            _ = try expect(.assign, "after 'let \(name)'")
            skipNewlines()
            let value = try parseExpression()
            return Stmt(.let(name: name, nameSpan: nameSpan, value: value), span(from: start))
        case .keyword(.fn) where peek().kind.isIdentifier:
            advance()
            let (name, nameSpan) = try parseName("after 'fn'")
            let decl = try parseFunctionRest(name: name, nameSpan: nameSpan, start: start)
            return Stmt(.function(decl), decl.span)
        case .keyword(.if):
            return try parseIf()
        case .keyword(.for):
            advance()
            var names = [try parseName("after 'for'")]
            if tok.isPunct(.comma) {
                advance()
                names.append(try parseName("after ','"))
            }
            guard tok.isKeyword(.in) else { throw fail(tok, "expected 'in' in the 'for' loop, found \(describe(tok))") }
            advance()
            let iterable = try parseHeaderExpression()
            let body = try parseBlock("the body of the 'for' loop")
            return Stmt(.for(names: names, iterable: iterable, body: body), span(from: start))
        case .keyword(.while):
            advance()
            let condition = try parseHeaderExpression()
            let body = try parseBlock("the body of the 'while' loop")
            return Stmt(.while(condition: condition, body: body), span(from: start))
        case .keyword(.break):
            advance()
            return Stmt(.break, span(t))
        case .keyword(.continue):
            advance()
            return Stmt(.continue, span(t))
        case .keyword(.return):
            advance()
            if tok.isNewline || tok.isEOF || tok.isPunct(.rbrace) || tok.isPunct(.semicolon) {
                return Stmt(.return(nil), span(t))
            }
            let value = try parseExpression()
            return Stmt(.return(value), span(from: start))
        case .keyword(.try):
            advance()
            let body = try parseBlock("the 'try' block")
            _ = continuesOnNextLine("catch", { $0.isKeyword(.catch) })
            guard tok.isKeyword(.catch) else {
                throw fail(tok, "expected 'catch' after the 'try' block, found \(describe(tok)) (write '} catch e {' on one line)")
            }
            advance()
            var errorName: (String, Span)?
            if !tok.isPunct(.lbrace) { errorName = try parseName("after 'catch'") }
            let handler = try parseBlock("the 'catch' block")
            return Stmt(.try(body: body, errorName: errorName, handler: handler), span(from: start))
        case .keyword(.import):
            return try parseImport()
        case .keyword(.runbook):
            advance()
            let title = try parseExpression()
            return Stmt(.runbook(title: title), span(from: start))
        case .keyword(.param):
            return try parseParam(secret: false, start: start)
        case .identifier("secret") where peek().isKeyword(.param):
            advance()
            return try parseParam(secret: true, start: start)
        case .keyword(.require):
            advance()
            let (c, m) = try parseConditionAndMessage()
            return Stmt(.require(condition: c, message: m), span(from: start))
        case .keyword(.assert):
            advance()
            let (c, m) = try parseConditionAndMessage()
            return Stmt(.assert(condition: c, message: m), span(from: start))
        case .keyword(.check):
            advance()
            let (c, m) = try parseConditionAndMessage()
            return Stmt(.check(condition: c, message: m), span(from: start))
        case .keyword(.step):
            return try parseStep()
        case .keyword(.else):
            throw fail(t, "'else' without an 'if': it must follow the '}' of an 'if' block, on the same line")
        case .keyword(.catch):
            throw fail(t, "'catch' without a 'try': it must follow the '}' of a 'try' block, on the same line")
        case .identifier("rollback") where peek().isPunct(.lbrace):
            throw fail(t, "'rollback' without a step: it must follow the '}' of a step's body, on the same line")
        default:
            let target = try parseExpression()
            if tok.isPunct(.assign) {
                let eq = advance()
                switch target.kind {
                case .name, .member, .index: break
                default:
                    record(Diagnostic(target.span, "cannot assign to this expression (assign to a name, m.key, m[key] or xs[i])"))
                    throw Abort()
                }
                _ = eq
                skipNewlines()
                let value = try parseExpression()
                return Stmt(.assign(target: target, value: value), span(from: start))
            }
            return Stmt(.expr(target), span(from: start))
        }
    }

    /// `}` newline `else`: reports that `else` (`catch`, `rollback`) must stand on the line of the
    /// `}`, then goes on as if it did, so the rest of the statement still parses. True if it did so.
    private mutating func continuesOnNextLine(_ word: String, _ matches: (Token) -> Bool) -> Bool {
        guard tok.isNewline else { return false }
        var k = pos
        while k < tokens.count - 1, tokens[k].isNewline { k += 1 }
        guard matches(tokens[k]) else { return false }
        if word == "rollback", !tokens[min(k + 1, tokens.count - 1)].isPunct(.lbrace) { return false }
        pos = k
        var written = "} \(word) {"
        if word == "catch", case .identifier(let name) = peek().kind { written = "} catch \(name) {" }
        record(Diagnostic(span(tok), "'\(word)' must be on the same line as the '}' before it: write '\(written)'"))
        return true
    }

    private mutating func parseName(_ context: String) throws(Abort) -> (String, Span) {
        if case .identifier(let name) = tok.kind {
            let t = advance()
            return (name, span(t))
        }
        if case .keyword(let k) = tok.kind {
            throw fail(tok, "'\(k.rawValue)' is a reserved word and cannot be used as a name")
        }
        throw fail(tok, "expected a name \(context), found \(describe(tok))")
    }

    private mutating func parseIf() throws(Abort) -> Stmt {
        let start = tok.start
        advance()
        var branches: [(condition: Expr, body: Block)] = []
        var otherwise: Block?
        let cond = try parseHeaderExpression()
        branches.append((cond, try parseBlock("the 'if' block")))
        while continuesOnNextLine("else", { $0.isKeyword(.else) }) || tok.isKeyword(.else) {
            advance()
            if tok.isKeyword(.if) {
                advance()
                let c = try parseHeaderExpression()
                branches.append((c, try parseBlock("the 'else if' block")))
            } else {
                otherwise = try parseBlock("the 'else' block")
                break
            }
        }
        return Stmt(.if(branches: branches, otherwise: otherwise), span(from: start))
    }

    private mutating func parseImport() throws(Abort) -> Stmt {
        let start = tok.start
        advance()
        guard case .string(let parts) = tok.kind, parts.count == 1, case .text(let path) = parts[0] else {
            throw fail(tok, "expected a plain string path after 'import', e.g. import \"std/list\"")
        }
        let pathToken = advance()
        guard ["std/", "./", "../", "/"].contains(where: { path.hasPrefix($0) }) else {
            throw fail(pathToken, "an import path starts with std/ (a standard module), ./ or ../ (a file beside this one) "
                       + "or /: write import \"./\(path)\" for a file")
        }
        var alias: String
        var aliasSpan: Span
        if tok.isWord("as") {
            advance()
            (alias, aliasSpan) = try parseName("after 'as'")
        } else {
            var base = path.split(separator: "/").last.map(String.init) ?? path
            if base.hasSuffix(".mend") { base.removeLast(5) }
            alias = base
            aliasSpan = span(pathToken)
            guard Parser.isIdentifier(alias) else {
                throw fail(pathToken, "cannot name a module '\(alias)': write import \"\(path)\" as NAME")
            }
        }
        return Stmt(.import(path: path, alias: alias, aliasSpan: aliasSpan), span(from: start))
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f.isASCII, f.properties.isAlphabetic || f == "_" else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_") }
            && Keyword(rawValue: s) == nil
    }

    private mutating func parseParam(secret: Bool, start: Int) throws(Abort) -> Stmt {
        advance()
        let (name, nameSpan) = try parseName("after 'param'")
        guard tok.isPunct(.assign) else {
            record(Diagnostic(nameSpan, "param '\(name)' needs a default value, which also sets its type: param \(name) = …"))
            throw Abort()
        }
        advance()
        skipNewlines()
        let value = try parseExpression()
        return Stmt(.param(name: name, nameSpan: nameSpan, defaultValue: value, secret: secret), span(from: start))
    }

    private mutating func parseConditionAndMessage() throws(Abort) -> (Expr, Expr?) {
        let condition = try parseExpression()
        var message: Expr?
        if tok.isPunct(.comma) {
            advance()
            skipNewlines()
            message = try parseExpression()
        }
        return (condition, message)
    }

    private mutating func parseStep() throws(Abort) -> Stmt {
        let stepToken = advance()
        if stepDepth > 0 {
            let (line, col) = file.location(of: enclosingStep)
            throw fail(stepToken, "a step cannot contain another step (this one is inside the step at \(line):\(col))")
        }
        let name = try parseHeaderExpression()
        var when: Expr?, timeout: Expr?, confirm: Expr?
        while case .identifier(let word) = tok.kind, ["when", "timeout", "confirm"].contains(word) {
            let modifier = advance()
            let value = try parseHeaderExpression()
            switch word {
            case "when":
                if when != nil { throw fail(modifier, "a step takes 'when' at most once") }
                when = value
            case "timeout":
                if timeout != nil { throw fail(modifier, "a step takes 'timeout' at most once") }
                timeout = value
            default:
                if confirm != nil { throw fail(modifier, "a step takes 'confirm' at most once") }
                confirm = value
            }
        }
        guard tok.isPunct(.lbrace) else {
            throw fail(tok, "expected '{' to open the step's body (modifiers: when, timeout, confirm), found \(describe(tok))")
        }
        stepDepth += 1
        let savedEnclosingStep = enclosingStep
        enclosingStep = stepToken.start
        defer { enclosingStep = savedEnclosingStep }
        let body: Block
        do { body = try parseBlock("the step's body") } catch { stepDepth -= 1; throw error }
        var rollback: Block?
        _ = continuesOnNextLine("rollback", { $0.isWord("rollback") })
        if tok.isWord("rollback") {
            advance()
            do { rollback = try parseBlock("the rollback block") } catch { stepDepth -= 1; throw error }
        }
        stepDepth -= 1
        let decl = StepDecl(name: name, when: when, timeout: timeout, confirm: confirm, body: body, rollback: rollback)
        return Stmt(.step(decl), span(from: stepToken.start))
    }

    // MARK: functions

    private mutating func parseFunctionRest(name: String?, nameSpan: Span, start: Int) throws(Abort) -> FunctionDecl {
        try enter(Token(kind: .keyword(.fn), start: start, end: start + 2))
        defer { leave() }
        _ = try expect(.lparen, "to start the parameter list")
        var params: [ParamDecl] = []
        skipNewlines()
        while !tok.isPunct(.rparen) {
            let (pname, pspan) = try parseName("for a parameter")
            var def: Expr?
            if tok.isPunct(.assign) {
                advance()
                def = try parseExpression()
            } else if params.last?.defaultValue != nil {
                record(Diagnostic(pspan, "parameter '\(pname)' needs a default value: it follows a parameter that has one"))
                throw Abort()
            }
            params.append(ParamDecl(name: pname, span: pspan, defaultValue: def))
            skipNewlines()
            if tok.isPunct(.comma) { advance(); skipNewlines() } else if !tok.isPunct(.rparen) {
                throw fail(tok, "expected ',' or ')' in the parameter list, found \(describe(tok))")
            }
        }
        advance()
        let body: Block
        if tok.isPunct(.arrow) {
            let arrow = advance()
            skipNewlines()
            let savedStep = stepDepth
            stepDepth = 0
            defer { stepDepth = savedStep }
            let value = try parseExpression()
            let ret = Stmt(.return(value), value.span)
            body = Block(statements: [ret], span: Span(file, arrow.start, value.span.end))
        } else {
            let savedStep = stepDepth
            stepDepth = 0
            defer { stepDepth = savedStep }
            guard tok.isPunct(.lbrace) else {
                throw fail(tok, "expected '{' or '=>' to start the function body, found \(describe(tok))")
            }
            body = try parseBlock("the function body")
        }
        return FunctionDecl(name: name, nameSpan: nameSpan, params: params, body: body, span: span(from: start))
    }

    // MARK: expressions

    private mutating func parseHeaderExpression() throws(Abort) -> Expr {
        let saved = noBraceLiteral
        noBraceLiteral = true
        defer { noBraceLiteral = saved }
        return try parseExpression()
    }

    private mutating func parseExpression() throws(Abort) -> Expr {
        try parseOr()
    }

    /// A left-associative chain `operand (op operand)*`; each operator counts as one level of
    /// nesting, so a million-term sum is an error, not a stack overflow later on.
    private mutating func parseChain(_ operand: (inout Parser) throws(Abort) -> Expr,
                                     _ combine: (Token) -> ((Expr, Expr) -> ExprKind)?) throws(Abort) -> Expr {
        var left = try operand(&self)
        let startDepth = depth
        defer { depth = startDepth }
        while let make = combine(tok) {
            try enter(tok)
            advance()
            skipNewlines()
            let right = try operand(&self)
            left = Expr(make(left, right), left.span.through(right.span))
        }
        return left
    }

    private mutating func parseOr() throws(Abort) -> Expr {
        try parseChain({ (p: inout Parser) throws(Abort) in try p.parseAnd() }) { t in
            t.isKeyword(.or) ? { .or($0, $1) } : nil
        }
    }

    private mutating func parseAnd() throws(Abort) -> Expr {
        try parseChain({ (p: inout Parser) throws(Abort) in try p.parseNot() }) { t in
            t.isKeyword(.and) ? { .and($0, $1) } : nil
        }
    }

    private mutating func parseNot() throws(Abort) -> Expr {
        if tok.isKeyword(.not) {
            let t = advance()
            try enter(t)
            defer { leave() }
            let operand = try parseNot()
            return Expr(.unary(.not, operand), Span(file, t.start, operand.span.end))
        }
        return try parseComparison()
    }

    private func comparisonOp() -> (BinaryOp, Int)? {
        switch tok.kind {
        case .punct(.eq): return (.eq, 1)
        case .punct(.ne): return (.ne, 1)
        case .punct(.lt): return (.lt, 1)
        case .punct(.le): return (.le, 1)
        case .punct(.gt): return (.gt, 1)
        case .punct(.ge): return (.ge, 1)
        case .keyword(.in): return (.in, 1)
        case .keyword(.not) where peek().isKeyword(.in): return (.notIn, 2)
        default: return nil
        }
    }

    private mutating func parseComparison() throws(Abort) -> Expr {
        let left = try parseAdditive()
        guard let (op, width) = comparisonOp() else { return left }
        for _ in 0..<width { advance() }
        skipNewlines()
        let right = try parseAdditive()
        if comparisonOp() != nil {
            throw fail(tok, "comparisons do not chain: write 'a < b and b < c'")
        }
        return Expr(.binary(op, left, right), left.span.through(right.span))
    }

    private mutating func parseAdditive() throws(Abort) -> Expr {
        try parseChain({ (p: inout Parser) throws(Abort) in try p.parseMultiplicative() }) { t in
            let op: BinaryOp
            if t.isPunct(.plus) { op = .add } else if t.isPunct(.minus) { op = .sub } else { return nil }
            return { .binary(op, $0, $1) }
        }
    }

    private mutating func parseMultiplicative() throws(Abort) -> Expr {
        try parseChain({ (p: inout Parser) throws(Abort) in try p.parseUnary() }) { t in
            let op: BinaryOp
            if t.isPunct(.star) { op = .mul } else if t.isPunct(.slash) { op = .div } else if t.isPunct(.percent) { op = .mod } else { return nil }
            return { .binary(op, $0, $1) }
        }
    }

    private mutating func parseUnary() throws(Abort) -> Expr {
        if tok.isPunct(.minus) {
            let t = advance()
            try enter(t)
            defer { leave() }
            let operand = try parseUnary()
            // Fold negative literals so `-9223372036854775808`-style bounds and `-5s` are constants.
            if case .literal(let lit) = operand.kind {
                let s = Span(file, t.start, operand.span.end)
                switch lit {
                case .int(let v) where v != Int.min: return Expr(.literal(.int(-v)), s)
                case .float(let v): return Expr(.literal(.float(-v)), s)
                case .duration(let v) where v != Int.min: return Expr(.literal(.duration(-v)), s)
                default: break
                }
            }
            return Expr(.unary(.negate, operand), Span(file, t.start, operand.span.end))
        }
        return try parsePostfix()
    }

    private mutating func parsePostfix() throws(Abort) -> Expr {
        var e = try parsePrimary()
        let startDepth = depth
        defer { depth = startDepth }
        while true {
            if tok.isPunct(.lparen) {
                try enter(tok)
                let open = advance()
                let args = try parseArguments(open)
                e = Expr(.call(e, args), span(from: e.span.start))
            } else if tok.isPunct(.lbracket) {
                try enter(tok)
                let open = advance()
                let saved = noBraceLiteral
                noBraceLiteral = false
                skipNewlines()
                let index = try parseExpression()
                skipNewlines()
                noBraceLiteral = saved
                guard tok.isPunct(.rbracket) else {
                    if tok.isEOF {
                        record(Diagnostic(span(open), "unterminated index: this '[' is never closed"))
                        throw Abort()
                    }
                    throw fail(tok, "expected ']' to close the index, found \(describe(tok))" + unclosedHint(open, "]"))
                }
                advance()
                e = Expr(.index(e, index), span(from: e.span.start))
            } else if tok.isPunct(.dot) {
                try enter(tok)
                advance()
                skipNewlines()
                let nameTok = tok
                let name: String
                switch nameTok.kind {
                case .identifier(let n): name = n
                case .keyword(let k): name = k.rawValue
                default: throw fail(nameTok, "expected a member name after '.', found \(describe(nameTok))")
                }
                advance()
                e = Expr(.member(e, name, span(nameTok)), span(from: e.span.start))
            } else {
                break
            }
        }
        return e
    }

    private mutating func parseArguments(_ open: Token) throws(Abort) -> [CallArgument] {
        let saved = noBraceLiteral
        noBraceLiteral = false
        defer { noBraceLiteral = saved }
        var args: [CallArgument] = []
        var sawLabel = false
        skipNewlines()
        while !tok.isPunct(.rparen) {
            if tok.isEOF {
                record(Diagnostic(span(open), "unterminated call: this '(' is never closed"))
                throw Abort()
            }
            let start = tok.start
            var label: String?
            if peek().isPunct(.colon) {
                switch tok.kind {
                case .identifier(let n): label = n
                case .keyword(let k): label = k.rawValue
                default: break
                }
                if label != nil { advance(); advance(); skipNewlines() }
            }
            if label == nil, sawLabel {
                throw fail(tok, "a positional argument cannot follow a labelled one")
            }
            sawLabel = sawLabel || label != nil
            let value = try parseExpression()
            args.append(CallArgument(label: label, value: value, span: span(from: start)))
            skipNewlines()
            if tok.isPunct(.comma) { advance(); skipNewlines() } else if !tok.isPunct(.rparen) {
                throw fail(tok, "expected ',' or ')' in the argument list, found \(describe(tok))" + unclosedHint(open, ")"))
            }
        }
        advance()
        return args
    }

    private mutating func parsePrimary() throws(Abort) -> Expr {
        let t = tok
        let s = span(t)
        switch t.kind {
        case .int(let v): advance(); return Expr(.literal(.int(v)), s)
        case .float(let v): advance(); return Expr(.literal(.float(v)), s)
        case .duration(let v): advance(); return Expr(.literal(.duration(v)), s)
        case .size(let v): advance(); return Expr(.literal(.size(v)), s)
        case .keyword(.true): advance(); return Expr(.literal(.bool(true)), s)
        case .keyword(.false): advance(); return Expr(.literal(.bool(false)), s)
        case .keyword(.nil): advance(); return Expr(.literal(.null), s)
        case .string(let parts):
            advance()
            return try stringExpr(parts, s)
        case .identifier(let name):
            advance()
            return Expr(.name(name), s)
        case .keyword(.fn):
            advance()
            let decl = try parseFunctionRest(name: nil, nameSpan: s, start: t.start)
            return Expr(.function(decl), decl.span)
        case .punct(.lparen):
            try enter(t)
            defer { leave() }
            advance()
            let saved = noBraceLiteral
            noBraceLiteral = false
            defer { noBraceLiteral = saved }
            skipNewlines()
            let inner = try parseExpression()
            skipNewlines()
            guard tok.isPunct(.rparen) else {
                if tok.isEOF {
                    record(Diagnostic(span(t), "unterminated parenthesis: this '(' is never closed"))
                    throw Abort()
                }
                throw fail(tok, "expected ')' to close the parenthesis, found \(describe(tok))" + unclosedHint(t, ")"))
            }
            let close = advance()
            // The parentheses belong to the expression's span, so `(1 + 2) * 3` covers all of it.
            return Expr(inner.kind, Span(file, t.start, close.end))
        case .punct(.lbracket):
            try enter(t)
            defer { leave() }
            advance()
            let saved = noBraceLiteral
            noBraceLiteral = false
            defer { noBraceLiteral = saved }
            var items: [Expr] = []
            skipNewlines()
            while !tok.isPunct(.rbracket) {
                if tok.isEOF {
                    record(Diagnostic(span(t), "unterminated list: this '[' is never closed"))
                    throw Abort()
                }
                items.append(try parseExpression())
                skipNewlines()
                if tok.isPunct(.comma) { advance(); skipNewlines() } else if !tok.isPunct(.rbracket) {
                    throw fail(tok, "expected ',' or ']' in the list, found \(describe(tok))" + unclosedHint(t, "]"))
                }
            }
            advance()
            return Expr(.list(items), span(from: t.start))
        case .punct(.lbrace) where !noBraceLiteral:
            return try parseMap()
        case .punct(.lbrace):
            throw fail(t, "expected an expression, found '{' (in this header a '{' opens the block: put a map literal in parentheses, ({…}))")
        case .invalid:
            // Already reported by the lexer; parse on as if it were a value.
            advance()
            return Expr(.literal(.null), s)
        case .keyword(let k):
            throw fail(t, "expected an expression, found the keyword '\(k.rawValue)'")
        case .eof:
            throw fail(t, "expected an expression, found \(describe(t))")
        default:
            throw fail(t, "expected an expression, found \(describe(t))")
        }
    }

    private mutating func parseMap() throws(Abort) -> Expr {
        let open = tok
        try enter(open)
        defer { leave() }
        advance()
        let saved = noBraceLiteral
        noBraceLiteral = false
        defer { noBraceLiteral = saved }
        var entries: [(key: MapEntryKey, value: Expr)] = []
        skipNewlines()
        while !tok.isPunct(.rbrace) {
            if tok.isEOF {
                record(Diagnostic(span(open), "unterminated map: this '{' is never closed"))
                throw Abort()
            }
            let key: MapEntryKey
            switch tok.kind {
            case .identifier(let n) where peek().isPunct(.colon):
                advance(); key = .name(n)
            case .keyword(let k) where peek().isPunct(.colon):
                advance(); key = .name(k.rawValue)
            case .string(let parts) where peek().isPunct(.colon):
                let st = advance()
                key = .expr(try stringExpr(parts, span(st)))
            case .punct(.lparen):
                key = .expr(try parsePrimary())
            case .int, .float, .duration, .size, .keyword(.true), .keyword(.false):
                key = .expr(try parsePrimary())
            default:
                throw fail(tok, "expected a map key (name, \"string\", number or (expression)) followed by ':', found \(describe(tok))"
                           + unclosedHint(open, "}"))
            }
            _ = try expect(.colon, "after the map key")
            skipNewlines()
            let value = try parseExpression()
            entries.append((key, value))
            skipNewlines()
            if tok.isPunct(.comma) { advance(); skipNewlines() } else if !tok.isPunct(.rbrace) {
                throw fail(tok, "expected ',' or '}' in the map, found \(describe(tok))" + unclosedHint(open, "}"))
            }
        }
        advance()
        return Expr(.map(entries), span(from: open.start))
    }

    /// A string literal: plain text, or text with `${…}` parts parsed as expressions in place.
    private mutating func stringExpr(_ parts: [StringPart], _ s: Span) throws(Abort) -> Expr {
        if parts.count == 1, case .text(let text) = parts[0] {
            return Expr(.literal(.string(text)), s)
        }
        var out: [InterpolationPart] = []
        for part in parts {
            switch part {
            case .text(let text):
                out.append(.text(text))
            case .interpolation(let start, let end):
                out.append(.expr(try parseEmbedded(start, end)))
            }
        }
        return Expr(.interpolated(out), s)
    }

    /// Parses the expression of a `${…}` in place, with the same depth budget.
    private mutating func parseEmbedded(_ start: Int, _ end: Int) throws(Abort) -> Expr {
        try enter(Token(kind: .punct(.lbrace), start: start - 2, end: start))
        defer { leave() }
        let (sub, lexErrors) = Lexer.tokenize(file, start: start, end: end)
        for d in lexErrors { record(d) }
        if !lexErrors.isEmpty { throw Abort() }
        let savedTokens = tokens, savedPos = pos, savedNoBrace = noBraceLiteral
        tokens = sub.filter { !$0.isNewline }
        pos = 0
        noBraceLiteral = false
        interpolationDepth += 1
        defer {
            interpolationDepth -= 1
            tokens = savedTokens
            pos = savedPos
            noBraceLiteral = savedNoBrace
        }
        let e = try parseExpression()
        if !tok.isEOF {
            throw fail(tok, "unexpected \(describe(tok)) in the interpolation")
        }
        return e
    }
}

extension TokenKind {
    var isIdentifier: Bool {
        if case .identifier = self { return true }
        return false
    }
}
