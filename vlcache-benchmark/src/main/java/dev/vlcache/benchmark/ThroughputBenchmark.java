package dev.vlcache.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.vlcache.testsupport.CommandLineArguments;
import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.generation.GenerationRequest;
import dev.vlcache.core.generation.GenerationResult;
import dev.vlcache.core.generation.Generator;
import dev.vlcache.core.generation.ImageInput;
import dev.vlcache.core.generation.SamplingOptions;
import dev.vlcache.core.template.ChatMessage;
import dev.vlcache.demo.model.DemoModel;

/**
 * Prefill and decode throughput of the engine, full cache against VL-Cache at 10%, with warm-up, interleaved
 * repeated runs and medians.
 *
 * <pre>
 * mvn -q install -DskipTests
 * mvn -q -pl vlcache-benchmark exec:java -Dexec.mainClass=dev.vlcache.benchmark.ThroughputBenchmark \
 *     -Dexec.args="--models demo,qwen2-0.5b --runs 5"
 * </pre>
 */
public final class ThroughputBenchmark {

	private ThroughputBenchmark() {
	}

	public static void main(String[] args) throws IOException {
		CommandLineArguments options = CommandLineArguments
			.command("ThroughputBenchmark", "Prefill and decode throughput, full cache against VL-Cache at 10%.")
			.option("models", "a,b", "fixture, demo, or a synthetic shape (default demo,qwen2-0.5b)")
			.option("runs", "N", "timed runs (default 5)")
			.option("warmup", "N", "warm-up runs (default 2)")
			.option("new-tokens", "N", "tokens generated per run (default 100)")
			.option("images", "N", "images per prompt (default 1)")
			.option("model-cache", "DIR", "where synthetic checkpoints are written (default target/benchmark-models)")
			.option("device", "D", "auto, cpu, gpu or gpu:N (default auto)")
			.option("dtype", "T", "auto, float32 or float16 (default auto)")
			.option("weights", "T", "float32, float16, int8 or int8-dynamic: how the decoder's matrices are stored (default float32)")
			.option("question", "TEXT", "the question asked (default: one that fits the model)")
			.option("out", "FILE", "also write the Markdown table there")
			.parseOrExit(args);
		List<String> models = List.of(options.getOrDefault("models", "demo,qwen2-0.5b").split(","));
		int runs = Integer.parseInt(options.getOrDefault("runs", "5"));
		int warmup = Integer.parseInt(options.getOrDefault("warmup", "2"));
		int newTokens = Integer.parseInt(options.getOrDefault("new-tokens", "100"));
		int images = Integer.parseInt(options.getOrDefault("images", "1"));
		Path cache = Paths.get(options.getOrDefault("model-cache", "target/benchmark-models"));
		StringBuilder table = new StringBuilder();
		table.append("| model | policy | prompt tokens | prefill tokens/s | decode tokens/s | time to first token (ms) | KV bytes after / before |\n");
		table.append("|---|---|---:|---:|---:|---:|---:|\n");
		for (String name : models) {
			Path folder = resolve(name.trim(), cache);
			try (LlavaModel model = LlavaModel.load(folder, new ModelOptions(options.getOrDefault("device", "auto"),
					options.getOrDefault("dtype", "auto")).withWeights(options.getOrDefault("weights", "float32")))) {
				Generator generator = new Generator(model);
				String question = options.getOrDefault("question", switch (name.trim()) {
					case "fixture" -> "what color is the circle ?";
					case "demo" -> "What colour is the coloured shape?";
					default -> "w3 w4 w5 w6 w7";
				});
				List<ImageInput> inputs = new ArrayList<>();
				for (int i = 0; i < images; i++) {
					inputs.add(new ImageInput("image" + i, BenchmarkHarness.randomPng(i)));
				}
				SamplingOptions sampling = SamplingOptions.builder().maxNewTokens(newTokens).stopOnEos(false).build();
				Map<String, CompressionOptions> policies = new LinkedHashMap<>();
				policies.put("full", CompressionOptions.FULL);
				policies.put("vl-cache 10%", CompressionOptions.builder().budgetRatio(0.1).build());
				Map<String, List<GenerationResult>> results = new LinkedHashMap<>();
				policies.keySet().forEach(k -> results.put(k, new ArrayList<>()));
				for (int r = 0; r < warmup + runs; r++) {
					// Interleave the policies so that machine noise hits both alike.
					for (Map.Entry<String, CompressionOptions> p : policies.entrySet()) {
						GenerationResult result = generator.generate(new GenerationRequest(
								List.of(ChatMessage.user(question, images)), inputs, sampling, p.getValue()));
						if (r >= warmup) {
							results.get(p.getKey()).add(result);
						}
					}
				}
				for (Map.Entry<String, List<GenerationResult>> e : results.entrySet()) {
					List<GenerationResult> rs = e.getValue();
					GenerationResult any = rs.get(0);
					double prefill = BenchmarkHarness.median(rs.stream().mapToDouble(x -> any.promptTokens() / (x.prefillNanos() / 1e9)).toArray());
					double decode = BenchmarkHarness.median(rs.stream().mapToDouble(x -> 1e9 / x.decodeNanosPerToken()).toArray());
					double ttft = BenchmarkHarness.median(rs.stream().mapToDouble(x -> x.firstTokenNanos() / 1e6).toArray());
					table.append(String.format(Locale.ROOT, "| %s | %s | %d | %.0f | %.1f | %.0f | %d / %d |%n", name, e.getKey(),
							any.promptTokens(), prefill, decode, ttft, any.compression().kvBytesAfter(),
							any.compression().kvBytesBefore()));
				}
			}
		}
		System.out.println();
		System.out.println("Machine: " + Runtime.getRuntime().availableProcessors() + " cores, "
				+ System.getProperty("os.arch") + ", Java " + System.getProperty("java.version") + "; medians of " + runs
				+ " runs after " + warmup + " warm-up runs, " + newTokens + " new tokens, " + images + " image(s)");
		System.out.println(table);
		if (options.containsKey("out")) {
			Files.writeString(Paths.get(options.get("out")), table.toString());
		}
	}

	static Path resolve(String name, Path cache) throws IOException {
		switch (name) {
			case "demo":
				return new DemoModel().folder();
			case "fixture":
				return Paths.get(System.getProperty("vlcache.fixtures", "../fixtures")).resolve("llava-tiny-clip-llama");
			default:
				for (SyntheticCheckpoint shape : SyntheticCheckpoint.SHAPES) {
					if (shape.name().equals(name)) {
						return cached(shape, cache);
					}
				}
				return Paths.get(name);
		}
	}

	private static Path cached(SyntheticCheckpoint checkpoint, Path cache) throws IOException {
		Path dir = cache.resolve(checkpoint.name());
		if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
			System.out.println("Writing random " + checkpoint.name() + " checkpoint to " + dir + " ...");
			checkpoint.write(dir);
		}
		return dir;
	}

}
