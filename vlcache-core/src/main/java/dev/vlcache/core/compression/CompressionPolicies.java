package dev.vlcache.core.compression;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The registry of compression policies by name: the built-in ones and any registered by the application. */
public final class CompressionPolicies {

	private static final Map<String, CompressionPolicy> POLICIES = new ConcurrentHashMap<>();

	private static final Set<String> BUILT_IN;

	static {
		for (CompressionPolicy p : List.of(new Policies.Full(), new Policies.VlCache(), new Policies.StreamingLlm(),
				new Policies.H2o(), new Policies.SnapKv(false), new Policies.SnapKv(true))) {
			POLICIES.put(key(p.name()), p);
		}
		BUILT_IN = Set.copyOf(POLICIES.keySet());
	}

	private CompressionPolicies() {
	}

	/**
	 * Makes {@code policy} available by its name (case-insensitive). A later registration of the same name replaces
	 * an earlier one (an application context started again registers its beans again); a built-in policy cannot be
	 * replaced, so that "vl-cache" always means the algorithm of docs/compression.md.
	 */
	public static void register(CompressionPolicy policy) {
		String name = key(policy.name());
		if (name.isEmpty()) {
			throw new IllegalArgumentException("policy " + policy.getClass().getName() + " has an empty name");
		}
		if (BUILT_IN.contains(name)) {
			throw new IllegalArgumentException("policy name '" + policy.name() + "' (" + policy.getClass().getName()
					+ ") is taken by a built-in policy; built in: " + BUILT_IN.stream().sorted().toList());
		}
		POLICIES.put(name, policy);
	}

	private static String key(String name) {
		return name.trim().toLowerCase(Locale.ROOT);
	}

	/** The policy called {@code name}; an unknown name is an error listing the known ones. */
	public static CompressionPolicy get(String name) {
		CompressionPolicy policy = POLICIES.get(key(name));
		if (policy == null) {
			throw new IllegalArgumentException("policy '" + name + "' is not valid; expected one of " + names());
		}
		return policy;
	}

	public static List<String> names() {
		List<String> names = new ArrayList<>(POLICIES.keySet());
		names.sort(null);
		return names;
	}

}
