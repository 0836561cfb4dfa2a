package dev.vlcache.benchmark;

import java.awt.Color;
import java.awt.Graphics2D;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Writes the benchmark's Markdown table, CSV and speed-up chart, and checks the targets. */
final class BenchmarkReport {

	/**
	 * Shapes whose weights are a few megabytes, so a decoding step is all per-operation overhead: no bandwidth
	 * floor applies, and one prompt length makes no line to chart.
	 */
	private static final Set<String> TOY_SHAPES = Set.of("fixture", "demo");

	private static final Color[] COLORS = { new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
			new Color(0x9467bd) };

	private BenchmarkReport() {
	}

	static void write(Path dir, String mode, List<BenchmarkCell> cells, double bandwidth, int runs, int tokens)
			throws IOException {
		write(dir, mode, cells, bandwidth, runs, tokens, "float32");
	}

	/** As {@link #write(Path, String, List, double, int, int)}, for models whose matrices are stored as {@code weights}. */
	static void write(Path dir, String mode, List<BenchmarkCell> cells, double bandwidth, int runs, int tokens,
			String weights)
			throws IOException {
		Files.writeString(dir.resolve("results-" + mode + ".csv"), csv(cells));
		Files.writeString(dir.resolve("results-" + mode + ".md"), markdown(cells, bandwidth, runs, tokens, weights));
		chart(dir.resolve("speedup-" + mode + ".png"), cells);
	}

	private static String csv(List<BenchmarkCell> cells) {
		StringBuilder sb = new StringBuilder("shape,prompt_tokens,policy,budget,prefill_ms,scoring_ms,selection_ms,"
				+ "scoring_share_of_prefill,ttft_ms,decode_ms_per_token,decode_speedup,decode_speedup_limit,"
				+ "end_to_end_ms,end_to_end_speedup,kv_bytes_before,kv_bytes_after,retained_ratio,peak_rss_bytes,"
				+ "bytes_per_step,floor_ms_per_token,bandwidth_bytes_per_s\n");
		for (BenchmarkCell c : cells) {
			sb.append(String.format(Locale.ROOT,
					"%s,%d,%s,%.2f,%.2f,%.3f,%.3f,%.5f,%.2f,%.3f,%.4f,%.4f,%.1f,%.4f,%d,%d,%.5f,%d,%.0f,%.3f,%.0f%n",
					c.shape(), c.promptTokens(), c.policy(), c.budget(), c.prefillMillis(), c.scoringMillis(),
					c.selectionMillis(), (c.scoringMillis() + c.selectionMillis()) / c.prefillMillis(), c.ttftMillis(),
					c.decodeMillisPerToken(), c.decodeSpeedup(), c.speedupLimit(), c.endToEndMillis(),
					c.endToEndSpeedup(), c.kvBytesBefore(), c.kvBytesAfter(), c.retainedRatio(), c.peakRssBytes(),
					c.bytesPerStep(), c.floorMillis(), c.bandwidth()));
		}
		return sb.toString();
	}

	private static String markdown(List<BenchmarkCell> cells, double bandwidth, int runs, int tokens, String weights) {
		StringBuilder sb = new StringBuilder();
		sb.append(String.format(Locale.ROOT,
				"Machine: %d cores, %s, Java %s; %s; float32 activations, %s decoder weights; medians of %d interleaved "
						+ "runs after one warm-up; %d decoded tokens per run.%n%n",
				Runtime.getRuntime().availableProcessors(), System.getProperty("os.arch"),
				System.getProperty("java.version"),
				MemoryBandwidth.describe(bandwidth, cells.stream().mapToDouble(BenchmarkCell::bandwidth), "floor"),
				weights, runs, tokens));
		sb.append("| shape | prompt | policy | budget | prefill ms | scoring+selection ms (% prefill) | TTFT ms "
				+ "| decode ms/token | floor ms/token (GB/s) | x floor | decode speed-up | limit | e2e ms (speed-up) "
				+ "| KV MB before → after | peak RSS MB |\n");
		sb.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
		for (BenchmarkCell c : cells) {
			double overhead = c.scoringMillis() + c.selectionMillis();
			sb.append(String.format(Locale.ROOT,
					"| %s | %d | %s | %.0f%% | %.0f | %.1f (%.2f%%) | %.0f | %.1f | %.1f (%.1f) | %.2fx | %.2fx | %.2fx | %.0f (%.2fx) | %.1f → %.1f | %.0f |%n",
					c.shape(), c.promptTokens(), c.policy(), c.budget() * 100, c.prefillMillis(), overhead,
					100 * overhead / c.prefillMillis(), c.ttftMillis(), c.decodeMillisPerToken(), c.floorMillis(),
					c.bandwidth() / 1e9,
					c.decodeMillisPerToken() / c.floorMillis(),
					c.decodeSpeedup(), c.speedupLimit(), c.endToEndMillis(), c.endToEndSpeedup(),
					c.kvBytesBefore() / 1e6, c.kvBytesAfter() / 1e6, c.peakRssBytes() / 1e6));
		}
		sb.append("\n").append(targets(cells));
		return sb.toString();
	}

	/** The targets, each with the cells that miss it. */
	static String targets(List<BenchmarkCell> cells) {
		List<String> kv = new ArrayList<>();
		List<String> scoring = new ArrayList<>();
		List<String> speedup = new ArrayList<>();
		List<String> floor = new ArrayList<>();
		List<String> nearFloor = new ArrayList<>();
		int kvChecked = 0;
		int scoringChecked = 0;
		int speedupChecked = 0;
		int floorChecked = 0;
		for (BenchmarkCell c : cells) {
			String id = c.shape() + " n=" + c.promptTokens() + " " + c.policy() + " " + Math.round(c.budget() * 100) + "%";
			if (!c.policy().equals("full")) {
				kvChecked++;
				double target = c.budget() * c.kvBytesBefore();
				if (Math.abs(c.kvBytesAfter() - target) > 0.02 * target) {
					kv.add(String.format(Locale.ROOT, "%s (%.3f of the full cache)", id, c.retainedRatio()));
				}
			}
			if (c.promptTokens() >= 2880 && !c.policy().equals("full") && !c.policy().equals("streaming-llm")) {
				scoringChecked++;
				double share = (c.scoringMillis() + c.selectionMillis()) / c.prefillMillis();
				if (share > 0.05) {
					scoring.add(String.format(Locale.ROOT, "%s (%.1f%%)", id, share * 100));
				}
			}
			if (c.promptTokens() >= 2880 && c.budget() == 0.1) {
				speedupChecked++;
				if (c.decodeSpeedup() < 0.8 * c.speedupLimit()) {
					speedup.add(String.format(Locale.ROOT, "%s (%.2fx of %.2fx allowed)", id, c.decodeSpeedup(),
							c.speedupLimit()));
				}
			}
			if (c.policy().equals("full") && !TOY_SHAPES.contains(c.shape())) {
				floorChecked++;
				double ratio = c.decodeMillisPerToken() / c.floorMillis();
				if (ratio > 1.5) {
					floor.add(String.format(Locale.ROOT, "%s (%.2fx the floor)", id, ratio));
				}
				if (ratio > 1.3) {
					nearFloor.add(String.format(Locale.ROOT, "%s (%.2fx the floor)", id, ratio));
				}
			}
		}
		StringBuilder sb = new StringBuilder("Targets:\n\n");
		line(sb, "KV bytes after compression within 2% of budget x full cache", kvChecked, kv);
		line(sb, "scoring + selection at most 5% of prefill (prompts >= 2880)", scoringChecked, scoring);
		line(sb, "decode speed-up at 10% at least 80% of the bytes-read limit (prompts >= 2880)", speedupChecked, speedup);
		line(sb, "full-cache decode step within 1.5x of the bandwidth floor (realistic shapes)", floorChecked, floor);
		// The decoding-at-the-floor issue tightened the benchmark issue's 1.5x.
		line(sb, "full-cache decode step within 1.3x of the bandwidth floor (realistic shapes)", floorChecked, nearFloor);
		return sb.toString();
	}

	private static void line(StringBuilder sb, String target, int checked, List<String> misses) {
		sb.append("- ").append(target).append(": ");
		if (checked == 0) {
			sb.append("no cell to check\n");
		}
		else if (misses.isEmpty()) {
			sb.append("met in all ").append(checked).append(" cells\n");
		}
		else {
			sb.append("missed in ").append(misses.size()).append(" of ").append(checked).append(" cells: ")
				.append(String.join("; ", misses)).append('\n');
		}
	}

	/** Decode speed-up of VL-Cache against prompt length, one panel per shape, one line per budget. */
	private static void chart(Path file, List<BenchmarkCell> cells) throws IOException {
		Set<String> shapes = new LinkedHashSet<>();
		cells.forEach(c -> shapes.add(c.shape()));
		shapes.removeAll(TOY_SHAPES);
		ChartPanel.writeChart(file, shapes, 520, 380, (g, x0, w, h, shape) -> drawPanel(g, x0, w, h, shape, cells));
	}

	private static void drawPanel(Graphics2D g, int x0, int w, int h, String shape, List<BenchmarkCell> all) {
		TreeSet<Integer> lengths = new TreeSet<>();
		double maxY = 1.2;
		Map<Double, Map<Integer, double[]>> series = new LinkedHashMap<>();
		for (BenchmarkCell c : all) {
			if (!c.shape().equals(shape) || !c.policy().equals("vl-cache")) {
				continue;
			}
			lengths.add(c.promptTokens());
			series.computeIfAbsent(c.budget(), k -> new LinkedHashMap<>())
				.put(c.promptTokens(), new double[] { c.decodeSpeedup(), c.speedupLimit() });
			maxY = Math.max(maxY, Math.max(c.decodeSpeedup(), c.speedupLimit()) * 1.1);
		}
		List<Integer> xs = new ArrayList<>(lengths);
		ChartPanel panel = new ChartPanel(g, x0, w, h, "VL-Cache decode speed-up vs full cache: " + shape, xs,
				"prompt tokens", maxY, "%.2fx");
		int k = 0;
		for (Map.Entry<Double, Map<Integer, double[]>> e : series.entrySet()) {
			Color color = COLORS[k % COLORS.length];
			for (int which = 0; which < 2; which++) {
				double[] values = new double[xs.size()];
				for (int i = 0; i < xs.size(); i++) {
					double[] v = e.getValue().get(xs.get(i));
					values[i] = v == null ? Double.NaN : v[which];
				}
				panel.line(color, values, which == 1);
			}
			panel.legend(k, color, String.format(Locale.ROOT, "budget %.0f%% (dashed: limit)", e.getKey() * 100), false);
			k++;
		}
	}

}
