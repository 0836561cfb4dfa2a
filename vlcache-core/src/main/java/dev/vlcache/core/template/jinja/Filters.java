package dev.vlcache.core.template.jinja;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/** Jinja's built-in filters and tests, with the semantics of the Python implementation. */
final class Filters {

	private final Interpreter interpreter;

	Filters(Interpreter interpreter) {
		this.interpreter = interpreter;
	}

	@Nullable Object apply(String name, @Nullable Object v, List<@Nullable Object> args,
			Map<String, @Nullable Object> kwargs) {
		switch (name) {
			case "abs":
				return v instanceof Long l ? Math.abs(l) : Math.abs(PyValues.toDouble(v));
			case "attr":
				return this.interpreter.getAttribute(v, PyValues.str(args.get(0)));
			case "capitalize":
				return Methods.capitalize(PyValues.str(v));
			case "count":
			case "length":
				return PyValues.length(v);
			case "d":
			case "default": {
				Object fallback = args.isEmpty() ? "" : args.get(0);
				boolean boolMode = args.size() > 1 && PyValues.truthy(args.get(1))
						|| PyValues.truthy(kwargs.get("boolean"));
				if (v instanceof Undefined || (boolMode && !PyValues.truthy(v))) {
					return fallback;
				}
				return v;
			}
			case "dictsort": {
				List<@Nullable Object> items = new ArrayList<>();
				asMap(v).forEach((k, val) -> items.add(pair(k, val)));
				items.sort((a, b) -> PyValues.compare(((List<?>) a).get(0), ((List<?>) b).get(0)));
				return items;
			}
			case "e":
			case "escape":
				return PyValues.str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
					.replace("\"", "&#34;").replace("'", "&#39;");
			case "first": {
				List<@Nullable Object> items = PyValues.iterate(v);
				return items.isEmpty() ? Undefined.INSTANCE : items.get(0);
			}
			case "last": {
				List<@Nullable Object> items = PyValues.iterate(v);
				return items.isEmpty() ? Undefined.INSTANCE : items.get(items.size() - 1);
			}
			case "float":
				try {
					return v instanceof String s ? Double.parseDouble(s.strip()) : PyValues.toDouble(v);
				}
				catch (RuntimeException ex) {
					return args.isEmpty() ? 0.0 : args.get(0);
				}
			case "int":
				try {
					return v instanceof String s ? (long) Double.parseDouble(s.strip()) : PyValues.toLong(v);
				}
				catch (RuntimeException ex) {
					return args.isEmpty() ? 0L : args.get(0);
				}
			case "indent":
				return indent(PyValues.str(v), args, kwargs);
			case "items": {
				List<@Nullable Object> items = new ArrayList<>();
				asMap(v).forEach((k, val) -> items.add(pair(k, val)));
				return items;
			}
			case "join": {
				String sep = args.isEmpty() ? PyValues.str(kwargs.getOrDefault("d", "")) : PyValues.str(args.get(0));
				Object attribute = kwargs.get("attribute");
				StringBuilder sb = new StringBuilder();
				List<@Nullable Object> items = PyValues.iterate(v);
				for (int i = 0; i < items.size(); i++) {
					Object item = attribute == null ? items.get(i)
							: this.interpreter.getAttribute(items.get(i), PyValues.str(attribute));
					sb.append(i > 0 ? sep : "").append(PyValues.str(item));
				}
				return sb.toString();
			}
			case "list":
				return PyValues.iterate(v);
			case "lower":
				return PyValues.str(v).toLowerCase(Locale.ROOT);
			case "upper":
				return PyValues.str(v).toUpperCase(Locale.ROOT);
			case "map":
				return map(v, args, kwargs);
			case "max":
			case "min": {
				List<@Nullable Object> items = PyValues.iterate(v);
				if (items.isEmpty()) {
					return Undefined.INSTANCE;
				}
				Comparator<@Nullable Object> cmp = PyValues::compare;
				return name.equals("max") ? items.stream().max(cmp).orElseThrow()
						: items.stream().min(cmp).orElseThrow();
			}
			case "replace":
				return PyValues.str(v).replace(PyValues.str(args.get(0)), PyValues.str(args.get(1)));
			case "reverse": {
				if (v instanceof String s) {
					return new StringBuilder(s).reverse().toString();
				}
				List<@Nullable Object> items = PyValues.iterate(v);
				java.util.Collections.reverse(items);
				return items;
			}
			case "round": {
				long precision = args.isEmpty() ? 0 : PyValues.toLong(args.get(0));
				double scale = Math.pow(10, precision);
				return Math.round(PyValues.toDouble(v) * scale) / scale;
			}
			case "safe":
				return v;
			case "select":
			case "reject":
				return select(v, args, name.equals("select"), null);
			case "selectattr":
			case "rejectattr":
				return select(v, args.subList(1, args.size()), name.equals("selectattr"), PyValues.str(args.get(0)));
			case "sort": {
				List<@Nullable Object> items = PyValues.iterate(v);
				Object attribute = kwargs.get("attribute");
				Comparator<@Nullable Object> cmp = attribute == null ? PyValues::compare
						: (a, b) -> PyValues.compare(this.interpreter.getAttribute(a, PyValues.str(attribute)),
								this.interpreter.getAttribute(b, PyValues.str(attribute)));
				items.sort(PyValues.truthy(kwargs.get("reverse")) || (!args.isEmpty() && PyValues.truthy(args.get(0)))
						? cmp.reversed() : cmp);
				return items;
			}
			case "string":
				return PyValues.str(v);
			case "sum": {
				Object total = 0L;
				for (Object item : PyValues.iterate(v)) {
					total = Interpreter.arithmetic("+", total, item);
				}
				return total;
			}
			case "title":
				return Methods.title(PyValues.str(v));
			case "tojson": {
				Object indent = args.isEmpty() ? kwargs.get("indent") : args.get(0);
				return PyValues.toJson(v, indent == null ? null : (int) PyValues.toLong(indent), 0);
			}
			case "trim":
				return Methods.strip(PyValues.str(v), args.isEmpty() ? null : PyValues.str(args.get(0)), true, true);
			case "unique": {
				List<@Nullable Object> out = new ArrayList<>();
				for (Object item : PyValues.iterate(v)) {
					if (!PyValues.contains(out, item)) {
						out.add(item);
					}
				}
				return out;
			}
			case "wordcount":
				return (long) PyValues.str(v).strip().split("\\s+").length;
			default:
				throw new TemplateException("unknown filter '" + name + "'");
		}
	}

	boolean test(String name, @Nullable Object v, List<@Nullable Object> args) {
		switch (name) {
			case "defined":
				return !(v instanceof Undefined);
			case "undefined":
				return v instanceof Undefined;
			case "none":
				return v == null;
			case "boolean":
				return v instanceof Boolean;
			case "true":
				return Boolean.TRUE.equals(v);
			case "false":
				return Boolean.FALSE.equals(v);
			case "string":
				return v instanceof String;
			case "number":
				return v instanceof Long || v instanceof Double;
			case "integer":
				return v instanceof Long;
			case "float":
				return v instanceof Double;
			case "mapping":
				return v instanceof Map;
			case "sequence":
			case "iterable":
				return v instanceof List || v instanceof String || v instanceof Map;
			case "callable":
				return v instanceof JinjaCallable;
			case "even":
				return PyValues.toLong(v) % 2 == 0;
			case "odd":
				return PyValues.toLong(v) % 2 != 0;
			case "divisibleby":
				return PyValues.toLong(v) % PyValues.toLong(args.get(0)) == 0;
			case "eq":
			case "equalto":
			case "==":
				return PyValues.pyEquals(v, args.get(0));
			case "ne":
			case "!=":
				return !PyValues.pyEquals(v, args.get(0));
			case "sameas":
				return v == args.get(0) || PyValues.pyEquals(v, args.get(0)) && (v == null || v instanceof Boolean);
			case "gt":
			case ">":
				return PyValues.compare(v, args.get(0)) > 0;
			case "ge":
			case ">=":
				return PyValues.compare(v, args.get(0)) >= 0;
			case "lt":
			case "<":
				return PyValues.compare(v, args.get(0)) < 0;
			case "le":
			case "<=":
				return PyValues.compare(v, args.get(0)) <= 0;
			case "in":
				return PyValues.contains(args.get(0), v);
			case "lower":
				return PyValues.str(v).equals(PyValues.str(v).toLowerCase(Locale.ROOT));
			case "upper":
				return PyValues.str(v).equals(PyValues.str(v).toUpperCase(Locale.ROOT));
			default:
				throw new TemplateException("unknown test '" + name + "'");
		}
	}

	private List<@Nullable Object> select(@Nullable Object v, List<@Nullable Object> args, boolean keep,
			@Nullable String attribute) {
		List<@Nullable Object> out = new ArrayList<>();
		for (Object item : PyValues.iterate(v)) {
			Object subject = attribute == null ? item : this.interpreter.getAttribute(item, attribute);
			boolean passed = args.isEmpty() ? PyValues.truthy(subject)
					: test(PyValues.str(args.get(0)), subject, args.subList(1, args.size()));
			if (passed == keep) {
				out.add(item);
			}
		}
		return out;
	}

	private List<@Nullable Object> map(@Nullable Object v, List<@Nullable Object> args,
			Map<String, @Nullable Object> kwargs) {
		List<@Nullable Object> out = new ArrayList<>();
		Object attribute = kwargs.get("attribute");
		for (Object item : PyValues.iterate(v)) {
			if (attribute != null) {
				Object value = this.interpreter.getAttribute(item, PyValues.str(attribute));
				out.add(value instanceof Undefined && kwargs.containsKey("default") ? kwargs.get("default") : value);
			}
			else {
				out.add(apply(PyValues.str(args.get(0)), item, args.subList(1, args.size()), Map.of()));
			}
		}
		return out;
	}

	private static String indent(String s, List<@Nullable Object> args, Map<String, @Nullable Object> kwargs) {
		Object width = args.isEmpty() ? kwargs.getOrDefault("width", 4L) : args.get(0);
		String pad = width instanceof String w ? w : " ".repeat((int) PyValues.toLong(width));
		boolean first = PyValues.truthy(args.size() > 1 ? args.get(1) : kwargs.get("first"));
		boolean blank = PyValues.truthy(args.size() > 2 ? args.get(2) : kwargs.get("blank"));
		String[] lines = s.split("\n", -1);
		StringBuilder sb = new StringBuilder();
		for (int i = 0; i < lines.length; i++) {
			if (i > 0) {
				sb.append('\n');
			}
			boolean indentThis = (i > 0 || first) && (blank || !lines[i].isBlank());
			sb.append(indentThis ? pad : "").append(lines[i]);
		}
		return sb.toString();
	}

	private static Map<?, ?> asMap(@Nullable Object v) {
		if (v instanceof Map<?, ?> m) {
			return m;
		}
		throw new TemplateException("expected a dict but got " + PyValues.typeName(v));
	}

	private static List<@Nullable Object> pair(@Nullable Object a, @Nullable Object b) {
		List<@Nullable Object> p = new ArrayList<>(2);
		p.add(a);
		p.add(b);
		return p;
	}

	static Map<String, @Nullable Object> kwargsMap() {
		return new LinkedHashMap<>();
	}

}
