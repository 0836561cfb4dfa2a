package dev.vlcache.core.compression;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.vlcache.core.tokenizer.PromptLayout;

import static org.assertj.core.api.Assertions.assertThat;

/** Policies on small hand-made attention matrices, fed the way the decoder feeds them. */
class PolicyTest {

	private static NDManager manager;

	/** Two heads, query rows 4 and 5 of a 6-token prompt; zeros right of the diagonal. */
	private static final float[][][] WINDOW = {
			{ { 0.5f, 0.004f, 0.1f, 0.2f, 0.196f, 0f }, { 0.3f, 0.3f, 0.001f, 0.1f, 0.1f, 0.199f } },
			{ { 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0f }, { 0.9f, 0f, 0f, 0f, 0f, 0.1f } } };

	/** Image tokens at 1..3, so the post-vision window is rows 4 and 5. */
	private static final PromptLayout LAYOUT = new PromptLayout(new boolean[] { false, true, true, true, false, false });

	@BeforeAll
	static void open() {
		manager = NDManager.newBaseManager("PyTorch");
	}

	@AfterAll
	static void close() {
		manager.close();
	}

	private static NDArray rows(float[][][] p, int fromRow, int toRow, int keys) {
		int heads = p.length;
		float[] flat = new float[heads * (toRow - fromRow) * keys];
		int o = 0;
		for (float[][] head : p) {
			for (int r = fromRow; r < toRow; r++) {
				for (int k = 0; k < keys; k++) {
					flat[o++] = head[r][k];
				}
			}
		}
		return manager.create(flat, new Shape(heads, toRow - fromRow, keys));
	}

	@Test
	void vlCacheSparsityScoresAndSelection() {
		CompressionRun run = CompressionPolicies.get("vl-cache").begin(LAYOUT,
				CompressionOptions.builder().budgetRatio(0.5).build(), 1);
		assertThat(run.firstObservedRow(6)).isEqualTo(4);
		run.onProbabilities(0, 4, rows(WINDOW, 0, 2, 6));
		KeepPlan plan = run.plan();
		// head 0: 1 of 5 + 1 of 6 entries below 1% of the row max; head 1: 0 of 5 + 4 of 6.
		assertThat(plan.sparsity()[0]).isCloseTo((2.0 / 11 + 4.0 / 11) / 2, Offset.offset(1e-9));
		assertThat(plan.budgets()).containsExactly(3);
		// the window (4, 5), then the best other score: position 0 (1.9)
		assertThat(plan.kept()[0]).containsExactly(0, 4, 5);
		assertThat(plan.scoringWindow()).isEqualTo(2);
	}

	@Test
	void rowsDeliveredInChunksGiveTheSameResult() {
		CompressionRun whole = CompressionPolicies.get("vl-cache").begin(LAYOUT,
				CompressionOptions.builder().budgetRatio(0.5).build(), 1);
		whole.onProbabilities(0, 4, rows(WINDOW, 0, 2, 6));
		CompressionRun chunked = CompressionPolicies.get("vl-cache").begin(LAYOUT,
				CompressionOptions.builder().budgetRatio(0.5).build(), 1);
		// A chunk ending at row 4 only sees keys 0..4.
		chunked.onProbabilities(0, 4, rows(WINDOW, 0, 1, 5));
		chunked.onProbabilities(0, 5, rows(WINDOW, 1, 2, 6));
		KeepPlan a = whole.plan();
		KeepPlan b = chunked.plan();
		assertThat(b.sparsity()[0]).isCloseTo(a.sparsity()[0], Offset.offset(1e-9));
		assertThat(b.kept()[0]).containsExactly(a.kept()[0]);
	}

	@Test
	void adaptiveGivesTheDenserLayerMoreBudget() {
		CompressionRun run = CompressionPolicies.get("vl-cache").begin(LAYOUT,
				CompressionOptions.builder().budgetRatio(0.5).build(), 2);
		run.onProbabilities(0, 4, rows(WINDOW, 0, 2, 6));
		float[][][] sparse = { { { 1f, 0, 0, 0, 0, 0 }, { 1f, 0, 0, 0, 0, 0 } }, { { 1f, 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0, 1f } } };
		run.onProbabilities(1, 4, rows(sparse, 0, 2, 6));
		KeepPlan plan = run.plan();
		assertThat(plan.sparsity()[1]).isGreaterThan(plan.sparsity()[0]);
		assertThat(plan.budgets()[0]).isGreaterThan(plan.budgets()[1]);
		assertThat(plan.budgets()[0] + plan.budgets()[1]).isEqualTo(6);
	}

	@Test
	void ratioOneEvictsNothing() {
		CompressionRun run = CompressionPolicies.get("vl-cache").begin(LAYOUT,
				CompressionOptions.builder().budgetRatio(1.0).build(), 1);
		run.onProbabilities(0, 4, rows(WINDOW, 0, 2, 6));
		assertThat(run.plan().kept()[0]).containsExactly(0, 1, 2, 3, 4, 5);
	}

	@Test
	void windowAsLongAsThePromptKeepsTheMostRecent() {
		CompressionRun run = CompressionPolicies.get("vl-cache").begin(LAYOUT,
				CompressionOptions.builder().budgetRatio(0.5).scoringWindow(ScoringWindow.of(6)).build(), 1);
		assertThat(run.firstObservedRow(6)).isZero();
		NDArray full = manager.create(new float[] { 1, 0, 0, 0, 0, 0, 0.5f, 0.5f, 0, 0, 0, 0, 0.2f, 0.3f, 0.5f, 0, 0, 0,
				0.1f, 0.1f, 0.1f, 0.7f, 0, 0, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.5f },
				new Shape(1, 6, 6));
		run.onProbabilities(0, 0, full);
		KeepPlan plan = run.plan();
		// budget 6 at m = n: the window (the whole prompt) is the floor
		assertThat(plan.budgets()).containsExactly(6);
		assertThat(plan.kept()[0]).hasSize(6);
	}

	@Test
	void promptWithoutImageUsesTheLast32Rows() {
		boolean[] text = new boolean[100];
		CompressionRun run = CompressionPolicies.get("vl-cache").begin(new PromptLayout(text),
				CompressionOptions.DEFAULT_VL_CACHE, 1);
		assertThat(run.firstObservedRow(100)).isEqualTo(68);
	}

	@Test
	void fullObservesNothingAndKeepsAll() {
		CompressionRun run = CompressionPolicies.get("full").begin(LAYOUT, CompressionOptions.FULL, 2);
		assertThat(run.firstObservedRow(6)).isEqualTo(6);
		assertThat(run.plan().kept()[1]).containsExactly(0, 1, 2, 3, 4, 5);
	}

	@Test
	void streamingLlmKeepsSinksAndRecent() {
		PromptLayout layout = new PromptLayout(new boolean[20]);
		CompressionRun run = CompressionPolicies.get("streaming-llm").begin(layout,
				CompressionOptions.builder().policy("streaming-llm").budgetRatio(0.4).build(), 1);
		assertThat(run.firstObservedRow(20)).isEqualTo(20);
		assertThat(run.plan().kept()[0]).containsExactly(0, 1, 2, 3, 16, 17, 18, 19);
	}

	@Test
	void h2oSumsAllRowsForHeavyHitters() {
		PromptLayout layout = new PromptLayout(new boolean[4]);
		CompressionRun run = CompressionPolicies.get("h2o").begin(layout,
				CompressionOptions.builder().policy("h2o").budgetRatio(0.5).build(), 1);
		assertThat(run.firstObservedRow(4)).isZero();
		NDArray p = manager.create(new float[] { 1, 0, 0, 0, 0.1f, 0.9f, 0, 0, 0.1f, 0.8f, 0.1f, 0, 0.1f, 0.6f, 0.1f, 0.2f },
				new Shape(1, 4, 4));
		run.onProbabilities(0, 0, p);
		// budget 2: one recent (3) and one heavy hitter (1: 2.3 beats 0: 1.3)
		assertThat(run.plan().kept()[0]).containsExactly(1, 3);
	}

	@Test
	void snapKvAndPyramidKvUseA32RowWindowAndPooledScores() {
		int n = 100;
		PromptLayout layout = new PromptLayout(new boolean[n]);
		CompressionOptions options = CompressionOptions.builder().policy("snapkv").budgetRatio(0.4).build();
		CompressionRun snap = CompressionPolicies.get("snapkv").begin(layout, options, 3);
		CompressionRun pyramid = CompressionPolicies.get("pyramidkv").begin(layout, options.mutate().policy("pyramidkv").build(), 3);
		assertThat(snap.firstObservedRow(n)).isEqualTo(68);
		float[] rows = new float[32 * n];
		for (int r = 0; r < 32; r++) {
			rows[r * n + 10] = 0.5f; // every window row looks at position 10
			rows[r * n + 68 + r] = 0.5f;
		}
		NDArray p = manager.create(rows, new Shape(1, 32, n));
		for (int l = 0; l < 3; l++) {
			snap.onProbabilities(l, 68, p);
			pyramid.onProbabilities(l, 68, p);
		}
		KeepPlan s = snap.plan();
		KeepPlan py = pyramid.plan();
		assertThat(s.budgets()).containsExactly(40, 40, 40);
		assertThat(py.budgets()).containsExactly(48, 40, 32);
		// the 32-row window, then position 10 and its pooled neighbours 7..13
		assertThat(s.kept()[0]).contains(7, 8, 9, 10, 11, 12, 13).contains(68, 99);
		assertThat(py.kept()[2]).hasSize(32).contains(68, 99).doesNotContain(10);
	}

	@Test
	void compressorShrinksTheCacheToTheKeptEntries() {
		try (NDManager scope = manager.newSubManager()) {
			dev.vlcache.core.kv.KvCache cache = new dev.vlcache.core.kv.KvCache(scope, 1, 2, 4,
					ai.djl.ndarray.types.DataType.FLOAT32, 6);
			NDArray k = scope.arange(0f, 48f).reshape(2, 6, 4);
			cache.layer(0).append(k, k.mul(-1), 0);
			CompressionRun run = CompressionPolicies.get("vl-cache").begin(LAYOUT,
					CompressionOptions.builder().budgetRatio(0.5).build(), 1);
			run.onProbabilities(0, 4, rows(WINDOW, 0, 2, 6));
			CompressionReport report = CacheCompressor.apply(cache, run, "vl-cache", CompressionOptions.DEFAULT_VL_CACHE,
					LAYOUT, 4);
			assertThat(report.kvBytesBefore()).isEqualTo(2L * 2 * 6 * 4 * 4);
			assertThat(report.kvBytesAfter()).isEqualTo(2L * 2 * 3 * 4 * 4);
			assertThat(report.retainedRatio()).isEqualTo(0.5);
			assertThat(cache.layer(0).positions()).containsExactly(0, 4, 5);
			assertThat(report.layers().get(0).keptImageTokens()).isZero();
			assertThat(report.layers().get(0).keptTextTokens()).isEqualTo(3);
			// Kept rows are the original ones, in order; appending continues after them.
			float[] kept = cache.layer(0).keys(scope).get(new NDIndex("0")).toFloatArray();
			assertThat(kept).containsExactly(0, 1, 2, 3, 16, 17, 18, 19, 20, 21, 22, 23);
			cache.layer(0).append(scope.ones(new Shape(2, 1, 4)), scope.ones(new Shape(2, 1, 4)), 6);
			assertThat(cache.layer(0).length()).isEqualTo(4);
			assertThat(cache.layer(0).capacity()).isEqualTo(7);
			assertThat(cache.layer(0).positions()).containsExactly(0, 4, 5, 6);
		}
	}

}
