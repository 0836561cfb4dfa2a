package dev.vlcache.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.compression.CacheCompressor;
import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.compression.CompressionPolicies;
import dev.vlcache.core.compression.CompressionRun;
import dev.vlcache.core.generation.GenerationRequest;
import dev.vlcache.core.generation.GenerationResult;
import dev.vlcache.core.generation.SamplingOptions;
import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.serving.BatchScheduler;
import dev.vlcache.core.serving.KvMemoryPool;
import dev.vlcache.core.serving.SchedulerOptions;
import dev.vlcache.core.template.ChatMessage;
import dev.vlcache.core.text.CompositeObserver;
import dev.vlcache.core.text.RotaryPositions;
import dev.vlcache.testsupport.CommandLineArguments;

/**
 * What continuous batching buys, and what VL-Cache adds to it.
 *
 * <p>
 * <b>Throughput by concurrency.</b> A prompt of about 2880 tokens is prefilled once with both policies observing;
 * each policy compresses its own copy, and for every concurrency B, B copies of that cache decode together through
 * the engine's batched step ({@link LlavaModel#decode}, the step the scheduler runs), timed over several steps.
 * The copies hold the same entries as B different prompts of that length would, so that the bytes read and the
 * attention work per sequence are those of B users; only the prefill is shared, which this part does not time.
 * The bytes-read limit of a cell is one read of the decoder weights plus every sequence's KV cache per step, over
 * the streaming bandwidth probed right before the cell's timed steps (the median of its probes).
 *
 * <p>
 * <b>Capacity under a fixed KV budget.</b> How many such requests the scheduler's admission rule
 * ({@link KvMemoryPool}: the prompt's cache before compression plus the reserved growth must fit, the evicted bytes
 * return after compression) runs at once in the budget, from the measured cache sizes, and the throughput of a
 * batch of that size.
 *
 * <p>
 * <b>Time to first token under load.</b> Through a real {@link BatchScheduler}: eight short requests decode, then
 * the long prompt arrives; its time to first token, and the longest pause of the eight streams meanwhile, with the
 * prompt prefilled in pieces between their steps and at once.
 *
 * <pre>
 * mvn -q install -DskipTests
 * mvn -q -pl vlcache-benchmark exec:java -Dexec.mainClass=dev.vlcache.benchmark.BatchingBenchmark
 * </pre>
 */
public final class BatchingBenchmark {

	private static final CompressionOptions VL_CACHE_10 = CompressionOptions.builder()
		.policy("vl-cache")
		.budgetRatio(0.1)
		.build();

	private BatchingBenchmark() {
	}

	/**
	 * One (shape, policy, concurrency) measurement.
	 *
	 * @param flopsPerSequence a step's floating-point operations per sequence: the products with every weight
	 * matrix and attention over the sequence's cache
	 * @param matrixRate this machine's measured float32 product rate, operations per second
	 */
	record Cell(String shape, String policy, int concurrency, int promptTokens, long kvBytesPerSequence,
			double stepMillis, long weightBytes, double bandwidth, double flopsPerSequence, double matrixRate) {

		double aggregateTokensPerSecond() {
			return this.concurrency * 1000.0 / this.stepMillis;
		}

		/** Bytes a step reads: the decoder weights once and every sequence's cache. */
		double bytesPerStep() {
			return this.weightBytes + (double) this.concurrency * this.kvBytesPerSequence;
		}

		/** Tokens per second if a step took only the time to read its bytes once. */
		double limitTokensPerSecond() {
			return this.concurrency / (bytesPerStep() / this.bandwidth);
		}

		/** Tokens per second if a step took only the time of its arithmetic at the measured product rate. */
		double computeLimitTokensPerSecond() {
			return this.matrixRate / this.flopsPerSequence;
		}

	}

	/** How many requests fit in a KV budget with one policy, and how fast that batch decodes. */
	record Capacity(String shape, String policy, long budgetBytes, int reserveTokens, int sequences,
			double stepMillis) {

		double aggregateTokensPerSecond() {
			return this.sequences * 1000.0 / this.stepMillis;
		}

	}

	/** Time to first token of a long prompt arriving while short requests decode. */
	record Arrival(String shape, int promptTokens, int background, int prefillStepTokens, double ttftMillis,
			double longestPauseMillis, double backgroundStepMillis) {
	}

	public static void main(String[] args) throws Exception {
		CommandLineArguments o = CommandLineArguments
			.command("BatchingBenchmark", "Continuous batching: throughput by concurrency, capacity in a KV budget, TTFT under load.")
			.option("shapes", "a,b", "model shapes (default qwen2-0.5b,llava-7b-4-layers)")
			.option("length", "N", "prompt length in tokens (default 2880)")
			.option("concurrency", "a,b", "batch sizes (default 1,2,4,8,16,24,32; the 7B shape stops at 16)")
			.option("steps", "N", "timed decoding steps per cell (default 12)")
			.option("runs", "N", "timed runs per cell, interleaved over all cells of a shape (default 3)")
			.option("budget", "BYTES", "the fixed KV budget of the capacity part (default 2 GiB)")
			.option("reserve", "N", "tokens each request reserves for its answer in the capacity part (default 64)")
			.option("arrival-shape", "NAME", "shape of the time-to-first-token part, or none (default qwen2-0.5b)")
			.option("weights", "T", "float32, float16, int8 or int8-dynamic: how the decoder's matrices are stored (default float32)")
			.option("out", "DIR", "where batching.md, .csv and .png go (default benchmarks/batching)")
			.option("model-cache", "DIR", "where synthetic checkpoints are written (default target/benchmark-models)")
			.option("replot", "true", "only draw the chart again from the CSV in --out")
			.parseOrExit(args);
		if (Boolean.parseBoolean(o.getOrDefault("replot", "false"))) {
			BatchingReport.replot(Paths.get(o.getOrDefault("out", "benchmarks/batching")));
			return;
		}
		List<String> shapes = List.of(o.getOrDefault("shapes", "qwen2-0.5b,llava-7b-4-layers").split(","));
		int length = Integer.parseInt(o.getOrDefault("length", "2880"));
		int[] concurrency = Arrays.stream(o.getOrDefault("concurrency", "1,2,4,8,16,24,32").split(","))
			.mapToInt(Integer::parseInt)
			.toArray();
		int steps = Integer.parseInt(o.getOrDefault("steps", "12"));
		int runs = Integer.parseInt(o.getOrDefault("runs", "3"));
		long budget = Long.parseLong(o.getOrDefault("budget", String.valueOf(2L << 30)));
		int reserve = Integer.parseInt(o.getOrDefault("reserve", "64"));
		String arrivalShape = o.getOrDefault("arrival-shape", "qwen2-0.5b");
		Path out = Paths.get(o.getOrDefault("out", "benchmarks/batching"));
		Path modelCache = Paths.get(o.getOrDefault("model-cache", "target/benchmark-models"));
		String weights = o.getOrDefault("weights", "float32");
		Files.createDirectories(out);

		double bandwidth;
		double matrixRate;
		try (NDManager probe = NDManager.newBaseManager("PyTorch")) {
			bandwidth = MemoryBandwidth.measure(probe);
			matrixRate = MatrixRate.measure(probe);
		}
		System.out.printf(Locale.ROOT, "Memory bandwidth (libtorch streaming read): %.1f GB/s; float32 products %.1f GFLOP/s%n",
				bandwidth / 1e9, matrixRate / 1e9);
		List<Cell> cells = new ArrayList<>();
		List<Capacity> capacities = new ArrayList<>();
		List<Arrival> arrivals = new ArrayList<>();
		for (String shape : shapes) {
			Path folder = ThroughputBenchmark.resolve(shape.trim(), modelCache);
			try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32").withWeights(weights))) {
				int[] sizes = shape.contains("7b") ? Arrays.stream(concurrency).filter(b -> b <= 16).toArray()
						: concurrency;
				measure(model, shape.trim(), length, sizes, steps, runs, budget, reserve, bandwidth, matrixRate, cells,
						capacities);
				BatchingReport.write(out, cells, capacities, arrivals, bandwidth, matrixRate, steps, runs, weights);
				if (shape.trim().equals(arrivalShape)) {
					for (int piece : new int[] { 512, 0 }) {
						arrivals.add(arrival(model, shape.trim(), length, piece));
						BatchingReport.write(out, cells, capacities, arrivals, bandwidth, matrixRate, steps, runs, weights);
					}
				}
			}
		}
		BatchingReport.write(out, cells, capacities, arrivals, bandwidth, matrixRate, steps, runs, weights);
		System.out.println(Files.readString(out.resolve("batching.md")));
	}

	private static void measure(LlavaModel model, String shape, int length, int[] sizes, int steps, int runs,
			long budget, int reserve, double bandwidth, double matrixRate, List<Cell> cells, List<Capacity> capacities)
			throws IOException {
		SyntheticPrompt synthetic = SyntheticPrompt.of(model, true, length, steps + 2);
		int n = synthetic.prompt().length();
		long weightBytes = model.decoderWeightBytes();
		List<CompressionOptions> policies = List.of(CompressionOptions.FULL, VL_CACHE_10);
		List<CompressionRun> compressionRuns = new ArrayList<>();
		for (CompressionOptions p : policies) {
			compressionRuns.add(CompressionPolicies.get(p.policy()).begin(synthetic.prompt().layout(), p,
					model.numLayers()));
		}
		try (NDManager base = model.newRequestManager()) {
			KvCache prefilled = model.newCache(base, n);
			long start = System.nanoTime();
			float[] logits;
			try (NDManager scope = base.newSubManager()) {
				NDArray embeddings = model.promptEmbeddings(scope, synthetic.prompt(), synthetic.prepared());
				logits = model.forward(scope, embeddings, prefilled, 0, new CompositeObserver(compressionRuns, n), false,
						synthetic.prompt().positions()).toFloatArray();
			}
			System.out.printf(Locale.ROOT, "%s: %d prompt tokens prefilled in %.1f s%n", shape, n,
					(System.nanoTime() - start) / 1e9);
			long first = dev.vlcache.core.generation.Sampler.argmax(logits);
			List<KvCache> templates = new ArrayList<>();
			for (int p = 0; p < policies.size(); p++) {
				KvCache copy = prefilled.copy(base, 0);
				CacheCompressor.apply(copy, compressionRuns.get(p), policies.get(p).policy(), policies.get(p),
						synthetic.prompt().layout(), 0);
				templates.add(copy);
			}
			prefilled.close();
			// Runs outermost, so that this machine's drift falls on every batch size and policy alike.
			double[][][] times = new double[sizes.length][policies.size()][runs];
			double[][][] probes = new double[sizes.length][policies.size()][runs];
			for (int r = 0; r < runs; r++) {
				for (int i = 0; i < sizes.length; i++) {
					for (int p = 0; p < policies.size(); p++) {
						// As in BenchmarkHarness: the bandwidth moves for seconds at a time, so each cell has its own.
						probes[i][p][r] = MemoryBandwidth.measure(base);
						times[i][p][r] = stepMillis(model, templates.get(p), sizes[i], n, first, steps, synthetic);
					}
				}
				System.out.printf(Locale.ROOT, "  run %d of %d done%n", r + 1, runs);
			}
			for (int i = 0; i < sizes.length; i++) {
				for (int p = 0; p < policies.size(); p++) {
					long entries = templates.get(p).bytes() / model.kvBytesPerToken();
					Cell cell = new Cell(shape, policies.get(p).policy(), sizes[i], n, templates.get(p).bytes(),
							BenchmarkHarness.median(times[i][p]), weightBytes, BenchmarkHarness.median(probes[i][p]),
							flopsPerSequence(model, entries), matrixRate);
					cells.add(cell);
					System.out.printf(Locale.ROOT, "  %-8s B=%-3d %.1f ms/step, %.1f tok/s (limit %.1f)%n",
							cell.policy(), cell.concurrency(), cell.stepMillis(), cell.aggregateTokensPerSecond(),
							cell.limitTokensPerSecond());
				}
			}
			long bytesPerToken = model.kvBytesPerToken();
			for (int p = 0; p < policies.size(); p++) {
				int fit = admitted(budget, bytesPerToken * ((long) n + reserve),
						templates.get(p).bytes() + bytesPerToken * reserve);
				double step = stepMillis(model, templates.get(p), fit, n, first, Math.max(4, steps / 2), synthetic);
				capacities.add(new Capacity(shape, policies.get(p).policy(), budget, reserve, fit, step));
				System.out.printf(Locale.ROOT, "  %s budget: %s runs %d at once, %.1f ms/step%n",
						BatchingReport.gib(budget), policies.get(p).policy(), fit, step);
			}
		}
	}

	/**
	 * Operations of one sequence's decoding step: two per weight of every product (q, k, v, o, gate, up, down, LM
	 * head; the embedding lookup is free), and four per cached entry, head and head dimension (scores and the
	 * weighted sum), {@code entries} being the mean entries of a layer.
	 */
	static double flopsPerSequence(LlavaModel model, long entries) {
		dev.vlcache.core.config.TextConfig c = model.config().text();
		double q = (double) c.numHeads() * c.headDim();
		double kv = (double) c.numKvHeads() * c.headDim();
		double perLayer = c.hiddenSize() * (q + 2 * kv) + q * c.hiddenSize() + 3.0 * c.hiddenSize() * c.intermediateSize();
		double weights = c.numLayers() * perLayer + (double) c.vocabSize() * c.hiddenSize();
		return 2 * weights + 4.0 * q * entries;
	}

	/**
	 * Requests admitted at once by the scheduler's rule: one by one, each needs {@code before} free, then holds
	 * {@code after}.
	 */
	static int admitted(long budget, long before, long after) {
		KvMemoryPool pool = new KvMemoryPool(budget);
		int count = 0;
		while (pool.tryReserve(before)) {
			pool.release(before - after);
			count++;
		}
		return count;
	}

	/** Median ms per batched step of {@code b} copies of {@code template}, after one untimed step. */
	private static double stepMillis(LlavaModel model, KvCache template, int b, int n, long first, int steps,
			SyntheticPrompt synthetic) {
		try (NDManager scope = model.newRequestManager()) {
			List<KvCache> caches = new ArrayList<>(b);
			List<RotaryPositions> rotary = new ArrayList<>(b);
			for (int i = 0; i < b; i++) {
				caches.add(template.copy(scope, steps + 1));
				rotary.add(synthetic.prompt().positions());
			}
			long[] tokens = new long[b];
			Arrays.fill(tokens, first);
			double[] times = new double[steps];
			for (int step = -1; step < steps; step++) {
				int[] indices = new int[b];
				Arrays.fill(indices, n + step + 1);
				long start = System.nanoTime();
				try (NDManager stepScope = scope.newSubManager()) {
					float[] flat = model.decode(stepScope, tokens, caches, indices, rotary).toFloatArray();
					int vocab = flat.length / b;
					for (int i = 0; i < b; i++) {
						tokens[i] = dev.vlcache.core.generation.Sampler
							.argmax(Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab));
					}
				}
				if (step >= 0) {
					times[step] = (System.nanoTime() - start) / 1e6;
				}
			}
			return BenchmarkHarness.median(times);
		}
	}

	/**
	 * Eight short text requests decode; the long prompt arrives once they all run. Its TTFT, and the longest gap
	 * between two tokens of any of the eight while it was being prefilled.
	 */
	private static Arrival arrival(LlavaModel model, String shape, int length, int prefillStepTokens)
			throws Exception {
		SyntheticPrompt synthetic = SyntheticPrompt.of(model, true, length, 2);
		int background = 8;
		SchedulerOptions options = new SchedulerOptions(8L << 30, 16, prefillStepTokens,
				java.time.Duration.ofMinutes(10));
		AtomicBoolean stop = new AtomicBoolean();
		long[][] stamps = new long[background][100_000];
		int[] counts = new int[background];
		try (BatchScheduler scheduler = new BatchScheduler(model, options).start()) {
			List<BatchScheduler.Submission> others = new ArrayList<>();
			for (int i = 0; i < background; i++) {
				int k = i;
				StringBuilder text = new StringBuilder();
				for (int w = 0; w < 24; w++) {
					text.append(w == 0 ? "" : " ").append("w").append(3 + (w * 7 + i) % 1000);
				}
				GenerationRequest r = new GenerationRequest(List.of(ChatMessage.user(text.toString(), 0)), List.of(),
						SamplingOptions.builder().maxNewTokens(100_000).stopOnEos(false).build(), CompressionOptions.FULL);
				others.add(scheduler.submit(r, (id, piece) -> {
					synchronized (stamps) {
						if (counts[k] < stamps[k].length) {
							stamps[k][counts[k]++] = System.nanoTime();
						}
					}
				}, stop::get));
			}
			while (scheduler.runningCount() < background || Arrays.stream(counts).min().orElse(0) < 5) {
				Thread.sleep(10);
			}
			long arrived = System.nanoTime();
			BatchScheduler.Submission probe = scheduler.submit(new GenerationRequest(synthetic.messages(),
					synthetic.images(), SamplingOptions.builder().maxNewTokens(1).stopOnEos(false).build(),
					CompressionOptions.FULL), (id, piece) -> {
					}, () -> false);
			GenerationResult result = probe.result().get(30, TimeUnit.MINUTES);
			long answered = System.nanoTime();
			stop.set(true);
			for (BatchScheduler.Submission s : others) {
				s.result().get(5, TimeUnit.MINUTES);
			}
			double longest = 0;
			List<Double> gaps = new ArrayList<>();
			synchronized (stamps) {
				for (int k = 0; k < background; k++) {
					for (int t = 1; t < counts[k]; t++) {
						double gap = (stamps[k][t] - stamps[k][t - 1]) / 1e6;
						if (stamps[k][t] > arrived && stamps[k][t - 1] < answered) {
							longest = Math.max(longest, gap);
						}
						else if (stamps[k][t] < arrived) {
							gaps.add(gap);
						}
					}
				}
			}
			double[] before = gaps.stream().mapToDouble(Double::doubleValue).toArray();
			Arrival a = new Arrival(shape, result.promptTokens(), background, prefillStepTokens,
					result.firstTokenNanos() / 1e6, longest, before.length == 0 ? 0 : BenchmarkHarness.median(before));
			System.out.printf(Locale.ROOT, "  arrival, pieces of %d: TTFT %.0f ms, longest pause %.0f ms (steps %.1f ms before)%n",
					prefillStepTokens, a.ttftMillis(), a.longestPauseMillis(), a.backgroundStepMillis());
			return a;
		}
	}

}
