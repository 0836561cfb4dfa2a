package dev.vlcache.testsupport;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The {@code --name value} command lines of the project's tools (benchmarks, trainer, evaluation). Each tool
 * declares its options; an unknown or misspelt one, a stray word or an option given twice is refused with the
 * tool's usage, so that a typo never runs hours of work with a default. A flag without a value reads as
 * {@code true}; {@code --help} prints the usage.
 *
 * <pre>
 * CommandLineArguments o = CommandLineArguments.command("BenchmarkHarness", "Runs the benchmark matrix.")
 *     .option("runs", "N", "timed runs per cell (default 2)")
 *     .parseOrExit(args);
 * int runs = Integer.parseInt(o.getOrDefault("runs", "2"));
 * </pre>
 */
public final class CommandLineArguments {

	private final Spec spec;

	private final Map<String, String> values;

	private CommandLineArguments(Spec spec, Map<String, String> values) {
		this.spec = spec;
		this.values = values;
	}

	/** Starts the declaration of a tool's options. */
	public static Spec command(String name, String summary) {
		return new Spec(name, summary);
	}

	/** The value given for {@code name}, or {@code fallback} when it was not given. */
	public String getOrDefault(String name, String fallback) {
		String value = this.values.get(declared(name));
		return value != null ? value : fallback;
	}

	/** The value given for {@code name}, or null. */
	public @Nullable String get(String name) {
		return this.values.get(declared(name));
	}

	/** Whether {@code name} was given. */
	public boolean containsKey(String name) {
		return this.values.containsKey(declared(name));
	}

	private String declared(String name) {
		if (!this.spec.options.containsKey(name)) {
			// A tool asking for an option it never declared is a bug in the tool, not in its command line.
			throw new IllegalStateException(this.spec.name + " reads undeclared option --" + name);
		}
		return name;
	}

	/** A command line that does not fit the tool's options, with the tool's usage in its message. */
	public static final class UsageException extends IllegalArgumentException {

		private static final long serialVersionUID = 1L;

		UsageException(String message) {
			super(message);
		}

	}

	/** A tool's options, declared one by one. */
	public static final class Spec {

		private final String name;

		private final String summary;

		private final Map<String, String[]> options = new LinkedHashMap<>();

		private Spec(String name, String summary) {
			this.name = name;
			this.summary = summary;
		}

		/**
		 * Declares {@code --name}.
		 * @param value what the value looks like ({@code N}, {@code DIR}, {@code a,b}), or empty for a flag
		 * @param description what it does, with its default
		 */
		public Spec option(String name, String value, String description) {
			if (this.options.put(name, new String[] { value, description }) != null) {
				throw new IllegalStateException("option --" + name + " declared twice");
			}
			return this;
		}

		/** The usage text: the summary, then one line per option. */
		public String usage() {
			StringBuilder sb = new StringBuilder("Usage: ").append(this.name).append(" [options]\n")
				.append(this.summary)
				.append("\n\nOptions:\n");
			int width = this.options.entrySet()
				.stream()
				.mapToInt(e -> label(e.getKey(), e.getValue()[0]).length())
				.max()
				.orElse(0);
			for (Map.Entry<String, String[]> e : this.options.entrySet()) {
				String label = label(e.getKey(), e.getValue()[0]);
				sb.append("  ").append(label).append(" ".repeat(width - label.length() + 2)).append(e.getValue()[1])
					.append('\n');
			}
			sb.append("  --help").append(" ".repeat(Math.max(2, width - 6 + 2))).append("print this and exit\n");
			return sb.toString();
		}

		private static String label(String name, String value) {
			return value.isEmpty() ? "--" + name : "--" + name + " " + value;
		}

		/** Parses {@code args}; a command line that does not fit raises a {@link UsageException}. */
		public CommandLineArguments parse(String[] args) {
			Map<String, String> values = new LinkedHashMap<>();
			for (int i = 0; i < args.length; i++) {
				String arg = args[i];
				if (!arg.startsWith("--") || arg.length() == 2) {
					throw error("unexpected argument '" + arg + "'; options are written --name value");
				}
				String key = arg.substring(2);
				String value;
				int eq = key.indexOf('=');
				if (eq > 0) {
					value = key.substring(eq + 1);
					key = key.substring(0, eq);
				}
				else {
					value = i + 1 < args.length && !args[i + 1].startsWith("--") ? args[++i] : "true";
				}
				if (!this.options.containsKey(key)) {
					String near = nearest(key);
					throw error("unknown option --" + key + (near != null ? " (did you mean --" + near + "?)" : ""));
				}
				if (values.put(key, value) != null) {
					throw error("option --" + key + " given twice");
				}
			}
			return new CommandLineArguments(this, values);
		}

		/**
		 * Parses {@code args} for a tool's {@code main}: on {@code --help} prints the usage and exits 0; on a
		 * command line that does not fit prints why and the usage and exits 2.
		 */
		public CommandLineArguments parseOrExit(String[] args) {
			if (List.of(args).contains("--help")) {
				System.out.print(usage());
				System.exit(0);
			}
			try {
				return parse(args);
			}
			catch (UsageException ex) {
				System.err.println(ex.getMessage());
				System.exit(2);
				throw ex;
			}
		}

		private UsageException error(String problem) {
			return new UsageException(this.name + ": " + problem + "\n\n" + usage());
		}

		private @Nullable String nearest(String key) {
			String best = null;
			int bestDistance = Integer.MAX_VALUE;
			for (String option : new ArrayList<>(this.options.keySet())) {
				int d = distance(key, option);
				if (d < bestDistance) {
					best = option;
					bestDistance = d;
				}
			}
			return bestDistance <= Math.max(2, key.length() / 3) ? best : null;
		}

		/** Levenshtein distance, for the "did you mean" hint. */
		private static int distance(String a, String b) {
			int[] previous = new int[b.length() + 1];
			int[] current = new int[b.length() + 1];
			for (int j = 0; j <= b.length(); j++) {
				previous[j] = j;
			}
			for (int i = 1; i <= a.length(); i++) {
				current[0] = i;
				for (int j = 1; j <= b.length(); j++) {
					int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
					current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
				}
				int[] swap = previous;
				previous = current;
				current = swap;
			}
			return previous[b.length()];
		}

	}

}
