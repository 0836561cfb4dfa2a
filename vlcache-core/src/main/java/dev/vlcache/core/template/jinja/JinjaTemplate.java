package dev.vlcache.core.template.jinja;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.template.jinja.Node.Stmt;

/**
 * A compiled Jinja template, rendered the way Hugging Face renders chat templates: {@code trim_blocks} and
 * {@code lstrip_blocks} on, the {@code loopcontrols} extension ({@code break}, {@code continue}), the
 * {@code generation} tag, Python string/dict methods, and the globals {@code raise_exception}, {@code range},
 * {@code namespace}, {@code dict} and {@code strftime_now}.
 *
 * <p>
 * This is a small interpreter written for chat templates rather than a general Jinja port: it has no
 * inheritance, includes, auto-escaping or sandbox because chat templates use none of them.
 */
public final class JinjaTemplate {

	private final List<Stmt> body;

	private JinjaTemplate(List<Stmt> body) {
		this.body = body;
	}

	/** Parses a template; a syntax error is reported with its line. */
	public static JinjaTemplate compile(String source) {
		List<Token> tokens = new Lexer(source, true, true).tokenize();
		return new JinjaTemplate(new Parser(tokens).parseTemplate());
	}

	/**
	 * Renders the template. Context values may be Java strings, numbers, booleans, {@code null}, lists and maps
	 * (nested); they are converted to the template's value model.
	 */
	public String render(Map<String, ?> context) {
		Scope globals = new Scope(null);
		Interpreter.globals().forEach(globals::set);
		Scope scope = new Scope(globals);
		context.forEach((k, v) -> scope.set(k, normalize(v)));
		StringBuilder out = new StringBuilder();
		new Interpreter().render(this.body, scope, out);
		return out.toString();
	}

	private static @Nullable Object normalize(@Nullable Object v) {
		if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
			return ((Number) v).longValue();
		}
		if (v instanceof Float f) {
			return f.doubleValue();
		}
		if (v instanceof List<?> l) {
			List<@Nullable Object> out = new ArrayList<>(l.size());
			l.forEach(item -> out.add(normalize(item)));
			return out;
		}
		if (v instanceof Map<?, ?> m) {
			Map<Object, @Nullable Object> out = new LinkedHashMap<>();
			m.forEach((k, val) -> out.put(k, normalize(val)));
			return out;
		}
		return v;
	}

}
