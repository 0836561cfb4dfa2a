package dev.vlcache.core.template.jinja;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.template.jinja.Node.Expr;
import dev.vlcache.core.template.jinja.Node.Stmt;

/** Renders a parsed template: statements write to the output, expressions evaluate with Python semantics. */
final class Interpreter {

	/** Unwinds a loop body on {@code break}. */
	private static final class BreakSignal extends RuntimeException {

		private static final long serialVersionUID = 1L;

		BreakSignal() {
			super(null, null, false, false);
		}

	}

	/** Unwinds a loop body on {@code continue}. */
	private static final class ContinueSignal extends RuntimeException {

		private static final long serialVersionUID = 1L;

		ContinueSignal() {
			super(null, null, false, false);
		}

	}

	private final Filters filters = new Filters(this);

	void render(List<Stmt> body, Scope scope, StringBuilder out) {
		for (Stmt stmt : body) {
			render(stmt, scope, out);
		}
	}

	private void render(Stmt stmt, Scope scope, StringBuilder out) {
		if (stmt instanceof Node.Text t) {
			out.append(t.text());
		}
		else if (stmt instanceof Node.Output o) {
			out.append(PyValues.str(eval(o.expr(), scope)));
		}
		else if (stmt instanceof Node.If i) {
			for (int k = 0; k < i.conditions().size(); k++) {
				if (PyValues.truthy(eval(i.conditions().get(k), scope))) {
					render(i.bodies().get(k), scope, out);
					return;
				}
			}
			if (i.orElse() != null) {
				render(i.orElse(), scope, out);
			}
		}
		else if (stmt instanceof Node.For f) {
			renderFor(f, scope, out);
		}
		else if (stmt instanceof Node.Set s) {
			Object value = eval(s.value(), scope);
			if (s.attribute() != null) {
				Object target = scope.lookup(s.targets().get(0));
				if (!(target instanceof Namespace ns)) {
					throw new TemplateException("cannot assign attribute '" + s.attribute() + "' on "
							+ PyValues.typeName(target) + "; only a namespace() can be changed");
				}
				ns.put(s.attribute(), value);
			}
			else {
				assign(s.targets(), value, scope);
			}
		}
		else if (stmt instanceof Node.SetBlock s) {
			StringBuilder sb = new StringBuilder();
			render(s.body(), scope, sb);
			scope.set(s.target(), sb.toString());
		}
		else if (stmt instanceof Node.Macro m) {
			scope.set(m.name(), macro(m, scope));
		}
		else if (stmt instanceof Node.FilterBlock f) {
			StringBuilder sb = new StringBuilder();
			render(f.body(), scope, sb);
			out.append(PyValues.str(this.filters.apply(f.filter(), sb.toString(), evalAll(f.args(), scope),
					Filters.kwargsMap())));
		}
		else if (stmt instanceof Node.Generation g) {
			render(g.body(), scope, out);
		}
		else if (stmt instanceof Node.Break) {
			throw new BreakSignal();
		}
		else if (stmt instanceof Node.Continue) {
			throw new ContinueSignal();
		}
	}

	private void renderFor(Node.For f, Scope scope, StringBuilder out) {
		List<@Nullable Object> items = PyValues.iterate(eval(f.iterable(), scope));
		if (f.filter() != null) {
			List<@Nullable Object> kept = new ArrayList<>();
			for (Object item : items) {
				Scope probe = new Scope(scope);
				assign(f.targets(), item, probe);
				if (PyValues.truthy(eval(f.filter(), probe))) {
					kept.add(item);
				}
			}
			items = kept;
		}
		if (items.isEmpty()) {
			if (f.orElse() != null) {
				render(f.orElse(), scope, out);
			}
			return;
		}
		int n = items.size();
		for (int i = 0; i < n; i++) {
			Scope inner = new Scope(scope);
			assign(f.targets(), items.get(i), inner);
			inner.set("loop", loopInfo(items, i));
			try {
				render(f.body(), inner, out);
			}
			catch (BreakSignal b) {
				break;
			}
			catch (ContinueSignal c) {
				// next iteration
			}
		}
	}

	private static Map<String, @Nullable Object> loopInfo(List<@Nullable Object> items, int i) {
		int n = items.size();
		Map<String, @Nullable Object> loop = new LinkedHashMap<>();
		loop.put("index", (long) i + 1);
		loop.put("index0", (long) i);
		loop.put("revindex", (long) (n - i));
		loop.put("revindex0", (long) (n - i - 1));
		loop.put("first", i == 0);
		loop.put("last", i == n - 1);
		loop.put("length", (long) n);
		loop.put("previtem", i > 0 ? items.get(i - 1) : Undefined.INSTANCE);
		loop.put("nextitem", i < n - 1 ? items.get(i + 1) : Undefined.INSTANCE);
		loop.put("cycle", (JinjaCallable) (args, kwargs) -> args.get(i % args.size()));
		return loop;
	}

	private static void assign(List<String> targets, @Nullable Object value, Scope scope) {
		if (targets.size() == 1) {
			scope.set(targets.get(0), value);
			return;
		}
		List<@Nullable Object> parts = PyValues.iterate(value);
		if (parts.size() != targets.size()) {
			throw new TemplateException(
					"cannot unpack " + parts.size() + " values into " + targets.size() + " variables " + targets);
		}
		for (int i = 0; i < targets.size(); i++) {
			scope.set(targets.get(i), parts.get(i));
		}
	}

	private JinjaCallable macro(Node.Macro m, Scope definingScope) {
		return (args, kwargs) -> {
			Scope inner = new Scope(definingScope);
			for (int i = 0; i < m.params().size(); i++) {
				String p = m.params().get(i);
				Object value;
				if (i < args.size()) {
					value = args.get(i);
				}
				else if (kwargs.containsKey(p)) {
					value = kwargs.get(p);
				}
				else if (m.defaults().get(i) != null) {
					value = eval(m.defaults().get(i), inner);
				}
				else {
					value = Undefined.INSTANCE;
				}
				inner.set(p, value);
			}
			StringBuilder sb = new StringBuilder();
			render(m.body(), inner, sb);
			return sb.toString();
		};
	}

	// Expressions ------------------------------------------------------------------------------------------

	private List<@Nullable Object> evalAll(List<Expr> exprs, Scope scope) {
		List<@Nullable Object> out = new ArrayList<>(exprs.size());
		for (Expr e : exprs) {
			out.add(eval(e, scope));
		}
		return out;
	}

	private Map<String, @Nullable Object> evalKwargs(Map<String, Expr> kwargs, Scope scope) {
		Map<String, @Nullable Object> out = new LinkedHashMap<>();
		kwargs.forEach((k, e) -> out.put(k, eval(e, scope)));
		return out;
	}

	@Nullable Object eval(Expr expr, Scope scope) {
		if (expr instanceof Node.Literal l) {
			return l.value();
		}
		if (expr instanceof Node.Name n) {
			return scope.lookup(n.name());
		}
		if (expr instanceof Node.ListExpr l) {
			return evalAll(l.items(), scope);
		}
		if (expr instanceof Node.TupleExpr t) {
			return evalAll(t.items(), scope);
		}
		if (expr instanceof Node.DictExpr d) {
			Map<Object, @Nullable Object> map = new LinkedHashMap<>();
			for (int i = 0; i < d.keys().size(); i++) {
				map.put(eval(d.keys().get(i), scope), eval(d.values().get(i), scope));
			}
			return map;
		}
		if (expr instanceof Node.Attribute a) {
			return getAttribute(eval(a.target(), scope), a.name());
		}
		if (expr instanceof Node.Subscript s) {
			return getItem(eval(s.target(), scope), eval(s.index(), scope));
		}
		if (expr instanceof Node.Slice s) {
			return slice(eval(s.target(), scope), s.start() == null ? null : eval(s.start(), scope),
					s.stop() == null ? null : eval(s.stop(), scope), s.step() == null ? null : eval(s.step(), scope));
		}
		if (expr instanceof Node.Call c) {
			Object callee = eval(c.callee(), scope);
			if (!(callee instanceof JinjaCallable fn)) {
				throw new TemplateException("line " + c.line() + ": " + describeCallee(c.callee()) + " is not callable");
			}
			return fn.call(evalAll(c.args(), scope), evalKwargs(c.kwargs(), scope));
		}
		if (expr instanceof Node.Filter f) {
			try {
				return this.filters.apply(f.name(), eval(f.target(), scope), evalAll(f.args(), scope),
						evalKwargs(f.kwargs(), scope));
			}
			catch (TemplateException ex) {
				throw new TemplateException("line " + f.line() + ": " + ex.getMessage(), ex);
			}
		}
		if (expr instanceof Node.Test t) {
			boolean result = this.filters.test(t.name(), eval(t.target(), scope), evalAll(t.args(), scope));
			return result != t.negated();
		}
		if (expr instanceof Node.Unary u) {
			Object v = eval(u.operand(), scope);
			return switch (u.op()) {
				case "not" -> !PyValues.truthy(v);
				case "-" -> v instanceof Long l ? -l : -PyValues.toDouble(v);
				default -> v;
			};
		}
		if (expr instanceof Node.Conditional c) {
			if (PyValues.truthy(eval(c.condition(), scope))) {
				return eval(c.whenTrue(), scope);
			}
			return c.whenFalse() == null ? Undefined.INSTANCE : eval(c.whenFalse(), scope);
		}
		if (expr instanceof Node.Binary b) {
			return binary(b, scope);
		}
		throw new IllegalStateException("unknown node " + expr);
	}

	private static String describeCallee(Expr callee) {
		if (callee instanceof Node.Name n) {
			return "'" + n.name() + "'";
		}
		if (callee instanceof Node.Attribute a) {
			return "'." + a.name() + "'";
		}
		return "expression";
	}

	private @Nullable Object binary(Node.Binary b, Scope scope) {
		String op = b.op();
		if (op.equals("and")) {
			Object left = eval(b.left(), scope);
			return PyValues.truthy(left) ? eval(b.right(), scope) : left;
		}
		if (op.equals("or")) {
			Object left = eval(b.left(), scope);
			return PyValues.truthy(left) ? left : eval(b.right(), scope);
		}
		Object left = eval(b.left(), scope);
		Object right = eval(b.right(), scope);
		return switch (op) {
			case "==" -> PyValues.pyEquals(left, right);
			case "!=" -> !PyValues.pyEquals(left, right);
			case "<" -> PyValues.compare(left, right) < 0;
			case ">" -> PyValues.compare(left, right) > 0;
			case "<=" -> PyValues.compare(left, right) <= 0;
			case ">=" -> PyValues.compare(left, right) >= 0;
			case "in" -> PyValues.contains(right, left);
			case "not in" -> !PyValues.contains(right, left);
			case "~" -> PyValues.str(left) + PyValues.str(right);
			default -> arithmetic(op, left, right);
		};
	}

	static @Nullable Object arithmetic(String op, @Nullable Object left, @Nullable Object right) {
		if (op.equals("+")) {
			if (left instanceof String a && right instanceof String c) {
				return a + c;
			}
			if (left instanceof List<?> a && right instanceof List<?> c) {
				List<@Nullable Object> out = new ArrayList<>(a);
				out.addAll(c);
				return out;
			}
		}
		if (op.equals("*") && left instanceof String s && right instanceof Long n) {
			return s.repeat((int) Math.max(0, n));
		}
		if (!PyValues.isNumber(left) || !PyValues.isNumber(right)) {
			throw new TemplateException("unsupported operand types for " + op + ": '" + PyValues.typeName(left)
					+ "' and '" + PyValues.typeName(right) + "'");
		}
		boolean ints = !(left instanceof Double) && !(right instanceof Double);
		if (ints) {
			long a = PyValues.toLong(left);
			long c = PyValues.toLong(right);
			switch (op) {
				case "+":
					return a + c;
				case "-":
					return a - c;
				case "*":
					return a * c;
				case "//":
					return Math.floorDiv(a, c);
				case "%":
					return Math.floorMod(a, c);
				case "**":
					if (c >= 0) {
						return (long) Math.pow(a, c);
					}
					break;
				default:
					break;
			}
		}
		double a = PyValues.toDouble(left);
		double c = PyValues.toDouble(right);
		return switch (op) {
			case "+" -> a + c;
			case "-" -> a - c;
			case "*" -> a * c;
			case "/" -> a / c;
			case "//" -> Math.floor(a / c);
			case "%" -> a - c * Math.floor(a / c);
			case "**" -> Math.pow(a, c);
			default -> throw new TemplateException("unknown operator " + op);
		};
	}

	/** {@code x.name}: a dict key, a namespace field, or a Python method of the value. */
	@Nullable Object getAttribute(@Nullable Object target, String name) {
		if (target instanceof Map<?, ?> m && m.containsKey(name)) {
			return m.get(name);
		}
		JinjaCallable method = Methods.bind(target, name);
		if (method != null) {
			return method;
		}
		return Undefined.INSTANCE;
	}

	/** {@code x[key]}: Python indexing, negative indices included. */
	@Nullable Object getItem(@Nullable Object target, @Nullable Object key) {
		if (target instanceof Map<?, ?> m) {
			if (m.containsKey(key)) {
				return m.get(key);
			}
			if (key instanceof String s) {
				return getAttribute(target, s);
			}
			return Undefined.INSTANCE;
		}
		if ((target instanceof List || target instanceof String) && PyValues.isNumber(key)) {
			List<@Nullable Object> items = target instanceof List<?> l ? new ArrayList<>(l) : PyValues.iterate(target);
			long i = PyValues.toLong(key);
			if (i < 0) {
				i += items.size();
			}
			if (i < 0 || i >= items.size()) {
				return Undefined.INSTANCE;
			}
			return items.get((int) i);
		}
		if (key instanceof String s) {
			return getAttribute(target, s);
		}
		return Undefined.INSTANCE;
	}

	private static Object slice(@Nullable Object target, @Nullable Object start, @Nullable Object stop,
			@Nullable Object step) {
		List<@Nullable Object> items = PyValues.iterate(target);
		int n = items.size();
		long st = step == null ? 1 : PyValues.toLong(step);
		if (st == 0) {
			throw new TemplateException("slice step cannot be zero");
		}
		long lo;
		long hi;
		if (st > 0) {
			lo = start == null ? 0 : clampIndex(PyValues.toLong(start), n, 0, n);
			hi = stop == null ? n : clampIndex(PyValues.toLong(stop), n, 0, n);
		}
		else {
			lo = start == null ? n - 1 : clampIndex(PyValues.toLong(start), n, -1, n - 1);
			hi = stop == null ? -1 : clampIndex(PyValues.toLong(stop), n, -1, n - 1);
		}
		List<@Nullable Object> out = new ArrayList<>();
		for (long i = lo; st > 0 ? i < hi : i > hi; i += st) {
			out.add(items.get((int) i));
		}
		if (target instanceof String) {
			StringBuilder sb = new StringBuilder();
			out.forEach(sb::append);
			return sb.toString();
		}
		return out;
	}

	private static long clampIndex(long i, int n, long min, long max) {
		if (i < 0) {
			i += n;
		}
		return Math.max(min, Math.min(max, i));
	}

	// Globals ----------------------------------------------------------------------------------------------

	static Map<String, @Nullable Object> globals() {
		Map<String, @Nullable Object> g = new LinkedHashMap<>();
		g.put("raise_exception", (JinjaCallable) (args, kwargs) -> {
			throw new TemplateException("chat template error: " + (args.isEmpty() ? "" : PyValues.str(args.get(0))));
		});
		g.put("range", (JinjaCallable) (args, kwargs) -> {
			long start = args.size() > 1 ? PyValues.toLong(args.get(0)) : 0;
			long stop = PyValues.toLong(args.get(args.size() > 1 ? 1 : 0));
			long step = args.size() > 2 ? PyValues.toLong(args.get(2)) : 1;
			List<@Nullable Object> out = new ArrayList<>();
			for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
				out.add(i);
			}
			return out;
		});
		g.put("namespace", (JinjaCallable) (args, kwargs) -> {
			Namespace ns = new Namespace();
			ns.putAll(kwargs);
			return ns;
		});
		g.put("dict", (JinjaCallable) (args, kwargs) -> new LinkedHashMap<>(kwargs));
		g.put("strftime_now", (JinjaCallable) (args, kwargs) -> strftime(PyValues.str(args.get(0))));
		return g;
	}

	/** The subset of Python's strftime used by chat templates that print today's date. */
	private static String strftime(String format) {
		LocalDateTime now = LocalDateTime.now();
		StringBuilder sb = new StringBuilder();
		for (int i = 0; i < format.length(); i++) {
			char c = format.charAt(i);
			if (c != '%' || i + 1 >= format.length()) {
				sb.append(c);
				continue;
			}
			char f = format.charAt(++i);
			sb.append(switch (f) {
				case 'd' -> DateTimeFormatter.ofPattern("dd").format(now);
				case 'm' -> DateTimeFormatter.ofPattern("MM").format(now);
				case 'Y' -> DateTimeFormatter.ofPattern("yyyy").format(now);
				case 'y' -> DateTimeFormatter.ofPattern("yy").format(now);
				case 'b' -> DateTimeFormatter.ofPattern("MMM", java.util.Locale.ENGLISH).format(now);
				case 'B' -> DateTimeFormatter.ofPattern("MMMM", java.util.Locale.ENGLISH).format(now);
				case 'H' -> DateTimeFormatter.ofPattern("HH").format(now);
				case 'M' -> DateTimeFormatter.ofPattern("mm").format(now);
				case 'S' -> DateTimeFormatter.ofPattern("ss").format(now);
				case '%' -> "%";
				default -> "%" + f;
			});
		}
		return sb.toString();
	}

}
