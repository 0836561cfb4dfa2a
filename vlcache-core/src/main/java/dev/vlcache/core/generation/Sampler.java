package dev.vlcache.core.generation;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Picks the next token from logits: greedy, or temperature with top-k and top-p filtering, seeded. */
public final class Sampler {

	private final SamplingOptions options;

	private final SplittableRandom random;

	public Sampler(SamplingOptions options) {
		this.options = options;
		Long seed = options.seed();
		this.random = seed != null ? new SplittableRandom(seed) : new SplittableRandom();
	}

	public int next(float[] logits) {
		if (this.options.temperature() == 0) {
			return argmax(logits);
		}
		int v = logits.length;
		Integer[] order = new Integer[v];
		for (int i = 0; i < v; i++) {
			order[i] = i;
		}
		Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
		int keep = this.options.topK() > 0 ? Math.min(this.options.topK(), v) : v;
		double max = logits[order[0]];
		double[] probs = new double[keep];
		double total = 0;
		for (int i = 0; i < keep; i++) {
			probs[i] = Math.exp((logits[order[i]] - max) / this.options.temperature());
			total += probs[i];
		}
		// Nucleus: the smallest prefix of the sorted tokens whose mass reaches top-p.
		double cumulative = 0;
		int nucleus = keep;
		for (int i = 0; i < keep; i++) {
			cumulative += probs[i] / total;
			if (cumulative >= this.options.topP()) {
				nucleus = i + 1;
				break;
			}
		}
		double mass = 0;
		for (int i = 0; i < nucleus; i++) {
			mass += probs[i];
		}
		double r = this.random.nextDouble() * mass;
		for (int i = 0; i < nucleus; i++) {
			r -= probs[i];
			if (r <= 0) {
				return order[i];
			}
		}
		return order[nucleus - 1];
	}

	public static int argmax(float[] logits) {
		int best = 0;
		for (int i = 1; i < logits.length; i++) {
			if (logits[i] > logits[best]) {
				best = i;
			}
		}
		return best;
	}

}
