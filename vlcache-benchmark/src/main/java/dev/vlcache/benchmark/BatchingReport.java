package dev.vlcache.benchmark;

import java.awt.Color;
import java.awt.Graphics2D;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import dev.vlcache.benchmark.BatchingBenchmark.Arrival;
import dev.vlcache.benchmark.BatchingBenchmark.Capacity;
import dev.vlcache.benchmark.BatchingBenchmark.Cell;

/** Writes {@link BatchingBenchmark}'s results: batching.csv, batching.md (with the targets) and batching.png. */
final class BatchingReport {

	private static final Color FULL = new Color(0x1f77b4);

	private static final Color VL_CACHE = new Color(0xd62728);

	private BatchingReport() {
	}

	/** Writes the report of a run whose decoder matrices were stored as {@code weights} ({@code ModelOptions}). */
	static void write(Path dir, List<Cell> cells, List<Capacity> capacities, List<Arrival> arrivals, double bandwidth,
			double matrixRate, int steps, int runs, String weights) throws IOException {
		Files.writeString(dir.resolve("batching.csv"), csv(cells, capacities, arrivals));
		Files.writeString(dir.resolve("batching.md"),
				markdown(cells, capacities, arrivals, bandwidth, matrixRate, steps, runs, weights));
		chart(dir.resolve("batching.png"), cells.stream()
			.map(c -> new Point(c.shape(), c.policy(), c.concurrency(), c.aggregateTokensPerSecond(),
					c.limitTokensPerSecond()))
			.toList());
	}

	/** One point of the chart. */
	record Point(String shape, String policy, int concurrency, double measured, double limit) {
	}

	/** Draws the chart again from a written {@code batching.csv}, for a change of the chart alone. */
	static void replot(Path dir) throws IOException {
		List<Point> points = new ArrayList<>();
		for (String line : Files.readAllLines(dir.resolve("batching.csv"))) {
			String[] f = line.split(",", -1);
			if (f[0].equals("throughput")) {
				points.add(new Point(f[1], f[2], Integer.parseInt(f[3]), Double.parseDouble(f[7]),
						Double.parseDouble(f[8])));
			}
		}
		chart(dir.resolve("batching.png"), points);
	}

	static String gib(long bytes) {
		return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
	}

	private static String csv(List<Cell> cells, List<Capacity> capacities, List<Arrival> arrivals) {
		StringBuilder sb = new StringBuilder(
				"part,shape,policy,concurrency,prompt_tokens,kv_bytes_per_sequence,step_ms,aggregate_tok_s,limit_tok_s,compute_limit_tok_s,"
						+ "budget_bytes,reserve_tokens,prefill_step_tokens,ttft_ms,longest_pause_ms,background_step_ms\n");
		for (Cell c : cells) {
			sb.append(String.format(Locale.ROOT, "throughput,%s,%s,%d,%d,%d,%.2f,%.2f,%.2f,%.2f,,,,,,%n", c.shape(),
					c.policy(), c.concurrency(), c.promptTokens(), c.kvBytesPerSequence(), c.stepMillis(),
					c.aggregateTokensPerSecond(), c.limitTokensPerSecond(), c.computeLimitTokensPerSecond()));
		}
		for (Capacity c : capacities) {
			sb.append(String.format(Locale.ROOT, "capacity,%s,%s,%d,,,%.2f,%.2f,,,%d,%d,,,,%n", c.shape(), c.policy(),
					c.sequences(), c.stepMillis(), c.aggregateTokensPerSecond(), c.budgetBytes(), c.reserveTokens()));
		}
		for (Arrival a : arrivals) {
			sb.append(String.format(Locale.ROOT, "arrival,%s,full,%d,%d,,,,,,,,%d,%.1f,%.1f,%.2f%n", a.shape(),
					a.background(), a.promptTokens(), a.prefillStepTokens(), a.ttftMillis(), a.longestPauseMillis(),
					a.backgroundStepMillis()));
		}
		return sb.toString();
	}

	private static String markdown(List<Cell> cells, List<Capacity> capacities, List<Arrival> arrivals,
			double bandwidth, double matrixRate, int steps, int runs, String weights) {
		StringBuilder sb = new StringBuilder();
		sb.append(String.format(Locale.ROOT, "Machine: %d cores, Java %s; %s; float32 products %.1f GFLOP/s (libtorch, "
				+ "[512, 4096] x [4096, 4096]); float32 activations, %s decoder weights; median of %d runs x %d decoding "
				+ "steps per cell.%n%n",
				Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
				MemoryBandwidth.describe(bandwidth, cells.stream().mapToDouble(Cell::bandwidth), "bytes-read limit"),
				matrixRate / 1e9, weights, runs, steps));
		sb.append("## Throughput by concurrency\n\n");
		sb.append("| shape | prompt | policy | concurrency | KV MB / sequence | step ms (= ms/token per request) | "
				+ "aggregate tok/s | vs batch 1 | bytes-read limit tok/s (GB/s) | % of it | compute limit tok/s | % of the lower limit |\n");
		sb.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
		for (Cell c : cells) {
			double one = find(cells, c.shape(), c.policy(), 1).map(Cell::aggregateTokensPerSecond).orElse(Double.NaN);
			double lower = Math.min(c.limitTokensPerSecond(), c.computeLimitTokensPerSecond());
			sb.append(String.format(Locale.ROOT,
					"| %s | %d | %s | %d | %.1f | %.1f | %.1f | %.2fx | %.1f (%.1f) | %.0f%% | %.1f | %.0f%% |%n", c.shape(),
					c.promptTokens(), label(c.policy()), c.concurrency(), c.kvBytesPerSequence() / 1e6, c.stepMillis(),
					c.aggregateTokensPerSecond(), c.aggregateTokensPerSecond() / one, c.limitTokensPerSecond(),
					c.bandwidth() / 1e9,
					100 * c.aggregateTokensPerSecond() / c.limitTokensPerSecond(), c.computeLimitTokensPerSecond(),
					100 * c.aggregateTokensPerSecond() / lower));
		}
		if (!capacities.isEmpty()) {
			sb.append("\n## Capacity under a fixed KV budget\n\n");
			sb.append("Admission as the scheduler does it: a request needs its prompt's cache before compression plus "
					+ "its reserved answer tokens free; after compression it holds the kept entries plus the reserve.\n\n");
			sb.append("| shape | budget | reserve tokens | policy | sequences at once | step ms | aggregate tok/s |\n");
			sb.append("|---|---:|---:|---|---:|---:|---:|\n");
			for (Capacity c : capacities) {
				sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %d | %.1f | %.1f |%n", c.shape(),
						gib(c.budgetBytes()), c.reserveTokens(), label(c.policy()), c.sequences(), c.stepMillis(),
						c.aggregateTokensPerSecond()));
			}
		}
		if (!arrivals.isEmpty()) {
			sb.append("\n## Time to first token while 8 requests decode\n\n");
			sb.append("| shape | prompt | prefill | TTFT ms | longest pause of the 8 streams ms | their step ms before |\n");
			sb.append("|---|---:|---|---:|---:|---:|\n");
			for (Arrival a : arrivals) {
				sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %.0f | %.0f | %.1f |%n", a.shape(), a.promptTokens(),
						a.prefillStepTokens() == 0 ? "at once" : "pieces of " + a.prefillStepTokens() + " tokens",
						a.ttftMillis(), a.longestPauseMillis(), a.backgroundStepMillis()));
			}
		}
		sb.append("\n## Targets\n\n");
		sb.append(targets(cells, capacities));
		return sb.toString();
	}

	static String targets(List<Cell> cells, List<Capacity> capacities) {
		StringBuilder sb = new StringBuilder();
		Optional<Cell> one = find(cells, "qwen2-0.5b", "full", 1);
		Optional<Cell> eight = find(cells, "qwen2-0.5b", "full", 8);
		if (one.isPresent() && eight.isPresent()) {
			double ratio = eight.get().aggregateTokensPerSecond() / one.get().aggregateTokensPerSecond();
			sb.append(String.format(Locale.ROOT, "- Concurrency 8, full cache, Qwen2 shape: %.2fx the batch-1 throughput "
					+ "(target >= 5x): %s%n", ratio, ratio >= 5 ? "met" : "missed"));
		}
		Set<String> shapes = new LinkedHashSet<>();
		cells.forEach(c -> shapes.add(c.shape()));
		for (String shape : shapes) {
			Optional<Cell> full = find(cells, shape, "full", 16);
			Optional<Cell> vl = find(cells, shape, "vl-cache", 16);
			if (full.isPresent() && vl.isPresent()) {
				double measured = vl.get().aggregateTokensPerSecond() / full.get().aggregateTokensPerSecond();
				// From the bytes alone: the two cells' probes were taken at different moments.
				double limit = full.get().bytesPerStep() / vl.get().bytesPerStep();
				sb.append(String.format(Locale.ROOT, "- Concurrency 16, %s: VL-Cache 10%% %.2fx the full cache's throughput, "
						+ "bytes-read limit %.2fx, so %.0f%% of it (target >= 80%%): %s%n", shape, measured, limit,
						100 * measured / limit, measured >= 0.8 * limit ? "met" : "missed"));
			}
		}
		for (String shape : shapes) {
			Optional<Capacity> full = capacities.stream().filter(c -> c.shape().equals(shape) && c.policy().equals("full")).findFirst();
			Optional<Capacity> vl = capacities.stream().filter(c -> c.shape().equals(shape) && c.policy().equals("vl-cache")).findFirst();
			if (full.isPresent() && vl.isPresent()) {
				double ratio = vl.get().sequences() / (double) full.get().sequences();
				sb.append(String.format(Locale.ROOT, "- %s of KV, %s: VL-Cache 10%% runs %d sequences at once, the full cache %d "
						+ "(%.1fx, target >= 8x): %s; throughput %.1f vs %.1f tok/s%n", gib(full.get().budgetBytes()), shape,
						vl.get().sequences(), full.get().sequences(), ratio, ratio >= 8 ? "met" : "missed",
						vl.get().aggregateTokensPerSecond(), full.get().aggregateTokensPerSecond()));
			}
		}
		return sb.toString();
	}

	private static String label(String policy) {
		return policy.equals("full") ? "full" : "vl-cache 10%";
	}

	private static Optional<Cell> find(List<Cell> cells, String shape, String policy, int concurrency) {
		return cells.stream()
			.filter(c -> c.shape().equals(shape) && c.policy().equals(policy) && c.concurrency() == concurrency)
			.findFirst();
	}

	/** One panel per shape: aggregate tok/s by concurrency, solid measured, dashed the bytes-read limit. */
	private static void chart(Path file, List<Point> cells) throws IOException {
		Set<String> shapes = new LinkedHashSet<>();
		cells.forEach(c -> shapes.add(c.shape()));
		ChartPanel.writeChart(file, shapes, 560, 380, (g, x0, w, h, shape) -> panel(g, x0, w, h, shape, cells));
	}

	private static void panel(Graphics2D g, int x0, int w, int h, String shape, List<Point> all) {
		TreeSet<Integer> sizes = new TreeSet<>();
		double maxY = 1;
		for (Point c : all) {
			if (c.shape().equals(shape)) {
				sizes.add(c.concurrency());
				// Scaled to what was measured: the limits run far above it and are clipped at the top.
				maxY = Math.max(maxY, c.measured() * 1.6);
			}
		}
		List<Integer> xs = new ArrayList<>(sizes);
		ChartPanel panel = new ChartPanel(g, x0, w, h, "Aggregate decode tok/s by concurrency: " + shape, xs,
				"concurrent requests", maxY, "%.0f");
		String[] policies = { "full", "vl-cache" };
		Color[] colors = { FULL, VL_CACHE };
		for (int k = 0; k < policies.length; k++) {
			double[] measured = new double[xs.size()];
			double[] limit = new double[xs.size()];
			for (int i = 0; i < xs.size(); i++) {
				int size = xs.get(i);
				String policy = policies[k];
				Optional<Point> c = all.stream()
					.filter(p -> p.shape().equals(shape) && p.policy().equals(policy) && p.concurrency() == size)
					.findFirst();
				measured[i] = c.map(Point::measured).orElse(Double.NaN);
				limit[i] = c.map(Point::limit).orElse(Double.NaN);
			}
			panel.line(colors[k], measured, false);
			panel.line(colors[k], limit, true);
			// Bottom right, below the measured lines, which rise with the batch.
			panel.legend(k, colors[k], (k == 0 ? "full cache" : "VL-Cache 10%") + " (dashed: bytes-read limit, clipped)",
					true);
		}
	}

}
