package dev.vlcache.autoconfigure;

import java.util.function.Consumer;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;

import dev.vlcache.ai.VlCacheChatOptions;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.compression.Allocation;
import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.compression.CompressionPolicies;
import dev.vlcache.core.compression.ScoringWindow;
import dev.vlcache.core.generation.SamplingOptions;
import dev.vlcache.core.runtime.DeviceSelector;

/**
 * Checks every {@code spring.ai.vlcache.*} value with the engine's own rules, so that a bad value stops startup
 * with the property's name instead of failing the first request.
 */
final class VlCachePropertiesValidator {

	private static final String P = VlCacheProperties.PREFIX + ".";

	private final Function<String, @Nullable String> rawValue;

	private VlCachePropertiesValidator(Function<String, @Nullable String> rawValue) {
		this.rawValue = rawValue;
	}

	/**
	 * Checks every property of {@code p}.
	 * @param rawValue the value as configured, by full property name (for the report), or {@code null}
	 * @throws InvalidVlCachePropertyException naming the first invalid property
	 */
	static void validate(VlCacheProperties p, Function<String, @Nullable String> rawValue) {
		new VlCachePropertiesValidator(rawValue).validate(p);
	}

	private void validate(VlCacheProperties p) {
		check("device", p.getDevice(), v -> DeviceSelector.selectDevice(v, Integer.MAX_VALUE));
		check("dtype", p.getDtype(), v -> DeviceSelector.selectDtype(v, ai.djl.Device.cpu()));
		check("weights", p.getWeights(), ModelOptions.DEFAULT::withWeights);
		check("max-batch-size", p.getMaxBatchSize(), v -> {
			if (v < 1) {
				throw new IllegalArgumentException("expected an integer >= 1");
			}
		});
		check("kv-cache-memory", p.getKvCacheMemory(), v -> {
			if (v != null && v.toBytes() <= 0) {
				throw new IllegalArgumentException("expected a size > 0 (for example 2GB), or unset for the default");
			}
		});
		check("prefill-step-tokens", p.getPrefillStepTokens(), v -> {
			if (v < 0) {
				throw new IllegalArgumentException("expected an integer >= 0 (0 = each prompt at once)");
			}
		});
		check("acquire-timeout", p.getAcquireTimeout(), v -> {
			if (v.isNegative()) {
				throw new IllegalArgumentException("expected a duration >= 0");
			}
		});
		check("prefill-chunk-tokens", p.getPrefillChunkTokens(), v -> new ModelOptions("auto", "auto", v));
		VlCacheProperties.Chat c = p.getChat();
		check("chat.temperature", c.getTemperature(), v -> SamplingOptions.builder().temperature(v).build());
		check("chat.top-k", c.getTopK(), v -> SamplingOptions.builder().topK(v).build());
		check("chat.top-p", c.getTopP(), v -> SamplingOptions.builder().topP(v).build());
		check("chat.max-tokens", c.getMaxTokens(), v -> SamplingOptions.builder().maxNewTokens(v).build());
		check("chat.stop", c.getStop(), v -> SamplingOptions.builder().stop(v).build());
		VlCacheProperties.Compression k = p.getCompression();
		check("compression.policy", k.getPolicy(), CompressionPolicies::get);
		check("compression.budget-ratio", k.getBudgetRatio(), v -> CompressionOptions.builder().budgetRatio(v).build());
		check("compression.scoring-window", k.getScoringWindow(), ScoringWindow::parse);
		check("compression.sparsity-threshold", k.getSparsityThreshold(),
				v -> CompressionOptions.builder().sparsityThreshold(v).build());
		check("compression.allocation", k.getAllocation(), Allocation::parse);
		check("compression.hybrid-uniform-share", k.getHybridUniformShare(),
				v -> CompressionOptions.builder().hybridUniformShare(v).build());
	}

	private <T> void check(String property, T value, Consumer<T> rule) {
		try {
			rule.accept(value);
		}
		catch (IllegalArgumentException ex) {
			String configured = this.rawValue.apply(P + property);
			throw new InvalidVlCachePropertyException(P + property, configured != null ? configured : value,
					ex.getMessage());
		}
	}

	/** The default options of the chat model, from the properties. */
	static VlCacheChatOptions defaultOptions(VlCacheProperties p) {
		VlCacheProperties.Chat c = p.getChat();
		VlCacheProperties.Compression k = p.getCompression();
		return VlCacheChatOptions.builder()
			.temperature(c.getTemperature())
			.topK(c.getTopK())
			.topP(c.getTopP())
			.maxTokens(c.getMaxTokens())
			.seed(c.getSeed())
			.stopSequences(c.getStop())
			.policy(k.getPolicy())
			.budgetRatio(k.getBudgetRatio())
			.scoringWindow(k.getScoringWindow())
			.sparsityThreshold(k.getSparsityThreshold())
			.allocation(k.getAllocation())
			.hybridUniformShare(k.getHybridUniformShare())
			.build();
	}

}
