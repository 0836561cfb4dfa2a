package dev.vlcache.core.template.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The Python methods that chat templates call on strings, dicts and lists ({@code message['role'].upper()},
 * {@code content.strip()}, {@code message.get('tool_calls')}, {@code tools.items()}...). Jinja passes these
 * straight to Python; a Java engine has to provide them.
 */
final class Methods {

	private Methods() {
	}

	static @Nullable JinjaCallable bind(@Nullable Object target, String name) {
		if (target instanceof String s) {
			return stringMethod(s, name);
		}
		if (target instanceof Map<?, ?> m) {
			return dictMethod(m, name);
		}
		if (target instanceof List<?> l) {
			return listMethod(l, name);
		}
		return null;
	}

	private static @Nullable JinjaCallable stringMethod(String s, String name) {
		return switch (name) {
			case "upper" -> (a, k) -> s.toUpperCase(Locale.ROOT);
			case "lower" -> (a, k) -> s.toLowerCase(Locale.ROOT);
			case "strip" -> (a, k) -> strip(s, charsArg(a), true, true);
			case "lstrip" -> (a, k) -> strip(s, charsArg(a), true, false);
			case "rstrip" -> (a, k) -> strip(s, charsArg(a), false, true);
			case "title" -> (a, k) -> title(s);
			case "capitalize" -> (a, k) -> capitalize(s);
			case "startswith" -> (a, k) -> matchesAffix(s, a.get(0), true);
			case "endswith" -> (a, k) -> matchesAffix(s, a.get(0), false);
			case "split" -> (a, k) -> split(s, a.isEmpty() ? k.get("sep") : a.get(0),
					a.size() > 1 ? PyValues.toLong(a.get(1)) : -1);
			case "splitlines" -> (a, k) -> splitLines(s);
			case "replace" -> (a, k) -> replace(s, PyValues.str(a.get(0)), PyValues.str(a.get(1)),
					a.size() > 2 ? PyValues.toLong(a.get(2)) : -1);
			case "find" -> (a, k) -> (long) s.indexOf(PyValues.str(a.get(0)));
			case "count" -> (a, k) -> (long) countOccurrences(s, PyValues.str(a.get(0)));
			case "join" -> (a, k) -> {
				StringBuilder sb = new StringBuilder();
				List<@Nullable Object> items = PyValues.iterate(a.get(0));
				for (int i = 0; i < items.size(); i++) {
					sb.append(i > 0 ? s : "").append(PyValues.str(items.get(i)));
				}
				return sb.toString();
			};
			case "isdigit" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
			case "isalpha" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
			case "isspace" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
			case "isupper" -> (a, k) -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(Locale.ROOT));
			case "islower" -> (a, k) -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(Locale.ROOT));
			case "removeprefix" -> (a, k) -> s.startsWith(PyValues.str(a.get(0)))
					? s.substring(PyValues.str(a.get(0)).length()) : s;
			case "removesuffix" -> (a, k) -> s.endsWith(PyValues.str(a.get(0)))
					? s.substring(0, s.length() - PyValues.str(a.get(0)).length()) : s;
			case "format" -> (a, k) -> format(s, a, k);
			default -> null;
		};
	}

	private static @Nullable JinjaCallable dictMethod(Map<?, ?> m, String name) {
		return switch (name) {
			case "items" -> (a, k) -> {
				List<Object> out = new ArrayList<>();
				m.forEach((key, value) -> {
					List<@Nullable Object> pair = new ArrayList<>();
					pair.add(key);
					pair.add(value);
					out.add(pair);
				});
				return out;
			};
			case "keys" -> (a, k) -> new ArrayList<Object>(m.keySet());
			case "values" -> (a, k) -> new ArrayList<Object>(m.values());
			case "get" -> (a, k) -> {
				Object key = a.get(0);
				if (m.containsKey(key)) {
					return m.get(key);
				}
				return a.size() > 1 ? a.get(1) : null;
			};
			default -> null;
		};
	}

	private static @Nullable JinjaCallable listMethod(List<?> l, String name) {
		return switch (name) {
			case "index" -> (a, k) -> {
				for (int i = 0; i < l.size(); i++) {
					if (PyValues.pyEquals(l.get(i), a.get(0))) {
						return (long) i;
					}
				}
				throw new TemplateException(PyValues.repr(a.get(0)) + " is not in list");
			};
			case "count" -> (a, k) -> l.stream().filter(o -> PyValues.pyEquals(o, a.get(0))).count();
			default -> null;
		};
	}

	private static @Nullable String charsArg(List<@Nullable Object> args) {
		return args.isEmpty() || args.get(0) == null ? null : PyValues.str(args.get(0));
	}

	static String strip(String s, @Nullable String chars, boolean left, boolean right) {
		int start = 0;
		int end = s.length();
		while (left && start < end && stripped(s.charAt(start), chars)) {
			start++;
		}
		while (right && end > start && stripped(s.charAt(end - 1), chars)) {
			end--;
		}
		return s.substring(start, end);
	}

	private static boolean stripped(char c, @Nullable String chars) {
		return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
	}

	static String title(String s) {
		StringBuilder sb = new StringBuilder(s.length());
		boolean prevCased = false;
		for (char c : s.toCharArray()) {
			sb.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
			prevCased = Character.isLetter(c);
		}
		return sb.toString();
	}

	static String capitalize(String s) {
		return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1).toLowerCase(Locale.ROOT);
	}

	private static boolean matchesAffix(String s, @Nullable Object affix, boolean prefix) {
		if (affix instanceof List<?> options) {
			for (Object o : options) {
				if (matchesAffix(s, o, prefix)) {
					return true;
				}
			}
			return false;
		}
		String a = PyValues.str(affix);
		return prefix ? s.startsWith(a) : s.endsWith(a);
	}

	private static List<Object> split(String s, @Nullable Object sep, long maxSplit) {
		List<Object> out = new ArrayList<>();
		if (sep == null || sep instanceof Undefined) {
			String rest = s.strip();
			while (!rest.isEmpty()) {
				if (maxSplit >= 0 && out.size() == maxSplit) {
					out.add(rest);
					return out;
				}
				int i = 0;
				while (i < rest.length() && !Character.isWhitespace(rest.charAt(i))) {
					i++;
				}
				out.add(rest.substring(0, i));
				rest = rest.substring(i).stripLeading();
			}
			return out;
		}
		String separator = PyValues.str(sep);
		if (separator.isEmpty()) {
			throw new TemplateException("empty separator");
		}
		int from = 0;
		while (true) {
			int idx = s.indexOf(separator, from);
			if (idx < 0 || (maxSplit >= 0 && out.size() == maxSplit)) {
				out.add(s.substring(from));
				return out;
			}
			out.add(s.substring(from, idx));
			from = idx + separator.length();
		}
	}

	private static List<Object> splitLines(String s) {
		List<Object> out = new ArrayList<>(List.of(s.split("\\r?\\n", -1)));
		if (s.isEmpty() || s.endsWith("\n")) {
			out.remove(out.size() - 1);
		}
		return out;
	}

	private static String replace(String s, String from, String to, long count) {
		if (count < 0) {
			return s.replace(from, to);
		}
		StringBuilder sb = new StringBuilder();
		int start = 0;
		for (long n = 0; n < count; n++) {
			int idx = s.indexOf(from, start);
			if (idx < 0) {
				break;
			}
			sb.append(s, start, idx).append(to);
			start = idx + from.length();
		}
		return sb.append(s.substring(start)).toString();
	}

	private static int countOccurrences(String s, String sub) {
		if (sub.isEmpty()) {
			return s.length() + 1;
		}
		int n = 0;
		for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
			n++;
		}
		return n;
	}

	/** {@code str.format} with {@code {}}, {@code {0}} and {@code {name}} fields (no format specs). */
	private static String format(String s, List<@Nullable Object> args, Map<String, @Nullable Object> kwargs) {
		StringBuilder sb = new StringBuilder();
		int auto = 0;
		for (int i = 0; i < s.length(); i++) {
			char c = s.charAt(i);
			if (c == '{' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
				sb.append('{');
				i++;
			}
			else if (c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') {
				sb.append('}');
				i++;
			}
			else if (c == '{') {
				int end = s.indexOf('}', i);
				String field = s.substring(i + 1, end);
				Object value;
				if (field.isEmpty()) {
					value = args.get(auto++);
				}
				else if (field.chars().allMatch(Character::isDigit)) {
					value = args.get(Integer.parseInt(field));
				}
				else {
					value = kwargs.get(field);
				}
				sb.append(PyValues.str(value));
				i = end;
			}
			else {
				sb.append(c);
			}
		}
		return sb.toString();
	}

}
