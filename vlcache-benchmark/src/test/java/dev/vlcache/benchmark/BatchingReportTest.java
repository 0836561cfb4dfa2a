package dev.vlcache.benchmark;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vlcache.benchmark.BatchingBenchmark.Capacity;
import dev.vlcache.benchmark.BatchingBenchmark.Cell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The limits and verdicts the batching benchmark derives from its measurements. */
class BatchingReportTest {

	/** 1 GB of weights, 100 MB of KV per full sequence, 10 GB/s, 1 GFLOP a sequence at 100 GFLOP/s. */
	private static Cell cell(String policy, int b, double stepMillis) {
		return new Cell("qwen2-0.5b", policy, b, 2885, policy.equals("full") ? 100_000_000L : 10_000_000L, stepMillis,
				1_000_000_000L, 10e9, 1e9, 100e9);
	}

	@Test
	void theBytesReadLimitCountsTheWeightsOnceAndEverySequencesCache() {
		Cell full = cell("full", 16, 400);
		assertThat(full.aggregateTokensPerSecond()).isCloseTo(40, within(1e-9));
		// 1 GB + 16 x 100 MB = 2.6 GB at 10 GB/s: 260 ms for 16 tokens.
		assertThat(full.limitTokensPerSecond()).isCloseTo(16 / 0.26, within(1e-9));
		assertThat(full.computeLimitTokensPerSecond()).isCloseTo(100, within(1e-9));
	}

	@Test
	void vlCachesLimitAgainstTheFullCacheIsFromBytesWhateverEachCellsProbeRead() {
		Cell full = cell("full", 16, 400);
		// Probed at twice the bandwidth: its own limit doubles, the ratio of bytes read does not.
		Cell vl = new Cell("qwen2-0.5b", "vl-cache", 16, 2885, 10_000_000L, 300, 1_000_000_000L, 20e9, 1e9, 100e9);
		assertThat(vl.limitTokensPerSecond()).isCloseTo(16 / 0.058, within(1e-9));
		assertThat(BatchingReport.targets(List.of(full, vl), List.of()))
			.contains("VL-Cache 10% 1.33x the full cache's throughput, bytes-read limit 2.24x, so 59% of it");
	}

	@Test
	void admissionNeedsTheWholePromptFreeThenHoldsWhatCompressionKept() {
		// 1000 bytes, each needing 300 free and then holding 100: the k-th fits while 100 (k - 1) + 300 <= 1000.
		assertThat(BatchingBenchmark.admitted(1000, 300, 100)).isEqualTo(8);
		assertThat(BatchingBenchmark.admitted(1000, 300, 300)).isEqualTo(3);
		assertThat(BatchingBenchmark.admitted(299, 300, 100)).isZero();
	}

	@Test
	void targetsAreJudgedFromTheCells(@TempDir Path dir) throws Exception {
		List<Cell> cells = List.of(cell("full", 1, 100), cell("vl-cache", 1, 100), cell("full", 8, 150),
				cell("vl-cache", 8, 140), cell("full", 16, 400), cell("vl-cache", 16, 300));
		List<Capacity> capacities = List.of(new Capacity("qwen2-0.5b", "full", 2L << 30, 64, 29, 700),
				new Capacity("qwen2-0.5b", "vl-cache", 2L << 30, 64, 240, 3000));
		String targets = BatchingReport.targets(cells, capacities);
		// 8 / 0.15 = 53.3 tok/s against 10: 5.33x.
		assertThat(targets).contains("5.33x the batch-1 throughput (target >= 5x): met");
		// 1.33x measured; limits 16 / 0.26 and 16 / 0.116: 2.24x; 59%.
		assertThat(targets).contains("VL-Cache 10% 1.33x the full cache's throughput, bytes-read limit 2.24x, so 59% of it")
			.contains("missed");
		assertThat(targets).contains("runs 240 sequences at once, the full cache 29 (8.3x, target >= 8x): met");

		BatchingReport.write(dir, cells, capacities, List.of(), 10e9, 100e9, 12, 3, "int8");
		assertThat(Files.readString(dir.resolve("batching.csv")).lines()).hasSize(1 + 6 + 2);
		assertThat(Files.readString(dir.resolve("batching.md"))).contains("float32 activations, int8 decoder weights");
		BufferedImage chart = ImageIO.read(dir.resolve("batching.png").toFile());
		assertThat(chart.getWidth()).isEqualTo(560);
		BatchingReport.replot(dir);
		assertThat(ImageIO.read(dir.resolve("batching.png").toFile()).getWidth()).isEqualTo(560);
	}

}
