package dev.vlcache.core.runtime;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code --name value} arguments of the project's command-line tools (benchmarks, trainer, evaluation); a
 * flag without a value reads as {@code true}.
 */
public final class CommandLineArguments {

	private CommandLineArguments() {
	}

	public static Map<String, String> parse(String[] args) {
		Map<String, String> out = new LinkedHashMap<>();
		for (int i = 0; i < args.length; i++) {
			if (args[i].startsWith("--")) {
				String key = args[i].substring(2);
				String value = i + 1 < args.length && !args[i + 1].startsWith("--") ? args[++i] : "true";
				out.put(key, value);
			}
		}
		return out;
	}

}
