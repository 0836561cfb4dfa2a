package dev.vlcache.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

import dev.vlcache.ai.VlCacheChatOptions;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.generation.SamplingOptions;
import dev.vlcache.core.serving.SchedulerOptions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine defines each default once (its options' builders); the properties repeat them as literals, because
 * the configuration processor documents only literal initialisers. This test fails when the two part, in the
 * bound properties and in the metadata the IDE shows.
 */
class VlCachePropertiesDefaultsTest {

	private final VlCacheProperties properties = new VlCacheProperties();

	@Test
	void unsetPropertiesGiveTheEnginesDefaultOptions() {
		VlCacheChatOptions options = VlCachePropertiesValidator.defaultOptions(this.properties);
		assertThat(options.toCompressionOptions()).isEqualTo(CompressionOptions.builder().build());
		assertThat(options.toSamplingOptions()).isEqualTo(SamplingOptions.builder().build());
		assertThat(new ModelOptions(this.properties.getDevice(), this.properties.getDtype(),
				this.properties.getPrefillChunkTokens(), this.properties.getWeights()))
			.isEqualTo(ModelOptions.DEFAULT);
		assertThat(this.properties.getMaxBatchSize()).isEqualTo(SchedulerOptions.DEFAULT_MAX_BATCH_SIZE);
		assertThat(this.properties.getPrefillStepTokens()).isEqualTo(SchedulerOptions.DEFAULT_PREFILL_STEP_TOKENS);
		assertThat(this.properties.getAcquireTimeout()).isEqualTo(SchedulerOptions.DEFAULT_QUEUE_TIMEOUT);
		assertThat(this.properties.getKvCacheMemory()).as("unset: the device's default budget").isNull();
	}

	@Test
	void theDocumentedDefaultsAreTheEngines() throws IOException {
		Map<String, String> documented = metadataDefaults();
		CompressionOptions c = CompressionOptions.builder().build();
		SamplingOptions s = SamplingOptions.builder().build();
		String p = VlCacheProperties.PREFIX;
		assertThat(documented).containsEntry(p + ".compression.policy", c.policy())
			.containsEntry(p + ".compression.budget-ratio", String.valueOf(c.budgetRatio()))
			.containsEntry(p + ".compression.scoring-window", c.scoringWindow().toString())
			.containsEntry(p + ".compression.sparsity-threshold", String.valueOf(c.sparsityThreshold()))
			.containsEntry(p + ".compression.allocation", c.allocation().id())
			.containsEntry(p + ".compression.hybrid-uniform-share", String.valueOf(c.hybridUniformShare()))
			.containsEntry(p + ".chat.max-tokens", String.valueOf(s.maxNewTokens()))
			.containsEntry(p + ".chat.top-k", String.valueOf(s.topK()))
			.containsEntry(p + ".device", ModelOptions.DEFAULT.device())
			.containsEntry(p + ".dtype", ModelOptions.DEFAULT.dtype())
			.containsEntry(p + ".prefill-chunk-tokens", String.valueOf(ModelOptions.DEFAULT.prefillChunkTokens()))
			.containsEntry(p + ".weights", ModelOptions.DEFAULT.weights())
			.containsEntry(p + ".max-batch-size", String.valueOf(SchedulerOptions.DEFAULT_MAX_BATCH_SIZE))
			.containsEntry(p + ".prefill-step-tokens", String.valueOf(SchedulerOptions.DEFAULT_PREFILL_STEP_TOKENS));
		assertThat(Double.parseDouble(documented.get(p + ".chat.temperature"))).isEqualTo(s.temperature());
		assertThat(Double.parseDouble(documented.get(p + ".chat.top-p"))).isEqualTo(s.topP());
	}

	private static Map<String, String> metadataDefaults() throws IOException {
		try (InputStream in = VlCacheProperties.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
			assertThat(in).as("generated configuration metadata").isNotNull();
			JsonObject root = JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
			Map<String, String> defaults = new HashMap<>();
			for (JsonElement e : root.getAsJsonArray("properties")) {
				JsonObject property = e.getAsJsonObject();
				if (property.has("defaultValue")) {
					defaults.put(property.get("name").getAsString(), property.get("defaultValue").getAsString());
				}
			}
			return defaults;
		}
	}

}
