package dev.vlcache.core.template.jinja;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.template.jinja.Node.Expr;
import dev.vlcache.core.template.jinja.Node.Stmt;

/** Recursive-descent parser for the Jinja subset that chat templates use, with Jinja's operator precedence. */
final class Parser {

	private static final Set<String> COMPARISONS = Set.of("==", "!=", "<", ">", "<=", ">=");

	private final List<Token> tokens;

	private int pos;

	Parser(List<Token> tokens) {
		this.tokens = tokens;
	}

	List<Stmt> parseTemplate() {
		List<Stmt> body = parseBody(Set.of());
		if (peek().kind() != Token.Kind.EOF) {
			throw error(peek(), "unexpected '" + peekBlockKeyword() + "'");
		}
		return body;
	}

	/** Parses statements until a block tag whose keyword is in {@code terminators} (not consumed) or EOF. */
	private List<Stmt> parseBody(Set<String> terminators) {
		List<Stmt> out = new ArrayList<>();
		while (true) {
			Token t = peek();
			switch (t.kind()) {
				case EOF -> {
					if (!terminators.isEmpty()) {
						throw error(t, "unexpected end of template, expected one of " + terminators);
					}
					return out;
				}
				case TEXT -> {
					next();
					out.add(new Node.Text(t.text()));
				}
				case VAR_BEGIN -> {
					next();
					Expr e = parseExpression();
					expect(Token.Kind.VAR_END, "'}}'");
					out.add(new Node.Output(e));
				}
				case BLOCK_BEGIN -> {
					String keyword = peekBlockKeyword();
					if (terminators.contains(keyword)) {
						return out;
					}
					next();
					out.add(parseStatement());
				}
				default -> throw error(t, "unexpected token '" + t.text() + "'");
			}
		}
	}

	private String peekBlockKeyword() {
		Token t = this.tokens.get(Math.min(this.pos + 1, this.tokens.size() - 1));
		return t.kind() == Token.Kind.NAME ? t.text() : t.text();
	}

	private Stmt parseStatement() {
		Token keyword = expect(Token.Kind.NAME, "a statement keyword");
		switch (keyword.text()) {
			case "if":
				return parseIf();
			case "for":
				return parseFor();
			case "set":
				return parseSet();
			case "macro":
				return parseMacro();
			case "filter":
				return parseFilterBlock();
			case "generation": {
				expectBlockEnd();
				List<Stmt> body = parseBody(Set.of("endgeneration"));
				closeBlock("endgeneration");
				return new Node.Generation(body);
			}
			case "break":
				expectBlockEnd();
				return new Node.Break();
			case "continue":
				expectBlockEnd();
				return new Node.Continue();
			default:
				throw error(keyword, "unknown statement '" + keyword.text() + "'");
		}
	}

	private Stmt parseIf() {
		List<Expr> conditions = new ArrayList<>();
		List<List<Stmt>> bodies = new ArrayList<>();
		List<Stmt> orElse = null;
		conditions.add(parseExpression());
		expectBlockEnd();
		bodies.add(parseBody(Set.of("elif", "else", "endif")));
		while (true) {
			expect(Token.Kind.BLOCK_BEGIN, "'{%'");
			Token k = next();
			if (k.isName("elif")) {
				conditions.add(parseExpression());
				expectBlockEnd();
				bodies.add(parseBody(Set.of("elif", "else", "endif")));
			}
			else if (k.isName("else")) {
				expectBlockEnd();
				orElse = parseBody(Set.of("endif"));
			}
			else {
				expectBlockEnd();
				return new Node.If(conditions, bodies, orElse);
			}
		}
	}

	private Stmt parseFor() {
		List<String> targets = new ArrayList<>();
		targets.add(expect(Token.Kind.NAME, "a loop variable").text());
		while (peek().isOperator(",")) {
			next();
			targets.add(expect(Token.Kind.NAME, "a loop variable").text());
		}
		Token in = next();
		if (!in.isName("in")) {
			throw error(in, "expected 'in' in for loop");
		}
		Expr iterable = parseTernary(false);
		Expr filter = null;
		if (peek().isName("if")) {
			next();
			filter = parseOr();
		}
		expectBlockEnd();
		List<Stmt> body = parseBody(Set.of("else", "endfor"));
		List<Stmt> orElse = null;
		if (peekBlockKeyword().equals("else")) {
			next();
			next();
			expectBlockEnd();
			orElse = parseBody(Set.of("endfor"));
		}
		closeBlock("endfor");
		return new Node.For(targets, iterable, filter, body, orElse);
	}

	private Stmt parseSet() {
		List<String> targets = new ArrayList<>();
		String attribute = null;
		targets.add(expect(Token.Kind.NAME, "a variable name").text());
		if (peek().isOperator(".")) {
			next();
			attribute = expect(Token.Kind.NAME, "an attribute name").text();
		}
		while (peek().isOperator(",")) {
			next();
			targets.add(expect(Token.Kind.NAME, "a variable name").text());
		}
		if (peek().kind() == Token.Kind.BLOCK_END && attribute == null && targets.size() == 1) {
			next();
			List<Stmt> body = parseBody(Set.of("endset"));
			closeBlock("endset");
			return new Node.SetBlock(targets.get(0), body);
		}
		Token eq = next();
		if (!eq.isOperator("=")) {
			throw error(eq, "expected '=' in set");
		}
		Expr value = parseExpressionOrTuple();
		expectBlockEnd();
		return new Node.Set(targets, attribute, value);
	}

	private Stmt parseMacro() {
		String name = expect(Token.Kind.NAME, "a macro name").text();
		expectOperator("(");
		List<String> params = new ArrayList<>();
		List<@Nullable Expr> defaults = new ArrayList<>();
		while (!peek().isOperator(")")) {
			params.add(expect(Token.Kind.NAME, "a parameter name").text());
			if (peek().isOperator("=")) {
				next();
				defaults.add(parseExpression());
			}
			else {
				defaults.add(null);
			}
			if (peek().isOperator(",")) {
				next();
			}
		}
		next();
		expectBlockEnd();
		List<Stmt> body = parseBody(Set.of("endmacro"));
		closeBlock("endmacro");
		return new Node.Macro(name, params, defaults, body);
	}

	private Stmt parseFilterBlock() {
		String name = expect(Token.Kind.NAME, "a filter name").text();
		List<Expr> args = new ArrayList<>();
		if (peek().isOperator("(")) {
			next();
			while (!peek().isOperator(")")) {
				args.add(parseExpression());
				if (peek().isOperator(",")) {
					next();
				}
			}
			next();
		}
		expectBlockEnd();
		List<Stmt> body = parseBody(Set.of("endfilter"));
		closeBlock("endfilter");
		return new Node.FilterBlock(name, args, body);
	}

	private void closeBlock(String keyword) {
		expect(Token.Kind.BLOCK_BEGIN, "'{%'");
		Token k = next();
		if (!k.isName(keyword)) {
			throw error(k, "expected '" + keyword + "'");
		}
		expectBlockEnd();
	}

	// Expressions ------------------------------------------------------------------------------------------

	Expr parseExpression() {
		return parseTernary(true);
	}

	private Expr parseExpressionOrTuple() {
		Expr first = parseExpression();
		if (!peek().isOperator(",")) {
			return first;
		}
		List<Expr> items = new ArrayList<>();
		items.add(first);
		while (peek().isOperator(",")) {
			next();
			items.add(parseExpression());
		}
		return new Node.TupleExpr(items);
	}

	private Expr parseTernary(boolean allowConditional) {
		Expr value = parseOr();
		if (allowConditional && peek().isName("if")) {
			next();
			Expr condition = parseOr();
			Expr otherwise = null;
			if (peek().isName("else")) {
				next();
				otherwise = parseTernary(true);
			}
			return new Node.Conditional(condition, value, otherwise);
		}
		return value;
	}

	private Expr parseOr() {
		Expr left = parseAnd();
		while (peek().isName("or")) {
			next();
			left = new Node.Binary("or", left, parseAnd());
		}
		return left;
	}

	private Expr parseAnd() {
		Expr left = parseNot();
		while (peek().isName("and")) {
			next();
			left = new Node.Binary("and", left, parseNot());
		}
		return left;
	}

	private Expr parseNot() {
		if (peek().isName("not")) {
			next();
			return new Node.Unary("not", parseNot());
		}
		return parseCompare();
	}

	private Expr parseCompare() {
		Expr left = parseMath1();
		while (true) {
			Token t = peek();
			if (t.kind() == Token.Kind.OPERATOR && COMPARISONS.contains(t.text())) {
				next();
				left = new Node.Binary(t.text(), left, parseMath1());
			}
			else if (t.isName("in")) {
				next();
				left = new Node.Binary("in", left, parseMath1());
			}
			else if (t.isName("not") && lookahead(1).isName("in")) {
				next();
				next();
				left = new Node.Binary("not in", left, parseMath1());
			}
			else {
				return left;
			}
		}
	}

	private Expr parseMath1() {
		Expr left = parseConcat();
		while (peek().isOperator("+") || peek().isOperator("-")) {
			String op = next().text();
			left = new Node.Binary(op, left, parseConcat());
		}
		return left;
	}

	private Expr parseConcat() {
		Expr left = parseMath2();
		while (peek().isOperator("~")) {
			next();
			left = new Node.Binary("~", left, parseMath2());
		}
		return left;
	}

	private Expr parseMath2() {
		Expr left = parsePow();
		while (peek().isOperator("*") || peek().isOperator("/") || peek().isOperator("//")
				|| peek().isOperator("%")) {
			String op = next().text();
			left = new Node.Binary(op, left, parsePow());
		}
		return left;
	}

	private Expr parsePow() {
		Expr left = parseUnary();
		while (peek().isOperator("**")) {
			next();
			left = new Node.Binary("**", left, parseUnary());
		}
		return left;
	}

	private Expr parseUnary() {
		if (peek().isOperator("-") || peek().isOperator("+")) {
			String op = next().text();
			return parseFilterAndTests(new Node.Unary(op, parseUnary()));
		}
		return parseFilterAndTests(parsePostfix(parsePrimary()));
	}

	private Expr parseFilterAndTests(Expr expr) {
		while (true) {
			if (peek().isOperator("|")) {
				next();
				Token name = expect(Token.Kind.NAME, "a filter name");
				List<Expr> args = new ArrayList<>();
				Map<String, Expr> kwargs = new LinkedHashMap<>();
				if (peek().isOperator("(")) {
					next();
					parseArguments(args, kwargs);
				}
				expr = new Node.Filter(expr, name.text(), args, kwargs, name.line());
			}
			else if (peek().isName("is")) {
				next();
				boolean negated = false;
				if (peek().isName("not")) {
					next();
					negated = true;
				}
				Token name = next();
				if (name.kind() != Token.Kind.NAME && name.kind() != Token.Kind.OPERATOR) {
					throw error(name, "expected a test name");
				}
				List<Expr> args = new ArrayList<>();
				if (peek().isOperator("(")) {
					next();
					Map<String, Expr> ignored = new LinkedHashMap<>();
					parseArguments(args, ignored);
				}
				else if (startsPrimary(peek()) && !peek().isName("and") && !peek().isName("or")
						&& !peek().isName("if") && !peek().isName("else") && !peek().isName("is")
						&& !peek().isName("not") && !peek().isName("in")) {
					args.add(parsePostfix(parsePrimary()));
				}
				expr = new Node.Test(expr, name.text(), args, negated, name.line());
			}
			else {
				return expr;
			}
		}
	}

	private static boolean startsPrimary(Token t) {
		return t.kind() == Token.Kind.NAME || t.kind() == Token.Kind.STRING || t.kind() == Token.Kind.INTEGER
				|| t.kind() == Token.Kind.FLOAT;
	}

	private void parseArguments(List<Expr> args, Map<String, Expr> kwargs) {
		while (!peek().isOperator(")")) {
			if (peek().kind() == Token.Kind.NAME && lookahead(1).isOperator("=")) {
				String key = next().text();
				next();
				kwargs.put(key, parseExpression());
			}
			else {
				args.add(parseExpression());
			}
			if (peek().isOperator(",")) {
				next();
			}
			else if (!peek().isOperator(")")) {
				throw error(peek(), "expected ',' or ')' in argument list");
			}
		}
		next();
	}

	private Expr parsePostfix(Expr expr) {
		while (true) {
			Token t = peek();
			if (t.isOperator(".")) {
				next();
				Token name = next();
				if (name.kind() != Token.Kind.NAME && name.kind() != Token.Kind.INTEGER) {
					throw error(name, "expected an attribute name after '.'");
				}
				expr = new Node.Attribute(expr, name.text());
			}
			else if (t.isOperator("[")) {
				next();
				expr = parseSubscript(expr);
			}
			else if (t.isOperator("(")) {
				next();
				List<Expr> args = new ArrayList<>();
				Map<String, Expr> kwargs = new LinkedHashMap<>();
				parseArguments(args, kwargs);
				expr = new Node.Call(expr, args, kwargs, t.line());
			}
			else {
				return expr;
			}
		}
	}

	private Expr parseSubscript(Expr target) {
		Expr start = null;
		if (!peek().isOperator(":")) {
			start = parseExpression();
			if (peek().isOperator("]")) {
				next();
				return new Node.Subscript(target, start);
			}
		}
		expectOperator(":");
		Expr stop = null;
		Expr step = null;
		if (!peek().isOperator("]") && !peek().isOperator(":")) {
			stop = parseExpression();
		}
		if (peek().isOperator(":")) {
			next();
			if (!peek().isOperator("]")) {
				step = parseExpression();
			}
		}
		expectOperator("]");
		return new Node.Slice(target, start, stop, step);
	}

	private Expr parsePrimary() {
		Token t = next();
		switch (t.kind()) {
			case STRING: {
				StringBuilder sb = new StringBuilder(t.text());
				while (peek().kind() == Token.Kind.STRING) {
					sb.append(next().text());
				}
				return new Node.Literal(sb.toString());
			}
			case INTEGER:
				return new Node.Literal(Long.parseLong(t.text()));
			case FLOAT:
				return new Node.Literal(Double.parseDouble(t.text()));
			case NAME:
				switch (t.text()) {
					case "true", "True":
						return new Node.Literal(Boolean.TRUE);
					case "false", "False":
						return new Node.Literal(Boolean.FALSE);
					case "none", "None":
						return new Node.Literal(null);
					default:
						return new Node.Name(t.text(), t.line());
				}
			case OPERATOR:
				if (t.text().equals("(")) {
					if (peek().isOperator(")")) {
						next();
						return new Node.TupleExpr(List.of());
					}
					Expr first = parseExpression();
					if (peek().isOperator(")")) {
						next();
						return first;
					}
					List<Expr> items = new ArrayList<>();
					items.add(first);
					while (peek().isOperator(",")) {
						next();
						if (peek().isOperator(")")) {
							break;
						}
						items.add(parseExpression());
					}
					expectOperator(")");
					return new Node.TupleExpr(items);
				}
				if (t.text().equals("[")) {
					List<Expr> items = new ArrayList<>();
					while (!peek().isOperator("]")) {
						items.add(parseExpression());
						if (peek().isOperator(",")) {
							next();
						}
						else if (!peek().isOperator("]")) {
							throw error(peek(), "expected ',' or ']' in list");
						}
					}
					next();
					return new Node.ListExpr(items);
				}
				if (t.text().equals("{")) {
					List<Expr> keys = new ArrayList<>();
					List<Expr> values = new ArrayList<>();
					while (!peek().isOperator("}")) {
						keys.add(parseExpression());
						expectOperator(":");
						values.add(parseExpression());
						if (peek().isOperator(",")) {
							next();
						}
						else if (!peek().isOperator("}")) {
							throw error(peek(), "expected ',' or '}' in dict");
						}
					}
					next();
					return new Node.DictExpr(keys, values);
				}
				throw error(t, "unexpected '" + t.text() + "'");
			default:
				throw error(t, "unexpected " + describe(t));
		}
	}

	// Token helpers -----------------------------------------------------------------------------------------

	private Token peek() {
		return this.tokens.get(this.pos);
	}

	private Token lookahead(int n) {
		return this.tokens.get(Math.min(this.pos + n, this.tokens.size() - 1));
	}

	private Token next() {
		Token t = this.tokens.get(this.pos);
		if (t.kind() != Token.Kind.EOF) {
			this.pos++;
		}
		return t;
	}

	private Token expect(Token.Kind kind, String what) {
		Token t = next();
		if (t.kind() != kind) {
			throw error(t, "expected " + what + " but found " + describe(t));
		}
		return t;
	}

	private void expectOperator(String op) {
		Token t = next();
		if (!t.isOperator(op)) {
			throw error(t, "expected '" + op + "' but found " + describe(t));
		}
	}

	private void expectBlockEnd() {
		expect(Token.Kind.BLOCK_END, "'%}'");
	}

	private static String describe(Token t) {
		return switch (t.kind()) {
			case EOF -> "end of template";
			case BLOCK_END -> "'%}'";
			case VAR_END -> "'}}'";
			case BLOCK_BEGIN -> "'{%'";
			case VAR_BEGIN -> "'{{'";
			case TEXT -> "text";
			default -> "'" + t.text() + "'";
		};
	}

	private static TemplateException error(Token t, String message) {
		return new TemplateException("template syntax error at line " + t.line() + ": " + message);
	}

}
