package dev.vlcache.demo.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.vlcache.demo.evaluation.AccuracyReport.pct;

/**
 * The three targets, checked against one evaluation's short-answer accuracy: the full cache at 95% or
 * more; VL-Cache (adaptive) within 1 point of it at a 10% budget and within 3 at 5%; VL-Cache at or above every
 * baseline at every budget of 10% and below.
 *
 * @param questions short questions the accuracies are over
 * @param full full-cache accuracy
 * @param vlCacheAt VL-Cache (adaptive) accuracy at each {@link #GAPS} budget, NaN where that budget was not run
 * @param baselinesAhead each baseline ahead of VL-Cache at a budget of 10% or below, with both accuracies
 */
public record Targets(int questions, double full, double[] vlCacheAt, List<String> baselinesAhead) {

	/** Full-cache accuracy the model must reach. */
	static final double FULL = 0.95;

	/** {budget, largest allowed gap to the full cache in points}. */
	static final double[][] GAPS = { { 0.1, 1 }, { 0.05, 3 } };

	private static final String VL_CACHE = "vl-cache (adaptive)";

	public Targets {
		if (vlCacheAt.length != GAPS.length) {
			throw new IllegalArgumentException("Expected one accuracy per gap target, got " + vlCacheAt.length);
		}
		vlCacheAt = vlCacheAt.clone();
		baselinesAhead = List.copyOf(baselinesAhead);
	}

	/** The targets as {@code totals} (over {@code budgets}) meet them. */
	static Targets of(Map<EvaluatedPolicy, AccuracyTable.Totals> totals, double[] budgets) {
		double[] vlCacheAt = new double[GAPS.length];
		for (int i = 0; i < GAPS.length; i++) {
			AccuracyTable.Totals v = AccuracyReport.find(totals, VL_CACHE, GAPS[i][0]);
			vlCacheAt[i] = v == null ? Double.NaN : v.shortAccuracy();
		}
		List<String> ahead = new ArrayList<>();
		for (double b : budgets) {
			AccuracyTable.Totals v = AccuracyReport.find(totals, VL_CACHE, b);
			if (b > 0.1 + 1e-9 || v == null) {
				continue;
			}
			for (String baseline : EvaluatedPolicy.BASELINES) {
				AccuracyTable.Totals o = AccuracyReport.find(totals, baseline, b);
				if (o != null && o.shortAccuracy() > v.shortAccuracy() + 1e-9) {
					ahead.add(String.format(Locale.ROOT, "%s at %s (%s%% vs %s%%)", baseline,
							EvaluatedPolicy.percent(b), pct(o.shortAccuracy()), pct(v.shortAccuracy())));
				}
			}
		}
		AccuracyTable.Totals full = totals.get(EvaluatedPolicy.FULL);
		return new Targets(full.shortAnswers(), full.shortAccuracy(), vlCacheAt, ahead);
	}

	boolean fullMet() {
		return this.full >= FULL;
	}

	/** VL-Cache's distance below the full cache at {@code GAPS[i]}, in points. */
	double gap(int i) {
		return (this.full - this.vlCacheAt[i]) * 100;
	}

	/** Whether the gap target {@code GAPS[i]} is met; false when its budget was not run. */
	boolean gapMet(int i) {
		return !Double.isNaN(this.vlCacheAt[i]) && gap(i) <= GAPS[i][1] + 1e-9;
	}

	/** Whether all three targets are met. */
	public boolean allMet() {
		for (int i = 0; i < GAPS.length; i++) {
			if (!gapMet(i)) {
				return false;
			}
		}
		return fullMet() && this.baselinesAhead.isEmpty();
	}

	/** The report's bullet list, one line per target. */
	String markdown() {
		StringBuilder md = new StringBuilder(String.format(Locale.ROOT,
				"- Full-cache short-answer accuracy %s%% (target >= %.0f%%): %s%n", pct(this.full), FULL * 100,
				met(fullMet())));
		for (int i = 0; i < GAPS.length; i++) {
			if (Double.isNaN(this.vlCacheAt[i])) {
				continue;
			}
			md.append(String.format(Locale.ROOT,
					"- VL-Cache at %s: %s%%, %.1f points below full (target <= %.0f): %s%n",
					EvaluatedPolicy.percent(GAPS[i][0]), pct(this.vlCacheAt[i]), gap(i), GAPS[i][1], met(gapMet(i))));
		}
		md.append("- VL-Cache (adaptive) at or above every baseline at budgets of 10% and below: ")
			.append(this.baselinesAhead.isEmpty() ? "met" : "missed where " + String.join("; ", this.baselinesAhead))
			.append('\n');
		return md.toString();
	}

	/** One table row per test seed, then how many seeds meet each target. */
	static String seedsMarkdown(Map<Long, Targets> bySeed, List<String> header) {
		StringBuilder md = new StringBuilder("# Demo model: the targets on several test seeds\n\n");
		header.forEach(h -> md.append(h).append("  \n"));
		md.append("\n| test seed | short questions | full cache | VL-Cache 10% (below full) | VL-Cache 5% (below full) "
				+ "| baselines ahead at <= 10% |\n| ---: | ---: | ---: | ---: | ---: | --- |\n");
		bySeed.forEach((seed, t) -> {
			md.append(String.format(Locale.ROOT, "| %d | %d | %s |", seed, t.questions(), pct(t.full())));
			for (int i = 0; i < GAPS.length; i++) {
				md.append(Double.isNaN(t.vlCacheAt[i]) ? " - |"
						: String.format(Locale.ROOT, " %s (%.1f) |", pct(t.vlCacheAt[i]), t.gap(i)));
			}
			md.append(' ').append(t.baselinesAhead().isEmpty() ? "none" : String.join("; ", t.baselinesAhead()))
				.append(" |\n");
		});
		int n = bySeed.size();
		md.append(String.format(Locale.ROOT, "%nOf %d seeds: full cache >= %.0f%% on %d", n, FULL * 100,
				bySeed.values().stream().filter(Targets::fullMet).count()));
		for (int i = 0; i < GAPS.length; i++) {
			int k = i;
			md.append(String.format(Locale.ROOT, "; VL-Cache within %.0f of it at %s on %d", GAPS[i][1],
					EvaluatedPolicy.percent(GAPS[i][0]), bySeed.values().stream().filter(t -> t.gapMet(k)).count()));
		}
		md.append(String.format(Locale.ROOT, "; no baseline ahead on %d; all three targets on %d.%n",
				bySeed.values().stream().filter(t -> t.baselinesAhead().isEmpty()).count(),
				bySeed.values().stream().filter(Targets::allMet).count()));
		return md.toString();
	}

	private static String met(boolean met) {
		return met ? "met" : "missed";
	}

}
