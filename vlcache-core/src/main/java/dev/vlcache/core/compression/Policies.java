package dev.vlcache.core.compression;

import java.util.Arrays;

import dev.vlcache.core.tokenizer.PromptLayout;

/** The built-in policies of {@code docs/compression.md}: VL-Cache and its baselines. */
final class Policies {

	/** Attention sinks kept by StreamingLLM. */
	static final int SINK_TOKENS = 4;

	/** SnapKV's observation window. */
	static final int SNAPKV_WINDOW = 32;

	/** SnapKV's max-pool width. */
	static final int SNAPKV_POOL = 7;

	private Policies() {
	}

	/** Keeps every entry. */
	static final class Full implements CompressionPolicy {

		@Override
		public String name() {
			return "full";
		}

		@Override
		public CompressionRun begin(PromptLayout prompt, CompressionOptions options, int numLayers) {
			return new PlanOnlyRun(() -> KeepPlan.keepAll(prompt.length(), numLayers));
		}

	}

	/** VL-Cache: sparsity-aware budgets filled by post-vision attention scores. */
	static final class VlCache implements CompressionPolicy {

		@Override
		public String name() {
			return "vl-cache";
		}

		@Override
		public CompressionRun begin(PromptLayout prompt, CompressionOptions options, int numLayers) {
			int n = prompt.length();
			int w = options.scoringWindow().resolve(prompt);
			AttentionStatistics stats = new AttentionStatistics(numLayers, n, n - w, options.sparsityThreshold(), true);
			return new StatisticsRun(stats, s -> {
				double[] gamma = s.sparsities();
				int m = BudgetAllocator.minimum(n, w);
				double alpha = options.budgetRatio();
				int[] budgets = switch (options.allocation()) {
					case ADAPTIVE -> BudgetAllocator.adaptive(alpha, n, gamma, m);
					case UNIFORM -> BudgetAllocator.uniform(alpha, n, numLayers, m);
					case HYBRID -> BudgetAllocator.hybrid(alpha, n, gamma, m, options.hybridUniformShare());
				};
				int[][] kept = new int[numLayers][];
				for (int l = 0; l < numLayers; l++) {
					kept[l] = TokenSelector.windowAndTopScores(s.scores(l), n, budgets[l], w);
				}
				return new KeepPlan(kept, budgets, gamma, w, s.nanos(), s.allScores());
			});
		}

	}

	/** StreamingLLM: attention sinks and the most recent positions, uniform budget. */
	static final class StreamingLlm implements CompressionPolicy {

		@Override
		public String name() {
			return "streaming-llm";
		}

		@Override
		public CompressionRun begin(PromptLayout prompt, CompressionOptions options, int numLayers) {
			int n = prompt.length();
			return new PlanOnlyRun(() -> {
				int[] budgets = BudgetAllocator.uniform(options.budgetRatio(), n, numLayers, BudgetAllocator.minimum(n, 1));
				int[][] kept = new int[numLayers][];
				for (int l = 0; l < numLayers; l++) {
					kept[l] = TokenSelector.sinksAndRecent(n, budgets[l], SINK_TOKENS);
				}
				return new KeepPlan(kept, budgets, nanArray(numLayers), 0, 0, null);
			});
		}

	}

	/** H2O: recent positions and heavy hitters by attention summed over all prompt rows, uniform budget. */
	static final class H2o implements CompressionPolicy {

		@Override
		public String name() {
			return "h2o";
		}

		@Override
		public CompressionRun begin(PromptLayout prompt, CompressionOptions options, int numLayers) {
			int n = prompt.length();
			AttentionStatistics stats = new AttentionStatistics(numLayers, n, 0, options.sparsityThreshold(), false);
			return new StatisticsRun(stats, s -> {
				int[] budgets = BudgetAllocator.uniform(options.budgetRatio(), n, numLayers, BudgetAllocator.minimum(n, 1));
				int[][] kept = new int[numLayers][];
				for (int l = 0; l < numLayers; l++) {
					kept[l] = TokenSelector.recentAndHeavyHitters(s.scores(l), n, budgets[l]);
				}
				return new KeepPlan(kept, budgets, nanArray(numLayers), n, s.nanos(), s.allScores());
			});
		}

	}

	/** SnapKV (uniform budgets) and PyramidKV (pyramid budgets): window of 32, max-pooled window scores. */
	static final class SnapKv implements CompressionPolicy {

		private final boolean pyramid;

		SnapKv(boolean pyramid) {
			this.pyramid = pyramid;
		}

		@Override
		public String name() {
			return this.pyramid ? "pyramidkv" : "snapkv";
		}

		@Override
		public CompressionRun begin(PromptLayout prompt, CompressionOptions options, int numLayers) {
			int n = prompt.length();
			int w = Math.min(SNAPKV_WINDOW, n);
			AttentionStatistics stats = new AttentionStatistics(numLayers, n, n - w, options.sparsityThreshold(), true);
			return new StatisticsRun(stats, s -> {
				int m = BudgetAllocator.minimum(n, w);
				int[] budgets = this.pyramid ? BudgetAllocator.pyramid(options.budgetRatio(), n, numLayers, m)
						: BudgetAllocator.uniform(options.budgetRatio(), n, numLayers, m);
				int[][] kept = new int[numLayers][];
				for (int l = 0; l < numLayers; l++) {
					double[] pooled = TokenSelector.maxPool(s.scores(l), SNAPKV_POOL);
					kept[l] = TokenSelector.windowAndTopScores(pooled, n, budgets[l], w);
				}
				return new KeepPlan(kept, budgets, s.sparsities(), w, s.nanos(), s.allScores());
			});
		}

	}

	static double[] nanArray(int n) {
		double[] a = new double[n];
		Arrays.fill(a, Double.NaN);
		return a;
	}

}
