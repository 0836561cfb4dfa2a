package dev.vlcache.core.config;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * What the shared engine needs of any family's {@code config.json}: the decoder and the prompt's special ids.
 * Each family keeps its vision settings to itself.
 *
 * @param modelType the checkpoint's {@code model_type}
 * @param text the decoder's configuration
 * @param imageTokenId the prompt token that each image's tokens replace (expanded to the image's token count)
 * @param visionTower a short name of the vision encoder, for reports ({@code clip}, {@code siglip},
 * {@code qwen2-vl})
 * @param fixedImageTokens image tokens per image when every image has the same count (LLaVA-1.5), or
 * {@code null} when the count depends on the image's size
 * @param eosTokenIds end-of-sequence ids declared by the config files
 * @param bosTokenId beginning-of-sequence id, when declared
 */
public record ModelConfig(String modelType, TextConfig text, int imageTokenId, String visionTower,
		@Nullable Integer fixedImageTokens, List<Integer> eosTokenIds, @Nullable Integer bosTokenId) {

	public ModelConfig {
		eosTokenIds = List.copyOf(eosTokenIds);
	}

}
