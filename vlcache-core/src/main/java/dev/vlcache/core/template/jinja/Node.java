package dev.vlcache.core.template.jinja;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/** The syntax tree of a template: statements render output, expressions produce values. */
sealed interface Node {

	/** A node that renders into the output. */
	sealed interface Stmt extends Node {

	}

	/** A node that evaluates to a value. */
	sealed interface Expr extends Node {

	}

	record Text(String text) implements Stmt {
	}

	record Output(Expr expr) implements Stmt {
	}

	record If(List<Expr> conditions, List<List<Stmt>> bodies, @Nullable List<Stmt> orElse) implements Stmt {
	}

	record For(List<String> targets, Expr iterable, @Nullable Expr filter, List<Stmt> body,
			@Nullable List<Stmt> orElse) implements Stmt {
	}

	/** {@code set name = value}, {@code set a, b = value} or {@code set ns.attr = value}. */
	record Set(List<String> targets, @Nullable String attribute, Expr value) implements Stmt {
	}

	record SetBlock(String target, List<Stmt> body) implements Stmt {
	}

	record Macro(String name, List<String> params, List<@Nullable Expr> defaults, List<Stmt> body) implements Stmt {
	}

	record FilterBlock(String filter, List<Expr> args, List<Stmt> body) implements Stmt {
	}

	/** Hugging Face's {@code generation} block: renders its body; the markers only matter for training masks. */
	record Generation(List<Stmt> body) implements Stmt {
	}

	record Break() implements Stmt {
	}

	record Continue() implements Stmt {
	}

	record Literal(@Nullable Object value) implements Expr {
	}

	record Name(String name, int line) implements Expr {
	}

	record ListExpr(List<Expr> items) implements Expr {
	}

	record TupleExpr(List<Expr> items) implements Expr {
	}

	record DictExpr(List<Expr> keys, List<Expr> values) implements Expr {
	}

	record Attribute(Expr target, String name) implements Expr {
	}

	record Subscript(Expr target, Expr index) implements Expr {
	}

	record Slice(Expr target, @Nullable Expr start, @Nullable Expr stop, @Nullable Expr step) implements Expr {
	}

	record Call(Expr callee, List<Expr> args, Map<String, Expr> kwargs, int line) implements Expr {
	}

	record Filter(Expr target, String name, List<Expr> args, Map<String, Expr> kwargs, int line) implements Expr {
	}

	record Test(Expr target, String name, List<Expr> args, boolean negated, int line) implements Expr {
	}

	record Unary(String op, Expr operand) implements Expr {
	}

	record Binary(String op, Expr left, Expr right) implements Expr {
	}

	record Conditional(Expr condition, Expr whenTrue, @Nullable Expr whenFalse) implements Expr {
	}

}
