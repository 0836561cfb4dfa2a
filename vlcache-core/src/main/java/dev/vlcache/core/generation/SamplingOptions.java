package dev.vlcache.core.generation;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * How tokens are chosen and when generation stops. A temperature of 0 means greedy decoding.
 *
 * @param temperature softmax temperature, {@code >= 0}; 0 is greedy
 * @param topK keep only the k most likely tokens, 0 for no limit
 * @param topP keep the smallest set of tokens whose probability reaches p, in (0, 1]
 * @param seed random seed for sampling, or {@code null} for a random one
 * @param maxNewTokens most tokens to generate, {@code >= 1}
 * @param stop strings that end generation when they appear in the output (not included in it)
 * @param stopOnEos whether the model's end-of-sequence tokens end generation
 */
public record SamplingOptions(double temperature, int topK, double topP, @Nullable Long seed, int maxNewTokens,
		List<String> stop, boolean stopOnEos) {

	public static final SamplingOptions GREEDY = builder().build();

	public SamplingOptions {
		if (!(temperature >= 0) || Double.isInfinite(temperature)) {
			throw new IllegalArgumentException("temperature " + temperature + " is out of range; expected >= 0");
		}
		if (topK < 0) {
			throw new IllegalArgumentException("top-k " + topK + " is out of range; expected >= 0 (0 = no limit)");
		}
		if (!(topP > 0 && topP <= 1)) {
			throw new IllegalArgumentException("top-p " + topP + " is out of range; expected (0, 1]");
		}
		if (maxNewTokens < 1) {
			throw new IllegalArgumentException("max-tokens " + maxNewTokens + " is out of range; expected >= 1");
		}
		stop = List.copyOf(stop);
		for (String s : stop) {
			if (s.isEmpty()) {
				throw new IllegalArgumentException("stop strings must not be empty");
			}
		}
	}

	public static Builder builder() {
		return new Builder();
	}

	public Builder mutate() {
		return new Builder().temperature(this.temperature).topK(this.topK).topP(this.topP).seed(this.seed)
			.maxNewTokens(this.maxNewTokens).stop(this.stop).stopOnEos(this.stopOnEos);
	}

	/** Builder; defaults: greedy, 256 new tokens, stop on EOS. */
	public static final class Builder {

		private double temperature = 0;

		private int topK = 0;

		private double topP = 1.0;

		private @Nullable Long seed;

		private int maxNewTokens = 256;

		private List<String> stop = List.of();

		private boolean stopOnEos = true;

		public Builder temperature(double temperature) {
			this.temperature = temperature;
			return this;
		}

		public Builder topK(int topK) {
			this.topK = topK;
			return this;
		}

		public Builder topP(double topP) {
			this.topP = topP;
			return this;
		}

		public Builder seed(@Nullable Long seed) {
			this.seed = seed;
			return this;
		}

		public Builder maxNewTokens(int maxNewTokens) {
			this.maxNewTokens = maxNewTokens;
			return this;
		}

		public Builder stop(List<String> stop) {
			this.stop = stop;
			return this;
		}

		public Builder stopOnEos(boolean stopOnEos) {
			this.stopOnEos = stopOnEos;
			return this;
		}

		public SamplingOptions build() {
			return new SamplingOptions(this.temperature, this.topK, this.topP, this.seed, this.maxNewTokens, this.stop,
					this.stopOnEos);
		}

	}

}
