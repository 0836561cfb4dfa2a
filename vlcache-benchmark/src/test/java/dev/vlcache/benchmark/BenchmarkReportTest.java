package dev.vlcache.benchmark;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The figures the harness derives from its measurements, and its verdict on the targets. */
class BenchmarkReportTest {

	/** 1 GB of weights, 100 MB of KV cache before compression, a machine streaming 10 GB/s. */
	private static final long WEIGHTS = 1_000_000_000L;

	private static final long KV = 100_000_000L;

	private static final double BANDWIDTH = 10e9;

	/** A cell at 2885 tokens; the full cache decodes at 150 ms a step and ends in 20 s. */
	private static BenchmarkCell cell(String shape, String policy, double budget, double decodeMillis, long kvAfter,
			double scoringMillis) {
		return new BenchmarkCell(shape, 2885, policy, budget, 1000, scoringMillis, 1, 1000 + scoringMillis + 1,
				decodeMillis, 1000 + scoringMillis + 1 + 99 * decodeMillis, KV, kvAfter, 3_000_000_000L, WEIGHTS,
				BANDWIDTH, 150, 20_000);
	}

	@Test
	void theLimitIsTheBytesAStepReadsOverTheBandwidth() {
		BenchmarkCell full = cell("qwen2-0.5b", "full", 1, 150, KV, 0);
		BenchmarkCell tenth = cell("qwen2-0.5b", "vl-cache", 0.1, 120, KV / 10, 10);
		assertThat(full.floorMillis()).isCloseTo(110, within(1e-9));
		assertThat(tenth.bytesPerStep()).isEqualTo(WEIGHTS + KV / 10);
		assertThat(tenth.floorMillis()).isCloseTo(101, within(1e-9));
		// Reading 1.01 GB instead of 1.1 GB can make a step 1.1 / 1.01 faster at most.
		assertThat(tenth.speedupLimit()).isCloseTo(1.1 / 1.01, within(1e-12));
		assertThat(tenth.decodeSpeedup()).isCloseTo(1.25, within(1e-12));
		assertThat(tenth.retainedRatio()).isCloseTo(0.1, within(1e-12));
		assertThat(full.speedupLimit()).isEqualTo(1);
	}

	@Test
	void eachTargetNamesTheCellsThatMissIt() {
		List<BenchmarkCell> cells = List.of(cell("qwen2-0.5b", "full", 1, 150, KV, 0),
				cell("qwen2-0.5b", "vl-cache", 0.1, 140, KV / 10, 10),
				// 3% more than the budget, scoring at 6% of prefill, slower than the full cache.
				cell("qwen2-0.5b", "h2o", 0.1, 190, KV / 10 * 103 / 100, 59),
				// A toy shape has no floor to meet, however slow its step.
				cell("demo", "full", 1, 400, KV, 0));
		String targets = BenchmarkReport.targets(cells);
		assertThat(targets)
			.contains("within 2% of budget x full cache: missed in 1 of 2 cells: qwen2-0.5b n=2885 h2o 10% (0.103 of")
			.contains("at most 5% of prefill (prompts >= 2880): missed in 1 of 2 cells: qwen2-0.5b n=2885 h2o 10% (6.0%)")
			.contains("at least 80% of the bytes-read limit (prompts >= 2880): missed in 1 of 2 cells: "
					+ "qwen2-0.5b n=2885 h2o 10% (0.79x of 1.09x allowed)")
			.contains("within 1.5x of the bandwidth floor (realistic shapes): met in all 1 cells")
			// 150 ms against a 110 ms floor: within the benchmark issue's 1.5x, not the decoding issue's 1.3x.
			.contains("within 1.3x of the bandwidth floor (realistic shapes): missed in 1 of 1 cells: "
					+ "qwen2-0.5b n=2885 full 100% (1.36x the floor)");

		BenchmarkCell slow = new BenchmarkCell("qwen2-0.5b", 2885, "full", 1, 1000, 0, 0, 1000, 180, 18_820, KV, KV,
				0, WEIGHTS, BANDWIDTH, 180, 18_820);
		assertThat(BenchmarkReport.targets(List.of(slow)))
			.contains("within 1.5x of the bandwidth floor (realistic shapes): missed in 1 of 1 cells: "
					+ "qwen2-0.5b n=2885 full 100% (1.64x the floor)")
			.contains("within 1.3x of the bandwidth floor (realistic shapes): missed in 1 of 1 cells: "
					+ "qwen2-0.5b n=2885 full 100% (1.64x the floor)")
			.contains("within 2% of budget x full cache: no cell to check");
	}

	@Test
	void eachCellsFloorIsAtTheBandwidthProbedBeforeItsOwnRuns(@TempDir Path dir) throws IOException {
		BenchmarkCell full = cell("qwen2-0.5b", "full", 1, 150, KV, 0);
		// Probed at 5 GB/s while the machine's neighbours were busy: the same bytes allow a step twice as long.
		BenchmarkCell tenth = new BenchmarkCell("qwen2-0.5b", 2885, "vl-cache", 0.1, 1000, 10, 1, 1011, 120, 12_891, KV,
				KV / 10, 3_000_000_000L, WEIGHTS, 5e9, 150, 20_000);
		assertThat(tenth.floorMillis()).isCloseTo(202, within(1e-9));
		assertThat(full.floorMillis()).isCloseTo(110, within(1e-9));
		BenchmarkReport.write(dir, "quick", List.of(full, tenth), 20e9, 1, 8);
		String md = Files.readString(dir.resolve("results-quick.md"));
		assertThat(md).contains("20.0 GB/s at the start, 5.0-10.0 GB/s in the probes before each cell's timed runs")
			.contains("| 150.0 | 110.0 (10.0) | 1.36x |")
			.contains("| 120.0 | 202.0 (5.0) | 0.59x |");
	}

	@Test
	void writesTableCsvAndAChartOfTheRealisticShapes(@TempDir Path dir) throws IOException {
		List<BenchmarkCell> cells = List.of(cell("qwen2-0.5b", "full", 1, 150, KV, 0),
				cell("qwen2-0.5b", "vl-cache", 0.1, 120, KV / 10, 10), cell("demo", "full", 1, 3, KV, 0));
		BenchmarkReport.write(dir, "quick", cells, BANDWIDTH, 2, 8);
		List<String> csv = Files.readAllLines(dir.resolve("results-quick.csv"));
		assertThat(csv).hasSize(4);
		assertThat(csv.get(2)).startsWith("qwen2-0.5b,2885,vl-cache,0.10,").contains(",100000000,10000000,0.10000,");
		String md = Files.readString(dir.resolve("results-quick.md"));
		assertThat(md).contains("10.0 GB/s at the start, 10.0-10.0 GB/s in the probes")
			.contains("| qwen2-0.5b | 2885 | vl-cache | 10% | 1000 | 11.0 (1.10%) |")
			.contains("| 120.0 | 101.0 (10.0) | 1.19x | 1.25x | 1.09x |")
			.contains("Targets:");
		BufferedImage chart = ImageIO.read(dir.resolve("speedup-quick.png").toFile());
		assertThat(chart).isNotNull();
		// One panel: the demo model is not charted.
		assertThat(chart.getWidth()).isLessThan(2 * chart.getHeight());
	}

}
