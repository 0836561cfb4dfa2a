package dev.vlcache.demo.evaluation;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;

import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.compression.Allocation;
import dev.vlcache.demo.model.DemoModel;
import dev.vlcache.demo.task.TaskSample;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guards the shipped demo model: on the first {@value #SLICE} questions of the test set, the full cache and
 * VL-Cache at a 10% budget must stay within {@value #MARGIN} of the short-answer accuracy the full evaluation
 * established (read from the committed {@code evaluation/accuracy.csv}).
 */
class DemoModelAccuracyGuardTest {

	static final int SLICE = 120;

	/** Points of accuracy a 120-question slice may fall below the 600-question evaluation. */
	static final double MARGIN = 0.05;

	@Test
	void fullCacheAndVlCacheAtTenPercentKeepTheirEvaluatedAccuracy() throws Exception {
		guard(new ModelOptions("cpu", "float32"));
	}

	/** {@code weights: float16} is held to the same margin of the float32 evaluation. */
	@Test
	void float16WeightsKeepTheEvaluatedAccuracyToo() throws Exception {
		guard(new ModelOptions("cpu", "float32").withWeights("float16"));
	}

	/** {@code weights: int8} (bfloat16 activations in its products) is held to the same margin. */
	@Test
	void int8WeightsKeepTheEvaluatedAccuracyToo() throws Exception {
		guard(new ModelOptions("cpu", "float32").withWeights("int8"));
	}

	/**
	 * {@code weights: int8-dynamic} (every decoding step's one-row products quantize the activations to int8 too)
	 * is held to the same margin.
	 */
	@Test
	void int8DynamicWeightsKeepTheEvaluatedAccuracyToo() throws Exception {
		guard(new ModelOptions("cpu", "float32").withWeights("int8-dynamic"));
	}

	private static void guard(ModelOptions options) throws Exception {
		Path csv = Paths.get(System.getProperty("vlcache.root", "..")).resolve("evaluation/accuracy.csv");
		List<String> rows = Files.readAllLines(csv);
		double full = established(rows, "full", 1.0);
		double vlCache = established(rows, "vl-cache (adaptive)", 0.1);

		List<EvaluatedPolicy> policies = List.of(EvaluatedPolicy.FULL,
				new EvaluatedPolicy("vl-cache", Allocation.ADAPTIVE, 0.1));
		AccuracyTable table = new AccuracyTable(policies);
		List<TaskSample> samples = Evaluation.testSet(Evaluation.TEST_SEED, SLICE);
		try (LlavaModel model = LlavaModel.load(new DemoModel().folder(), options)) {
			AccuracyRunner runner = new AccuracyRunner(model);
			for (TaskSample s : samples) {
				table.add(runner.answer(s, policies));
			}
		}
		AccuracyTable.Totals fullNow = table.totals().get(policies.get(0));
		AccuracyTable.Totals vlNow = table.totals().get(policies.get(1));
		System.out.printf(Locale.ROOT,
				"slice of %d, weights %s: full %.3f (evaluated %.3f), vl-cache 10%% %.3f (evaluated %.3f)%n", SLICE,
				options.weights(), fullNow.shortAccuracy(), full, vlNow.shortAccuracy(), vlCache);
		assertThat(fullNow.shortAnswers()).isGreaterThan(80);
		assertThat(fullNow.shortAccuracy()).isGreaterThanOrEqualTo(full - MARGIN);
		assertThat(vlNow.shortAccuracy()).isGreaterThanOrEqualTo(vlCache - MARGIN);
		assertThat(vlNow.meanRetained()).isBetween(0.09, 0.11);
	}

	private static double established(List<String> rows, String line, double budget) {
		for (String row : rows) {
			String[] f = row.split(",");
			if (f[0].equals(line) && Math.abs(Double.parseDouble(f[3]) - budget) < 1e-9) {
				return Double.parseDouble(f[5]);
			}
		}
		throw new IllegalStateException("evaluation/accuracy.csv has no row for " + line + " at " + budget);
	}

}
