package dev.vlcache.benchmark;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import javax.imageio.ImageIO;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.vlcache.testsupport.CommandLineArguments;
import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.compression.CacheCompressor;
import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.compression.CompressionPolicies;
import dev.vlcache.core.compression.CompressionReport;
import dev.vlcache.core.compression.CompressionRun;
import dev.vlcache.core.generation.Sampler;
import dev.vlcache.core.family.PreparedImage;
import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.text.AttentionObserver;
import dev.vlcache.core.text.CompositeObserver;
import dev.vlcache.core.text.RotaryPositions;
import dev.vlcache.core.tokenizer.EncodedPrompt;

/**
 * What VL-Cache buys in speed and memory, against the limit the hardware sets.
 *
 * <p>
 * For every model shape and prompt length the prompt is prefilled once with every policy observing (their
 * scoring is timed separately), then every (policy, budget) cell compresses its own copy of that cache and
 * decodes the same tokens. Cells are interleaved and repeated, so that machine noise falls on all of them alike,
 * and medians are reported. The floor is the bytes a decoding step must read (decoder weights plus the kept KV
 * cache) over the memory bandwidth, probed right before each of the cell's timed runs (the median of its probes).
 *
 * <pre>
 * mvn -q install -DskipTests
 * mvn -q -pl vlcache-benchmark exec:java -Dexec.mainClass=dev.vlcache.benchmark.BenchmarkHarness -Dexec.args="--mode quick"
 * </pre>
 */
public final class BenchmarkHarness {

	private static final List<String> POLICIES = List.of("vl-cache", "h2o", "snapkv", "pyramidkv", "streaming-llm");

	private static final double[] BUDGETS = { 0.4, 0.1, 0.05 };

	private BenchmarkHarness() {
	}

	record Config(String policy, double budget) {

		CompressionOptions options() {
			return this.policy.equals("full") ? CompressionOptions.FULL
					: CompressionOptions.builder().policy(this.policy).budgetRatio(this.budget).build();
		}

	}

	public static void main(String[] args) throws IOException {
		CommandLineArguments o = CommandLineArguments
			.command("BenchmarkHarness", "VL-Cache and the baselines against the bandwidth limit.")
			.option("mode", "quick|full", "quick: demo and Qwen2-0.5B at 576 and 2880 tokens; full: every shape and length (default quick)")
			.option("shapes", "a,b", "model shapes (default by mode)")
			.option("lengths", "a,b", "prompt lengths in tokens (default by mode)")
			.option("runs", "N", "timed runs per cell (default 2 quick, 5 full)")
			.option("tokens", "N", "decoded tokens per run (default 8 quick, 100 full)")
			.option("out", "DIR", "where results-MODE.md, .csv and speedup-MODE.png go (default benchmarks)")
			.option("model-cache", "DIR", "where synthetic checkpoints are written (default target/benchmark-models)")
			.option("weights", "T", "float32, float16, int8 or int8-dynamic: how the decoder's matrices are stored (default float32)")
			.parseOrExit(args);
		String weights = o.getOrDefault("weights", "float32");
		boolean full = o.getOrDefault("mode", "quick").equals("full");
		List<String> shapes = List
			.of(o.getOrDefault("shapes", full ? "demo,qwen2-0.5b,llava-7b-4-layers" : "demo,qwen2-0.5b").split(","));
		int[] lengths = Arrays.stream(o.getOrDefault("lengths", full ? "576,2880,8192,16384" : "576,2880").split(","))
			.mapToInt(Integer::parseInt)
			.toArray();
		int runs = Integer.parseInt(o.getOrDefault("runs", full ? "5" : "2"));
		int tokens = Integer.parseInt(o.getOrDefault("tokens", full ? "100" : "8"));
		Path out = Paths.get(o.getOrDefault("out", "benchmarks"));
		Path cache = Paths.get(o.getOrDefault("model-cache", "target/benchmark-models"));
		String mode = full ? "full" : "quick";
		Files.createDirectories(out);

		List<Config> configs = new ArrayList<>();
		configs.add(new Config("full", 1.0));
		for (String p : POLICIES) {
			for (double b : BUDGETS) {
				configs.add(new Config(p, b));
			}
		}
		List<BenchmarkCell> cells = new ArrayList<>();
		double bandwidth;
		try (NDManager probe = NDManager.newBaseManager("PyTorch")) {
			bandwidth = MemoryBandwidth.measure(probe);
		}
		System.out.printf(Locale.ROOT, "Memory bandwidth (libtorch streaming read): %.1f GB/s%n", bandwidth / 1e9);
		for (String shape : shapes) {
			Path folder = ThroughputBenchmark.resolve(shape.trim(), cache);
			try (LlavaModel model = LlavaModel.load(folder, new ModelOptions("cpu", "float32").withWeights(weights))) {
				// The shared fixture is too small for long prompts: it answers one short question.
				boolean scaled = !shape.trim().equals("fixture");
				int[] shapeLengths = scaled ? lengths : new int[] { 0 };
				for (int length : shapeLengths) {
					if (scaled && length > model.config().text().maxPositionEmbeddings()) {
						System.out.printf(Locale.ROOT, "%s: %d tokens exceed its %d positions, skipped%n", shape.trim(),
								length, model.config().text().maxPositionEmbeddings());
						continue;
					}
					cells.addAll(measure(model, shape.trim(), scaled, length, configs, runs, tokens));
					BenchmarkReport.write(out, mode, cells, bandwidth, runs, tokens, weights);
				}
			}
		}
		BenchmarkReport.write(out, mode, cells, bandwidth, runs, tokens, weights);
		System.out.println(Files.readString(out.resolve("results-" + mode + ".md")));
	}

	/**
	 * One prompt of about {@code length} tokens when {@code scaled} (images of the model's image-token count, the
	 * rest filler words), else the fixture's short question with one image; every cell measured on it.
	 */
	private static List<BenchmarkCell> measure(LlavaModel model, String shape, boolean scaled, int length,
			List<Config> configs, int runs, int tokens) throws IOException {
		SyntheticPrompt synthetic = SyntheticPrompt.of(model, scaled, length, tokens);
		List<PreparedImage> prepared = synthetic.prepared();
		EncodedPrompt prompt = synthetic.prompt();
		int images = prepared.size();
		int n = prompt.length();
		System.out.printf(Locale.ROOT, "%s: %d prompt tokens (%d images)%n", shape, n, images);

		double[] prefill = new double[runs];
		for (int r = -1; r < runs; r++) {
			try (NDManager scope = model.newRequestManager()) {
				KvCache kv = model.newCache(scope, n);
				long start = System.nanoTime();
				prefill(model, scope, prompt, prepared, kv, AttentionObserver.NONE);
				double millis = (System.nanoTime() - start) / 1e6;
				if (r >= 0) {
					prefill[r] = millis;
				}
				System.out.printf(Locale.ROOT, "  prefill %s: %.0f ms%n", r < 0 ? "warm-up" : "run " + (r + 1), millis);
			}
		}
		double prefillMillis = median(prefill);

		List<CompressionRun> compressionRuns = new ArrayList<>();
		for (Config c : configs) {
			compressionRuns.add(CompressionPolicies.get(c.policy()).begin(prompt.layout(), c.options(), model.numLayers()));
		}
		Map<Config, double[]> decode = new LinkedHashMap<>();
		Map<Config, double[]> selection = new LinkedHashMap<>();
		Map<Config, double[]> probes = new LinkedHashMap<>();
		Map<Config, CompressionReport> reports = new LinkedHashMap<>();
		Map<Config, Long> peak = new LinkedHashMap<>();
		for (Config c : configs) {
			decode.put(c, new double[runs]);
			selection.put(c, new double[runs]);
			probes.put(c, new double[runs]);
		}
		try (NDManager base = model.newRequestManager()) {
			KvCache baseCache = model.newCache(base, n);
			float[] logits = prefill(model, base, prompt, prepared, baseCache, new CompositeObserver(compressionRuns, n));
			int first = Sampler.argmax(logits);
			for (int r = -1; r < runs; r++) {
				for (int i = 0; i < configs.size(); i++) {
					Config c = configs.get(i);
					if (r >= 0) {
						// On a shared machine the bandwidth moves (here between about 30 and 55 GB/s, for seconds at a
						// time) and the steps move with it, so each cell's floor is probed right before its own steps.
						probes.get(c)[r] = MemoryBandwidth.measure(base);
					}
					PeakMemory.reset();
					try (NDManager scope = base.newSubManager()) {
						KvCache kv = baseCache.copy(scope, tokens);
						CompressionReport report = CacheCompressor.apply(kv, compressionRuns.get(i), c.policy(),
								c.options(), prompt.layout(), tokens);
						long start = System.nanoTime();
						int token = first;
						// The decoding step the Generator and the batch scheduler run (one native call per layer where
						// the kernels allow), not the prefill path with one row.
						List<KvCache> caches = List.of(kv);
						List<RotaryPositions> rotary = List.of(prompt.positions());
						for (int step = 0; step < tokens; step++) {
							try (NDManager stepScope = scope.newSubManager()) {
								token = Sampler.argmax(model.decode(stepScope, new long[] { token }, caches,
										new int[] { n + step }, rotary).toFloatArray());
							}
						}
						double perToken = (System.nanoTime() - start) / 1e6 / tokens;
						if (r >= 0) {
							decode.get(c)[r] = perToken;
							selection.get(c)[r] = report.selectionNanos() / 1e6;
						}
						reports.put(c, report);
					}
					peak.merge(c, PeakMemory.peakBytes(), Math::max);
				}
				System.out.printf(Locale.ROOT, "  %s: %d cells x %d tokens decoded%n", r < 0 ? "warm-up" : "run " + (r + 1),
						configs.size(), tokens);
			}
		}
		long weightBytes = model.decoderWeightBytes();
		double fullDecode = median(decode.get(configs.get(0)));
		double fullE2e = prefillMillis + (tokens - 1) * fullDecode;
		List<BenchmarkCell> cells = new ArrayList<>();
		for (int i = 0; i < configs.size(); i++) {
			Config c = configs.get(i);
			CompressionReport report = reports.get(c);
			double scoring = report.scoringNanos() / 1e6;
			double select = median(selection.get(c));
			double ttft = prefillMillis + scoring + select;
			double step = median(decode.get(c));
			cells.add(new BenchmarkCell(shape, n, c.policy(), c.budget(), prefillMillis, scoring, select, ttft, step,
					ttft + (tokens - 1) * step, report.kvBytesBefore(), report.kvBytesAfter(), peak.get(c), weightBytes,
					median(probes.get(c)), fullDecode, fullE2e));
		}
		return cells;
	}

	private static float[] prefill(LlavaModel model, NDManager scope, EncodedPrompt prompt,
			List<PreparedImage> images, KvCache cache, AttentionObserver observer) {
		try (NDManager step = scope.newSubManager()) {
			NDArray embeddings = model.promptEmbeddings(step, prompt, images);
			return model.forward(step, embeddings, cache, 0, observer, false, prompt.positions()).toFloatArray();
		}
	}

	static byte[] randomPng(int seed) throws IOException {
		SplittableRandom random = new SplittableRandom(seed);
		java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(400, 300,
				java.awt.image.BufferedImage.TYPE_INT_RGB);
		for (int y = 0; y < 300; y++) {
			for (int x = 0; x < 400; x++) {
				image.setRGB(x, y, random.nextInt(0x1000000));
			}
		}
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		ImageIO.write(image, "png", out);
		return out.toByteArray();
	}

	static double median(double[] values) {
		double[] v = values.clone();
		Arrays.sort(v);
		int k = v.length;
		return k % 2 == 1 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
	}


}
