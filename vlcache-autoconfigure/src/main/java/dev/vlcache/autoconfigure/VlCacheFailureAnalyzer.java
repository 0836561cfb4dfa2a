package dev.vlcache.autoconfigure;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;

/**
 * Turns an invalid {@code spring.ai.vlcache.*} value or a model folder that cannot be loaded into a readable
 * startup report: what is wrong, with the property, the value and what is expected.
 */
public class VlCacheFailureAnalyzer implements FailureAnalyzer {

	@Override
	public @Nullable FailureAnalysis analyze(Throwable failure) {
		for (Throwable t = failure; t != null; t = t.getCause()) {
			if (t instanceof InvalidVlCachePropertyException ex) {
				return new FailureAnalysis(
						"Invalid value '" + ex.getValue() + "' for property '" + ex.getProperty() + "':\n\n    "
								+ ex.getReason(),
						"Update '" + ex.getProperty() + "' in your application configuration to a valid value.", ex);
			}
			if (t instanceof VlCacheModelLoadException ex) {
				return new FailureAnalysis(
						"The vlcache model could not be loaded"
								+ (ex.getFolder().isEmpty() ? "" : " from '" + ex.getFolder() + "'") + ":\n\n    "
								+ ex.getMessage(),
						"Set '" + VlCacheProperties.PREFIX + ".model' to a Hugging Face checkpoint folder (llava, llava_next, llava_onevision or qwen2_vl) "
								+ "(config.json, model.safetensors or model.safetensors.index.json with its shards, "
								+ "tokenizer.json, tokenizer_config.json or chat_template.json, preprocessor_config.json), "
								+ "or add the vlcache-demo-model dependency to run on the embedded demo model.",
						ex);
			}
		}
		return null;
	}

}
