package dev.vlcache.core.compression;

import java.util.Locale;

/** How VL-Cache shares the total budget among layers. */
public enum Allocation {

	/** In proportion to each layer's attention density (the paper's sparsity-aware allocation). */
	ADAPTIVE,
	/** The same budget in every layer. */
	UNIFORM,
	/** A mix: λ of uniform plus (1 − λ) of adaptive (beyond the paper). */
	HYBRID;

	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	/** Parses {@code adaptive}, {@code uniform} or {@code hybrid}, naming the parameter when invalid. */
	public static Allocation parse(String value) {
		for (Allocation a : values()) {
			if (a.id().equalsIgnoreCase(value.trim())) {
				return a;
			}
		}
		throw new IllegalArgumentException(
				"allocation '" + value + "' is not valid; expected one of adaptive, uniform, hybrid");
	}

}
