package dev.vlcache.core.compression;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The registry of compression policies by name: the built-in ones and any registered by the application. */
public final class CompressionPolicies {

	private static final Map<String, CompressionPolicy> POLICIES = new ConcurrentHashMap<>();

	static {
		register(new Policies.Full());
		register(new Policies.VlCache());
		register(new Policies.StreamingLlm());
		register(new Policies.H2o());
		register(new Policies.SnapKv(false));
		register(new Policies.SnapKv(true));
	}

	private CompressionPolicies() {
	}

	public static void register(CompressionPolicy policy) {
		POLICIES.put(policy.name().toLowerCase(Locale.ROOT), policy);
	}

	/** The policy called {@code name}; an unknown name is an error listing the known ones. */
	public static CompressionPolicy get(String name) {
		CompressionPolicy policy = POLICIES.get(name.trim().toLowerCase(Locale.ROOT));
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
