package dev.vlcache.demo.evaluation;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.vlcache.core.runtime.CommandLineArguments;
import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.demo.model.DemoModel;
import dev.vlcache.demo.task.QuestionKind;
import dev.vlcache.demo.task.TaskGenerator;
import dev.vlcache.demo.task.TaskSample;

/**
 * Accuracy against KV-cache budget for every compression policy on the demo task's test set.
 *
 * <pre>
 * mvn -q install -DskipTests
 * mvn -q -pl vlcache-demo-training exec:java -Dexec.args="--seed 2026 --questions 600"
 * </pre>
 *
 * Writes {@code evaluation/accuracy.md}, {@code .csv} and {@code .png}.
 */
public final class Evaluation {

	/** The test set's seed (training uses seed 1). */
	public static final long TEST_SEED = 2026;

	private Evaluation() {
	}

	public static void main(String[] args) throws IOException {
		Map<String, String> o = CommandLineArguments.parse(args);
		long seed = Long.parseLong(o.getOrDefault("seed", String.valueOf(TEST_SEED)));
		int questions = Integer.parseInt(o.getOrDefault("questions", "600"));
		Path out = Paths.get(o.getOrDefault("out", "evaluation"));
		double[] budgets = o.containsKey("budgets")
				? Arrays.stream(o.get("budgets").split(",")).mapToDouble(Double::parseDouble).toArray()
				: EvaluatedPolicy.BUDGETS;
		Path folder = o.containsKey("model") ? Paths.get(o.get("model")) : new DemoModel().folder();
		List<TaskSample> samples = testSet(seed, questions);
		List<EvaluatedPolicy> policies = EvaluatedPolicy.all(budgets);
		AccuracyTable table = new AccuracyTable(policies);
		PrintStream console = System.out;
		console.printf(Locale.ROOT, "Evaluating %d questions (seed %d) x %d policies on %s%n", samples.size(), seed,
				policies.size(), folder);
		long start = System.nanoTime();
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"))) {
			AccuracyRunner runner = new AccuracyRunner(model);
			ProgressBar bar = new ProgressBar(console, samples.size());
			for (int i = 0; i < samples.size(); i++) {
				table.add(runner.answer(samples.get(i), policies));
				AccuracyTable.Totals full = table.totals().get(EvaluatedPolicy.FULL);
				bar.update(i + 1, String.format(Locale.ROOT, "full-cache accuracy %.1f%%", full.shortAccuracy() * 100));
			}
			double minutes = (System.nanoTime() - start) / 60e9;
			Map<QuestionKind, Integer> kinds = new LinkedHashMap<>();
			samples.forEach(s -> kinds.merge(s.kind(), 1, Integer::sum));
			List<String> header = new ArrayList<>();
			header.add(String.format(Locale.ROOT, "Test set: seed %d, %d questions (%s); %d with one page, %d with 2-4.",
					seed, samples.size(), kinds.toString().toLowerCase(Locale.ROOT).replaceAll("[{}]", ""),
					samples.stream().filter(s -> s.scenes().size() == 1).count(),
					samples.stream().filter(s -> s.scenes().size() > 1).count()));
			header.add(String.format(Locale.ROOT, "Model: %s (%,d parameters, %d decoder layers), float32, greedy decoding.",
					o.containsKey("model") ? model.name() : DemoModel.NAME + " (embedded)", model.parameterCount(),
					model.numLayers()));
			header.add(String.format(Locale.ROOT, "Measured %s on %d cores (%s, Java %s) in %.1f min.", LocalDate.now(),
					Runtime.getRuntime().availableProcessors(), System.getProperty("os.arch"),
					System.getProperty("java.version"), minutes));
			header.add("Command: `mvn -q -pl vlcache-demo-training exec:java -Dexec.args=\"--seed " + seed
					+ " --questions " + questions + "\"`");
			AccuracyReport.write(out, table, budgets, header);
		}
		console.println(java.nio.file.Files.readString(out.resolve("accuracy.md")));
	}

	/** The test set: the first {@code questions} samples of the generator seeded with {@code seed}. */
	public static List<TaskSample> testSet(long seed, int questions) {
		return new TaskGenerator(seed).samples(questions);
	}


}
