package dev.vlcache.core.compression;

import java.util.Arrays;

/** Per-layer token budgets, exactly as {@code docs/compression.md} step 3 fixes them. */
public final class BudgetAllocator {

	private BudgetAllocator() {
	}

	/** The smallest budget a layer gets: {@code min(n, max(w, ceil(0.01 n)))}. */
	public static int minimum(int n, int window) {
		return Math.min(n, Math.max(window, (int) Math.ceil(0.01 * n)));
	}

	/** {@code floor(α n + 0.5)} clipped to [m, n] in every layer. */
	public static int[] uniform(double alpha, int n, int layers, int m) {
		int[] b = new int[layers];
		Arrays.fill(b, clip(round(alpha * n), m, n));
		return b;
	}

	/** Adaptive budgets: water-filled shares of {@code α L n} by density, rounded and clipped. */
	public static int[] adaptive(double alpha, int n, double[] sparsity, int m) {
		return roundAndClip(waterFill(alpha, n, sparsity, m), m, n);
	}

	/** {@code λ uniform + (1 − λ) adaptive}, combined before rounding. */
	public static int[] hybrid(double alpha, int n, double[] sparsity, int m, double lambda) {
		double[] adaptive = waterFill(alpha, n, sparsity, m);
		double uniform = Math.max(m, Math.min(n, alpha * n));
		double[] mixed = new double[adaptive.length];
		for (int l = 0; l < mixed.length; l++) {
			mixed[l] = lambda * uniform + (1 - lambda) * adaptive[l];
		}
		return roundAndClip(mixed, m, n);
	}

	/**
	 * PyramidKV's arithmetic decrease from the bottom layer to the top with the uniform total: the bottom layer
	 * gets {@code u + s}, the top {@code u − s}, with spread {@code s = min(u/2, n − u, u − m)}.
	 */
	public static int[] pyramid(double alpha, int n, int layers, int m) {
		double u = Math.max(m, Math.min(n, alpha * n));
		double spread = Math.max(0, Math.min(u / 2, Math.min(n - u, u - m)));
		double[] raw = new double[layers];
		for (int l = 0; l < layers; l++) {
			double t = layers == 1 ? 0 : (layers - 1 - 2.0 * l) / (layers - 1);
			raw[l] = u + spread * t;
		}
		return roundAndClip(raw, m, n);
	}

	/**
	 * Shares {@code T = α L n} in proportion to {@code d = max(1e-6, 1 − γ)}, keeping the total: layers whose share
	 * exceeds n are fixed at n, else those below m at m, and the remainder is shared again among the others.
	 */
	static double[] waterFill(double alpha, int n, double[] sparsity, int m) {
		int layers = sparsity.length;
		double[] density = new double[layers];
		for (int l = 0; l < layers; l++) {
			density[l] = Math.max(1e-6, 1 - sparsity[l]);
		}
		double[] budget = new double[layers];
		boolean[] fixed = new boolean[layers];
		double remainder = alpha * layers * n;
		while (true) {
			double densitySum = 0;
			for (int l = 0; l < layers; l++) {
				if (!fixed[l]) {
					densitySum += density[l];
				}
			}
			if (densitySum == 0) {
				return budget;
			}
			boolean anyAbove = false;
			boolean anyBelow = false;
			for (int l = 0; l < layers; l++) {
				if (!fixed[l]) {
					budget[l] = remainder * density[l] / densitySum;
					anyAbove |= budget[l] > n;
					anyBelow |= budget[l] < m;
				}
			}
			if (!anyAbove && !anyBelow) {
				return budget;
			}
			for (int l = 0; l < layers; l++) {
				if (fixed[l]) {
					continue;
				}
				if (anyAbove && budget[l] > n) {
					budget[l] = n;
					fixed[l] = true;
					remainder -= n;
				}
				else if (!anyAbove && budget[l] < m) {
					budget[l] = m;
					fixed[l] = true;
					remainder -= m;
				}
			}
		}
	}

	private static int[] roundAndClip(double[] raw, int m, int n) {
		int[] b = new int[raw.length];
		for (int l = 0; l < raw.length; l++) {
			b[l] = clip(round(raw[l]), m, n);
		}
		return b;
	}

	private static int round(double v) {
		return (int) Math.floor(v + 0.5);
	}

	private static int clip(int v, int lo, int hi) {
		return Math.max(lo, Math.min(hi, v));
	}

}
