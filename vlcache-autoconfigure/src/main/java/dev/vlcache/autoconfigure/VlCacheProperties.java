package dev.vlcache.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.DeprecatedConfigurationProperty;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of the vlcache chat model, under {@code spring.ai.vlcache}. Values are checked at startup; an
 * invalid one stops the application with a report naming the property, the value and the valid range.
 */
@ConfigurationProperties(prefix = VlCacheProperties.PREFIX)
public class VlCacheProperties {

	public static final String PREFIX = "spring.ai.vlcache";

	/**
	 * Folder of a Hugging Face checkpoint of a supported family (llava, llava_next, llava_onevision, qwen2_vl):
	 * config.json, safetensors weights, tokenizer.json, tokenizer_config.json or chat_template.json,
	 * preprocessor_config.json. When unset, the embedded demo model is used if the vlcache-demo-model module is on
	 * the classpath.
	 */
	private @Nullable String model;

	/**
	 * Device to run on: auto (the first GPU when the PyTorch engine sees one, else the CPU), cpu, gpu or gpu:N.
	 */
	private String device = "auto";

	/**
	 * Compute dtype: auto (float32 on CPU, float16 on GPU), float32 or float16. BF16 checkpoints are converted while
	 * loading; bfloat16 compute is not supported by DJL's PyTorch engine.
	 */
	private String dtype = "auto";

	/**
	 * How the language model's matrices are stored: float32 (on a CPU reordered for oneDNN's product at load time:
	 * one-row products 1.3-1.8x faster than libtorch's plain one, decoding steps 1.2-1.3x shorter); float16 beside float32 activations, which halves their
	 * memory and makes decoding 1.8-2.9x faster on the CPU, while prefill widens each matrix back for every chunk
	 * (about 2x slower at 582 tokens); or int8 with a scale per row, a quarter of the memory, multiplied by libtorch's
	 * weight-only int8 kernel on bfloat16 activations (a CPU option: on a GPU each product widens its matrix); or
	 * int8-dynamic, the same int8 matrices, whose one-row products (decoding a single request) quantize the
	 * activation row to int8 as well and multiply int8 by int8: faster decoding, activations rounded to 8 bits.
	 * With dtype float16 the matrices are float16 unless int8 or int8-dynamic.
	 */
	private String weights = "float32";

	/**
	 * Most requests decoding together in one forward pass (continuous batching); further requests wait in the
	 * queue.
	 */
	private int maxBatchSize = 8;

	/**
	 * KV-cache memory of all running requests (for example 2GB). A request is admitted when its prompt's cache
	 * before compression, plus one entry per token it may generate, fits beside the running requests'; after
	 * compression the evicted bytes return at once. Unset: a quarter of the machine's memory on the CPU, 60% of the
	 * GPU's free memory after loading.
	 */
	private @Nullable DataSize kvCacheMemory;

	/**
	 * Prompt tokens prefilled between two decoding steps of the running requests, which bounds how long a new
	 * prompt stalls their streams; 0 prefills each prompt at once.
	 */
	private int prefillStepTokens = 512;

	/**
	 * How long a request waits in the queue for admission before failing as busy.
	 */
	private Duration acquireTimeout = Duration.ofSeconds(30);

	/**
	 * Query rows per prefill chunk, which bounds the memory of long prompts; 0 sizes chunks automatically (up to
	 * 2048 tokens, fewer when a chunk's mask would pass 32 MiB). Attention is computed in blocks of 32 MiB of
	 * scores either way.
	 */
	private int prefillChunkTokens = 0;

	/**
	 * Generation defaults, overridable per request through VlCacheChatOptions.
	 */
	private final Chat chat = new Chat();

	/**
	 * KV-cache compression defaults, overridable per request through VlCacheChatOptions.
	 */
	private final Compression compression = new Compression();

	public @Nullable String getModel() {
		return this.model;
	}

	public void setModel(@Nullable String model) {
		this.model = model;
	}

	public String getDevice() {
		return this.device;
	}

	public void setDevice(String device) {
		this.device = device;
	}

	public String getDtype() {
		return this.dtype;
	}

	public void setDtype(String dtype) {
		this.dtype = dtype;
	}

	public String getWeights() {
		return this.weights;
	}

	public void setWeights(String weights) {
		this.weights = weights;
	}

	public int getMaxBatchSize() {
		return this.maxBatchSize;
	}

	public void setMaxBatchSize(int maxBatchSize) {
		this.maxBatchSize = maxBatchSize;
	}

	/**
	 * Most generations that run at once: now the batch size.
	 * @deprecated use {@code spring.ai.vlcache.max-batch-size}
	 */
	@Deprecated
	@DeprecatedConfigurationProperty(replacement = PREFIX + ".max-batch-size",
			reason = "Requests are batched now: the batch size bounds how many run at once")
	public int getMaxConcurrentRequests() {
		return this.maxBatchSize;
	}

	/**
	 * Sets the batch size.
	 * @deprecated use {@link #setMaxBatchSize}
	 */
	@Deprecated
	public void setMaxConcurrentRequests(int maxConcurrentRequests) {
		this.maxBatchSize = maxConcurrentRequests;
	}

	public @Nullable DataSize getKvCacheMemory() {
		return this.kvCacheMemory;
	}

	public void setKvCacheMemory(@Nullable DataSize kvCacheMemory) {
		this.kvCacheMemory = kvCacheMemory;
	}

	public int getPrefillStepTokens() {
		return this.prefillStepTokens;
	}

	public void setPrefillStepTokens(int prefillStepTokens) {
		this.prefillStepTokens = prefillStepTokens;
	}

	public Duration getAcquireTimeout() {
		return this.acquireTimeout;
	}

	public void setAcquireTimeout(Duration acquireTimeout) {
		this.acquireTimeout = acquireTimeout;
	}

	public int getPrefillChunkTokens() {
		return this.prefillChunkTokens;
	}

	public void setPrefillChunkTokens(int prefillChunkTokens) {
		this.prefillChunkTokens = prefillChunkTokens;
	}

	public Chat getChat() {
		return this.chat;
	}

	public Compression getCompression() {
		return this.compression;
	}

	/** Generation defaults. */
	public static class Chat {

		/**
		 * Sampling temperature, at least 0; 0 is greedy decoding.
		 */
		private double temperature = 0.0;

		/**
		 * Sample only among the k most likely tokens; 0 for no limit.
		 */
		private int topK = 0;

		/**
		 * Nucleus sampling: sample among the smallest set of tokens whose probability reaches p, in (0, 1].
		 */
		private double topP = 1.0;

		/**
		 * Most tokens to generate per request, at least 1.
		 */
		private int maxTokens = 256;

		/**
		 * Random seed for sampling; unset for a different seed per request.
		 */
		private @Nullable Long seed;

		/**
		 * Strings that end generation when they appear in the output; they are not included in the answer.
		 */
		private List<String> stop = new ArrayList<>();

		public double getTemperature() {
			return this.temperature;
		}

		public void setTemperature(double temperature) {
			this.temperature = temperature;
		}

		public int getTopK() {
			return this.topK;
		}

		public void setTopK(int topK) {
			this.topK = topK;
		}

		public double getTopP() {
			return this.topP;
		}

		public void setTopP(double topP) {
			this.topP = topP;
		}

		public int getMaxTokens() {
			return this.maxTokens;
		}

		public void setMaxTokens(int maxTokens) {
			this.maxTokens = maxTokens;
		}

		public @Nullable Long getSeed() {
			return this.seed;
		}

		public void setSeed(@Nullable Long seed) {
			this.seed = seed;
		}

		public List<String> getStop() {
			return this.stop;
		}

		public void setStop(List<String> stop) {
			this.stop = stop;
		}

	}

	/** KV-cache compression defaults (see docs/compression.md). */
	public static class Compression {

		/**
		 * Compression policy applied after prefill: vl-cache, full, streaming-llm, h2o, snapkv or pyramidkv.
		 */
		private String policy = "vl-cache";

		/**
		 * Fraction of the prompt's KV cache kept, averaged over layers, in (0, 1].
		 */
		private double budgetRatio = 0.1;

		/**
		 * Query rows that score tokens: auto (the prompt positions after the last image) or a number of last prompt
		 * positions, at least 1.
		 */
		private String scoringWindow = "auto";

		/**
		 * An attention weight counts as non-zero when it is at least this fraction of its row's maximum, in (0, 1).
		 */
		private double sparsityThreshold = 0.01;

		/**
		 * How VL-Cache shares the budget among layers: adaptive (by attention density), uniform or hybrid.
		 */
		private String allocation = "adaptive";

		/**
		 * The uniform share of hybrid allocation, in [0, 1].
		 */
		private double hybridUniformShare = 0.8;

		public String getPolicy() {
			return this.policy;
		}

		public void setPolicy(String policy) {
			this.policy = policy;
		}

		public double getBudgetRatio() {
			return this.budgetRatio;
		}

		public void setBudgetRatio(double budgetRatio) {
			this.budgetRatio = budgetRatio;
		}

		public String getScoringWindow() {
			return this.scoringWindow;
		}

		public void setScoringWindow(String scoringWindow) {
			this.scoringWindow = scoringWindow;
		}

		public double getSparsityThreshold() {
			return this.sparsityThreshold;
		}

		public void setSparsityThreshold(double sparsityThreshold) {
			this.sparsityThreshold = sparsityThreshold;
		}

		public String getAllocation() {
			return this.allocation;
		}

		public void setAllocation(String allocation) {
			this.allocation = allocation;
		}

		public double getHybridUniformShare() {
			return this.hybridUniformShare;
		}

		public void setHybridUniformShare(double hybridUniformShare) {
			this.hybridUniformShare = hybridUniformShare;
		}

	}

}
