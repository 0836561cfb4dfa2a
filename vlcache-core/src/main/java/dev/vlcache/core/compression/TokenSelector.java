package dev.vlcache.core.compression;

import java.util.Arrays;
import java.util.stream.IntStream;

/** Which prompt positions a layer keeps, given its budget; every result is ascending. */
public final class TokenSelector {

	private TokenSelector() {
	}

	/**
	 * The last {@code min(window, budget)} positions, then the highest-scoring other positions up to the budget
	 * (ties go to the earlier position).
	 */
	public static int[] windowAndTopScores(double[] scores, int n, int budget, int window) {
		int b = Math.min(budget, n);
		int recent = Math.min(window, b);
		boolean[] keep = new boolean[n];
		for (int i = n - recent; i < n; i++) {
			keep[i] = true;
		}
		addTop(scores, keep, n - recent, b - recent);
		return toIndices(keep);
	}

	/** The first {@code min(sinks, budget)} positions (attention sinks) and the most recent ones. */
	public static int[] sinksAndRecent(int n, int budget, int sinks) {
		int b = Math.min(budget, n);
		int first = Math.min(sinks, b);
		boolean[] keep = new boolean[n];
		for (int i = 0; i < first; i++) {
			keep[i] = true;
		}
		for (int i = n - (b - first); i < n; i++) {
			keep[i] = true;
		}
		return toIndices(keep);
	}

	/** H2O: {@code ceil(b/2)} most recent positions and {@code floor(b/2)} heavy hitters by score. */
	public static int[] recentAndHeavyHitters(double[] scores, int n, int budget) {
		int b = Math.min(budget, n);
		int recent = b - b / 2;
		boolean[] keep = new boolean[n];
		for (int i = n - recent; i < n; i++) {
			keep[i] = true;
		}
		addTop(scores, keep, n - recent, b - recent);
		return toIndices(keep);
	}

	/** 1-D max-pool of width {@code kernel}, stride 1, same length (SnapKV's smoothing). */
	public static double[] maxPool(double[] scores, int kernel) {
		int half = kernel / 2;
		double[] out = new double[scores.length];
		for (int i = 0; i < scores.length; i++) {
			double m = Double.NEGATIVE_INFINITY;
			for (int j = Math.max(0, i - half); j <= Math.min(scores.length - 1, i + half); j++) {
				m = Math.max(m, scores[j]);
			}
			out[i] = m;
		}
		return out;
	}

	/** Marks the {@code count} best-scoring positions among {@code [0, limit)}. */
	private static void addTop(double[] scores, boolean[] keep, int limit, int count) {
		if (count <= 0) {
			return;
		}
		Integer[] candidates = IntStream.range(0, limit).boxed().toArray(Integer[]::new);
		Arrays.sort(candidates, (a, b) -> {
			int c = Double.compare(scores[b], scores[a]);
			return c != 0 ? c : Integer.compare(a, b);
		});
		for (int i = 0; i < Math.min(count, candidates.length); i++) {
			keep[candidates[i]] = true;
		}
	}

	private static int[] toIndices(boolean[] keep) {
		return IntStream.range(0, keep.length).filter(i -> keep[i]).toArray();
	}

}
