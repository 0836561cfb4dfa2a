package dev.vlcache.ai;

import java.util.List;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.DefaultChatOptionsBuilder;

import dev.vlcache.core.compression.Allocation;
import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.compression.CompressionPolicies;
import dev.vlcache.core.compression.ScoringWindow;
import dev.vlcache.core.generation.SamplingOptions;

/**
 * Immutable options of {@link VlCacheChatModel}: generation (temperature, top-k, top-p, max tokens, seed, stop
 * sequences) and KV-cache compression (policy, budget ratio, scoring window, sparsity threshold, allocation,
 * hybrid uniform share). A field left {@code null} takes the model's default; a request's options override the
 * defaults field by field ({@link #overrides}).
 */
public final class VlCacheChatOptions implements ChatOptions {

	private final @Nullable String model;

	private final @Nullable Double temperature;

	private final @Nullable Integer topK;

	private final @Nullable Double topP;

	private final @Nullable Integer maxTokens;

	private final @Nullable Long seed;

	private final @Nullable List<String> stopSequences;

	private final @Nullable String policy;

	private final @Nullable Double budgetRatio;

	private final @Nullable String scoringWindow;

	private final @Nullable Double sparsityThreshold;

	private final @Nullable String allocation;

	private final @Nullable Double hybridUniformShare;

	private VlCacheChatOptions(Builder b) {
		this.model = b.model();
		this.temperature = b.temperature();
		this.topK = b.topK();
		this.topP = b.topP();
		this.maxTokens = b.maxTokens();
		this.seed = b.seed;
		this.stopSequences = b.stopSequences() == null ? null : List.copyOf(b.stopSequences());
		this.policy = b.policy;
		this.budgetRatio = b.budgetRatio;
		this.scoringWindow = b.scoringWindow;
		this.sparsityThreshold = b.sparsityThreshold;
		this.allocation = b.allocation;
		this.hybridUniformShare = b.hybridUniformShare;
	}

	public static Builder builder() {
		return new Builder();
	}

	/** Reads any {@link ChatOptions}: the portable fields, plus ours when it is a {@code VlCacheChatOptions}. */
	public static VlCacheChatOptions from(ChatOptions options) {
		if (options instanceof VlCacheChatOptions v) {
			return v;
		}
		return builder().model(options.getModel())
			.temperature(options.getTemperature())
			.topK(options.getTopK())
			.topP(options.getTopP())
			.maxTokens(options.getMaxTokens())
			.stopSequences(options.getStopSequences())
			.build();
	}

	@Override
	public Builder mutate() {
		Builder b = builder().model(this.model)
			.temperature(this.temperature)
			.topK(this.topK)
			.topP(this.topP)
			.maxTokens(this.maxTokens)
			.stopSequences(this.stopSequences);
		b.seed = this.seed;
		b.policy = this.policy;
		b.budgetRatio = this.budgetRatio;
		b.scoringWindow = this.scoringWindow;
		b.sparsityThreshold = this.sparsityThreshold;
		b.allocation = this.allocation;
		b.hybridUniformShare = this.hybridUniformShare;
		return b;
	}

	/** These options with every non-null field of {@code request} taking precedence. */
	public VlCacheChatOptions overrides(@Nullable ChatOptions request) {
		if (request == null) {
			return this;
		}
		VlCacheChatOptions r = from(request);
		Builder b = mutate();
		b.combineWith(r.mutate());
		return b.build();
	}

	/** The engine's sampling options; fields still unset take the engine's defaults. */
	public SamplingOptions toSamplingOptions() {
		SamplingOptions.Builder b = SamplingOptions.builder();
		if (this.temperature != null) {
			b.temperature(this.temperature);
		}
		if (this.topK != null) {
			b.topK(this.topK);
		}
		if (this.topP != null) {
			b.topP(this.topP);
		}
		if (this.maxTokens != null) {
			b.maxNewTokens(this.maxTokens);
		}
		if (this.stopSequences != null) {
			b.stop(this.stopSequences);
		}
		return b.seed(this.seed).build();
	}

	/** The engine's compression options; fields still unset take docs/compression.md's defaults. */
	public CompressionOptions toCompressionOptions() {
		CompressionOptions.Builder b = CompressionOptions.builder();
		if (this.policy != null) {
			CompressionPolicies.get(this.policy);
			b.policy(this.policy);
		}
		if (this.budgetRatio != null) {
			b.budgetRatio(this.budgetRatio);
		}
		if (this.scoringWindow != null) {
			b.scoringWindow(ScoringWindow.parse(this.scoringWindow));
		}
		if (this.sparsityThreshold != null) {
			b.sparsityThreshold(this.sparsityThreshold);
		}
		if (this.allocation != null) {
			b.allocation(Allocation.parse(this.allocation));
		}
		if (this.hybridUniformShare != null) {
			b.hybridUniformShare(this.hybridUniformShare);
		}
		return b.build();
	}

	@Override
	public @Nullable String getModel() {
		return this.model;
	}

	/** Not supported by the engine: always {@code null}. */
	@Override
	public @Nullable Double getFrequencyPenalty() {
		return null;
	}

	@Override
	public @Nullable Integer getMaxTokens() {
		return this.maxTokens;
	}

	/** Not supported by the engine: always {@code null}. */
	@Override
	public @Nullable Double getPresencePenalty() {
		return null;
	}

	@Override
	public @Nullable List<String> getStopSequences() {
		return this.stopSequences;
	}

	@Override
	public @Nullable Double getTemperature() {
		return this.temperature;
	}

	@Override
	public @Nullable Integer getTopK() {
		return this.topK;
	}

	@Override
	public @Nullable Double getTopP() {
		return this.topP;
	}

	public @Nullable Long getSeed() {
		return this.seed;
	}

	public @Nullable String getPolicy() {
		return this.policy;
	}

	public @Nullable Double getBudgetRatio() {
		return this.budgetRatio;
	}

	public @Nullable String getScoringWindow() {
		return this.scoringWindow;
	}

	public @Nullable Double getSparsityThreshold() {
		return this.sparsityThreshold;
	}

	public @Nullable String getAllocation() {
		return this.allocation;
	}

	public @Nullable Double getHybridUniformShare() {
		return this.hybridUniformShare;
	}

	@Override
	public boolean equals(@Nullable Object o) {
		if (!(o instanceof VlCacheChatOptions that)) {
			return false;
		}
		return Objects.equals(this.model, that.model) && Objects.equals(this.temperature, that.temperature)
				&& Objects.equals(this.topK, that.topK) && Objects.equals(this.topP, that.topP)
				&& Objects.equals(this.maxTokens, that.maxTokens) && Objects.equals(this.seed, that.seed)
				&& Objects.equals(this.stopSequences, that.stopSequences) && Objects.equals(this.policy, that.policy)
				&& Objects.equals(this.budgetRatio, that.budgetRatio)
				&& Objects.equals(this.scoringWindow, that.scoringWindow)
				&& Objects.equals(this.sparsityThreshold, that.sparsityThreshold)
				&& Objects.equals(this.allocation, that.allocation)
				&& Objects.equals(this.hybridUniformShare, that.hybridUniformShare);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.model, this.temperature, this.topK, this.topP, this.maxTokens, this.seed,
				this.stopSequences, this.policy, this.budgetRatio, this.scoringWindow, this.sparsityThreshold,
				this.allocation, this.hybridUniformShare);
	}

	@Override
	public String toString() {
		return "VlCacheChatOptions{temperature=" + this.temperature + ", topK=" + this.topK + ", topP=" + this.topP
				+ ", maxTokens=" + this.maxTokens + ", seed=" + this.seed + ", stop=" + this.stopSequences + ", policy="
				+ this.policy + ", budgetRatio=" + this.budgetRatio + ", scoringWindow=" + this.scoringWindow
				+ ", sparsityThreshold=" + this.sparsityThreshold + ", allocation=" + this.allocation
				+ ", hybridUniformShare=" + this.hybridUniformShare + "}";
	}

	/** Builder of {@link VlCacheChatOptions}; {@link #combineWith} lets non-null fields of another win. */
	public static final class Builder extends DefaultChatOptionsBuilder<Builder> {

		private @Nullable Long seed;

		private @Nullable String policy;

		private @Nullable Double budgetRatio;

		private @Nullable String scoringWindow;

		private @Nullable Double sparsityThreshold;

		private @Nullable String allocation;

		private @Nullable Double hybridUniformShare;

		@Nullable String model() {
			return this.model;
		}

		@Nullable Double temperature() {
			return this.temperature;
		}

		@Nullable Integer topK() {
			return this.topK;
		}

		@Nullable Double topP() {
			return this.topP;
		}

		@Nullable Integer maxTokens() {
			return this.maxTokens;
		}

		@Nullable List<String> stopSequences() {
			return this.stopSequences;
		}

		public Builder seed(@Nullable Long seed) {
			this.seed = seed;
			return this;
		}

		public Builder policy(@Nullable String policy) {
			this.policy = policy;
			return this;
		}

		public Builder budgetRatio(@Nullable Double budgetRatio) {
			this.budgetRatio = budgetRatio;
			return this;
		}

		public Builder scoringWindow(@Nullable String scoringWindow) {
			this.scoringWindow = scoringWindow;
			return this;
		}

		public Builder sparsityThreshold(@Nullable Double sparsityThreshold) {
			this.sparsityThreshold = sparsityThreshold;
			return this;
		}

		public Builder allocation(@Nullable String allocation) {
			this.allocation = allocation;
			return this;
		}

		public Builder hybridUniformShare(@Nullable Double hybridUniformShare) {
			this.hybridUniformShare = hybridUniformShare;
			return this;
		}

		/** Stop sequences of {@code other} replace ours rather than adding to them. */
		@Override
		public Builder combineWith(ChatOptions.Builder<?> other) {
			List<String> mine = this.stopSequences;
			this.stopSequences = null;
			super.combineWith(other);
			if (this.stopSequences == null) {
				this.stopSequences = mine;
			}
			if (other instanceof Builder that) {
				this.seed = that.seed != null ? that.seed : this.seed;
				this.policy = that.policy != null ? that.policy : this.policy;
				this.budgetRatio = that.budgetRatio != null ? that.budgetRatio : this.budgetRatio;
				this.scoringWindow = that.scoringWindow != null ? that.scoringWindow : this.scoringWindow;
				this.sparsityThreshold = that.sparsityThreshold != null ? that.sparsityThreshold : this.sparsityThreshold;
				this.allocation = that.allocation != null ? that.allocation : this.allocation;
				this.hybridUniformShare = that.hybridUniformShare != null ? that.hybridUniformShare
						: this.hybridUniformShare;
			}
			return this;
		}

		@Override
		public Builder clone() {
			return super.clone();
		}

		@Override
		public VlCacheChatOptions build() {
			return new VlCacheChatOptions(this);
		}

	}

}
