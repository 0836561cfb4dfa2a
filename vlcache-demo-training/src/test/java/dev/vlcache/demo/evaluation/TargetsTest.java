package dev.vlcache.demo.evaluation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TargetsTest {

	private static final double[] BUDGETS = { 0.02, 0.05, 0.1, 0.2 };

	@Test
	void aGapIsMetUpToItsLimitAndABaselineAheadAboveTenPercentDoesNotCount() {
		Map<EvaluatedPolicy, AccuracyTable.Totals> totals = totals(BUDGETS, 98, Map.of("vl-cache (adaptive)@0.1", 97,
				"vl-cache (adaptive)@0.05", 94, "h2o@0.02", 91, "vl-cache (adaptive)@0.02", 90, "snapkv@0.2", 99));
		Targets t = Targets.of(totals, BUDGETS);
		assertThat(t.questions()).isEqualTo(100);
		assertThat(t.gapMet(0)).as("1.0 point below at 10%").isTrue();
		assertThat(t.gapMet(1)).as("4.0 points below at 5%").isFalse();
		assertThat(t.baselinesAhead()).containsExactly("h2o at 2% (91.0% vs 90.0%)");
		assertThat(t.allMet()).isFalse();
		assertThat(t.markdown()).contains("- VL-Cache at 10%: 97.0%, 1.0 points below full (target <= 1): met")
			.contains("- VL-Cache at 5%: 94.0%, 4.0 points below full (target <= 3): missed")
			.contains("missed where h2o at 2% (91.0% vs 90.0%)");
	}

	@Test
	void aBudgetThatWasNotRunMissesItsTarget() {
		Targets t = Targets.of(totals(new double[] { 0.1 }, 96, Map.of("vl-cache (adaptive)@0.1", 96)),
				new double[] { 0.1 });
		assertThat(t.gapMet(0)).isTrue();
		assertThat(t.gapMet(1)).isFalse();
		assertThat(t.allMet()).isFalse();
		assertThat(t.markdown()).doesNotContain("at 5%");
	}

	@Test
	void theSeedsTableCountsTheSeedsMeetingEachTarget() {
		Map<Long, Targets> bySeed = new LinkedHashMap<>();
		bySeed.put(7L, Targets.of(
				totals(BUDGETS, 98, Map.of("vl-cache (adaptive)@0.1", 96, "vl-cache (adaptive)@0.05", 97)), BUDGETS));
		bySeed.put(99L, Targets.of(
				totals(BUDGETS, 98, Map.of("vl-cache (adaptive)@0.1", 98, "vl-cache (adaptive)@0.05", 97)), BUDGETS));
		String md = Targets.seedsMarkdown(bySeed, List.of("header"));
		assertThat(md).contains("| 7 | 100 | 98.0 | 96.0 (2.0) | 97.0 (1.0) | none |")
			.contains("| 99 | 100 | 98.0 | 98.0 (0.0) | 97.0 (1.0) | none |")
			.contains("Of 2 seeds: full cache >= 95% on 2; VL-Cache within 1 of it at 10% on 1; "
					+ "VL-Cache within 3 of it at 5% on 2; no baseline ahead on 2; all three targets on 1.");
	}

	/**
	 * Totals over 100 short questions at {@code budgets}: the full cache answers {@code full} right, each
	 * "line@budget" of {@code correct} that many, every other policy none.
	 */
	private static Map<EvaluatedPolicy, AccuracyTable.Totals> totals(double[] budgets, int full,
			Map<String, Integer> correct) {
		Map<EvaluatedPolicy, AccuracyTable.Totals> out = new LinkedHashMap<>();
		for (EvaluatedPolicy p : EvaluatedPolicy.all(budgets)) {
			int right = p.equals(EvaluatedPolicy.FULL) ? full : correct.getOrDefault(p.line() + "@" + p.budget(), 0);
			out.put(p, new AccuracyTable.Totals(100, right, 0, 0, 0, Map.of()));
		}
		return out;
	}

}
