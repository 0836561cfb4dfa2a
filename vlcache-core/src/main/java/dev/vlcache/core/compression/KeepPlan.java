package dev.vlcache.core.compression;

import org.jspecify.annotations.Nullable;

/**
 * What each layer keeps after prefill.
 *
 * @param kept per layer, the ascending prompt positions to keep
 * @param budgets per layer, the planned budget (the kept count)
 * @param sparsity per layer, γ of the observed window, or NaN when the policy does not measure it
 * @param scoringWindow the number of query rows that scored tokens (0 when none)
 * @param scoringNanos time spent reducing attention rows into scores and sparsity during prefill
 * @param scores per layer, the token scores the selection used (before any smoothing), or {@code null} for
 * policies that score nothing
 */
public record KeepPlan(int[][] kept, int[] budgets, double[] sparsity, int scoringWindow, long scoringNanos,
		double @Nullable [][] scores) {

	/** Keeps everything: the {@code full} policy. */
	public static KeepPlan keepAll(int n, int numLayers) {
		int[][] kept = new int[numLayers][];
		int[] budgets = new int[numLayers];
		double[] sparsity = new double[numLayers];
		int[] all = java.util.stream.IntStream.range(0, n).toArray();
		for (int l = 0; l < numLayers; l++) {
			kept[l] = all;
			budgets[l] = n;
			sparsity[l] = Double.NaN;
		}
		return new KeepPlan(kept, budgets, sparsity, 0, 0, null);
	}

}
