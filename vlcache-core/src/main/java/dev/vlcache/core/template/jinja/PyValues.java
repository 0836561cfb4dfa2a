package dev.vlcache.core.template.jinja;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * Python value semantics for template values. Templates are written against Python objects, so truthiness,
 * {@code str()}, equality, ordering and JSON output follow Python, not Java. Values are {@code null} (None),
 * {@link Boolean}, {@link Long}, {@link Double}, {@link String}, {@link List}, {@link Map} and {@link Undefined}.
 */
final class PyValues {

	private PyValues() {
	}

	static boolean truthy(@Nullable Object v) {
		if (v == null || v instanceof Undefined) {
			return false;
		}
		if (v instanceof Boolean b) {
			return b;
		}
		if (v instanceof Long l) {
			return l != 0;
		}
		if (v instanceof Double d) {
			return d != 0.0;
		}
		if (v instanceof String s) {
			return !s.isEmpty();
		}
		if (v instanceof List<?> l) {
			return !l.isEmpty();
		}
		if (v instanceof Map<?, ?> m) {
			return !m.isEmpty();
		}
		return true;
	}

	/** Python's {@code str()}. */
	static String str(@Nullable Object v) {
		if (v instanceof String s) {
			return s;
		}
		if (v instanceof Undefined) {
			return "";
		}
		return repr(v);
	}

	/** Python's {@code repr()}, used when lists and dicts are printed. */
	static String repr(@Nullable Object v) {
		if (v == null) {
			return "None";
		}
		if (v instanceof Boolean b) {
			return b ? "True" : "False";
		}
		if (v instanceof Double d) {
			return formatFloat(d);
		}
		if (v instanceof String s) {
			return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'";
		}
		if (v instanceof List<?> l) {
			StringBuilder sb = new StringBuilder("[");
			for (int i = 0; i < l.size(); i++) {
				sb.append(i > 0 ? ", " : "").append(repr(l.get(i)));
			}
			return sb.append(']').toString();
		}
		if (v instanceof Map<?, ?> m) {
			StringBuilder sb = new StringBuilder("{");
			boolean first = true;
			for (Map.Entry<?, ?> e : m.entrySet()) {
				sb.append(first ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
				first = false;
			}
			return sb.append('}').toString();
		}
		if (v instanceof Undefined) {
			return "Undefined";
		}
		return v.toString();
	}

	static String formatFloat(double d) {
		if (Double.isNaN(d)) {
			return "nan";
		}
		if (Double.isInfinite(d)) {
			return d > 0 ? "inf" : "-inf";
		}
		if (d == Math.rint(d) && Math.abs(d) < 1e16) {
			return BigDecimal.valueOf(d).setScale(1).toPlainString();
		}
		return Double.toString(d);
	}

	static boolean isNumber(@Nullable Object v) {
		return v instanceof Long || v instanceof Double || v instanceof Boolean;
	}

	static double toDouble(@Nullable Object v) {
		if (v instanceof Long l) {
			return l;
		}
		if (v instanceof Double d) {
			return d;
		}
		if (v instanceof Boolean b) {
			return b ? 1 : 0;
		}
		throw new TemplateException("expected a number but got " + typeName(v));
	}

	static long toLong(@Nullable Object v) {
		if (v instanceof Long l) {
			return l;
		}
		if (v instanceof Double d) {
			return d.longValue();
		}
		if (v instanceof Boolean b) {
			return b ? 1 : 0;
		}
		throw new TemplateException("expected an integer but got " + typeName(v));
	}

	static boolean pyEquals(@Nullable Object a, @Nullable Object b) {
		if (a instanceof Undefined || b instanceof Undefined) {
			return a == b;
		}
		if (isNumber(a) && isNumber(b)) {
			return toDouble(a) == toDouble(b);
		}
		if (a instanceof List<?> la && b instanceof List<?> lb) {
			if (la.size() != lb.size()) {
				return false;
			}
			for (int i = 0; i < la.size(); i++) {
				if (!pyEquals(la.get(i), lb.get(i))) {
					return false;
				}
			}
			return true;
		}
		return Objects.equals(a, b);
	}

	static int compare(@Nullable Object a, @Nullable Object b) {
		if (isNumber(a) && isNumber(b)) {
			return Double.compare(toDouble(a), toDouble(b));
		}
		if (a instanceof String sa && b instanceof String sb) {
			return sa.compareTo(sb);
		}
		if (a instanceof List<?> la && b instanceof List<?> lb) {
			for (int i = 0; i < Math.min(la.size(), lb.size()); i++) {
				int c = compare(la.get(i), lb.get(i));
				if (c != 0) {
					return c;
				}
			}
			return Integer.compare(la.size(), lb.size());
		}
		throw new TemplateException("cannot compare " + typeName(a) + " with " + typeName(b));
	}

	static String typeName(@Nullable Object v) {
		if (v == null) {
			return "None";
		}
		if (v instanceof Undefined) {
			return "undefined";
		}
		if (v instanceof String) {
			return "str";
		}
		if (v instanceof Long) {
			return "int";
		}
		if (v instanceof Double) {
			return "float";
		}
		if (v instanceof Boolean) {
			return "bool";
		}
		if (v instanceof List) {
			return "list";
		}
		if (v instanceof Map) {
			return "dict";
		}
		return v.getClass().getSimpleName();
	}

	/** Iterates like Python: a dict yields its keys, a string its characters. */
	static List<@Nullable Object> iterate(@Nullable Object v) {
		if (v instanceof List<?> l) {
			return new ArrayList<>(l);
		}
		if (v instanceof Map<?, ?> m) {
			return new ArrayList<>(m.keySet());
		}
		if (v instanceof String s) {
			List<@Nullable Object> out = new ArrayList<>();
			s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
			return out;
		}
		if (v == null || v instanceof Undefined) {
			return new ArrayList<>();
		}
		if (v instanceof Iterable<?> it) {
			List<@Nullable Object> out = new ArrayList<>();
			for (Iterator<?> i = it.iterator(); i.hasNext();) {
				out.add(i.next());
			}
			return out;
		}
		throw new TemplateException("'" + typeName(v) + "' object is not iterable");
	}

	static long length(@Nullable Object v) {
		if (v instanceof String s) {
			return s.codePointCount(0, s.length());
		}
		if (v instanceof List<?> l) {
			return l.size();
		}
		if (v instanceof Map<?, ?> m) {
			return m.size();
		}
		if (v instanceof Undefined) {
			return 0;
		}
		throw new TemplateException("object of type '" + typeName(v) + "' has no len()");
	}

	static boolean contains(@Nullable Object container, @Nullable Object item) {
		if (container instanceof String s) {
			return item instanceof String sub && s.contains(sub);
		}
		if (container instanceof Map<?, ?> m) {
			return m.containsKey(item);
		}
		if (container instanceof List<?> l) {
			for (Object o : l) {
				if (pyEquals(o, item)) {
					return true;
				}
			}
			return false;
		}
		if (container instanceof Undefined || container == null) {
			return false;
		}
		throw new TemplateException("argument of type '" + typeName(container) + "' is not iterable");
	}

	/** Python's {@code json.dumps} as Hugging Face's {@code tojson} calls it: no ASCII escaping. */
	static String toJson(@Nullable Object v, @Nullable Integer indent, int depth) {
		if (v == null || v instanceof Undefined) {
			return "null";
		}
		if (v instanceof Boolean b) {
			return b ? "true" : "false";
		}
		if (v instanceof Long || v instanceof Integer) {
			return v.toString();
		}
		if (v instanceof Double d) {
			return Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : formatFloat(d);
		}
		if (v instanceof String s) {
			return jsonString(s);
		}
		String newline = indent == null ? "" : "\n" + " ".repeat(indent * (depth + 1));
		String closing = indent == null ? "" : "\n" + " ".repeat(indent * depth);
		String itemSeparator = indent == null ? ", " : ",";
		if (v instanceof List<?> l) {
			if (l.isEmpty()) {
				return "[]";
			}
			StringBuilder sb = new StringBuilder("[");
			for (int i = 0; i < l.size(); i++) {
				sb.append(i > 0 ? itemSeparator : "").append(newline).append(toJson(l.get(i), indent, depth + 1));
			}
			return sb.append(closing).append(']').toString();
		}
		if (v instanceof Map<?, ?> m) {
			if (m.isEmpty()) {
				return "{}";
			}
			StringBuilder sb = new StringBuilder("{");
			boolean first = true;
			for (Map.Entry<?, ?> e : m.entrySet()) {
				sb.append(first ? "" : itemSeparator).append(newline).append(jsonString(str(e.getKey()))).append(": ")
					.append(toJson(e.getValue(), indent, depth + 1));
				first = false;
			}
			return sb.append(closing).append('}').toString();
		}
		return jsonString(v.toString());
	}

	private static String jsonString(String s) {
		StringBuilder sb = new StringBuilder("\"");
		for (int i = 0; i < s.length(); i++) {
			char c = s.charAt(i);
			switch (c) {
				case '"' -> sb.append("\\\"");
				case '\\' -> sb.append("\\\\");
				case '\n' -> sb.append("\\n");
				case '\r' -> sb.append("\\r");
				case '\t' -> sb.append("\\t");
				case '\b' -> sb.append("\\b");
				case '\f' -> sb.append("\\f");
				default -> {
					if (c < 0x20) {
						sb.append(String.format("\\u%04x", (int) c));
					}
					else {
						sb.append(c);
					}
				}
			}
		}
		return sb.append('"').toString();
	}

}
