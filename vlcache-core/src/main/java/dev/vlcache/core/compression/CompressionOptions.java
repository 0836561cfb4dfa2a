package dev.vlcache.core.compression;

/**
 * Per-request compression settings, validated on construction; an invalid value raises an error naming the
 * parameter and its valid range.
 *
 * @param policy policy name ({@code full}, {@code vl-cache}, {@code streaming-llm}, {@code h2o}, {@code snapkv},
 * {@code pyramidkv}, or a registered custom policy)
 * @param budgetRatio fraction of the prompt's KV cache kept, averaged over layers, in (0, 1]
 * @param scoringWindow the query rows that score tokens
 * @param sparsityThreshold an attention weight counts as non-zero when {@code >= threshold * row max}; in (0, 1)
 * @param allocation how VL-Cache shares the budget among layers
 * @param hybridUniformShare the uniform part λ of {@code hybrid} allocation, in [0, 1]
 */
public record CompressionOptions(String policy, double budgetRatio, ScoringWindow scoringWindow,
		double sparsityThreshold, Allocation allocation, double hybridUniformShare) {

	public static final CompressionOptions FULL = builder().policy("full").build();

	public static final CompressionOptions DEFAULT_VL_CACHE = builder().build();

	public CompressionOptions {
		if (policy == null || policy.isBlank()) {
			throw new IllegalArgumentException("policy must not be empty; expected one of " + CompressionPolicies.names());
		}
		if (!(budgetRatio > 0 && budgetRatio <= 1)) {
			throw new IllegalArgumentException("budget-ratio " + budgetRatio + " is out of range; expected (0, 1]");
		}
		if (!(sparsityThreshold > 0 && sparsityThreshold < 1)) {
			throw new IllegalArgumentException(
					"sparsity-threshold " + sparsityThreshold + " is out of range; expected (0, 1)");
		}
		if (!(hybridUniformShare >= 0 && hybridUniformShare <= 1)) {
			throw new IllegalArgumentException(
					"hybrid-uniform-share " + hybridUniformShare + " is out of range; expected [0, 1]");
		}
		if (scoringWindow == null || allocation == null) {
			throw new IllegalArgumentException("scoring-window and allocation must be set");
		}
	}

	public static Builder builder() {
		return new Builder();
	}

	public Builder mutate() {
		return new Builder().policy(this.policy)
			.budgetRatio(this.budgetRatio)
			.scoringWindow(this.scoringWindow)
			.sparsityThreshold(this.sparsityThreshold)
			.allocation(this.allocation)
			.hybridUniformShare(this.hybridUniformShare);
	}

	/** Builder with the defaults of {@code docs/compression.md}: vl-cache, 0.1, auto, 0.01, adaptive, 0.8. */
	public static final class Builder {

		private String policy = "vl-cache";

		private double budgetRatio = 0.1;

		private ScoringWindow scoringWindow = ScoringWindow.AUTO;

		private double sparsityThreshold = 0.01;

		private Allocation allocation = Allocation.ADAPTIVE;

		private double hybridUniformShare = 0.8;

		public Builder policy(String policy) {
			this.policy = policy;
			return this;
		}

		public Builder budgetRatio(double budgetRatio) {
			this.budgetRatio = budgetRatio;
			return this;
		}

		public Builder scoringWindow(ScoringWindow scoringWindow) {
			this.scoringWindow = scoringWindow;
			return this;
		}

		public Builder sparsityThreshold(double sparsityThreshold) {
			this.sparsityThreshold = sparsityThreshold;
			return this;
		}

		public Builder allocation(Allocation allocation) {
			this.allocation = allocation;
			return this;
		}

		public Builder hybridUniformShare(double hybridUniformShare) {
			this.hybridUniformShare = hybridUniformShare;
			return this;
		}

		public CompressionOptions build() {
			return new CompressionOptions(this.policy, this.budgetRatio, this.scoringWindow, this.sparsityThreshold,
					this.allocation, this.hybridUniformShare);
		}

	}

}
