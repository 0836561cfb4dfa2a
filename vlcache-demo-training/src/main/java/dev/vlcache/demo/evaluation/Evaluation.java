package dev.vlcache.demo.evaluation;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.vlcache.testsupport.CommandLineArguments;
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
 * Writes {@code evaluation/accuracy.md}, {@code .csv} and {@code .png}. Options: {@code --out DIR},
 * {@code --model FOLDER} (default: the embedded demo model), {@code --budgets 0.01,0.1}, {@code --short-only}
 * (skip the descriptions among the questions) and {@code --seeds 7,99,...}, which evaluates each seed in turn into
 * {@code DIR/seed-N/} and writes a table of the targets per seed, {@code DIR/seeds.md}.
 */
public final class Evaluation {

	/** The test set's seed (training uses seed 1). */
	public static final long TEST_SEED = 2026;

	private Evaluation() {
	}

	public static void main(String[] args) throws IOException {
		CommandLineArguments o = CommandLineArguments
			.command("Evaluation", "Accuracy of every compression policy against its budget on the demo task.")
			.option("seed", "N", "test seed (default " + TEST_SEED + ")")
			.option("seeds", "a,b", "several test seeds, each into DIR/seed-N/, and a table of the targets in DIR/seeds.md")
			.option("questions", "N", "questions per seed (default 600)")
			.option("short-only", "", "skip the descriptions")
			.option("budgets", "a,b", "budget ratios (default 0.01,0.02,0.05,0.1,0.2,0.4)")
			.option("model", "DIR", "a LLaVA checkpoint folder instead of the embedded demo model")
			.option("out", "DIR", "where the report goes (default evaluation)")
			.parseOrExit(args);
		List<Long> seeds = Arrays.stream(o.getOrDefault("seeds", o.getOrDefault("seed", String.valueOf(TEST_SEED)))
			.split(",")).map(String::strip).map(Long::valueOf).toList();
		int questions = Integer.parseInt(o.getOrDefault("questions", "600"));
		boolean shortOnly = Boolean.parseBoolean(o.getOrDefault("short-only", "false"));
		Path out = Paths.get(o.getOrDefault("out", "evaluation"));
		double[] budgets = o.containsKey("budgets")
				? Arrays.stream(o.get("budgets").split(",")).mapToDouble(Double::parseDouble).toArray()
				: EvaluatedPolicy.BUDGETS;
		Path folder = o.containsKey("model") ? Paths.get(o.get("model")) : new DemoModel().folder();
		String command = "Command: `mvn -q -pl vlcache-demo-training exec:java -Dexec.args=\"" + String.join(" ", args)
				+ "\"`";
		try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32"))) {
			String name = o.containsKey("model") ? model.name() : DemoModel.NAME + " (embedded)";
			if (!o.containsKey("seeds")) {
				evaluate(model, name, seeds.get(0), questions, shortOnly, budgets, out, command);
				System.out.println(Files.readString(out.resolve("accuracy.md")));
				return;
			}
			Map<Long, Targets> bySeed = new LinkedHashMap<>();
			for (long seed : seeds) {
				bySeed.put(seed, evaluate(model, name, seed, questions, shortOnly, budgets,
						out.resolve("seed-" + seed), command));
			}
			String md = Targets.seedsMarkdown(bySeed, List.of(String.format(Locale.ROOT,
					"The first %d questions of each seed%s; each seed's report is in `seed-N/`.", questions,
					shortOnly ? ", descriptions skipped" : ""), modelLine(model, name), command));
			Files.writeString(out.resolve("seeds.md"), md);
			System.out.println(md);
		}
	}

	/** Evaluates one test set into {@code out} and returns how it meets the targets. */
	private static Targets evaluate(LlavaModel model, String name, long seed, int questions, boolean shortOnly,
			double[] budgets, Path out, String command) throws IOException {
		List<TaskSample> samples = testSet(seed, questions).stream()
			.filter(s -> !shortOnly || s.kind().shortAnswer())
			.toList();
		List<EvaluatedPolicy> policies = EvaluatedPolicy.all(budgets);
		AccuracyTable table = new AccuracyTable(policies);
		PrintStream console = System.out;
		console.printf(Locale.ROOT, "Evaluating %d questions (seed %d) x %d policies on %s%n", samples.size(), seed,
				policies.size(), name);
		long start = System.nanoTime();
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
		header.add(String.format(Locale.ROOT, "Test set: seed %d, %d questions (%s)%s; %d with one page, %d with 2-4.",
				seed, samples.size(), kinds.toString().toLowerCase(Locale.ROOT).replaceAll("[{}]", ""),
				shortOnly ? String.format(Locale.ROOT, ", the short ones of the first %d", questions) : "",
				samples.stream().filter(s -> s.scenes().size() == 1).count(),
				samples.stream().filter(s -> s.scenes().size() > 1).count()));
		header.add(modelLine(model, name));
		header.add(String.format(Locale.ROOT, "Measured %s on %d cores (%s, Java %s) in %.1f min.", LocalDate.now(),
				Runtime.getRuntime().availableProcessors(), System.getProperty("os.arch"),
				System.getProperty("java.version"), minutes));
		header.add(command);
		AccuracyReport.write(out, table, budgets, header);
		return Targets.of(table.totals(), budgets);
	}

	private static String modelLine(LlavaModel model, String name) {
		return String.format(Locale.ROOT, "Model: %s (%,d parameters, %d decoder layers), float32, greedy decoding.",
				name, model.parameterCount(), model.numLayers());
	}

	/** The test set: the first {@code questions} samples of the generator seeded with {@code seed}. */
	public static List<TaskSample> testSet(long seed, int questions) {
		return new TaskGenerator(seed).samples(questions);
	}


}
