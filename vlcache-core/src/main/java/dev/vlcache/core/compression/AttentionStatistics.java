package dev.vlcache.core.compression;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Accumulates, per layer, what the policies derive from the observed prefill attention rows: token scores
 * (attention summed over the observed rows and all query heads) and layer sparsity (the share of causal entries
 * below {@code threshold x row max}, averaged over heads). Only Java arrays of length {@code n} are kept.
 */
final class AttentionStatistics {

	private final int n;

	private final int firstRow;

	private final double threshold;

	private final boolean withSparsity;

	private final double[][] scores;

	private final double[][] belowPerHead;

	private long nanos;

	AttentionStatistics(int numLayers, int n, int firstRow, double threshold, boolean withSparsity) {
		this.n = n;
		this.firstRow = firstRow;
		this.threshold = threshold;
		this.withSparsity = withSparsity;
		this.scores = new double[numLayers][n];
		this.belowPerHead = new double[numLayers][];
	}

	int firstRow() {
		return this.firstRow;
	}

	/** Adds rows {@code firstRow ..} of one layer: probabilities [heads, rows, keys]. */
	void accept(int layer, int rowStart, NDArray probabilities) {
		long start = System.nanoTime();
		NDArray p = probabilities.getDataType() == DataType.FLOAT32 ? probabilities
				: probabilities.toType(DataType.FLOAT32, false);
		int heads = (int) p.getShape().get(0);
		int rows = (int) p.getShape().get(1);
		int keys = (int) p.getShape().get(2);
		float[] columnSums = p.sum(new int[] { 0, 1 }).toFloatArray();
		double[] s = this.scores[layer];
		for (int j = 0; j < keys; j++) {
			s[j] += columnSums[j];
		}
		if (this.withSparsity) {
			NDArray rowMax = p.max(new int[] { 2 }, true);
			float[] below = p.lt(rowMax.mul(this.threshold)).toType(DataType.FLOAT32, false).sum(new int[] { 1, 2 })
				.toFloatArray();
			// Entries right of the diagonal are exact zeros and were counted; they are not causal entries.
			long nonCausal = 0;
			for (int r = 0; r < rows; r++) {
				nonCausal += keys - 1 - (rowStart + r);
			}
			double[] acc = this.belowPerHead[layer];
			if (acc == null) {
				acc = new double[heads];
				this.belowPerHead[layer] = acc;
			}
			for (int h = 0; h < heads; h++) {
				acc[h] += below[h] - nonCausal;
			}
		}
		this.nanos += System.nanoTime() - start;
	}

	double[] scores(int layer) {
		return this.scores[layer];
	}

	/** A copy of every layer's scores. */
	double[][] allScores() {
		double[][] copy = new double[this.scores.length][];
		for (int l = 0; l < copy.length; l++) {
			copy[l] = this.scores[l].clone();
		}
		return copy;
	}

	/** γ of a layer, or NaN when sparsity was not collected. */
	double sparsity(int layer) {
		double[] below = this.belowPerHead[layer];
		if (!this.withSparsity || below == null) {
			return Double.NaN;
		}
		long causal = 0;
		for (int i = this.firstRow; i < this.n; i++) {
			causal += i + 1;
		}
		double mean = 0;
		for (double b : below) {
			mean += b / causal;
		}
		return mean / below.length;
	}

	double[] sparsities() {
		double[] out = new double[this.scores.length];
		for (int l = 0; l < out.length; l++) {
			out[l] = sparsity(l);
		}
		return out;
	}

	long nanos() {
		return this.nanos;
	}

}
