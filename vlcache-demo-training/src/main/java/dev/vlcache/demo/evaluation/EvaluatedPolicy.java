package dev.vlcache.demo.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.vlcache.core.compression.Allocation;
import dev.vlcache.core.compression.CompressionOptions;

/**
 * One line of the accuracy plot: a compression policy (and, for VL-Cache, a budget allocation) at one budget.
 *
 * @param policy policy name as configured, e.g. {@code vl-cache}
 * @param allocation VL-Cache's allocation, {@code null} for other policies
 * @param budget budget ratio; 1 for the full cache
 */
public record EvaluatedPolicy(String policy, @org.jspecify.annotations.Nullable Allocation allocation, double budget) {

	/** The full cache: the reference every policy is compared with. */
	public static final EvaluatedPolicy FULL = new EvaluatedPolicy("full", null, 1.0);

	/** The baselines of docs/compression.md, in report order. */
	static final List<String> BASELINES = List.of("h2o", "snapkv", "pyramidkv", "streaming-llm");

	/** The budgets of the evaluation. */
	public static final double[] BUDGETS = { 0.01, 0.02, 0.05, 0.1, 0.2, 0.4 };

	/** Full cache, then VL-Cache with each allocation and every baseline, at every budget. */
	public static List<EvaluatedPolicy> all(double[] budgets) {
		List<EvaluatedPolicy> out = new ArrayList<>();
		out.add(FULL);
		for (String line : lines()) {
			for (double b : budgets) {
				out.add(of(line, b));
			}
		}
		return out;
	}

	/** Line names: {@code vl-cache (adaptive)}, ..., then the baselines. */
	public static List<String> lines() {
		List<String> out = new ArrayList<>();
		for (Allocation a : Allocation.values()) {
			out.add("vl-cache (" + a.id() + ")");
		}
		out.addAll(BASELINES);
		return out;
	}

	/** The policy of a line at a budget. */
	public static EvaluatedPolicy of(String line, double budget) {
		if (line.startsWith("vl-cache (")) {
			return new EvaluatedPolicy("vl-cache", Allocation.parse(line.substring(10, line.length() - 1)), budget);
		}
		return new EvaluatedPolicy(line, null, budget);
	}

	/** The line this belongs to. */
	public String line() {
		return this.allocation == null ? this.policy : this.policy + " (" + this.allocation.id() + ")";
	}

	public String label() {
		return this.policy.equals("full") ? "full" : String.format(Locale.ROOT, "%s @ %s", line(), percent(this.budget));
	}

	static String percent(double budget) {
		double p = budget * 100;
		return (p == Math.rint(p) ? String.valueOf((long) p) : String.valueOf(p)) + "%";
	}

	/** The compression options this runs with. */
	public CompressionOptions options() {
		if (this.policy.equals("full")) {
			return CompressionOptions.FULL;
		}
		CompressionOptions.Builder b = CompressionOptions.builder().policy(this.policy).budgetRatio(this.budget);
		if (this.allocation != null) {
			b.allocation(this.allocation);
		}
		return b.build();
	}

}
